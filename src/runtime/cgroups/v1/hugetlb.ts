import type { Controller } from "../common.ts";
import { int, w } from "../common.ts";
import { readNumber } from "../stats.ts";

export const hugetlb: Controller = {
  name: "hugetlb",
  writes(dir, r) {
    return (r.hugepageLimits ?? []).map((h) => w(dir, `hugetlb.${h.pageSize}.limit_in_bytes`, int(h.limit)));
  },
  stats(fs, dir, s) {
    for (const e of fs.readdir(dir)) {
      const m = /^hugetlb\.([0-9]+[KMG]B)\.usage_in_bytes$/.exec(e.name);
      if (!m) continue;
      const size = m[1];
      s.hugetlb[size] = {
        usage: readNumber(fs, `${dir}/${e.name}`) ?? 0,
        maxUsage: readNumber(fs, `${dir}/hugetlb.${size}.max_usage_in_bytes`),
        failcnt: readNumber(fs, `${dir}/hugetlb.${size}.failcnt`),
      };
    }
  },
};
