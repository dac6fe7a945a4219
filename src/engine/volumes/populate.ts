// Docker copies what the image holds at the mount path into a new, empty named volume the
// first time a container mounts it. `cp -a` keeps owners, modes, times, symlinks, hard links,
// devices and xattrs, and gives _data the source directory's own owner and mode.
import { existsSync, readdirSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { tryLock, unlock } from "../../sys/lock.ts";
import { volumeDir, type Volume } from "./store.ts";

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Copy sourceDir's content into the volume if the volume is empty; true if it copied. */
export function populateVolume(v: Volume, sourceDir: string): boolean {
  if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) return false;
  const lockPath = join(volumeDir(v.name), ".populate.lock");
  let fd: number | undefined;
  while ((fd = tryLock(lockPath)) === undefined) Atomics.wait(sleeper, 0, 0, 5);
  try {
    if (readdirSync(v.mountpoint).length > 0) return false;
    const r = spawnSync("cp", ["-a", "--", `${sourceDir}/.`, `${v.mountpoint}/`], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`populate volume ${v.name} from ${sourceDir}: ${(r.stderr || r.error?.message || "cp failed").trim()}`);
    return true;
  } finally {
    unlock(fd);
  }
}
