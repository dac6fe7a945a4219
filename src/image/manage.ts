// Local image operations: resolve, tag, remove, prune, history, disk usage.
import { containersUsing, imagesInUse } from "./containers.ts";
import type { HistoryEntry, ImageConfig } from "./manifest.ts";
import { familiarName, normalizeReference, parseReference, repoName, splitNamed } from "./reference.ts";
import { readBlob } from "./store/content.ts";
import { collectGarbageLocked } from "./store/gc.ts";
import { allImages, readDb, setTag, updateDb, type ImageRecord } from "./store/images.ts";
import { layerDir } from "./store/layers.ts";
import { emitEvent } from "../engine/events.ts";

export class NoSuchImageError extends Error {
  override name = "NoSuchImageError";
  constructor(readonly ref: string) {
    super(`No such image: ${ref}`);
  }
}

export class ImageConflictError extends Error {
  override name = "ImageConflictError";
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

function findIn(images: ImageRecord[], nameOrId: string): ImageRecord | undefined {
  const s = nameOrId.trim();
  // by reference first (Docker's order), then by ID or unique ID prefix
  try {
    const r = parseReference(s);
    if (r.digest) {
      const name = repoName(r);
      const hit = images.find((i) => i.repoDigests.includes(`${name}@${r.digest}`) || (i.repoTags.some((t) => splitNamed(t).name === name) && (i.manifestDigest === r.digest || i.indexDigest === r.digest)));
      if (hit) return hit;
    } else {
      const full = `${repoName(r)}:${r.tag ?? "latest"}`;
      const hit = images.find((i) => i.repoTags.includes(full));
      if (hit) return hit;
    }
  } catch {
    // not a reference; maybe an ID
  }
  const hex = s.replace(/^sha256:/, "");
  if (/^[a-f0-9]{1,64}$/.test(hex)) {
    const hits = images.filter((i) => i.id.slice(7).startsWith(hex));
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) throw new Error(`image ID prefix "${s}" is ambiguous`);
  }
  return undefined;
}

/** The image a name, reference, ID or ID prefix designates; throws NoSuchImageError. */
export function resolveImage(nameOrId: string): ImageRecord {
  const img = findIn(allImages(), nameOrId);
  if (!img) throw new NoSuchImageError(nameOrId);
  return img;
}

/** Like resolveImage, but undefined when there is no such image. */
export function findImage(nameOrId: string): ImageRecord | undefined {
  return findIn(allImages(), nameOrId);
}

export function listImages(): ImageRecord[] {
  return allImages().sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
}

/** The image's config document (OCI image config; .config has Entrypoint, Cmd, Env…). */
export function imageConfig(id: string): ImageConfig {
  const img = resolveImage(id);
  return JSON.parse(readBlob(img.id).toString("utf8")) as ImageConfig;
}

/** Unpacked layer directories of an image, base layer first (manifest order). */
export function layerDirs(id: string): string[] {
  return resolveImage(id).layers.map((l) => layerDir(l.diffId));
}

/** Tag `source` (name or ID) as `target` ("name[:tag]"). */
export async function tagImage(source: string, target: string): Promise<void> {
  const r = normalizeReference(target);
  if (r.digest) throw new Error(`refusing to create a tag with a digest reference: ${target}`);
  await updateDb((db) => {
    const img = findIn(Object.values(db.images), source);
    if (!img) throw new NoSuchImageError(source);
    setTag(db, img.id, `${repoName(r)}:${r.tag}`);
    emitEvent({ type: "image", action: "tag", id: img.id, attributes: { name: `${familiarName(repoName(r))}:${r.tag}` } });
  });
}

export interface RemoveResult {
  untagged: string[];
  deleted: string[];
}

/** Docker's rmi: untag the name given; delete the image when nothing names or uses it. */
export async function removeImage(nameOrId: string, opts: { force?: boolean; prune?: boolean } = {}): Promise<RemoveResult> {
  let removedId = "";
  return updateDb((db) => {
    const images = Object.values(db.images);
    const img = findIn(images, nameOrId);
    if (!img) throw new NoSuchImageError(nameOrId);
    removedId = img.id;
    const out: RemoveResult = { untagged: [], deleted: [] };
    const users = containersUsing(img.id);
    let byName: string | undefined;
    try {
      const r = parseReference(nameOrId);
      const full = r.digest ? `${repoName(r)}@${r.digest}` : `${repoName(r)}:${r.tag ?? "latest"}`;
      if (img.repoTags.includes(full) || img.repoDigests.includes(full)) byName = full;
    } catch {
      // an ID
    }
    const familiar = (t: string) => {
      const p = splitNamed(t);
      return `${familiarName(p.name)}${p.tag ? `:${p.tag}` : `@${p.digest}`}`;
    };
    if (byName && !byName.includes("@") && img.repoTags.length > 1) {
      img.repoTags = img.repoTags.filter((t) => t !== byName);
      out.untagged.push(familiar(byName));
      return out;
    }
    if (users.length > 0 && !opts.force) {
      const what = byName ? `repository reference "${familiar(byName)}"` : shortId(img.id);
      throw new ImageConflictError(`conflict: unable to remove ${what} (must force) - container ${users[0]!.slice(0, 12)} is using its referenced image ${shortId(img.id)}`);
    }
    if (!byName && img.repoTags.length > 1 && !opts.force) {
      throw new ImageConflictError(`conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`);
    }
    for (const t of img.repoTags) out.untagged.push(familiar(t));
    for (const d of img.repoDigests) out.untagged.push(familiar(d));
    img.repoTags = [];
    img.repoDigests = [];
    if (users.length > 0) return out; // forced: untagged, kept for its containers
    delete db.images[img.id];
    out.deleted.push(img.id);
    return out;
  }).then(async (res) => {
    for (const a of [...res.untagged.map(() => "untag"), ...res.deleted.map(() => "delete")]) emitEvent({ type: "image", action: a, id: removedId, attributes: { name: removedId } });
    // content is collected once the record is gone
    if (res.deleted.length > 0 && opts.prune !== false) {
      const { collectGarbage } = await import("./store/gc.ts");
      const gc = await collectGarbage();
      for (const l of gc.layers) res.deleted.push(l);
    }
    return res;
  });
}

