// Container endpoints: CNI ADD/DEL for each attachment, the per-container state DEL needs (written
// ahead of and after every plugin), DNS names, published ports, and the container's hosts and
// resolv.conf. Every function here runs under the network lock.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../sys/atomic.ts";
import { leaseDir, pickAddress } from "./cni/address.ts";
import { addChain, checkChain, delChain, isHostSide } from "./cni/chain.ts";
import { CniError, execPlugin, type CniRuntimeArgs } from "./cni/exec.ts";
import { CNI_VERSION, networkConflist, pluginInvocations } from "./cni/config.ts";
import { readNames, writeNames, type NamesFile } from "./dns/names.ts";
import { ensureResolver, resolverPid, stopResolver } from "./dns/supervisor.ts";
import { hostResolvConf, hostsLines, reachableNameservers, renderResolvConf } from "./files.ts";
import { formatCidr, isHostAddress, parseCidr, parseIPv4 } from "./ipv4.ts";
import { findNetwork } from "./networks.ts";
import { isNetns, pinNetns, pinPath, unpinNetns } from "./netns.ts";
import { resolvePorts } from "./ports.ts";
import { hostRoutes } from "./subnets.ts";
import { parseAddHost, parseDnsServers } from "./specs.ts";
import {
  deleteEndpoint,
  ipamDir,
  loadEndpoint,
  loadEndpoints,
  loadNetworks,
  namesFile,
  netnsPinDir,
  saveEndpoint,
  type ContainerNetState,
  type EndpointAttachment,
  type Json,
  type JsonObject,
} from "./store.ts";
import { trace } from "../sys/trace.ts";
import type { AttachResult, EndpointInfo, NetworkAttachment, NetworkRecord, PortMapping } from "./types.ts";
import { waitForPlugins } from "./cni/orphans.ts";

/** What the engine passes when a container's netns exists and its process has not started yet. */
export interface ContainerNetworkSpec {
  /** full container ID (used as CNI_CONTAINERID) */
  id: string;
  /** container name without the leading slash; a DNS name on user-defined networks */
  name: string;
  hostname: string;
  /** the container's netns: /proc/PID/ns/net or a bind mount of it */
  netnsPath: string;
  /** lo is already up (the runtime's plan brought it up): no loopback plugin run */
  loopbackUp?: boolean;
  /** [] = no network but loopback (--network none) */
  attachments: NetworkAttachment[];
  /** from parsePortSpec; published on the first non-internal network */
  ports?: PortMapping[];
  /** --dns (IPv4) */
  dns?: string[];
  /** --dns-search */
  dnsSearch?: string[];
  /** --dns-option */
  dnsOptions?: string[];
  /** --add-host values ("host:ip", "host=ip", ip may be "host-gateway") */
  extraHosts?: string[];
  /** when given, the network layer writes these files (and rewrites them on connect/disconnect) */
  hostsPath?: string;
  resolvConfPath?: string;
}

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

function obj(v: Json | undefined): JsonObject | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v : undefined;
}
function arr(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : [];
}

/** Read ip/prefix/gateway/MAC/veth of `ifname` out of a CNI result. */
function parseResult(result: JsonObject | undefined, ifname: string): Omit<EndpointInfo, "networkId" | "ifname" | "dnsNames" | "aliases"> {
  const ifaces = arr(result?.interfaces).map(obj);
  const ctrIdx = ifaces.findIndex((i) => i?.name === ifname && typeof i?.sandbox === "string");
  const veth = ifaces.find((i) => i && !i.sandbox && typeof i.name === "string" && String(i.name).startsWith("veth"));
  const ip = arr(result?.ips)
    .map(obj)
    .find((i) => i && (i.interface === undefined || i.interface === ctrIdx));
  const [addr, prefix] = String(ip?.address ?? "/").split("/");
  return {
    hostVeth: String(veth?.name ?? ""),
    ipAddress: addr ?? "",
    prefixLen: Number(prefix ?? 0),
    gateway: String(ip?.gateway ?? ""),
    macAddress: String(ifaces[ctrIdx]?.mac ?? ""),
  };
}

function runtimeArgs(s: ContainerNetState, ifname: string): CniRuntimeArgs {
  // a pin that is no longer a namespace (after a reboot) is passed as "": DEL then only releases IPAM
  return { containerId: s.id, netns: isNetns(s.netnsPin) ? s.netnsPin : "", ifname };
}

