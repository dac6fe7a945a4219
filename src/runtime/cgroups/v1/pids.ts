import type { Controller } from "../common.ts";
import { int, w } from "../common.ts";
import { readNumber } from "../stats.ts";

export const pids: Controller = {
  name: "pids",
  writes(dir, r) {
    if (!r.pids) return [];
    // OCI: 0 or -1 (any value <= 0) means unlimited
    return [w(dir, "pids.max", r.pids.limit > 0 ? int(r.pids.limit) : "max")];
  },
  stats(fs, dir, s) {
    s.pids.current = readNumber(fs, `${dir}/pids.current`) ?? 0;
    s.pids.limit = readNumber(fs, `${dir}/pids.max`);
  },
};
