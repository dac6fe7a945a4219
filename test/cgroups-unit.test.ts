// Unit tests of the cgroup layer on an in-memory fs: no root, no real cgroups.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cgroupManager, validateResources, resolveCgroupPath, parseProcCgroup, sharesToWeight, blkioToIoWeight,
  CgroupError, MemFs, realFs, type CgroupMounts,
} from "../src/runtime/cgroups/index.ts";
import type { LinuxResources } from "../src/runtime/spec.ts";
import { kernelClonesIntoCgroup } from "../src/runtime/cgroups/detect.ts";
import { mkdirAll } from "../src/runtime/cgroups/fs.ts";
import { cloneIntoCgroupDir } from "../src/runtime/ops/plan-context.ts";

const R = "/sys/fs/cgroup";
const V1_NAMES = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "name=systemd"];
const hybrid: CgroupMounts = {
  mode: "hybrid",
  v1: new Map(V1_NAMES.map((c) => [c, `${R}/${c === "name=systemd" ? "systemd" : c}`])),
  v2: `${R}/unified`,
};
const unified: CgroupMounts = { mode: "unified", v1: new Map(), v2: R };
const SELF_V1 = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";
const SELF_V2 = "0::/user.slice/session-1.scope\n";

const v1 = (cgroupsPath?: string, fs = new MemFs()) => cgroupManager({ cgroupsPath, id: "c1", fs, mounts: hybrid, selfCgroup: SELF_V1 });
const v2 = (cgroupsPath?: string, fs = new MemFs()) => cgroupManager({ cgroupsPath, id: "c1", fs, mounts: unified, selfCgroup: SELF_V2 });

const FULL: LinuxResources = {
  memory: { limit: 33554432, reservation: 16777216, swap: 67108864, swappiness: 10, disableOOMKiller: true },
  cpu: { shares: 1024, quota: 50000, period: 100000, burst: 1000, cpus: "0-1", mems: "0", idle: 0 },
  pids: { limit: 10 },
  blockIO: {
    weight: 500,
    weightDevice: [{ major: 8, minor: 0, weight: 100 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 0 }],
  },
};

describe("cgroupsPath resolution", () => {
  it("defaults to /berth/<id>", () => {
    assert.equal(resolveCgroupPath(undefined, "abc", "/x"), "/berth/abc");
    assert.equal(resolveCgroupPath("", "abc", "/x"), "/berth/abc");
  });
  it("absolute paths are relative to the hierarchy root; relative to the own cgroup", () => {
    assert.equal(resolveCgroupPath("/a//b/", "id", "/own"), "/a/b");
    assert.equal(resolveCgroupPath("a/b", "id", "/own/x"), "/own/x/a/b");
    assert.equal(resolveCgroupPath("a", "id", "/"), "/a");
  });
  it("rejects '..', systemd slice syntax and the root", () => {
    assert.throws(() => resolveCgroupPath("/a/../b", "id", "/"), /must not contain "\.\."/);
    assert.throws(() => resolveCgroupPath("system.slice:berth:abc", "id", "/"), /systemd/);
    assert.throws(() => resolveCgroupPath("/", "id", "/"), /hierarchy root/);
    assert.throws(() => resolveCgroupPath(undefined, "a/b", "/"), /invalid container id/);
  });
  it("parses /proc/self/cgroup including co-mounted and v2 lines", () => {
    const m = parseProcCgroup("5:cpu,cpuacct:/a\n1:name=systemd:/s\n0::/u\n");
    assert.equal(m.get("cpu"), "/a");
    assert.equal(m.get("cpuacct"), "/a");
    assert.equal(m.get("name=systemd"), "/s");
    assert.equal(m.get(""), "/u");
  });
});

