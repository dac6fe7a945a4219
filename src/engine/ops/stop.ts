// stop and kill. Neither holds the container's lock while waiting: the exit command needs it
// to record the exit. Both mark the container as stopped by the user first (no restart).
import { SIGNALS } from "../../runtime/linux.ts";
import { managerFor, sleep } from "../../runtime/ops/common.ts";
import { killContainer as runtimeKill } from "../../runtime/ops/kill.ts";
import { resumeContainer } from "../../runtime/ops/pause.ts";
import { isAlive } from "../../runtime/state.ts";
import { emitEvent } from "../events.ts";
import { ConflictError, type ContainerRecord } from "../model.ts";
import { current, observe, runtimeStore, settle } from "../runtime.ts";
import { loadRecord, saveRecord, tryLoadRecord, withContainerLock } from "../store.ts";

export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw new Error(`invalid signal: ${s}`);
    return n;
  }
  const name = s.toUpperCase().replace(/^SIG/, "");
  const n = SIGNALS[`SIG${name}`] ?? SIGNALS[name];
  if (n === undefined) throw new Error(`invalid signal: ${s}`);
  return n;
}

/** Mark as stopped by the user; returns the record and whether its process runs. */
async function markStopped(id: string): Promise<{ rec: ContainerRecord; running: boolean }> {
  return withContainerLock(id, () => {
    const rec = loadRecord(id);
    const o = observe(rec);
    rec.state.manuallyStopped = true;
    if (o.status === "restarting") rec.state.status = "exited"; // the waiting exit command gives up
    saveRecord(rec);
    return { rec, running: o.status === "running" || o.status === "paused" };
  });
}

/** Wait until the exit is recorded (by the monitor's exit command), settling if it died. */
export async function waitRecorded(id: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    const rec = tryLoadRecord(id);
    if (!rec) return;
    const o = observe(rec);
    if (o.status !== "running" && o.status !== "paused" && rec.state.status !== "running" && rec.state.status !== "paused") return;
    if (o.stale) await settle(id);
    await sleep(i < 20 ? 5 : 25);
  }
}

function signalInit(id: string, sig: number): void {
  try {
    runtimeKill(runtimeStore(), id, sig);
  } catch {
    /* exited meanwhile */
  }
}

export async function stopContainer(id: string, timeoutSec?: number): Promise<void> {
  const { rec, running } = await markStopped(id);
  if (!running) return;
  const t = timeoutSec ?? rec.config.stopTimeout;
  const s = runtimeStore().load(id);
  try {
    if (managerFor(s).frozen()) resumeContainer(runtimeStore(), id);
  } catch {
    /* not paused */
  }
  if (t !== 0) signalInit(id, parseSignal(rec.config.stopSignal));
  const deadline = Date.now() + (t < 0 ? 1e12 : t * 1000);
  for (let i = 0; isAlive(s) && Date.now() < deadline; i++) await sleep(i < 20 ? 5 : 50);
  if (isAlive(s)) {
    try {
      managerFor(s).killAll(9);
    } catch {
      signalInit(id, 9);
    }
  }
  await waitRecorded(id);
  emitEvent({ type: "container", action: "stop", id, attributes: { name: rec.name, image: rec.imageName } });
}

export async function killContainer(id: string, signal = "KILL"): Promise<void> {
  const sig = parseSignal(signal);
  const cur = await current(id);
  if (!cur || (cur.obs.status !== "running" && cur.obs.status !== "paused")) throw new ConflictError(`cannot kill container: ${id}: container ${id} is not running`);
  const stopping = sig === 9 || sig === parseSignal(cur.rec.config.stopSignal);
  if (stopping) await markStopped(id);
  if (sig === 9) {
    const s = runtimeStore().load(id);
    try {
      if (managerFor(s).frozen()) managerFor(s).thaw();
    } catch {
      /* no freezer */
    }
  }
  signalInit(id, sig);
  emitEvent({ type: "container", action: "kill", id, attributes: { name: cur.rec.name, image: cur.rec.imageName, signal: String(sig) } });
  if (sig === 9) await waitRecorded(id, 5000);
}
