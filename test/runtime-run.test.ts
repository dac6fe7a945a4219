// The runtime core, end to end: real containers from a busybox bundle, run by
// bin/berth-runtime, asserting what the process inside saw and what the host holds.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { busyboxRootfs } from "./fixtures/images.ts";
import { bundle, cleanup, cleanupRootfs, rt, runIn, runtimeRoot, RUNTIME } from "./fixtures/bundle.ts";
import { cgroupMounts } from "../src/runtime/cgroups/detect.ts";
import { helperPath } from "../src/sys/paths.ts";
import { createContainer } from "../src/runtime/ops/create.ts";
import { StateStore } from "../src/runtime/state.ts";

const v2 = cgroupMounts().mode === "unified";
/** the container-side path of a cgroup file (cgroup namespace + the spec's cgroup mount) */
const cgFile = (ctrl: string, file: string) => (v2 ? `/sys/fs/cgroup/${file}` : `/sys/fs/cgroup/${ctrl}/${file}`);
const hostCg = (ctrl: string, id: string) => (v2 ? `/sys/fs/cgroup/berth/${id}` : `/sys/fs/cgroup/${ctrl}/berth/${id}`);

let root: string;
before(() => {
  root = runtimeRoot();
});
after(() => {
  cleanup(root);
  cleanupRootfs();
});

