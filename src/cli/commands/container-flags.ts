// The flags of `berth run` and `berth create` (Docker's), turned into ContainerOptions.
// Flags only: every decision about what they mean for the container is in src/engine.
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { bool, int, list, str, UsageError, type FlagDef, type Parsed } from "../flags.ts";
import type { ContainerOptions, HealthOptions, MountOption, NetworkEndpointOption, RestartPolicy } from "../../engine/model.ts";
import { networkModeFromFlags, NetworkSpecError, parseAddHost, parseDnsServers, parsePortSpec } from "../../network/specs.ts";

/** --network (repeatable), --ip, --network-alias, --mac-address: the mode name and the networks to join. */
function networkFlags(p: Parsed): { network: string; networks?: NetworkEndpointOption[] } {
  const values = list(p, "network").map((v) => (v === "default" ? "bridge" : v));
  try {
    const mode = networkModeFromFlags({ network: values, ip: str(p, "ip"), aliases: list(p, "network-alias"), mac: str(p, "mac-address") });
    if (mode.kind === "none" || mode.kind === "host") return { network: mode.kind };
    if (mode.kind === "container") return { network: `container:${mode.container}` };
    return { network: mode.attachments[0]!.network, networks: mode.attachments };
  } catch (e) {
    if (e instanceof NetworkSpecError) throw new UsageError(e.message);
    throw e;
  }
}

function validated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NetworkSpecError) throw new UsageError(e.message);
    throw e;
  }
}

export const CONTAINER_FLAGS: FlagDef[] = [
  { name: "detach", short: "d", kind: "bool" },
  { name: "interactive", short: "i", kind: "bool" },
  { name: "tty", short: "t", kind: "bool" },
  { name: "rm", kind: "bool" },
  { name: "name", kind: "string" },
  { name: "env", short: "e", kind: "list" },
  { name: "env-file", kind: "list" },
  { name: "workdir", short: "w", kind: "string" },
  { name: "user", short: "u", kind: "string" },
  { name: "hostname", short: "h", kind: "string" },
  { name: "entrypoint", kind: "string" },
  { name: "volume", short: "v", kind: "list" },
  { name: "mount", kind: "list" },
  { name: "tmpfs", kind: "list" },
  { name: "read-only", kind: "bool" },
  { name: "memory", short: "m", kind: "string" },
  { name: "memory-swap", kind: "string" },
  { name: "cpus", kind: "string" },
  { name: "cpu-shares", short: "c", kind: "int" },
  { name: "cpuset-cpus", kind: "string" },
  { name: "pids-limit", kind: "int" },
  { name: "cap-add", kind: "list" },
  { name: "cap-drop", kind: "list" },
  { name: "privileged", kind: "bool" },
  { name: "security-opt", kind: "list" },
  { name: "init", kind: "bool" },
  { name: "restart", kind: "string" },
  { name: "network", aliases: ["net"], kind: "list" },
  { name: "ip", kind: "string" },
  { name: "network-alias", aliases: ["net-alias"], kind: "list" },
  { name: "mac-address", kind: "string" },
  { name: "dns", kind: "list" },
  { name: "dns-search", kind: "list" },
  { name: "dns-option", aliases: ["dns-opt"], kind: "list" },
  { name: "add-host", kind: "list" },
  { name: "publish", short: "p", kind: "list" },
  { name: "publish-all", short: "P", kind: "bool" },
  { name: "label", short: "l", kind: "list" },
  { name: "stop-signal", kind: "string" },
  { name: "stop-timeout", kind: "int" },
  { name: "health-cmd", kind: "string" },
  { name: "health-interval", kind: "string" },
  { name: "health-timeout", kind: "string" },
  { name: "health-start-period", kind: "string" },
  { name: "health-retries", kind: "int" },
  { name: "no-healthcheck", kind: "bool" },
  { name: "log-opt", kind: "list" },
  { name: "sig-proxy", kind: "bool" },
  { name: "attach", short: "a", kind: "list" },
  { name: "dry-run", kind: "bool" },
  { name: "quiet", short: "q", kind: "bool" },
  { name: "pull", kind: "string" },
];

/** docker's units.RAMInBytes: 512, 64k, 256m, 1g (binary units) */
export function parseBytes(v: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v.trim());
  if (!m) throw new UsageError(`invalid argument "${v}" for "--${flag}" flag: invalid size: '${v}'`);
  const mult: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/** Go durations: 1h2m3s, 500ms, 1.5s */
