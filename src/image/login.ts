// berth login / logout: verify credentials against the registry, then store them.
import { removeCredentials, storeCredentials } from "./config.ts";
import { RegistryClient } from "./registry/client.ts";

/** Normalise what users type after `login`: "https://host/", "host", nothing (Docker Hub). */
export function serverDomain(server?: string): string {
  if (!server) return "docker.io";
  const s = server.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (s === "index.docker.io" || s === "registry-1.docker.io") return "docker.io";
  return s;
}

export async function login(server: string | undefined, username: string, password: string): Promise<string> {
  const domain = serverDomain(server);
  const client = new RegistryClient(domain, { credentials: { username, password }, retries: 1 });
  // a repository-less challenge is enough for basic auth; token registries want a scope
  await client.ping();
  storeCredentials(domain, { username, password });
  return domain;
}

export function logout(server?: string): { domain: string; removed: boolean } {
  const domain = serverDomain(server);
  return { domain, removed: removeCredentials(domain) };
}
