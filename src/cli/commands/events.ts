// berth events [OPTIONS]: past events (with --since/--until), then new ones as they are
// written, until --until passes or the command is interrupted.
import { list, parseFlags, str, UsageError } from "../flags.ts";
import { EventTail, matchEvent, nowNano, parseFilters, parseTimestamp, type EventRecord } from "../../engine/events.ts";
import { fail, renderTemplate } from "./image-util.ts";
import { writeStdout } from "../../sys/io.ts";

const POLL_MS = 50;

/** Go's RFC3339NanoFixed in local time, as `docker events` prints it. */
function fixedTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const off = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + off * 60_000).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  const zone = off === 0 ? "Z" : `${off > 0 ? "+" : "-"}${String(Math.floor(Math.abs(off) / 60)).padStart(2, "0")}:${String(Math.abs(off) % 60).padStart(2, "0")}`;
  return `${local}.${frac}${zone}`;
}

/** Docker's events.Message (the legacy status/id/from fields for containers and images). */
function message(e: EventRecord): Record<string, unknown> {
  const legacy = e.type === "container" || e.type === "image";
  return {
    ...(legacy ? { status: e.action, id: e.id, ...(e.type === "container" ? { from: e.attributes.image ?? "" } : {}) } : {}),
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: "local",
    time: Number(e.timeNano / 1_000_000_000n),
    timeNano: Number(e.timeNano),
  };
}

function render(e: EventRecord, fmt: string | undefined): string {
  if (fmt === "json" || fmt === "{{json .}}") {
    // timeNano exceeds 2^53: write its digits exactly
    return JSON.stringify({ ...message(e), timeNano: "@@NANO@@" }).replace('"@@NANO@@"', e.timeNano.toString());
  }
  if (fmt) {
    const m = message(e);
    return renderTemplate(fmt, { ...m, Status: m.status, ID: m.id, From: m.from, Scope: m.scope, Time: m.time, TimeNano: m.timeNano });
  }
  const attrs = Object.keys(e.attributes)
    .sort()
    .map((k) => `${k}=${e.attributes[k]}`)
    .join(", ");
  return `${fixedTime(e.timeNano)} ${e.type} ${e.action} ${e.id}${attrs ? ` (${attrs})` : ""}`;
}

export default async function events(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "since", kind: "string" },
    { name: "until", kind: "string" },
    { name: "filter", short: "f", kind: "list" },
    { name: "format", kind: "string" },
  ]);
  if (p.args.length > 0) throw new UsageError('"events" accepts no arguments.');
  const now = nowNano();
  let since: bigint | undefined;
  let until: bigint | undefined;
  let filters;
  try {
    const s = str(p, "since");
    const u = str(p, "until");
    if (s) since = parseTimestamp(s, now);
    if (u) until = parseTimestamp(u, now);
    filters = parseFilters(list(p, "filter"));
  } catch (e) {
    return fail(e);
  }
  const fmt = str(p, "format");
  // Docker replays stored events only when a time bound is given; otherwise only new ones.
  const tail = new EventTail(since !== undefined || until !== undefined);
  const out = (s: string) => writeStdout(s);
  for (;;) {
    // decided before the poll, so events written just before --until are still read
    const done = until !== undefined && nowNano() >= until;
    for (const e of tail.poll()) {
      if (since !== undefined && e.timeNano < since) continue;
      if (until !== undefined && e.timeNano > until) continue;
      if (matchEvent(e, filters)) out(render(e, fmt) + "\n");
    }
    if (done) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  tail.close();
  return 0;
}
