// v1 cpuset. A new v1 cpuset cgroup starts with empty cpus/mems and refuses tasks until they
// are set, so create() copies the parent's values into every level (see ensureCpuset).
import type { Controller } from "../common.ts";
import { w } from "../common.ts";
import { levelsBelow, type CgroupFs } from "../fs.ts";

export const cpuset: Controller = {
  name: "cpuset",
  writes(dir, r) {
    const out = [];
    if (r.cpu?.cpus) out.push(w(dir, "cpuset.cpus", r.cpu.cpus));
    if (r.cpu?.mems) out.push(w(dir, "cpuset.mems", r.cpu.mems));
    return out;
  },
};

/**
 * Give every level below `root` down to the leaf cpus/mems. Levels create() has just made
 * (`created`, top-down, all below the deepest level that existed) get the values of that level,
 * read once: two reads and two writes per new level fewer than checking each one. A level that
 * existed is left as it is unless it is empty (made by someone else): then, as when nothing new
 * was made, each level is checked and filled from its parent.
 */
export function ensureCpuset(fs: CgroupFs, root: string, leafRel: string, created: string[] = []): void {
  const levels = levelsBelow(root, leafRel);
  const firstNew = created.length ? levels.indexOf(created[0]!) : -1;
  if (firstNew >= 0 && levels.slice(firstNew).every((l, i) => created[i] === l)) {
    const source = firstNew === 0 ? root : levels[firstNew - 1]!;
    const cpus = fs.read(`${source}/cpuset.cpus`).trim();
    const mems = fs.read(`${source}/cpuset.mems`).trim();
    if (cpus && mems) {
      for (const l of created) {
        fs.write(`${l}/cpuset.cpus`, cpus);
        fs.write(`${l}/cpuset.mems`, mems);
      }
      return;
    }
  }
  let parent = root;
  for (const l of levels) {
    for (const f of ["cpuset.cpus", "cpuset.mems"]) {
      if (fs.read(`${l}/${f}`).trim() === "") fs.write(`${l}/${f}`, fs.read(`${parent}/${f}`).trim());
    }
    parent = l;
  }
}
