// What the engine needs to give a container its root: an overlay of the image's layers
// (read-only lowerdirs) plus the container's own upper and work directories.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { resolveImage } from "./manage.ts";
import type { ImageRecord } from "./store/images.ts";
import { layerDir } from "./store/layers.ts";

export interface OverlayMounts {
  /** overlayfs order: the top-most layer first */
  lowerdirs: string[];
  upperdir: string;
  workdir: string;
  /** the mount(2) data string: "lowerdir=…:…,upperdir=…,workdir=…" */
  options: string;
}

/**
 * The overlay description for a container whose state lives in containerDir: upper and work
 * dirs are containerDir/diff and containerDir/work (created here). The engine mounts it:
 * mount("overlay", target, "overlay", 0, options). An image without layers gets an empty lowerdir.
 */
export function rootfsMounts(image: string | ImageRecord, containerDir: string): OverlayMounts {
  const img = typeof image === "string" ? resolveImage(image) : image;
  const upperdir = join(containerDir, "diff");
  const workdir = join(containerDir, "work");
  mkdirSync(upperdir, { recursive: true, mode: 0o755 });
  mkdirSync(workdir, { recursive: true, mode: 0o700 });
  let lowerdirs = img.layers.map((l) => layerDir(l.diffId)).reverse();
  if (lowerdirs.length === 0) {
    const empty = join(containerDir, "empty");
    mkdirSync(empty, { recursive: true });
    lowerdirs = [empty];
  }
  for (const d of lowerdirs) if (d.includes(",") || d.includes(":")) throw new Error(`layer path ${d} cannot be used in overlay options`);
  return { lowerdirs, upperdir, workdir, options: `lowerdir=${lowerdirs.join(":")},upperdir=${upperdir},workdir=${workdir}` };
}
