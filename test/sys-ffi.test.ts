// sys/ffi.ts's plain file calls (the quick paths of start and delete) and the errno names it
// gives without loading node:os.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMON_ERRNO, rmdirPath, SysError, unlinkPath } from "../src/sys/ffi.ts";

describe("sys/ffi", () => {
  it("names the common errno codes as node:os does", () => {
    const table = constants.errno as Record<string, number>;
    for (const [n, name] of Object.entries(COMMON_ERRNO)) assert.equal(table[name], Number(n), name);
  });

  it("rmdir and unlink: done, or a SysError with the code and the path", () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-ffi-"));
    try {
      mkdirSync(join(dir, "d"));
      writeFileSync(join(dir, "d", "f"), "x");
      const busy = (() => {
        try {
          rmdirPath(join(dir, "d"));
        } catch (e) {
          return e;
        }
      })();
      assert.ok(busy instanceof SysError);
      assert.equal(busy.code, "ENOTEMPTY");
      assert.match(busy.message, /^rmdir .*\/d: ENOTEMPTY$/);
      unlinkPath(join(dir, "d", "f"));
      rmdirPath(join(dir, "d"));
      assert.throws(() => rmdirPath(join(dir, "d")), (e: unknown) => e instanceof SysError && e.code === "ENOENT");
      assert.throws(() => unlinkPath(join(dir, "nope")), (e: unknown) => e instanceof SysError && e.code === "ENOENT");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
