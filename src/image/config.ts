// berth's registry settings and credentials. berth keeps its own file, berthRoot()/config.json,
// of the same shape as ~/.docker/config.json ({"auths": {"host": {"auth": base64(user:pass)}}}),
// plus "insecure-registries" (hosts that may be reached over plain HTTP). Docker's file
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json) is read as a fallback for credentials.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { berthRoot } from "../sys/paths.ts";
import { writeFileAtomic } from "../sys/atomic.ts";

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface BerthConfig {
  auths?: Record<string, AuthEntry>;
  "insecure-registries"?: string[];
  [k: string]: unknown;
}

export interface Credentials {
  username: string;
  password: string;
}

export function configPath(): string {
  return process.env.BERTH_CONFIG ?? join(berthRoot(), "config.json");
}

function readJson(path: string): BerthConfig {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as BerthConfig;
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
}

export function readConfig(): BerthConfig {
  return readJson(configPath());
}

export function writeConfig(c: BerthConfig): void {
  writeFileAtomic(configPath(), JSON.stringify(c, null, "\t") + "\n", 0o600);
}

function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
}

/** Keys under which Docker files credentials for a registry domain. */
function authKeys(domain: string): string[] {
  if (domain === "docker.io") return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
  return [domain, `https://${domain}`, `http://${domain}`];
}

function decode(e: AuthEntry): Credentials | undefined {
  if (e.auth) {
    const s = Buffer.from(e.auth, "base64").toString("utf8");
    const i = s.indexOf(":");
    if (i > 0) return { username: s.slice(0, i), password: s.slice(i + 1) };
  }
  if (e.username && e.password) return { username: e.username, password: e.password };
  return undefined;
}

/** Stored credentials for a registry domain: berth's file first, then Docker's. */
export function credentialsFor(domain: string): Credentials | undefined {
  for (const cfg of [readConfig(), readJson(dockerConfigPath())]) {
    for (const k of authKeys(domain)) {
      const e = cfg.auths?.[k];
      if (e) {
        const c = decode(e);
        if (c) return c;
      }
    }
  }
  return undefined;
}

export function storeCredentials(domain: string, c: Credentials): void {
  const cfg = readConfig();
  cfg.auths ??= {};
  cfg.auths[authKeys(domain)[0]!] = { auth: Buffer.from(`${c.username}:${c.password}`).toString("base64") };
  writeConfig(cfg);
}

/** Returns false when nothing was stored for the domain. */
export function removeCredentials(domain: string): boolean {
  const cfg = readConfig();
  let found = false;
  for (const k of authKeys(domain)) {
    if (cfg.auths?.[k]) {
      delete cfg.auths[k];
      found = true;
    }
  }
  if (found) writeConfig(cfg);
  return found;
}

/** A registry on this machine: localhost, 127.0.0.0/8 or ::1 (with or without a port). */
export function isLoopback(domain: string): boolean {
  const host = domain.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1";
}

/** Plain HTTP (and HTTPS without a certificate check) is allowed for loopback hosts and for
 *  registries listed as insecure. */
export function isInsecure(domain: string): boolean {
  return isLoopback(domain) || (readConfig()["insecure-registries"] ?? []).includes(domain);
}
