// The engine end to end: bin/berth run/create/start/stop/kill/rm/ps/logs/inspect with real
// containers from a busybox image, asserting what a user sees; crash cases (kill -9 of the
// monitor, of berth mid-operation) must leave a state the next command reports truthfully.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { alive, berthCgroups, emptyBerthParents, engineEnv, type EngineEnv } from "./fixtures/engine.ts";

let e: EngineEnv;
let cgBefore: Set<string>;
before(() => {
  cgBefore = new Set(berthCgroups());
  e = engineEnv();
});
after(() => {
  e.cleanup();
  const leaked = berthCgroups().filter((c) => !cgBefore.has(c));
  assert.deepEqual(leaked, [], "cgroups left behind");
});

const run = (args: string[], input?: string) => e.berth(["run", "--network", "none", ...args], input !== undefined ? { input } : {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inspect = (ref: string, f: string) => e.berth(["inspect", "-f", f, ref]).stdout.trim();

describe("run", () => {
  it("prints the container's output and exits with its code", () => {
    const r = run(["--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, "out\n");
    assert.equal(r.stderr, "err\n");
  });

  it("exits 127 for a missing command, 126 for one that cannot be executed", () => {
    const nf = run(["--rm", "busybox", "nosuchcmd"]);
    assert.equal(nf.code, 127, nf.stderr);
    assert.match(nf.stderr, /executable file not found/);
    const ne = run(["--rm", "busybox", "/etc/passwd"]);
    assert.equal(ne.code, 126, ne.stderr);
  });

  it("exits 125 with a clear message for a bad flag or an unknown image", () => {
    const bad = e.berth(["run", "--no-such-flag", "busybox"]);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /unknown flag: --no-such-flag/);
    // a registry on loopback that is not there: tests never look up or reach outside hosts
    const img = e.berth(["run", "--rm", "127.0.0.1:1/nosuchimage"]);
    assert.equal(img.code, 125);
    assert.match(img.stderr, /Unable to find image '127\.0\.0\.1:1\/nosuchimage:latest' locally/);
    assert.match(img.stderr, /127\.0\.0\.1:1 is not reachable/);
  });

  it("applies -e, -w, -u, --hostname and the image's PATH", () => {
    const r = run(["--rm", "-e", "FOO=bar", "-w", "/tmp/wd", "-u", "nobody", "--hostname", "box", "busybox", "sh", "-c", 'echo $FOO; pwd; id -u; id -g; hostname; cat /etc/hostname; echo $PATH']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), ["bar", "/tmp/wd", "65534", "65534", "box", "box", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
  });

  it("feeds stdin with -i", () => {
    const r = run(["--rm", "-i", "busybox", "sh", "-c", "tr a-z A-Z"], "hello\n");
    assert.equal(r.stdout, "HELLO\n", r.stderr);
  });

  it("--rm leaves nothing behind", () => {
    const r = run(["--rm", "--name", "gone", "busybox", "true"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(e.berth(["ps", "-a", "--filter", "name=gone", "-q"]).stdout, "");
    assert.ok(!existsSync(join(e.root, "container-names", "gone")));
    assert.deepEqual(readdirSync(join(e.root, "runtime")), []);
    // the last container gone, berth's /berth parent goes too
    assert.deepEqual(emptyBerthParents(), []);
  });

  it("--read-only, --cap-drop and the default seccomp profile hold", () => {
    const ro = run(["--rm", "--read-only", "busybox", "touch", "/x"]);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const cap = run(["--rm", "--cap-drop", "CHOWN", "busybox", "chown", "1", "/tmp"]);
    assert.notEqual(cap.code, 0);
    assert.match(cap.stderr, /Operation not permitted/);
    const sc = run(["--rm", "busybox", "busybox", "unshare", "-U", "true"]);
    assert.notEqual(sc.code, 0);
    assert.match(sc.stderr, /Operation not permitted/);
    const unconfined = run(["--rm", "--security-opt", "seccomp=unconfined", "busybox", "busybox", "unshare", "-U", "true"]);
    assert.equal(unconfined.code, 0, unconfined.stderr);
  });

  it("--dry-run prints the OCI spec and the plan, creating nothing", () => {
    const r = e.berth(["run", "--dry-run", "--network", "none", "--memory", "64m", "busybox", "true"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"CAP_AUDIT_WRITE"/);
    assert.match(r.stdout, /"limit": 67108864/);
    assert.match(r.stdout, /# plan \(\d+ steps\)/);
    assert.match(r.stdout, /mount overlay on /);
    assert.equal(e.berth(["ps", "-aq"]).stdout, "", e.berth(["ps", "-a"]).stdout);
  });
});

describe("detached containers", () => {
  it("-d, then ps, logs (after the CLI exited), inspect, stop, rm", async () => {
    const r = run(["-d", "--name", "web", "--label", "tier=front", "busybox", "sh", "-c", "echo started; echo oops >&2; exec sleep 1000"]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    await sleep(200);
    const ps = e.berth(["ps"]).stdout;
    assert.match(ps, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
    assert.match(ps, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sh -c echo started.*Up .*web$`, "m"));
    const logs = e.berth(["logs", "web"]);
    assert.equal(logs.stdout, "started\n");
    assert.equal(logs.stderr, "oops\n");
    assert.match(e.berth(["logs", "-t", "web"]).stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started$/m);
    assert.equal(inspect(id.slice(0, 8), "{{.State.Status}} {{.State.Running}} {{.Name}} {{.Config.Labels.tier}} {{.HostConfig.RestartPolicy.Name}}"), "running true /web front no");
    const pid = Number(inspect("web", "{{.State.Pid}}"));
    assert.ok(alive(pid));
    const doc = JSON.parse(e.berth(["inspect", "web"]).stdout)[0];
    assert.equal(doc.Id, id);
    assert.deepEqual(doc.Config.Cmd, ["sh", "-c", "echo started; echo oops >&2; exec sleep 1000"]);
    assert.equal(e.berth(["ps", "-q", "--filter", "label=tier=front"]).stdout.trim(), id.slice(0, 12));
    const stop = e.berth(["stop", "-t", "1", "web"]);
    assert.equal(stop.stdout, "web\n", stop.stderr);
    assert.equal(inspect("web", "{{.State.Status}} {{.State.ExitCode}}"), "exited 137");
    assert.ok(!alive(pid));
    assert.match(e.berth(["ps", "-a"]).stdout, /Exited \(137\)/);
    assert.equal(e.berth(["logs", "--tail", "2", "web"]).stdout, "started\n");
    assert.equal(e.berth(["logs", "--tail", "1", "web"]).stderr, "oops\n");
    assert.equal(e.berth(["rm", "web"]).code, 0);
    assert.equal(e.berth(["inspect", "web"]).code, 1);
  });

  it("refuses to remove a running container without -f", () => {
    const id = run(["-d", "busybox", "sleep", "1000"]).stdout.trim();
    const r = e.berth(["rm", id]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /You cannot remove a running container/);
    assert.equal(e.berth(["rm", "-f", id]).code, 0);
    assert.equal(e.berth(["ps", "-aq"]).stdout, "");
  });

  it("create then start -a", () => {
    const id = e.berth(["create", "--network", "none", "busybox", "echo", "created"]).stdout.trim();
    assert.equal(inspect(id, "{{.State.Status}}"), "created");
    const r = e.berth(["start", "-a", id]);
    assert.equal(r.stdout, "created\n", r.stderr);
    assert.equal(inspect(id, "{{.State.Status}} {{.State.ExitCode}}"), "exited 0");
    assert.equal(e.berth(["wait", id]).stdout, "0\n");
    e.berth(["rm", id]);
  });

  it("on-failure:2 restarts twice, with back-off", async () => {
    const id = run(["-d", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo try; exit 4"]).stdout.trim();
    for (let i = 0; i < 100 && inspect(id, "{{.RestartCount}} {{.State.Status}}") !== "2 exited"; i++) await sleep(50);
    assert.equal(inspect(id, "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}"), "2 exited 4");
    assert.equal(e.berth(["logs", id]).stdout, "try\ntry\ntry\n");
    e.berth(["rm", id]);
  });

  it("a memory limit is in the cgroup, and an OOM kill shows in inspect", () => {
    const lim = run(["--rm", "--memory", "16m", "busybox", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]);
    if (lim.code === 0) assert.equal(lim.stdout.trim(), String(16 * 1024 * 1024));
    const r = run(["--memory", "8m", "--name", "oom", "busybox", "sh", "-c", "x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo survived"]);
    assert.equal(r.code, 137, r.stderr + r.stdout);
    assert.equal(inspect("oom", "{{.State.OOMKilled}} {{.State.ExitCode}}"), "true 137");
    e.berth(["rm", "oom"]);
  });
});

describe("concurrency and crashes", () => {
  it("50 parallel run -d reach running with unique names", { timeout: 60_000 }, async () => {
    const procs = Array.from({ length: 50 }, () => e.spawnBerth(["run", "-d", "--network", "none", "busybox", "sleep", "1000"]));
    const codes = await Promise.all(procs.map((p) => new Promise<number>((r) => p.on("exit", (c) => r(c ?? 1)))));
    assert.deepEqual(codes.filter((c) => c !== 0), []);
    const rows = e.berth(["ps", "--format", "{{.Names}} {{.State}}"]).stdout.trim().split("\n");
    assert.equal(rows.length, 50);
    assert.equal(new Set(rows.map((r) => r.split(" ")[0])).size, 50, "names are unique");
    assert.ok(rows.every((r) => r.endsWith(" running")), rows.join("\n"));
    // every record parses (no damaged state)
    for (const d of readdirSync(join(e.root, "containers"))) JSON.parse(readFileSync(join(e.root, "containers", d, "config.json"), "utf8"));
    const all = e.berth(["ps", "-q"]).stdout.trim().split("\n");
    assert.equal(e.berth(["rm", "-f", ...all]).code, 0);
    assert.equal(e.berth(["ps", "-aq"]).stdout, "");
  });

  it("kill -9 of the monitor: the next ps says exited, not running", () => {
    const id = run(["-d", "busybox", "sleep", "1000"]).stdout.trim();
    const rec = JSON.parse(readFileSync(join(e.root, "containers", id, "config.json"), "utf8"));
    const pid = Number(inspect(id, "{{.State.Pid}}"));
    process.kill(rec.state.monitorPid, "SIGKILL");
    assert.match(e.berth(["ps", "-a", "--filter", `id=${id}`]).stdout, /Exited \(137\)/);
    assert.equal(inspect(id, "{{.State.Running}}"), "false");
    assert.ok(!alive(pid), "the orphaned init was killed");
    assert.equal(e.berth(["rm", id]).code, 0);
  });

  it("kill -9 of berth in the middle of run/rm: truthful status, rm -f cleans", { timeout: 60_000 }, async () => {
    for (const delay of [5, 20, 40, 60, 90]) {
      const p = e.spawnBerth(["run", "-d", "--network", "none", "busybox", "sleep", "1000"]);
      const done = new Promise((r) => p.on("exit", r));
      await sleep(delay);
      p.kill("SIGKILL");
      await done;
    }
    const victim = run(["-d", "busybox", "sleep", "1000"]).stdout.trim();
    const rmp = e.spawnBerth(["rm", "-f", victim]);
    const rmDone = new Promise((r) => rmp.on("exit", r));
    await sleep(15);
    rmp.kill("SIGKILL");
    await rmDone;
    const rows = e.berth(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}"]).stdout.trim().split("\n").filter(Boolean);
    for (const row of rows) {
      const [id, state] = row.split(" ");
      if (state === "running") assert.ok(alive(Number(inspect(id!, "{{.State.Pid}}"))), `${id} reported running but is not`);
    }
    const ids = rows.map((r) => r.split(" ")[0]!);
    if (ids.length) assert.equal(e.berth(["rm", "-f", ...ids]).code, 0);
    assert.equal(e.berth(["ps", "-aq"]).stdout, "");
    assert.deepEqual(readdirSync(join(e.root, "containers")), []);
    assert.deepEqual(readdirSync(join(e.root, "runtime")).filter((n) => !n.startsWith(".")), []);
  });
});