export function parseDuration(v: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let total = 0;
  let seen = "";
  for (const m of v.matchAll(re)) {
    seen += m[0];
    const n = Number(m[1]);
    total += m[2] === "h" ? n * 3.6e6 : m[2] === "m" ? n * 6e4 : m[2] === "s" ? n * 1e3 : m[2] === "ms" ? n : m[2] === "ns" ? n / 1e6 : n / 1e3;
  }
  if (!v || seen !== v) throw new UsageError(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
  return total;
}

export function parseRestart(v: string | undefined): RestartPolicy {
  if (!v || v === "no") return { name: "no", maximumRetryCount: 0 };
  const [name, n] = v.split(":");
  if (name === "always" || name === "unless-stopped") {
    if (n !== undefined) throw new UsageError(`invalid restart policy '${v}': maximum retry count cannot be used with restart policy '${name}'`);
    return { name, maximumRetryCount: 0 };
  }
  if (name === "on-failure") {
    if (n !== undefined && !/^\d+$/.test(n)) throw new UsageError(`invalid restart policy format: maximum retry count must be an integer`);
    return { name, maximumRetryCount: n ? Number(n) : 0 };
  }
  throw new UsageError(`invalid restart policy '${v}'`);
}

function parseVolume(v: string): MountOption {
  const parts = v.split(":");
  if (parts.length === 1) {
    if (!isAbsolute(parts[0]!)) throw new UsageError(`invalid volume specification: '${v}': the container path must be absolute`);
    return { type: "volume", source: "", target: parts[0]!, readOnly: false };
  }
  const [src, dst, opts = ""] = parts as [string, string, string?];
  if (!dst || !isAbsolute(dst)) throw new UsageError(`invalid volume specification: '${v}'`);
  const o = opts.split(",").filter(Boolean);
  for (const x of o) if (!["ro", "rw", "z", "Z", "shared", "rshared", "slave", "rslave", "private", "rprivate", "nocopy"].includes(x)) throw new UsageError(`invalid mode: ${x}`);
  const readOnly = o.includes("ro");
  const propagation = o.find((x) => /^r?(shared|slave|private)$/.test(x));
  if (src.startsWith("/") || src.startsWith(".")) return { type: "bind", source: resolve(src), target: dst, readOnly, createHostPath: true, ...(propagation ? { propagation } : {}) };
  return { type: "volume", source: src, target: dst, readOnly };
}

function parseMount(v: string): MountOption {
  const kv = new Map<string, string>();
  for (const f of v.split(",")) {
    const i = f.indexOf("=");
    kv.set(i < 0 ? f : f.slice(0, i), i < 0 ? "true" : f.slice(i + 1));
  }
  const type = kv.get("type") ?? "volume";
  const target = kv.get("target") ?? kv.get("destination") ?? kv.get("dst");
  if (!target) throw new UsageError(`invalid argument "${v}" for "--mount" flag: target is required`);
  const ro = kv.get("readonly") ?? kv.get("ro");
  const readOnly = ro !== undefined && ro !== "false" && ro !== "0";
  const source = kv.get("source") ?? kv.get("src") ?? "";
  if (type === "bind") {
    if (!source) throw new UsageError(`invalid argument "${v}" for "--mount" flag: source is required when type is bind`);
    const prop = kv.get("bind-propagation");
    return { type, source: resolve(source), target, readOnly, ...(prop ? { propagation: prop } : {}) };
  }
  if (type === "tmpfs") {
    const size = kv.get("tmpfs-size");
    const mode = kv.get("tmpfs-mode");
    return { type, source: "", target, readOnly, ...(size ? { tmpfsSize: parseBytes(size, "mount") } : {}), ...(mode ? { tmpfsMode: parseInt(mode, 8) } : {}) };
  }
  if (type === "volume") return { type, source, target, readOnly };
  throw new UsageError(`invalid argument "${v}" for "--mount" flag: unsupported mount type "${type}"`);
}

function parseTmpfs(v: string): MountOption {
  const [target, opts = ""] = v.split(/:(.*)/s) as [string, string?];
  const m: MountOption = { type: "tmpfs", source: "", target, readOnly: false };
  for (const o of opts.split(",").filter(Boolean)) {
    if (o.startsWith("size=")) m.tmpfsSize = parseBytes(o.slice(5), "tmpfs");
    else if (o.startsWith("mode=")) m.tmpfsMode = parseInt(o.slice(5), 8);
    else if (o === "ro") m.readOnly = true;
  }
  return m;
}

function envFromFiles(files: string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch (e) {
      throw new UsageError(`open ${f}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`);
    }
    for (const raw of text.split("\n")) {
      const l = raw.replace(/^\s+/, "");
      if (!l || l.startsWith("#")) continue;
      out.push(l);
    }
  }
  return out;
}

/** -e NAME (no value) takes the value from berth's own environment, or is dropped. */
function expandEnv(e: string[]): string[] {
  return e.flatMap((x) => (x.includes("=") ? [x] : process.env[x] !== undefined ? [`${x}=${process.env[x]}`] : []));
}

