// The engine's side of networking: which networking a container gets (Docker's modes: the
// default bridge or user-defined networks, none, host, container:ID), setting it up between the
// runtime's create and start (the netns exists, the process has not run), joining another
// container's namespace, and reconciling what killed berth processes left behind. The network
// layer (src/network) does the plumbing; nothing here shells out.
import { readFileSync, writeFileSync } from "node:fs";
import type { Spec } from "../runtime/spec.ts";
import { ConflictError, type ContainerOptions, type ContainerRecord, type NetworkEndpointOption } from "./model.ts";
import { bundleDir, containerDir } from "./paths.ts";
import { observe } from "./runtime.ts";
import { resolveId, tryContainerLock, tryLoadRecord, unlock, withContainerLock, loadRecord, saveRecord } from "./store.ts";
import type { PortMapping } from "../network/types.ts";
import { trace } from "../sys/trace.ts";
import { writeStderr } from "../sys/io.ts";

export type NetMode = "bridge" | "none" | "host" | "container";

export function netMode(o: Pick<ContainerOptions, "network">): NetMode {
  if (o.network === "none" || o.network === "host") return o.network;
  if (o.network.startsWith("container:")) return "container";
  return "bridge";
}

/** Whether the runtime's plan brings up lo (LINK_UP) in the container's new netns: --network none,
 *  and bridge mode, whose set-up then runs no CNI loopback plugin. */
export function runtimeBringsUpLoopback(o: Pick<ContainerOptions, "network">): boolean {
  const m = netMode(o);
  return m === "none" || m === "bridge";
}

/** The networks a bridge-mode container joins, in order. */
export function endpointOptions(o: Pick<ContainerOptions, "network" | "networks">): NetworkEndpointOption[] {
  return o.networks ?? [{ network: o.network }];
}

/** -p values, plus with -P the image's EXPOSEd ports on free host ports (unless -p maps them). */
export async function publishedPorts(rec: ContainerRecord): Promise<PortMapping[]> {
  const { parsePortSpec } = await import("../network/specs.ts");
  const ports = rec.options.publish.flatMap((p) => parsePortSpec(p));
  if (rec.options.publishAll) {
    for (const e of rec.config.exposedPorts) {
      const [n, proto = "tcp"] = e.split("/");
      const containerPort = Number(n);
      if (!Number.isInteger(containerPort) || (proto !== "tcp" && proto !== "udp")) continue;
      if (ports.some((p) => p.containerPort === containerPort && p.protocol === proto)) continue;
      ports.push({ hostIP: "", hostPort: 0, containerPort, protocol: proto });
    }
  }
  return ports;
}

/** At create: the networks must exist and a container: target must be a container (Docker's checks). */
export async function checkNetworkOptions(o: ContainerOptions): Promise<void> {
  const mode = netMode(o);
  if (mode === "container") {
    resolveId(o.network.slice("container:".length));
    return;
  }
  if (mode !== "bridge") return;
  const wanted = endpointOptions(o);
  // the default bridge always exists (made on first use) and takes no --ip or aliases: nothing to load
  if (wanted.every((e) => e.network === "bridge" && !e.ip && !e.aliases?.length)) return;
  const net = await import("../network/index.ts");
  const nets = await net.listNetworks();
  for (const e of wanted) {
    const n = net.findNetwork(nets, e.network);
    if (n.driver !== "bridge") throw new Error(`container cannot be attached to multiple networks with one of the networks in ${n.name} mode`);
    if (n.isDefault && (e.ip || e.aliases?.length)) {
      throw new Error(e.ip ? "user specified IP address is supported on user defined networks only" : "network-scoped alias is supported only for containers in user defined networks");
    }
  }
}

/** The netns of the container that `--network container:REF` names; it must be running. */
function targetNetns(rec: ContainerRecord): { id: string; path: string } {
  const ref = rec.options.network.slice("container:".length);
  const id = resolveId(ref);
  if (id === rec.id) throw new ConflictError(`cannot join own network namespace`);
  const target = loadRecord(id);
  const o = observe(target);
  if ((o.status !== "running" && o.status !== "paused") || !o.pid) throw new ConflictError(`cannot join network namespace of a non running container: container ${ref} is ${o.status}`);
  return { id, path: `/proc/${o.pid}/ns/net` };
}

/**
 * Before the runtime creates the container: for --network container:REF, point the spec's
 * network namespace at the target's (the target's pid is known only now). No-op otherwise.
 */
export function prepareNetworkNamespace(rec: ContainerRecord): void {
  if (netMode(rec.options) !== "container") return;
  const t = targetNetns(rec);
  const path = `${bundleDir(rec.id)}/config.json`;
  const spec = JSON.parse(readFileSync(path, "utf8")) as Spec;
  const nss = (spec.linux ??= {}).namespaces ?? [];
  spec.linux.namespaces = [...nss.filter((n) => n.type !== "network"), { type: "network", path: t.path }];
  writeFileSync(path, JSON.stringify(spec));
  // Docker shares the target's /etc/hosts and /etc/resolv.conf
  const dir = containerDir(rec.id);
  for (const f of ["hosts", "resolv.conf"]) {
    try {
      writeFileSync(`${dir}/${f}`, readFileSync(`${containerDir(t.id)}/${f}`));
    } catch {
      /* the target's file is gone: keep ours */
    }
  }
}

/**
 * After the runtime created the container (process `pid` blocked before exec): attach its
 * networks (bridge mode). Records addresses and ports in `rec.network`
 * (the caller saves the record). Network state of a failed attempt is undone by the layer.
 */
