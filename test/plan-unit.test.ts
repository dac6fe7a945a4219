// The plan compiler without root: golden plans, the wire format, and validation errors.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePlan, type CompileContext } from "../src/runtime/plan/compile.ts";
import { encodePlan } from "../src/runtime/plan/encode.ts";
import { formatPlan } from "../src/runtime/plan/format.ts";
import { Op } from "../src/runtime/plan/ops.ts";
import { defaultSpec } from "../src/runtime/default-spec.ts";
import { parseSpec, SpecError, validateSpec } from "../src/runtime/validate.ts";
import type { Spec } from "../src/runtime/spec.ts";

const GOLDEN = join(import.meta.dir, "golden");
const ctx = (o: Partial<CompileContext> = {}): CompileContext => ({
  rootfs: "/bundle/rootfs",
  bundle: "/bundle",
  cgroupProcs: ["/sys/fs/cgroup/cpu/berth/c1/tasks", "/sys/fs/cgroup/memory/berth/c1/tasks"],
  cgroupVersion: 1,
  cgroupMounts: [
    { name: "cpu", hostPath: "/sys/fs/cgroup/cpu/berth/c1", options: "cpu" },
    { name: "memory", hostPath: "/sys/fs/cgroup/memory/berth/c1", options: "memory" },
  ],
  mode: "detached",
  execFifo: "/run/berth-runtime/c1/exec.fifo",
  isDirectory: (p) => !p.endsWith(".conf"),
  hostCaps: (1n << 64n) - 1n,
  ...o,
});

function golden(name: string, text: string): void {
  const path = join(GOLDEN, `${name}.plan`);
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) writeFileSync(path, text);
  assert.equal(text, readFileSync(path, "utf8"), `plan differs from ${path} (UPDATE_GOLDEN=1 to accept)`);
}

