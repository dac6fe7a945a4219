// Executing one CNI plugin per the CNI spec: parameters in CNI_* environment variables, the
// plugin's network configuration on stdin, a result (or an error object) as JSON on stdout.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Json, JsonObject } from "../store.ts";
import { trace } from "../../sys/trace.ts";

export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION";

export interface CniRuntimeArgs {
  containerId: string;
  /** netns path; "" for a DEL whose namespace is gone */
  netns: string;
  ifname: string;
}

/** A plugin failure: the CNI error code and message, and which plugin/network/container it was. */
export class CniError extends Error {
  override name = "CniError";
  constructor(
    readonly plugin: string,
    readonly command: CniCommand,
    readonly network: string,
    readonly containerId: string,
    readonly code: number,
    readonly detail: string,
  ) {
    super(`CNI ${plugin} ${command} on network "${network}" for container ${containerId.slice(0, 12)}: ${detail}${code ? ` (code ${code})` : ""}`);
  }
}

/** Directories searched for plugin binaries: $BERTH_CNI_PATH (colon-separated), then Debian's and the upstream default. */
export function cniPath(): string[] {
  const env = process.env.BERTH_CNI_PATH;
  return [...(env ? env.split(":").filter(Boolean) : []), "/usr/lib/cni", "/opt/cni/bin"];
}

const found = new Map<string, string>();

export function findPlugin(type: string): string {
  const hit = found.get(type);
  if (hit) return hit;
  if (!/^[a-zA-Z0-9_-]+$/.test(type)) throw new Error(`invalid CNI plugin type "${type}"`);
  for (const d of cniPath()) {
    const p = join(d, type);
    if (existsSync(p)) {
      found.set(type, p);
      return p;
    }
  }
  throw new Error(`CNI plugin "${type}" not found in ${cniPath().join(":")} (Debian: apt-get install containernetworking-plugins)`);
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Run `type` with `command`. `conf` is the full per-plugin config (name, cniVersion, runtimeConfig,
 * prevResult already merged in). Returns the parsed result for ADD/VERSION, undefined for DEL/CHECK.
 */
export async function execPlugin(command: CniCommand, conf: JsonObject, args: CniRuntimeArgs): Promise<JsonObject | undefined> {
  const type = String(conf.type);
  const network = String(conf.name ?? "");
  const bin = findPlugin(type);
  const cniPathEnv = cniPath().join(":");
  const env: Record<string, string> = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: args.containerId,
    CNI_NETNS: args.netns,
    CNI_IFNAME: args.ifname,
    CNI_PATH: cniPathEnv,
    // plugins run iptables/sysctl helpers from PATH
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  };
  const proc = Bun.spawn([bin], { env, stdin: Buffer.from(JSON.stringify(conf)), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  trace(`network: CNI ${type} ${command} (${args.ifname})`);
  if (code !== 0) {
    let detail = err.trim() || `exit status ${code}`;
    let ecode = 0;
    try {
      const e = JSON.parse(out) as Json;
      if (isObject(e)) {
        ecode = typeof e.code === "number" ? e.code : 0;
        detail = [e.msg, e.details].filter((x) => typeof x === "string" && x).join(": ") || detail;
      }
    } catch {
      if (out.trim()) detail = out.trim();
    }
    throw new CniError(type, command, network, args.containerId, ecode, detail);
  }
  if (command === "DEL" || command === "CHECK") return undefined;
  try {
    const r = JSON.parse(out) as Json;
    if (!isObject(r)) throw new Error("not an object");
    return r;
  } catch (e) {
    throw new CniError(type, command, network, args.containerId, 0, `unparseable result: ${(e as Error).message}: ${out.slice(0, 200)}`);
  }
}
