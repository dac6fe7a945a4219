// v1 memory: limit_in_bytes, soft_limit_in_bytes, memsw (limit+swap total), swappiness, oom_control.
// kernel/kernelTCP are deprecated and rejected by kernels >= 5.16, so they are ignored (as runc does).
import type { Controller } from "../common.ts";
import { int, w } from "../common.ts";
import { readFlat, readNumber } from "../stats.ts";

const lim = (n: number): string => (n === -1 ? "-1" : int(n));

export const memory: Controller = {
  name: "memory",
  writes(dir, r) {
    const m = r.memory;
    if (!m) return [];
    const out = [];
    // limit before memsw suits a fresh cgroup (both unlimited); performWrites retries on EINVAL otherwise.
    if (m.limit) out.push(w(dir, "memory.limit_in_bytes", lim(m.limit)));
    if (m.swap) out.push(w(dir, "memory.memsw.limit_in_bytes", lim(m.swap)));
    if (m.reservation) out.push(w(dir, "memory.soft_limit_in_bytes", lim(m.reservation)));
    if (m.swappiness !== undefined && m.swappiness !== null) out.push(w(dir, "memory.swappiness", int(m.swappiness)));
    if (m.disableOOMKiller) out.push(w(dir, "memory.oom_control", "1"));
    return out;
  },
  stats(fs, dir, s) {
    s.memory.usage = readNumber(fs, `${dir}/memory.usage_in_bytes`) ?? 0;
    s.memory.limit = readNumber(fs, `${dir}/memory.limit_in_bytes`);
    s.memory.maxUsage = readNumber(fs, `${dir}/memory.max_usage_in_bytes`);
    const memsw = readNumber(fs, `${dir}/memory.memsw.usage_in_bytes`);
    if (memsw !== undefined) s.memory.swapUsage = Math.max(0, memsw - s.memory.usage);
    s.memory.swapLimit = readNumber(fs, `${dir}/memory.memsw.limit_in_bytes`);
    s.memory.oomKills = readFlat(fs, `${dir}/memory.oom_control`).oom_kill;
    s.memory.stat = readFlat(fs, `${dir}/memory.stat`);
  },
};
