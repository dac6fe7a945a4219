// v1 cpu (shares, CFS quota/period/burst, RT, idle) and cpuacct (usage stats only).
// They may be co-mounted ("cpu,cpuacct") or, as on berth's dev hosts, separate hierarchies.
import type { Controller } from "../common.ts";
import { int, w } from "../common.ts";
import { readFlat, readNumber } from "../stats.ts";

export const cpu: Controller = {
  name: "cpu",
  writes(dir, r) {
    const c = r.cpu;
    if (!c) return [];
    const out = [];
    if (c.shares) out.push(w(dir, "cpu.shares", int(c.shares)));
    // period before quota: the kernel validates quota against the period.
    if (c.period) out.push(w(dir, "cpu.cfs_period_us", int(c.period)));
    if (c.quota) out.push(w(dir, "cpu.cfs_quota_us", int(c.quota)));
    if (c.burst !== undefined && c.burst !== null) out.push(w(dir, "cpu.cfs_burst_us", int(c.burst)));
    // RT period before runtime, as the kernel checks runtime <= period.
    if (c.realtimePeriod) out.push(w(dir, "cpu.rt_period_us", int(c.realtimePeriod)));
    if (c.realtimeRuntime) out.push(w(dir, "cpu.rt_runtime_us", int(c.realtimeRuntime)));
    if (c.idle !== undefined && c.idle !== null) out.push(w(dir, "cpu.idle", int(c.idle)));
    return out;
  },
  stats(fs, dir, s) {
    const st = readFlat(fs, `${dir}/cpu.stat`);
    s.cpu.periods = st.nr_periods ?? 0;
    s.cpu.throttledPeriods = st.nr_throttled ?? 0;
    s.cpu.throttledTimeNs = st.throttled_time ?? 0;
  },
};

export const cpuacct: Controller = {
  name: "cpuacct",
  writes: () => [],
  stats(fs, dir, s) {
    s.cpu.usageTotalNs = readNumber(fs, `${dir}/cpuacct.usage`) ?? 0;
    const user = readNumber(fs, `${dir}/cpuacct.usage_user`);
    const sys = readNumber(fs, `${dir}/cpuacct.usage_sys`);
    if (user !== undefined && sys !== undefined) {
      s.cpu.usageUserNs = user;
      s.cpu.usageSystemNs = sys;
    } else {
      // cpuacct.stat is in USER_HZ ticks (100/s on Linux)
      const st = readFlat(fs, `${dir}/cpuacct.stat`);
      s.cpu.usageUserNs = (st.user ?? 0) * 10_000_000;
      s.cpu.usageSystemNs = (st.system ?? 0) * 10_000_000;
    }
  },
};
