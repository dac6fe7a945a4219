// rename: claim the new name (O_EXCL), then release the old one.
import { emitEvent } from "../events.ts";
import { ConflictError } from "../model.ts";
import { loadRecord, releaseName, reserveName, saveRecord, withContainerLock } from "../store.ts";

export function renameContainer(id: string, newName: string): Promise<void> {
  const name = newName.replace(/^\//, "");
  return withContainerLock(id, () => {
    const rec = loadRecord(id);
    if (rec.name === name) throw new ConflictError(`Renaming a container with the same name as its current name`);
    reserveName(name, id);
    const old = rec.name;
    rec.name = name;
    saveRecord(rec);
    releaseName(old, id);
    emitEvent({ type: "container", action: "rename", id, attributes: { name, oldName: `/${old}`, image: rec.imageName } });
  });
}