describe("isolation", () => {
  it("runs the process as PID 1 seeing only its own processes", () => {
    const r = runIn(root, bundle(["sh", "-c", "echo pid=$$; ls /proc | grep -c '^[0-9]'"]));
    assert.equal(r.code, 0, r.stderr);
    const [pidLine, count] = r.stdout.trim().split("\n");
    assert.equal(pidLine, "pid=1");
    // sh, ls and grep at most
    assert.ok(Number(count) <= 3, `saw ${count} processes`);
  });

  it("sees its own cgroup as the root of a cgroup namespace (v2: it was cloned into it)", () => {
    const r = runIn(root, bundle(["cat", "/proc/self/cgroup"]));
    assert.equal(r.code, 0, r.stderr);
    for (const line of r.stdout.trim().split("\n")) assert.match(line, /:\/$/, line);
  });

  // Mount targets are resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), missing directories
  // made there: a symlink in the image cannot send a mount, or a mkdir, to the host.
  it("keeps mounts through symlinks (absolute or ../) inside the rootfs", () => {
    const host = mkdtempSync(join(tmpdir(), "berth-escape-"));
    const rfs = mkdtempSync(join(tmpdir(), "berth-escape-rootfs-"));
    try {
      busyboxRootfs(rfs);
      mkdirSync(join(rfs, "mnt"), { recursive: true });
      // the links' targets as the container sees them; the same path exists on the host
      mkdirSync(join(rfs, host), { recursive: true });
      symlinkSync(host, join(rfs, "mnt/abs"));
      symlinkSync(`../../../../../../..${host}`, join(rfs, "mnt/rel"));
      const b = bundle(["sh", "-c", "stat -f -c %T /mnt/abs/a/b; stat -f -c %T /mnt/rel/c; ls -d /mnt/abs/a/b"], (s) => {
        s.root = { path: rfs, readonly: false };
        s.mounts!.push({ destination: "/mnt/abs/a/b", type: "tmpfs", source: "tmpfs", options: ["nosuid"] });
        s.mounts!.push({ destination: "/mnt/rel/c", type: "tmpfs", source: "tmpfs", options: ["nosuid"] });
      });
      const r = runIn(root, b);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split("\n"), ["tmpfs", "tmpfs", "/mnt/abs/a/b"]);
      // nothing was made on the host side of the symlinks; the directories are inside the rootfs
      assert.deepEqual(readdirSync(host), []);
      assert.ok(existsSync(join(rfs, host, "a/b")));
      assert.ok(existsSync(join(rfs, host, "c")));
      // links whose targets are missing inside the rootfs (an image's /etc/resolv.conf pointing
      // into /run/systemd): the targets are made inside the rootfs, as runc does, for a directory
      // and for a file bind; still nothing on the host
      rmSync(join(rfs, host), { recursive: true, force: true });
      mkdirSync(join(rfs, "etc"), { recursive: true });
      rmSync(join(rfs, "etc/resolv.conf"), { force: true });
      symlinkSync(`../../../..${host}/run/resolve/stub.conf`, join(rfs, "etc/resolv.conf"));
      symlinkSync("/mnt/hop2", join(rfs, "mnt/abs2")); // a link to a link to a missing directory
      symlinkSync(`${host}/deep/er`, join(rfs, "mnt/hop2"));
      const conf = join(host, "..", `${host.split("/").pop()}-resolv.conf`);
      writeFileSync(conf, "nameserver 192.0.2.1\n");
      const d = runIn(root, bundle(["sh", "-c", "stat -f -c %T /mnt/abs/d; stat -f -c %T /mnt/abs2/x; cat /etc/resolv.conf"], (s) => {
        s.root = { path: rfs, readonly: false };
        s.mounts!.push({ destination: "/mnt/abs/d", type: "tmpfs", source: "tmpfs", options: ["nosuid"] });
        s.mounts!.push({ destination: "/mnt/abs2/x", type: "tmpfs", source: "tmpfs", options: ["nosuid"] });
        s.mounts!.push({ destination: "/etc/resolv.conf", type: "bind", source: conf, options: ["rbind", "ro"] });
      }));
      rmSync(conf, { force: true });
      assert.equal(d.code, 0, d.stderr);
      assert.deepEqual(d.stdout.trim().split("\n"), ["tmpfs", "tmpfs", "nameserver 192.0.2.1"]);
      assert.ok(existsSync(join(rfs, host, "d")));
      assert.ok(existsSync(join(rfs, host, "deep/er/x")));
      assert.ok(existsSync(join(rfs, host, "run/resolve/stub.conf")));
      assert.deepEqual(readdirSync(host), []);
      // a loop of links: refused (ELOOP), nothing made
      symlinkSync("/mnt/loop-b", join(rfs, "mnt/loop-a"));
      symlinkSync("/mnt/loop-a", join(rfs, "mnt/loop-b"));
      const l = runIn(root, bundle(["true"], (s) => {
        s.root = { path: rfs, readonly: false };
        s.mounts!.push({ destination: "/mnt/loop-a/x", type: "tmpfs", source: "tmpfs", options: ["nosuid"] });
      }));
      assert.notEqual(l.code, 0);
      assert.match(l.stderr, /\/mnt\/loop-a\/x/);
      assert.deepEqual(readdirSync(host), []);
    } finally {
      rmSync(host, { recursive: true, force: true });
      rmSync(rfs, { recursive: true, force: true });
    }
  });

  it("has its own hostname", () => {
    const r = runIn(root, bundle(["hostname"], (s) => (s.hostname = "box-42")));
    assert.equal(r.stdout.trim(), "box-42");
  });

  it("sees only lo in a new network namespace", () => {
    const r = runIn(root, bundle(["cat", "/proc/net/dev"]));
    const ifaces = r.stdout.split("\n").slice(2).filter(Boolean).map((l) => l.split(":")[0]!.trim());
    assert.deepEqual(ifaces, ["lo"]);
  });

  it("brings lo up when asked (the engine's --network none), and leaves it down otherwise as runc", async () => {
    const down = runIn(root, bundle(["cat", "/sys/class/net/lo/flags"]));
    assert.equal(Number(down.stdout.trim()) & 1, 0, "runc leaves lo down");
    const b = bundle(["sleep", "30"]);
    await createContainer(new StateStore(root), { id: "lo-up", bundle: b.dir, loopbackUp: true });
    assert.equal(rt(root, ["start", "lo-up"]).code, 0);
    const up = rt(root, ["exec", "lo-up", "cat", "/sys/class/net/lo/flags"]);
    rt(root, ["delete", "--force", "lo-up"]);
    assert.equal(Number(up.stdout.trim()) & 1, 1, up.stderr);
  });

  it("cannot see the host's mounts", () => {
    const r = runIn(root, bundle(["cat", "/proc/self/mountinfo"]));
    assert.equal(r.code, 0, r.stderr);
    const points = r.stdout.split("\n").filter(Boolean).map((l) => l.split(" ")[4]);
    assert.ok(points.includes("/"), r.stdout);
    assert.ok(points.includes("/proc"));
    for (const p of points) assert.ok(!p!.startsWith("/work") && !p!.startsWith("/tmp/berth"), `host mount visible: ${p}`);
  });

  it("masks and write-protects /proc paths", () => {
    const r = runIn(root, bundle(["sh", "-c", "wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname && echo wrote"]));
    assert.ok(readFileSync("/proc/timer_list").length > 0, "the host's file has content");
    const [timers, firmware] = r.stdout.trim().split("\n");
    assert.equal(timers!.trim(), "0");
    assert.equal(firmware!.trim(), "0");
    assert.ok(!r.stdout.includes("wrote"));
    assert.match(r.stderr, /Read-only file system/);
  });

  it("bind-mounts a file whose parent directories the rootfs lacks (podman's /run/.containerenv)", () => {
    const src = `${root}/bound-file`;
    Bun.write(src, "from-the-host\n");
    const r = runIn(root, bundle(["cat", "/run/deep/er/file"], (s) => {
      s.root!.readonly = false;
      s.mounts!.push({ destination: "/run/deep/er/file", source: src, type: "bind", options: ["bind", "ro"] });
    }));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "from-the-host\n");
  });

  it("keeps a read-only root read-only", () => {
    const r = runIn(root, bundle(["touch", "/newfile"]));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Read-only file system/);
  });

  it("applies user, groups, cwd, env, umask and rlimits", () => {
    const r = runIn(
      root,
      bundle(["sh", "-c", "id; pwd; echo $GREETING; umask; ulimit -n"], (s) => {
        s.process!.user = { uid: 1000, gid: 1000, additionalGids: [5, 20], umask: 0o027 };
        s.process!.cwd = "/tmp";
        s.process!.env!.push("GREETING=hello");
        s.process!.rlimits = [{ type: "RLIMIT_NOFILE", soft: 321, hard: 500 }];
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /^uid=1000 gid=1000 groups=5,20/);
    assert.deepEqual(lines.slice(1), ["/tmp", "hello", "0027", "321"]);
  });

  it("gives exactly the capabilities the spec lists", () => {
    const r = runIn(root, bundle(["grep", "^Cap", "/proc/self/status"]));
    const caps = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(/:\s+/) as [string, string]));
    // CAP_KILL (5) | CAP_NET_BIND_SERVICE (10) | CAP_AUDIT_WRITE (29)
    const want = ((1n << 5n) | (1n << 10n) | (1n << 29n)).toString(16).padStart(16, "0");
    assert.equal(caps.CapEff, want);
    assert.equal(caps.CapBnd, want);
    assert.equal(caps.CapPrm, want);
    assert.equal(caps.CapInh, "0000000000000000");
  });

  it("sets no_new_privs when asked", () => {
    const r = runIn(root, bundle(["grep", "NoNewPrivs", "/proc/self/status"]));
    assert.match(r.stdout, /NoNewPrivs:\s+1/);
  });

  it("maps users in a new user namespace", () => {
    const r = runIn(
      root,
      bundle(["sh", "-c", "id -u; cat /proc/self/uid_map; ls /sys/fs/cgroup | wc -l"], (s) => {
        s.linux!.namespaces!.push({ type: "user" });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    const [uid, map, cgroups] = r.stdout.trim().split("\n");
    assert.equal(uid, "0");
    assert.ok(Number(cgroups) > 0, "the cgroup mount is populated");
    assert.deepEqual(map!.trim().split(/\s+/), ["0", "100000", "65536"]);
  });
});

describe("cgroups", () => {
  it("writes the memory limit and OOM-kills a memory hog", () => {
    const limit = 32 * 1024 * 1024;
    const b = bundle(["sh", "-c", `cat ${cgFile("memory", v2 ? "memory.max" : "memory.limit_in_bytes")}; exec dd if=/dev/zero of=/dev/null bs=96M count=1`], (s) => {
      s.linux!.resources = { memory: { limit, swap: limit } };
    });
    const r = runIn(root, b);
    assert.equal(r.stdout.split("\n")[0], String(limit));
    assert.ok(!r.stderr.includes("records out"), r.stderr);
    assert.equal(r.code, 137, `exit ${r.code}: ${r.stderr}`);
  });

  it("stops a fork loop at pids.max", () => {
    const b = bundle(["sh", "-c", `cat ${cgFile("pids", "pids.max")}; (for i in $(seq 1 30); do sleep 3 & done); read cur < ${cgFile("pids", "pids.current")}; echo current=$cur`], (s) => {
      s.linux!.resources = { pids: { limit: 10 } };
    });
    const r = runIn(root, b);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines[0], "10");
    assert.match(r.stderr, /can't fork|Resource temporarily unavailable/);
    const cur = Number(lines.at(-1)!.split("=")[1]);
    assert.ok(cur <= 10, `pids.current ${cur}`);
  });

  it("throttles with a cpu quota", () => {
    const stat = cgFile("cpu", "cpu.stat");
    const b = bundle(["sh", "-c", `yes > /dev/null & sleep 1; kill $!; cat ${stat}`], (s) => {
      s.linux!.resources = { cpu: { quota: 10000, period: 100000 } };
    });
    const r = runIn(root, b);
    assert.equal(r.code, 0, r.stderr);
    const throttled = Number(/nr_throttled (\d+)/.exec(r.stdout)?.[1]);
    assert.ok(throttled >= 3, `nr_throttled ${throttled}: ${r.stdout}`);
  });
});

describe("--init reaper", () => {
  it("runs the command under berth-init --init: signals forwarded, orphans reaped, status returned", () => {
    const b = bundle(["/sbin/berth-init", "--init", "--", "sh", "-c", "echo pid=$$; (sleep 0.1 &) ; exit 3"], (s) => {
      s.mounts!.push({ destination: "/sbin/berth-init", source: helperPath(), type: "bind", options: ["bind", "ro"] });
    });
    const r = runIn(root, b);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout.trim(), "pid=2");
  });
});

