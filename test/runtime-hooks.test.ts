// OCI hooks: order, state on stdin, the namespace they run in, failures and timeouts.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle, cleanup, cleanupRootfs, rt, runIn, runtimeRoot } from "./fixtures/bundle.ts";

let root: string;
let out: string;
before(() => {
  root = runtimeRoot();
  out = mkdtempSync(join(tmpdir(), "berth-hooks-"));
});
after(() => {
  cleanup(root, out);
  cleanupRootfs();
});

const sh = (script: string, timeout?: number) => ({ path: "/bin/sh", args: ["sh", "-c", script], ...(timeout ? { timeout } : {}) });

describe("hooks", () => {
  it("runs prestart, createRuntime, createContainer, startContainer, poststart and poststop in order", () => {
    const log = join(out, "order");
    const b = bundle(["cat", "/dev/shm/from-hook"], (s) => {
      s.hooks = {
        prestart: [sh(`echo prestart >> ${log}`)],
        createRuntime: [sh(`cat > ${out}/state.json; echo createRuntime >> ${log}`)],
        createContainer: [sh(`echo createContainer >> ${log}`)],
        // runs inside the container, before its program: the file is on the container's /dev/shm
        startContainer: [sh("echo written-by-startContainer > /dev/shm/from-hook")],
        poststart: [sh(`echo poststart >> ${log}`)],
        poststop: [sh(`echo poststop >> ${log}`)],
      };
    });
    const r = runIn(root, b, "hooked-1");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "written-by-startContainer");
    assert.deepEqual(readFileSync(log, "utf8").trim().split("\n"), ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]);
    const st = JSON.parse(readFileSync(join(out, "state.json"), "utf8"));
    assert.equal(st.id, "hooked-1");
    assert.equal(st.status, "creating");
    assert.ok(st.pid > 1, "the host pid of the init");
    assert.equal(st.bundle, b.dir);
  });

  it("a failing createRuntime hook stops create, naming the hook, and leaves nothing", () => {
    const b = bundle(["true"], (s) => (s.hooks = { createRuntime: [sh("echo boom >&2; exit 3")] }));
    const r = rt(root, ["create", "--bundle", b.dir, "hook-fail"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hooks\.createRuntime\[0\] \(\/bin\/sh\): exited with status 3: boom/);
    assert.ok(!existsSync(join(root, "hook-fail")));
  });

  it("kills a hook that exceeds its timeout", () => {
    const b = bundle(["true"], (s) => (s.hooks = { createContainer: [sh("sleep 10", 1)] }));
    const t0 = Date.now();
    const r = rt(root, ["create", "--bundle", b.dir, "hook-slow"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /timed out after 1s/);
    assert.ok(Date.now() - t0 < 5000);
  });

  it("a failing poststart hook only warns", () => {
    const b = bundle(["true"], (s) => (s.hooks = { poststart: [sh("exit 1")] }));
    const r = runIn(root, b);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning: hooks\.poststart\[0\]/);
  });
});