describe("clone into a cgroup", () => {
  it("needs Linux 5.7 (clone3 CLONE_INTO_CGROUP)", () => {
    for (const [r, yes] of [["4.19.0-27-amd64", false], ["5.6.19", false], ["5.7.0", true], ["5.10.0-30-amd64", true], ["6.18.0", true], ["", false]] as const)
      assert.equal(kernelClonesIntoCgroup(r), yes, r);
  });
  it("only on v2, and not when the helper joins a user or cgroup namespace by path first", () => {
    if (!kernelClonesIntoCgroup()) return; // this kernel: never
    assert.equal(cloneIntoCgroupDir(v2("/a/b")), `${R}/a/b`);
    assert.equal(cloneIntoCgroupDir(v1("/a/b")), undefined);
    assert.equal(cloneIntoCgroupDir(v2("/a/b"), [{ type: "user", path: "/proc/1/ns/user" }]), undefined);
    assert.equal(cloneIntoCgroupDir(v2("/a/b"), [{ type: "cgroup", path: "/proc/1/ns/cgroup" }]), undefined);
    assert.equal(cloneIntoCgroupDir(v2("/a/b"), [{ type: "network", path: "/proc/1/ns/net" }, { type: "cgroup" }]), `${R}/a/b`);
  });
});

describe("manager selection and paths", () => {
  it("hybrid uses v1 with one dir per hierarchy, cpuset first and freezer last", () => {
    const m = v1();
    assert.equal(m.version, 1);
    const p = m.paths();
    assert.equal(p.length, 9);
    assert.equal(p[0], `${R}/cpuset/berth/c1`);
    assert.equal(p[p.length - 1], `${R}/freezer/berth/c1`);
    assert.ok(!p.some((x) => x.includes("unified")), "cgroup2 of a hybrid host is not used");
    // v1 joins through `tasks`: moving one thread skips the global threadgroup lock
    assert.deepEqual(m.joinFiles(), p.map((x) => `${x}/tasks`));
  });
  it("relative paths follow the own cgroup per hierarchy", () => {
    const p = v1("ctr").paths();
    assert.ok(p.includes(`${R}/memory/process_api/abc/ctr`));
    assert.ok(p.includes(`${R}/cpu/ctr`));
    assert.deepEqual(v2("ctr").paths(), [`${R}/user.slice/session-1.scope/ctr`]);
  });
  it("co-mounted controllers share one dir", () => {
    const mounts: CgroupMounts = { mode: "legacy", v1: new Map([["cpu", `${R}/cpu,cpuacct`], ["cpuacct", `${R}/cpu,cpuacct`], ["memory", `${R}/memory`]]) };
    const m = cgroupManager({ cgroupsPath: "/x", id: "c", fs: new MemFs(), mounts, selfCgroup: "" });
    assert.deepEqual(m.paths(), [`${R}/cpu,cpuacct/x`, `${R}/memory/x`]);
  });
  it("unified uses v2 with a single dir", () => {
    const m = v2("/a/b");
    assert.equal(m.version, 2);
    assert.deepEqual(m.paths(), [`${R}/a/b`]);
    assert.deepEqual(m.joinFiles(), [`${R}/a/b/cgroup.procs`]);
  });
});

