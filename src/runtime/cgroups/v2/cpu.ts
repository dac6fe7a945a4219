// v2 cpu: cpu.weight (converted from OCI shares), cpu.max "<quota|max> [period]", cpu.max.burst, cpu.idle.
// Realtime limits do not exist in v2 (validateResources reports them).
import type { Controller } from "../common.ts";
import { int, sharesToWeight, w } from "../common.ts";
import { readFlat } from "../stats.ts";

export const cpu: Controller = {
  name: "cpu",
  writes(dir, r) {
    const c = r.cpu;
    if (!c) return [];
    const out = [];
    if (c.shares) out.push(w(dir, "cpu.weight", int(sharesToWeight(c.shares))));
    if (c.quota || c.period) {
      let v = c.quota && c.quota > 0 ? int(c.quota) : "max";
      if (c.period) v += ` ${int(c.period)}`;
      out.push(w(dir, "cpu.max", v));
    }
    if (c.burst !== undefined && c.burst !== null) out.push(w(dir, "cpu.max.burst", int(c.burst)));
    if (c.idle !== undefined && c.idle !== null) out.push(w(dir, "cpu.idle", int(c.idle)));
    return out;
  },
  stats(fs, dir, s) {
    const st = readFlat(fs, `${dir}/cpu.stat`);
    s.cpu.usageTotalNs = (st.usage_usec ?? 0) * 1000;
    s.cpu.usageUserNs = (st.user_usec ?? 0) * 1000;
    s.cpu.usageSystemNs = (st.system_usec ?? 0) * 1000;
    s.cpu.periods = st.nr_periods ?? 0;
    s.cpu.throttledPeriods = st.nr_throttled ?? 0;
    s.cpu.throttledTimeNs = (st.throttled_usec ?? 0) * 1000;
  },
};
