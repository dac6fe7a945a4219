// The container's /etc/hosts lines and /etc/resolv.conf text.
import { readFileSync } from "node:fs";

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const r: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const [k, ...v] = line.split(/\s+/);
    if (k === "nameserver" && v[0]) r.nameservers.push(v[0]);
    else if (k === "search" || k === "domain") r.search = v;
    else if (k === "options") r.options.push(...v);
  }
  return r;
}

export function hostResolvConf(path = "/etc/resolv.conf"): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, "utf8"));
  } catch {
    return { nameservers: [], search: [], options: [] };
  }
}

/** Host nameservers a container can reach itself (loopback ones are the host's own). */
export function reachableNameservers(r: ResolvConf): string[] {
  return r.nameservers.filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n) && !n.startsWith("127."));
}

export function renderResolvConf(r: ResolvConf): string {
  const lines: string[] = [];
  if (r.search.length) lines.push(`search ${r.search.join(" ")}`);
  for (const n of r.nameservers) lines.push(`nameserver ${n}`);
  if (r.options.length) lines.push(`options ${[...new Set(r.options)].join(" ")}`);
  return lines.join("\n") + "\n";
}

export function hostsLines(o: { ip?: string; hostname: string; extra: { host: string; ip: string }[] }): string[] {
  const lines = [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "ff00::0\tip6-mcastprefix",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
  ];
  for (const e of o.extra) lines.push(`${e.ip}\t${e.host}`);
  if (o.ip) lines.push(`${o.ip}\t${o.hostname}`);
  return lines;
}
