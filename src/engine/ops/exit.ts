// What happens when a container's init exits. The monitor writes the exit file and execs
// `berth __container-exited <id>` (same pid as the monitor, so the record's monitorPid
// identifies the legitimate handler): record the exit (code, time, OOM kill from the cgroup
// before it is removed), clean the runtime, then --rm or the restart policy with Docker's
// back-off (100 ms doubling, reset after 10 s up).
import { sleep } from "../../runtime/ops/common.ts";
import { emitEvent } from "../events.ts";
import type { ContainerRecord } from "../model.ts";
import { cleanupRuntime, destroy, markExited, oomKilled, readExitFile, runtimeStore } from "../runtime.ts";
import { existsSync, rmSync } from "node:fs";
import { containerDir } from "../paths.ts";
import { lockPath, loadRecord, saveRecord, tryLoadRecord, withContainerLock } from "../store.ts";
import { launch } from "./start.ts";
import { teardownLeftoverNetwork } from "../network.ts";
import { trace } from "../../sys/trace.ts";

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 60_000;
const BACKOFF_RESET_MS = 10_000;

export function shouldRestart(rec: ContainerRecord, code: number): boolean {
  const p = rec.options.restart;
  if (rec.state.manuallyStopped) return false;
  switch (p.name) {
    case "always":
    case "unless-stopped":
      return true;
    case "on-failure":
      return code !== 0 && (p.maximumRetryCount === 0 || rec.state.restartCount < p.maximumRetryCount);
    default:
      return false;
  }
}

/** Record the exit of the container whose monitor was `monitorPid`. With allowRestart false
 *  (the attached `run` client) restart policies are left to the monitor's exit command; with
 *  deferNetwork (the attached `run --rm` client, its monitor alive) so is the network teardown
 *  of a removed container: the exit command finds the network state and tears it down. */
export async function handleExit(id: string, monitorPid: number, allowRestart = true, deferNetwork = false): Promise<void> {
  let delay = 0;
  const proceed = await withContainerLock(id, async () => {
    trace("exit: locked");
    const rec = tryLoadRecord(id);
    if (!rec) {
      // removed while running (rm -f) or by the attached `run --rm`: only leftovers to clean,
      // and the lock file that taking the lock just recreated (nothing else can want the lock
      // of a container that is gone; a create in progress has its directory)
      if (runtimeStore().exists(id)) await cleanupRuntime({ id, network: undefined } as ContainerRecord);
      if (!deferNetwork) await teardownLeftoverNetwork(id);
      if (!existsSync(containerDir(id))) rmSync(lockPath(id), { force: true });
      return false;
    }
    const st = rec.state;
    if (st.monitorPid !== monitorPid || (st.status !== "running" && st.status !== "paused")) return false;
    const ex = readExitFile(id);
    const code = ex?.code ?? 137;
    const finishedAt = ex?.at ?? new Date().toISOString();
    const oom = oomKilled(rec);
    trace("exit: exit file, oom read");
    const keepNetwork = deferNetwork && rec.options.autoRemove;
    await cleanupRuntime(rec, { keepNetwork });
    trace("exit: runtime cleaned");
    markExited(rec, code, finishedAt, oom);
    emitEvent({ type: "container", action: "die", id, attributes: { name: rec.name, image: rec.imageName, exitCode: String(code) } });
    if (allowRestart && shouldRestart(rec, code)) {
      const upMs = Date.parse(finishedAt) - Date.parse(st.startedAt);
      const prev = rec.state.backoffMs ?? 0;
      delay = upMs >= BACKOFF_RESET_MS || prev === 0 ? BACKOFF_START_MS : Math.min(prev * 2, BACKOFF_MAX_MS);
      rec.state.backoffMs = delay;
      rec.state.status = "restarting";
      saveRecord(rec);
      return true;
    }
    // the attached client of a live monitor: the monitor's exit command still comes, and sweeps
    if (rec.options.autoRemove) await destroy(rec, { keepNetwork, deferFiles: deferNetwork });
    else saveRecord(rec);
    trace("exit: removed or saved");
    return false;
  });
  if (!proceed) return;
  await sleep(delay);
  await withContainerLock(id, async () => {
    const rec = tryLoadRecord(id);
    if (!rec || rec.state.status !== "restarting" || rec.state.monitorPid !== monitorPid || rec.state.manuallyStopped) return;
    try {
      await launch(rec, { restart: true });
    } catch (e) {
      const r = loadRecord(id);
      r.state.status = "exited";
      r.state.error = (e as Error).message;
      saveRecord(r);
    }
  });
}
