// The end of a container's life: the attached `run` records the exit itself, the monitor's exit
// command (`berth __container-exited`) must then find nothing to do and leave nothing behind
// (not even the lock file it would recreate by locking), and must still do the whole job when
// the client is gone. Also the attach stream under volume (partial frames, stdin back-pressure).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { engineEnv, type EngineEnv } from "./fixtures/engine.ts";
import { readExitFile } from "../src/engine/runtime.ts";
import { loadRecord, saveRecord } from "../src/engine/store.ts";
import type { ContainerRecord } from "../src/engine/model.ts";

let e: EngineEnv;
before(() => {
  e = engineEnv();
});
after(() => e.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The id of the container created with `name`, from the event log (it outlives a --rm container). */
function idOf(name: string): string {
  const lines = readFileSync(join(e.root, "events.jsonl"), "utf8").trim().split("\n");
  const ev = lines.map((l) => JSON.parse(l) as { action: string; id: string; attributes: { name?: string } }).find((x) => x.action === "create" && x.attributes.name === name);
  assert.ok(ev, `no create event for ${name}`);
  return ev.id;
}

/** Wait until no process is the exit command of `id`. */
async function exitCommandDone(id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const running = readdirSync("/proc").some((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`__container-exited\0${id}`);
      } catch {
        return false;
      }
    });
    if (!running) return;
    await sleep(25);
  }
  assert.fail(`the exit command of ${id} is still running`);
}

function trashed(id: string): string[] {
  try {
    return readdirSync(join(e.root, "trash")).filter((n) => n.startsWith(id));
  } catch {
    return [];
  }
}

function leftovers(id: string, name: string): string[] {
  return [
    join(e.root, "containers", id),
    join(e.root, "runtime", id),
    join(e.root, "locks", "containers", `${id}.lock`),
    join(e.root, "container-names", name),
    `/run/berth/${id}.sock`,
  ].filter((p) => existsSync(p));
}

describe("exit handling", () => {
  it("run --rm leaves nothing, also once the monitor's exit command has run", async () => {
    for (let i = 0; i < 3; i++) {
      const name = `rm${i}`;
      const r = e.berth(["run", "--rm", "--network", "none", "--name", name, "busybox", "sh", "-c", `exit ${i}`]);
      assert.equal(r.code, i, r.stderr);
      const id = idOf(name);
      assert.deepEqual(leftovers(id, name), [], "when run returns");
      await exitCommandDone(id);
      assert.deepEqual(leftovers(id, name), [], "after the exit command");
      // the client moved the files to the trash; the exit command swept them
      assert.deepEqual(trashed(id), [], "after the exit command, in the trash");
    }
  });

  it("run without --rm: the exit is recorded by the client, the exit command changes nothing", async () => {
    const r = e.berth(["run", "--network", "none", "--name", "kept", "busybox", "sh", "-c", "exit 7"]);
    assert.equal(r.code, 7, r.stderr);
    const id = idOf("kept");
    const rec = () => JSON.parse(readFileSync(join(e.root, "containers", id, "config.json"), "utf8")) as { state: { status: string; exitCode: number; finishedAt: string } };
    const first = rec().state;
    assert.equal(first.status, "exited");
    assert.equal(first.exitCode, 7);
    await exitCommandDone(id);
    assert.deepEqual(rec().state, first);
    assert.equal(e.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "kept"]).stdout.trim(), "exited 7");
    assert.equal(e.berth(["rm", "kept"]).code, 0);
  });

  it("the exit command for a container that is gone does nothing and creates nothing", () => {
    const id = randomBytes(32).toString("hex");
    const t0 = performance.now();
    const r = e.berth(["__container-exited", id]);
    const ms = performance.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(join(e.root, "locks", "containers", `${id}.lock`)), "no lock file made");
    assert.ok(!existsSync(join(e.root, "containers", id)));
    assert.ok(ms < 5000);
    assert.equal(e.berth(["__container-exited", "../../etc"]).code, 2, "only container ids");
  });

  it("kill -9 of the attached client: the exit command records the exit (and applies --rm)", async () => {
    const kept = e.spawnBerth(["run", "--network", "none", "--name", "orphan", "busybox", "sh", "-c", "sleep 1; exit 5"]);
    const gone = e.spawnBerth(["run", "--rm", "--network", "none", "--name", "orphan-rm", "busybox", "sh", "-c", "sleep 1; exit 5"]);
    // kill the clients once both containers run (a fixed delay was too short in a slow VM)
    const started = (name: string) => {
      try {
        return readFileSync(join(e.root, "events.jsonl"), "utf8").split("\n").some((l) => l.includes(`"action":"start"`) && l.includes(`"name":"${name}"`));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 200 && !(started("orphan") && started("orphan-rm")); i++) await sleep(25);
    kept.kill("SIGKILL");
    gone.kill("SIGKILL");
    await Promise.all([kept, gone].map((p) => new Promise((r) => p.on("exit", r))));
    const keptId = idOf("orphan");
    const goneId = idOf("orphan-rm");
    // both containers outlive their client and exit on their own
    for (let i = 0; i < 100; i++) {
      if (e.berth(["inspect", "-f", "{{.State.Status}}", "orphan"]).stdout.trim() === "exited" && !existsSync(join(e.root, "containers", goneId))) break;
      await sleep(50);
    }
    await exitCommandDone(keptId);
    await exitCommandDone(goneId);
    assert.equal(e.berth(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "orphan"]).stdout.trim(), "exited 5");
    assert.deepEqual(leftovers(goneId, "orphan-rm"), []);
    assert.equal(e.berth(["rm", "orphan"]).code, 0);
  });
});

