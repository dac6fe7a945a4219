// Pure parsers for the container-side network flags (`run -p/--network/--ip/--network-alias/
// --dns/--add-host/--mac-address`). The engine's flag handling calls these; every error names the value.
import { parseIPv4 } from "./ipv4.ts";
import type { NetworkAttachment, PortMapping } from "./types.ts";

export class NetworkSpecError extends Error {
  override name = "NetworkSpecError";
}

function port(s: string, what: string, spec: string): number {
  if (!/^\d{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535) {
    throw new NetworkSpecError(`invalid ${what} "${s}" in port spec "${spec}": must be 1-65535`);
  }
  return Number(s);
}

function portRange(s: string, what: string, spec: string): [number, number] {
  const i = s.indexOf("-");
  if (i < 0) {
    const p = port(s, what, spec);
    return [p, p];
  }
  const a = port(s.slice(0, i), what, spec);
  const b = port(s.slice(i + 1), what, spec);
  if (b < a) throw new NetworkSpecError(`invalid ${what} range "${s}" in port spec "${spec}": end before start`);
  return [a, b];
}

/**
 * Parse one `-p` value into mappings (a range gives several):
 *   "80", "80/udp", "8080:80", "8080-8081:80-81", "127.0.0.1:8080:80", "127.0.0.1::80".
 * hostPort 0 means "choose a free port at set-up"; hostIP "" means all addresses.
 */
export function parsePortSpec(spec: string): PortMapping[] {
  let body = spec.trim();
  let protocol: PortMapping["protocol"] = "tcp";
  const slash = body.lastIndexOf("/");
  if (slash >= 0) {
    const proto = body.slice(slash + 1).toLowerCase();
    if (proto !== "tcp" && proto !== "udp") throw new NetworkSpecError(`invalid protocol "${proto}" in port spec "${spec}": use tcp or udp`);
    protocol = proto;
    body = body.slice(0, slash);
  }
  if (body.startsWith("[")) throw new NetworkSpecError(`port spec "${spec}": IPv6 host addresses are not supported`);
  const parts = body.split(":");
  let hostIP = "";
  let hostPart = "";
  let ctrPart: string;
  if (parts.length === 1) ctrPart = parts[0]!;
  else if (parts.length === 2) [hostPart, ctrPart] = parts as [string, string];
  else if (parts.length === 3) [hostIP, hostPart, ctrPart] = parts as [string, string, string];
  else throw new NetworkSpecError(`invalid port spec "${spec}": expected [[ip:]hostPort:]containerPort[/proto]`);
  if (hostIP !== "" && parseIPv4(hostIP) === undefined) throw new NetworkSpecError(`invalid host IP "${hostIP}" in port spec "${spec}"`);
  if (hostIP === "0.0.0.0") hostIP = "";
  if (ctrPart === "") throw new NetworkSpecError(`invalid port spec "${spec}": no container port`);
  const [c0, c1] = portRange(ctrPart, "container port", spec);
  const n = c1 - c0 + 1;
  let h0 = 0;
  if (hostPart !== "") {
    const [a, b] = portRange(hostPart, "host port", spec);
    if (b - a + 1 !== n) throw new NetworkSpecError(`invalid port spec "${spec}": host and container port ranges differ in length`);
    h0 = a;
  }
  const out: PortMapping[] = [];
  for (let i = 0; i < n; i++) out.push({ hostIP, hostPort: h0 === 0 ? 0 : h0 + i, containerPort: c0 + i, protocol });
  return out;
}

/** How a container is networked (`--network`). */
export type NetworkMode =
  | { kind: "none" }
  | { kind: "host" }
  | { kind: "container"; container: string }
  /** attach to CNI-backed networks; "bridge" is Docker's default network */
  | { kind: "networks"; attachments: NetworkAttachment[] };

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Docker's network name rule. */
export function validNetworkName(name: string): boolean {
  return NAME_RE.test(name) && name.length <= 128;
}

/** RFC 1123 host name or label list, as /etc/hosts and DNS take it. */
export function validHostname(name: string): boolean {
  return name.length <= 253 && name.split(".").every((l) => /^[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?$/.test(l));
}

function validMac(mac: string): boolean {
  return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac) && (parseInt(mac.slice(0, 2), 16) & 1) === 0;
}

/**
 * Parse one `--network` value: "bridge" | "host" | "none" | "container:NAME|ID" | NAME, or Docker's
 * long form "name=NET,alias=A,ip=IP,mac-address=MAC".
 */
export function parseNetworkValue(v: string): NetworkMode {
  if (v === "" || v === "default") return { kind: "networks", attachments: [{ network: "bridge" }] };
  if (v === "none") return { kind: "none" };
  if (v === "host") return { kind: "host" };
  if (v.startsWith("container:")) {
    const c = v.slice("container:".length);
    if (!c) throw new NetworkSpecError(`invalid network "${v}": container name or ID missing`);
    return { kind: "container", container: c };
  }
  if (v.includes("=")) {
    const a: NetworkAttachment = { network: "" };
    for (const kv of v.split(",")) {
      const i = kv.indexOf("=");
      const k = i < 0 ? kv : kv.slice(0, i);
      const val = i < 0 ? "" : kv.slice(i + 1);
      if (k === "name") a.network = val;
      else if (k === "alias") (a.aliases ??= []).push(parseAlias(val));
      else if (k === "ip") a.ip = parseIpFlag(val);
      else if (k === "mac-address") a.mac = parseMac(val);
      else throw new NetworkSpecError(`invalid network option "${k}" in --network "${v}"`);
    }
    if (!a.network) throw new NetworkSpecError(`invalid --network "${v}": name= is required`);
    if (!validNetworkName(a.network)) throw new NetworkSpecError(`invalid network name "${a.network}"`);
    return { kind: "networks", attachments: [a] };
  }
  if (!validNetworkName(v)) throw new NetworkSpecError(`invalid network name "${v}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return { kind: "networks", attachments: [{ network: v }] };
}

/**
 * Combine `run`'s flags into a network mode: the first --network gets --ip, --network-alias and
 * --mac-address (as Docker does); further --network values attach more networks.
 */
export function networkModeFromFlags(f: { network?: string[]; ip?: string; aliases?: string[]; mac?: string }): NetworkMode {
  const values = f.network && f.network.length > 0 ? f.network : ["bridge"];
  const modes = values.map(parseNetworkValue);
  if (modes.length > 1 && modes.some((m) => m.kind !== "networks")) {
    throw new NetworkSpecError(`conflicting options: --network ${values.join(", ")}: host, none and container: cannot be combined with other networks`);
  }
  const first = modes[0]!;
  if (first.kind !== "networks") {
    if (f.ip || (f.aliases && f.aliases.length) || f.mac) {
      throw new NetworkSpecError(`conflicting options: --ip, --network-alias and --mac-address need a bridge network, not --network ${values[0]}`);
    }
    return first;
  }
  const attachments = modes.flatMap((m) => (m.kind === "networks" ? m.attachments : []));
  const a0 = attachments[0]!;
  if (f.ip) a0.ip = parseIpFlag(f.ip);
  if (f.aliases && f.aliases.length) a0.aliases = [...(a0.aliases ?? []), ...f.aliases.map(parseAlias)];
  if (f.mac) a0.mac = parseMac(f.mac);
  const seen = new Set<string>();
  for (const a of attachments) {
    if (seen.has(a.network)) throw new NetworkSpecError(`network "${a.network}" is given twice`);
    seen.add(a.network);
  }
  return { kind: "networks", attachments };
}

export function parseIpFlag(v: string): string {
  if (parseIPv4(v) === undefined) throw new NetworkSpecError(`invalid IPv4 address "${v}" for --ip`);
  return v;
}

export function parseAlias(v: string): string {
  if (!validHostname(v)) throw new NetworkSpecError(`invalid network alias "${v}": not a valid DNS name`);
  return v;
}

export function parseMac(v: string): string {
  if (!validMac(v)) throw new NetworkSpecError(`invalid MAC address "${v}": expected a unicast xx:xx:xx:xx:xx:xx`);
  return v.toLowerCase();
}

/** `--dns` values: IPv4 addresses. */
export function parseDnsServers(values: string[]): string[] {
  for (const v of values) if (parseIPv4(v) === undefined) throw new NetworkSpecError(`invalid --dns "${v}": IPv4 address expected`);
  return values;
}

/** `--add-host host:ip` or `host=ip`; ip may be "host-gateway" (resolved to the network gateway at set-up). */
export function parseAddHost(v: string): { host: string; ip: string } {
  const i = v.search(/[:=]/);
  if (i <= 0) throw new NetworkSpecError(`invalid --add-host "${v}": expected host:ip`);
  const host = v.slice(0, i);
  const ip = v.slice(i + 1);
  if (!validHostname(host)) throw new NetworkSpecError(`invalid --add-host "${v}": "${host}" is not a valid host name`);
  if (ip !== "host-gateway" && parseIPv4(ip) === undefined && !/^[0-9a-fA-F:]+$/.test(ip)) {
    throw new NetworkSpecError(`invalid --add-host "${v}": "${ip}" is not an IP address`);
  }
  return { host, ip };
}