// ---- DNS names

function dnsNamesFor(s: ContainerNetState, aliases: string[]): string[] {
  return [...new Set([s.name, ...aliases, s.id.slice(0, 12)].filter(Boolean).map((n) => n.toLowerCase()))];
}

/** Whether the container gets the network's resolver: user-defined networks always; the default
 *  bridge only when the host has no nameserver a container can reach (e.g. only 127.0.0.53). */
function usesResolver(n: NetworkRecord, s: ContainerNetState): boolean {
  if (!n.isDefault) return true;
  return s.dns.length === 0 && reachableNameservers(hostResolvConf()).length === 0;
}

function updateNames(n: NetworkRecord, fn: (f: NamesFile) => void): NamesFile {
  const f = readNames(namesFile(n.name)) ?? { network: n.name, internal: n.internal, endpoints: {} };
  f.internal = n.internal;
  fn(f);
  writeNames(namesFile(n.name), f);
  return f;
}

// ---- results for the engine

export function attachResult(s: ContainerNetState): AttachResult {
  const nets = loadNetworks();
  const networks: Record<string, EndpointInfo> = {};
  const ports: PortMapping[] = [];
  let primary: string | undefined;
  let resolverGw: string | undefined;
  let firstGw: string | undefined;
  for (const a of s.attachments) {
    const r = parseResult(a.result, a.ifname);
    networks[a.network] = { networkId: a.networkId, ifname: a.ifname, ...r, dnsNames: a.dnsNames, aliases: a.aliases };
    primary ??= r.ipAddress || undefined;
    firstGw ??= r.gateway || undefined;
    ports.push(...a.ports);
    const n = nets.find((x) => x.id === a.networkId);
    if (n && !resolverGw && usesResolver(n, s)) resolverGw = n.gateway;
  }
  const host = hostResolvConf();
  const rc = {
    nameservers: resolverGw ? [resolverGw] : s.dns.length ? s.dns : s.attachments.length ? reachableNameservers(host) : host.nameservers,
    search: s.dnsSearch.length ? s.dnsSearch : host.search,
    options: s.dnsOptions.length ? s.dnsOptions : resolverGw ? [...host.options.filter((o) => !o.startsWith("ndots:")), "ndots:0"] : host.options,
  };
  const extra = s.extraHosts.map(parseAddHost).map((e) => ({ host: e.host, ip: e.ip === "host-gateway" ? (firstGw ?? "127.0.0.1") : e.ip }));
  return { networks, ports, hostsEntries: hostsLines({ ip: primary, hostname: s.hostname, extra }), resolvConf: renderResolvConf(rc) };
}

/** Rewrite the container's files. In place when they exist: the container bind-mounted them
 *  before its network was set up, and a rename would leave it looking at the old inode. */
function writeFiles(s: ContainerNetState, r: AttachResult): void {
  const put = (path: string, text: string) => {
    if (existsSync(path)) writeFileSync(path, text);
    else writeFileAtomic(path, text, 0o644, false);
  };
  if (s.hostsPath) put(s.hostsPath, r.hostsEntries.join("\n") + "\n");
  if (s.resolvConfPath) put(s.resolvConfPath, r.resolvConf);
}

// ---- attach / detach one network

function planAttachment(s: ContainerNetState, n: NetworkRecord, req: NetworkAttachment, ifname: string, ports: PortMapping[]): EndpointAttachment {
  const label = `container ${s.name || s.id.slice(0, 12)} on network "${n.name}"`;
  if (n.driver !== "bridge") throw new Error(`${label}: network "${n.name}" (driver ${n.driver}) is a network mode, use --network ${n.name} alone`);
  const aliases = req.aliases ?? [];
  if (n.isDefault && aliases.length) throw new Error(`${label}: network-scoped aliases are supported only for user-defined networks`);
  if (req.ip) {
    if (n.isDefault) throw new Error(`${label}: user specified IP address is supported on user defined networks only`);
    const subnet = parseCidr(n.subnet!)!;
    const ip = parseIPv4(req.ip);
    if (ip === undefined || !isHostAddress(subnet, ip) || req.ip === n.gateway) {
      throw new Error(`${label}: address ${req.ip} is not a free host address in subnet ${formatCidr(subnet)}`);
    }
  }
  const list = networkConflist(n);
  return {
    network: n.name,
    networkId: n.id,
    ifname,
    cniName: list.name,
    cniVersion: CNI_VERSION,
    plugins: pluginInvocations(list, { ip: req.ip, mac: req.mac, ports }, parseCidr(n.subnet!)!.prefix),
    done: 0,
    aliases,
    dnsNames: n.isDefault ? [] : dnsNamesFor(s, aliases),
    ports,
  };
}