describe("plan compiler", () => {
  it("compiles runc's default spec (golden)", () => {
    const spec = defaultSpec({ terminal: false, args: ["sh", "-c", "echo hi"] });
    golden("default", formatPlan(compilePlan(spec, ctx())));
  });

  it("compiles a user namespace, bind mounts, sysctls, rlimits and a console (golden)", () => {
    const spec = defaultSpec({ terminal: true, args: ["/bin/app"] });
    spec.process!.consoleSize = { height: 40, width: 120 };
    spec.linux!.namespaces!.push({ type: "user" });
    spec.linux!.namespaces = spec.linux!.namespaces!.map((n) => (n.type === "network" ? { type: "network", path: "/var/run/netns/n1" } : n));
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.sysctl = { "net.ipv4.ip_forward": "1" };
    spec.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 }];
    spec.process!.oomScoreAdj = 100;
    spec.mounts!.push({ destination: "/data", source: "vol", type: "bind", options: ["rbind", "ro", "rprivate"] });
    spec.mounts!.push({ destination: "/etc/app.conf", source: "/host/app.conf", options: ["bind", "nosuid"] });
    golden("userns", formatPlan(compilePlan(validateSpec(spec), ctx({ consoleSocket: "/tmp/console.sock", mode: "foreground", execFifo: undefined }))));
  });

  it("orders the steps safely", () => {
    const plan = compilePlan(defaultSpec({ terminal: false }), ctx());
    const idx = (op: string, from = 0) => plan.steps.findIndex((s, i) => i >= from && s.op === op);
    const clone = idx("CLONE");
    const childStart = Number(plan.steps[clone]!.args[1]);
    assert.ok(plan.steps.slice(0, childStart).every((s) => s.who === "parent"));
    assert.ok(plan.steps.slice(childStart).every((s) => s.who === "child"));
    assert.equal(plan.steps[childStart - 1]!.op, "EXIT");
    // cgroups are joined before clone, so the cgroup namespace is rooted at the container's cgroup
    assert.ok(plan.steps.findIndex((s) => s.what.startsWith("join cgroup")) < clone);
    // masks come after pivot_root; privileges drop after everything that needs them; exec is last
    assert.ok(idx("PIVOT_ROOT") < idx("MASK_PATH"));
    assert.ok(idx("MASK_PATH") < idx("CAPS"));
    assert.ok(idx("SETRESUID", childStart) < idx("CAPS"));
    assert.ok(idx("CLOSE_FDS") < idx("REPORT_READY") && idx("REPORT_READY") < idx("WAIT_FIFO"));
    assert.equal(plan.steps.at(-1)!.op, "EXEC");
  });

  it("v2: clones the child into its cgroup and roots a new cgroup namespace there", () => {
    const dir = "/sys/fs/cgroup/berth/c1";
    const plan = compilePlan(defaultSpec({ terminal: false }), ctx({ cgroupVersion: 2, cgroupProcs: [`${dir}/cgroup.procs`], cloneIntoCgroup: dir }));
    const clone = plan.steps.findIndex((s) => s.op === "CLONE");
    const childStart = Number(plan.steps[clone]!.args[1]);
    // nobody migrates: no join, the cgroup directory is opened and handed to clone3
    assert.ok(!plan.steps.some((s) => s.op === "WRITE_FILE" && String(s.args[0]).endsWith("cgroup.procs")));
    const open = plan.steps.findIndex((s) => s.op === "OPEN_FD" && s.args[0] === dir);
    assert.ok(open >= 0 && open < clone);
    assert.equal(plan.steps[clone]!.args[2], plan.steps[open]!.args[2], "clone gets the cgroup fd");
    // CLONE_NEWCGROUP would root the namespace at the helper's cgroup: the child unshares it
    assert.equal(Number(plan.steps[clone]!.args[0]) & 0x02000000, 0);
    const unshare = plan.steps.findIndex((s, i) => i >= childStart && s.op === "UNSHARE");
    assert.equal(plan.steps[unshare]!.args[0], 0x02000000);
    assert.ok(unshare < plan.steps.findIndex((s) => s.op === "PIVOT_ROOT"));
    // the fd does not outlive the clone in the parent; v1 plans clone with no fd
    assert.ok(plan.steps.some((s, i) => i > clone && i < childStart && s.op === "CLOSE" && s.args[0] === plan.steps[open]!.args[2]));
    assert.equal(compilePlan(defaultSpec({ terminal: false }), ctx()).steps.find((s) => s.op === "CLONE")!.args[2], -1);
  });

  it("cgroup gate (v1): the child joins after clone, once create's byte says the cgroup exists", () => {
    const plan = compilePlan(defaultSpec({ terminal: false }), ctx({ cgroupGate: true }));
    const clone = plan.steps.findIndex((s) => s.op === "CLONE");
    const childStart = Number(plan.steps[clone]!.args[1]);
    const joins = plan.steps.flatMap((s, i) => (s.what.startsWith("join cgroup") ? [i] : []));
    const go = plan.steps.findIndex((s) => s.op === "WAIT_GO");
    assert.equal(joins.length, 2);
    // the parent clones at once (the namespaces are made while the cgroup is); the child waits, then joins
    assert.ok(go > childStart && joins.every((j) => j > go), "joins follow the child's WAIT_GO");
    assert.equal(plan.steps[go]!.args[0], 16, "the go pipe's fd");
    assert.ok(plan.steps.some((s, i) => i > clone && i < childStart && s.op === "CLOSE" && s.args[0] === 16), "the parent closes its copy");
    // the cgroup namespace is made after the joins, so it is rooted at the container's cgroup
    assert.equal(Number(plan.steps[clone]!.args[0]) & 0x02000000, 0);
    const unshare = plan.steps.findIndex((s) => s.op === "UNSHARE");
    assert.equal(plan.steps[unshare]!.args[0], 0x02000000);
    assert.ok(unshare > Math.max(...joins));
    // no gate (plans printed for another caller, rootless): the parent joins before clone, as before
    const plain = compilePlan(defaultSpec({ terminal: false }), ctx());
    assert.ok(!plain.steps.some((s) => s.op === "WAIT_GO"));
  });

  it("cgroup gate (v1): the head (up to the child's steps) comes first; the child joins before the first mount that shows cgroups", async () => {
    const { compileInPhases } = await import("../src/runtime/plan/compile.ts");
    const spec = defaultSpec({ terminal: false });
    const phases = compileInPhases(spec, ctx({ cgroupGate: true }));
    const head = phases.next();
    assert.ok(!head.done && head.value.split, "the child joins itself: the head may go alone");
    let r = phases.next();
    while (!r.done) r = phases.next();
    const plan = r.value;
    const steps = head.done ? [] : head.value.steps;
    const clone = steps.findIndex((s) => s.op === "CLONE");
    assert.equal(Number(steps[clone]!.args[1]), steps.length, "the child's steps start where the head ends");
    assert.ok(steps.every((s) => s.who === "parent"));
    assert.deepEqual(plan.steps.slice(0, steps.length), steps);
    const at = (re: RegExp) => plan.steps.findIndex((s) => re.test(s.what));
    const go = plan.steps.findIndex((s) => s.op === "WAIT_GO");
    assert.ok(at(/^mount sysfs on \/sys/) < go && at(/^mount proc/) < go, "proc and sysfs are mounted before the gate");
    assert.ok(go < at(/mount point \/sys\/fs\/cgroup$/) && go < at(/^mount cgroup/), "the cgroup mounts come after the join");
    assert.ok(go < plan.steps.findIndex((s) => s.op === "PIVOT_ROOT"));
    // without a cgroup mount: the join comes after the mounts and devices, before pivot_root
    const bare = defaultSpec({ terminal: false });
    bare.mounts = bare.mounts!.filter((m) => m.type !== "cgroup");
    const p2 = compilePlan(bare, ctx({ cgroupGate: true }));
    const go2 = p2.steps.findIndex((s) => s.op === "WAIT_GO");
    assert.ok(go2 > p2.steps.findIndex((s) => s.op === "MKNOD_IN_ROOT") && go2 < p2.steps.findIndex((s) => s.op === "PIVOT_ROOT"));
    // a parent that waits before clone (user namespace, v2 clone into the cgroup): not split
    const dir = "/sys/fs/cgroup/berth/c1";
    const v2 = compileInPhases(defaultSpec({ terminal: false }), ctx({ cgroupGate: true, cgroupVersion: 2, cgroupProcs: [`${dir}/cgroup.procs`], cloneIntoCgroup: dir })).next();
    assert.ok(!v2.done && !v2.value.split);
  });

  it("cgroup gate with a user namespace, or into a v2 cgroup: the helper waits before it joins or clones", () => {
    const spec = defaultSpec({ terminal: false });
    spec.linux!.namespaces!.push({ type: "user" });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const dir = "/sys/fs/cgroup/berth/c1";
    for (const plan of [
      compilePlan(validateSpec(spec), ctx({ cgroupGate: true })),
      compilePlan(defaultSpec({ terminal: false }), ctx({ cgroupGate: true, cgroupVersion: 2, cgroupProcs: [`${dir}/cgroup.procs`], cloneIntoCgroup: dir })),
    ]) {
      const clone = plan.steps.findIndex((s) => s.op === "CLONE");
      const go = plan.steps.findIndex((s) => s.op === "WAIT_GO");
      assert.ok(go >= 0 && go < clone && plan.steps[go]!.who === "parent");
      for (const [i, s] of plan.steps.entries()) if (s.what.startsWith("join cgroup") || (s.op === "OPEN_FD" && s.args[0] === dir)) assert.ok(i > go && i < clone);
    }
  });

  it("cgroup gate, monitor mode: a monitor that never joined has no cgroup to leave", () => {
    const monitor = { logPath: "/l", logMaxSize: 0, logMaxFiles: 1, exitFile: "/e", attachSocket: "/a", stdin: false, exitCommand: ["/berth", "x"] };
    const leave = ["/sys/fs/cgroup/cpu/tasks"];
    const gated = compilePlan(defaultSpec({ terminal: false }), ctx({ cgroupGate: true, mode: "monitor", monitor, leaveCgroup: leave }));
    assert.ok(!gated.steps.some((s) => s.what.startsWith("leave the container's cgroup")));
    const plain = compilePlan(defaultSpec({ terminal: false }), ctx({ mode: "monitor", monitor, leaveCgroup: leave }));
    assert.ok(plain.steps.some((s) => s.what.startsWith("leave the container's cgroup")));
  });

  it("refuses a container without /proc where its init needs it (read-only root), not for the exec fifo", () => {
    const noProc = (readonly: boolean) => {
      const spec = defaultSpec({ terminal: false });
      spec.mounts = spec.mounts!.filter((m) => m.destination !== "/proc");
      spec.root!.readonly = readonly;
      return spec;
    };
    // the init inherits the exec fifo open from the helper: it needs no /proc to wait for start
    const created = compilePlan(noProc(false), ctx());
    assert.ok(created.steps.some((s) => s.op === "WAIT_FIFO"));
    const open = created.steps.find((s) => s.op === "OPEN_FD" && s.args[0] === "/run/berth-runtime/c1/exec.fifo");
    assert.equal(open?.who, "parent");
    assert.equal(open?.args[1], 2 /* O_RDWR: no path lookup by the init */);
    assert.throws(() => compilePlan(noProc(true), ctx({ mode: "foreground", execFifo: undefined })), /root\.readonly/);
    // run without a fifo and with a writable root needs no /proc
    assert.ok(compilePlan(noProc(false), ctx({ mode: "foreground", execFifo: undefined })).steps.length > 0);
  });

  it("loads seccomp late with no_new_privs and early without", () => {
    const seccomp = { program: new Uint8Array(16), flags: 0 };
    const withNnp = compilePlan(defaultSpec({ terminal: false }), ctx({ seccomp }));
    const ops = withNnp.steps.map((s) => s.op);
    assert.ok(ops.indexOf("SECCOMP") > ops.indexOf("WAIT_FIFO"));
    const spec = defaultSpec({ terminal: false });
    spec.process!.noNewPrivileges = false;
    const without = compilePlan(spec, ctx({ seccomp })).steps.map((s) => s.op);
    assert.ok(without.indexOf("SECCOMP") < without.indexOf("SETRESUID", without.indexOf("CHDIR")));
  });

  it("monitor mode: the monitor leaves the container's cgroup and the init dies with it", () => {
    const plan = compilePlan(defaultSpec({ terminal: false }), ctx({
      mode: "monitor",
      execFifo: "/x/exec.fifo",
      leaveCgroup: ["/sys/fs/cgroup/cpu/tasks"],
      monitor: { logPath: "/x/log", logMaxSize: 1, logMaxFiles: 1, exitFile: "/x/exit", attachSocket: "/run/x.sock", stdin: false, exitCommand: ["/bin/true"] },
    }));
    const ops = plan.steps.map((s) => `${s.who} ${s.op}`);
    const mon = ops.indexOf("parent MONITOR");
    const leave = plan.steps.findIndex((s) => s.what.startsWith("leave the container's cgroup"));
    assert.ok(leave > ops.indexOf("parent CLONE") && leave < mon, "leaves after clone, before monitoring");
    assert.ok(ops.indexOf("child PDEATHSIG") > ops.lastIndexOf("child SETRESUID"), "set after the uid change that would clear it");
    assert.ok(ops.includes("child DUP2"), "stdio goes to the monitor's pipes");
  });

  it("refuses a terminal without a console socket", () => {
    assert.throws(() => compilePlan(defaultSpec({ terminal: true }), ctx()), /console-socket/);
  });
});

