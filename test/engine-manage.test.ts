// Container management commands the first engine pass left untested, driven through bin/berth:
// pause/unpause (the process really stops making progress), rename, top, stats --no-stream,
// port, container prune, attach to a running -d -i container, a health check going unhealthy
// -> healthy (inspect and ps), and run -t on a real pty (python3's pty module).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { berthCgroups, BERTH, engineEnv, type EngineEnv } from "./fixtures/engine.ts";

let e: EngineEnv;
let cgBefore: Set<string>;
before(() => {
  cgBefore = new Set(berthCgroups());
  e = engineEnv();
});
after(() => {
  e.cleanup();
  assert.deepEqual(berthCgroups().filter((c) => !cgBefore.has(c)), [], "cgroups left behind");
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runD = (args: string[]) => {
  const r = e.berth(["run", "-d", "--network", "none", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
};
const inspect = (ref: string, f: string) => e.berth(["inspect", "-f", f, ref]).stdout.trim();
const lines = (ref: string) => Number(e.berth(["exec", ref, "sh", "-c", "wc -l < /tmp/count"]).stdout.trim());

describe("pause / unpause", () => {
  it("stops the process making progress, then lets it go on", async () => {
    runD(["--name", "counter", "busybox", "sh", "-c", "while true; do echo x >> /tmp/count; sleep 0.05; done"]);
    await sleep(300);
    assert.equal(e.berth(["pause", "counter"]).code, 0);
    assert.equal(inspect("counter", "{{.State.Status}}"), "paused");
    assert.match(e.berth(["ps", "--format", "{{.Names}} {{.Status}}"]).stdout, /counter Up .*\(Paused\)/);
    // exec is refused while paused; the file is read from the host side instead
    const id = inspect("counter", "{{.Id}}");
    const countFile = join(e.root, "containers", id, "diff/tmp/count");
    const n1 = spawnSync("wc", ["-l", countFile], { encoding: "utf8" }).stdout;
    await sleep(400);
    const n2 = spawnSync("wc", ["-l", countFile], { encoding: "utf8" }).stdout;
    assert.equal(n2, n1, "the counter grew while paused");
    const ex = e.berth(["exec", "counter", "true"]);
    assert.equal(ex.code, 1);
    assert.match(ex.stderr, /is paused, unpause the container before exec/);
    assert.equal(e.berth(["pause", "counter"]).code, 1); // already paused
    assert.equal(e.berth(["unpause", "counter"]).code, 0);
    assert.equal(inspect("counter", "{{.State.Status}}"), "running");
    const a = lines("counter");
    await sleep(300);
    assert.ok(lines("counter") > a, "the counter did not go on after unpause");
    assert.equal(e.berth(["unpause", "counter"]).code, 1); // not paused
  });
});

describe("rename, top, stats, port", () => {
  it("rename changes the name (old name free, new one resolves)", () => {
    const id = runD(["--name", "old-name", "busybox", "sleep", "1000"]);
    assert.equal(e.berth(["rename", "old-name", "new-name"]).code, 0);
    assert.equal(inspect("new-name", "{{.Id}}"), id);
    assert.equal(inspect("new-name", "{{.Name}}"), "/new-name");
    assert.equal(e.berth(["inspect", "old-name"]).code, 1);
    runD(["--name", "old-name", "busybox", "true"]); // the old name is free again
    const clash = e.berth(["rename", "new-name", "old-name"]);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /already in use/);
  });

  it("top lists the container's processes", () => {
    const t = e.berth(["top", "new-name"]);
    assert.equal(t.code, 0, t.stderr);
    const [head, ...rows] = t.stdout.trim().split("\n");
    assert.match(head!, /PID/);
    assert.match(head!, /CMD/);
    assert.ok(rows.some((r) => r.endsWith("sleep 1000")), t.stdout);
  });

  it("stats --no-stream prints one row of sane numbers", () => {
    const s = e.berth(["stats", "--no-stream", "new-name"]);
    assert.equal(s.code, 0, s.stderr);
    const [head, row, ...rest] = s.stdout.trim().split("\n");
    assert.deepEqual(rest, []);
    assert.match(head!, /CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS/);
    const m = /^([0-9a-f]{12})\s+new-name\s+([\d.]+)%\s+([\d.]+)([KMG]i)?B \/ ([\d.]+)([KMG]i)?B\s+([\d.]+)%.*\s(\d+)$/.exec(row!);
    assert.ok(m, row);
    assert.ok(Number(m[2]) >= 0 && Number(m[2]) <= 200 * 2);
    assert.ok(Number(m[3]) > 0, "memory usage is zero");
    assert.ok(Number(m[7]) >= 0 && Number(m[7]) <= 100);
    assert.equal(m[8], "1");
  });

  it("port prints the published ports (or nothing without networking)", (t) => {
    const noNet = e.berth(["port", "new-name"]);
    assert.equal(noNet.code, 0, noNet.stderr);
    assert.equal(noNet.stdout, "");
    const r = e.berth(["run", "-d", "--name", "pub", "-p", "127.0.0.1:18089:80", "busybox", "sleep", "1000"]);
    if (r.code !== 0) {
      t.skip(`no bridge networking here: ${r.stderr.trim()}`);
      return;
    }
    const p = e.berth(["port", "pub"]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^80\/tcp -> 127\.0\.0\.1:18089$/m);
    e.berth(["rm", "-f", "pub"]);
  });
});

describe("container prune", () => {
  it("removes stopped containers only", () => {
    const stopped = e.berth(["run", "--network", "none", "--name", "to-prune", "busybox", "true"]);
    assert.equal(stopped.code, 0);
    const keep = runD(["--name", "keep-running", "busybox", "sleep", "1000"]);
    const r = e.berth(["container", "prune", "-f"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Deleted Containers:/);
    assert.match(r.stdout, /Total reclaimed space:/);
    assert.equal(e.berth(["inspect", "to-prune"]).code, 1);
    assert.equal(inspect("keep-running", "{{.Id}}"), keep);
  });
});

describe("attach", () => {
  it("attaches to a running -d -i container: stdin in, output out, its exit code", async () => {
    runD(["-i", "--name", "att", "busybox", "sh", "-c", "read line; echo got:$line; exit 7"]);
    const p = spawn(BERTH, ["attach", "att"], { env: e.env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await sleep(300);
    p.stdin!.write("hello\n");
    const code = await new Promise<number | null>((r) => p.on("exit", (c) => r(c)));
    assert.equal(out, "got:hello\n");
    assert.equal(code, 7);
    const stopped = e.berth(["attach", "att"]);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stderr, /cannot attach to a stopped container/);
  });
});

describe("health check", () => {
  it("goes unhealthy, then healthy once the check passes (inspect and ps)", async () => {
    runD(["--name", "hc", "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms", "--health-retries", "1", "busybox", "sleep", "1000"]);
    let st = "";
    for (let i = 0; i < 50 && (st = inspect("hc", "{{.State.Health.Status}}")) !== "unhealthy"; i++) await sleep(100);
    assert.equal(st, "unhealthy");
    assert.match(e.berth(["ps", "--format", "{{.Names}} {{.Status}}"]).stdout, /hc Up .*\(unhealthy\)/);
    assert.equal(e.berth(["exec", "hc", "touch", "/tmp/ok"]).code, 0);
    for (let i = 0; i < 50 && (st = inspect("hc", "{{.State.Health.Status}}")) !== "healthy"; i++) await sleep(100);
    assert.equal(st, "healthy");
    assert.match(e.berth(["ps", "--format", "{{.Names}} {{.Status}}"]).stdout, /hc Up .*\(healthy\)/);
    const log = JSON.parse(e.berth(["inspect", "-f", "{{json .State.Health}}", "hc"]).stdout) as { FailingStreak: number; Log: { ExitCode: number }[] };
    assert.equal(log.FailingStreak, 0);
    assert.ok(log.Log.some((l) => l.ExitCode === 1) && log.Log.some((l) => l.ExitCode === 0));
  });
});

describe("run -t", () => {
  it("gives the container a terminal of the client's size, resized on SIGWINCH", () => {
    const py = spawnSync("python3", ["-c", PTY_RESIZE, BERTH], { env: e.env, encoding: "utf8", timeout: 30_000 });
    assert.equal(py.status, 0, py.stderr + py.stdout);
    assert.match(py.stdout, /tty-yes/);
    assert.match(py.stdout, /before 30 90/);
    assert.match(py.stdout, /after 50 120/);
  });
});

/** python3: `berth run -t` on a 30x90 pty: the container's pty has that size from the start
 *  (run puts it in the spec); after the first size is printed the pty is resized to 50x120 and
 *  berth gets SIGWINCH; the container prints its size again. */
const PTY_RESIZE = `
import os, pty, sys, fcntl, termios, struct, signal, time
berth = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 90, 0, 0))
    os.execv(berth, [berth, "run", "--rm", "-t", "--network", "none", "busybox", "sh", "-c",
        "[ -t 0 ] && echo tty-yes; echo before $(busybox stty size); sleep 1; echo after $(busybox stty size)"])
out = b""
resized = False
deadline = time.time() + 20
while time.time() < deadline:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
    if not resized and b"before" in out:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        resized = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
`;

