// berth's network layer: bridge networks through the standard CNI plugins, a DNS resolver per
// user-defined network, published ports. This is the API the engine and the CLI use.
//
// Container lifecycle, as the engine drives it:
//   1. create the container's netns (and nothing else network-wise);
//   2. `setupContainerNetwork({...})` before the container's process runs — it attaches the
//      networks, publishes ports, and returns the addresses plus /etc/hosts and /etc/resolv.conf
//      contents (or writes them itself when hostsPath/resolvConfPath are given);
//   3. `teardownContainerNetwork(id)` when the container stops (also after a crash; idempotent);
//   4. `reconcileNetworks(liveIds)` at the start of any berth command that may follow a crash or
//      `kill -9`, with the IDs of containers that are still running.
// All state changes hold one flock (berthRoot()/networks/lock), so concurrent berth processes are safe.
import {
  attachResult,
  checkLocked,
  connectLocked,
  disconnectLocked,
  loadState,
  reconcileLocked,
  setupLocked,
  teardownLocked,
  type ContainerNetworkSpec,
} from "./endpoint.ts";
import { ensurePredefined } from "./networks.ts";
import { CNI_VERSION } from "./cni/config.ts";
import { execPlugin } from "./cni/exec.ts";
import { loadEndpoints, withNetLock } from "./store.ts";
import type { AttachResult, NetworkAttachment } from "./types.ts";

export type { AttachResult, EndpointInfo, NetworkAttachment, NetworkRecord, PortMapping } from "./types.ts";
export type { ContainerNetworkSpec } from "./endpoint.ts";
export {
  createNetwork,
  listNetworks,
  inspectNetwork,
  findNetwork,
  removeNetwork,
  pruneNetworks,
  networkContainers,
  NoSuchNetworkError,
  NetworkConflictError,
  DEFAULT_BRIDGE_NAME,
  type CreateNetworkOptions,
} from "./networks.ts";
export {
  parsePortSpec,
  parseNetworkValue,
  networkModeFromFlags,
  parseIpFlag,
  parseAlias,
  parseMac,
  parseDnsServers,
  parseAddHost,
  validNetworkName,
  NetworkSpecError,
  type NetworkMode,
} from "./specs.ts";
export { CniError } from "./cni/exec.ts";
export { PortAllocatedError } from "./ports.ts";
export { pinPath } from "./netns.ts";
export { networkStateIds } from "./state-ids.ts";

/**
 * Attach a container to its networks (CNI ADD: loopback unless `loopbackUp`, then bridge → tuning →
 * firewall → portmap per network — firewall and portmap alongside bridge when the address is
 * known beforehand, see cni/chain.ts — interfaces eth0, eth1, ... in `attachments` order), publish `ports` on the first
 * non-internal network, register its DNS names (name, aliases, short ID) with each user-defined
 * network's resolver (starting it if needed).
 * `attachments: []` gives a loopback-only namespace (--network none). For --network host and
 * container:ID the engine does not call this.
 * The netns is bind-mounted under berthRoot()/networks/netns/<id> until teardown, so DEL works
 * after the container's processes are gone. On failure everything done so far is undone.
 * Leftover state of an earlier run with the same ID is torn down first.
 */
export function setupContainerNetwork(c: ContainerNetworkSpec): Promise<AttachResult> {
  return withNetLock(() => setupLocked(c, ensurePredefined()));
}

/**
 * Undo setupContainerNetwork: CNI DEL per network (reverse order, with the saved results: removes
 * the veth, iptables rules of bridge/firewall/portmap, the host-local lease), DNS entries, the
 * netns pin; stops a resolver whose network has no containers left. Idempotent and safe after a
 * crash halfway through set-up. If a plugin fails, the state is kept for a retry and this throws.
 */
export function teardownContainerNetwork(id: string): Promise<void> {
  return withNetLock(() => teardownLocked(id));
}

/**
 * Clean up after crashes: tear down every container with network state that is not in `liveIds`,
 * then remove what no state explains (netns pins, DNS entries, host-local leases, idle resolvers).
 * Returns the teardown errors (already retried next time), [] when all is clean.
 */
export function reconcileNetworks(liveIds: Set<string> | ((id: string) => boolean)): Promise<string[]> {
  return withNetLock(() => reconcileLocked(liveIds));
}

/** Bring up `lo` in a namespace (--network none): the CNI loopback plugin, no state kept. */
export async function loopbackUp(id: string, netnsPath: string): Promise<void> {
  await execPlugin("ADD", { cniVersion: CNI_VERSION, name: "loopback", type: "loopback" }, { containerId: id, netns: netnsPath, ifname: "lo" });
}

/** `network connect`: attach a running container (one that went through setup) to one more network. */
export function connectContainer(id: string, attachment: NetworkAttachment): Promise<AttachResult> {
  return withNetLock(() => connectLocked(id, attachment, ensurePredefined()));
}

/** `network disconnect`: CNI DEL for one network of a running container. */
export function disconnectContainer(id: string, network: string): Promise<AttachResult> {
  return withNetLock(() => disconnectLocked(id, network, ensurePredefined()));
}

/** CNI CHECK of every attachment; throws the first plugin's complaint. */
export function checkContainerNetwork(id: string): Promise<void> {
  return withNetLock(() => checkLocked(id));
}

/** The current addresses, ports and files of a container with network state (for inspect/`port`). */
export function containerNetwork(id: string): AttachResult | undefined {
  const s = loadState(id);
  return s ? attachResult(s) : undefined;
}

/** The netns path a container's network was set up with (undefined: no network state). */
export function endpointNetnsPath(id: string): string | undefined {
  return loadState(id)?.netnsPath;
}

/** Containers with network state, by ID: name and the networks they are on (for `network inspect` and connect by name). */
export function networkEndpoints(): { id: string; name: string; networks: string[] }[] {
  return loadEndpoints().map((s) => ({ id: s.id, name: s.name, networks: s.attachments.map((a) => a.networkId) }));
}