/** Whether the network's bridge already carries its subnet (a host route through it): portmap
 *  finds the interface to set route_localnet on by routing to the container's address. */
function bridgeUp(n: NetworkRecord): boolean {
  const c = parseCidr(n.subnet ?? "");
  return !!c && hostRoutes().some((r) => r.dev === n.bridge && r.cidr.base === c.base && r.cidr.prefix === c.prefix);
}

/**
 * When the container's address can be known before ADD — `--ip`, or a free address berth picks
 * from host-local's leases and then requests — a result holding just that address, for the
 * host-side plugins to run alongside bridge (chain.ts). Picking patches the bridge plugin's
 * runtimeConfig (the stored config is what DEL and CHECK run). Undefined: plain sequential chain.
 */
function seedResult(a: EndpointAttachment, n: NetworkRecord): { seed: JsonObject; picked: boolean } | undefined {
  if (!a.plugins.some(isHostSide) || !n.subnet || !n.gateway || !bridgeUp(n)) return undefined;
  const bridge = a.plugins[0]!;
  const prefix = parseCidr(n.subnet)!.prefix;
  const rc = obj(bridge.runtimeConfig) ?? {};
  let ip = typeof arr(rc.ips)[0] === "string" ? String(arr(rc.ips)[0]).split("/")[0]! : undefined;
  let picked = false;
  if (!ip) {
    const dir = leaseDir(bridge);
    ip = dir ? pickAddress(dir, n.subnet, n.gateway) : undefined;
    if (!ip) return undefined;
    bridge.runtimeConfig = { ...rc, ips: [`${ip}/${prefix}`] };
    picked = true;
  }
  const seed: JsonObject = { cniVersion: a.cniVersion, interfaces: [], ips: [{ address: `${ip}/${prefix}`, gateway: n.gateway }], routes: [], dns: {} };
  return { seed, picked };
}

/** ADD `a` (already appended to s.attachments and saved), then publish its names. */
async function addAttachment(s: ContainerNetState, a: EndpointAttachment, n: NetworkRecord): Promise<void> {
  const args = runtimeArgs(s, a.ifname);
  const onStep = (done: number, result: JsonObject) => {
    a.done = done;
    a.result = result;
    saveEndpoint(s);
  };
  const bridgeRc = a.plugins[0]?.runtimeConfig;
  const pre = seedResult(a, n);
  if (pre) {
    // write-ahead: every plugin may run from here on, and DEL needs the address
    a.started = a.plugins.length;
    a.result = pre.seed;
    saveEndpoint(s);
    try {
      await addChain(a.plugins, args, onStep, pre.seed);
    } catch (e) {
      // the address berth picked was taken meanwhile (another state root on the shared default
      // bridge): everything was undone; let host-local choose, one plugin after the other
      if (!pre.picked || !(e instanceof CniError) || !/not available|already (been )?(allocated|reserved)/i.test(e.message)) throw e;
      if (bridgeRc === undefined) delete a.plugins[0]!.runtimeConfig;
      else a.plugins[0]!.runtimeConfig = bridgeRc;
      a.started = 0;
      a.done = 0;
      delete a.result;
      saveEndpoint(s);
      await addChain(a.plugins, args, onStep);
    }
  } else {
    await addChain(a.plugins, args, onStep);
  }
  trace(`network: CNI chain on "${n.name}" done`);
  if (usesResolver(n, s)) {
    const info = parseResult(a.result, a.ifname);
    updateNames(n, (f) => {
      f.endpoints[s.id] = { ip: info.ipAddress, names: a.dnsNames, dns: s.dns };
    });
    await ensureResolver(n);
  }
}

