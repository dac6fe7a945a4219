// Push a local image: its layer and config blobs, then the very manifest bytes it was stored
// with (so a pushed image keeps its digest).
import { normalizeReference, repoName } from "./reference.ts";
import { RegistryClient, type ClientOptions } from "./registry/client.ts";
import { blobPath, blobSize, hasBlob, readBlob } from "./store/content.ts";
import { resolveImage } from "./manage.ts";
import { emitEvent } from "../engine/events.ts";
import { familiarName, refString } from "./reference.ts";

export type PushEvent =
  | { type: "layer"; digest: string; status: "preparing" | "pushing" | "pushed" | "exists"; size: number }
  | { type: "done"; tag: string; digest: string; size: number };

export interface PushOptions extends ClientOptions {
  onProgress?: (e: PushEvent) => void;
}

export async function pushImage(reference: string, opts: PushOptions = {}): Promise<{ digest: string; size: number }> {
  const ref = normalizeReference(reference);
  const img = resolveImage(reference);
  const name = repoName(ref);
  if (!ref.digest && !img.repoTags.includes(`${name}:${ref.tag}`)) throw new Error(`An image does not exist locally with the tag: ${reference}`);
  const client = new RegistryClient(ref.domain, opts);
  const emit = opts.onProgress ?? (() => undefined);
  const blobs = [...img.layers.map((l) => ({ digest: l.digest, size: l.size })), { digest: img.id, size: 0 }];
  for (const b of blobs) {
    if (!hasBlob(b.digest)) throw new Error(`blob ${b.digest} of image ${img.id} is missing from the content store`);
    const size = blobSize(b.digest);
    emit({ type: "layer", digest: b.digest, status: "preparing", size });
    if (await client.hasBlob(ref.path, b.digest)) {
      emit({ type: "layer", digest: b.digest, status: "exists", size });
      continue;
    }
    emit({ type: "layer", digest: b.digest, status: "pushing", size });
    await client.putBlob(ref.path, b.digest, Bun.file(blobPath(b.digest)), size);
    emit({ type: "layer", digest: b.digest, status: "pushed", size });
  }
  const manifest = readBlob(img.manifestDigest);
  const digest = await client.putManifest(ref.path, ref.digest ?? ref.tag ?? "latest", manifest, img.manifestMediaType);
  emit({ type: "done", tag: ref.tag ?? "", digest, size: manifest.length });
  emitEvent({ type: "image", action: "push", id: familiarName(refString(ref)), attributes: { name: familiarName(name) } });
  return { digest, size: manifest.length };
}
