// Image config + options -> the OCI spec, with Docker's defaults (its 14 capabilities, masked
// and read-only paths, the default seccomp profile, /etc/hostname|hosts|resolv.conf from files
// in the container's directory, /dev/shm, resource limits). Merging follows Docker: an
// --entrypoint drops the image's Cmd; -e overrides the image's Env by key.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { hostName } from "../sys/host.ts";
import { join } from "node:path";
import type { ContainerConfig } from "../image/index.ts";
import { CAPABILITIES } from "../runtime/linux.ts";
import { dockerDefaultProfile } from "../runtime/seccomp/default-profile.ts";
import type { Device, DeviceCgroup, Mount, Seccomp, Spec } from "../runtime/spec.ts";
import type { ContainerOptions, ContainerRecord, ResolvedConfig } from "./model.ts";
import { resolveUser } from "./user.ts";
import { helperPath } from "../sys/paths.ts";

export const DEFAULT_CAPS = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
];

export const DOCKER_MASKED_PATHS = [
  "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
];
export const DOCKER_READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** where --init puts the reaper (Docker's path) */
export const INIT_PATH = "/sbin/docker-init";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Docker's default device cgroup rules (oci.DefaultLinuxSpec + the default allowed devices)
const DEVICE_RULES: DeviceCgroup[] = [
  { allow: false, access: "rwm" },
  { allow: true, type: "c", major: null, minor: null, access: "m" },
  { allow: true, type: "b", major: null, minor: null, access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" },
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 1, access: "rwm" },
  { allow: true, type: "c", major: 136, minor: null, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" },
  { allow: true, type: "c", major: 10, minor: 200, access: "rwm" },
];

function normCap(c: string): string {
  const u = c.toUpperCase();
  return u.startsWith("CAP_") ? u : `CAP_${u}`;
}

/** --cap-add / --cap-drop on Docker's defaults ("ALL" allowed on either side). */
export function capabilities(o: Pick<ContainerOptions, "capAdd" | "capDrop" | "privileged">): string[] {
  if (o.privileged) return [...CAPABILITIES];
  const add = o.capAdd.map(normCap);
  const drop = o.capDrop.map(normCap);
  for (const c of [...add, ...drop]) if (c !== "CAP_ALL" && !(CAPABILITIES as readonly string[]).includes(c)) throw new Error(`invalid capability: ${c.replace(/^CAP_/, "")}`);
  let caps = add.includes("CAP_ALL") ? [...CAPABILITIES] as string[] : [...DEFAULT_CAPS];
  if (drop.includes("CAP_ALL")) caps = [];
  caps = caps.filter((c) => !drop.includes(c));
  for (const c of add) if (c !== "CAP_ALL" && !caps.includes(c)) caps.push(c);
  return caps;
}

function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...over]) {
    const i = e.indexOf("=");
    out.set(i < 0 ? e : e.slice(0, i), e);
  }
  return [...out.values()];
}

const ms = (ns: number | undefined): number | undefined => (ns ? Math.round(ns / 1e6) : undefined);

