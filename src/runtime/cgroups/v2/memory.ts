// v2 memory: memory.max, memory.low, memory.swap.max. OCI's swap is the v1 memory+swap total,
// so memory.swap.max = swap - limit. swappiness / disableOOMKiller have no v2 file and are
// ignored (as runc does); kernel/kernelTCP are deprecated.
import type { LinuxResources } from "../../spec.ts";
import type { Controller } from "../common.ts";
import { int, w } from "../common.ts";
import { readFlat, readNumber } from "../stats.ts";

const max = (n: number): string => (n === -1 ? "max" : int(n));

/** memory.swap.max value, or undefined when nothing is to be written. Throws on impossible combos. */
export function swapV2(m: NonNullable<LinuxResources["memory"]>): string | undefined {
  const swap = m.swap ?? 0;
  const limit = m.limit ?? 0;
  if (swap === 0) return undefined;
  if (swap === -1) return "max";
  if (limit === 0 || limit === -1)
    throw new Error("linux.resources.memory.swap: a swap limit needs a memory limit on cgroup v2");
  if (swap < limit) throw new Error(`linux.resources.memory.swap: ${swap} is less than the memory limit ${limit}`);
  return int(swap - limit);
}

export const memory: Controller = {
  name: "memory",
  writes(dir, r) {
    const m = r.memory;
    if (!m) return [];
    const out = [];
    // swap.max first: it has no ordering constraint, and a failing swap write leaves memory.max untouched
    const swap = swapV2(m);
    if (swap !== undefined) out.push(w(dir, "memory.swap.max", swap));
    if (m.limit) out.push(w(dir, "memory.max", max(m.limit)));
    if (m.reservation) out.push(w(dir, "memory.low", max(m.reservation)));
    return out;
  },
  stats(fs, dir, s) {
    s.memory.usage = readNumber(fs, `${dir}/memory.current`) ?? 0;
    s.memory.limit = readNumber(fs, `${dir}/memory.max`);
    s.memory.maxUsage = readNumber(fs, `${dir}/memory.peak`);
    s.memory.swapUsage = readNumber(fs, `${dir}/memory.swap.current`);
    s.memory.swapLimit = readNumber(fs, `${dir}/memory.swap.max`);
    s.memory.oomKills = readFlat(fs, `${dir}/memory.events`).oom_kill;
    s.memory.stat = readFlat(fs, `${dir}/memory.stat`);
  },
};
