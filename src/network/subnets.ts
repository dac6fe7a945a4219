// Choosing subnets for bridge networks the way Docker's default pools do: 172.17.0.0/16 for the
// default bridge, then 172.18.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/20 ... 192.168.240.0/20,
// skipping blocks used by other berth networks or overlapping a route on the host.
import { readFileSync } from "node:fs";
import { formatCidr, overlaps, type Cidr } from "./ipv4.ts";

export const DEFAULT_BRIDGE_SUBNET: Cidr = { base: ((172 << 24) | (17 << 16)) >>> 0, prefix: 16 };

export function* subnetPool(): Generator<Cidr> {
  for (let b = 18; b <= 31; b++) yield { base: ((172 << 24) | (b << 16)) >>> 0, prefix: 16 };
  for (let c = 0; c < 256; c += 16) yield { base: ((192 << 24) | (168 << 16) | (c << 8)) >>> 0, prefix: 20 };
}

/** IPv4 routes on the host (from /proc/net/route), excluding default routes, with their device. */
export function hostRoutes(text?: string): { dev: string; cidr: Cidr }[] {
  let t = text;
  if (t === undefined) {
    try {
      t = readFileSync("/proc/net/route", "utf8");
    } catch {
      return [];
    }
  }
  const out: { dev: string; cidr: Cidr }[] = [];
  for (const line of t.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    // Destination and Mask are little-endian hex
    const le = (h: string) => {
      const n = parseInt(h, 16);
      return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | ((n >>> 24) & 255)) >>> 0;
    };
    const dst = le(f[1]!);
    const m = le(f[7]!);
    if (m === 0) continue;
    let prefix = 0;
    for (let x = m; x & 0x80000000; x = (x << 1) >>> 0) prefix++;
    out.push({ dev: f[0]!, cidr: { base: dst, prefix } });
  }
  return out;
}

/**
 * The first pool block that overlaps neither `used` (other networks' subnets) nor a host route
 * (routes through `ownBridges` are berth's own and covered by `used`).
 */
export function allocateSubnet(used: Cidr[], routes: { dev: string; cidr: Cidr }[], ownBridges: Set<string>): Cidr {
  const foreign = routes.filter((r) => !ownBridges.has(r.dev)).map((r) => r.cidr);
  for (const c of subnetPool()) {
    if (used.some((u) => overlaps(u, c))) continue;
    if (foreign.some((r) => overlaps(r, c))) continue;
    return c;
  }
  throw new Error("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network");
}

export function describeOverlap(a: Cidr, b: Cidr): string {
  return `${formatCidr(a)} overlaps with ${formatCidr(b)}`;
}
