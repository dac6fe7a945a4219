// pause/unpause: the cgroup freezer, through the runtime.
import { pauseContainer as rtPause, resumeContainer as rtResume } from "../../runtime/ops/pause.ts";
import { emitEvent } from "../events.ts";
import { ConflictError } from "../model.ts";
import { observe, runtimeStore } from "../runtime.ts";
import { loadRecord, saveRecord, withContainerLock } from "../store.ts";

export function pauseContainer(id: string, pause: boolean): Promise<void> {
  return withContainerLock(id, () => {
    const rec = loadRecord(id);
    const st = observe(rec).status;
    if (pause && st !== "running") throw new ConflictError(st === "paused" ? `Container ${id} is already paused` : `Container ${id} is not running`);
    if (!pause && st !== "paused") throw new ConflictError(`Container ${id} is not paused`);
    if (pause) rtPause(runtimeStore(), id);
    else rtResume(runtimeStore(), id);
    rec.state.status = pause ? "paused" : "running";
    saveRecord(rec);
    emitEvent({ type: "container", action: pause ? "pause" : "unpause", id, attributes: { name: rec.name, image: rec.imageName } });
  });
}