/** DEL `a` and drop its names; the attachment is removed from `s` (and saved) only when DEL succeeded. */
async function removeAttachment(s: ContainerNetState, a: EndpointAttachment): Promise<void> {
  const n = loadNetworks().find((x) => x.id === a.networkId);
  if (n) {
    const f = existsSync(namesFile(n.name)) ? updateNames(n, (f) => delete f.endpoints[s.id]) : undefined;
    if (!f || Object.keys(f.endpoints).length === 0) stopResolver(n.name);
  }
  const plugins = a.plugins.slice(0, Math.min(Math.max(a.done + 1, a.started ?? 0), a.plugins.length));
  await delChain(plugins, a.result, runtimeArgs(s, a.ifname));
  s.attachments = s.attachments.filter((x) => x !== a);
  saveEndpoint(s);
}

function nextIfname(s: ContainerNetState): string {
  for (let i = 0; ; i++) if (!s.attachments.some((a) => a.ifname === `eth${i}`)) return `eth${i}`;
}

function takenPorts(exceptId: string): { container: string; port: PortMapping }[] {
  return loadEndpoints()
    .filter((e) => e.id !== exceptId)
    .flatMap((e) => e.attachments.flatMap((a) => a.ports.map((port) => ({ container: e.name || e.id.slice(0, 12), port }))));
}

// ---- the container-level operations (lock held by callers in index.ts)

export async function setupLocked(c: ContainerNetworkSpec, nets: NetworkRecord[]): Promise<AttachResult> {
  trace("network: set-up locked");
  if (!ID_RE.test(c.id)) throw new Error(`invalid container ID "${c.id}"`);
  const who = c.name || c.id.slice(0, 12);
  if (loadEndpoint(c.id) || existsSync(pinPath(c.id))) await teardownLocked(c.id); // leftovers of an earlier start
  const dns = parseDnsServers(c.dns ?? []);
  for (const h of c.extraHosts ?? []) parseAddHost(h);
  const targets = c.attachments.map((a) => ({ req: a, net: findNetwork(nets, a.network) }));
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.net.id)) throw new Error(`container ${who}: network "${t.net.name}" given twice`);
    seen.add(t.net.id);
  }
  const wanted = c.ports ?? [];
  const portNet = targets.find((t) => t.net.driver === "bridge" && !t.net.internal);
  if (wanted.length && !portNet) throw new Error(`container ${who}: cannot publish ports without a non-internal bridge network`);
  const ports = wanted.length ? await resolvePorts(wanted, takenPorts(c.id), who) : [];
  const s: ContainerNetState = {
    id: c.id,
    name: c.name,
    hostname: c.hostname,
    netnsPath: c.netnsPath,
    netnsPin: pinPath(c.id),
    dns,
    dnsSearch: c.dnsSearch ?? [],
    dnsOptions: c.dnsOptions ?? [],
    extraHosts: c.extraHosts ?? [],
    hostsPath: c.hostsPath,
    resolvConfPath: c.resolvConfPath,
    attachments: [],
  };
  // validate every attachment before touching anything
  const plans = targets.map((t, i) => planAttachment(s, t.net, t.req, `eth${i}`, t === portNet ? ports : []));
  saveEndpoint(s); // write-ahead: from here on, reconcile knows about this container
  pinNetns(c.id, c.netnsPath);
  trace("network: record written, netns pinned");
  try {
    if (!c.loopbackUp) await execPlugin("ADD", { cniVersion: CNI_VERSION, name: "loopback", type: "loopback" }, { containerId: c.id, netns: s.netnsPin, ifname: "lo" });
    for (let i = 0; i < plans.length; i++) {
      s.attachments.push(plans[i]!);
      saveEndpoint(s);
      await addAttachment(s, plans[i]!, targets[i]!.net);
    }
  } catch (e) {
    await teardownLocked(c.id).catch(() => undefined);
    throw e;
  }
  const r = attachResult(s);
  writeFiles(s, r);
  trace("network: hosts, resolv.conf written");
  return r;
}

