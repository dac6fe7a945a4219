// berth network COMMAND: create, ls, inspect, rm, connect, disconnect, prune — and the hidden
// `network __resolver NAME` that runs a network's DNS resolver process (see src/network/dns).
// Docker's JSON shapes live here, built from the network layer's records.
import { bool, list, parseFlags, str, UsageError } from "../flags.ts";
import { connectNetwork, disconnectNetwork, reconcileContainerNetworks } from "../../engine/network.ts";
import { resolveId } from "../../engine/store.ts";
import { NoSuchContainerError } from "../../engine/model.ts";
import {
  connectContainer,
  disconnectContainer,
  createNetwork,
  findNetwork,
  listNetworks,
  networkEndpoints,
  containerNetwork,
  pruneNetworks,
  removeNetwork,
  parseAlias,
  parseIpFlag,
  type NetworkRecord,
  type NetworkAttachment,
} from "../../network/index.ts";
import { RESOLVER_ARG } from "../../network/dns/supervisor.ts";
import { errMsg, fail, formatRows, renderTemplate, tabulate } from "./image-util.ts";
import { writeStdout, writeStderr } from "../../sys/io.ts";

const USAGE = `Usage:  berth network COMMAND

Manage networks

Commands:
  connect     Connect a container to a network
  create      Create a network
  disconnect  Disconnect a container from a network
  inspect     Display detailed information on one or more networks
  ls          List networks
  prune       Remove all unused networks
  rm          Remove one or more networks
`;

function keyValues(items: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of items) {
    const i = kv.indexOf("=");
    if (i === 0) throw new UsageError(`invalid ${what} "${kv}"`);
    if (i < 0) out[kv] = "";
    else out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Docker's `network inspect` object. */
export function inspectJson(n: NetworkRecord): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const e of networkEndpoints()) {
    if (!e.networks.includes(n.id)) continue;
    const ep = Object.values(containerNetwork(e.id)?.networks ?? {}).find((x) => x.networkId === n.id);
    if (!ep) continue;
    containers[e.id] = {
      Name: e.name,
      EndpointID: ep.hostVeth,
      MacAddress: ep.macAddress,
      IPv4Address: ep.ipAddress ? `${ep.ipAddress}/${ep.prefixLen}` : "",
      IPv6Address: "",
    };
  }
  const options: Record<string, string> = { ...n.options };
  if (n.driver === "bridge" && n.bridge) options["com.docker.network.bridge.name"] = n.bridge;
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: "default",
      Options: null,
      Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [],
    },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: options,
    Labels: n.labels,
  };
}

function matches(n: NetworkRecord, filters: string[]): boolean {
  const user = !["bridge", "host", "none"].includes(n.name);
  return filters.every((f) => {
    const i = f.indexOf("=");
    if (i < 0) throw new UsageError(`bad format of filter (expected name=value): ${f}`);
    const k = f.slice(0, i);
    const v = f.slice(i + 1);
    switch (k) {
      case "name":
        return n.name.includes(v);
      case "id":
        return n.id.startsWith(v);
      case "driver":
        return n.driver === v;
      case "scope":
        return v === "local";
      case "type":
        if (v !== "custom" && v !== "builtin") throw new UsageError(`invalid filter 'type=${v}'`);
        return v === "custom" ? user : !user;
      case "label": {
        const j = v.indexOf("=");
        return j < 0 ? v in n.labels : n.labels[v.slice(0, j)] === v.slice(j + 1);
      }
      case "dangling":
        return (v === "true") === (user && !networkEndpoints().some((e) => e.networks.includes(n.id)));
      default:
        throw new UsageError(`invalid filter '${k}'`);
    }
  });
}

/**
 * What `network connect/disconnect` got: a container berth's engine knows (name, ID, prefix), or
 * else a namespace with network state only (the network layer used on its own).
 */