describe("plan wire format", () => {
  it("uses the opcodes of native/plan.h", () => {
    const header = readFileSync(join(import.meta.dir, "../native/plan.h"), "utf8");
    const cOps = Object.fromEntries([...header.matchAll(/OP_([A-Z0-9_]+) = (\d+)/g)].map((m) => [m[1], Number(m[2])]));
    assert.deepEqual(cOps, { ...Op });
  });

  it("encodes steps as documented", () => {
    const bytes = encodePlan({ planFd: 3, syncFd: 4, steps: [{ op: "SETRLIMIT", args: [7, 1024, -1n], what: "", who: "child" }, { op: "CHDIR", args: ["/tmp"], what: "", who: "child" }] });
    const dv = new DataView(bytes.buffer);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), "BPLN");
    assert.equal(dv.getUint32(4, true), 2, "version (native/plan.h PLAN_VERSION)");
    assert.equal(dv.getUint32(8, true), 2);
    assert.equal(dv.getUint16(12, true), Op.SETRLIMIT);
    assert.equal(dv.getUint16(14, true), 3);
    assert.equal(bytes[16], 0);
    assert.equal(dv.getBigInt64(17, true), 7n);
    assert.equal(dv.getBigInt64(35, true), -1n);
    const chdir = 43;
    assert.equal(dv.getUint16(chdir, true), Op.CHDIR);
    assert.equal(bytes[chdir + 4], 1);
    assert.equal(dv.getUint32(chdir + 5, true), 4);
    assert.equal(new TextDecoder().decode(bytes.subarray(chdir + 9, chdir + 13)), "/tmp");
    assert.equal(bytes[chdir + 13], 0);
    assert.equal(bytes.length, chdir + 14);
  });

  it("frames a plan with its byte length, at native/plan.h's version", async () => {
    const { encodeFrame } = await import("../src/runtime/plan/encode.ts");
    const header = readFileSync(join(import.meta.dir, "../native/plan.h"), "utf8");
    const steps = [{ op: "CHDIR" as const, args: ["/tmp"], what: "", who: "child" as const }];
    const plain = encodePlan({ planFd: 3, syncFd: 4, steps });
    assert.equal(new DataView(plain.buffer, plain.byteOffset).getUint32(4, true), Number(/#define PLAN_VERSION (\d+)/.exec(header)![1]));
    const frame = encodeFrame(steps);
    assert.equal(new DataView(frame.buffer, frame.byteOffset).getUint32(0, true), frame.length - 4);
    assert.deepEqual(frame.subarray(4), plain);
  });

  it("encodes every int64 and UTF-8 string exactly", () => {
    const nums = [0, -1, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53) + 1, 0x7fffffffffffffffn, -5n, 0xffffffffffffffffn];
    const strs = ["", "héllo ✓ 𝄞", "/sys/fs/cgroup/pids/berth/c1/tasks"];
    const bytes = encodePlan({ planFd: 3, syncFd: 4, steps: [{ op: "SETRLIMIT", args: [...nums, ...strs], what: "", who: "child" }] });
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    let off = 16;
    for (const n of nums) {
      assert.equal(bytes[off], 0);
      assert.equal(dv.getBigInt64(off + 1, true), BigInt.asIntN(64, BigInt(n)), `int64 ${n}`);
      off += 9;
    }
    for (const s of strs) {
      const utf8 = Buffer.from(s);
      assert.equal(bytes[off], 1);
      assert.equal(dv.getUint32(off + 1, true), utf8.length);
      assert.deepEqual(Buffer.from(bytes.subarray(off + 5, off + 5 + utf8.length)), utf8);
      assert.equal(bytes[off + 5 + utf8.length], 0);
      off += 6 + utf8.length;
    }
    assert.equal(bytes.length, off);
  });
});