describe("attach stream", () => {
  it("carries large output and large stdin whole", () => {
    const big = e.berth(["run", "--rm", "--network", "none", "busybox", "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a; echo; echo done >&2"]);
    assert.equal(big.code, 0, big.stderr);
    assert.equal(big.stdout, `${"a".repeat(300000)}\n`);
    assert.equal(big.stderr, "done\n");
    const input = "0123456789".repeat(50000);
    const cnt = e.berth(["run", "--rm", "-i", "--network", "none", "busybox", "wc", "-c"], { input });
    assert.equal(cnt.code, 0, cnt.stderr);
    assert.equal(cnt.stdout.trim(), String(input.length));
  });
});

describe("records and exit files (in-process)", () => {
  const withRoot = (fn: (root: string) => void) => {
    const root = mkdtempSync(join(tmpdir(), "berth-exit-unit-"));
    const prev = process.env.BERTH_ROOT;
    process.env.BERTH_ROOT = root;
    try {
      fn(root);
    } finally {
      if (prev === undefined) delete process.env.BERTH_ROOT;
      else process.env.BERTH_ROOT = prev;
      rmSync(root, { recursive: true, force: true });
    }
  };

  it("an exit file that is not '<status> <ns>' reads as none, never as status 0", () => {
    withRoot((root) => {
      const id = "a".repeat(64);
      mkdirSync(join(root, "containers", id), { recursive: true });
      const f = join(root, "containers", id, "exit");
      assert.equal(readExitFile(id), undefined, "missing");
      writeFileSync(f, "3 1700000000123456789\n");
      assert.deepEqual(readExitFile(id), { code: 3, at: "2023-11-14T22:13:20.123Z" });
      for (const torn of ["", "\0\0\0\0", "3", "3 ", "x 17", "3 17 9\n"]) {
        writeFileSync(f, torn);
        assert.equal(readExitFile(id), undefined, JSON.stringify(torn));
      }
    });
  });

  it("saveRecord without fsync still replaces the record whole, leaving no temp file", () => {
    withRoot((root) => {
      const id = "b".repeat(64);
      const dir = join(root, "containers", id);
      mkdirSync(dir, { recursive: true });
      const rec = {
        id, name: "x", image: "sha256:0", imageName: "busybox", created: "", specPath: "", logPath: "", labels: {}, mounts: [],
        options: { cmd: [], mounts: [] }, config: { path: "true", args: [] },
        state: { status: "created", pid: 0, monitorPid: 0, monitorStart: 0, exitCode: 0, error: "", startedAt: "", finishedAt: "", oomKilled: false, restartCount: 0, manuallyStopped: false },
      } as unknown as ContainerRecord;
      saveRecord(rec);
      rec.state.status = "running";
      rec.state.monitorPid = 42;
      saveRecord(rec, { durable: false });
      assert.equal(loadRecord(id).state.status, "running");
      assert.equal(loadRecord(id).state.monitorPid, 42);
      assert.deepEqual(readdirSync(dir), ["config.json"]);
    });
  });
});
