// The engine's side of the runtime: containers are created and started in-process with the
// runtime library (state under berthRoot()/runtime), each with a monitor. Status is never
// trusted from disk alone: it is derived from the runtime state, the monitor's liveness (pid +
// start time) and the exit file, and `settle` repairs what a killed berth process or monitor
// left behind.
import { trace } from "../sys/trace.ts";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cgroupMounts } from "../runtime/cgroups/detect.ts";
import { managerFor, statusOf } from "../runtime/ops/common.ts";
import { deleteContainer } from "../runtime/ops/delete.ts";
import { procStart, StateStore, type ContainerState } from "../runtime/state.ts";
import type { CompiledSeccomp } from "../runtime/seccomp/compile.ts";
import { emitEvent } from "./events.ts";
import type { ContainerRecord, Status } from "./model.ts";
import { attachSocket, exitFile, runtimeRoot } from "./paths.ts";
import { containerIds, loadRecord, removeContainerFiles, saveRecord, tryContainerLock, tryLoadRecord, unlock } from "./store.ts";
import { writeStderr } from "../sys/io.ts";

export const ZERO_TIME = "0001-01-01T00:00:00Z";

let store: StateStore | undefined;
export function runtimeStore(): StateStore {
  return (store ??= new StateStore(runtimeRoot()));
}

// The seccomp filter `create` just compiled for the spec it wrote, for a `start` in the same
// process (`run`): saves reading and parsing the spec and hashing the profile again. Taken
// once; any later start reads the bundle.
const fresh = new Map<string, { seccomp?: CompiledSeccomp }>();
export function rememberSeccomp(id: string, v: { seccomp?: CompiledSeccomp }): void {
  fresh.set(id, v);
}
export function takeSeccomp(id: string): { seccomp?: CompiledSeccomp } | undefined {
  const v = fresh.get(id);
  fresh.delete(id);
  return v;
}

export function procAlive(pid: number, start: number): boolean {
  const p = procStart(pid);
  return !!p && !p.zombie && p.start === start;
}

export function monitorAlive(rec: ContainerRecord): boolean {
  return rec.state.monitorPid > 0 && procAlive(rec.state.monitorPid, rec.state.monitorStart);
}

/** The monitor's exit file: "<status> <unix ns>". Anything else (a file torn by a machine
 *  crash, should the monitor not fsync it) reads as no exit file, never as status 0. */
export function readExitFile(id: string): { code: number; at: string } | undefined {
  try {
    const m = /^(-?\d+) (\d+)\n?$/.exec(readFileSync(exitFile(id), "utf8"));
    if (!m) return undefined;
    return { code: Number(m[1]), at: new Date(Number(BigInt(m[2]!) / 1_000_000n)).toISOString() };
  } catch {
    return undefined;
  }
}

function runtimeState(id: string): ContainerState | undefined {
  try {
    return runtimeStore().load(id);
  } catch {
    return undefined;
  }
}

export type Stale = "monitor-dead" | "exit-unrecorded" | "lost" | "half-started" | "unrecorded-start" | "restart-abandoned";

export interface Observed {
  status: Status;
  pid: number;
  exitCode: number;
  finishedAt: string;
  /** what `settle` must repair (only when no berth process holds the container's lock) */
  stale?: Stale;
}

export function observe(rec: ContainerRecord): Observed {
  const st = rec.state;
  const base = { pid: 0, exitCode: st.exitCode, finishedAt: st.finishedAt };
  const rs = runtimeState(rec.id);
  const recRunning = st.status === "running" || st.status === "paused";
  if (rs) {
    const r = statusOf(rs, runtimeStore());
    if (r === "running" || r === "paused") {
      if (!monitorAlive(rec)) return { ...base, status: "exited", exitCode: 137, stale: "monitor-dead" };
      return { ...base, status: r, pid: rs.pid, ...(recRunning ? {} : { stale: "unrecorded-start" as const }) };
    }
    if (r === "created" || r === "creating") return { ...base, status: recRunning ? "exited" : "created", stale: "half-started" };
    // stopped: the monitor wrote the exit file and its exit command is (or was) recording it
    const ex = readExitFile(rec.id);
    const out = { ...base, status: "exited" as Status, exitCode: ex?.code ?? 137, finishedAt: ex?.at ?? st.finishedAt };
    if (!recRunning) return { ...out, stale: "exit-unrecorded" };
    return monitorAlive(rec) ? out : { ...out, stale: "exit-unrecorded" };
  }
  if (recRunning) {
    const ex = readExitFile(rec.id);
    return { ...base, status: "exited", exitCode: ex?.code ?? 137, finishedAt: ex?.at ?? st.finishedAt, stale: "lost" };
  }
  if (st.status === "restarting" && !monitorAlive(rec)) return { ...base, status: "exited", stale: "restart-abandoned" };
  return { ...base, status: st.status };
}

export { warmCgroupAttach } from "../runtime/cgroups/warm.ts";

/** The runtime's monitor leaves the container's cgroup right after clone, so its children (the
 *  exit and health commands) start outside it; should one still be inside (an older monitor),
 *  it must leave, or it is charged to the container and the cgroup cannot be removed. */
export function leaveContainerCgroup(id: string): void {
  if (readFileSync("/proc/self/cgroup", "utf8").includes(id)) moveToRootCgroup(process.pid);
}

/** Move a process (the monitor) out of the container's cgroups into the hierarchy roots, so it
 *  is not charged to the container's limits and the cgroup can be removed under it. */
