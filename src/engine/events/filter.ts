// `events --filter` and `--since/--until` as Docker reads them.
import type { EventRecord } from "../events.ts";

/** filter key → values; values of one key are alternatives, different keys must all match */
export type EventFilters = Map<string, string[]>;

const KEYS = new Set(["container", "event", "image", "label", "network", "type", "volume", "scope", "daemon", "plugin", "node", "service", "secret", "config"]);

export function parseFilters(specs: string[]): EventFilters {
  const f: EventFilters = new Map();
  for (const s of specs) {
    const i = s.indexOf("=");
    if (i <= 0) throw new Error(`bad format of filter (expected name=value)`);
    const k = s.slice(0, i).toLowerCase();
    if (!KEYS.has(k)) throw new Error(`invalid filter '${k}'`);
    f.set(k, [...(f.get(k) ?? []), s.slice(i + 1)]);
  }
  return f;
}

// Docker matches these actions by prefix: "exec_start" matches "exec_start: sh -c ..."
const FUZZY = new Set(["health_status", "exec_create", "exec_start", "exec_die"]);

const withoutTag = (s: string): string => s.replace(/:[\w][\w.-]*$/, "");

function imageMatches(want: string, candidates: string[]): boolean {
  const hex = /^(sha256:)?[0-9a-f]{4,64}$/.test(want) ? want.replace(/^sha256:/, "") : undefined;
  return candidates.some((c) => c !== "" && (c === want || withoutTag(c) === want || (hex !== undefined && c.replace(/^sha256:/, "").startsWith(hex))));
}

export function matchEvent(e: EventRecord, f: EventFilters): boolean {
  const anyOf = (k: string, test: (v: string) => boolean): boolean => {
    const vs = f.get(k);
    return !vs || vs.some(test);
  };
  const a = e.attributes;
  return (
    anyOf("type", (v) => v === e.type) &&
    anyOf("scope", (v) => v === "local") &&
    anyOf("event", (v) => e.action === v || (FUZZY.has(v) && e.action.startsWith(`${v}:`))) &&
    anyOf("container", (v) => e.type === "container" && (a.name === v || e.id.startsWith(v))) &&
    anyOf("image", (v) => (e.type === "image" ? imageMatches(v, [e.id, a.name ?? ""]) : e.type === "container" && imageMatches(v, [a.image ?? ""]))) &&
    anyOf("volume", (v) => e.type === "volume" && e.id === v) &&
    anyOf("network", (v) => e.type === "network" && (e.id === v || e.id.startsWith(v) || a.name === v)) &&
    (f.get("label") ?? []).every((l) => {
      const i = l.indexOf("=");
      return i < 0 ? l in a : a[l.slice(0, i)] === l.slice(i + 1);
    })
  );
}

const UNIT: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Docker's timestamp forms: a Go duration (10m, 1h30m: that long before now), Unix seconds
 * with optional fraction, or an RFC 3339 date/time (no zone: local time). Nanoseconds.
 */
export function parseTimestamp(s: string, now: bigint): bigint {
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) {
    let ns = 0;
    for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ns += Number(m[1]) * UNIT[m[2]!]!;
    return now - BigInt(Math.round(ns));
  }
  const unix = /^(\d+)(?:\.(\d{1,9}))?$/.exec(s);
  if (unix) return BigInt(unix[1]!) * 1_000_000_000n + BigInt((unix[2] ?? "").padEnd(9, "0"));
  const frac = /(T\d\d:\d\d:\d\d)\.(\d+)/.exec(s);
  const ms = Date.parse(frac ? s.replace(frac[0], frac[1]!) : s);
  if (!Number.isFinite(ms)) throw new Error(`failed to parse value as time or duration: "${s}"`);
  return BigInt(ms) * 1_000_000n + BigInt((frac?.[2] ?? "").slice(0, 9).padEnd(9, "0"));
}
