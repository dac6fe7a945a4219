import type { Controller } from "../common.ts";
import { int, w } from "../common.ts";
import { readFlat, readNumber } from "../stats.ts";

export const hugetlb: Controller = {
  name: "hugetlb",
  writes(dir, r) {
    return (r.hugepageLimits ?? []).map((h) => w(dir, `hugetlb.${h.pageSize}.max`, h.limit < 0 ? "max" : int(h.limit)));
  },
  stats(fs, dir, s) {
    for (const e of fs.readdir(dir)) {
      const m = /^hugetlb\.([0-9]+[KMG]B)\.current$/.exec(e.name);
      if (!m) continue;
      const size = m[1];
      s.hugetlb[size] = { usage: readNumber(fs, `${dir}/${e.name}`) ?? 0, failcnt: readFlat(fs, `${dir}/hugetlb.${size}.events`).max };
    }
  },
};
