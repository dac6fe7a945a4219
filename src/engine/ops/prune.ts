// container prune: every stopped container (optionally filtered by label / until).
import type { ContainerRecord } from "../model.ts";
import { containerDir } from "../paths.ts";
import { current } from "../runtime.ts";
import { containerIds, tryLoadRecord } from "../store.ts";
import { removeContainer } from "./remove.ts";
import { dirSize } from "../volumes/size.ts";

export async function pruneContainers(keep: (r: ContainerRecord) => boolean = () => false): Promise<{ deleted: string[]; reclaimed: number }> {
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const id of containerIds()) {
    if (!tryLoadRecord(id)) continue;
    const cur = await current(id).catch(() => undefined);
    if (!cur) continue;
    const st = cur.obs.status;
    if (st !== "exited" && st !== "created" && st !== "dead") continue;
    if (keep(cur.rec)) continue;
    reclaimed += dirSize(`${containerDir(id)}/diff`);
    try {
      await removeContainer(id);
      deleted.push(id);
    } catch {
      /* started meanwhile */
    }
  }
  return { deleted, reclaimed };
}
