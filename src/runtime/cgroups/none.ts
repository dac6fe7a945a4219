// No cgroup: what a rootless container without a delegated cgroup gets (as runc does when
// the cgroup cannot be created and no resource limits were asked for). Limits, pause and
// stats are refused with an error that says why.
import type { LinuxResources } from "../spec.ts";
import type { CgroupManager, CgroupWrite } from "./index.ts";
import { emptyStats, type CgroupStats } from "./stats.ts";

export class NoCgroup implements CgroupManager {
  constructor(
    readonly version: 1 | 2,
    private readonly why: string,
  ) {}
  paths(): string[] {
    return [];
  }
  joinFiles(): string[] {
    return [];
  }
  plannedWrites(_r: LinuxResources): CgroupWrite[] {
    return [];
  }
  create(): void {}
  apply(r: LinuxResources): void {
    const asked = Object.entries(r).filter(([k, v]) => v !== undefined && k !== "devices");
    if (asked.length) throw new Error(`linux.resources: cannot apply ${asked.map(([k]) => k).join(", ")}: ${this.why}`);
  }
  freeze(): void {
    throw new Error(`cannot pause: ${this.why}`);
  }
  thaw(): void {
    throw new Error(`cannot resume: ${this.why}`);
  }
  frozen(): boolean {
    return false;
  }
  pids(): number[] {
    return [];
  }
  killAll(_signal: number): void {}
  stats(): CgroupStats {
    return emptyStats();
  }
  destroy(): void {}
  exists(): boolean {
    return false;
  }
}
