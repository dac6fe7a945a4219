// berth logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER
import { bool, parseFlags, str } from "../flags.ts";
import { followLog, readLogs, type LogEntry } from "../../engine/logs.ts";
import { current } from "../../engine/runtime.ts";
import { loadRecord } from "../../engine/store.ts";
import { daemonError, out, resolveId } from "./container-util.ts";
import { UsageError } from "../flags.ts";

/** Docker's --since/--until: RFC 3339, a Unix timestamp, or a duration ago (10m, 1h30m). */
export function parseTime(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+(?:\.\d+)?(?:ns|us|ms|s|m|h))+$/.test(v);
  if (d) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) {
      const n = Number(m[1]);
      ms += m[2] === "h" ? n * 3.6e6 : m[2] === "m" ? n * 6e4 : m[2] === "s" ? n * 1e3 : m[2] === "ms" ? n : 0;
    }
    return now - ms;
  }
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new UsageError(`invalid value for "since": failed to parse value as time or duration: "${v}"`);
  return t;
}

export default async function logs(args: string[]): Promise<number> {
  try {
    const p = parseFlags(args, [
      { name: "follow", short: "f", kind: "bool" },
      { name: "tail", short: "n", kind: "string" },
      { name: "since", kind: "string" },
      { name: "until", kind: "string" },
      { name: "timestamps", short: "t", kind: "bool" },
      { name: "details", kind: "bool" },
    ]);
    if (p.args.length !== 1) throw new UsageError("\"berth logs\" requires exactly 1 argument.");
    const id = resolveId(p.args[0]!);
    const rec = loadRecord(id);
    const tailArg = str(p, "tail");
    const tail = tailArg === undefined || tailArg === "all" ? undefined : Number(tailArg);
    if (tail !== undefined && !Number.isInteger(tail)) throw new UsageError(`invalid value for --tail: ${tailArg}`);
    const q = {
      ...(str(p, "since") ? { since: parseTime(str(p, "since")!) } : {}),
      ...(str(p, "until") ? { until: parseTime(str(p, "until")!) } : {}),
      ...(tail !== undefined ? { tail } : {}),
    };
    const ts = bool(p, "timestamps");
    const print = (e: LogEntry) => out(e.stream === "stderr" ? 2 : 1, ts ? `${e.time} ${e.log}` : e.log);
    for (const e of readLogs(rec.logPath, rec.options.logMaxFiles, q)) print(e);
    if (bool(p, "follow")) {
      const done = () => {
        const st = (() => {
          try {
            return loadRecord(id).state.status;
          } catch {
            return "exited";
          }
        })();
        return st !== "running" && st !== "paused" && st !== "restarting" && st !== "created";
      };
      await current(id).catch(() => undefined);
      await followLog(rec.logPath, print, done, q);
    }
    return 0;
  } catch (e) {
    return daemonError(e);
  }
}
