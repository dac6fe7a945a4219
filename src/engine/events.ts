// Events without a daemon: every berth process appends one JSON line per event to
// berthRoot()/events.jsonl (O_APPEND, one write per line, so lines from concurrent processes
// never interleave). Past a size cap the file is renamed to events.jsonl.1 (one old
// generation kept); readers read both. `EventTail` follows the file as `tail -F` does.
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { berthRoot } from "../sys/paths.ts";
import { tryLock, unlock } from "../sys/lock.ts";
import { writeStderr } from "../sys/io.ts";

export type EventType = "container" | "image" | "volume" | "network";

export interface BerthEvent {
  type: EventType;
  /** Docker's action: create, start, die, exec_start: sh, health_status: healthy, pull, ... */
  action: string;
  /** container/image ID, volume or network name */
  id: string;
  /** name, image, exitCode, labels of a container, driver of a volume, ... */
  attributes?: Record<string, string>;
}

export interface EventRecord extends BerthEvent {
  attributes: Record<string, string>;
  /** nanoseconds since the epoch */
  timeNano: bigint;
}

export { parseFilters, matchEvent, parseTimestamp, type EventFilters } from "./events/filter.ts";

const DEFAULT_CAP = 8 << 20;

export const eventsPath = (): string => join(berthRoot(), "events.jsonl");
const oldPath = (): string => `${eventsPath()}.1`;
const capBytes = (): number => Number(process.env.BERTH_EVENTS_MAX_BYTES) || DEFAULT_CAP;

// wall-clock nanoseconds: hrtime for resolution, anchored to Date.now() once
const anchor = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
export const nowNano = (): bigint => process.hrtime.bigint() + anchor;

/** Record an event. Never throws: an event that cannot be written must not fail the operation. */
export function emitEvent(e: BerthEvent): void {
  try {
    const line = JSON.stringify({ time: nowNano().toString(), type: e.type, action: e.action, id: e.id, attributes: e.attributes ?? {} }) + "\n";
    let fd: number;
    try {
      fd = openSync(eventsPath(), "a", 0o600);
    } catch {
      mkdirSync(berthRoot(), { recursive: true }); // a fresh root
      fd = openSync(eventsPath(), "a", 0o600);
    }
    let size = 0;
    try {
      writeSync(fd, Buffer.from(line));
      size = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
    if (size > capBytes()) rotate();
  } catch (err) {
    if (process.env.BERTH_DEBUG) writeStderr(`berth: event not recorded: ${String(err)}\n`);
  }
}

function rotate(): void {
  const lock = tryLock(join(berthRoot(), "events.lock"));
  if (lock === undefined) return; // someone else is rotating
  try {
    if (statSync(eventsPath()).size > capBytes()) renameSync(eventsPath(), oldPath());
  } finally {
    unlock(lock);
  }
}

function parseLine(l: string): EventRecord | undefined {
  try {
    const o = JSON.parse(l) as { time?: unknown; type?: unknown; action?: unknown; id?: unknown; attributes?: unknown };
    if (typeof o.time !== "string" || typeof o.type !== "string" || typeof o.action !== "string") return undefined;
    const attrs = o.attributes && typeof o.attributes === "object" ? (o.attributes as Record<string, string>) : {};
    return { timeNano: BigInt(o.time), type: o.type as EventType, action: o.action, id: String(o.id ?? ""), attributes: attrs };
  } catch {
    return undefined;
  }
}

/** Follows the events file across rotations. poll() returns the records appended since. */
export class EventTail {
  private fd: number | undefined;
  private ino = -1;
  private pos = 0;
  private rest = "";
  private backlog: EventRecord[] = [];

  /** fromStart: also return what the files hold now (the old generation first). */
  constructor(fromStart: boolean) {
    if (fromStart) {
      try {
        this.backlog = this.parse(readFileSync(oldPath(), "utf8"));
        this.rest = "";
      } catch {
        // no old generation
      }
    }
    this.open(!fromStart);
  }

  private open(atEnd: boolean): void {
    try {
      closeSync(openSync(eventsPath(), "a", 0o600));
      this.fd = openSync(eventsPath(), "r");
      const st = fstatSync(this.fd);
      this.ino = st.ino;
      this.pos = atEnd ? st.size : 0;
      this.rest = "";
    } catch {
      this.fd = undefined;
    }
  }

  private parse(text: string): EventRecord[] {
    const lines = (this.rest + text).split("\n");
    this.rest = lines.pop() ?? "";
    return lines.map(parseLine).filter((r): r is EventRecord => r !== undefined);
  }

  private drain(): EventRecord[] {
    if (this.fd === undefined) return [];
    const chunks: Buffer[] = [];
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const n = readSync(this.fd, buf, 0, buf.length, this.pos);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      this.pos += n;
    }
    return chunks.length ? this.parse(Buffer.concat(chunks).toString("utf8")) : [];
  }

  poll(): EventRecord[] {
    const out = this.backlog.concat(this.drain());
    this.backlog = [];
    let ino = -1;
    try {
      ino = statSync(eventsPath()).ino;
    } catch {
      // rotated and not yet recreated
    }
    if (this.fd === undefined || (ino !== -1 && ino !== this.ino)) {
      // the file we read was rotated away: finish it, then read any generation rotated out
      // after it (now in .1), then start the new current file from its start
      out.push(...this.drain());
      if (this.fd !== undefined) closeSync(this.fd);
      try {
        const fd = openSync(oldPath(), "r");
        try {
          if (fstatSync(fd).ino !== this.ino) {
            this.rest = "";
            out.push(...this.parse(readFileSync(fd, "utf8")));
          }
        } finally {
          closeSync(fd);
        }
      } catch {
        // no old generation
      }
      this.open(false);
      out.push(...this.drain());
    }
    return out;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