function resolveContainer(ref: string): { id: string; engine: boolean } {
  try {
    return { id: resolveId(ref.replace(/^\//, "")), engine: true };
  } catch (e) {
    if (!(e instanceof NoSuchContainerError)) throw e;
  }
  const eps = networkEndpoints();
  const hit = eps.find((x) => x.id === ref) ?? eps.find((x) => x.name === ref.replace(/^\//, ""));
  if (hit) return { id: hit.id, engine: false };
  const pre = eps.filter((x) => x.id.startsWith(ref));
  if (pre.length === 1) return { id: pre[0]!.id, engine: false };
  throw new Error(pre.length > 1 ? `multiple containers match ${ref}` : `No such container: ${ref}`);
}

async function create(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "driver", short: "d", kind: "string" },
    { name: "subnet", kind: "list" },
    { name: "gateway", kind: "list" },
    { name: "internal", kind: "bool" },
    { name: "label", kind: "list" },
    { name: "opt", short: "o", kind: "list" },
    { name: "attachable", kind: "bool" },
    { name: "ipv6", kind: "bool" },
  ]);
  if (p.args.length !== 1) throw new UsageError('"network create" requires exactly 1 argument.\nUsage:  berth network create [OPTIONS] NETWORK');
  if (bool(p, "ipv6")) throw new UsageError("--ipv6 is not supported");
  const subnets = list(p, "subnet");
  const gateways = list(p, "gateway");
  if (subnets.length > 1 || gateways.length > 1) throw new UsageError("only one --subnet and --gateway are supported");
  const n = await createNetwork({
    name: p.args[0]!,
    driver: str(p, "driver"),
    subnet: subnets[0],
    gateway: gateways[0],
    internal: bool(p, "internal"),
    labels: keyValues(list(p, "label"), "label"),
    options: keyValues(list(p, "opt"), "option"),
  });
  writeStdout(`${n.id}\n`);
  return 0;
}

async function ls(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "quiet", short: "q", kind: "bool" },
    { name: "no-trunc", kind: "bool" },
    { name: "filter", short: "f", kind: "list" },
    { name: "format", kind: "string" },
  ]);
  if (p.args.length) throw new UsageError('"network ls" accepts no arguments.');
  await reconcileContainerNetworks().catch(() => undefined);
  const nets = (await listNetworks()).filter((n) => matches(n, list(p, "filter")));
  const trunc = !bool(p, "no-trunc");
  const id = (n: NetworkRecord) => (trunc ? n.id.slice(0, 12) : n.id);
  if (bool(p, "quiet")) {
    writeStdout(nets.map((n) => `${id(n)}\n`).join(""));
    return 0;
  }
  const rows = nets.map((n) => ({
    ID: id(n),
    Name: n.name,
    Driver: n.driver,
    Scope: "local",
    IPv6: "false",
    Internal: String(n.internal),
    CreatedAt: n.created,
    Labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(","),
  }));
  const format = str(p, "format");
  if (format) {
    writeStdout(formatRows(format, rows, { ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE" }));
    return 0;
  }
  const table = [["NETWORK ID", "NAME", "DRIVER", "SCOPE"], ...rows.map((r) => [r.ID, r.Name, r.Driver, r.Scope])];
  writeStdout(tabulate(table) + "\n");
  return 0;
}

async function inspect(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "format", short: "f", kind: "string" },
    { name: "verbose", short: "v", kind: "bool" },
  ]);
  if (p.args.length === 0) throw new UsageError('"network inspect" requires at least 1 argument.');
  const nets = await listNetworks();
  const out: Record<string, unknown>[] = [];
  let code = 0;
  for (const ref of p.args) {
    try {
      out.push(inspectJson(findNetwork(nets, ref)));
    } catch (e) {
      writeStderr(`Error response from daemon: ${errMsg(e)}\n`);
      code = 1;
    }
  }
  const format = str(p, "format");
  if (format) writeStdout(out.map((o) => renderTemplate(format, o) + "\n").join(""));
  else writeStdout(JSON.stringify(out, null, 4) + "\n");
  return code;
}

async function rm(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ name: "force", short: "f", kind: "bool" }]);
  if (p.args.length === 0) throw new UsageError('"network rm" requires at least 1 argument.');
  await reconcileContainerNetworks().catch(() => undefined);
  let code = 0;
  for (const ref of p.args) {
    try {
      await removeNetwork(ref);
      writeStdout(`${ref}\n`);
    } catch (e) {
      if (bool(p, "force") && /not found/.test(errMsg(e))) continue;
      code = fail(e);
    }
  }
  return code;
}

