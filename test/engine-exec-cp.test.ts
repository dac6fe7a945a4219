// exec, cp, diff, commit, export/import and --init, driven through bin/berth as a user would:
// exit codes, -i/-e/-u/-w, a symlink escape attempt (the container's /etc/passwd, never the
// host's), copies into and out of a stopped container, the committed and the exported image
// run. Nothing is left behind: exec monitors, their files and sockets, cgroups.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { berthCgroups, engineEnv, type EngineEnv } from "./fixtures/engine.ts";

let e: EngineEnv;
let cgBefore: Set<string>;
let host: string;
let socketsBefore: Set<string>;
const runDir = "/run/berth";
const sockets = () => (existsSync(runDir) ? readdirSync(runDir).filter((n) => n.startsWith("x-")) : []);
before(() => {
  cgBefore = new Set(berthCgroups());
  socketsBefore = new Set(sockets());
  e = engineEnv();
  host = mkdtempSync(join(tmpdir(), "berth-cp-"));
});
after(() => {
  e.cleanup();
  rmSync(host, { recursive: true, force: true });
  assert.deepEqual(berthCgroups().filter((c) => !cgBefore.has(c)), [], "cgroups left behind");
  assert.deepEqual(sockets().filter((s) => !socketsBefore.has(s)), [], "exec sockets left behind");
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runD = (name: string, ...cmd: string[]) => {
  const r = e.berth(["run", "-d", "--network", "none", "--name", name, "busybox", ...cmd]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
};
const ex = (args: string[], input?: string) => e.berth(["exec", ...args], input !== undefined ? { input } : {});
const execDirs = (id: string) => {
  const d = join(e.root, "containers", id, "exec");
  return existsSync(d) ? readdirSync(d) : [];
};

describe("exec", () => {
  let id: string;
  before(() => {
    id = runD("ex1", "sleep", "1000");
  });

  it("runs a command, relays stdout/stderr and exits with its status", () => {
    const r = ex(["ex1", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, "out\n");
    assert.equal(r.stderr, "err\n");
    assert.equal(ex(["ex1", "true"]).code, 0);
  });

  it("exits 127 for a missing command and 126 for one that cannot be executed", () => {
    const nf = ex(["ex1", "nosuchcmd"]);
    assert.equal(nf.code, 127, nf.stderr);
    assert.match(nf.stderr, /executable file not found in \$PATH/);
    const ne = ex(["ex1", "/etc/passwd"]);
    assert.equal(ne.code, 126, ne.stderr);
  });

  it("-i feeds stdin; without -i the process gets none", () => {
    const r = ex(["-i", "ex1", "sh", "-c", "cat; echo done"], "line1\nline2\n");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "line1\nline2\ndone\n");
    assert.equal(ex(["ex1", "cat"], "ignored\n").stdout, "");
  });

  it("-e, --env-file, -u and -w override the container's env, user and cwd", () => {
    const envFile = join(host, "env.list");
    writeFileSync(envFile, "# comment\nFROMFILE=yes\n");
    const r = ex(["-e", "FOO=bar", "--env-file", envFile, "-u", "1000:1000", "-w", "/tmp", "ex1", "sh", "-c", 'echo "$FOO $FROMFILE $PATH"; id -u; id -g; pwd']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "bar yes /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n1000\n1000\n/tmp\n");
    // defaults: the container's user (root) and working directory
    assert.equal(ex(["ex1", "sh", "-c", "id -u; pwd"]).stdout, "0\n/\n");
  });

  it("runs in the container's namespaces (its pid 1 is the container's command)", () => {
    const r = ex(["ex1", "cat", "/proc/1/cmdline"]);
    assert.equal(r.stdout.replace(/\0/g, " ").trim(), "sleep 1000");
  });

  it("-d returns at once and the process keeps running", async () => {
    const t0 = Date.now();
    const r = ex(["-d", "ex1", "sh", "-c", "sleep 0.5; touch /tmp/detached"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.ok(Date.now() - t0 < 5000);
    for (let i = 0; i < 50 && ex(["ex1", "test", "-f", "/tmp/detached"]).code !== 0; i++) await sleep(100);
    assert.equal(ex(["ex1", "test", "-f", "/tmp/detached"]).code, 0);
  });

  it("records exec_create/exec_start/exec_die events and leaves no exec files behind", async () => {
    ex(["ex1", "sh", "-c", "exit 5"]);
    for (let i = 0; i < 50 && execDirs(id).length; i++) await sleep(100);
    assert.deepEqual(execDirs(id), []);
    const ev = readFileSync(join(e.root, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { action: string; attributes: Record<string, string> });
    assert.ok(ev.some((x) => x.action === "exec_create: sh -c exit 5"));
    assert.ok(ev.some((x) => x.action === "exec_start: sh -c exit 5"));
    assert.ok(ev.some((x) => x.action === "exec_die" && x.attributes.exitCode === "5"));
  });

  it("refuses a container that is not running (1, Docker's words) or does not exist", () => {
    const sid = e.berth(["create", "--network", "none", "--name", "ex-created", "busybox", "true"]).stdout.trim();
    const r = ex(["ex-created", "true"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error response from daemon: container ${sid} is not running\n`);
    const n = ex(["no-such-container", "true"]);
    assert.equal(n.code, 1);
    assert.match(n.stderr, /No such container: no-such-container/);
  });

  it("-t gives the process a terminal of the client's size", () => {
    const py = spawnSync("python3", ["-c", PTY_SCRIPT, e.env.BERTH_ROOT!, BIN, "exec", "-it", "ex1", "sh", "-c", "[ -t 0 ] && echo is-a-tty; busybox stty size"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(py.status, 0, py.stderr);
    assert.match(py.stdout, /is-a-tty/);
    assert.match(py.stdout, /40 100/);
  });
});

const BIN = join(import.meta.dir, "../bin/berth");
/** python3: run argv[2:] on a pty of 40x100, print what it wrote, exit with its status. */
const PTY_SCRIPT = `
import os, pty, sys, fcntl, termios, struct
os.environ["BERTH_ROOT"] = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    os.execv(sys.argv[2], sys.argv[2:])
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
`;

describe("cp", () => {
  before(() => {
    runD("cp1", "sleep", "1000");
    const r = ex(["cp1", "sh", "-c", "mkdir -p /data/sub && echo hello > /data/sub/f && ln -s /etc/passwd /data/pw && ln -s ../../../../../../etc/passwd /data/rel && echo container-root > /etc/passwd.marker"]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("copies a file and a directory out of a running container", () => {
    assert.equal(e.berth(["cp", "cp1:/data/sub/f", join(host, "f")]).code, 0);
    assert.equal(readFileSync(join(host, "f"), "utf8"), "hello\n");
    mkdirSync(join(host, "into"));
    const r = e.berth(["cp", "cp1:/data", join(host, "into")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(host, "into/data/sub/f"), "utf8"), "hello\n");
    // a new destination gets the directory's contents; SRC/. copies contents into an existing dir
    assert.equal(e.berth(["cp", "cp1:/data/sub", join(host, "newdir")]).code, 0);
    assert.equal(readFileSync(join(host, "newdir/f"), "utf8"), "hello\n");
    assert.equal(e.berth(["cp", "cp1:/data/sub/.", join(host, "into")]).code, 0);
    assert.equal(readFileSync(join(host, "into/f"), "utf8"), "hello\n");
  });

  it("copies a symlink as a link, and with -L the container's target, never the host's", () => {
    assert.equal(e.berth(["cp", "cp1:/data/pw", join(host, "pwlink")]).code, 0);
    assert.ok(lstatSync(join(host, "pwlink")).isSymbolicLink());
    assert.equal(readlinkSync(join(host, "pwlink")), "/etc/passwd");
    const containerPasswd = ex(["cp1", "cat", "/etc/passwd"]).stdout;
    for (const link of ["pw", "rel"]) {
      const r = e.berth(["cp", "-L", `cp1:/data/${link}`, join(host, `${link}-followed`)]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(join(host, `${link}-followed`), "utf8"), containerPasswd);
    }
    assert.notEqual(containerPasswd, readFileSync("/etc/passwd", "utf8"));
    // a path climbing above the root stays in it
    const up = e.berth(["cp", "cp1:/../../../../etc/passwd.marker", join(host, "marker")]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(readFileSync(join(host, "marker"), "utf8"), "container-root\n");
  });

  it("writes through a symlink in the container only inside the container", () => {
    const hostPasswd = readFileSync("/etc/passwd", "utf8");
    writeFileSync(join(host, "evil"), "evil\n");
    const r = e.berth(["cp", join(host, "evil"), "cp1:/data/pw"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync("/etc/passwd", "utf8"), hostPasswd);
    assert.equal(ex(["cp1", "cat", "/etc/passwd"]).stdout, "evil\n");
  });

  it("copies into a running container (owned by root without -a, kept with -a)", () => {
    mkdirSync(join(host, "tree/inner"), { recursive: true });
    writeFileSync(join(host, "tree/inner/x"), "x\n");
    spawnSync("chown", ["-R", "1234:1234", join(host, "tree")]);
    assert.equal(e.berth(["cp", join(host, "tree"), "cp1:/"]).code, 0);
    assert.equal(ex(["cp1", "sh", "-c", "cat /tree/inner/x; stat -c %u:%g /tree/inner/x"]).stdout, "x\n0:0\n");
    assert.equal(e.berth(["cp", "-a", join(host, "tree"), "cp1:/kept"]).code, 0);
    assert.equal(ex(["cp1", "stat", "-c", "%u:%g", "/kept/inner/x"]).stdout, "1234:1234\n");
  });

  it("streams a tar with '-' both ways", () => {
    const out = spawnSync(BIN, ["cp", "cp1:/data/sub", "-"], { env: e.env });
    assert.equal(out.status, 0, String(out.stderr));
    const names = spawnSync("tar", ["tf", "-"], { input: out.stdout, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    assert.deepEqual(names.sort(), ["sub/", "sub/f"]);
    const tarIn = spawnSync("tar", ["cf", "-", "-C", join(host, "tree"), "inner"]).stdout;
    const r = spawnSync(BIN, ["cp", "-", "cp1:/tmp"], { env: e.env, input: tarIn });
    assert.equal(r.status, 0, String(r.stderr));
    assert.equal(ex(["cp1", "cat", "/tmp/inner/x"]).stdout, "x\n");
  });

  it("reports a missing source with Docker's words", () => {
    const r = e.berth(["cp", "cp1:/nope", join(host, "nope")]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error response from daemon: Could not find the file /nope in container cp1\n");
  });

  it("works on a stopped container, on its layers (whiteouts respected)", () => {
    const made = e.berth(["run", "--network", "none", "--name", "cp-stopped", "busybox", "sh", "-c", "rm /bin/ls; mkdir /made; echo in-upper > /made/f"]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(e.berth(["cp", "cp-stopped:/made/f", join(host, "from-stopped")]).code, 0);
    assert.equal(readFileSync(join(host, "from-stopped"), "utf8"), "in-upper\n");
    assert.equal(e.berth(["cp", "cp-stopped:/bin/ls", join(host, "ls")]).code, 1); // whited out
    assert.equal(e.berth(["cp", "cp-stopped:/bin/sh", join(host, "sh")]).code, 0); // from the image layer
    writeFileSync(join(host, "ls-new"), "#!/bin/sh\necho replaced\n", { mode: 0o755 });
    assert.equal(e.berth(["cp", join(host, "ls-new"), "cp-stopped:/bin/ls"]).code, 0);
    assert.equal(e.berth(["cp", join(host, "ls-new"), "cp-stopped:/etc/new-file"]).code, 0);
    // what was written reads back, and the whiteout that hid /bin/ls is gone
    assert.equal(e.berth(["cp", "cp-stopped:/bin/ls", join(host, "ls-back")]).code, 0);
    assert.equal(readFileSync(join(host, "ls-back"), "utf8"), "#!/bin/sh\necho replaced\n");
    assert.equal(e.berth(["diff", "cp-stopped"]).stdout.includes("D /bin/ls"), false);
    const id = e.berth(["inspect", "-f", "{{.Id}}", "cp-stopped"]).stdout.trim();
    assert.equal(readFileSync(join(e.root, "containers", id, "diff/etc/new-file"), "utf8"), "#!/bin/sh\necho replaced\n");
    // nothing was mounted on the host for this
    assert.ok(!readFileSync("/proc/self/mountinfo", "utf8").includes(e.root));
  });
});

describe("diff, commit, export", () => {
  before(() => {
    const r = e.berth(["run", "--network", "none", "--name", "chg", "busybox", "sh", "-c", "rm /bin/ls; echo new > /added; echo changed >> /etc/group; mkdir -p /tmp/d"]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("diff lists added, changed and deleted paths (mount stubs left out)", () => {
    const r = e.berth(["diff", "chg"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split("\n").filter(Boolean), ["A /added", "C /bin", "D /bin/ls", "C /etc", "C /etc/group", "C /tmp", "A /tmp/d"]);
  });

  it("commit makes an image that runs, with -c changes, author and message", () => {
    const c = e.berth(["commit", "-a", "me", "-m", "a message", "-c", 'CMD ["cat", "/added"]', "-c", "ENV COMMITTED=1", "chg", "committed:v1"]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const r = e.berth(["run", "--rm", "--network", "none", "committed:v1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "new\n");
    const gone = e.berth(["run", "--rm", "--network", "none", "committed:v1", "sh", "-c", "test -e /bin/ls; echo $?; tail -1 /etc/group; echo $COMMITTED"]);
    assert.equal(gone.stdout, "1\nchanged\n1\n");
    const img = JSON.parse(e.berth(["image", "inspect", "committed:v1"]).stdout) as { Author?: string; Comment?: string; RootFS: { Layers: string[] } }[];
    assert.equal(img[0]!.RootFS.Layers.length, 2);
    const hist = e.berth(["history", "--no-trunc", "committed:v1"]).stdout;
    assert.match(hist, /a message/);
  });

  it("commit of a running container pauses it and it keeps running", () => {
    runD("live", "sh", "-c", "echo x > /live; sleep 1000");
    const c = e.berth(["commit", "live"]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(e.berth(["inspect", "-f", "{{.State.Status}}", "live"]).stdout.trim(), "running");
    const r = e.berth(["run", "--rm", "--network", "none", c.stdout.trim(), "cat", "/live"]);
    assert.equal(r.stdout, "x\n");
  });

  it("export -> import gives a runnable image with the container's files", () => {
    const tar = join(host, "chg.tar");
    const x = e.berth(["export", "-o", tar, "chg"]);
    assert.equal(x.code, 0, x.stderr);
    const names = spawnSync("tar", ["tf", tar], { encoding: "utf8" }).stdout.split("\n");
    assert.ok(names.includes("added"));
    assert.ok(!names.includes("bin/ls"));
    const i = e.berth(["import", tar, "exported:v1"]);
    assert.equal(i.code, 0, i.stderr);
    const r = e.berth(["run", "--rm", "--network", "none", "exported:v1", "sh", "-c", "cat /added; test -e /bin/ls || echo no-ls"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "new\nno-ls\n");
    // to stdout
    const s = spawnSync(BIN, ["export", "chg"], { env: e.env, maxBuffer: 1 << 28 });
    assert.equal(s.status, 0);
    assert.ok(s.stdout.length > 100_000);
  });
});

describe("--init", () => {
  it("runs the command as pid 2 under the reaper", () => {
    const r = e.berth(["run", "--rm", "--init", "--network", "none", "busybox", "ps", "-o", "pid,ppid,args"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0]!.slice(0, 3), ["1", "0", "/sbin/docker-init"]);
    assert.ok(rows.some((c) => c[0] === "2" && c[1] === "1" && c[2] === "ps"));
  });

  it("exits with the command's status without waiting for its orphans", () => {
    const t0 = Date.now();
    const r = e.berth(["run", "--rm", "--init", "--network", "none", "busybox", "sh", "-c", "sleep 100 & exit 3"]);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(Date.now() - t0 < 10_000, "took too long");
  });
});
