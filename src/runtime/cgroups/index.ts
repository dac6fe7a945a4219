// The cgroup layer: one CgroupManager interface, with a v1 backend (legacy and hybrid hosts:
// one directory per mounted hierarchy) and a v2 backend (unified hosts), picked from detect.ts.
import type { LinuxResources } from "../spec.ts";
import { cgroupMounts, type CgroupMounts } from "./detect.ts";
import { realFs, type CgroupFs } from "./fs.ts";
import { parseProcCgroup, readSelfCgroup } from "./path.ts";
import type { CgroupStats } from "./stats.ts";
import type { V1Manager } from "./v1/manager.ts";
import type { V2Manager } from "./v2/manager.ts";

export type { CgroupFs, DirEntry } from "./fs.ts";
export { CgroupError, MemFs, realFs } from "./fs.ts";
export type { CgroupMounts, CgroupMode } from "./detect.ts";
export type { CgroupStats } from "./stats.ts";
export { resolveCgroupPath, parseProcCgroup } from "./path.ts";
export { sharesToWeight, blkioToIoWeight } from "./common.ts";
export { validateResources } from "./validate.ts";

/** absolute path + value, in write order */
export interface CgroupWrite {
  file: string;
  value: string;
}

export interface CgroupManager {
  readonly version: 1 | 2;
  /** absolute cgroup dirs this container uses (one per v1 hierarchy, or one v2 dir) */
  paths(): string[];
  /** the files a single-threaded process writes "0" (itself) into to join, in order: v1 `tasks`,
   *  v2 `cgroup.procs`. On v1, moving only the calling thread skips the kernel's global
   *  threadgroup lock, whose first write after a quiet spell waits for an RCU grace period
   *  (3-16 ms here); the helper has one thread, so the whole process moves. */
  joinFiles(): string[];
  /** pure: the writes `apply` would do for these resources (used for plan printing, no I/O) */
  plannedWrites(r: LinuxResources): CgroupWrite[];
  /** mkdir -p all dirs (v1 cpuset: copy cpus/mems from parent; v2: enable controllers in ancestors) */
  create(): void;
  /** validate, then write limits (used by create and by `update`) */
  apply(r: LinuxResources): void;
  freeze(): void;
  thaw(): void;
  frozen(): boolean;
  /** all pids (recursive) */
  pids(): number[];
  /** v2: cgroup.kill when signal is SIGKILL; else signal each pid */
  killAll(signal: number): void;
  stats(): CgroupStats;
  /** rmdir every dir of this container, leaf first (retrying EBUSY ~1s); ENOENT is fine */
  destroy(): void;
  exists(): boolean;
}

export function cgroupManager(opts: { cgroupsPath: string | undefined; id: string; fs?: CgroupFs; mounts?: CgroupMounts; selfCgroup?: string }): CgroupManager {
  const fs = opts.fs ?? realFs;
  const mounts = opts.mounts ?? cgroupMounts();
  const self = parseProcCgroup(opts.selfCgroup ?? readSelfCgroup());
  // only the host's backend (and its controllers) is loaded
  if (mounts.mode === "unified") {
    const { V2Manager: V2 } = require("./v2/manager.ts") as { V2Manager: typeof V2Manager };
    return new V2(fs, mounts.v2 ?? "/sys/fs/cgroup", opts.cgroupsPath, opts.id, self);
  }
  if (mounts.v1.size === 0) throw new Error("no cgroup filesystem is mounted");
  // legacy and hybrid: the v1 controllers; a hybrid's cgroup2 mount is deliberately not used
  const { V1Manager: V1 } = require("./v1/manager.ts") as { V1Manager: typeof V1Manager };
  return new V1(fs, mounts, opts.cgroupsPath, opts.id, self);
}