async function prune(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "force", short: "f", kind: "bool" },
    { name: "filter", kind: "list" },
  ]);
  const filters = list(p, "filter");
  const preds: ((n: NetworkRecord) => boolean)[] = [];
  for (const f of filters) {
    const i = f.indexOf("=");
    const k = f.slice(0, i);
    const v = f.slice(i + 1);
    if (k === "until") {
      const t = /^\d+$/.test(v) ? Number(v) * 1000 : /^\d+[smh]$/.test(v) ? Date.now() - Number(v.slice(0, -1)) * { s: 1e3, m: 6e4, h: 3.6e6 }[v.slice(-1) as "s" | "m" | "h"] : Date.parse(v);
      preds.push((n) => Date.parse(n.created) < t);
    } else if (k === "label" || k === "label!") {
      const j = v.indexOf("=");
      const has = (n: NetworkRecord) => (j < 0 ? v in n.labels : n.labels[v.slice(0, j)] === v.slice(j + 1));
      preds.push(k === "label" ? has : (n) => !has(n));
    } else throw new UsageError(`invalid filter '${k}'`);
  }
  if (!bool(p, "force")) {
    writeStdout("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ");
    let answer = "";
    for await (const c of process.stdin) {
      answer += (c as Buffer).toString();
      if (answer.includes("\n")) break;
    }
    if (!/^y(es)?$/i.test(answer.trim())) return 0;
  }
  await reconcileContainerNetworks().catch(() => undefined);
  const removed = await pruneNetworks((n) => preds.every((f) => f(n)));
  if (removed.length) writeStdout(`Deleted Networks:\n${removed.map((n) => `${n.name}\n`).join("")}\n`);
  return 0;
}

async function connect(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { name: "ip", kind: "string" },
    { name: "alias", kind: "list" },
    { name: "ip6", kind: "string" },
    { name: "link", kind: "list" },
    { name: "driver-opt", kind: "list" },
  ]);
  if (p.args.length !== 2) throw new UsageError('"network connect" requires exactly 2 arguments.\nUsage:  berth network connect [OPTIONS] NETWORK CONTAINER');
  if (str(p, "ip6")) throw new UsageError("--ip6 is not supported");
  const a: NetworkAttachment = { network: p.args[0]! };
  const ip = str(p, "ip");
  if (ip) a.ip = parseIpFlag(ip);
  const aliases = list(p, "alias").map(parseAlias);
  if (aliases.length) a.aliases = aliases;
  try {
    const c = resolveContainer(p.args[1]!);
    if (c.engine) await connectNetwork(c.id, a);
    else await connectContainer(c.id, a);
  } catch (e) {
    return fail(e);
  }
  return 0;
}

async function disconnect(argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ name: "force", short: "f", kind: "bool" }]);
  if (p.args.length !== 2) throw new UsageError('"network disconnect" requires exactly 2 arguments.\nUsage:  berth network disconnect [OPTIONS] NETWORK CONTAINER');
  try {
    const c = resolveContainer(p.args[1]!);
    if (c.engine) await disconnectNetwork(c.id, p.args[0]!);
    else await disconnectContainer(c.id, p.args[0]!);
  } catch (e) {
    return fail(e);
  }
  return 0;
}

const subcommands: Record<string, (argv: string[]) => Promise<number>> = {
  create,
  ls,
  list: ls,
  inspect,
  rm,
  remove: rm,
  prune,
  connect,
  disconnect,
};

export default async function network(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === RESOLVER_ARG) {
    const { serveNetwork } = await import("../../network/dns/daemon.ts");
    if (!rest[0]) throw new UsageError(`network ${RESOLVER_ARG} NETWORK`);
    return serveNetwork(rest[0]);
  }
  if (!sub || sub === "--help" || sub === "-h") {
    writeStdout(USAGE);
    return sub ? 0 : 1;
  }
  const fn = subcommands[sub];
  if (!fn) {
    writeStderr(`berth: 'network ${sub}' is not a berth command.\nSee 'berth network --help'\n`);
    return 125;
  }
  try {
    return await fn(rest);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return fail(e);
  }
}
