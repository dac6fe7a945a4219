// Hidden: `berth __container-exited ID`, the monitor's exit command (the same pid as the
// monitor, which is how the record tells the legitimate handler from a stale one).
// Usually there is nothing left to do: an attached `run` records the exit itself (and, with
// --rm, removes the container) while this process starts. That case is decided from two files
// without loading the engine or taking the container's lock (taking it would recreate the lock
// file that `--rm` just removed).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerRecord } from "../../engine/model.ts";
import { recordPath, runtimeRoot } from "../../engine/paths.ts";
import { trace } from "../../sys/trace.ts";
import { hasNetworkState } from "../../network/state-ids.ts";
import { writeStderr } from "../../sys/io.ts";
import { sweepTrash } from "../../engine/trash.ts";

/** What handleExit would find without doing anything: no record and no runtime state, or a
 *  record whose exit was already recorded (or that belongs to another monitor). Records are
 *  replaced by rename, so reading one without the lock sees a whole version. */
export function alreadyHandled(id: string, monitorPid: number): boolean {
  let text: string;
  try {
    text = readFileSync(recordPath(id), "utf8");
  } catch (e) {
    // (an attached `run --rm` leaves the network teardown to this command)
    return (e as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(join(runtimeRoot(), id)) && !hasNetworkState(id);
  }
  try {
    const st = (JSON.parse(text) as ContainerRecord).state;
    return st.monitorPid !== monitorPid || (st.status !== "running" && st.status !== "paused");
  } catch {
    return false; // damaged: let the engine deal with it
  }
}

export default async function exited(args: string[]): Promise<number> {
  const id = args[0];
  if (!id || !/^[a-f0-9]{64}$/.test(id)) return 2;
  trace("exited: modules loaded");
  // An attached `run --rm` leaves its container's files in the trash for this command: swept
  // once the record is seen gone, or once the client's lock was had (handleExit), i.e. after
  // the client moved them there.
  if (alreadyHandled(id, process.pid)) {
    sweepTrash();
    return 0;
  }
  const { handleExit } = await import("../../engine/ops/exit.ts");
  const { leaveContainerCgroup } = await import("../../engine/runtime.ts");
  leaveContainerCgroup(id);
  try {
    await handleExit(id, process.pid);
  } catch (e) {
    if (process.env.BERTH_DEBUG) writeStderr(`berth: exit of ${id}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    sweepTrash();
  }
  return 0;
}
