// update: change a container's resources (runc's flags or --resources FILE|-).
import { readFileSync } from "node:fs";
import { parseFlags, str, UsageError } from "../flags.ts";
import type { RuntimeCtx } from "../runtime.ts";
import type { LinuxResources } from "../../runtime/spec.ts";
import { managerFor, statusOf } from "../../runtime/ops/common.ts";
import { validateResources } from "../../runtime/cgroups/index.ts";

const NUM = ["memory", "memory-reservation", "memory-swap", "kernel-memory", "kernel-memory-tcp", "cpu-shares", "cpu-quota", "cpu-period", "cpu-rt-runtime", "cpu-rt-period", "pids-limit", "blkio-weight"];

export default async function update(ctx: RuntimeCtx): Promise<number> {
  const p = parseFlags(ctx.args, [
    { name: "resources", short: "r", kind: "string" },
    { name: "cpuset-cpus", kind: "string" },
    { name: "cpuset-mems", kind: "string" },
    ...NUM.map((name) => ({ name, kind: "string" as const })),
  ]);
  if (p.args.length !== 1) throw new UsageError('"update" requires exactly 1 argument (the container id)');
  const id = p.args[0]!;
  const s = ctx.store.load(id);
  const status = statusOf(s, ctx.store);
  if (status === "stopped") throw new Error(`cannot update container ${id}: it is stopped`);
  let r: LinuxResources = structuredClone(s.config.linux?.resources ?? {});
  const file = str(p, "resources");
  if (file) {
    try {
      r = { ...r, ...(JSON.parse(file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8")) as LinuxResources) };
    } catch (e) {
      throw new Error(`--resources ${file}: ${(e as Error).message}`);
    }
  }
  const n = (name: string): number | undefined => {
    const v = str(p, name);
    if (v === undefined) return undefined;
    const num = parseSize(v);
    if (num === undefined) throw new UsageError(`invalid value "${v}" for --${name}`);
    return num;
  };
  const set = <T extends object>(o: T | undefined, patch: Partial<T>): T => {
    const out = { ...(o ?? {}) } as T;
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
    return out;
  };
  r.memory = set(r.memory, { limit: n("memory"), reservation: n("memory-reservation"), swap: n("memory-swap") });
  r.cpu = set(r.cpu, { shares: n("cpu-shares"), quota: n("cpu-quota"), period: n("cpu-period"), realtimeRuntime: n("cpu-rt-runtime"), realtimePeriod: n("cpu-rt-period"), cpus: str(p, "cpuset-cpus"), mems: str(p, "cpuset-mems") });
  const pids = n("pids-limit");
  if (pids !== undefined) r.pids = { limit: pids };
  const w = n("blkio-weight");
  if (w !== undefined) r.blockIO = { ...(r.blockIO ?? {}), weight: w };
  const cg = managerFor(s);
  const problems = validateResources(r, cg.version);
  if (problems.length) throw new Error(problems.join("; "));
  cg.apply(r);
  s.config.linux = { ...(s.config.linux ?? {}), resources: r };
  ctx.store.save(s);
  return 0;
}

function parseSize(v: string): number | undefined {
  const m = /^(-?\d+)([kmgKMG]?)[bB]?$/.exec(v.trim());
  if (!m) return undefined;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(m[1]) * mult;
}