export async function setupNetwork(rec: ContainerRecord, pid: number): Promise<void> {
  const mode = netMode(rec.options);
  // none: lo was brought up by the runtime's plan (LINK_UP); the network layer is not even loaded
  if (mode !== "bridge") return;
  const net = await import("../network/index.ts");
  const netns = `/proc/${pid}/ns/net`;
  await reconcileContainerNetworks();
  trace("network: reconciled");
  const o = rec.options;
  const dir = containerDir(rec.id);
  const res = await net.setupContainerNetwork({
    id: rec.id,
    name: rec.name,
    hostname: rec.config.hostname,
    netnsPath: netns,
    // the runtime's plan brought lo up (LINK_UP), as for --network none
    loopbackUp: runtimeBringsUpLoopback(rec.options),
    attachments: endpointOptions(o).map((e) => ({ ...e })),
    ports: await publishedPorts(rec),
    dns: o.dns ?? [],
    dnsSearch: o.dnsSearch ?? [],
    dnsOptions: o.dnsOptions ?? [],
    extraHosts: o.extraHosts ?? [],
    hostsPath: `${dir}/hosts`,
    resolvConfPath: `${dir}/resolv.conf`,
  });
  const ep = Object.values(res.networks)[0];
  rec.network = { mode: "bridge", ipAddress: ep?.ipAddress, ports: res.ports };
}

/**
 * Whether a container's network state must be kept: a berth process is working on it (its lock
 * is taken: a start between set-up and "running"), or it runs. Anything else — exited, removed,
 * a start killed midway, a dead monitor — is left-over state.
 */
export function networkLive(id: string, netnsPathOf: (id: string) => string | undefined = () => undefined): boolean {
  const rec = /^[a-f0-9]{64}$/.test(id) ? tryLoadRecord(id) : undefined;
  if (!rec) {
    // The engine sets up networks on /proc/PID/ns/net; a namespace pinned elsewhere (ip netns,
    // the network layer used on its own) is not the engine's to reclaim.
    const ns = netnsPathOf(id);
    return ns !== undefined && !ns.startsWith("/proc/");
  }
  const fd = tryContainerLock(id);
  if (fd === undefined) return true;
  try {
    const o = observe(rec);
    return o.status === "running" || o.status === "paused";
  } finally {
    unlock(fd);
  }
}

/**
 * Tear down the network state of containers that no longer run (after a crash or kill -9 of berth
 * or a monitor). Cheap when there is nothing to do: two readdirs and a liveness check per
 * container with network state, no lock.
 */
export async function reconcileContainerNetworks(): Promise<string[]> {
  const { networkStateIds } = await import("../network/state-ids.ts");
  const ids = networkStateIds();
  if (ids.length === 0) return [];
  const net = await import("../network/index.ts");
  const live = (id: string) => networkLive(id, net.endpointNetnsPath);
  if (!ids.some((id) => !live(id))) return [];
  return net.reconcileNetworks(live);
}

/**
 * The network teardown an attached `run --rm` left to the monitor's exit command (or that a
 * crash left): whatever network state container `id` still has. Errors are kept for the next
 * reconcile (the state stays, and an ID without a record is never live).
 */
export async function teardownLeftoverNetwork(id: string): Promise<void> {
  const { hasNetworkState } = await import("../network/state-ids.ts");
  if (!hasNetworkState(id)) return;
  const net = await import("../network/index.ts");
  try {
    await net.teardownContainerNetwork(id);
  } catch (e) {
    if (process.env.BERTH_DEBUG) writeStderr(`berth: network teardown: ${(e as Error).message}\n`);
  }
}

/** `network connect` of a container: attach now when it runs, and remember it for its next starts. */
export async function connectNetwork(id: string, e: NetworkEndpointOption): Promise<void> {
  const net = await import("../network/index.ts");
  await withContainerLock(id, async () => {
    const rec = loadRecord(id);
    const mode = netMode(rec.options);
    if (mode !== "bridge") throw new ConflictError(`container sharing network namespace with another container or host cannot be connected to any other network`);
    const n = net.findNetwork(await net.listNetworks(), e.network);
    const list = endpointOptions(rec.options);
    if (list.some((x) => x.network === n.name || x.network === n.id)) throw new ConflictError(`endpoint with name ${rec.name} already exists in network ${n.name}`);
    const o = observe(rec);
    if (o.status === "running" || o.status === "paused") await net.connectContainer(id, { ...e, network: n.name });
    rec.options.networks = [...list, { ...e, network: n.name }];
    saveRecord(rec);
  });
}

/** `network disconnect`: detach now when it runs, and forget it for its next starts. */
export async function disconnectNetwork(id: string, network: string): Promise<void> {
  const net = await import("../network/index.ts");
  await withContainerLock(id, async () => {
    const rec = loadRecord(id);
    const n = net.findNetwork(await net.listNetworks(), network);
    const list = endpointOptions(rec.options);
    const kept = list.filter((x) => x.network !== n.name && x.network !== n.id);
    const o = observe(rec);
    const attached = (o.status === "running" || o.status === "paused") && !!net.containerNetwork(id)?.networks[n.name];
    if (kept.length === list.length && !attached) throw new Error(`container ${rec.name} is not connected to network ${n.name}`);
    if (attached) await net.disconnectContainer(id, n.name);
    rec.options.networks = kept;
    saveRecord(rec);
  });
}
