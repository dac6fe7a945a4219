// Version-independent stats shape (units normalised: bytes and nanoseconds) and parsers for
// the kernel's flat-keyed ("key value") and nested-keyed ("8:0 rbytes=1 wbytes=2") files.
import type { CgroupFs } from "./fs.ts";

export interface CgroupStats {
  memory: {
    usage: number;
    /** undefined = unlimited */
    limit?: number;
    maxUsage?: number;
    swapUsage?: number;
    swapLimit?: number;
    oomKills?: number;
    stat: Record<string, number>;
  };
  cpu: {
    usageTotalNs: number;
    usageUserNs: number;
    usageSystemNs: number;
    periods: number;
    throttledPeriods: number;
    throttledTimeNs: number;
  };
  pids: { current: number; limit?: number };
  blkio: { major: number; minor: number; readBytes: number; writeBytes: number; readOps: number; writeOps: number }[];
  hugetlb: Record<string, { usage: number; maxUsage?: number; failcnt?: number }>;
}

export function emptyStats(): CgroupStats {
  return {
    memory: { usage: 0, stat: {} },
    cpu: { usageTotalNs: 0, usageUserNs: 0, usageSystemNs: 0, periods: 0, throttledPeriods: 0, throttledTimeNs: 0 },
    pids: { current: 0 },
    blkio: [],
    hugetlb: {},
  };
}

export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** number, or undefined for "max", a missing file, or the v1 "unlimited" sentinel (>= 2^62). */
export function readNumber(fs: CgroupFs, file: string): number | undefined {
  if (!fs.exists(file)) return undefined;
  const s = fs.read(file).trim();
  if (s === "max" || !/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 2 ** 62 ? undefined : n;
}

export function readFlat(fs: CgroupFs, file: string): Record<string, number> {
  return fs.exists(file) ? parseFlatKeyed(fs.read(file)) : {};
}

/** Parse a v1 blkio "MAJ:MIN Op value" file into per-device byte/op counters. */
export function parseBlkioV1(bytes: string, ops: string): CgroupStats["blkio"] {
  const devs = new Map<string, CgroupStats["blkio"][number]>();
  const add = (text: string, isBytes: boolean): void => {
    for (const line of text.split("\n")) {
      const m = /^(\d+):(\d+) (Read|Write) (\d+)$/.exec(line.trim());
      if (!m) continue;
      const key = `${m[1]}:${m[2]}`;
      let d = devs.get(key);
      if (!d) devs.set(key, (d = { major: Number(m[1]), minor: Number(m[2]), readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 }));
      const n = Number(m[4]);
      if (isBytes) m[3] === "Read" ? (d.readBytes += n) : (d.writeBytes += n);
      else m[3] === "Read" ? (d.readOps += n) : (d.writeOps += n);
    }
  };
  add(bytes, true);
  add(ops, false);
  return [...devs.values()];
}

/** Parse v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..."). */
export function parseIoStat(text: string): CgroupStats["blkio"] {
  const out: CgroupStats["blkio"] = [];
  for (const line of text.split("\n")) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? "");
    if (!m) continue;
    const kv: Record<string, number> = {};
    for (const p of kvs) {
      const [k, v] = p.split("=");
      if (k && v) kv[k] = Number(v);
    }
    out.push({ major: Number(m[1]), minor: Number(m[2]), readBytes: kv.rbytes ?? 0, writeBytes: kv.wbytes ?? 0, readOps: kv.rios ?? 0, writeOps: kv.wios ?? 0 });
  }
  return out;
}
