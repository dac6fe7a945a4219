// rm: a stopped container's runtime leftovers, files and name; -f kills a running one first;
// -v also removes its anonymous volumes.
import { ConflictError, type ContainerRecord } from "../model.ts";
import { cleanupRuntime, destroy, monitorAlive, observe } from "../runtime.ts";
import { NoSuchContainerError } from "../model.ts";
import { loadRecord, removeContainerFiles, saveRecord, withContainerLock } from "../store.ts";
import { sweepTrash } from "../trash.ts";

export async function removeContainer(id: string, o: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
  const rec = await withContainerLock(id, async () => {
    let rec;
    try {
      rec = loadRecord(id);
    } catch (e) {
      // a directory a killed create left without its record
      if (!(e instanceof NoSuchContainerError) || !o.force) throw e;
      await cleanupRuntime({ id } as ContainerRecord);
      removeContainerFiles(id, "");
      return undefined;
    }
    const st = observe(rec).status;
    const active = st === "running" || st === "paused" || st === "restarting";
    if (active && !o.force) {
      throw new ConflictError(`You cannot remove a ${st} container ${id}. Stop the container before attempting removal or force remove`);
    }
    if (active) {
      rec.state.manuallyStopped = true;
      rec.state.status = "removing";
      saveRecord(rec);
      // the monitor first: it would otherwise write into the directory being removed
      if (monitorAlive(rec)) {
        try {
          process.kill(rec.state.monitorPid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
    // kills what still runs (the monitor's exit command then finds no record and stops)
    await cleanupRuntime(rec);
    await destroy(rec);
    return rec;
  });
  // what an attached `run --rm` left for an exit command that never came (a killed monitor)
  sweepTrash();
  if (rec && o.volumes) {
    const anon = rec.mounts.filter((m) => m.type === "volume" && /^[a-f0-9]{64}$/.test(m.source));
    if (anon.length) {
      const v = await import("../volumes/index.ts");
      for (const m of anon) {
        try {
          v.removeVolume(m.source);
        } catch {
          /* in use by another container */
        }
      }
    }
  }
}
