// sys/jit.ts: the exec that turns JSC's FTL tier off for a pull.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ftlOffExec } from "../src/sys/jit.ts";

describe("restart without FTL", () => {
  it("re-executes a compiled CLI with its own arguments, and a script through its runtime", () => {
    const compiled = ftlOffExec(["bun", "/$bunfs/root/berth", "pull", "-q", "busybox"], "/usr/local/bin/berth", { PATH: "/bin" });
    assert.deepEqual(compiled?.args, ["/usr/local/bin/berth", "pull", "-q", "busybox"]);
    assert.equal(compiled?.file, "/usr/local/bin/berth");
    assert.deepEqual(compiled?.env, { PATH: "/bin", BUN_JSC_useFTLJIT: "0" });
    const script = ftlOffExec(["/x/bun", "/repo/src/cli/berth.ts", "pull", "busybox"], "/x/bun", {});
    assert.deepEqual(script?.args, ["/x/bun", "/repo/src/cli/berth.ts", "pull", "busybox"]);
  });

  it("does nothing once the option is set (after the exec, or by the user)", () => {
    assert.equal(ftlOffExec(["bun", "/$bunfs/root/berth", "pull", "x"], "/b", { BUN_JSC_useFTLJIT: "0" }), undefined);
    assert.equal(ftlOffExec(["bun", "/$bunfs/root/berth", "pull", "x"], "/b", { BUN_JSC_useFTLJIT: "1" }), undefined);
  });
});
