// The plan compiler: a validated OCI spec plus the runtime's context -> the explicit list of
// steps the native helper executes. Every decision (order, flags, fallbacks) is made here,
// so `berth-runtime plan` shows exactly what will happen.
import { statSync } from "node:fs";
import { isAbsolute, posix, resolve } from "node:path";
import { CLONE, MS, NS_CLONE_FLAG, O, RLIMITS, S_IF, makedev } from "../linux.ts";
import type { Device, IdMapping, Mount, Spec } from "../spec.ts";
import { describeFlags, parseMountOptions, propagationFlag } from "./mount-options.ts";
import type { Arg, Plan, Step } from "./types.ts";
import { CompileError, PlanBuilder, type Mode, type MonitorContext, type Seccomp } from "./builder.ts";

export { CompileError, capMask, type MonitorContext } from "./builder.ts";

/** A cgroup hierarchy the container may see through a "cgroup" mount. */
export interface CgroupMountSource {
  /** directory name under the mount point: "memory", "cpu,cpuacct"; "" for cgroup2 */
  name: string;
  /** the container's own cgroup directory on the host */
  hostPath: string;
  /** mount data: the controllers of a v1 hierarchy ("memory", "name=systemd") */
  options: string;
}

export interface CompileContext {
  /** absolute host path of the root filesystem */
  rootfs: string;
  bundle: string;
  /** the files the helper writes "0" into (joins) before clone: CgroupManager.joinFiles() */
  cgroupProcs: string[];
  /** a v2 cgroup directory the child is cloned straight into (clone3 CLONE_INTO_CGROUP,
   *  Linux >= 5.7) instead of the helper joining through cgroupProcs */
  cloneIntoCgroup?: string;
  cgroupVersion: 1 | 2;
  cgroupMounts: CgroupMountSource[];
  /** create sends the plan before the cgroup exists and writes one byte on the go pipe
   *  (fdLayout().go) once it does: whoever joins the cgroup waits for that byte first */
  cgroupGate?: boolean;
  /** detached: the helper exits once the container is set up (create);
   *  foreground: it stays the container's parent and exits with its status (run) */
  mode: Mode;
  monitor?: MonitorContext;
  /** mounted on the rootfs inside the new mount namespace (the engine's overlay), so the
   *  host never holds the container's root mount */
  rootfsMount?: { source: string; fstype: string; data: string };
  /** create: init waits on this fifo until `start` */
  execFifo?: string;
  consoleSocket?: string;
  preserveFds?: number;
  noPivot?: boolean;
  seccomp?: Seccomp;
  /** how uid/gid maps are written: directly by the (root) helper, or by the setuid
   *  newuidmap/newgidmap of Debian's uidmap package when running rootless */
  idMapper?: "write" | "newidmap";
  /** monitor mode: the join files of the cgroups the monitor returns to after clone */
  leaveCgroup?: string[];
  /** bring up lo in a new network namespace (the engine's --network none; runc leaves it down) */
  loopbackUp?: boolean;
  /** the container's id: names its session keyring */
  id?: string;
  /** --no-new-keyring: keep the caller's session keyring */
  noNewKeyring?: boolean;
  /** stop before pivot_root so TypeScript can run createRuntime/createContainer hooks */
  hookSync?: boolean;
  /** capabilities the host holds (default: read from /proc/self/status) */
  hostCaps?: bigint;
  /** overridable for tests: is this host path a directory? */
  isDirectory?: (path: string) => boolean;
}


