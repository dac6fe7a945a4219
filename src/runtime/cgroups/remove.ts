// Removing the cgroup directories a container's create recorded, given only an rmdir: free of
// node:fs, so that delete's quick path (ops/delete-quick.ts) can use it with sys/ffi.ts's rmdir
// while the managers use it with realFs.
import type { CgroupFs } from "./fs.ts";
import { CgroupError } from "./error.ts";

type Rmdir = Pick<CgroupFs, "rmdir">;

/** rmdir berth's shared parent (/berth) unless another container still lives there. */
export function tryRemoveParent(fs: Rmdir, dir: string): void {
  try {
    fs.rmdir(dir);
  } catch (e) {
    if (!(e instanceof CgroupError) || (e.code !== "ENOENT" && e.code !== "EBUSY" && e.code !== "ENOTEMPTY")) throw e;
  }
}

/**
 * Delete's quick path for a stopped container: rmdir the cgroup directories recorded at create
 * (one per hierarchy) and, for the default /berth/<id>, the shared parent once empty, without
 * loading a manager. False as soon as one is busy (processes or child cgroups left): the
 * caller then kills what is left and destroys through the manager (ENOENT is fine there).
 */
export function removeRecordedCgroups(fs: Rmdir, dirs: string[], sharedParent: boolean): boolean {
  for (const d of dirs) {
    try {
      fs.rmdir(d);
    } catch (e) {
      if (e instanceof CgroupError && e.code === "ENOENT") continue;
      if (e instanceof CgroupError && (e.code === "EBUSY" || e.code === "ENOTEMPTY")) return false;
      throw e;
    }
  }
  if (sharedParent) for (const p of new Set(dirs.map((d) => d.slice(0, d.lastIndexOf("/"))))) tryRemoveParent(fs, p);
  return true;
}