export interface PruneResult {
  deleted: string[];
  untagged: string[];
  spaceReclaimed: number;
}

/** image prune: dangling images (or, with all, every image no container uses), then GC. */
export async function pruneImages(opts: { all?: boolean; filter?: (img: ImageRecord) => boolean } = {}): Promise<PruneResult> {
  const inUse = imagesInUse();
  const out: PruneResult = { deleted: [], untagged: [], spaceReclaimed: 0 };
  await updateDb((db) => {
    for (const img of Object.values(db.images)) {
      if (inUse.has(img.id)) continue;
      if (!opts.all && img.repoTags.length > 0) continue;
      if (opts.filter && !opts.filter(img)) continue;
      for (const t of img.repoTags) out.untagged.push(t);
      delete db.images[img.id];
      out.deleted.push(img.id);
    }
  });
  const { collectGarbage } = await import("./store/gc.ts");
  for (const d of out.deleted) emitEvent({ type: "image", action: "delete", id: d, attributes: { name: d } });
  const gc = await collectGarbage();
  out.spaceReclaimed = gc.bytes;
  for (const l of gc.layers) out.deleted.push(l);
  return out;
}

export { collectGarbageLocked };

export interface HistoryItem {
  id: string;
  created: string;
  createdBy: string;
  size: number;
  comment: string;
}

/** Newest first, as `docker history` shows it. */
export function imageHistory(nameOrId: string): HistoryItem[] {
  const img = resolveImage(nameOrId);
  const cfg = imageConfig(img.id);
  const hist: HistoryEntry[] = cfg.history ?? img.layers.map(() => ({}));
  let li = 0;
  const items: HistoryItem[] = hist.map((h) => {
    const layer = h.empty_layer ? undefined : img.layers[li++];
    return { id: "<missing>", created: h.created ?? "", createdBy: h.created_by ?? "", size: layer?.unpackedSize ?? 0, comment: h.comment ?? "" };
  });
  items.reverse();
  if (items[0]) items[0].id = img.id;
  return items;
}

export interface DiskUsage {
  images: { id: string; repoTags: string[]; size: number; sharedSize: number; uniqueSize: number; containers: number; created: string }[];
  layersSize: number;
  blobsSize: number;
  /** bytes `image prune -a` would free (images no container uses; shared layers counted once) */
  reclaimable: number;
}

/** For `system df`: sizes from the records (unpacked bytes) plus compressed blobs. */
export function diskUsage(): DiskUsage {
  const db = readDb();
  const imgs = Object.values(db.images);
  const inUse = imagesInUse();
  const layerUsers = new Map<string, number>();
  const layerSize = new Map<string, number>();
  for (const i of imgs)
    for (const l of i.layers) {
      layerUsers.set(l.diffId, (layerUsers.get(l.diffId) ?? 0) + 1);
      layerSize.set(l.diffId, l.unpackedSize ?? 0);
    }
  let blobsSize = 0;
  for (const i of imgs) for (const l of i.layers) blobsSize += l.size;
  const usedLayers = new Set<string>();
  for (const i of imgs) if (inUse.has(i.id)) for (const l of i.layers) usedLayers.add(l.diffId);
  let reclaimable = 0;
  for (const [d, s] of layerSize) if (!usedLayers.has(d)) reclaimable += s;
  return {
    images: imgs.map((i) => {
      const shared = i.layers.filter((l) => (layerUsers.get(l.diffId) ?? 0) > 1).reduce((a, l) => a + (l.unpackedSize ?? 0), 0);
      return { id: i.id, repoTags: i.repoTags, size: i.size, sharedSize: shared, uniqueSize: i.size - shared, containers: containersUsing(i.id).length, created: i.created };
    }),
    layersSize: [...layerSize.values()].reduce((a, b) => a + b, 0),
    blobsSize,
    reclaimable,
  };
}
