import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Seccomp } from "../src/runtime/spec.ts";
import { compiledSeccomp, seccompCacheKey } from "../src/runtime/seccomp/cache.ts";
import { compileSeccomp } from "../src/runtime/seccomp/compile.ts";
import { dockerDefaultProfile } from "../src/runtime/seccomp/default-profile.ts";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "berth-seccomp-cache-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const profile = dockerDefaultProfile(["CAP_CHOWN", "CAP_KILL"], { kernel: "6.18" });

describe("seccomp cache", () => {
  it("keys equal profiles alike (undefined members ignored) and different ones apart", () => {
    const a: Seccomp = { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86"] };
    assert.equal(seccompCacheKey(a), seccompCacheKey({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86"], flags: undefined }));
    assert.equal(seccompCacheKey(profile), seccompCacheKey(dockerDefaultProfile(["CAP_CHOWN", "CAP_KILL"], { kernel: "6.18" })));
    assert.notEqual(seccompCacheKey(a), seccompCacheKey({ ...a, architectures: ["SCMP_ARCH_X32"] }));
    assert.notEqual(seccompCacheKey(a), seccompCacheKey({ ...a, defaultAction: "SCMP_ACT_KILL" }));
  });

  it("stores the compiled program once and serves it from disk afterwards", () => {
    withDir((dir) => {
      const first = compiledSeccomp(profile, dir);
      assert.deepEqual(first, compileSeccomp(profile));
      const files = readdirSync(dir);
      assert.deepEqual(files, [`${seccompCacheKey(profile)}.bpf`]); // no temp files left behind
      // Swap in a different (valid) entry: a hit must return the file's content, not recompile.
      const other = compileSeccomp({ defaultAction: "SCMP_ACT_LOG", flags: ["SECCOMP_FILTER_FLAG_LOG"] });
      const entry = readFileSync(join(dir, files[0]));
      const forged = Buffer.concat([entry.subarray(0, 8), Buffer.from([2, 0, 0, 0]), Buffer.from(other.program)]);
      writeFileSync(join(dir, files[0]), forged);
      const hit = compiledSeccomp(profile, dir);
      assert.equal(hit.flags, 2);
      assert.deepEqual(hit.program, other.program);
    });
  });

  it("recompiles over a corrupt entry", () => {
    withDir((dir) => {
      const file = join(dir, `${seccompCacheKey(profile)}.bpf`);
      writeFileSync(file, "garbage!");
      assert.deepEqual(compiledSeccomp(profile, dir), compileSeccomp(profile));
      assert.ok(readFileSync(file).length > 100);
    });
  });

  it("still compiles when the cache directory is not writable, and never caches errors", () => {
    withDir((dir) => {
      const ro = join(dir, "file-not-dir");
      writeFileSync(ro, "");
      chmodSync(ro, 0o400);
      assert.deepEqual(compiledSeccomp(profile, join(ro, "sub")), compileSeccomp(profile));
      assert.throws(() => compiledSeccomp({ defaultAction: "SCMP_ACT_NOPE" }, dir), /unknown action/);
      assert.deepEqual(readdirSync(dir), ["file-not-dir"]);
    });
  });
});

describe("cache key fingerprint", () => {
  it("SYSCALL_TABLES_HASH matches the committed tables (run scripts/gen-syscalls.ts after editing them)", async () => {
    const { createHash } = await import("node:crypto");
    const { readFileSync } = await import("node:fs");
    const { SYSCALL_TABLES_HASH } = await import("../src/runtime/seccomp/syscalls-hash.ts");
    const dir = `${import.meta.dir}/../src/runtime/seccomp`;
    const srcs = ["x86_64", "x86", "x32"].map((a) => readFileSync(`${dir}/syscalls-${a}.ts`, "utf8"));
    assert.equal(createHash("sha256").update(srcs.join("\0")).digest("hex"), SYSCALL_TABLES_HASH);
  });
});
