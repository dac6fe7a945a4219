// The cgroup v2 device filter: the eBPF program decides like v1's deny/allow writes (checked
// with a small interpreter); on a v2 host the kernel verifier must accept and enforce it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compileDeviceFilter, evalDeviceFilter } from "../src/runtime/cgroups/v2/device-filter.ts";
import { deviceRules } from "../src/runtime/cgroups/devices.ts";

describe("v2 device filter program", () => {
  const rules = deviceRules({ devices: [{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 4, minor: 64, access: "r" }] })!;
  const prog = compileDeviceFilter(rules);
  const can = (type: "b" | "c", major: number, minor: number, access: string) => evalDeviceFilter(prog, { type, major, minor, access });

  it("allows the default devices", () => {
    assert.ok(can("c", 1, 3, "rw"), "/dev/null");
    assert.ok(can("c", 136, 7, "rw"), "a pty");
    assert.ok(can("c", 5, 2, "rwm"), "ptmx");
  });
  it("denies everything else after deny-all", () => {
    assert.ok(!can("b", 254, 0, "r"), "a disk");
    assert.ok(!can("c", 1, 11, "r"), "/dev/kmsg");
  });
  it("grants mknod of anything but not read or write", () => {
    assert.ok(can("b", 8, 0, "m"));
    assert.ok(!can("b", 8, 0, "rm"));
  });
  it("checks that the rule covers every requested access", () => {
    assert.ok(can("c", 4, 64, "r"));
    assert.ok(!can("c", 4, 64, "w"));
    assert.ok(!can("c", 4, 64, "rw"));
  });
  it("lets the last matching rule win", () => {
    const p = compileDeviceFilter([{ allow: true, access: "rwm" }, { allow: false, type: "c", major: 1, minor: 3, access: "rwm" }]);
    assert.ok(!evalDeviceFilter(p, { type: "c", major: 1, minor: 3, access: "r" }));
    assert.ok(evalDeviceFilter(p, { type: "c", major: 1, minor: 5, access: "r" }));
  });
  it("emits no unreachable code after a rule that matches everything (the kernel verifier refuses it)", () => {
    const p = compileDeviceFilter([{ allow: false, access: "rwm" }, { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, { allow: true, access: "rwm" }]);
    // the last rule (allow everything) is checked first and decides: 6 loads + its 2 instructions
    assert.equal(p.length / 8, 8);
    assert.ok(evalDeviceFilter(p, { type: "b", major: 8, minor: 0, access: "rw" }));
  });

  it("denies when no rule matches", () => {
    const p = compileDeviceFilter([]);
    assert.ok(!evalDeviceFilter(p, { type: "c", major: 1, minor: 3, access: "r" }));
  });
});