export function containerOptions(p: Parsed, image: string, cmd: string[]): ContainerOptions {
  const labels: Record<string, string> = {};
  for (const l of list(p, "label")) {
    const i = l.indexOf("=");
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? "" : l.slice(i + 1);
  }
  let logMaxSize = 10 * 1024 * 1024;
  let logMaxFiles = 3;
  for (const lo of list(p, "log-opt").flatMap((x) => x.split(","))) {
    const [k, v = ""] = lo.split(/=(.*)/s);
    if (k === "max-size") logMaxSize = v === "-1" ? 0 : parseBytes(v, "log-opt");
    else if (k === "max-file") {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`invalid value for max-file: ${v}`);
      logMaxFiles = Number(v);
    } else throw new UsageError(`unknown log opt '${k}' for json-file log driver`);
  }
  const health: HealthOptions = {};
  const hcmd = str(p, "health-cmd");
  if (hcmd !== undefined) health.test = ["CMD-SHELL", hcmd];
  if (str(p, "health-interval")) health.intervalMs = parseDuration(str(p, "health-interval")!, "health-interval");
  if (str(p, "health-timeout")) health.timeoutMs = parseDuration(str(p, "health-timeout")!, "health-timeout");
  if (str(p, "health-start-period")) health.startPeriodMs = parseDuration(str(p, "health-start-period")!, "health-start-period");
  if (int(p, "health-retries") !== undefined) health.retries = int(p, "health-retries");
  const mem = str(p, "memory");
  const swap = str(p, "memory-swap");
  const cpus = str(p, "cpus");
  if (cpus !== undefined && !(Number(cpus) > 0)) throw new UsageError(`invalid argument "${cpus}" for "--cpus" flag: failed to parse ${cpus} as a rational number`);
  const net = networkFlags(p);
  const publish = list(p, "publish");
  validated(() => publish.forEach(parsePortSpec));
  const dns = list(p, "dns");
  validated(() => parseDnsServers(dns));
  const extraHosts = list(p, "add-host");
  validated(() => extraHosts.forEach(parseAddHost));
  const restart = parseRestart(str(p, "restart"));
  const autoRemove = bool(p, "rm");
  if (autoRemove && restart.name !== "no") throw new UsageError("conflicting options: cannot specify both --restart and --rm");
  const memory = mem !== undefined ? parseBytes(mem, "memory") : undefined;
  if (memory !== undefined && memory < 6 * 1024 * 1024) throw new UsageError("Minimum memory limit allowed is 6MB");
  const o: ContainerOptions = {
    image,
    cmd,
    env: expandEnv([...envFromFiles(list(p, "env-file")), ...list(p, "env")]),
    tty: bool(p, "tty"),
    ...(bool(p, "tty") && process.stdout.isTTY ? { consoleSize: { rows: process.stdout.rows, cols: process.stdout.columns } } : {}),
    interactive: bool(p, "interactive"),
    autoRemove,
    readOnly: bool(p, "read-only"),
    capAdd: list(p, "cap-add"),
    capDrop: list(p, "cap-drop"),
    privileged: bool(p, "privileged"),
    securityOpt: list(p, "security-opt"),
    init: bool(p, "init"),
    restart,
    network: net.network,
    publish,
    labels,
    noHealthcheck: bool(p, "no-healthcheck"),
    mounts: [...list(p, "volume").map(parseVolume), ...list(p, "mount").map(parseMount), ...list(p, "tmpfs").map(parseTmpfs)],
    logMaxSize,
    logMaxFiles,
  };
  const set = <K extends keyof ContainerOptions>(k: K, v: ContainerOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set("name", str(p, "name"));
  set("entrypoint", str(p, "entrypoint"));
  set("workdir", str(p, "workdir"));
  set("user", str(p, "user"));
  set("hostname", str(p, "hostname"));
  set("memory", memory);
  set("memorySwap", swap === undefined ? undefined : swap === "-1" ? -1 : parseBytes(swap, "memory-swap"));
  set("nanoCpus", cpus === undefined ? undefined : Math.round(Number(cpus) * 1e9));
  set("cpuShares", int(p, "cpu-shares"));
  set("cpusetCpus", str(p, "cpuset-cpus"));
  set("pidsLimit", int(p, "pids-limit"));
  set("stopSignal", str(p, "stop-signal"));
  set("stopTimeout", int(p, "stop-timeout"));
  if (Object.keys(health).length) o.health = health;
  if (net.networks) o.networks = net.networks;
  if (dns.length) o.dns = dns;
  if (list(p, "dns-search").length) o.dnsSearch = list(p, "dns-search");
  if (list(p, "dns-option").length) o.dnsOptions = list(p, "dns-option");
  if (extraHosts.length) o.extraHosts = extraHosts;
  if (bool(p, "publish-all")) o.publishAll = true;
  if (o.workdir !== undefined && !isAbsolute(o.workdir)) throw new UsageError(`the working directory '${o.workdir}' is invalid, it needs to be an absolute path`);
  if (o.publish.length && (o.network === "none" || o.network.startsWith("container:"))) {
    throw new UsageError("conflicting options: port publishing and the container type network mode");
  }
  if (o.network.startsWith("container:") && (o.hostname !== undefined || o.dns || o.extraHosts)) {
    throw new UsageError("conflicting options: hostname, dns and add-host cannot be used with --network container:");
  }
  return o;
}
