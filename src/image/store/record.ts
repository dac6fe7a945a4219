// Write an image record for content already in the stores (load, import).
import type { ImageConfig } from "../manifest.ts";
import { platformString } from "../manifest.ts";
import { hasBlob } from "./content.ts";
import { setTag, updateDb, type ImageRecord, type LayerRef } from "./images.ts";
import { hasLayer } from "./layers.ts";

export interface NewImage {
  manifestDigest: string;
  manifestMediaType: string;
  indexDigest?: string;
  configDigest: string;
  config: ImageConfig;
  layers: LayerRef[];
  /** normalised "domain/path:tag" */
  tags: string[];
  repoDigests?: string[];
}

export async function recordImage(n: NewImage): Promise<ImageRecord> {
  return updateDb((db) => {
    for (const l of n.layers) if (!hasLayer(l.diffId) || !hasBlob(l.digest)) throw new Error(`layer ${l.digest} is missing from the store`);
    const old = db.images[n.configDigest];
    const rec: ImageRecord = old ?? {
      id: n.configDigest,
      repoTags: [],
      repoDigests: [],
      manifestDigest: n.manifestDigest,
      manifestMediaType: n.manifestMediaType,
      layers: n.layers,
      size: n.layers.reduce((a, l) => a + (l.unpackedSize ?? 0), 0),
      created: n.config.created ?? new Date(0).toISOString(),
      added: new Date().toISOString(),
      platform: platformString({ os: n.config.os, architecture: n.config.architecture, ...(n.config.variant ? { variant: n.config.variant } : {}) }),
    };
    if (n.indexDigest) rec.indexDigest = n.indexDigest;
    db.images[rec.id] = rec;
    for (const t of n.tags) setTag(db, rec.id, t);
    for (const d of n.repoDigests ?? []) if (!rec.repoDigests.includes(d)) rec.repoDigests.push(d);
    return rec;
  });
}