/** The runtime-spec's default devices (config-linux.md "Default Devices"). */
const DEFAULT_DEVICES: Device[] = [
  { path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/zero", type: "c", major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/random", type: "c", major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/urandom", type: "c", major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: "/dev/tty", type: "c", major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

const DEV_SYMLINKS: [string, string][] = [
  ["/proc/self/fd", "/dev/fd"],
  ["/proc/self/fd/0", "/dev/stdin"],
  ["/proc/self/fd/1", "/dev/stdout"],
  ["/proc/self/fd/2", "/dev/stderr"],
];

/** The steps up to the child's (parent, clone, parent after clone), compiled first. `split`: the
 *  parent does not wait before clone (the child joins its cgroup itself), so the helper may get
 *  these alone and clone while the child's steps are compiled (HelperRun.sendHead). */
export interface PlanHead {
  steps: Step[];
  split: boolean;
}

export function compilePlan(spec: Spec, ctx: CompileContext): Plan {
  const phases = compileInPhases(spec, ctx);
  let r = phases.next();
  while (!r.done) r = phases.next();
  return r.value;
}

/** compilePlan in two parts: yields the head, then returns the whole plan. */
export function* compileInPhases(spec: Spec, ctx: CompileContext): Generator<PlanHead, Plan, void> {
  // No process (the spec allows it at create): the environment is made, and `start` refuses.
  const proc = spec.process ?? { user: { uid: 0, gid: 0 }, cwd: "/", args: [] };
  const isDir = ctx.isDirectory ?? defaultIsDirectory;
  const b = new PlanBuilder(ctx.preserveFds ?? 0);
  const { P, Q, C } = b;
  const mon = ctx.mode === "monitor" ? ctx.monitor : undefined;
  const root = ctx.rootfs;

  // --- namespaces -------------------------------------------------------------------------
  const namespaces = spec.linux?.namespaces ?? [];
  const isNew = (t: string) => namespaces.some((n) => n.type === t && !n.path);
  let cloneFlags = 0;
  for (const n of namespaces) if (!n.path) cloneFlags |= NS_CLONE_FLAG[n.type]!;
  const userns = isNew("user");
  // the rootfs is set up in a mount namespace of the container's own: new, or joined by path
  const newMountNs = isNew("mount") || namespaces.some((n) => n.type === "mount" && n.path);

  // After pivot_root the init reaches its O_PATH fds through /proc/self/fd (remounts by fd):
  // without a /proc it would fail once create has already reported success.
  if (newMountNs && !(spec.mounts ?? []).some((m) => clean(m.destination) === "/proc")) {
    if (spec.root?.readonly) throw new CompileError("root.readonly: the root is remounted read-only through /proc/self/fd, and the container has no /proc mount; mount proc on /proc");
  }

  // --- the cgroup gate -----------------------------------------------------------------------
  // With a gate the child joins its cgroup itself, after clone: making the namespaces (the
  // costly part of clone) overlaps with TypeScript making the cgroup. Not with a user namespace
  // (new: the child's writes to host cgroup files would be judged by its credentials there;
  // joined by path: the helper joins as host root before it, see cloneIntoCgroupDir), nor when
  // the child is cloned straight into the cgroup: then the helper waits before clone.
  const joinsUserOrCgroupNs = namespaces.some((n) => n.path && (n.type === "user" || n.type === "cgroup"));
  const childJoins = !!ctx.cgroupGate && !ctx.cloneIntoCgroup && !userns && !joinsUserOrCgroupNs && ctx.cgroupProcs.length > 0;

  // --- parent, before clone -----------------------------------------------------------------
  P("DUMPABLE", [0], "make the helper non-dumpable (its /proc entries stay root-only)");
  // what the helper and the child create (the exec fifo, devices, mount points) gets exactly the
  // mode the plan says, whatever umask berth was started with; the process gets its own at the end
  P("UMASK", [0], "umask 0");
  if (ctx.cgroupGate && !childJoins) P("WAIT_GO", [b.fd.go], "wait until the cgroup is made");
  if (!ctx.cloneIntoCgroup && !childJoins) for (const f of ctx.cgroupProcs) P("WRITE_FILE", [f, "0"], `join cgroup ${posix.dirname(f)}`);
  // A cgroup namespace made by clone is rooted at the *parent's* cgroup; a child cloned into
  // its cgroup, or joining it after clone, makes its own once there.
  const unshareCgroupNs = (!!ctx.cloneIntoCgroup || childJoins) && (cloneFlags & NS_CLONE_FLAG.cgroup!) !== 0;
  if (unshareCgroupNs) cloneFlags &= ~NS_CLONE_FLAG.cgroup!;
  if (proc.oomScoreAdj !== undefined) P("WRITE_FILE", ["/proc/self/oom_score_adj", String(proc.oomScoreAdj)], `set oom_score_adj ${proc.oomScoreAdj}`);
  // Join existing namespaces: the user namespace first, since it owns the others.
  // A joined mount namespace is entered by the child: it moves the root, and the parent still
  // needs the host's paths (exec fifo, console socket, monitor files).
  const joined = namespaces.filter((n) => n.path && n.type !== "mount").sort((x, y) => Number(y.type === "user") - Number(x.type === "user"));
  for (const n of joined) P("SETNS", [n.path!, NS_CLONE_FLAG[n.type]!], `join ${n.type} namespace ${n.path}`);
  const joinedMount = namespaces.find((n) => n.type === "mount" && n.path);
  if (ctx.execFifo) {
    // Made by the helper so that TypeScript needs no mkfifo, and opened read-write before clone:
    // the init inherits the fd and waits on it for `start`'s byte. The fifo has a reader exactly
    // as long as the init lives (the parent closes its copy after clone), so `start` writes without
    // waiting for the init to be scheduled, and an init that died shows as ENXIO at once. The
    // init never opens the path, so only its owner may (0600): no container user can start it.
    P("MKNOD", [ctx.execFifo, S_IF.FIFO | 0o600, 0], `create exec fifo ${ctx.execFifo}`);
    P("OPEN_FD", [ctx.execFifo, O.RDWR, b.fd.fifo], `open exec fifo ${ctx.execFifo} read-write as fd ${b.fd.fifo}`);
  }
  b.stdioBeforeClone(proc, mon, ctx.consoleSocket);
  b.cloneWith(cloneFlags, `clone ${describeClone(cloneFlags)}`, ctx.cloneIntoCgroup);

  // --- parent, after clone ------------------------------------------------------------------
  if (userns && ctx.idMapper === "newidmap") {
    const flat = (maps: IdMapping[] | undefined) => (maps ?? []).flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)]);
    Q("RUN_FOR_CHILD", ["/usr/bin/newuidmap", ...flat(spec.linux?.uidMappings)], `newuidmap ${mapText(spec.linux?.uidMappings)}`);
    Q("RUN_FOR_CHILD", ["/usr/bin/newgidmap", ...flat(spec.linux?.gidMappings)], `newgidmap ${mapText(spec.linux?.gidMappings)}`);
    Q("RELEASE_CHILD", [], "let the child continue");
  } else if (userns) {
    Q("WRITE_CHILD_FILE", ["uid_map", idMap(spec.linux?.uidMappings)], `write uid_map ${mapText(spec.linux?.uidMappings)}`);
    Q("WRITE_CHILD_FILE", ["gid_map", idMap(spec.linux?.gidMappings)], `write gid_map ${mapText(spec.linux?.gidMappings)}`);
    Q("RELEASE_CHILD", [], "let the child continue");
  }
  if (childJoins) Q("CLOSE", [b.fd.go], `close the go pipe ${b.fd.go} (the child waits on it)`);
  if (ctx.execFifo) Q("CLOSE", [b.fd.fifo], `close the exec fifo ${b.fd.fifo} (the child waits on it)`);
  // a monitor whose child joined the cgroup never was in it: nothing to leave
  b.parentAfterClone(proc, ctx.mode, mon, childJoins ? undefined : ctx.leaveCgroup);
  yield { steps: b.head(), split: childJoins };

  // --- child: identity and rootfs ----------------------------------------------------------
  C("DUMPABLE", [0], "stay non-dumpable until exec");
  // A child that joins its cgroup itself does so as late as it can: the mounts that show no
  // cgroup (proc, /dev, sysfs, ...) overlap with TypeScript making the cgroup. It joins before
  // the first mount that shows one (its cgroup namespace is rooted where it joined), at the
  // latest after the mounts and devices, before the hooks and pivot_root.
  let inCgroup = false;
  const joinCgroup = (): void => {
    if (inCgroup) return;
    inCgroup = true;
    if (childJoins) {
      C("WAIT_GO", [b.fd.go], "wait until the cgroup is made");
      for (const f of ctx.cgroupProcs) C("WRITE_FILE", [f, "0"], `join cgroup ${posix.dirname(f)}`);
    }
    // (a child of a new user namespace holds CAP_SYS_ADMIN there from birth)
    if (unshareCgroupNs) C("UNSHARE", [NS_CLONE_FLAG.cgroup!], "new cgroup namespace, rooted at the container's cgroup");
  };
  const lateJoin = childJoins && newMountNs && !joinedMount;
  if (!lateJoin) joinCgroup();
  if (joinedMount) C("SETNS", [joinedMount.path!, NS_CLONE_FLAG.mount!], `join mount namespace ${joinedMount.path}`);
  if (userns) {
    C("WAIT_PARENT", [], "wait for the uid/gid maps");
    C("SETRESGID", [0], "become gid 0 of the user namespace");
    C("SETRESUID", [0], "become uid 0 of the user namespace");
  }
  C("SETSID", [], "start a new session");
  b.childStdio(proc, mon);
  // a keyring of its own, so keys do not leak between containers (possessor: all; user: view, read)
  if (!ctx.noNewKeyring) C("JOIN_KEYRING", [`_ses.${ctx.id ?? "berth"}`, 0x3f1b0000], `join a new session keyring _ses.${ctx.id ?? "berth"}`);
  if (ctx.loopbackUp && isNew("network")) C("LINK_UP", ["lo"], "bring up lo in the new network namespace");
  const hasUts = namespaces.some((n) => n.type === "uts");
  if (spec.hostname && hasUts) C("SETHOSTNAME", [spec.hostname], `set hostname ${spec.hostname}`);
  if (spec.domainname && hasUts) C("SETDOMAINNAME", [spec.domainname], `set domainname ${spec.domainname}`);
  for (const r of proc.rlimits ?? []) C("SETRLIMIT", [RLIMITS[r.type]!, big(r.soft), big(r.hard)], `set ${r.type} soft ${r.soft} hard ${r.hard}`);

  if (newMountNs) {
    const rootProp = spec.linux?.rootfsPropagation;
    const prePivot = rootProp === "private" || rootProp === "rprivate" ? MS.PRIVATE | MS.REC : MS.SLAVE | MS.REC;
    C("MOUNT", ["", "/", "", prePivot, ""], `make / ${describeFlags(prePivot)} so mounts do not leak to the host`);
    if (ctx.rootfsMount) {
      const m = ctx.rootfsMount;
      C("MOUNT", [m.source, root, m.fstype, 0, m.data], `mount ${m.fstype} on ${root} (the container's root)`);
    } else C("MOUNT", [root, root, "", MS.BIND | MS.REC, ""], `bind the rootfs ${root} onto itself`);
    for (const m of spec.mounts ?? []) {
      if (showsCgroups(m)) joinCgroup();
      compileMount(m, { ctx, root, userns, isNew, isDir, C });
    }
    compileDevices(spec, { root, userns, C, hasDevTmpfs: (spec.mounts ?? []).some((m) => clean(m.destination) === "/dev") });
    if (proc.terminal) C("MKFILE_IN_ROOT", [root, "/dev/console", 0o600], "create /dev/console (the pty is bound on it)");
    joinCgroup();
    if (ctx.hookSync) C("HOOK_SYNC", [b.fd.resume], "pause for the prestart/createRuntime/createContainer hooks");
    if (ctx.noPivot) C("MOVE_ROOT", [root], `move ${root} to / and chroot (no pivot_root)`);
    else C("PIVOT_ROOT", [root], `pivot_root to ${root}`);
    const prop = propagationFlag(rootProp);
    if (rootProp && prop !== undefined && rootProp !== "private" && rootProp !== "rprivate")
      C("MOUNT", ["", "/", "", prop, ""], `set rootfs propagation ${rootProp}`);
  } else {
    // No mount namespace of its own: the host's (runc allows it). Nothing may touch the host's
    // root or propagation, so every mount goes under a bind of the rootfs onto itself, which
    // delete detaches as one tree; the root is entered with chroot.
    C("MOUNT", [root, root, "", MS.BIND | MS.REC, ""], `bind the rootfs ${root} onto itself (in the host's mount namespace)`);
    for (const m of spec.mounts ?? []) compileMount(m, { ctx, root, userns, isNew, isDir, C });
    if ((spec.mounts ?? []).some((m) => clean(m.destination) === "/dev"))
      compileDevices(spec, { root, userns, C, hasDevTmpfs: true });
    if (ctx.hookSync) C("HOOK_SYNC", [b.fd.resume], "pause for the prestart/createRuntime/createContainer hooks");
    C("CHROOT", [root], `chroot to ${root}`);
  }

  // --- child: inside the new root ------------------------------------------------------------
  for (const [k, v] of Object.entries(spec.linux?.sysctl ?? {}))
    C("WRITE_FILE", [`/proc/sys/${k.replace(/\./g, "/")}`, v], `sysctl ${k}=${v}`);
  for (const p of spec.linux?.maskedPaths ?? []) C("MASK_PATH", [p], `mask ${p}`);
  for (const p of spec.linux?.readonlyPaths ?? []) C("READONLY_PATH", [p], `make ${p} read-only`);
  if (proc.terminal) {
    b.childConsole(proc);
    C("MOUNT", ["/proc/self/fd/0", "/dev/console", "", MS.BIND, ""], "bind the pty on /dev/console");
  }
  if (spec.root?.readonly) C("MOUNT_IN_ROOT", ["/", "/", "", "", MS.BIND | MS.REMOUNT | MS.RDONLY, ""], "remount / read-only");
    const gidMaps = spec.linux?.gidMappings ?? [];
  const setgroupsDenied = userns && ctx.idMapper === "newidmap" && gidMaps.length === 1 && gidMaps[0]!.size === 1;
  if (!spec.process) {
    C("CLOSE_FDS", [3 + (ctx.preserveFds ?? 0)], "close every fd we were given at exit");
    C("REPORT_READY", [], "report ready");
    if (ctx.execFifo) C("WAIT_FIFO", [b.fd.fifo], "wait on the exec fifo (start refuses a container without a process)");
    C("EXIT", [1], "exit: there is no process to run");
    return b.build();
  }
  b.processTail(proc, { seccomp: ctx.seccomp, waitFifo: !!ctx.execFifo, hostCaps: ctx.hostCaps, parentDeathSignal: mon ? 9 : undefined, setgroupsDenied });
  return b.build();
}