describe("plannedWrites", () => {
  it("v1: exact files and values", () => {
    const d = (c: string) => `${R}/${c}/berth/c1`;
    const plan = v1().plannedWrites(FULL).map((x) => [x.file, x.value]);
    assert.deepEqual(plan, [
      [`${d("cpuset")}/cpuset.cpus`, "0-1"],
      [`${d("cpuset")}/cpuset.mems`, "0"],
      [`${d("cpu")}/cpu.shares`, "1024"],
      [`${d("cpu")}/cpu.cfs_period_us`, "100000"],
      [`${d("cpu")}/cpu.cfs_quota_us`, "50000"],
      [`${d("cpu")}/cpu.cfs_burst_us`, "1000"],
      [`${d("cpu")}/cpu.idle`, "0"],
      [`${d("memory")}/memory.limit_in_bytes`, "33554432"],
      [`${d("memory")}/memory.memsw.limit_in_bytes`, "67108864"],
      [`${d("memory")}/memory.soft_limit_in_bytes`, "16777216"],
      [`${d("memory")}/memory.swappiness`, "10"],
      [`${d("memory")}/memory.oom_control`, "1"],
      [`${d("pids")}/pids.max`, "10"],
      [`${d("blkio")}/blkio.weight`, "500"],
      [`${d("blkio")}/blkio.weight_device`, "8:0 100"],
      [`${d("blkio")}/blkio.throttle.read_bps_device`, "8:0 1048576"],
      [`${d("blkio")}/blkio.throttle.write_iops_device`, "8:0 0"],
    ]);
  });
  it("v2: exact files and converted values", () => {
    const d = `${R}/berth/c1`;
    const plan = v2().plannedWrites({ ...FULL, unified: { "memory.high": "30000000" } }).map((x) => [x.file, x.value]);
    assert.deepEqual(plan, [
      [`${d}/cpuset.cpus`, "0-1"],
      [`${d}/cpuset.mems`, "0"],
      [`${d}/cpu.weight`, "39"],
      [`${d}/cpu.max`, "50000 100000"],
      [`${d}/cpu.max.burst`, "1000"],
      [`${d}/cpu.idle`, "0"],
      [`${d}/memory.swap.max`, "33554432"],
      [`${d}/memory.max`, "33554432"],
      [`${d}/memory.low`, "16777216"],
      [`${d}/pids.max`, "10"],
      [`${d}/io.bfq.weight`, "500"],
      [`${d}/io.bfq.weight`, "8:0 100"],
      [`${d}/io.max`, "8:0 rbps=1048576"],
      [`${d}/io.max`, "8:0 wiops=max"],
      [`${d}/memory.high`, "30000000"],
    ]);
  });
  it("unlimited values", () => {
    const r: LinuxResources = { memory: { limit: -1, swap: -1 }, cpu: { quota: -1, period: 100000 }, pids: { limit: 0 } };
    const vals = (m: ReturnType<typeof v1>) => m.plannedWrites(r).map((x) => `${x.file.split("/").pop()}=${x.value}`);
    assert.deepEqual(vals(v2()), ["cpu.max=max 100000", "memory.swap.max=max", "memory.max=max", "pids.max=max"]);
    assert.deepEqual(vals(v1()), ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=-1", "memory.limit_in_bytes=-1", "memory.memsw.limit_in_bytes=-1", "pids.max=max"]);
    assert.equal(v1().plannedWrites({ pids: { limit: -1 } })[0]!.value, "max");
  });
  it("no resources plan no writes", () => {
    assert.deepEqual(v1().plannedWrites({}), []);
    assert.deepEqual(v2().plannedWrites({}), []);
  });
  it("hugetlb: skipped silently on hybrid without a limit, a clear error with one", () => {
    assert.deepEqual(v1().plannedWrites({ hugepageLimits: [] }), []);
    assert.throws(() => v1().plannedWrites({ hugepageLimits: [{ pageSize: "2MB", limit: 4194304 }] }), /hugepageLimits: the hugetlb controller is not available/);
    const withHuge: CgroupMounts = { ...hybrid, v1: new Map([...hybrid.v1, ["hugetlb", `${R}/hugetlb`]]) };
    const m = cgroupManager({ cgroupsPath: undefined, id: "c1", fs: new MemFs(), mounts: withHuge, selfCgroup: SELF_V1 });
    assert.deepEqual(m.plannedWrites({ hugepageLimits: [{ pageSize: "2MB", limit: 4194304 }] }), [{ file: `${R}/hugetlb/berth/c1/hugetlb.2MB.limit_in_bytes`, value: "4194304" }]);
    assert.deepEqual(v2().plannedWrites({ hugepageLimits: [{ pageSize: "1GB", limit: 0 }] }).map((x) => x.file), [`${R}/berth/c1/hugetlb.1GB.max`]);
  });
  it("unified map is an error on v1", () => {
    assert.throws(() => v1().plannedWrites({ unified: { "memory.high": "1" } }), /linux.resources.unified: only supported on cgroup v2/);
  });
});

describe("conversions", () => {
  it("shares -> weight (runc/crun linear formula)", () => {
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(262144), 10000);
    assert.equal(sharesToWeight(512), 20);
  });
  it("blkio weight -> io.weight", () => {
    assert.equal(blkioToIoWeight(10), 1);
    assert.equal(blkioToIoWeight(1000), 10000);
    assert.equal(blkioToIoWeight(500), 4950);
  });
  it("v2 swap is swap - limit", () => {
    const plan = v2().plannedWrites({ memory: { limit: 100, swap: 300 } });
    assert.equal(plan[0]!.value, "200");
    assert.throws(() => v2().plannedWrites({ memory: { swap: 300 } }), /needs a memory limit/);
  });
});

