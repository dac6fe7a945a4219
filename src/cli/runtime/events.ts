// events: a container's stats as runc prints them (JSON lines), once with --stats or every
// --interval, plus "oom" events when the OOM-kill count goes up, until the container stops.
import { parseFlags, str, bool, UsageError } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import { managerFor, sleep, statusOf } from "../../runtime/ops/common.ts";
import type { CgroupStats } from "../../runtime/cgroups/index.ts";
import { writeStdout } from "../../sys/io.ts";

export default async function events(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [
    { name: "stats", kind: "bool" },
    { name: "interval", kind: "string" },
  ]);
  if (p.args.length !== 1) throw new UsageError('"events" requires exactly 1 argument (the container id)');
  const id = p.args[0]!;
  const s = ctx.store.load(id);
  const cg = managerFor(s);
  const emit = (type: string, data?: unknown) => writeStdout(`${JSON.stringify({ type, id, ...(data ? { data } : {}) })}\n`);
  if (statusOf(s, ctx.store) === "stopped") throw new Error(`container ${id} is not running`);
  if (bool(p, "stats")) {
    emit("stats", runcStats(cg.stats()));
    return 0;
  }
  const interval = parseDuration(str(p, "interval") ?? "5s");
  let ooms = cg.stats().memory.oomKills ?? 0;
  while (statusOf(s, ctx.store) !== "stopped") {
    const st = cg.stats();
    if ((st.memory.oomKills ?? 0) > ooms) emit("oom");
    ooms = st.memory.oomKills ?? 0;
    emit("stats", runcStats(st));
    await sleep(interval);
  }
  return 0;
}

function runcStats(s: CgroupStats): unknown {
  return {
    cpu: {
      usage: { total: s.cpu.usageTotalNs, kernel: s.cpu.usageSystemNs, user: s.cpu.usageUserNs },
      throttling: { periods: s.cpu.periods, throttledPeriods: s.cpu.throttledPeriods, throttledTime: s.cpu.throttledTimeNs },
    },
    memory: {
      usage: { usage: s.memory.usage, max: s.memory.maxUsage ?? 0, limit: s.memory.limit ?? 0 },
      swap: { usage: s.memory.swapUsage ?? 0, limit: s.memory.swapLimit ?? 0 },
      raw: s.memory.stat,
    },
    pids: { current: s.pids.current, limit: s.pids.limit ?? 0 },
    blkio: {
      ioServiceBytesRecursive: s.blkio.flatMap((d) => [
        { major: d.major, minor: d.minor, op: "Read", value: d.readBytes },
        { major: d.major, minor: d.minor, op: "Write", value: d.writeBytes },
      ]),
    },
    hugetlb: s.hugetlb,
  };
}

function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m) throw new UsageError(`invalid --interval "${v}": use e.g. 500ms, 5s, 1m`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? "s") as "ms" | "s" | "m"];
}