describe("config validation", () => {
  const base = (): Spec => defaultSpec({ terminal: false });
  const problems = (edit: (s: Record<string, any>) => void): string[] => {
    const s = JSON.parse(JSON.stringify(base()));
    edit(s);
    try {
      validateSpec(s);
      return [];
    } catch (e) {
      assert.ok(e instanceof SpecError);
      return e.problems;
    }
  };

  it("accepts the default spec", () => {
    assert.deepEqual(problems(() => {}), []);
  });

  const cases: [string, (s: Record<string, any>) => void, RegExp][] = [
    ["missing ociVersion", (s) => delete s.ociVersion, /^ociVersion: is required/],
    ["relative cwd", (s) => (s.process.cwd = "tmp"), /^process\.cwd: must be an absolute path/],
    ["string uid", (s) => (s.process.user.uid = "0"), /^process\.user\.uid: must be an integer/],
    ["empty args", (s) => (s.process.args = []), /^process\.args: must contain/],
    ["unknown capability", (s) => s.process.capabilities.bounding.push("CAP_FLY"), /^process\.capabilities\.bounding\[3\]: unknown capability "CAP_FLY"/],
    ["unknown rlimit", (s) => (s.process.rlimits = [{ type: "RLIMIT_X", soft: 1, hard: 1 }]), /^process\.rlimits\[0\]\.type: unknown rlimit/],
    ["soft above hard", (s) => (s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 9, hard: 1 }]), /soft limit 9 exceeds hard limit 1/],
    ["relative mount destination", (s) => (s.mounts[0].destination = "proc"), /^mounts\[0\]\.destination: must be an absolute path/],
    ["unknown namespace", (s) => s.linux.namespaces.push({ type: "bogus" }), /unknown namespace type "bogus"/],
    ["duplicate namespace", (s) => s.linux.namespaces.push({ type: "pid" }), /namespace "pid" appears twice/],
    ["user namespace without maps", (s) => s.linux.namespaces.push({ type: "user" }), /^linux\.uidMappings: a new user namespace needs/],
    ["hostname without uts", (s) => (s.linux.namespaces = s.linux.namespaces.filter((n: { type: string }) => n.type !== "uts")), /^hostname: setting the hostname needs a uts namespace/],
    ["host sysctl", (s) => (s.linux.sysctl = { "kernel.panic": "1" }), /^linux\.sysctl\.kernel\.panic: is not namespaced/],
    ["cgroupsPath escape", (s) => (s.linux.cgroupsPath = "/a/../../b"), /must not contain "\.\."/],
    ["device type", (s) => (s.linux.devices = [{ path: "/dev/x", type: "z", major: 1, minor: 1 }]), /^linux\.devices\[0\]\.type: must be one of/],
    ["personality", (s) => (s.linux.personality = { domain: "LINUX32" }), /^linux\.personality: is not supported/],
  ];
  for (const [name, edit, re] of cases) {
    it(`names the field: ${name}`, () => {
      const p = problems(edit);
      assert.ok(p.some((x) => re.test(x)), `got: ${JSON.stringify(p)}`);
    });
  }

  it("reports JSON syntax errors", () => {
    assert.throws(() => parseSpec("{", "x/config.json"), /x\/config\.json is not valid JSON/);
  });
});