describe("validateResources", () => {
  it("names the field", () => {
    assert.deepEqual(validateResources({ memory: { limit: -5 } }, 1), ["linux.resources.memory.limit: -5 is not a valid limit"]);
    assert.deepEqual(validateResources({ pids: { limit: -2 } }, 2), ["linux.resources.pids.limit: -2 is not a valid limit (-1 or 0 for unlimited)"]);
  });
  it("accepts a sane config on both versions", () => {
    assert.deepEqual(validateResources(FULL, 1), []);
    assert.deepEqual(validateResources(FULL, 2), []);
  });
  it("version specific rules", () => {
    assert.match(validateResources({ memory: { limit: 200, swap: 100 } }, 1)[0]!, /memory.swap: 100 is less than memory.limit 200/);
    assert.match(validateResources({ memory: { swap: 100 } }, 2)[0]!, /memory.swap: a swap limit needs a memory limit/);
    assert.match(validateResources({ cpu: { realtimeRuntime: 1000 } }, 2)[0]!, /realtime/);
    assert.deepEqual(validateResources({ cpu: { realtimeRuntime: 1000, realtimePeriod: 10000 } }, 1), []);
    assert.match(validateResources({ unified: { "a.b": "1" } }, 1)[0]!, /unified: only supported on cgroup v2/);
    assert.match(validateResources({ unified: { "../x": "1" } }, 2)[0]!, /is not a cgroup file name/);
    assert.match(validateResources({ unified: { "cgroup.procs": "1" } }, 2)[0]!, /may not be set/);
  });
  it("ranges and formats", () => {
    const e = validateResources({
      cpu: { shares: 1, quota: 10, period: 5, cpus: "0-a", idle: 2 },
      memory: { swappiness: 101, reservation: 1.5 },
      blockIO: { weight: 5, throttleReadBpsDevice: [{ major: -1, minor: 0, rate: -3 }] },
      hugepageLimits: [{ pageSize: "2M", limit: 1 }],
    }, 1);
    for (const f of ["cpu.shares", "cpu.quota", "cpu.period", "cpu.cpus", "cpu.idle", "memory.swappiness", "memory.reservation", "blockIO.weight",
      "blockIO.throttleReadBpsDevice[0].major", "blockIO.throttleReadBpsDevice[0].rate", "hugepageLimits[0].pageSize"])
      assert.ok(e.some((x) => x.startsWith(`linux.resources.${f}:`)), `missing error for ${f}: ${e.join(" | ")}`);
  });
  it("apply refuses invalid resources before writing", () => {
    const fs = new MemFs();
    assert.throws(() => v1(undefined, fs).apply({ memory: { limit: -5 } }), /memory.limit: -5/);
    assert.equal(fs.writes.length, 0);
  });
});

