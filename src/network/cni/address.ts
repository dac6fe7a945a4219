// Choosing a container's address before CNI ADD, so that the host-side plugins (firewall,
// portmap) can run alongside bridge (see chain.ts). host-local still does the allocation: berth
// passes the address it chose as the `ips` capability and host-local reserves it under its own
// lock (or fails, when another state root took it meanwhile; the caller then lets host-local
// choose). The choice follows host-local's own: the first free address after the last one
// reserved, wrapping around, so a just-released address is not handed out again at once.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatIPv4, isHostAddress, parseCidr, parseIPv4, size } from "../ipv4.ts";
import type { JsonObject } from "../store.ts";

/** host-local's lease directory for a bridge plugin config (dataDir/<network name>). */
export function leaseDir(bridgeConf: JsonObject): string | undefined {
  const ipam = bridgeConf.ipam;
  if (typeof ipam !== "object" || ipam === null || Array.isArray(ipam) || ipam.type !== "host-local") return undefined;
  if (typeof ipam.dataDir !== "string" || typeof bridgeConf.name !== "string") return undefined;
  return join(ipam.dataDir, bridgeConf.name);
}

/** A free host address of `subnet` (not the gateway, not leased in `dir`), or undefined. */
export function pickAddress(dir: string, subnet: string, gateway: string): string | undefined {
  const c = parseCidr(subnet);
  if (!c || c.prefix > 30) return undefined;
  const leased = new Set<string>();
  let last: number | undefined;
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)) leased.add(f);
    try {
      last = parseIPv4(readFileSync(join(dir, "last_reserved_ip.0"), "utf8").trim());
    } catch {
      // first allocation
    }
  }
  const first = c.base + 1;
  const count = size(c) - 2;
  const start = last !== undefined && isHostAddress(c, last) ? last + 1 - first : 0;
  for (let i = 0; i < count; i++) {
    const ip = first + ((start + i) % count);
    const s = formatIPv4(ip);
    if (s !== gateway && !leased.has(s)) return s;
  }
  return undefined;
}