interface MountCtx {
  ctx: CompileContext;
  root: string;
  userns: boolean;
  isNew: (t: string) => boolean;
  isDir: (p: string) => boolean;
  C: (op: Step["op"], args: Arg[], what: string) => void;
}

/** A mount whose content depends on the cgroup the child is in (or on its cgroup namespace). */
function showsCgroups(m: Mount): boolean {
  const under = (p: string | undefined) => !!p && (clean(p) === "/sys/fs/cgroup" || clean(p).startsWith("/sys/fs/cgroup/"));
  return m.type === "cgroup" || m.type === "cgroup2" || under(m.destination) || under(m.source);
}

function compileMount(m: Mount, mc: MountCtx): void {
  const { root, C } = mc;
  const dest = clean(m.destination);
  const o = parseMountOptions(m.options);
  const type = m.type ?? "";
  const data = o.data.join(",");
  if (type === "cgroup" || type === "cgroup2") return compileCgroupMount(dest, o.flags, mc);
  if (o.bind || type === "bind") {
    if (!m.source) throw new CompileError(`mounts: bind mount on ${dest} has no source`);
    const src = isAbsolute(m.source) ? m.source : resolve(mc.ctx.bundle, m.source);
    const dir = mc.isDir(src);
    if (!dir && posix.dirname(dest) !== "/") C("MKDIR_IN_ROOT", [root, posix.dirname(dest), 0o755], `create ${posix.dirname(dest)}`);
    C(dir ? "MKDIR_IN_ROOT" : "MKFILE_IN_ROOT", [root, dest, dir ? 0o755 : 0o644], `create mount point ${dest}`);
    const bindFlags = MS.BIND | (o.recursive ? MS.REC : 0);
    C("MOUNT_IN_ROOT", [root, dest, src, "", bindFlags, ""], `bind ${src} on ${dest}${o.recursive ? " (recursive)" : ""}`);
    // A bind mount takes its flags only from a remount.
    const remount = o.flags & ~MS.REMOUNT;
    if (remount) C("MOUNT_IN_ROOT", [root, dest, "", "", MS.BIND | MS.REMOUNT | remount | (o.recursive ? MS.REC : 0), ""], `remount ${dest} ${describeFlags(remount)}`);
  } else {
    C("MKDIR_IN_ROOT", [root, dest, 0o755], `create mount point ${dest}`);
    const source = m.source ?? type;
    // sysfs cannot be mounted in a user namespace that does not own the network namespace.
    if (type === "sysfs" && mc.userns && !mc.isNew("network")) {
      C("MOUNT_IN_ROOT", [root, dest, "/sys", "", MS.BIND | MS.REC, ""], `bind the host's /sys on ${dest} (no private network namespace)`);
      if (o.flags) C("MOUNT_IN_ROOT", [root, dest, "", "", MS.BIND | MS.REMOUNT | MS.REC | o.flags, ""], `remount ${dest} ${describeFlags(o.flags)}`);
    } else {
      C("MOUNT_IN_ROOT", [root, dest, source, type, o.flags, data], `mount ${type || source} on ${dest}${o.flags ? ` (${describeFlags(o.flags)})` : ""}${data ? ` [${data}]` : ""}`);
    }
  }
  for (const p of o.propagation) C("MOUNT_IN_ROOT", [root, dest, "", "", p, ""], `set propagation of ${dest}: ${describeFlags(p)}`);
}