export function moveToRootCgroup(pid: number): void {
  const m = cgroupMounts();
  const roots = m.mode === "unified" ? [m.v2 ?? "/sys/fs/cgroup"] : [...new Set(m.v1.values())];
  for (const r of roots) {
    try {
      writeFileSync(`${r}/cgroup.procs`, String(pid));
    } catch {
      /* hierarchy we cannot write (e.g. name=systemd owned elsewhere) */
    }
  }
}

/** Whether the kernel OOM-killed a process of the container: one file (v1 memory.oom_control,
 *  v2 memory.events), not the whole stats walk. */
export function oomKilled(rec: Pick<ContainerRecord, "id">): boolean {
  try {
    const cg = managerFor({ id: rec.id, cgroupsPath: `/berth/${rec.id}` });
    let file: string | undefined;
    if (cg.version === 2) file = `${cg.paths()[0]}/memory.events`;
    else {
      const mp = cgroupMounts().v1.get("memory");
      const dir = mp && cg.paths().find((p) => p === mp || p.startsWith(`${mp}/`));
      file = dir && `${dir}/memory.oom_control`;
    }
    if (!file) return false;
    return Number(/^oom_kill (\d+)$/m.exec(readFileSync(file, "utf8"))?.[1] ?? 0) > 0;
  } catch {
    return false;
  }
}

/** Tear down what a started container holds: processes, cgroup, runtime state, network, socket.
 *  `keepNetwork`: leave the network to the monitor's exit command (attached `run --rm`). */
export async function cleanupRuntime(rec: ContainerRecord, o: { keepNetwork?: boolean } = {}): Promise<void> {
  if (runtimeStore().exists(rec.id)) {
    try {
      await deleteContainer(runtimeStore(), rec.id, true);
    } catch {
      runtimeStore().remove(rec.id);
    }
  }
  if (rec.network?.mode === "bridge" && !o.keepNetwork) {
    try {
      const net = await import("../network/index.ts");
      await net.teardownContainerNetwork(rec.id);
    } catch (e) {
      if (process.env.BERTH_DEBUG) writeStderr(`berth: network teardown: ${(e as Error).message}\n`);
    }
  }
  rmSync(attachSocket(rec.id), { force: true });
}

export function markExited(rec: ContainerRecord, code: number, finishedAt: string, oom: boolean, error = ""): void {
  rec.state.status = "exited";
  rec.state.exitCode = code;
  rec.state.finishedAt = finishedAt;
  rec.state.oomKilled = oom;
  rec.state.pid = 0;
  rec.state.error = error;
  if (rec.state.health) rec.state.health.status = rec.state.health.status === "none" ? "none" : "unhealthy";
}

/** Remove a container that is not running: runtime leftovers, files, name. */
export async function destroy(rec: ContainerRecord, o: { keepNetwork?: boolean; deferFiles?: boolean } = {}): Promise<void> {
  await cleanupRuntime(rec, o);
  removeContainerFiles(rec.id, rec.name, o.deferFiles);
  trace("destroy: files removed");
  emitEvent({ type: "container", action: "destroy", id: rec.id, attributes: { name: rec.name, image: rec.imageName } });
}

/**
 * Repair a container whose berth process or monitor was killed: record the exit, clean the
 * runtime, apply --rm. Only when nobody holds its lock (an operation in progress is not stale).
 * Returns the record as it now is (undefined if removed).
 */
export async function settle(id: string): Promise<ContainerRecord | undefined> {
  const fd = tryContainerLock(id);
  if (fd === undefined) return loadRecord(id);
  try {
    const rec = loadRecord(id);
    const o = observe(rec);
    if (!o.stale) return rec;
    if (o.stale === "unrecorded-start") {
      rec.state.status = o.status;
      rec.state.pid = o.pid;
      if (rec.state.startedAt === ZERO_TIME) rec.state.startedAt = new Date().toISOString();
      saveRecord(rec);
      return rec;
    }
    const oom = oomKilled(rec);
    await cleanupRuntime(rec);
    if (o.stale === "half-started" && o.status === "created") {
      rec.state.status = "created";
      rec.state.pid = 0;
      rec.state.monitorPid = 0;
      saveRecord(rec);
      return rec;
    }
    const error = o.stale === "monitor-dead" ? "container monitor died: container killed" : o.stale === "lost" ? "container state lost" : "";
    markExited(rec, o.exitCode, o.finishedAt !== ZERO_TIME && o.finishedAt ? o.finishedAt : new Date().toISOString(), oom, error);
    if (rec.options.autoRemove) {
      await destroy(rec);
      return undefined;
    }
    saveRecord(rec);
    return rec;
  } finally {
    unlock(fd);
  }
}

/** The record with its derived status, settled if stale. */
export async function current(id: string): Promise<{ rec: ContainerRecord; obs: Observed } | undefined> {
  let rec = loadRecord(id);
  let obs = observe(rec);
  if (obs.stale) {
    const r = await settle(id);
    if (!r) return undefined;
    rec = r;
    obs = observe(rec);
  }
  return { rec, obs };
}

export function exitFileExists(id: string): boolean {
  return existsSync(exitFile(id));
}

/** Directories a killed `create` left without a record (nobody holds their lock): removed,
 *  with any runtime state and name pointing at them. */
export async function reapOrphans(): Promise<string[]> {
  const out: string[] = [];
  for (const id of containerIds()) {
    if (tryLoadRecord(id)) continue;
    const fd = tryContainerLock(id);
    if (fd === undefined) continue;
    try {
      if (tryLoadRecord(id)) continue;
      await cleanupRuntime({ id } as ContainerRecord);
      removeContainerFiles(id, "");
      out.push(id);
    } finally {
      unlock(fd);
    }
  }
  return out;
}
