// Docker's container NetworkSettings and HostConfig.PortBindings (for `inspect`), built from the
// container record and, while it runs, the network layer's live state (addresses, chosen ports).
import type { ContainerRecord } from "../../engine/model.ts";
import type { Observed } from "../../engine/runtime.ts";
import { endpointOptions, netMode } from "../../engine/network.ts";
import { containerNetwork, parsePortSpec, type AttachResult } from "../../network/index.ts";

type Binding = { HostIp: string; HostPort: string };

/** HostConfig.PortBindings: the -p values as given (HostPort "" = any). */
export function portBindings(rec: ContainerRecord): Record<string, Binding[]> {
  const out: Record<string, Binding[]> = {};
  for (const spec of rec.options.publish) {
    let maps;
    try {
      maps = parsePortSpec(spec);
    } catch {
      continue;
    }
    for (const m of maps) (out[`${m.containerPort}/${m.protocol}`] ??= []).push({ HostIp: m.hostIP, HostPort: m.hostPort ? String(m.hostPort) : "" });
  }
  return out;
}

function live(rec: ContainerRecord, obs: Observed): AttachResult | undefined {
  if (obs.status !== "running" && obs.status !== "paused") return undefined;
  if (netMode(rec.options) !== "bridge") return undefined;
  return containerNetwork(rec.id);
}

export function networkSettings(rec: ContainerRecord, obs: Observed): Record<string, unknown> {
  const mode = netMode(rec.options);
  const state = live(rec, obs);
  const ports: Record<string, Binding[] | null> = {};
  if (mode === "bridge") {
    for (const e of rec.config.exposedPorts) ports[e.includes("/") ? e : `${e}/tcp`] = null;
    for (const k of Object.keys(portBindings(rec))) ports[k] = null;
    for (const p of state?.ports ?? []) {
      const k = `${p.containerPort}/${p.protocol}`;
      ports[k] = [...(ports[k] ?? []), { HostIp: p.hostIP || "0.0.0.0", HostPort: String(p.hostPort) }];
    }
  }
  const networks: Record<string, unknown> = {};
  const endpoint = (name: string) => {
    const ep = state?.networks[name];
    const opt = endpointOptions(rec.options).find((x) => x.network === name);
    return {
      IPAMConfig: opt?.ip ? { IPv4Address: opt.ip } : null,
      Links: null,
      Aliases: ep?.aliases.length ? ep.aliases : (opt?.aliases ?? null),
      MacAddress: ep?.macAddress ?? "",
      DriverOpts: null,
      NetworkID: ep?.networkId ?? "",
      EndpointID: ep?.hostVeth ?? "",
      Gateway: ep?.gateway ?? "",
      IPAddress: ep?.ipAddress ?? "",
      IPPrefixLen: ep?.prefixLen ?? 0,
      IPv6Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      DNSNames: ep?.dnsNames.length ? ep.dnsNames : null,
    };
  };
  if (mode === "bridge") {
    const names = new Set([...endpointOptions(rec.options).map((e) => e.network), ...Object.keys(state?.networks ?? {})]);
    for (const n of names) networks[n] = endpoint(n);
  } else if (mode === "none" || mode === "host") {
    networks[mode] = endpoint(mode);
  }
  // Docker fills the top-level fields from the default bridge network only
  const def = state?.networks.bridge;
  return {
    Bridge: "",
    SandboxID: state ? rec.id : "",
    SandboxKey: obs.pid && mode !== "host" ? `/proc/${obs.pid}/ns/net` : "",
    Ports: ports,
    HairpinMode: false,
    LinkLocalIPv6Address: "",
    LinkLocalIPv6PrefixLen: 0,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: def?.hostVeth ?? "",
    Gateway: def?.gateway ?? "",
    GlobalIPv6Address: "",
    GlobalIPv6PrefixLen: 0,
    IPAddress: def?.ipAddress ?? "",
    IPPrefixLen: def?.prefixLen ?? 0,
    IPv6Gateway: "",
    MacAddress: def?.macAddress ?? "",
    Networks: networks,
  };
}
