// The rest of runc's command line: features, update, events, spec, list formats.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
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

  it("refuses the systemd cgroup driver clearly", () => {
    const r = rt(root, ["--systemd-cgroup", "list"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /systemd cgroup driver is not supported/);
  });
});