describe("start's release on the exec fifo", () => {
  // the init holds the fifo read-write while it lives; start writes without waiting for it
  const fifoIn = (dir: string) => {
    const { mknod, S_IFIFO } = require("../src/sys/ffi.ts") as typeof import("../src/sys/ffi.ts");
    const path = join(dir, "exec.fifo");
    mknod(path, S_IFIFO | 0o600);
    return path;
  };
  it("writes the init's byte and removes the fifo", async () => {
    const { release } = await import("../src/runtime/ops/start.ts");
    const dir = mkdtempSync(join(tmpdir(), "berth-fifo-"));
    const path = fifoIn(dir);
    const init = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      release(path, "c1");
      const b = Buffer.alloc(4);
      assert.equal(readSync(init, b), 1);
      assert.equal(b[0], 0x30);
      assert.ok(!existsSync(path));
    } finally {
      closeSync(init);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("fails at once when no init holds the fifo (it died), leaving the fifo", async () => {
    const { release } = await import("../src/runtime/ops/start.ts");
    const dir = mkdtempSync(join(tmpdir(), "berth-fifo-"));
    const path = fifoIn(dir);
    try {
      assert.throws(() => release(path, "c1"), /container c1 exited before it could be started/);
      assert.ok(existsSync(path));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("/proc/<pid>/stat", () => {
  it("reads the start time and zombie state after the last ')' of the command name", async () => {
    const { parseProcStat } = await import("../src/runtime/proc-stat.ts");
    const fields = (state: string) => [state, ...Array.from({ length: 18 }, (_, i) => String(i)), "424242", "0"].join(" ");
    assert.deepEqual(parseProcStat(`1234 (a) b) (c) ${fields("S")}\n`), { start: 424242, zombie: false });
    assert.deepEqual(parseProcStat(`7 (true) ${fields("Z")}`), { start: 424242, zombie: true });
    const own = parseProcStat(readFileSync("/proc/self/stat", "utf8"));
    assert.ok(own.start > 0 && !own.zombie);
  });
  it("tells the recorded process from a zombie, a reused pid and a gone one", async () => {
    const { isLiveAs } = await import("../src/runtime/proc-stat.ts");
    const fields = (state: string, start: number) => [state, ...Array.from({ length: 18 }, (_, i) => String(i)), String(start), "0"].join(" ");
    assert.equal(isLiveAs(`7 (sh) ${fields("S", 500)}`, 500), true);
    assert.equal(isLiveAs(`7 (sh) ${fields("Z", 500)}`, 500), false);
    assert.equal(isLiveAs(`7 (sh) ${fields("R", 501)}`, 500), false);
    assert.equal(isLiveAs(undefined, 500), false);
  });
});
