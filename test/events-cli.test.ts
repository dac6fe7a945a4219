// `berth events` through bin/berth: events written by berth processes (and by emitEvent
// here, as the engine and image layers call it), replayed with --since/--until, filtered,
// formatted, followed live and across rotation.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = mkdtempSync(join(tmpdir(), "berth-events-"));
process.env.BERTH_ROOT = root;
const BIN = process.env.BERTH_TEST_BIN ?? resolve(import.meta.dir, "../bin/berth");
const BUN = resolve(import.meta.dir, "../scripts/bun");
const ev = await import("../src/engine/events.ts");

function berth(args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync(BIN, args, { env: { ...process.env, BERTH_ROOT: root, ...env }, timeout: 15_000 });
  return { code: r.status ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}
function ok(args: string[]): string {
  const r = berth(args);
  assert.equal(r.code, 0, `berth ${args.join(" ")}: ${r.err}${r.out}`);
  return r.out;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** now as Docker's Unix-seconds timestamp with nanoseconds */
const stamp = () => {
  const ns = ev.nowNano();
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}`;
};
const ID = "f".repeat(64);

before(() => {
  const r = berth(["events", "--until", "0s"]);
  assert.equal(r.code, 0, `bin/berth lacks events (rebuild: sh scripts/build.sh): ${r.err}`);
});
after(() => rmSync(root, { recursive: true, force: true }));

describe("events", () => {
  let t1 = "";
  let t2 = "";
  before(async () => {
    ok(["volume", "create", "ev-vol"]);
    await sleep(5);
    t1 = stamp();
    ev.emitEvent({ type: "container", action: "create", id: ID, attributes: { name: "web", image: "busybox:latest", tier: "front" } });
    ev.emitEvent({ type: "container", action: "start", id: ID, attributes: { name: "web", image: "busybox:latest", tier: "front" } });
    ev.emitEvent({ type: "container", action: "exec_start: sh -c true", id: ID, attributes: { name: "web", image: "busybox:latest", execID: "e1" } });
    ev.emitEvent({ type: "image", action: "tag", id: "sha256:" + "a".repeat(64), attributes: { name: "alpine:3" } });
    await sleep(5);
    t2 = stamp();
    ok(["volume", "rm", "ev-vol"]);
  });

  it("replays with --since/--until in Docker's line format, in order", () => {
    const lines = ok(["events", "--since", "0", "--until", "0s"]).trimEnd().split("\n");
    assert.equal(lines.length, 6);
    const T = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}(Z|[+-]\\d\\d:\\d\\d)";
    assert.match(lines[0]!, new RegExp(`^${T} volume create ev-vol \\(driver=local\\)$`));
    assert.match(lines[2]!, new RegExp(`^${T} container start ${ID} \\(image=busybox:latest, name=web, tier=front\\)$`));
    assert.match(lines[5]!, new RegExp(`^${T} volume destroy ev-vol \\(driver=local\\)$`));
    const window = ok(["events", "--since", t1, "--until", t2, "--format", "{{.Type}} {{.Action}}"]);
    assert.equal(window, "container create\ncontainer start\ncontainer exec_start: sh -c true\nimage tag\n");
    assert.equal(ok(["events", "--until", t1, "--format", "{{.Action}}"]), "create\n");
    assert.equal(ok(["events", "--since", t2, "--until", "0s", "--format", "{{.Action}}"]), "destroy\n");
    // RFC 3339 and durations: everything in the last hour
    assert.equal(ok(["events", "--since", "1h", "--until", "0s", "-f", "type=volume", "--format", "{{.Action}}"]), "create\ndestroy\n");
    assert.equal(ok(["events", "--since", new Date(Date.now() - 3600_000).toISOString(), "--until", "0s", "-f", "type=image", "--format", "{{.Actor.ID}}"]), `sha256:${"a".repeat(64)}\n`);
  });

  it("filters: type, event (exec_start by prefix), container by name or id prefix, image, label, volume; ANDed across keys", () => {
    const q = (...f: string[]) => ok(["events", "--since", "0", "--until", "0s", "--format", "{{.Type}}:{{.Action}}", ...f.flatMap((x) => ["--filter", x])]);
    assert.equal(q("event=start"), "container:start\n");
    assert.equal(q("event=exec_start"), "container:exec_start: sh -c true\n");
    assert.equal(q("event=start", "event=destroy"), "container:start\nvolume:destroy\n");
    assert.equal(q("container=web", "event=create"), "container:create\n");
    assert.equal(q("container=ffffff", "type=container").split("\n").length - 1, 3);
    assert.equal(q("container=nope"), "");
    assert.equal(q("image=busybox", "event=start"), "container:start\n");
    assert.equal(q("image=alpine:3"), "image:tag\n");
    assert.equal(q("label=tier=front"), "container:create\ncontainer:start\n");
    assert.equal(q("label=tier=back"), "");
    assert.equal(q("volume=ev-vol"), "volume:create\nvolume:destroy\n");
    const bad = berth(["events", "--until", "0s", "--filter", "colour=red"]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /invalid filter 'colour'/);
    const badTime = berth(["events", "--since", "yesterday-ish"]);
    assert.equal(badTime.code, 1);
    assert.match(badTime.err, /failed to parse value as time or duration: "yesterday-ish"/);
  });

  it("--format json gives Docker's events.Message with exact nanoseconds", () => {
    const out = ok(["events", "--since", "0", "--until", "0s", "--format", "json", "--filter", "event=start"]);
    const raw = out.trim();
    const m = JSON.parse(raw) as Record<string, unknown>;
    assert.deepEqual(Object.keys(m), ["status", "id", "from", "Type", "Action", "Actor", "scope", "time", "timeNano"]);
    assert.deepEqual({ ...m, time: 0, timeNano: 0 }, { status: "start", id: ID, from: "busybox:latest", Type: "container", Action: "start", Actor: { ID, Attributes: { name: "web", image: "busybox:latest", tier: "front" } }, scope: "local", time: 0, timeNano: 0 });
    const nano = /"timeNano":(\d+)/.exec(raw)![1]!;
    assert.equal(nano.length, 19);
    assert.equal(BigInt(nano) / 1_000_000_000n, BigInt(m.time as number));
    assert.ok(BigInt(nano) > BigInt(t1.replace(".", "")) && BigInt(nano) < BigInt(t2.replace(".", "")));
    const vol = JSON.parse(ok(["events", "--since", "0", "--until", "0s", "--format", "json", "-f", "type=volume"]).split("\n")[0]!) as Record<string, unknown>;
    assert.ok(!("status" in vol), "no legacy fields for volume events");
  });

  it("follows new events live until interrupted", async () => {
    const child = spawn(BIN, ["events", "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}"], { env: { ...process.env, BERTH_ROOT: root } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      // it starts at the end of the file: nothing old is shown; keep emitting until one arrives
      let n = 0;
      const deadline = Date.now() + 10_000;
      while (!out.includes("\n") && Date.now() < deadline) {
        ev.emitEvent({ type: "network", action: "create", id: `net${n++}`, attributes: { name: "n" } });
        await sleep(100);
      }
      assert.match(out, /^network create net\d+\n/);
      assert.doesNotMatch(out, /volume|container/);
      out = "";
      spawnSync(BIN, ["volume", "create", "live-vol"], { env: { ...process.env, BERTH_ROOT: root } });
      for (let i = 0; i < 100 && !out.includes("live-vol"); i++) await sleep(50);
      assert.match(out, /^(network create net\d+\n)*volume create live-vol\n$/);
    } finally {
      child.kill("SIGINT");
    }
    const code = await new Promise<number | null>((r) => child.on("exit", (c, sig) => r(c ?? (sig ? 0 : null))));
    assert.notEqual(code, null);
  });

  it("stops by itself when a future --until passes, having shown what came before it", async () => {
    const until = (Date.now() + 1200) / 1000;
    const t0 = Date.now();
    const child = spawn(BIN, ["events", "--until", until.toFixed(3), "--format", "{{.Action}}"], { env: { ...process.env, BERTH_ROOT: root } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await sleep(400);
    ev.emitEvent({ type: "volume", action: "mount-test", id: "v" });
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 >= 1000, "exited before --until");
    // --until alone replays from the start, so older events are there too
    assert.match(out, /^create\n[\s\S]*mount-test\n$/);
  });

  it("lines from concurrent writers never interleave; the file rotates at its cap and readers follow", async () => {
    const root2 = mkdtempSync(join(tmpdir(), "berth-events-rot-"));
    const env = { ...process.env, BERTH_ROOT: root2, BERTH_EVENTS_MAX_BYTES: "8000" };
    try {
      const follower = spawn(BIN, ["events", "--format", "{{.Actor.ID}}"], { env });
      let seen = "";
      follower.stdout.on("data", (d: Buffer) => (seen += d.toString()));
      await sleep(300);
      const script = `const {emitEvent} = await import(${JSON.stringify(resolve(import.meta.dir, "../src/engine/events.ts"))});
        for (let i = 0; i < 60; i++) { emitEvent({ type: "container", action: "start", id: process.argv[1] + "-" + i, attributes: { pad: "x".repeat(40) } }); await Bun.sleep(3); }`;
      const writers = ["w1", "w2", "w3"].map((w) => spawn(BUN, ["-e", script, w], { env }));
      await Promise.all(writers.map((w) => new Promise((r) => w.on("exit", r))));
      for (let i = 0; i < 40 && seen.trim().split("\n").length < 180; i++) await sleep(50);
      follower.kill("SIGINT");
      const ids = seen.trim().split("\n");
      assert.equal(ids.length, 180, "the follower saw every event across rotations");
      for (const w of ["w1", "w2", "w3"]) {
        const mine = ids.filter((x) => x.startsWith(`${w}-`)).map((x) => Number(x.slice(3)));
        assert.deepEqual(mine, [...Array(60).keys()], `${w}'s events in order`);
      }
      assert.ok(existsSync(join(root2, "events.jsonl.1")), "rotated");
      for (const f of ["events.jsonl", "events.jsonl.1"])
        for (const l of readFileSync(join(root2, f), "utf8").trimEnd().split("\n")) assert.doesNotThrow(() => JSON.parse(l), l);
      assert.ok(readFileSync(join(root2, "events.jsonl.1")).length <= 8000 + 1000, "rotated near its cap (a few lines in flight may overshoot)");
    } finally {
      rmSync(root2, { recursive: true, force: true });
    }
  });
});
