// Network records: Docker's three predefined networks (bridge, host, none), user-defined bridge
// networks, lookup by name/ID/prefix, removal and prune.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { deleteBridge } from "../sys/ffi.ts";
import { networkConflist } from "./cni/config.ts";
import { formatCidr, formatIPv4, isHostAddress, parseCidr, parseIPv4, type Cidr } from "./ipv4.ts";
import { validNetworkName } from "./specs.ts";
import { stopResolver } from "./dns/supervisor.ts";
import {
  conflistFile,
  deleteNetworkDir,
  loadEndpoints,
  loadNetworks,
  networkFile,
  saveNetwork,
  withNetLock,
  writeJson,
} from "./store.ts";
import { allocateSubnet, DEFAULT_BRIDGE_SUBNET, hostRoutes } from "./subnets.ts";
import type { NetworkRecord } from "./types.ts";

export const DEFAULT_BRIDGE_NAME = "berth0";

export class NoSuchNetworkError extends Error {
  override name = "NoSuchNetworkError";
  constructor(readonly ref: string) {
    super(`network ${ref} not found`);
  }
}

export class NetworkConflictError extends Error {
  override name = "NetworkConflictError";
}

export interface CreateNetworkOptions {
  name: string;
  /** "bridge" (default) */
  driver?: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  /** Docker's -o options; com.docker.network.bridge.name and com.docker.network.driver.mtu are honoured */
  options?: Record<string, string>;
}

const predefinedId = (name: string) => createHash("sha256").update(`berth-predefined-network:${name}`).digest("hex");

function writeConflist(r: NetworkRecord): void {
  writeJson(conflistFile(r.name), networkConflist(r));
}

/** All networks, creating bridge, host and none when missing (callers hold the lock). */
export function ensurePredefined(): NetworkRecord[] {
  let nets = loadNetworks();
  const have = new Set(nets.map((n) => n.name));
  const now = new Date().toISOString();
  const base = { created: now, internal: false, labels: {}, options: {}, isDefault: false };
  if (!have.has("bridge")) {
    const routes = hostRoutes().filter((r) => r.dev !== DEFAULT_BRIDGE_NAME);
    const used = nets.filter((n) => n.subnet).map((n) => parseCidr(n.subnet!)!);
    const clash = routes.some((r) => r.cidr.prefix > 0 && overlapsCidr(r.cidr, DEFAULT_BRIDGE_SUBNET));
    const subnet = clash ? allocateSubnet(used, routes, new Set()) : DEFAULT_BRIDGE_SUBNET;
    const r: NetworkRecord = {
      ...base,
      id: predefinedId("bridge"),
      name: "bridge",
      driver: "bridge",
      subnet: formatCidr(subnet),
      gateway: formatIPv4(subnet.base + 1),
      bridge: DEFAULT_BRIDGE_NAME,
      isDefault: true,
      options: { "com.docker.network.bridge.name": DEFAULT_BRIDGE_NAME, "com.docker.network.bridge.default_bridge": "true" },
    };
    saveNetwork(r);
    writeConflist(r);
  }
  if (!have.has("host")) saveNetwork({ ...base, id: predefinedId("host"), name: "host", driver: "host" });
  if (!have.has("none")) saveNetwork({ ...base, id: predefinedId("none"), name: "none", driver: "null" });
  if (have.size < 3 || !have.has("bridge")) nets = loadNetworks();
  return nets;
}

function overlapsCidr(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  const m = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return ((a.base & m) >>> 0) === ((b.base & m) >>> 0);
}

/** All networks, predefined ones included (created on first use). */
export async function listNetworks(): Promise<NetworkRecord[]> {
  if (existsSync(networkFile("bridge")) && existsSync(networkFile("host")) && existsSync(networkFile("none"))) return loadNetworks();
  return withNetLock(ensurePredefined);
}

/** Find by exact name, full ID, or unique ID prefix (Docker's order). */
export function findNetwork(nets: NetworkRecord[], ref: string): NetworkRecord {
  const byName = nets.find((n) => n.name === ref);
  if (byName) return byName;
  const byId = nets.find((n) => n.id === ref);
  if (byId) return byId;
  const pre = /^[0-9a-f]+$/.test(ref) ? nets.filter((n) => n.id.startsWith(ref)) : [];
  if (pre.length === 1) return pre[0]!;
  if (pre.length > 1) throw new NetworkConflictError(`network ${ref} is ambiguous (${pre.length} matches found based on ID prefix)`);
  throw new NoSuchNetworkError(ref);
}

export async function inspectNetwork(ref: string): Promise<NetworkRecord> {
  return findNetwork(await listNetworks(), ref);
}

/** IDs of the containers attached to a network (from the endpoint records). */
export function networkContainers(n: NetworkRecord): string[] {
  return loadEndpoints()
    .filter((s) => s.attachments.some((a) => a.networkId === n.id))
    .map((s) => s.id);
}

