// Checks linux.resources values before any write, with errors naming the OCI field.
import type { LinuxResources } from "../spec.ts";
import { swapV2 } from "./v2/memory.ts";

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const PAGE_SIZE = /^[1-9][0-9]*[KMG]B$/;
// files a unified key must never name: they manage membership/topology, not resources
const UNIFIED_FORBIDDEN = new Set(["cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.kill", "cgroup.freeze", "cgroup.type"]);

export function validateResources(r: LinuxResources, version: 1 | 2): string[] {
  const errs: string[] = [];
  const F = "linux.resources";
  const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
  const check = (field: string, v: number | undefined | null, ok: (n: number) => boolean, what: string): void => {
    if (v === undefined || v === null) return;
    if (!isInt(v) || !ok(v)) errs.push(`${F}.${field}: ${JSON.stringify(v)} is not ${what}`);
  };
  const limit = (n: number): boolean => n === -1 || n >= 0;

  const m = r.memory;
  if (m) {
    check("memory.limit", m.limit, limit, "a valid limit");
    check("memory.reservation", m.reservation, limit, "a valid limit");
    check("memory.swap", m.swap, limit, "a valid limit");
    check("memory.swappiness", m.swappiness, (n) => n >= 0 && n <= 100, "in 0..100");
    if (version === 1 && m.limit && m.limit > 0 && m.swap && m.swap > 0 && m.swap < m.limit)
      errs.push(`${F}.memory.swap: ${m.swap} is less than memory.limit ${m.limit} (on v1 swap is the memory+swap total)`);
    if (version === 2 && isInt(m.limit ?? 0) && isInt(m.swap ?? 0)) {
      try {
        swapV2(m);
      } catch (e) {
        errs.push((e as Error).message);
      }
    }
  }

  const c = r.cpu;
  if (c) {
    check("cpu.shares", c.shares, (n) => n === 0 || (n >= 2 && n <= 262144), "in 2..262144");
    check("cpu.quota", c.quota, (n) => n === -1 || n === 0 || n >= 1000, "-1 or at least 1000 (microseconds)");
    check("cpu.period", c.period, (n) => n === 0 || (n >= 1000 && n <= 1_000_000), "in 1000..1000000 (microseconds)");
    check("cpu.burst", c.burst, (n) => n >= 0, "a non-negative number of microseconds");
    check("cpu.idle", c.idle, (n) => n === 0 || n === 1, "0 or 1");
    check("cpu.realtimeRuntime", c.realtimeRuntime, (n) => n >= -1, "a valid runtime");
    check("cpu.realtimePeriod", c.realtimePeriod, (n) => n >= 0, "a valid period");
    if (version === 2 && (c.realtimeRuntime || c.realtimePeriod))
      errs.push(`${F}.cpu.realtimeRuntime/realtimePeriod: realtime scheduling limits are not supported on cgroup v2`);
    if (c.cpus && !CPU_LIST.test(c.cpus)) errs.push(`${F}.cpu.cpus: ${JSON.stringify(c.cpus)} is not a CPU list like "0-2,4"`);
    if (c.mems && !CPU_LIST.test(c.mems)) errs.push(`${F}.cpu.mems: ${JSON.stringify(c.mems)} is not a node list like "0-1"`);
  }

  if (r.pids) check("pids.limit", r.pids.limit, (n) => n >= -1, "a valid limit (-1 or 0 for unlimited)");

  const b = r.blockIO;
  if (b) {
    const weight = (n: number): boolean => n === 0 || (n >= 10 && n <= 1000);
    check("blockIO.weight", b.weight, weight, "in 10..1000");
    check("blockIO.leafWeight", b.leafWeight, weight, "in 10..1000");
    if (version === 2 && b.leafWeight) errs.push(`${F}.blockIO.leafWeight: not supported on cgroup v2`);
    const dev = (field: string, d: { major: number; minor: number }): void => {
      check(`${field}.major`, d.major, (n) => n >= 0, "a device major number");
      check(`${field}.minor`, d.minor, (n) => n >= 0, "a device minor number");
    };
    (b.weightDevice ?? []).forEach((d, i) => {
      dev(`blockIO.weightDevice[${i}]`, d);
      check(`blockIO.weightDevice[${i}].weight`, d.weight, weight, "in 10..1000");
      check(`blockIO.weightDevice[${i}].leafWeight`, d.leafWeight, weight, "in 10..1000");
    });
    for (const key of ["throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"] as const) {
      (b[key] ?? []).forEach((d, i) => {
        dev(`blockIO.${key}[${i}]`, d);
        check(`blockIO.${key}[${i}].rate`, d.rate, (n) => n >= 0, "a non-negative rate");
      });
    }
  }

  (r.hugepageLimits ?? []).forEach((h, i) => {
    if (!PAGE_SIZE.test(h.pageSize)) errs.push(`${F}.hugepageLimits[${i}].pageSize: ${JSON.stringify(h.pageSize)} is not a size like "2MB" or "1GB"`);
    check(`hugepageLimits[${i}].limit`, h.limit, (n) => n >= 0 || (version === 2 && n === -1), "a valid limit");
  });

  if (r.unified && Object.keys(r.unified).length > 0) {
    if (version === 1) errs.push(`${F}.unified: only supported on cgroup v2`);
    else
      for (const [k, v] of Object.entries(r.unified)) {
        if (k.includes("/") || k === "." || k === ".." || !k.includes(".")) errs.push(`${F}.unified: ${JSON.stringify(k)} is not a cgroup file name`);
        else if (UNIFIED_FORBIDDEN.has(k)) errs.push(`${F}.unified: ${JSON.stringify(k)} may not be set`);
        if (typeof v !== "string") errs.push(`${F}.unified.${k}: value must be a string`);
      }
  }
  return errs;
}

/** Throws one error listing every problem. */
export function assertValidResources(r: LinuxResources, version: 1 | 2): void {
  const errs = validateResources(r, version);
  if (errs.length) throw new Error(errs.join("; "));
}