/** What the container runs: the image's config merged with the options. */
export function resolveConfig(o: ContainerOptions, img: ContainerConfig, layersTopFirst: string[], id: string): ResolvedConfig {
  let entrypoint: string[] | null = img.Entrypoint ?? null;
  let cmd: string[] | null = img.Cmd ?? null;
  if (o.entrypoint !== undefined) {
    entrypoint = o.entrypoint === "" ? null : [o.entrypoint];
    cmd = null; // Docker: a new entrypoint resets the image's Cmd
  }
  if (o.cmd.length) cmd = [...o.cmd];
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (!argv.length) throw new Error("no command specified");
  const hostname = o.hostname ?? (o.network === "host" ? hostName() : id.slice(0, 12));
  const userSpec = o.user ?? img.User ?? "";
  const u = resolveUser(userSpec, layersTopFirst);
  let env = mergeEnv([`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, ...(o.tty ? ["TERM=xterm"] : [])], img.Env ?? []);
  env = mergeEnv(env, o.env);
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${u.home}`);
  const ih = img.Healthcheck;
  const test = o.noHealthcheck ? undefined : (o.health?.test ?? ih?.Test);
  const healthcheck =
    test && test.length && test[0] !== "NONE"
      ? {
          test,
          intervalMs: o.health?.intervalMs ?? ms(ih?.Interval) ?? 30_000,
          timeoutMs: o.health?.timeoutMs ?? ms(ih?.Timeout) ?? 30_000,
          startPeriodMs: o.health?.startPeriodMs ?? ms(ih?.StartPeriod) ?? 0,
          retries: o.health?.retries ?? ih?.Retries ?? 3,
        }
      : undefined;
  return {
    path: argv[0]!,
    args: argv.slice(1),
    entrypoint,
    cmd,
    env,
    workingDir: o.workdir ?? (img.WorkingDir || "/"),
    user: userSpec,
    uid: u.uid,
    gid: u.gid,
    additionalGids: u.additionalGids,
    hostname,
    exposedPorts: Object.keys(img.ExposedPorts ?? {}),
    volumes: Object.keys(img.Volumes ?? {}),
    stopSignal: o.stopSignal ?? img.StopSignal ?? "SIGTERM",
    stopTimeout: o.stopTimeout ?? 10,
    labels: { ...(img.Labels ?? {}), ...o.labels },
    ...(healthcheck ? { healthcheck } : {}),
  };
}

/** Every char/block device of the host (for --privileged), as Docker's GetHostDevices. */
function hostDevices(): Device[] {
  const out: Device[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/console", "/dev/ptmx"].includes(p)) continue;
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory() && depth < 2) walk(p, depth + 1);
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const rdev = st.rdev;
        out.push({ path: p, type: st.isCharacterDevice() ? "c" : "b", major: (rdev >> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
      }
    }
  };
  walk("/dev", 0);
  return out;
}

export interface SpecContext {
  rootfs: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  /** host paths of named volumes, by target */
  volumePaths: Map<string, string>;
}

/** The seccomp profile the container gets, or undefined (unconfined / privileged). */
export function seccompProfile(o: ContainerOptions, caps: string[], readFile: (p: string) => string): Seccomp | undefined {
  if (o.privileged) return undefined;
  for (const s of o.securityOpt) {
    const [k, v = ""] = s.split(/[=:](.*)/s);
    if (k === "seccomp") {
      if (v === "unconfined") return undefined;
      try {
        return JSON.parse(readFile(v)) as Seccomp;
      } catch (e) {
        throw new Error(`opening seccomp profile (${v}) failed: ${(e as Error).message}`);
      }
    }
  }
  return dockerDefaultProfile(caps);
}

export function noNewPrivileges(o: ContainerOptions): boolean {
  return o.securityOpt.some((s) => /^no-new-privileges(?:[:=]true)?$/.test(s));
}

export function validateSecurityOpts(o: ContainerOptions): void {
  for (const s of o.securityOpt) {
    const k = s.split(/[=:]/)[0]!;
    if (!["seccomp", "no-new-privileges", "apparmor", "label"].includes(k)) throw new Error(`invalid --security-opt: "${s}"`);
  }
}

/** Containers get berth's own hard RLIMIT_NOFILE (as Docker's inherit dockerd's). */
function nofile(): number {
  try {
    const m = /^Max open files\s+\S+\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    if (m) return Math.min(Number(m[1]), 1048576);
  } catch {
    /* no /proc */
  }
  return 1048576;
}

export function buildSpec(rec: ContainerRecord, ctx: SpecContext, seccomp: Seccomp | undefined): Spec {
  const o = rec.options;
  const c = rec.config;
  const caps = capabilities(o);
  const priv = o.privileged;
  const mounts: Mount[] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", priv ? "rw" : "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", priv ? "rw" : "ro"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"] },
  ];
  const userTargets = new Set(rec.mounts.map((m) => m.target));
  const etc: [string, string][] = [
    ["/etc/resolv.conf", ctx.resolvConfPath],
    ["/etc/hostname", ctx.hostnamePath],
    ["/etc/hosts", ctx.hostsPath],
  ];
  for (const [dest, src] of etc) if (!userTargets.has(dest)) mounts.push({ destination: dest, type: "bind", source: src, options: ["rbind", "rprivate"] });
  for (const m of rec.mounts) {
    if (m.type === "tmpfs") {
      const opts = ["nosuid", "nodev", "noexec"];
      if (m.tmpfsSize) opts.push(`size=${m.tmpfsSize}`);
      if (m.tmpfsMode !== undefined) opts.push(`mode=${m.tmpfsMode.toString(8)}`);
      if (m.readOnly) opts.push("ro");
      mounts.push({ destination: m.target, type: "tmpfs", source: "tmpfs", options: opts });
      continue;
    }
    const source = m.type === "volume" ? ctx.volumePaths.get(m.target) ?? m.source : m.source;
    mounts.push({ destination: m.target, type: "bind", source, options: ["rbind", m.propagation ?? "rprivate", ...(m.readOnly ? ["ro"] : [])] });
  }
  // --init: the host's helper, in its reaper mode, as the container's pid 1 (Docker's docker-init)
  if (o.init) mounts.push({ destination: INIT_PATH, type: "bind", source: helperPath(), options: ["rbind", "ro", "rprivate"] });
  const resources: NonNullable<NonNullable<Spec["linux"]>["resources"]> = {
    devices: priv ? [{ allow: true, access: "rwm" }] : DEVICE_RULES.map((r) => ({ ...r })),
  };
  if (o.memory || o.memorySwap) {
    resources.memory = {};
    if (o.memory) resources.memory.limit = o.memory;
    // Docker: without --memory-swap, swap is as much as the memory again (total = 2 × memory)
    if (o.memorySwap !== undefined) resources.memory.swap = o.memorySwap;
    else if (o.memory) resources.memory.swap = o.memory * 2;
  }
  if (o.nanoCpus || o.cpuShares || o.cpusetCpus) {
    resources.cpu = {};
    if (o.nanoCpus) {
      resources.cpu.period = 100_000;
      resources.cpu.quota = Math.round((o.nanoCpus / 1e9) * 100_000);
    }
    if (o.cpuShares) resources.cpu.shares = o.cpuShares;
    if (o.cpusetCpus) resources.cpu.cpus = o.cpusetCpus;
  }
  if (o.pidsLimit !== undefined && o.pidsLimit > 0) resources.pids = { limit: o.pidsLimit };
  const namespaces: NonNullable<Spec["linux"]>["namespaces"] = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "cgroup" }];
  if (o.network !== "host") namespaces.push({ type: "network" });
  return {
    ociVersion: "1.2.0",
    process: {
      terminal: o.tty,
      ...(o.tty && o.consoleSize ? { consoleSize: { height: o.consoleSize.rows, width: o.consoleSize.cols } } : {}),
      user: { uid: c.uid, gid: c.gid, additionalGids: c.additionalGids },
      args: o.init ? [INIT_PATH, "--init", "--", c.path, ...c.args] : [c.path, ...c.args],
      env: c.env,
      cwd: c.workingDir,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: "RLIMIT_NOFILE", soft: nofile(), hard: nofile() }],
      noNewPrivileges: noNewPrivileges(o),
      oomScoreAdj: 0,
    },
    root: { path: ctx.rootfs, readonly: o.readOnly },
    hostname: o.network === "host" ? undefined : c.hostname,
    mounts,
    annotations: { "org.berth.container.name": rec.name, "org.berth.image": rec.image },
    linux: {
      namespaces,
      cgroupsPath: `/berth/${rec.id}`,
      resources,
      ...(priv ? { devices: hostDevices() } : {}),
      ...(seccomp ? { seccomp } : {}),
      maskedPaths: priv ? [] : [...DOCKER_MASKED_PATHS],
      readonlyPaths: priv ? [] : [...DOCKER_READONLY_PATHS],
    },
  };
}
