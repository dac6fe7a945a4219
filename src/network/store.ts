// Where the network layer keeps its state, under berthRoot()/networks/:
//   lock                       one flock for every change (network records, endpoints, names files)
//   <name>/network.json        the NetworkRecord
//   <name>/cni.conflist        the network's CNI configuration list (what berth executes)
//   <name>/ipam/               host-local IPAM's dataDir (leases: ipam/<name>/<ip>, content = container ID)
//   <name>/names.json          the DNS names the network's resolver serves
//   <name>/resolver.pid|.log   the network's resolver process
//   endpoints/<container>.json a container's attachments and the CNI results DEL needs
//   netns/<container>          a bind mount that keeps the container's netns alive until teardown
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { berthRoot } from "../sys/paths.ts";
import { withLock } from "../sys/lock.ts";
import { writeFileAtomic } from "../sys/atomic.ts";
import type { NetworkRecord, PortMapping } from "./types.ts";

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [k: string]: Json;
}

export const netRoot = (): string => join(berthRoot(), "networks");
export const networkDir = (name: string): string => join(netRoot(), name);
export const networkFile = (name: string): string => join(networkDir(name), "network.json");
export const conflistFile = (name: string): string => join(networkDir(name), "cni.conflist");
export const ipamDir = (name: string): string => join(networkDir(name), "ipam");
/**
 * host-local's dataDir for the default bridge. Its Linux bridge (berth0) is one per host while
 * state roots (BERTH_ROOT) may be many, so its leases live in one host-wide place, under /run
 * (leases die with the interfaces at reboot): two roots never hand out the same address.
 */
export const sharedIpamDir = (subnet: string): string => join(process.env.BERTH_RUN_DIR ?? "/run/berth", "cni-ipam", `bridge-${subnet.replace(/[./]/g, "-")}`);
export const namesFile = (name: string): string => join(networkDir(name), "names.json");
export const resolverPidFile = (name: string): string => join(networkDir(name), "resolver.pid");
export const resolverLogFile = (name: string): string => join(networkDir(name), "resolver.log");
export const endpointsDir = (): string => join(netRoot(), "endpoints");
export const endpointFile = (id: string): string => join(endpointsDir(), `${id}.json`);
export const netnsPinDir = (): string => join(netRoot(), "netns");

/** Run fn holding the network layer's lock (all processes). */
export function withNetLock<T>(fn: () => T | Promise<T>): Promise<T> {
  return withLock(join(netRoot(), "lock"), fn);
}

export function writeJson(path: string, v: unknown): void {
  // fsync: these records are what a crashed berth is cleaned up from
  writeFileAtomic(path, JSON.stringify(v, null, 2) + "\n", 0o600, true);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`corrupt network state ${path}: ${(e as Error).message}`);
  }
}

// ---- networks

export function loadNetworks(): NetworkRecord[] {
  if (!existsSync(netRoot())) return [];
  const out: NetworkRecord[] = [];
  for (const d of readdirSync(netRoot())) {
    if (d === "endpoints" || d === "netns" || d === "lock") continue;
    const r = readJson<NetworkRecord>(networkFile(d));
    if (r) out.push(r);
  }
  return out.sort((a, b) => a.created.localeCompare(b.created) || a.name.localeCompare(b.name));
}

export function saveNetwork(r: NetworkRecord): void {
  writeJson(networkFile(r.name), r);
}

export function deleteNetworkDir(name: string): void {
  rmSync(networkDir(name), { recursive: true, force: true });
}

// ---- endpoints

/** One network attachment of a container, as far as set-up got. */
export interface EndpointAttachment {
  network: string;
  networkId: string;
  ifname: string;
  /** the CNI network name and version every plugin config carried */
  cniName: string;
  cniVersion: string;
  /** each plugin's config exactly as executed for ADD (runtimeConfig included, prevResult not) */
  plugins: JsonObject[];
  /** how many plugins ADD completed; DEL runs for all of them (and the one that may have been interrupted) */
  done: number;
  /** how many plugins' ADD may have begun, when they run concurrently (cni/chain.ts); DEL covers them too */
  started?: number;
  /** the latest CNI result (the chain's final result once done === plugins.length) */
  result?: JsonObject;
  aliases: string[];
  dnsNames: string[];
  /** ports published through this attachment's portmap */
  ports: PortMapping[];
}

export interface ContainerNetState {
  id: string;
  name: string;
  hostname: string;
  /** the netns path the engine gave */
  netnsPath: string;
  /** our bind mount of it (netns/<id>) */
  netnsPin: string;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  extraHosts: string[];
  /** files the network layer rewrites on connect/disconnect, when the engine asked for it */
  hostsPath?: string;
  resolvConfPath?: string;
  attachments: EndpointAttachment[];
}

export function loadEndpoint(id: string): ContainerNetState | undefined {
  return readJson<ContainerNetState>(endpointFile(id));
}

export function saveEndpoint(s: ContainerNetState): void {
  writeJson(endpointFile(s.id), s);
}

export function deleteEndpoint(id: string): void {
  rmSync(endpointFile(id), { force: true });
}

export function loadEndpoints(): ContainerNetState[] {
  if (!existsSync(endpointsDir())) return [];
  const out: ContainerNetState[] = [];
  for (const f of readdirSync(endpointsDir())) {
    if (!f.endsWith(".json") || f.startsWith(".tmp-")) continue;
    const s = readJson<ContainerNetState>(join(endpointsDir(), f));
    if (s) out.push(s);
  }
  return out;
}
