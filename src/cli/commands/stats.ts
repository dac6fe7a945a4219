// berth stats [--no-stream] [-a] [CONTAINER...]: cgroup usage as Docker's table; live by default.
import { totalmem } from "node:os";
import { bool, parseFlags, str } from "../flags.ts";
import { managerFor, sleep } from "../../runtime/ops/common.ts";
import { current } from "../../engine/runtime.ts";
import { containerIds } from "../../engine/store.ts";
import { formatRows, humanSize, tabulate } from "./image-util.ts";
import { daemonError, out, resolveId } from "./container-util.ts";

const binSize = (n: number) => {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i ? 2 : 0).replace(/\.00$/, "")}${u[i]}`;
};

interface Sample {
  cpuNs: number;
  at: number;
}

export default async function stats(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, [
      { name: "no-stream", kind: "bool" },
      { name: "all", short: "a", kind: "bool" },
      { name: "format", kind: "string" },
      { name: "no-trunc", kind: "bool" },
    ]);
    const refs = p.args.map(resolveId);
    const prev = new Map<string, Sample>();
    for (let round = 0; ; round++) {
      const ids = refs.length ? refs : containerIds();
      const rows: Record<string, string>[] = [];
      for (const id of ids) {
        const cur = await current(id).catch(() => undefined);
        if (!cur) continue;
        const running = cur.obs.status === "running" || cur.obs.status === "paused";
        if (!running && !bool(p, "all") && !refs.length) continue;
        let s;
        try {
          s = running ? managerFor({ id, cgroupsPath: `/berth/${id}` }).stats() : undefined;
        } catch {
          s = undefined;
        }
        const now = performance.now();
        const cpuNs = s?.cpu.usageTotalNs ?? 0;
        const last = prev.get(id);
        prev.set(id, { cpuNs, at: now });
        const cpuPct = last && now > last.at ? ((cpuNs - last.cpuNs) / 1e6 / (now - last.at)) * 100 : 0;
        const memUse = s ? s.memory.usage - (s.memory.stat.total_inactive_file ?? s.memory.stat.inactive_file ?? 0) : 0;
        const limit = s?.memory.limit && s.memory.limit < 2 ** 60 ? s.memory.limit : hostMemory();
        rows.push({
          Container: bool(p, "no-trunc") ? id : id.slice(0, 12),
          ID: bool(p, "no-trunc") ? id : id.slice(0, 12),
          Name: cur.rec.name,
          CPUPerc: `${cpuPct.toFixed(2)}%`,
          MemUsage: `${binSize(memUse)} / ${binSize(limit)}`,
          MemPerc: `${limit ? ((memUse / limit) * 100).toFixed(2) : "0.00"}%`,
          NetIO: "0B / 0B",
          BlockIO: `${humanSize(s?.blkio.reduce((a, b) => a + b.readBytes, 0) ?? 0)} / ${humanSize(s?.blkio.reduce((a, b) => a + b.writeBytes, 0) ?? 0)}`,
          PIDs: String(s?.pids.current ?? 0),
        });
      }
      const format = str(p, "format");
      const text = format
        ? formatRows(format, rows, { Container: "CONTAINER", ID: "CONTAINER ID", Name: "NAME", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT", MemPerc: "MEM %", NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS" })
        : `${tabulate([["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"], ...rows.map((r) => [r.ID!, r.Name!, r.CPUPerc!, r.MemUsage!, r.MemPerc!, r.NetIO!, r.BlockIO!, r.PIDs!])])}\n`;
      if (bool(p, "no-stream")) {
        // one sample needs two readings for CPU %: take a short second one
        if (round === 0) {
          await sleep(100);
          continue;
        }
        out(1, text);
        return 0;
      }
      if (round > 0) out(1, `\x1b[2J\x1b[H${text}`);
      await sleep(round === 0 ? 100 : 1000);
    }
  } catch (e) {
    return daemonError(e);
  }
}

function hostMemory(): number {
  return totalmem();
}