describe("devices cgroup", () => {
  it("allows the default devices and denies others, even with CAP_MKNOD", () => {
    // a real device of this host that opens without capabilities, so only the cgroup can refuse it
    const disk = readdirSync("/sys/block").map((d) => readFileSync(`/sys/block/${d}/dev`, "utf8").trim()).find((d) => !d.startsWith("7:"));
    const [type, major, minor] = disk ? ["b", ...disk.split(":")] : ["c", "10", "237"]; // else /dev/loop-control
    const b = bundle(["sh", "-c", `echo ok > /dev/null && echo null-ok; mknod /dev/disk0 ${type} ${major} ${minor} && echo made; head -c1 /dev/disk0 > /dev/null && echo read-disk`], (s) => {
      const caps = ["CAP_MKNOD", "CAP_DAC_OVERRIDE"];
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
    });
    const r = runIn(root, b, "devcg-1");
    assert.match(r.stdout, /null-ok/);
    assert.match(r.stdout, /made/, "mknod is allowed ('m' on every device, as runc)");
    assert.ok(!r.stdout.includes("read-disk"), "reading a disk must be denied");
    assert.match(r.stderr, /Operation not permitted/);
  });

  // the helper made /dev/null with the caller's umask (022) in a foreground run: 0644, so a
  // non-root process could not write to it; created-then-started containers had 0666
  it("makes the default devices 0666 whatever the caller's umask, in run and in create+start", async () => {
    const cmd = "ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | cut -c1-10; echo x > /dev/null && echo null-writable";
    const b = bundle(["sh", "-c", cmd], (s) => (s.process!.user = { uid: 1000, gid: 1000 }));
    const old = process.umask(0o077);
    try {
      for (const how of ["run", "create"]) {
        let out: string;
        if (how === "run") {
          const r = runIn(root, b, "devmode-run");
          assert.equal(r.code, 0, r.stderr);
          out = r.stdout;
        } else {
          // the init inherits create's stdout: a file of ours, read once the container stopped
          const log = join(b.dir, "out");
          const fd = openSync(log, "w");
          const c = spawnSync(RUNTIME, ["--root", root, "create", "--bundle", b.dir, "devmode-c"], { stdio: ["ignore", fd, fd] });
          closeSync(fd);
          assert.equal(c.status, 0, readFileSync(log, "utf8"));
          assert.equal(rt(root, ["start", "devmode-c"]).code, 0);
          for (let i = 0; i < 200 && JSON.parse(rt(root, ["state", "devmode-c"]).stdout).status !== "stopped"; i++) await Bun.sleep(5);
          out = readFileSync(log, "utf8");
          assert.equal(rt(root, ["delete", "devmode-c"]).code, 0);
        }
        assert.deepEqual(out.trim().split("\n"), [...Array(6).fill("crw-rw-rw-"), "null-writable"], `${how}: ${out}`);
      }
    } finally {
      process.umask(old);
    }
  });

  it("refuses a malformed device rule naming the field", () => {
    const b = bundle(["true"], (s) => (s.linux!.resources = { devices: [{ allow: true, type: "x" as "a", access: "rwz" }] }));
    const r = runIn(root, b);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /linux\.resources\.devices\[0\]\.type: must be a, b or c/);
    assert.match(r.stderr, /linux\.resources\.devices\[0\]\.access/);
  });
});

