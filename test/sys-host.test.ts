// sys/host.ts reads what node:os would answer, from /proc.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hostname, release } from "node:os";
import { hostName, kernelRelease } from "../src/sys/host.ts";

describe("host facts without node:os", () => {
  it("the kernel release and the hostname match node:os", () => {
    assert.equal(kernelRelease(), release());
    assert.equal(hostName(), hostname());
    assert.match(kernelRelease(), /^\d+\.\d+/);
  });
});
