// The compiled CLIs must not take configuration or code from the directory they run in: Bun's
// standalone executables load ./.env and ./bunfig.toml (whose `preload` runs a script) unless
// built with those autoloads off. containerd runs the runtime with the bundle as its cwd, and a
// root user may run berth anywhere (/tmp).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "berth-cwd-"));
const marker = join(dir, "preload-ran");
writeFileSync(join(dir, "evil.js"), `require("fs").writeFileSync(${JSON.stringify(marker)}, "x");\n`);
writeFileSync(join(dir, "bunfig.toml"), `preload = ["./evil.js"]\n`);
writeFileSync(join(dir, ".env"), `BERTH_ROOT=${join(dir, "evil-root")}\nXDG_RUNTIME_DIR=${join(dir, "evil-run")}\n`);
after(() => rmSync(dir, { recursive: true, force: true }));

describe("compiled CLIs ignore the working directory's .env and bunfig.toml", () => {
  it("berth", () => {
    const env = { ...process.env };
    delete env.BERTH_ROOT;
    const r = spawnSync(join(repo, "bin/berth"), ["info"], { cwd: dir, env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(marker), false, "bunfig.toml's preload ran");
    assert.doesNotMatch(r.stdout, /evil-root/);
    assert.match(r.stdout, /Docker Root Dir: \/var\/lib\/berth/);
  });

  it("berth-runtime", () => {
    const r = spawnSync(join(repo, "bin/berth-runtime"), ["list"], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(marker), false, "bunfig.toml's preload ran");
  });
});

// The compiled berth must find the unpack worker's entry point inside itself: when it cannot, the
// pull silently runs on one lane (e.g. with `bun build --splitting`, bench/RESULTS.md).
describe("compiled berth", () => {
  it("pulls with its unpack worker", async () => {
    const { startRegistry } = await import("./fixtures/registry.ts");
    const { busyboxImage, pushImageParts } = await import("./fixtures/images.ts");
    const reg = await startRegistry();
    const store = mkdtempSync(join(tmpdir(), "berth-worker-"));
    try {
      await pushImageParts(reg.host, "test/busybox", "latest", busyboxImage());
      const r = spawnSync(join(repo, "bin/berth"), ["pull", "-q", `${reg.host}/test/busybox`], { env: { ...process.env, BERTH_ROOT: store, BERTH_TRACE: "1" }, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      // A lost entry point is reported at once (a --splitting build prints this within the pull).
      // A worker that is still starting when a small pull ends (a slow VM) prints nothing.
      assert.doesNotMatch(r.stderr, /unpack worker: unavailable/);
    } finally {
      await reg.stop();
      rmSync(store, { recursive: true, force: true });
    }
  });
});
