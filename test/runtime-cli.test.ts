// The rest of runc's command line: features, update, events, spec, list formats.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle, cleanup, cleanupRootfs, rt, runtimeRoot } from "./fixtures/bundle.ts";
import { cgroupMounts } from "../src/runtime/cgroups/detect.ts";

const v2 = cgroupMounts().mode === "unified";
const hostFile = (ctrl: string, id: string, v1file: string, v2file: string) =>
  v2 ? `/sys/fs/cgroup/berth/${id}/${v2file}` : `/sys/fs/cgroup/${ctrl}/berth/${id}/${v1file}`;

let root: string;
before(() => {
  root = runtimeRoot();
});
after(() => {
  rt(root, ["delete", "--force", "upd-1"]);
  cleanup(root);
  cleanupRootfs();
});

describe("runtime CLI", () => {
  it("features lists what is supported", () => {
    const f = JSON.parse(rt(root, ["features"]).stdout);
    assert.equal(f.ociVersionMax, "1.2.0");
    assert.ok(f.linux.namespaces.includes("user"));
    assert.ok(f.linux.capabilities.includes("CAP_SYS_ADMIN"));
    assert.equal(f.linux.seccomp.enabled, true);
    assert.ok(f.hooks.includes("createRuntime"));
  });

  it("update changes limits of a running container; events --stats reads them back", () => {
    const b = bundle(["sleep", "30"], (s) => (s.linux!.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } }));
    assert.equal(rt(root, ["run", "--detach", "--bundle", b.dir, "upd-1"]).code, 0);
    const r = rt(root, ["update", "--memory", "32m", "--pids-limit", "15", "upd-1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(hostFile("memory", "upd-1", "memory.limit_in_bytes", "memory.max"), "utf8").trim(), String(32 * 1024 * 1024));
    assert.equal(readFileSync(hostFile("pids", "upd-1", "pids.max", "pids.max"), "utf8").trim(), "15");
    const ev = JSON.parse(rt(root, ["events", "--stats", "upd-1"]).stdout);
    assert.equal(ev.type, "stats");
    assert.equal(ev.id, "upd-1");
    assert.equal(ev.data.memory.usage.limit, 32 * 1024 * 1024);
    assert.equal(ev.data.pids.limit, 15);
    assert.ok(ev.data.pids.current >= 1);
  });

  it("update refuses a bad value, changing nothing", () => {
    const r = rt(root, ["update", "--pids-limit", "lots", "upd-1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--pids-limit/);
    assert.equal(readFileSync(hostFile("pids", "upd-1", "pids.max", "pids.max"), "utf8").trim(), "15");
  });

  it("spec writes a config that validates, and refuses to overwrite it", () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-spec-"));
    assert.equal(rt(root, ["spec", "--bundle", dir]).code, 0);
    assert.ok(existsSync(join(dir, "config.json")));
    const again = rt(root, ["spec", "--bundle", dir]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /exists/);
    cleanup(dir);
  });

  it("list prints JSON and ids", () => {
    const list = JSON.parse(rt(root, ["list", "--format", "json"]).stdout) as { id: string; status: string }[];
    assert.ok(list.some((c) => c.id === "upd-1" && c.status === "running"));
    assert.match(rt(root, ["list", "-q"]).stdout, /^upd-1$/m);
  });

  // start's common case reads the exec fifo without node:fs (ops/start-quick.ts); everything
  // else must still come out of the full start, and nothing may hang.
  it("start: releases a created container (quick path), refuses a started or dead one, runs poststart hooks", () => {
    const b = bundle(["true"]);
    const env = process.env.BERTH_TRACE;
    try {
      for (let i = 0; i < 10; i++) {
        // /bin/true exits at once, maybe before its byte is seen: start must still succeed
        const id = `st-q${i}`;
        assert.equal(rt(root, ["create", "--bundle", b.dir, id]).code, 0);
        // only its owner may open it: a container user cannot start it (the init inherits it open)
        assert.equal(statSync(join(root, id, "exec.fifo")).mode & 0o777, 0o600);
        process.env.BERTH_TRACE = "1";
        const r = rt(root, ["start", id]);
        delete process.env.BERTH_TRACE;
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /start: released \(quick\)/);
        assert.ok(!existsSync(join(root, id, "exec.fifo")));
        const again = rt(root, ["start", id]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /cannot start a container that is (running|stopped)/);
        assert.equal(rt(root, ["delete", id]).code, 0);
      }
    } finally {
      if (env === undefined) delete process.env.BERTH_TRACE;
      else process.env.BERTH_TRACE = env;
    }
    // an init killed before start: an error, quickly, and delete still works
    assert.equal(rt(root, ["create", "--bundle", b.dir, "st-dead"]).code, 0);
    const pid = JSON.parse(rt(root, ["state", "st-dead"]).stdout).pid as number;
    process.kill(pid, "SIGKILL");
    const t0 = Date.now();
    const dead = rt(root, ["start", "st-dead"], { timeout: 10_000 });
    assert.equal(dead.code, 1, dead.stderr);
    assert.match(dead.stderr, /cannot start a container that is stopped|exited before it could be started/);
    assert.ok(Date.now() - t0 < 5000, `start of a dead container took ${Date.now() - t0} ms`);
    assert.equal(rt(root, ["delete", "st-dead"]).code, 0);
    // no /proc in the container: the init waits on the fifo it inherited, not on a path
    const out = join(b.dir, "noproc-out");
    const np = bundle(["sh", "-c", `echo started > /out/x`], (s) => {
      s.mounts = [...s.mounts!.filter((m) => m.destination !== "/proc"), { destination: "/out", type: "bind", source: mkdirOut(out), options: ["rbind"] }];
      s.root!.readonly = false;
    });
    assert.equal(rt(root, ["create", "--bundle", np.dir, "st-noproc"]).code, 0);
    const sp = rt(root, ["start", "st-noproc"]);
    assert.equal(sp.code, 0, sp.stderr);
    for (let i = 0; i < 400 && !existsSync(join(out, "x")); i++) Bun.sleepSync(5);
    assert.equal(readFileSync(join(out, "x"), "utf8"), "started\n");
    assert.equal(rt(root, ["delete", "--force", "st-noproc"]).code, 0);
    // a poststart hook: the full start runs it
    const mark = join(b.dir, "poststart-ran");
    const hb = bundle(["true"], (s) => (s.hooks = { poststart: [{ path: "/bin/sh", args: ["sh", "-c", `echo ok > ${mark}`] }] }));
    assert.equal(rt(root, ["create", "--bundle", hb.dir, "st-hook"]).code, 0);
    const hr = rt(root, ["start", "st-hook"]);
    assert.equal(hr.code, 0, hr.stderr);
    assert.equal(readFileSync(mark, "utf8"), "ok\n");
    assert.equal(rt(root, ["delete", "--force", "st-hook"]).code, 0);
    assert.equal(rt(root, ["start", "no-such-container"]).code, 1);
    assert.match(rt(root, ["start", "../x"]).stderr, /invalid container id/);
  });

  // delete's common case removes a stopped container without node:fs (ops/delete-quick.ts); what
  // it leaves (an exec fifo of an init that died before start) the full delete must finish.
  it("delete: removes a stopped container (quick path) and whatever the quick path leaves", async () => {
    const b = bundle(["true"]);
    const traced = (args: string[]) => {
      process.env.BERTH_TRACE = "1";
      try {
        return rt(root, args);
      } finally {
        delete process.env.BERTH_TRACE;
      }
    };
    const recorded = (id: string) => JSON.parse(readFileSync(join(root, id, "state.json"), "utf8")).cgroupPaths as string[];
    const stopped = async (id: string) => {
      for (let i = 0; i < 200 && JSON.parse(rt(root, ["state", id]).stdout).status !== "stopped"; i++) await Bun.sleep(5);
      assert.equal(JSON.parse(rt(root, ["state", id]).stdout).status, "stopped");
    };
    // two stopped containers: the first delete leaves the shared /berth parent to the second
    for (const id of ["del-q1", "del-q2"]) {
      assert.equal(rt(root, ["create", "--bundle", b.dir, id]).code, 0);
      assert.equal(rt(root, ["start", id]).code, 0);
      await stopped(id);
    }
    const dirs = [...recorded("del-q1"), ...recorded("del-q2")];
    assert.ok(dirs.length >= 1 && dirs.every((d) => existsSync(d)), `cgroup dirs: ${dirs}`);
    const parents = [...new Set(dirs.map((d) => d.slice(0, d.lastIndexOf("/"))))];
    for (const id of ["del-q1", "del-q2"]) {
      const d = traced(["delete", id]);
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stderr, /delete: state removed \(quick\)/);
      assert.ok(!existsSync(join(root, id)), `${id}: state dir left`);
      assert.ok(!dirs.filter((x) => x.endsWith(`/${id}`)).some((x) => existsSync(x)), `${id}: cgroup left`);
    }
    // the shared parent goes with its last container (other tests' containers may still be in it)
    const emptyLeft = parents.filter((p) => existsSync(p) && !readdirSafe(p).some((n) => statSync(join(p, n)).isDirectory()));
    assert.deepEqual(emptyLeft, [], "an empty parent cgroup left");
    assert.equal(rt(root, ["state", "del-q1"]).code, 1);
    // an init killed before start: its exec fifo stays in the state dir; the quick path gives up
    // after removing state.json and the full delete removes the rest
    assert.equal(rt(root, ["create", "--bundle", b.dir, "del-dead"]).code, 0);
    const deadDirs = recorded("del-dead");
    process.kill(JSON.parse(rt(root, ["state", "del-dead"]).stdout).pid as number, "SIGKILL");
    await stopped("del-dead");
    const d = traced(["delete", "del-dead"]);
    assert.equal(d.code, 0, d.stderr);
    assert.doesNotMatch(d.stderr, /state removed \(quick\)/);
    assert.ok(!existsSync(join(root, "del-dead")), "state dir left");
    assert.deepEqual(deadDirs.filter((x) => existsSync(x)), [], "cgroup left");
    // a running container is not the quick path's: without --force it is refused, with it killed
    const run = bundle(["sleep", "30"]);
    assert.equal(rt(root, ["run", "--detach", "--bundle", run.dir, "del-run"]).code, 0);
    const refused = rt(root, ["delete", "del-run"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /running/);
    assert.equal(rt(root, ["delete", "--force", "del-run"]).code, 0);
    assert.ok(!existsSync(join(root, "del-run")));
    assert.match(rt(root, ["delete", "../x"]).stderr, /invalid container id/);
    assert.equal(rt(root, ["delete", "no-such"]).code, 1);
    assert.equal(rt(root, ["delete", "--force", "no-such"]).code, 0);
  });

  it("a damaged state.json (not JSON, or JSON without the fields) is reported, skipped by list, removed by delete --force", () => {
    const r2 = runtimeRoot();
    try {
      for (const [id, text] of [["dmg-text", "{not json"], ["dmg-shape", '{"config":{"process":{}}}'], ["dmg-types", '{"id":"dmg-types","pid":"1","phase":"created","cgroupPaths":{},"config":{}}']]) {
        mkdirSync(join(r2, id!), { recursive: true });
        writeFileSync(join(r2, id!, "state.json"), text!);
      }
      const l = rt(r2, ["list", "--format", "json"]);
      assert.equal(l.code, 0, l.stderr);
      assert.deepEqual(JSON.parse(l.stdout), []);
      assert.match(l.stderr, /dmg-shape.*damaged/);
      for (const id of ["dmg-text", "dmg-shape", "dmg-types"]) {
        const st = rt(r2, ["state", id]);
        assert.equal(st.code, 1, `${id}: ${st.stdout}`);
        assert.match(st.stderr, new RegExp(`state of container ${id} is damaged .*delete it with --force`));
        const d = rt(r2, ["delete", id]);
        assert.equal(d.code, 1);
        assert.match(d.stderr, /damaged/);
        const f = rt(r2, ["delete", "--force", id]);
        assert.equal(f.code, 0, f.stderr);
        assert.ok(!existsSync(join(r2, id)));
      }
    } finally {
      cleanup(r2);
    }
  });

  it("refuses the systemd cgroup driver clearly", () => {
    const r = rt(root, ["--systemd-cgroup", "list"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /systemd cgroup driver is not supported/);
  });
});

function mkdirOut(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