// A fake v1 host: each hierarchy root exists with the files the kernel would create.
function fakeV1Host(): MemFs {
  const files = (dir: string): Record<string, string> => {
    const base: Record<string, string> = { "cgroup.procs": "" };
    if (dir.startsWith(`${R}/cpuset`)) Object.assign(base, { "cpuset.cpus": "", "cpuset.mems": "" });
    if (dir.startsWith(`${R}/memory`)) Object.assign(base, { "memory.limit_in_bytes": "9223372036854771712", "memory.memsw.limit_in_bytes": "9223372036854771712", "memory.usage_in_bytes": "4096", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n" });
    if (dir.startsWith(`${R}/pids`)) Object.assign(base, { "pids.max": "max", "pids.current": "1" });
    if (dir.startsWith(`${R}/cpu/`)) Object.assign(base, { "cpu.cfs_quota_us": "-1", "cpu.cfs_period_us": "100000", "cpu.stat": "nr_periods 5\nnr_throttled 2\nthrottled_time 3000\n" });
    if (dir.startsWith(`${R}/cpuacct/`)) Object.assign(base, { "cpuacct.usage": "1000", "cpuacct.usage_user": "600", "cpuacct.usage_sys": "400" });
    if (dir.startsWith(`${R}/blkio/`)) Object.assign(base, { "blkio.bfq.weight": "100" });
    if (dir.startsWith(`${R}/freezer/`)) Object.assign(base, { "freezer.state": "THAWED" });
    return base;
  };
  const fs = new MemFs([], files);
  for (const root of new Set(hybrid.v1.values())) fs.addDir(root, { "cgroup.procs": "1\n" });
  fs.addDir(`${R}/cpuset`, { "cgroup.procs": "1\n", "cpuset.cpus": "0-1", "cpuset.mems": "0" });
  return fs;
}

describe("v1 lifecycle on a fake fs", () => {
  it("create makes every dir and copies cpuset cpus/mems down each level", () => {
    const fs = fakeV1Host();
    const m = v1(undefined, fs);
    assert.equal(m.exists(), false);
    m.create();
    assert.equal(m.exists(), true);
    for (const p of m.paths()) assert.ok(fs.dirs.has(p), p);
    assert.equal(fs.read(`${R}/cpuset/berth/cpuset.cpus`), "0-1");
    assert.equal(fs.read(`${R}/cpuset/berth/c1/cpuset.mems`), "0");
    m.create(); // idempotent
  });
  it("cpuset: new levels get the values of the deepest existing one, read once", () => {
    const fs = fakeV1Host();
    fs.addDir(`${R}/cpuset/berth`, { "cgroup.procs": "", "cpuset.cpus": "1", "cpuset.mems": "0" }); // restricted by an admin
    const reads: string[] = [];
    const read = fs.read.bind(fs);
    fs.read = (p: string) => (p.includes("/cpuset") && reads.push(p), read(p));
    v1(undefined, fs).create();
    fs.read = read;
    assert.equal(fs.read(`${R}/cpuset/berth/c1/cpuset.cpus`), "1");
    assert.deepEqual(reads, [`${R}/cpuset/berth/cpuset.cpus`, `${R}/cpuset/berth/cpuset.mems`]);
    assert.deepEqual(fs.writes.filter((w) => w.file.includes("/cpuset/")).map((w) => w.file.replace(`${R}/cpuset/`, "")), ["berth/c1/cpuset.cpus", "berth/c1/cpuset.mems"]);
    // an existing level left empty by someone else: every level is checked and filled
    const fs2 = fakeV1Host();
    fs2.addDir(`${R}/cpuset/berth`, { "cgroup.procs": "", "cpuset.cpus": "", "cpuset.mems": "" });
    v1(undefined, fs2).create();
    assert.equal(fs2.read(`${R}/cpuset/berth/cpuset.cpus`), "0-1");
    assert.equal(fs2.read(`${R}/cpuset/berth/c1/cpuset.cpus`), "0-1");
    assert.equal(fs2.read(`${R}/cpuset/berth/c1/cpuset.mems`), "0");
  });
  it("mkdirAll returns the levels it made, retries a parent removed meanwhile, and refuses a missing hierarchy", () => {
    const fs = fakeV1Host();
    assert.deepEqual(mkdirAll(fs, `${R}/memory`, "/berth/a"), [`${R}/memory/berth`, `${R}/memory/berth/a`]);
    assert.deepEqual(mkdirAll(fs, `${R}/memory`, "/berth/b"), [`${R}/memory/berth/b`]);
    assert.deepEqual(mkdirAll(fs, `${R}/memory`, "/berth/b"), []);
    // another container's destroy removed the shared parent between two of our steps: once, then fine
    const mkdirp = fs.mkdirp.bind(fs);
    let raced = 0;
    fs.mkdirp = (p: string) => (raced++ === 0 ? (() => { throw new CgroupError("mkdir", p, "ENOENT"); })() : mkdirp(p));
    assert.deepEqual(mkdirAll(fs, `${R}/memory`, "/berth/c"), [`${R}/memory/berth/c`]);
    assert.equal(raced, 2);
    fs.mkdirp = mkdirp;
    // no hierarchy mounted where the manager expects one: an error, not directories on the cgroup tmpfs
    assert.throws(() => mkdirAll(fs, `${R}/nosuch`, "/berth/a"), /mkdir .*\/nosuch: ENOENT \(no cgroup hierarchy is mounted there\)/);
    assert.ok(![...fs.dirs].some((d) => d.startsWith(`${R}/nosuch`)), "what mkdir -p made there is removed");
  });
  it("apply writes the plan; EINVAL ordering is retried; bfq weight fallback", () => {
    const fs = fakeV1Host();
    const m = v1(undefined, fs);
    m.create();
    fs.writes.length = 0;
    const mem = `${R}/memory/berth/c1`;
    fs.failWrites.set(`${mem}/memory.limit_in_bytes`, "EINVAL"); // e.g. raising limit above the current memsw
    m.apply({ memory: { limit: 1000000, swap: 2000000 }, blockIO: { weight: 300 } });
    assert.deepEqual(fs.writes.map((x) => x.file.replace(`${R}/`, "")), [
      "memory/berth/c1/memory.memsw.limit_in_bytes", "blkio/berth/c1/blkio.bfq.weight", "memory/berth/c1/memory.limit_in_bytes",
    ]);
    assert.equal(fs.read(`${mem}/memory.limit_in_bytes`), "1000000");
  });
  it("a write error carries op, path and errno", () => {
    const fs = fakeV1Host();
    const m = v1(undefined, fs);
    m.create();
    fs.failWrites.set(`${R}/pids/berth/c1/pids.max`, "EACCES");
    assert.throws(() => m.apply({ pids: { limit: 5 } }), { message: `write ${R}/pids/berth/c1/pids.max: EACCES (permission denied)` });
  });
  it("freeze/thaw, pids, stats", () => {
    const fs = fakeV1Host();
    const m = v1(undefined, fs);
    m.create();
    fs.files.set(`${R}/pids/berth/c1/cgroup.procs`, "42\n43\n");
    fs.addDir(`${R}/pids/berth/c1/sub`, { "cgroup.procs": "44\n" });
    assert.deepEqual(m.pids().sort(), [42, 43, 44]);
    m.freeze();
    assert.equal(m.frozen(), true);
    m.thaw();
    assert.equal(m.frozen(), false);
    const s = m.stats();
    assert.equal(s.memory.usage, 4096);
    assert.equal(s.memory.limit, undefined, "the v1 'unlimited' sentinel reads as no limit");
    assert.equal(s.memory.oomKills, 2);
    assert.deepEqual(s.cpu, { usageTotalNs: 1000, usageUserNs: 600, usageSystemNs: 400, periods: 5, throttledPeriods: 2, throttledTimeNs: 3000 });
    assert.deepEqual(s.pids, { current: 1, limit: undefined });
  });
  it("destroy removes leaf-first, retries EBUSY, removes the empty /berth parent, ignores ENOENT", () => {
    const fs = fakeV1Host();
    const m = v1(undefined, fs);
    m.create();
    fs.addDir(`${R}/pids/berth/c1/sub`, { "cgroup.procs": "" });
    fs.failRmdir.set(`${R}/memory/berth/c1`, { code: "EBUSY", times: 2 });
    m.destroy();
    assert.equal(m.exists(), false);
    assert.ok(![...fs.dirs].some((d) => d.includes("/berth")), [...fs.dirs].join(","));
    m.destroy(); // already gone: no error
  });
  it("destroy keeps /berth while another container lives there, and fails on persistent EBUSY", () => {
    const fs = fakeV1Host();
    const a = v1(undefined, fs);
    const b = cgroupManager({ cgroupsPath: undefined, id: "c2", fs, mounts: hybrid, selfCgroup: SELF_V1 });
    a.create();
    b.create();
    a.destroy();
    assert.ok(fs.dirs.has(`${R}/memory/berth/c2`));
    fs.failRmdir.set(`${R}/memory/berth/c2`, { code: "EBUSY", times: 1000 });
    const t0 = Date.now();
    assert.throws(() => b.destroy(), /rmdir \/sys\/fs\/cgroup\/memory\/berth\/c2: EBUSY/);
    assert.ok(Date.now() - t0 < 3000);
  });
});

// v2 fake: subtree_control accumulates "+ctrl" writes; a child's cgroup.controllers = parent's subtree_control.
class V2Fs extends MemFs {
  constructor() {
    super([], (dir) => {
      const parent = dir.slice(0, dir.lastIndexOf("/"));
      return { "cgroup.controllers": this.files.get(`${parent}/cgroup.subtree_control`) ?? "", "cgroup.subtree_control": "", "cgroup.procs": "", "cgroup.freeze": "0", "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.kill": "", "pids.max": "max", "memory.max": "max", "memory.swap.max": "max", "cpu.max": "max 100000" };
    });
    this.addDir(R, { "cgroup.controllers": "cpuset cpu io memory pids", "cgroup.subtree_control": "", "cgroup.procs": "1\n" });
  }
  override write(p: string, value: string): void {
    if (p.endsWith("/cgroup.subtree_control") && value.startsWith("+")) {
      const cur = this.read(p).split(" ").filter(Boolean);
      super.write(p, [...cur, value.slice(1)].join(" "));
      return;
    }
    super.write(p, value);
    if (p.endsWith("/cgroup.freeze")) this.files.set(p.replace("cgroup.freeze", "cgroup.events"), `populated 0\nfrozen ${value}\n`);
  }
}

describe("v2 lifecycle on a fake fs", () => {
  it("create enables controllers in each ancestor, apply writes, missing controller is a clear error", () => {
    const fs = new V2Fs();
    const m = v2(undefined, fs);
    m.create();
    assert.equal(fs.read(`${R}/cgroup.subtree_control`), "cpuset cpu io memory pids");
    assert.equal(fs.read(`${R}/berth/cgroup.subtree_control`), "cpuset cpu io memory pids");
    assert.equal(fs.read(`${R}/berth/c1/cgroup.controllers`), "cpuset cpu io memory pids");
    m.apply({ memory: { limit: 1000, swap: 1000 }, pids: { limit: 3 }, cpu: { quota: 20000 } });
    assert.equal(fs.read(`${R}/berth/c1/memory.max`), "1000");
    assert.equal(fs.read(`${R}/berth/c1/memory.swap.max`), "0");
    assert.equal(fs.read(`${R}/berth/c1/pids.max`), "3");
    assert.equal(fs.read(`${R}/berth/c1/cpu.max`), "20000");
    assert.throws(() => m.apply({ hugepageLimits: [{ pageSize: "2MB", limit: 0 }] }), /hugepageLimits: the hugetlb controller is not enabled/);
  });
  it("freeze waits for cgroup.events, killAll(SIGKILL) uses cgroup.kill, destroy cleans up", () => {
    const fs = new V2Fs();
    const m = v2(undefined, fs);
    m.create();
    m.freeze();
    assert.equal(m.frozen(), true);
    m.thaw();
    assert.equal(m.frozen(), false);
    m.killAll(9);
    assert.deepEqual(fs.writes.at(-1), { file: `${R}/berth/c1/cgroup.kill`, value: "1" });
    m.destroy();
    assert.equal(fs.dirs.has(`${R}/berth`), false);
  });
  it("freeze times out with an error and thaws again when the kernel never reports frozen", () => {
    const fs = new V2Fs();
    const m = v2(undefined, fs);
    m.create();
    const orig = fs.write.bind(fs);
    fs.write = (p, v) => { orig(p, v); if (p.endsWith("cgroup.freeze")) fs.files.set(p.replace("cgroup.freeze", "cgroup.events"), "frozen 0\n"); };
    assert.throws(() => m.freeze(), /freeze .*EBUSY.*did not report frozen 1/);
    assert.equal(fs.read(`${R}/berth/c1/cgroup.freeze`), "0");
  });
});

describe("real fs errors", () => {
  it("carry op, path and errno", () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-cg-"));
    try {
      assert.throws(() => realFs.write(`${dir}/nope`, "1"), { message: `write ${dir}/nope: ENOENT (no such file or directory)` });
      assert.throws(() => realFs.rmdir(`${dir}/nope`), (e: unknown) => e instanceof CgroupError && e.code === "ENOENT" && e.op === "rmdir");
      realFs.mkdir(`${dir}/a`);
      assert.throws(() => realFs.mkdir(`${dir}/a`), /^CgroupError: mkdir .*: EEXIST \(file exists\)$|mkdir .*: EEXIST \(file exists\)/);
      assert.deepEqual(realFs.readdir(dir), [{ name: "a", dir: true }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
