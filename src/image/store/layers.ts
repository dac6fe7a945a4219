// Unpacked layers: berthRoot()/layers/sha256/<diffid hex>/ holds the layer's files in overlayfs
// form. A layer is unpacked into layers/tmp/ and renamed into place when complete.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isDigest } from "../reference.ts";
import { root } from "./content.ts";

export function layersRoot(): string {
  return join(root(), "layers");
}

export function layerDir(diffId: string): string {
  if (!isDigest(diffId)) throw new Error(`invalid layer diff ID "${diffId}"`);
  return join(layersRoot(), "sha256", diffId.slice(7));
}

export function hasLayer(diffId: string): boolean {
  return existsSync(layerDir(diffId));
}

export function newLayerTemp(): string {
  const t = join(layersRoot(), "tmp");
  mkdirSync(t, { recursive: true });
  return mkdtempSync(join(t, "unpack-"));
}

/** Move an unpacked temp dir into place (or drop it if another process won the race). */
export function commitLayer(tmp: string, diffId: string): void {
  const dst = layerDir(diffId);
  mkdirSync(join(layersRoot(), "sha256"), { recursive: true });
  if (existsSync(dst)) {
    rmSync(tmp, { recursive: true, force: true });
    return;
  }
  try {
    renameSync(tmp, dst);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dst)) throw e;
  }
}

export function listLayers(): string[] {
  try {
    return readdirSync(join(layersRoot(), "sha256"))
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  } catch {
    return [];
  }
}

/** Remove a layer: renamed away first, so no half-deleted layer is ever visible under its name. */
export function removeLayer(diffId: string): void {
  const dir = layerDir(diffId);
  if (!existsSync(dir)) return;
  const t = join(layersRoot(), "tmp");
  mkdirSync(t, { recursive: true });
  const gone = join(t, `rm-${diffId.slice(7, 19)}-${process.pid}-${Date.now()}`);
  renameSync(dir, gone);
  rmSync(gone, { recursive: true, force: true });
}
