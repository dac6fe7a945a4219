// Host ports for `-p`: conflicts with other berth containers' mappings (which no socket shows, as
// they are DNAT rules) and with host processes (a bind probe), and free ports for `-p CONTAINERPORT`.
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import type { PortMapping } from "./types.ts";

export class PortAllocatedError extends Error {
  override name = "PortAllocatedError";
}

const addr = (m: PortMapping) => `${m.hostIP || "0.0.0.0"}:${m.hostPort}/${m.protocol}`;

function clash(a: PortMapping, b: PortMapping): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIP === b.hostIP || a.hostIP === "" || b.hostIP === "");
}

/** Bind `ip:port` (port 0 = any) for a moment; returns the port bound, or the errno code. */
export function probe(ip: string, port: number, protocol: "tcp" | "udp"): Promise<number | string> {
  const host = ip || "0.0.0.0";
  return new Promise((resolve) => {
    if (protocol === "udp") {
      const s = createSocket("udp4");
      s.once("error", (e: NodeJS.ErrnoException) => {
        s.close();
        resolve(e.code ?? e.message);
      });
      s.bind(port, host, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    } else {
      const s = createServer();
      s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      s.listen({ port, host, exclusive: true }, () => {
        const a = s.address();
        const p = typeof a === "object" && a ? a.port : 0;
        s.close(() => resolve(p));
      });
    }
  });
}

/**
 * Check and complete `wanted` for container `who`: explicit host ports must be free of `taken`
 * (other containers' mappings) and of host sockets; hostPort 0 gets a free port.
 */
export async function resolvePorts(wanted: PortMapping[], taken: { container: string; port: PortMapping }[], who: string): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  for (const w of wanted) {
    if (w.hostPort !== 0) {
      const other = taken.find((t) => clash(t.port, w));
      if (other) throw new PortAllocatedError(`container ${who}: Bind for ${addr(w)} failed: port is already allocated (by container ${other.container})`);
      const mine = out.find((m) => clash(m, w));
      if (mine) throw new PortAllocatedError(`container ${who}: host port ${addr(w)} is published twice`);
      const r = await probe(w.hostIP, w.hostPort, w.protocol);
      if (typeof r === "string") {
        const why = r === "EADDRINUSE" ? "address already in use" : r === "EADDRNOTAVAIL" ? "no such local address" : r;
        throw new PortAllocatedError(`container ${who}: Bind for ${addr(w)} failed: ${why}`);
      }
      out.push({ ...w });
      continue;
    }
    let chosen: PortMapping | undefined;
    for (let i = 0; i < 50 && !chosen; i++) {
      const r = await probe(w.hostIP, 0, w.protocol);
      if (typeof r === "string") throw new PortAllocatedError(`container ${who}: cannot choose a host port on ${w.hostIP || "0.0.0.0"}/${w.protocol}: ${r}`);
      const cand = { ...w, hostPort: r };
      if (!taken.some((t) => clash(t.port, cand)) && !out.some((m) => clash(m, cand))) chosen = cand;
    }
    if (!chosen) throw new PortAllocatedError(`container ${who}: no free host port for container port ${w.containerPort}/${w.protocol}`);
    out.push(chosen);
  }
  return out;
}
