// v1 freezer: write FROZEN and poll freezer.state until the kernel reports FROZEN (it passes
// through FREEZING while tasks are being stopped). Re-writing FROZEN each round, as runc does,
// restarts a freeze that was interrupted by a task forking.
import { CgroupError, type CgroupFs } from "../fs.ts";
import { sleepSync } from "../../../sys/sleep.ts";

export function freezerState(fs: CgroupFs, dir: string): string {
  return fs.read(`${dir}/freezer.state`).trim();
}

export function freezeV1(fs: CgroupFs, dir: string, timeoutMs = 2000): void {
  const file = `${dir}/freezer.state`;
  const deadline = Date.now() + timeoutMs;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    fs.write(file, "FROZEN");
    if (freezerState(fs, dir) === "FROZEN") return;
    if (Date.now() >= deadline) {
      fs.write(file, "THAWED");
      throw new CgroupError("freeze", dir, "EBUSY", `still ${freezerState(fs, dir)} after ${timeoutMs}ms`);
    }
    sleepSync(delay);
  }
}

export function thawV1(fs: CgroupFs, dir: string): void {
  fs.write(`${dir}/freezer.state`, "THAWED");
}
