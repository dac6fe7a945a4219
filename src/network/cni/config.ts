// CNI configuration for berth's bridge networks: the network's conflist (written to
// <network>/cni.conflist for people and tools to read) and the per-container plugin list
// with runtimeConfig filled in for the capabilities it uses.
import { ipamDir, sharedIpamDir } from "../store.ts";
import type { JsonObject } from "../store.ts";
import type { NetworkRecord, PortMapping } from "../types.ts";

export const CNI_VERSION = "1.0.0";

export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: JsonObject[];
}

/**
 * bridge (host-local IPAM, gateway on the bridge, masquerade unless internal) → tuning (MAC) →
 * firewall (FORWARD accept for the container's address) → portmap (DNAT + SNAT so that
 * 127.0.0.1:hostPort works; the plugin sets route_localnet on the bridge itself).
 */
export function networkConflist(n: NetworkRecord): Conflist {
  if (n.driver !== "bridge" || !n.subnet || !n.gateway || !n.bridge) throw new Error(`network "${n.name}" is not a bridge network`);
  const bridge: JsonObject = {
    type: "bridge",
    bridge: n.bridge,
    isGateway: true,
    ipMasq: !n.internal,
    hairpinMode: true,
    capabilities: { ips: true },
    ipam: {
      type: "host-local",
      dataDir: n.isDefault ? sharedIpamDir(n.subnet) : ipamDir(n.name),
      ranges: [[{ subnet: n.subnet, gateway: n.gateway }]],
      // --internal: no default route, so nothing leaves the subnet
      routes: n.internal ? [] : [{ dst: "0.0.0.0/0" }],
    },
  };
  if (n.mtu) bridge.mtu = n.mtu;
  return {
    cniVersion: CNI_VERSION,
    name: n.name,
    plugins: [
      bridge,
      { type: "tuning", capabilities: { mac: true } },
      // no ingressPolicy "same-bridge": its per-bridge isolation rules are never removed by the plugin
      { type: "firewall", backend: "iptables" },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

export interface InvocationRequest {
  ip?: string;
  mac?: string;
  ports: PortMapping[];
}

/**
 * The plugin configs to execute for one container: the conflist's plugins with name and
 * cniVersion merged in and runtimeConfig set for the capabilities requested. Plugins with nothing
 * to do (tuning without a MAC, portmap without ports) are left out; the list is stored per
 * container so that DEL runs exactly what ADD ran.
 */
export function pluginInvocations(list: Conflist, req: InvocationRequest, prefixLen: number): JsonObject[] {
  const out: JsonObject[] = [];
  for (const p of list.plugins) {
    const conf: JsonObject = { cniVersion: list.cniVersion, name: list.name, ...p };
    const caps = (p.capabilities ?? {}) as JsonObject;
    const rc: JsonObject = {};
    if (p.type === "tuning" && !req.mac) continue;
    if (p.type === "portmap" && req.ports.length === 0) continue;
    if (caps.ips && req.ip) rc.ips = [`${req.ip}/${prefixLen}`];
    if (caps.mac && req.mac) rc.mac = req.mac;
    if (caps.portMappings && req.ports.length) {
      rc.portMappings = req.ports.map((m) => {
        const o: JsonObject = { hostPort: m.hostPort, containerPort: m.containerPort, protocol: m.protocol };
        if (m.hostIP) o.hostIP = m.hostIP;
        return o;
      });
    }
    if (Object.keys(rc).length) conf.runtimeConfig = rc;
    out.push(conf);
  }
  return out;
}
