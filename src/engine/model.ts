// The engine's container model: what berth stores about a container. Docker's JSON shapes are
// built from it in the CLI (inspect, ps); nothing here is shaped for the API.

export type RestartPolicyName = "no" | "on-failure" | "always" | "unless-stopped";

export interface RestartPolicy {
  name: RestartPolicyName;
  /** on-failure:N; 0 = unlimited */
  maximumRetryCount: number;
}

export interface MountOption {
  type: "bind" | "volume" | "tmpfs";
  /** host path (bind), volume name ("" = anonymous), "" (tmpfs) */
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs: size in bytes and mode */
  tmpfsSize?: number;
  tmpfsMode?: number;
  /** bind: propagation / selinux options passed through */
  propagation?: string;
  /** -v: a missing host path is created (--mount type=bind refuses it) */
  createHostPath?: boolean;
}

export interface HealthOptions {
  /** ["CMD", ...], ["CMD-SHELL", "cmd"] or ["NONE"]; undefined = the image's */
  test?: string[];
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  retries?: number;
}

/** One network a container joins (`--network`, `network connect`). */
export interface NetworkEndpointOption {
  network: string;
  ip?: string;
  aliases?: string[];
  mac?: string;
}

/** The user-facing options of `berth create/run`, as parsed from the flags. */
export interface ContainerOptions {
  image: string;
  name?: string;
  /** argv after the image; [] = the image's Cmd */
  cmd: string[];
  /** --entrypoint: undefined = the image's; "" = none */
  entrypoint?: string;
  env: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  tty: boolean;
  /** -t from a terminal: its size, so the container's pty starts with it (not 0x0) */
  consoleSize?: { rows: number; cols: number };
  interactive: boolean;
  autoRemove: boolean;
  readOnly: boolean;
  memory?: number;
  memorySwap?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  securityOpt: string[];
  init: boolean;
  restart: RestartPolicy;
  /** "none" | "host" | "bridge" | "container:NAME|ID" | a network name (the first --network) */
  network: string;
  /** bridge-type networks to attach, in order (the first gets --ip, --network-alias, --mac-address);
   *  undefined = [{ network }] (records written before these flags existed) */
  networks?: NetworkEndpointOption[];
  /** --dns, --dns-search, --dns-option, --add-host */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  extraHosts?: string[];
  /** -P: publish the image's EXPOSEd ports on free host ports */
  publishAll?: boolean;
  publish: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  /** seconds */
  stopTimeout?: number;
  health?: HealthOptions;
  noHealthcheck: boolean;
  mounts: MountOption[];
  logMaxSize: number;
  logMaxFiles: number;
}

/** Image config merged with the options: what the container actually runs. */
export interface ResolvedConfig {
  path: string;
  args: string[];
  entrypoint: string[] | null;
  cmd: string[] | null;
  env: string[];
  workingDir: string;
  user: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  hostname: string;
  exposedPorts: string[];
  volumes: string[];
  stopSignal: string;
  stopTimeout: number;
  labels: Record<string, string>;
  healthcheck?: Required<HealthOptions> & { test: string[] };
}

export type Status = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface HealthState {
  status: "starting" | "healthy" | "unhealthy" | "none";
  failingStreak: number;
  log: { start: string; end: string; exitCode: number; output: string }[];
}

export interface ContainerStateRecord {
  status: Status;
  pid: number;
  /** the monitor (and, after the container exits, the exit command: same process) */
  monitorPid: number;
  monitorStart: number;
  exitCode: number;
  error: string;
  startedAt: string;
  finishedAt: string;
  oomKilled: boolean;
  restartCount: number;
  /** stop/kill by the user: no restart for always/unless-stopped */
  manuallyStopped: boolean;
  /** the last restart delay (Docker's back-off) */
  backoffMs?: number;
  health?: HealthState;
}

export interface ContainerRecord {
  id: string;
  name: string;
  /** the image ID (sha256:...): the image layer's rmi reads this field */
  image: string;
  /** the reference the container was created from */
  imageName: string;
  created: string;
  options: ContainerOptions;
  config: ResolvedConfig;
  specPath: string;
  logPath: string;
  mounts: MountOption[];
  labels: Record<string, string>;
  state: ContainerStateRecord;
  /** bridge networking: what the network layer gave us (addresses, ports) */
  /** mirrors for readers outside the engine (volumes, system df): the command line, volume
   *  names, the last recorded status and pid */
  command?: string;
  volumes?: string[];
  status?: string;
  pid?: number;
  network?: { mode: string; ipAddress?: string; ports?: { hostIP: string; hostPort: number; containerPort: number; protocol: string }[] };
}

export class NoSuchContainerError extends Error {
  override name = "NoSuchContainerError";
  constructor(readonly ref: string) {
    super(`No such container: ${ref}`);
  }
}

export class ConflictError extends Error {
  override name = "ConflictError";
}

/** An error that maps to an exit status (126 cannot execute, 127 not found). */
export class ExecError extends Error {
  override name = "ExecError";
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}
