// The devices controller. The rule list is the spec's linux.resources.devices followed by the
// devices every container needs (runc's list: the default nodes, ptys, tun, and mknod of
// anything), so a config that starts with "deny all" still gets a working /dev.
// v1: one write per rule to devices.deny / devices.allow, in order. v2 has no files: an
// eBPF program (not yet generated; see deviceRules for its input).
import type { DeviceCgroup, LinuxResources } from "../spec.ts";
import { w, type PlannedWrite } from "./common.ts";

const ALWAYS: DeviceCgroup[] = [
  { allow: true, type: "c", major: null, minor: null, access: "m" },
  { allow: true, type: "b", major: null, minor: null, access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // null
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // zero
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // full
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // random
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // urandom
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // tty
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" }, // console
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // ptmx
  { allow: true, type: "c", major: 136, minor: null, access: "rwm" }, // pts
  { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }, // net/tun
];

/** The full, ordered rule list; undefined when the spec says nothing about devices. */
export function deviceRules(r: LinuxResources): DeviceCgroup[] | undefined {
  if (!r.devices) return undefined;
  return [...r.devices, ...ALWAYS];
}

export function ruleText(d: DeviceCgroup): string {
  const t = d.type ?? "a";
  if (t === "a") return "a";
  const n = (x: number | null | undefined) => (x === undefined || x === null || x < 0 ? "*" : String(x));
  return `${t} ${n(d.major)}:${n(d.minor)} ${d.access || "rwm"}`;
}

export function devicesWrites(dir: string, r: LinuxResources): PlannedWrite[] {
  const rules = deviceRules(r);
  if (!rules) return [];
  return rules.map((d) => w(dir, d.allow ? "devices.allow" : "devices.deny", ruleText(d)));
}
