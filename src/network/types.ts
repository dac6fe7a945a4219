// The network layer's model: what is stored about networks and about each container's endpoints.
// Docker's JSON shapes are built from these in src/cli/commands/network*.ts, not here.

/** A network berth knows. `bridge` networks are backed by a Linux bridge and CNI; `host`/`null` are Docker's pseudo networks. */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: "bridge" | "host" | "null";
  /** ISO time */
  created: string;
  /** CIDR, e.g. "172.18.0.0/16" (bridge driver only) */
  subnet?: string;
  gateway?: string;
  /** Linux bridge device name (bridge driver only) */
  bridge?: string;
  internal: boolean;
  labels: Record<string, string>;
  /** `network create -o key=value` options, kept as given */
  options: Record<string, string>;
  /** the default `bridge` network: no DNS names, no aliases, no --ip */
  isDefault: boolean;
  mtu?: number;
}

/** One `-p` mapping. hostIP "" = all addresses; hostPort 0 = choose a free one at set-up. */
export interface PortMapping {
  hostIP: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

/** A request to attach a container to one network. */
export interface NetworkAttachment {
  /** network name or ID (or unique ID prefix) */
  network: string;
  /** static IPv4 address in the network's subnet (user-defined networks only) */
  ip?: string;
  /** extra DNS names on this network (user-defined networks only) */
  aliases?: string[];
  /** MAC address for the container's interface, "02:42:ac:11:00:02" form */
  mac?: string;
}

/** What a container got on one network. */
export interface EndpointInfo {
  networkId: string;
  /** interface name inside the container (eth0, eth1, ...) */
  ifname: string;
  /** host-side veth name */
  hostVeth: string;
  ipAddress: string;
  prefixLen: number;
  /** "" on --internal networks' containers still names the bridge address, which serves DNS */
  gateway: string;
  macAddress: string;
  /** names this endpoint answers to in the network's DNS (container name, aliases, short ID) */
  dnsNames: string[];
  aliases: string[];
}

export interface AttachResult {
  /** by network name */
  networks: Record<string, EndpointInfo>;
  /** published ports with the host ports actually chosen */
  ports: PortMapping[];
  /** lines for the container's /etc/hosts, in order */
  hostsEntries: string[];
  /** the container's /etc/resolv.conf text */
  resolvConf: string;
}
