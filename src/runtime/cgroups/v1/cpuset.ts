// v1 cpuset. A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks until they
// are set, so create() copies the parent's values into every level (see ensureCpuset).
import type { Controller } from "../common.ts";
import { w } from "../common.ts";
import type { CgroupFs } from "../fs.ts";

export const cpuset: Controller = {
  name: "cpuset",
  writes(dir, r) {
    const out = [];
    if (r.cpu?.cpus) out.push(w(dir, "cpuset.cpus", r.cpu.cpus));
    if (r.cpu?.mems) out.push(w(dir, "cpuset.mems", r.cpu.mems));
    return out;
  },
};

/** For each level below root down to leaf: if cpuset.cpus/mems are empty, copy the parent's. */
export function ensureCpuset(fs: CgroupFs, root: string, leafRel: string): void {
  let parent = root;
  for (const part of leafRel.split("/").filter(Boolean)) {
    const cur = `${parent}/${part}`;
    for (const f of ["cpuset.cpus", "cpuset.mems"]) {
      if (fs.read(`${cur}/${f}`).trim() === "") fs.write(`${cur}/${f}`, fs.read(`${parent}/${f}`).trim());
    }
    parent = cur;
  }
}
