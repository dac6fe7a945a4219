// Which ContainerFs a container gets: its running root (/proc/<pid>/root) or, when it is not
// running, its overlay layers read (and written) from the host without mounting anything.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { layerDirs } from "../../image/index.ts";
import type { Spec } from "../../runtime/spec.ts";
import type { ContainerRecord } from "../model.ts";
import { containerDir } from "../paths.ts";
import { current } from "../runtime.ts";
import { NoSuchContainerError } from "../model.ts";
import { LayeredFs, RootFs, type ContainerFs } from "./view.ts";

export const upperDir = (id: string): string => join(containerDir(id), "diff");

/** The image's layers, top-most first. */
export function imageLayersTopFirst(rec: ContainerRecord): string[] {
  return layerDirs(rec.image).reverse();
}

export function layeredFs(rec: ContainerRecord): LayeredFs {
  return new LayeredFs([upperDir(rec.id), ...imageLayersTopFirst(rec)], `container ${rec.name}`);
}

export interface OpenedFs {
  rec: ContainerRecord;
  fs: ContainerFs;
  running: boolean;
}

export async function containerFs(id: string): Promise<OpenedFs> {
  const cur = await current(id);
  if (!cur) throw new NoSuchContainerError(id);
  const { rec, obs } = cur;
  if ((obs.status === "running" || obs.status === "paused") && obs.pid > 0) {
    return { rec, fs: new RootFs(`/proc/${obs.pid}/root`, `container ${rec.name}`), running: true };
  }
  return { rec, fs: layeredFs(rec), running: false };
}

/** Mount destinations of the container's spec (the runtime creates their stubs in the upper dir). */
export function mountTargets(rec: ContainerRecord): string[] {
  try {
    const spec = JSON.parse(readFileSync(rec.specPath, "utf8")) as Spec;
    return (spec.mounts ?? []).map((m) => m.destination.replace(/^\/+|\/+$/g, ""));
  } catch {
    return [];
  }
}
