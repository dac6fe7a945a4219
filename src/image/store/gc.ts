// Garbage collection: blobs and unpacked layers nothing references (no image record, no live
// lease) are removed, under the store lock.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { withLock } from "../../sys/lock.ts";
import { blobPath, ingestDir, listBlobs, lockPath, removeBlob } from "./content.ts";
import { readDb } from "./images.ts";
import { layerDir, layersRoot, listLayers, removeLayer } from "./layers.ts";
import { leasedDigests } from "./leases.ts";

export interface GcResult {
  blobs: string[];
  layers: string[];
  bytes: number;
}

function dirBytes(p: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const q = join(d, e.name);
      if (e.isDirectory()) walk(q);
      else if (e.isFile()) total += statSync(q).size;
    }
  };
  try {
    walk(p);
  } catch {
    // vanished
  }
  return total;
}

const STALE_MS = 60 * 60 * 1000;

function referenced(): Set<string> {
  const keep = leasedDigests();
  for (const img of Object.values(readDb().images)) {
    keep.add(img.id);
    keep.add(img.manifestDigest);
    if (img.indexDigest) keep.add(img.indexDigest);
    for (const l of img.layers) {
      keep.add(l.digest);
      keep.add(l.diffId);
    }
  }
  return keep;
}

/** Remove unreferenced content. Call with the store lock NOT held. */
export async function collectGarbage(): Promise<GcResult> {
  return withLock(lockPath(), () => collectGarbageLocked());
}

/** The same, for callers already holding the store lock. */
export function collectGarbageLocked(): GcResult {
  const keep = referenced();
  const out: GcResult = { blobs: [], layers: [], bytes: 0 };
  for (const d of listBlobs()) {
    if (keep.has(d)) continue;
    try {
      out.bytes += statSync(blobPath(d)).size;
    } catch {
      continue;
    }
    removeBlob(d);
    out.blobs.push(d);
  }
  for (const d of listLayers()) {
    if (keep.has(d)) continue;
    out.bytes += dirBytes(layerDir(d));
    removeLayer(d);
    out.layers.push(d);
  }
  // leftovers of crashed pulls: temp unpack dirs and partial downloads, once stale
  const now = Date.now();
  for (const [dir, keepLocks] of [
    [join(layersRoot(), "tmp"), false],
    [ingestDir(), true],
  ] as const) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (keepLocks && n.endsWith(".lock")) continue;
      const p = join(dir, n);
      try {
        if (now - statSync(p).mtimeMs > STALE_MS) rmSync(p, { recursive: true, force: true });
      } catch {
        // gone
      }
    }
  }
  return out;
}