function compileCgroupMount(dest: string, flags: number, mc: MountCtx): void {
  const { root, C, ctx } = mc;
  const base = flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME);
  const ns = mc.isNew("cgroup");
  C("MKDIR_IN_ROOT", [root, dest, 0o755], `create mount point ${dest}`);
  if (ctx.cgroupVersion === 2) {
    const only = ctx.cgroupMounts[0];
    if (ns || !only) C("MOUNT_IN_ROOT", [root, dest, "cgroup2", "cgroup2", flags, ""], `mount cgroup2 on ${dest}`);
    else {
      C("MOUNT_IN_ROOT", [root, dest, only.hostPath, "", MS.BIND, ""], `bind the container's cgroup ${only.hostPath} on ${dest}`);
      C("MOUNT_IN_ROOT", [root, dest, "", "", MS.BIND | MS.REMOUNT | flags, ""], `remount ${dest} ${describeFlags(flags)}`);
    }
    return;
  }
  // v1: a tmpfs holding one directory per hierarchy, as Docker lays it out.
  C("MOUNT_IN_ROOT", [root, dest, "tmpfs", "tmpfs", base, "mode=755"], `mount tmpfs on ${dest}`);
  for (const h of ctx.cgroupMounts) {
    const sub = posix.join(dest, h.name);
    C("MKDIR_IN_ROOT", [root, sub, 0o755], `create ${sub}`);
    // v1 hierarchies can only be mounted from the initial user namespace
    if (ns && !mc.userns) C("MOUNT_IN_ROOT", [root, sub, "cgroup", "cgroup", flags, h.options], `mount cgroup (${h.options}) on ${sub}`);
    else {
      C("MOUNT_IN_ROOT", [root, sub, h.hostPath, "", MS.BIND, ""], `bind the container's cgroup ${h.hostPath} on ${sub}`);
      C("MOUNT_IN_ROOT", [root, sub, "", "", MS.BIND | MS.REMOUNT | flags, ""], `remount ${sub} ${describeFlags(flags)}`);
    }
  }
  if (flags & MS.RDONLY) C("MOUNT_IN_ROOT", [root, dest, "", "", MS.REMOUNT | base | MS.RDONLY, "mode=755"], `remount ${dest} read-only`);
}

