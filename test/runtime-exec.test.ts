// berth-runtime exec and seccomp, end to end with real containers.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readlinkSync } from "node:fs";
import { bundle, cleanup, cleanupRootfs, rt, runIn, runtimeRoot } from "./fixtures/bundle.ts";
import { dockerDefaultProfile } from "../src/runtime/seccomp/default-profile.ts";
import { CAPABILITIES } from "../src/runtime/linux.ts";

let root: string;
before(() => {
  root = runtimeRoot();
});
after(() => {
  for (const id of ["ex-1", "ex-2"]) rt(root, ["delete", "--force", id]);
  cleanup(root);
  cleanupRootfs();
});

describe("exec", () => {
  it("runs in the container's namespaces and returns the exit code", () => {
    const b = bundle(["sleep", "30"], (s) => (s.hostname = "exec-box"));
    assert.equal(rt(root, ["run", "--detach", "--bundle", b.dir, "ex-1"]).code, 0);
    const r = rt(root, ["exec", "ex-1", "sh", "-c", "echo $(hostname) $$; cat /proc/1/cmdline; exit 7"]);
    assert.equal(r.code, 7, r.stderr);
    const [first, cmdline] = r.stdout.split("\n");
    assert.match(first!, /^exec-box \d+$/);
    assert.notEqual(first!.split(" ")[1], "1", "not the init");
    assert.equal(cmdline!.replace(/\0/g, " ").trim(), "sleep 30");
  });

  it("applies --user, --env, --cwd and keeps the container's capability limits", () => {
    const r = rt(root, ["exec", "--user", "1000:1000", "--env", "X=y", "--cwd", "/tmp", "ex-1", "sh", "-c", "id; echo $X; pwd; grep CapEff /proc/self/status"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /^uid=1000 gid=1000/);
    assert.deepEqual(lines.slice(1, 3), ["y", "/tmp"]);
    assert.match(lines[3]!, /CapEff:\s+0{16}/, "a non-root user has no effective capabilities");
  });

  it("joins the container's cgroup", () => {
    const r = rt(root, ["exec", "ex-1", "cat", "/proc/self/cgroup"]);
    // with a cgroup namespace rooted at the container's cgroup, every hierarchy reads "/"
    for (const line of r.stdout.trim().split("\n")) assert.match(line, /:\/$/, line);
  });

  it("fails clearly for a missing program and for a stopped container", () => {
    const r = rt(root, ["exec", "ex-1", "/no/such/thing"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no\/such\/thing.*ENOENT/);
    assert.equal(rt(root, ["kill", "ex-1", "KILL"]).code, 0);
    for (let i = 0; i < 200 && JSON.parse(rt(root, ["state", "ex-1"]).stdout).status !== "stopped"; i++) Bun.sleepSync(10);
    const s = rt(root, ["exec", "ex-1", "true"]);
    assert.notEqual(s.code, 0);
    assert.match(s.stderr, /stopped/, s.stderr + s.stdout);
  });
});

describe("seccomp", () => {
  const allCaps = [...CAPABILITIES];
  const withCaps = (caps: string[]) => (s: import("../src/runtime/spec.ts").Spec) => {
    s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps };
    s.root!.readonly = false;
  };

  it("without a filter, CAP_SYS_ADMIN can mount and unshare (the control)", () => {
    const r = runIn(root, bundle(["sh", "-c", "mount -t tmpfs none /tmp && echo mounted; unshare -u true && echo unshared"], withCaps(allCaps)));
    assert.match(r.stdout, /mounted/, r.stderr);
    assert.match(r.stdout, /unshared/, r.stderr);
  });

  it("Docker's default profile makes unshare, mount, keyctl and ptrace-style calls fail with EPERM", () => {
    const r = runIn(
      root,
      bundle(["sh", "-c", "mount -t tmpfs none /tmp; unshare -u true; echo done"], (s) => {
        withCaps(allCaps)(s);
        // the profile for Docker's default capabilities: CAP_SYS_ADMIN's syscalls stay blocked
        s.linux!.seccomp = dockerDefaultProfile(["CAP_CHOWN", "CAP_KILL"]);
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes("mounted"));
    assert.match(r.stderr, /mount.*(Operation not permitted|permission denied)/i);
    assert.match(r.stderr, /unshare.*Operation not permitted/i);
  });

  it("a custom profile returning ERRNO for mkdir works", () => {
    const r = runIn(
      root,
      bundle(["sh", "-c", "mkdir /tmp/x && echo made; touch /tmp/y && echo touched"], (s) => {
        s.root!.readonly = false;
        s.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }] };
      }),
    );
    assert.ok(!r.stdout.includes("made"));
    assert.match(r.stderr, /Permission denied/);
    assert.match(r.stdout, /touched/);
  });

  it("applies the container's filter to exec'd processes too", () => {
    const b = bundle(["sleep", "30"], (s) => {
      s.root!.readonly = false;
      s.linux!.seccomp = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }] };
    });
    assert.equal(rt(root, ["run", "--detach", "--bundle", b.dir, "ex-2"]).code, 0);
    const r = rt(root, ["exec", "ex-2", "mkdir", "/tmp/z"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied/);
  });

  it("refuses a bad profile naming the field, leaving nothing", () => {
    const r = rt(root, ["create", "--bundle", bundle(["true"], (s) => (s.linux!.seccomp = { defaultAction: "SCMP_ACT_BOGUS" })).dir, "bad-seccomp"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /defaultAction/);
    assert.equal(rt(root, ["state", "bad-seccomp"]).code, 1);
  });
});

