// Which containers use which image: berthRoot()/containers/<id>/config.json has an "image"
// field holding the image ID (written by the engine). Read-only from here.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { berthRoot } from "../sys/paths.ts";

export function containersUsing(imageId: string): string[] {
  const dir = join(berthRoot(), "containers");
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const want = imageId.replace(/^sha256:/, "");
  const out: string[] = [];
  for (const n of names) {
    try {
      const cfg = JSON.parse(readFileSync(join(dir, n, "config.json"), "utf8")) as { image?: unknown; Image?: unknown };
      const img = typeof cfg.image === "string" ? cfg.image : typeof cfg.Image === "string" ? cfg.Image : "";
      if (img.replace(/^sha256:/, "") === want) out.push(n);
    } catch {
      // not a container directory, or being written
    }
  }
  return out;
}

/** Image IDs used by any container. */
export function imagesInUse(): Set<string> {
  const dir = join(berthRoot(), "containers");
  const out = new Set<string>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const cfg = JSON.parse(readFileSync(join(dir, n, "config.json"), "utf8")) as { image?: unknown; Image?: unknown };
      const img = typeof cfg.image === "string" ? cfg.image : typeof cfg.Image === "string" ? cfg.Image : "";
      if (img) out.add(img.startsWith("sha256:") ? img : `sha256:${img}`);
    } catch {
      // skip
    }
  }
  return out;
}
