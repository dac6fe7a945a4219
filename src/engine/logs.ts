// Reading the monitor's json-file log (Docker's format: {"log","stream","time"} per line),
// across rotated files (log.N ... log.1, log), with --since/--until/--tail and follow.
import { existsSync, openSync, readFileSync, readSync, closeSync, statSync } from "node:fs";
import { normalJit } from "../sys/jit.ts";

export interface LogEntry {
  log: string;
  stream: "stdout" | "stderr";
  time: string;
}

export interface LogQuery {
  since?: number;
  until?: number;
  tail?: number;
}

function parseLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const l of text.split("\n")) {
    if (!l) continue;
    try {
      out.push(JSON.parse(l) as LogEntry);
    } catch {
      /* a partial line being written */
    }
  }
  return out;
}

/** ns-precision RFC 3339 to ms since the epoch (for filtering). */
export function logTime(e: LogEntry): number {
  return Date.parse(e.time);
}

export function readLogs(path: string, maxFiles: number, q: LogQuery): LogEntry[] {
  normalJit();
  const files: string[] = [];
  for (let i = maxFiles - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) files.push(`${path}.${i}`);
  if (existsSync(path)) files.push(path);
  let entries: LogEntry[] = [];
  for (const f of files) {
    try {
      entries.push(...parseLines(readFileSync(f, "utf8")));
    } catch {
      /* rotated away meanwhile */
    }
  }
  if (q.since !== undefined) entries = entries.filter((e) => logTime(e) >= q.since!);
  if (q.until !== undefined) entries = entries.filter((e) => logTime(e) < q.until!);
  if (q.tail !== undefined && q.tail >= 0) entries = q.tail === 0 ? [] : entries.slice(-q.tail);
  return entries;
}

/** Follow the live log file from byte `offset`; calls onEntry per complete line; stops when
 *  done() says so and nothing is left. Handles rotation (the file shrinking or being replaced). */
export async function followLog(path: string, onEntry: (e: LogEntry) => void, done: () => boolean, q: LogQuery): Promise<void> {
  normalJit();
  let offset = existsSync(path) ? statSync(path).size : 0;
  let ino = existsSync(path) ? statSync(path).ino : 0;
  let partial = "";
  for (;;) {
    const finished = done();
    let st;
    try {
      st = statSync(path);
    } catch {
      st = undefined;
    }
    if (st && (st.ino !== ino || st.size < offset)) {
      ino = st.ino;
      offset = 0;
      partial = "";
    }
    if (st && st.size > offset) {
      const fd = openSync(path, "r");
      const b = Buffer.alloc(st.size - offset);
      const n = readSync(fd, b, 0, b.length, offset);
      closeSync(fd);
      offset += n;
      const text = partial + b.subarray(0, n).toString("utf8");
      const cut = text.lastIndexOf("\n");
      partial = text.slice(cut + 1);
      for (const e of parseLines(text.slice(0, cut + 1))) {
        if (q.until !== undefined && logTime(e) >= q.until) return;
        onEntry(e);
      }
      continue;
    }
    if (finished) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
