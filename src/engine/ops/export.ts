// export: the container's merged filesystem (image layers + its writable layer, whiteouts
// applied) as one tar stream, read from the layers on the host; volumes are not included.
import { emitEvent } from "../events.ts";
import { TarWriterSink, walkTree } from "../fs/copy.ts";
import { layeredFs } from "../fs/container.ts";
import { loadRecord } from "../store.ts";

export function exportContainer(id: string, write: (b: Uint8Array) => void): void {
  const rec = loadRecord(id);
  const sink = new TarWriterSink(write);
  walkTree(layeredFs(rec), "", "", sink, { omitTop: true });
  sink.end();
  emitEvent({ type: "container", action: "export", id, attributes: { name: rec.name, image: rec.imageName } });
}