describe("lifecycle", () => {
  it("returns the exit code", () => {
    assert.equal(runIn(root, bundle(["sh", "-c", "exit 42"])).code, 42);
  });

  it("create waits for start; state, ps, pause and delete work; nothing is left", async () => {
    const id = "life-1";
    const b = bundle(["sh", "-c", "echo started > /dev/shm/x; sleep 60"]);
    const c = rt(root, ["create", "--bundle", b.dir, "--pid-file", `${b.dir}/pid`, id]);
    assert.equal(c.code, 0, c.stderr);
    const st = JSON.parse(rt(root, ["state", id]).stdout);
    assert.equal(st.status, "created");
    assert.equal(Number(readFileSync(`${b.dir}/pid`, "utf8")), st.pid);
    // not started: the workload has not run
    assert.match(readFileSync(`/proc/${st.pid}/cmdline`, "utf8"), /berth-init/);
    assert.equal(rt(root, ["start", id]).code, 0);
    assert.equal(JSON.parse(rt(root, ["state", id]).stdout).status, "running");
    assert.equal(rt(root, ["start", id]).code, 1, "a second start must fail");
    const pids = JSON.parse(rt(root, ["ps", "--format", "json", id]).stdout) as number[];
    assert.ok(pids.includes(st.pid));
    assert.equal(rt(root, ["pause", id]).code, 0);
    assert.equal(JSON.parse(rt(root, ["state", id]).stdout).status, "paused");
    assert.equal(rt(root, ["resume", id]).code, 0);
    assert.match(rt(root, ["list"]).stdout, /life-1\s+\d+\s+running/);
    const d = rt(root, ["delete", id]);
    assert.equal(d.code, 1, "deleting a running container without --force must fail");
    assert.match(d.stderr, /running/);
    assert.equal(rt(root, ["kill", id, "KILL"]).code, 0);
    for (let i = 0; i < 100 && JSON.parse(rt(root, ["state", id]).stdout).status !== "stopped"; i++) await Bun.sleep(10);
    assert.equal(JSON.parse(rt(root, ["state", id]).stdout).status, "stopped");
    assert.equal(rt(root, ["delete", id]).code, 0);
    assert.ok(!existsSync(`${root}/${id}`), "state dir left behind");
    assert.ok(!existsSync(hostCg("memory", id)) && !existsSync(hostCg("pids", id)), "cgroup left behind");
    assert.ok(!readFileSync("/proc/self/mountinfo", "utf8").includes(b.dir), "mount left behind");
    assert.equal(rt(root, ["state", id]).code, 1);
  });

  it("containers created, started and deleted in parallel all succeed, sharing and removing berth's parent cgroup", async () => {
    // creates make /berth and its cpuset values while deletes remove it (the last one out):
    // mkdir -p, cpuset filling and rmdir of the shared parent race here
    const b = bundle(["true"]);
    const io = mkdtempSync(join(tmpdir(), "berth-rt-par-"));
    const run = (args: string[], tag: string): Promise<string | undefined> =>
      new Promise((done) => {
        const err = openSync(join(io, tag), "w+");
        const p = spawn(RUNTIME, ["--root", root, ...args], { stdio: ["ignore", "ignore", err] });
        p.on("exit", (code) => {
          closeSync(err);
          done(code === 0 ? undefined : `${args.join(" ")}: exit ${code}: ${readFileSync(join(io, tag), "utf8")}`);
        });
      });
    const worker = async (w: number): Promise<string[]> => {
      const failures: string[] = [];
      for (let i = 0; i < 6; i++) {
        const id = `par-${w}-${i}`;
        for (const args of [["create", "--bundle", b.dir, id], ["start", id], ["delete", "--force", id]]) {
          const f = await run(args, `${id}-${args[0]}`);
          if (f) failures.push(f);
        }
      }
      return failures;
    };
    try {
      const failures = (await Promise.all([0, 1, 2, 3].map(worker))).flat();
      assert.deepEqual(failures, []);
      assert.deepEqual(readdirSync(root).filter((d) => d.startsWith("par-")), [], "state left behind");
      const mounts = cgroupMounts();
      const parents = v2 ? [`${mounts.v2}/berth`] : [...new Set(mounts.v1.values())].map((m) => `${m}/berth`);
      for (const p of parents) if (existsSync(p)) assert.deepEqual(readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name.startsWith("par-")).map((d) => d.name), [], `cgroups left in ${p}`);
    } finally {
      rmSync(io, { recursive: true, force: true });
    }
  });

  it("delete of a stopped container kills what its init left in the cgroup, then removes it", async () => {
    // no pid namespace: the init's background child outlives it, still in the container's cgroup
    const id = "leftover-1";
    const b = bundle(["sh", "-c", "sleep 30 & exit 0"], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "pid");
    });
    assert.equal(rt(root, ["create", "--bundle", b.dir, id]).code, 0);
    assert.equal(rt(root, ["start", id]).code, 0);
    for (let i = 0; i < 200 && JSON.parse(rt(root, ["state", id]).stdout).status !== "stopped"; i++) await Bun.sleep(10);
    assert.equal(JSON.parse(rt(root, ["state", id]).stdout).status, "stopped");
    const procs = readFileSync(`${hostCg("pids", id)}/cgroup.procs`, "utf8").trim().split("\n").filter(Boolean).map(Number);
    assert.equal(procs.length, 1, "the background sleep is left in the cgroup");
    const t0 = Date.now();
    const d = rt(root, ["delete", id]);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(Date.now() - t0 < 1000, "no busy-wait on the leftover");
    assert.ok(!existsSync(`/proc/${procs[0]}/stat`) || readFileSync(`/proc/${procs[0]}/stat`, "utf8").includes(") Z"), "leftover killed");
    assert.ok(!existsSync(hostCg("memory", id)) && !existsSync(hostCg("pids", id)), "cgroup left behind");
  });

  it("reports 137 when the container is killed with SIGKILL", async () => {
    const id = "killed-1";
    const b = bundle(["sleep", "60"]);
    const child = spawn(RUNTIME, ["--root", root, "run", "--bundle", b.dir, id], { stdio: "ignore" });
    const code = new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
    for (let i = 0; i < 200; i++) {
      const s = rt(root, ["state", id]);
      if (s.code === 0 && JSON.parse(s.stdout).status === "running") break;
      await Bun.sleep(10);
    }
    assert.equal(rt(root, ["kill", id, "9"]).code, 0);
    assert.equal(await code, 137);
    assert.ok(!existsSync(`${root}/${id}`), "run must delete its container");
  });

  it("fails at create for a missing executable, leaving nothing", () => {
    const r = runIn(root, bundle(["/no/such/program"]), "noexec-1");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no\/such\/program.*ENOENT|ENOENT.*no\/such\/program/s);
    assert.ok(!existsSync(`${root}/noexec-1`));
  });

  it("refuses a malformed config.json naming the field, leaving no state or cgroup", () => {
    const b = bundle(["true"], (s) => {
      s.process!.cwd = "relative/dir";
      (s.process!.user as { uid: unknown }).uid = "root";
    });
    const id = "bad-config";
    const r = rt(root, ["create", "--bundle", b.dir, id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /process\.cwd: must be an absolute path/);
    assert.match(r.stderr, /process\.user\.uid: must be an integer/);
    assert.ok(!existsSync(`${root}/${id}`));
    assert.ok(!existsSync(hostCg("memory", id)));
  });

  it("a cgroup that fails after the plan went out leaves no process, state or cgroup (the waiting child gives up)", () => {
    // the helper clones while create makes the cgroup; a write the kernel refuses (a cpu this
    // machine lacks) fails create after the child exists, waiting to join at WAIT_GO
    const helpers = () => new Set(readdirSync("/proc").filter((p) => /^\d+$/.test(p) && (() => { try { return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(helperPath()); } catch { return false; } })()));
    const before = helpers();
    const b = bundle(["true"], (s) => (s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: "1023" } }));
    const id = "cg-fails";
    const r = rt(root, ["create", "--bundle", b.dir, id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cpuset\.cpus/);
    assert.ok(!existsSync(`${root}/${id}`));
    assert.ok(!existsSync(hostCg("cpuset", id)) && !existsSync(hostCg("memory", id)));
    Bun.sleepSync(100);
    const left = [...helpers()].filter((p) => !before.has(p));
    assert.deepEqual(left, [], "no helper or container init is left waiting");
  });

  it("a namespace path that does not exist fails naming it, every time (the helper exits before create's go byte)", () => {
    const b = bundle(["true"], (s) => (s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === "network" ? { type: "network", path: "/run/no-such-netns" } : n))));
    for (let i = 0; i < 5; i++) {
      const r = rt(root, ["create", "--bundle", b.dir, `bad-ns-${i}`]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /join network namespace \/run\/no-such-netns: ENOENT/, `run ${i}: ${r.stderr}`);
      assert.ok(!existsSync(`${root}/bad-ns-${i}`));
    }
  });

  it("create killed with SIGKILL at any point: delete -f cleans what it left, and no init lives on", async () => {
    // Killed before its go byte, create leaves a child that is in no cgroup and in no state
    // file: only EOF on the go pipe makes it exit. Killed later, delete -f finds it by its cgroup.
    const killRoot = runtimeRoot();
    const b = bundle(["true"]);
    const holdsRoot = (pid: string): boolean => {
      try {
        if (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z")) return false;
        return readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(killRoot);
          } catch {
            return false;
          }
        });
      } catch {
        return false;
      }
    };
    try {
      for (let i = 0; i < 30; i++) {
        const child = spawn(RUNTIME, ["--root", killRoot, "create", "--bundle", b.dir, `k${i}`], { stdio: "ignore" });
        const exited = new Promise((r) => child.once("exit", r));
        await new Promise((r) => setTimeout(r, 3 + ((i * 7) % 18)));
        child.kill("SIGKILL");
        await exited;
      }
      for (const id of existsSync(killRoot) ? readdirSync(killRoot) : []) assert.equal(rt(killRoot, ["delete", "--force", id]).code, 0, id);
      let left: string[] = [];
      for (let t = 0; t < 40; t++) {
        left = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && holdsRoot(p));
        if (!left.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(left, [], "processes still holding files of the killed creates");
    } finally {
      cleanup(killRoot);
    }
  });

  it("refuses JSON that does not parse", () => {
    const b = bundle(["true"]);
    Bun.write(`${b.dir}/config.json`, "{ not json");
    const r = rt(root, ["create", "--bundle", b.dir, "bad-json"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not valid JSON/);
  });

  it("writes errors to --log in runc's JSON form", () => {
    const log = `${root}/log.json`;
    const r = rt(root, ["--log", log, "--log-format", "json", "start", "does-not-exist"]);
    assert.equal(r.code, 1);
    const rec = JSON.parse(readFileSync(log, "utf8").trim().split("\n").at(-1)!);
    assert.equal(rec.level, "error");
    assert.match(rec.msg, /does-not-exist does not exist/);
  });
});