export async function teardownLocked(id: string): Promise<void> {
  const s = loadEndpoint(id);
  if (!s) {
    unpinNetns(id);
    return;
  }
  const errors: string[] = [];
  for (const a of [...s.attachments].reverse()) {
    try {
      await removeAttachment(s, a);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) {
    // keep the record (and the pinned netns) so that a later teardown or reconcile can retry
    throw new Error(`network teardown of container ${s.name || id.slice(0, 12)} incomplete: ${errors.join("; ")}`);
  }
  unpinNetns(id);
  deleteEndpoint(id);
}

export async function connectLocked(id: string, req: NetworkAttachment, nets: NetworkRecord[]): Promise<AttachResult> {
  const s = loadEndpoint(id);
  if (!s) throw new Error(`container ${id.slice(0, 12)} has no network namespace set up by berth (is it running?)`);
  const n = findNetwork(nets, req.network);
  if (s.attachments.some((a) => a.networkId === n.id)) throw new Error(`endpoint with name ${s.name} already exists in network ${n.name}`);
  if (!isNetns(s.netnsPin)) throw new Error(`container ${s.name || id.slice(0, 12)}: its network namespace is gone`);
  const a = planAttachment(s, n, req, nextIfname(s), []);
  s.attachments.push(a);
  saveEndpoint(s);
  try {
    await addAttachment(s, a, n);
  } catch (e) {
    await removeAttachment(s, a).catch(() => undefined);
    throw e;
  }
  const r = attachResult(s);
  writeFiles(s, r);
  return r;
}

export async function disconnectLocked(id: string, network: string, nets: NetworkRecord[]): Promise<AttachResult> {
  const s = loadEndpoint(id);
  if (!s) throw new Error(`container ${id.slice(0, 12)} is not connected to any network`);
  const n = findNetwork(nets, network);
  const a = s.attachments.find((x) => x.networkId === n.id);
  if (!a) throw new Error(`container ${s.name || id.slice(0, 12)} is not connected to network ${n.name}`);
  await removeAttachment(s, a);
  const r = attachResult(s);
  writeFiles(s, r);
  return r;
}

export async function checkLocked(id: string): Promise<void> {
  const s = loadEndpoint(id);
  if (!s) throw new Error(`container ${id.slice(0, 12)} has no network state`);
  for (const a of s.attachments) {
    if (!a.result || a.done < a.plugins.length) throw new Error(`container ${s.name || id.slice(0, 12)}: set-up on network "${a.network}" did not finish`);
    await checkChain(a.plugins, a.result, runtimeArgs(s, a.ifname));
  }
}

/**
 * Remove everything of containers not in `live`: their endpoints (CNI DEL with the saved results),
 * then what no record explains: pinned namespaces, DNS entries, host-local leases, idle resolvers.
 */
export async function reconcileLocked(liveIds: Set<string> | ((id: string) => boolean)): Promise<string[]> {
  const errors: string[] = [];
  const memo = new Map<string, boolean>();
  const isLive = (id: string): boolean => {
    if (typeof liveIds !== "function") return liveIds.has(id);
    let v = memo.get(id);
    if (v === undefined) memo.set(id, (v = liveIds(id)));
    return v;
  };
  const live = { has: isLive };
  for (const s of loadEndpoints()) {
    if (live.has(s.id)) continue;
    try {
      // a set-up killed midway may still have plugins running: let them finish first
      await waitForPlugins(s.id);
      await teardownLocked(s.id);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const known = new Set(loadEndpoints().map((s) => s.id));
  if (existsSync(netnsPinDir())) {
    for (const id of readdirSync(netnsPinDir())) if (!known.has(id) && !live.has(id)) unpinNetns(id);
  }
  for (const n of loadNetworks()) {
    if (n.driver !== "bridge") continue;
    if (existsSync(namesFile(n.name))) {
      const f = updateNames(n, (f) => {
        for (const id of Object.keys(f.endpoints)) if (!known.has(id)) delete f.endpoints[id];
      });
      if (Object.keys(f.endpoints).length === 0 && resolverPid(n.name)) stopResolver(n.name);
    }
    // host-local leases: files named after the address whose first line is the container ID
    // (not the default bridge's: they are shared with other state roots, whose containers this one does not know)
    if (n.isDefault) continue;
    const leases = join(ipamDir(n.name), n.name);
    if (existsSync(leases)) {
      for (const f of readdirSync(leases)) {
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(f)) continue;
        const owner = readFileSync(join(leases, f), "utf8").split(/\r?\n/)[0]!.trim();
        if (!known.has(owner) && !live.has(owner)) rmSync(join(leases, f), { force: true });
      }
    }
  }
  return errors;
}

export function loadState(id: string): ContainerNetState | undefined {
  return loadEndpoint(id);
}
