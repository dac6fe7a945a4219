import type { Controller } from "../common.ts";
import { w } from "../common.ts";

// Unlike v1, an empty v2 cpuset.cpus means "inherit effective", so nothing needs copying.
export const cpuset: Controller = {
  name: "cpuset",
  writes(dir, r) {
    const out = [];
    if (r.cpu?.cpus) out.push(w(dir, "cpuset.cpus", r.cpu.cpus));
    if (r.cpu?.mems) out.push(w(dir, "cpuset.mems", r.cpu.mems));
    return out;
  },
};
