// v2 freezer: write cgroup.freeze, then wait until cgroup.events reports "frozen 1"
// (the kernel freezes tasks asynchronously).
import { CgroupError, type CgroupFs } from "../fs.ts";
import { sleepSync } from "../../../sys/sleep.ts";
import { readFlat } from "../stats.ts";

export function isFrozenV2(fs: CgroupFs, dir: string): boolean {
  return readFlat(fs, `${dir}/cgroup.events`).frozen === 1;
}

export function setFrozenV2(fs: CgroupFs, dir: string, frozen: boolean, timeoutMs = 2000): void {
  fs.write(`${dir}/cgroup.freeze`, frozen ? "1" : "0");
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; isFrozenV2(fs, dir) !== frozen; delay = Math.min(delay * 2, 50)) {
    if (Date.now() >= deadline) {
      if (frozen) fs.write(`${dir}/cgroup.freeze`, "0");
      throw new CgroupError(frozen ? "freeze" : "thaw", dir, "EBUSY", `cgroup.events did not report frozen ${frozen ? 1 : 0} within ${timeoutMs}ms`);
    }
    sleepSync(delay);
  }
}
