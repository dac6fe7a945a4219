// Small helpers shared by the v1 and v2 controller files.
import type { LinuxResources } from "../spec.ts";
import { CgroupError, type CgroupFs } from "./fs.ts";
import type { CgroupWrite } from "./index.ts";
import type { CgroupStats } from "./stats.ts";

/** A planned write; `fallback` is tried instead when `file` does not exist (e.g. bfq vs. cfq weight files). */
export interface PlannedWrite extends CgroupWrite {
  fallback?: CgroupWrite;
}

/** Integer to decimal without exponent notation. */
export function int(n: number): string {
  return BigInt(Math.trunc(n)).toString();
}

export function w(dir: string, name: string, value: string, fallback?: CgroupWrite): PlannedWrite {
  return fallback ? { file: `${dir}/${name}`, value, fallback } : { file: `${dir}/${name}`, value };
}

/** cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000), the runc/crun linear mapping. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio.weight (10..1000) -> io.weight (1..10000), the runc/crun linear mapping. */
export function blkioToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/** One controller (v1 subsystem or v2 controller): pure planning plus stats reading. */
export interface Controller {
  /** v1 subsystem / v2 controller name */
  readonly name: string;
  writes(dir: string, r: LinuxResources): PlannedWrite[];
  stats?(fs: CgroupFs, dir: string, out: CgroupStats): void;
}

/**
 * Perform planned writes in order. A write failing with EINVAL is retried once after the rest,
 * which resolves ordering constraints that depend on current values (v1 memory.limit_in_bytes
 * must stay <= memsw.limit_in_bytes; cpu.cfs_period_us vs. cfs_burst_us) without reading them first.
 */
export function performWrites(fs: CgroupFs, writes: PlannedWrite[]): void {
  const deferred: { w: CgroupWrite; err: CgroupError }[] = [];
  for (const pw of writes) {
    const target = pw.fallback && !fs.exists(pw.file) ? pw.fallback : pw;
    try {
      fs.write(target.file, target.value);
    } catch (e) {
      if (e instanceof CgroupError && e.code === "EINVAL") deferred.push({ w: target, err: e });
      else throw e;
    }
  }
  for (const { w: d, err } of deferred) {
    try {
      fs.write(d.file, d.value);
    } catch {
      throw err;
    }
  }
}

export type ThrottleKey = "throttleReadBpsDevice" | "throttleWriteBpsDevice" | "throttleReadIOPSDevice" | "throttleWriteIOPSDevice";