describe("namespaces joined by path", () => {
  it("joins another container's uts and network namespaces, setting the shared hostname", () => {
    const a = bundle(["sleep", "30"], (s) => (s.hostname = "first"));
    assert.equal(rt(root, ["run", "--detach", "--bundle", a.dir, "ns-a"]).code, 0);
    const pid = JSON.parse(rt(root, ["state", "ns-a"]).stdout).pid as number;
    const b = bundle(["sh", "-c", "readlink /proc/self/ns/net; hostname"], (s) => {
      s.hostname = "second";
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === "uts" || n.type === "network" ? { type: n.type, path: `/proc/${pid}/ns/${n.type === "uts" ? "uts" : "net"}` } : n));
    });
    const r = runIn(root, b);
    assert.equal(r.code, 0, r.stderr);
    const [net, host] = r.stdout.trim().split("\n");
    assert.equal(net, rt(root, ["exec", "ns-a", "readlink", "/proc/self/ns/net"]).stdout.trim());
    assert.equal(host, "second");
    assert.equal(rt(root, ["exec", "ns-a", "hostname"]).stdout.trim(), "second", "the uts namespace is shared");
    rt(root, ["delete", "--force", "ns-a"]);
  });
});

describe("configs runc also accepts", () => {
  it("shares the host's mount namespace when the config has none; delete removes its mounts", () => {
    const b = bundle(["readlink", "/proc/self/ns/mnt"], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== "mount");
    });
    const r = runIn(root, b, "no-mntns");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), readlinkSync("/proc/self/ns/mnt"));
    const rootfsPath = b.spec.root!.path;
    assert.ok(!readFileSync("/proc/self/mountinfo", "utf8").includes(` ${rootfsPath}`), "the container's mounts were detached");
  });

  it("creates a container without a process; start refuses it and delete cleans up", () => {
    const b = bundle(["true"], (s) => delete s.process);
    assert.equal(rt(root, ["create", "--bundle", b.dir, "no-proc"]).code, 0);
    assert.equal(JSON.parse(rt(root, ["state", "no-proc"]).stdout).status, "created");
    const st = rt(root, ["start", "no-proc"]);
    assert.equal(st.code, 1);
    assert.match(st.stderr, /no process to run/);
    assert.equal(rt(root, ["delete", "no-proc"]).code, 0);
    assert.equal(rt(root, ["state", "no-proc"]).code, 1);
  });
});

describe("terminal and keyring", () => {
  it("hands the pty master to the --console-socket, as runc does", async () => {
    const sock = `${root}/console.sock`;
    const recv = Bun.spawn(["python3", `${import.meta.dir}/fixtures/console-receiver.py`, sock, "typed-in"], { stdout: "pipe", stderr: "pipe" });
    const reader = (recv.stdout as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // "listening"
    const b = bundle(["sh", "-c", "tty; read x; echo got:$x; [ -t 0 ] && echo stdin-is-a-tty"], (s) => {
      s.process!.terminal = true;
    });
    const r = rt(root, ["run", "--console-socket", sock, "--bundle", b.dir, "tty-1"]);
    assert.equal(r.code, 0, r.stderr);
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await recv.exited;
    assert.match(text, /\/dev\/pts\/0/);
    assert.match(text, /got:typed-in/);
    assert.match(text, /stdin-is-a-tty/);
  });

  it("gives each container its own session keyring (unless --no-new-keyring)", () => {
    const b = bundle(["sleep", "30"]);
    assert.equal(rt(root, ["run", "--detach", "--bundle", b.dir, "keyring-1"]).code, 0);
    const keys = readFileSync("/proc/keys", "utf8");
    rt(root, ["delete", "--force", "keyring-1"]);
    assert.match(keys, /_ses\.keyring-1/);
  });

  it("runs with --no-pivot (MS_MOVE + chroot)", () => {
    const b = bundle(["sh", "-c", "cat /proc/self/mountinfo | wc -l; echo $$"]);
    const r = rt(root, ["run", "--no-pivot", "--bundle", b.dir, "nopivot-1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n")[1], "1");
  });
});
