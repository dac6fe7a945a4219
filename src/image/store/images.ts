// Image records: berthRoot()/images.json, one document for all images (so retagging, which
// touches two records, is one atomic write). Every change happens under the store lock.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { withLock } from "../../sys/lock.ts";
import { writeFileAtomic } from "../../sys/atomic.ts";
import { lockPath, root } from "./content.ts";

export interface LayerRef {
  /** digest of the blob as distributed (compressed) */
  digest: string;
  mediaType: string;
  /** compressed size */
  size: number;
  /** digest of the uncompressed tar (names the unpacked directory) */
  diffId: string;
  /** unpacked size in bytes (file contents) */
  unpackedSize?: number;
}

export interface ImageRecord {
  /** the config digest ("sha256:…"): Docker's image ID */
  id: string;
  /** normalised "domain/path:tag" names */
  repoTags: string[];
  /** normalised "domain/path@sha256:…" (the digest pulled: index or manifest) */
  repoDigests: string[];
  manifestDigest: string;
  manifestMediaType: string;
  /** set when the image came from an index / manifest list */
  indexDigest?: string;
  layers: LayerRef[];
  /** unpacked size in bytes */
  size: number;
  /** config's created time */
  created: string;
  /** when the record was written */
  added: string;
  platform: string;
}

interface Db {
  version: 1;
  images: Record<string, ImageRecord>;
}

export function dbPath(): string {
  return join(root(), "images.json");
}

export function readDb(): Db {
  const p = dbPath();
  if (!existsSync(p)) return { version: 1, images: {} };
  try {
    return JSON.parse(readFileSync(p, "utf8")) as Db;
  } catch (e) {
    throw new Error(`image database ${p} is unreadable: ${(e as Error).message}`);
  }
}

export function allImages(): ImageRecord[] {
  return Object.values(readDb().images);
}

/** Read-modify-write the database under the store lock. */
export async function updateDb<T>(fn: (db: Db) => T | Promise<T>): Promise<T> {
  return withLock(lockPath(), async () => {
    const db = readDb();
    const out = await fn(db);
    writeFileAtomic(dbPath(), JSON.stringify(db, null, 1));
    return out;
  });
}

/** Give `name` (normalised "domain/path:tag") to image `id`, taking it from any other image. */
export function setTag(db: Db, id: string, name: string): void {
  for (const img of Object.values(db.images)) {
    if (img.id !== id) img.repoTags = img.repoTags.filter((t) => t !== name);
  }
  const rec = db.images[id];
  if (!rec) throw new Error(`no such image: ${id}`);
  if (!rec.repoTags.includes(name)) rec.repoTags.push(name);
}
