// start: runtime create (the monitor becomes the init's parent), network, then the exec fifo.
// Runs under the container's lock; a caller that attaches (run, start -a) connects between
// create and start through `beforeStart`, so no output is lost.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { rootfsMounts } from "../../image/snapshot.ts";
import { StepError } from "../../runtime/helper.ts";
import { createContainer } from "../../runtime/ops/create.ts";
import { startContainer as runtimeStart } from "../../runtime/ops/start.ts";
import { compiledSeccomp } from "../../runtime/seccomp/cache.ts";
import type { Spec } from "../../runtime/spec.ts";
import { procStart } from "../../runtime/state.ts";
import { emitEvent } from "../events.ts";
import { ConflictError, ExecError, type ContainerRecord } from "../model.ts";
import { attachSocket, berthBinary, bundleDir, containerDir, exitFile, runDir, seccompCacheDir } from "../paths.ts";
import { cleanupRuntime, observe, runtimeStore, takeSeccomp, warmCgroupAttach, ZERO_TIME } from "../runtime.ts";
import { loadRecord, saveRecord, withContainerLock } from "../store.ts";
import { prepareNetworkNamespace, runtimeBringsUpLoopback, setupNetwork } from "../network.ts";
import { mkdirSync } from "node:fs";
import { trace } from "../../sys/trace.ts";

export const EXIT_COMMAND = "__container-exited";
export const HEALTH_COMMAND = "__container-health";
/** Linux's overlay mount data must fit in one page. */
const PAGE = 4096;

export interface StartOptions {
  /** called once the container exists and before its process runs (attach) */
  beforeStart?: (rec: ContainerRecord) => Promise<void>;
  /** restarts by the exit command count up restartCount */
  restart?: boolean;
}

/** The runtime's errors in Docker's words and exit codes (127 not found, 126 cannot execute). */
export function startError(e: unknown, rec: ContainerRecord): Error {
  if (e instanceof StepError && /in PATH|^exec /.test(e.what)) {
    const cmd = rec.config.path;
    if (e.errno === 2) return new ExecError(`failed to create task for container: exec: "${cmd}": executable file not found in $PATH`, 127);
    if (e.errno === 13 || e.errno === 21) return new ExecError(`failed to create task for container: exec: "${cmd}": permission denied`, 126);
  }
  if (e instanceof StepError && /^chdir /.test(e.what)) return new ExecError(`failed to create task for container: ${e.message}`, 127);
  return e instanceof Error ? e : new Error(String(e));
}

/** Start a container (under its lock). Throws ConflictError if it is running. */
export function startContainer(id: string, o: StartOptions = {}): Promise<ContainerRecord> {
  return withContainerLock(id, () => launch(loadRecord(id), o));
}

export async function launch(rec: ContainerRecord, o: StartOptions = {}): Promise<ContainerRecord> {
  trace("engine start: locked, record loaded");
  const obs = observe(rec);
  if (obs.status === "paused") throw new ConflictError(`cannot start a paused container, try unpause instead`);
  if (obs.status === "running" && !obs.stale) return rec;
  warmCgroupAttach();
  // whatever a killed start or a dead monitor left: processes, cgroup, runtime state
  await cleanupRuntime(rec);
  rmSync(exitFile(rec.id), { force: true });
  trace("engine start: observed, leftovers cleaned");
  const id = rec.id;
  const dir = containerDir(id);
  // `run` hands over what its create just compiled; any other start reads the bundle
  const fresh = takeSeccomp(id);
  const profile = fresh ? undefined : (JSON.parse(readFileSync(`${bundleDir(id)}/config.json`, "utf8")) as Spec).linux?.seccomp;
  const seccomp = fresh ? fresh.seccomp : profile ? compiledSeccomp(profile, seccompCacheDir()) : undefined;
  const overlay = rootfsMounts(rec.image, dir);
  if (overlay.options.length >= PAGE) throw new Error(`image ${rec.imageName} has too many layers (${overlay.lowerdirs.length}): the overlay mount options exceed ${PAGE} bytes`);
  mkdirSync(runDir(), { recursive: true, mode: 0o700 });
  trace("engine start: spec, seccomp, overlay");
  const berth = berthBinary();
  const hc = rec.config.healthcheck;
  let created;
  try {
    prepareNetworkNamespace(rec);
    created = await createContainer(runtimeStore(), {
      id,
      bundle: bundleDir(id),
      seccomp,
      rootfsMount: { source: "overlay", fstype: "overlay", data: overlay.options },
      // --network none and bridge: lo comes up in the plan, no CNI plugin run
      loopbackUp: runtimeBringsUpLoopback(rec.options),
      monitor: {
        logPath: rec.logPath,
        logMaxSize: rec.options.logMaxSize,
        logMaxFiles: rec.options.logMaxFiles,
        exitFile: exitFile(id),
        attachSocket: attachSocket(id),
        stdin: rec.options.interactive,
        exitCommand: [berth, EXIT_COMMAND, id],
        ...(hc ? { health: { intervalMs: hc.intervalMs, argv: [berth, HEALTH_COMMAND, id] } } : {}),
      },
    });
  } catch (e) {
    const err = startError(e, rec);
    rec.state.error = err.message;
    if (o.restart) rec.state.status = "exited";
    saveRecord(rec);
    throw err;
  }
  // (the monitor left the container's cgroup itself, right after clone)
  const monitorPid = created.helper.child.pid;
  rec.state.monitorPid = monitorPid;
  rec.state.monitorStart = procStart(monitorPid)?.start ?? 0;
  rec.state.pid = created.state.pid;
  trace("engine start: monitor recorded");
  // not durable: after a machine crash nothing runs, whatever the record says (see saveRecord)
  saveRecord(rec, { durable: false });
  trace("engine start: record saved (monitor)");
  try {
    await setupNetwork(rec, created.state.pid);
    trace("engine start: network");
    await o.beforeStart?.(rec);
    trace("engine start: attached");
    await runtimeStart(runtimeStore(), id);
    trace("engine start: started");
  } catch (e) {
    await cleanupRuntime(rec);
    rec.state.monitorPid = 0;
    rec.state.pid = 0;
    rec.state.error = (e as Error).message;
    saveRecord(rec);
    throw e;
  }
  const now = new Date().toISOString();
  // Docker's back-off resets once a container ran for 10 s; the exit command needs startedAt
  rec.state.status = "running";
  rec.state.startedAt = now;
  rec.state.finishedAt = ZERO_TIME;
  rec.state.exitCode = 0;
  rec.state.error = "";
  rec.state.oomKilled = false;
  if (o.restart) rec.state.restartCount++;
  else rec.state.manuallyStopped = false;
  if (hc) rec.state.health = { status: "starting", failingStreak: 0, log: rec.state.health?.log ?? [] };
  saveRecord(rec, { durable: false });
  trace("engine start: record saved (running)");
  emitEvent({ type: "container", action: "start", id, attributes: { name: rec.name, image: rec.imageName } });
  return rec;
}

export function specExists(id: string): boolean {
  return existsSync(`${bundleDir(id)}/config.json`);
}