function compileDevices(spec: Spec, d: { root: string; userns: boolean; hasDevTmpfs: boolean; C: MountCtx["C"] }): void {
  const { root, C } = d;
  const seen = new Set<string>();
  const dirs = new Set<string>();
  const all = [...(spec.linux?.devices ?? []), ...DEFAULT_DEVICES];
  for (const dev of all) {
    const path = clean(dev.path);
    if (seen.has(path)) continue; // spec devices override the defaults
    seen.add(path);
    const dir = posix.dirname(path);
    if (!dirs.has(dir)) C("MKDIR_IN_ROOT", [root, dir, 0o755], `create ${dir}`);
    dirs.add(dir);
    if (d.userns) {
      // mknod is not allowed in a user namespace: bind the host's node instead.
      C("MKFILE_IN_ROOT", [root, path, 0o644], `create ${path} (bind target)`);
      C("MOUNT_IN_ROOT", [root, path, path, "", MS.BIND, ""], `bind the host's ${path} on ${path}`);
      continue;
    }
    const kind = dev.type === "b" ? S_IF.BLK : dev.type === "p" ? S_IF.FIFO : S_IF.CHR;
    const mode = kind | (dev.fileMode ?? 0o666);
    const rdev = dev.type === "p" ? 0n : makedev(dev.major ?? 0, dev.minor ?? 0);
    C("MKNOD_IN_ROOT", [root, path, mode, rdev, dev.uid ?? 0, dev.gid ?? 0], `mknod ${path} ${dev.type} ${dev.major ?? 0}:${dev.minor ?? 0} mode ${(dev.fileMode ?? 0o666).toString(8)}`);
  }
  if (d.hasDevTmpfs) {
    for (const [target, link] of DEV_SYMLINKS) C("SYMLINK_IN_ROOT", [root, target, link], `symlink ${link} -> ${target}`);
    const ptsMounted = (spec.mounts ?? []).some((m) => clean(m.destination) === "/dev/pts");
    if (ptsMounted) C("SYMLINK_IN_ROOT", [root, "pts/ptmx", "/dev/ptmx"], "symlink /dev/ptmx -> pts/ptmx");
  }
}

function idMap(maps: IdMapping[] | undefined): string {
  return (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
}
function mapText(maps: IdMapping[] | undefined): string {
  return (maps ?? []).map((m) => `${m.containerID}:${m.hostID}:${m.size}`).join(" ");
}

function big(n: number): bigint {
  // RLIM_INFINITY is all ones; JSON carries it as 18446744073709551615, which rounds up.
  return n >= 2 ** 64 - 1 ? -1n : BigInt(n);
}

function describeClone(flags: number): string {
  const names = Object.entries(CLONE)
    .filter(([, v]) => flags & v)
    .map(([k]) => `CLONE_${k}`);
  return names.length ? names.join("|") : "(no new namespaces)";
}

function clean(p: string): string {
  return posix.normalize(p).replace(/\/+$/, "") || "/";
}

function defaultIsDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    throw new CompileError(`mount source ${path}: no such file or directory`);
  }
}