/** `network create`. Validates like Docker; auto-allocates a subnet when none is given. */
export async function createNetwork(o: CreateNetworkOptions): Promise<NetworkRecord> {
  if (!validNetworkName(o.name)) throw new Error(`invalid network name "${o.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const driver = o.driver ?? "bridge";
  if (driver !== "bridge") throw new Error(`network "${o.name}": driver "${driver}" is not supported (only bridge)`);
  if (o.gateway && !o.subnet) throw new Error(`network "${o.name}": --gateway needs --subnet`);
  const options = { ...(o.options ?? {}) };
  let mtu: number | undefined;
  if (options["com.docker.network.driver.mtu"] !== undefined) {
    mtu = Number(options["com.docker.network.driver.mtu"]);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new Error(`network "${o.name}": invalid MTU "${options["com.docker.network.driver.mtu"]}"`);
  }
  return withNetLock(() => {
    const nets = ensurePredefined();
    if (nets.some((n) => n.name === o.name)) throw new NetworkConflictError(`network with name ${o.name} already exists`);
    const used = nets.filter((n) => n.subnet).map((n) => ({ name: n.name, cidr: parseCidr(n.subnet!)! }));
    let subnet: Cidr;
    if (o.subnet) {
      const c = parseCidr(o.subnet, false);
      if (!c) throw new Error(`network "${o.name}": invalid subnet "${o.subnet}": expected an IPv4 CIDR such as 172.20.0.0/16`);
      if (c.prefix > 30) throw new Error(`network "${o.name}": subnet ${o.subnet} is too small (at most /30)`);
      subnet = c;
      const clash = used.find((u) => overlapsCidr(u.cidr, c));
      if (clash) throw new NetworkConflictError(`network "${o.name}": subnet ${formatCidr(c)} overlaps with network "${clash.name}" (${formatCidr(clash.cidr)})`);
    } else {
      subnet = allocateSubnet(used.map((u) => u.cidr), hostRoutes(), new Set(nets.map((n) => n.bridge ?? "").filter(Boolean)));
    }
    let gw = subnet.base + 1;
    if (o.gateway) {
      const g = parseIPv4(o.gateway);
      if (g === undefined) throw new Error(`network "${o.name}": invalid gateway "${o.gateway}"`);
      if (!isHostAddress(subnet, g)) throw new Error(`network "${o.name}": gateway ${o.gateway} is not a usable address in subnet ${formatCidr(subnet)}`);
      gw = g;
    }
    const id = randomBytes(32).toString("hex");
    const bridge = options["com.docker.network.bridge.name"] ?? `br-${id.slice(0, 12)}`;
    if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw new Error(`network "${o.name}": invalid bridge name "${bridge}"`);
    if (nets.some((n) => n.bridge === bridge)) throw new NetworkConflictError(`network "${o.name}": bridge ${bridge} is used by another network`);
    const r: NetworkRecord = {
      id,
      name: o.name,
      driver: "bridge",
      created: new Date().toISOString(),
      subnet: formatCidr(subnet),
      gateway: formatIPv4(gw),
      bridge,
      internal: o.internal ?? false,
      labels: { ...(o.labels ?? {}) },
      options,
      isDefault: false,
    };
    if (mtu) r.mtu = mtu;
    writeConflist(r);
    saveNetwork(r);
    return r;
  });
}

/**
 * `network rm`: refuses predefined networks and networks with containers; stops the network's
 * resolver, deletes its bridge and state (leases included).
 */
export async function removeNetwork(ref: string): Promise<NetworkRecord> {
  return withNetLock(() => {
    const n = findNetwork(ensurePredefined(), ref);
    if (n.name === "bridge" || n.name === "host" || n.name === "none") {
      throw new NetworkConflictError(`${n.name} is a pre-defined network and cannot be removed`);
    }
    const users = networkContainers(n);
    if (users.length) throw new NetworkConflictError(`error while removing network: network ${n.name} id ${n.id} has active endpoints (${users.map((u) => u.slice(0, 12)).join(", ")})`);
    destroyNetwork(n);
    return n;
  });
}

/** Tear down a network's host side (resolver, bridge) and its state directory. Lock held. */
function destroyNetwork(n: NetworkRecord): void {
  stopResolver(n.name);
  if (n.bridge) deleteBridge(n.bridge);
  deleteNetworkDir(n.name);
}

/** `network prune`: remove user-defined networks no container uses (and that `filter` accepts). */
export async function pruneNetworks(filter: (n: NetworkRecord) => boolean = () => true): Promise<NetworkRecord[]> {
  return withNetLock(() => {
    const removed: NetworkRecord[] = [];
    for (const n of ensurePredefined()) {
      if (n.name === "bridge" || n.name === "host" || n.name === "none") continue;
      if (!filter(n) || networkContainers(n).length) continue;
      destroyNetwork(n);
      removed.push(n);
    }
    return removed;
  });
}

/** Reads the conflist berth wrote for a network (for inspection and tests). */
export function readConflist(name: string): string {
  return readFileSync(conflistFile(name), "utf8");
}
