// Volumes as Docker's local driver keeps them: berthRoot()/volumes/<name>/_data. This is the
// API the engine (run -v, rm -v), the volume commands and `system df` use.
import { randomHex } from "../../sys/random.ts";
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { emitEvent } from "../events.ts";
import { dirSize } from "./size.ts";
import { volumeRefs } from "./records.ts";
import {
  dataDir,
  InvalidVolumeError,
  NoSuchVolumeError,
  readMeta,
  validateName,
  volumeDir,
  volumesDir,
  VolumeInUseError,
  withVolumesLock,
  writeMeta,
  type Volume,
} from "./store.ts";

export { NoSuchVolumeError, VolumeInUseError, InvalidVolumeError, validateName, type Volume } from "./store.ts";
export { populateVolume } from "./populate.ts";
export { dirSize } from "./size.ts";
export { containerRecords, volumeRefs, type ContainerRecord } from "./records.ts";

/** Docker marks volumes created without a name; `volume prune` (without -a) removes only these. */
export const ANONYMOUS_LABEL = "com.docker.volume.anonymous";
const LOCAL_OPTS = new Set(["type", "o", "device", "size"]);

function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

export function createVolume(o: { name?: string; labels?: Record<string, string>; options?: Record<string, string> } = {}): Volume {
  const anonymous = !o.name;
  const name = o.name || randomHex(32);
  validateName(name);
  for (const [k, v] of Object.entries(o.options ?? {})) {
    if (!LOCAL_OPTS.has(k)) throw new InvalidVolumeError(`create ${name}: invalid option: "${k}"`);
    if (k === "type" && !v) throw new InvalidVolumeError(`create ${name}: missing required option: "type"`);
  }
  return withVolumesLock(() => {
    const existing = readMeta(name);
    if (existing) return existing;
    const v: Volume = {
      name,
      driver: "local",
      mountpoint: dataDir(name),
      createdAt: nowRfc3339(),
      labels: { ...(o.labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: "" } : {}) },
      options: { ...(o.options ?? {}) },
      scope: "local",
    };
    // build it aside and rename it in, so a reader never sees a half-made volume
    const tmp = join(volumesDir(), `.new-${name}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, "_data"), { recursive: true, mode: 0o755 });
    const final = volumeDir(name);
    renameSync(tmp, final);
    writeMeta(v);
    emitEvent({ type: "volume", action: "create", id: name, attributes: { driver: "local" } });
    return v;
  });
}

/** The volume called `name`, created if missing (for `run -v name:/path`). */
export function ensureVolume(name: string): Volume {
  return readMeta(name) ?? createVolume({ name });
}

export function getVolume(name: string): Volume {
  const v = readMeta(name);
  if (!v) throw new NoSuchVolumeError(name);
  return v;
}

export interface VolumeFilter {
  /** true: only volumes no container uses; false: only used ones */
  dangling?: boolean;
  /** any of these substrings of the name */
  name?: string[];
  /** all of these: "key" or "key=value" */
  label?: string[];
  /** none of these: "key" or "key=value" */
  labelNot?: string[];
  driver?: string[];
}

function hasLabel(v: Volume, spec: string): boolean {
  const i = spec.indexOf("=");
  const k = i < 0 ? spec : spec.slice(0, i);
  return k in v.labels && (i < 0 || v.labels[k] === spec.slice(i + 1));
}

function matches(v: Volume, f: VolumeFilter, refs: Map<string, string[]>): boolean {
  if (f.dangling !== undefined && (refs.has(v.name) ? f.dangling : !f.dangling)) return false;
  if (f.name?.length && !f.name.some((n) => v.name.includes(n))) return false;
  if (f.label && !f.label.every((l) => hasLabel(v, l))) return false;
  if (f.labelNot && f.labelNot.some((l) => hasLabel(v, l))) return false;
  if (f.driver?.length && !f.driver.includes(v.driver)) return false;
  return true;
}

export function listVolumes(filter: VolumeFilter = {}): Volume[] {
  let names: string[];
  try {
    names = readdirSync(volumesDir());
  } catch {
    return [];
  }
  const refs = volumeRefs();
  return names
    .sort()
    .map((n) => readMeta(n))
    .filter((v): v is Volume => v !== undefined && matches(v, filter, refs));
}

function removeLocked(name: string, force: boolean, refs: Map<string, string[]>): boolean {
  const v = readMeta(name);
  if (!v) {
    if (force) return false;
    throw new NoSuchVolumeError(name);
  }
  const users = refs.get(name);
  if (users?.length && !force) throw new VolumeInUseError(name, users);
  // rename first: the volume vanishes at once even if deleting its content takes a while
  const gone = join(volumesDir(), `.rm-${name}-${process.pid}`);
  renameSync(volumeDir(name), gone);
  rmSync(gone, { recursive: true, force: true });
  emitEvent({ type: "volume", action: "destroy", id: name, attributes: { driver: "local" } });
  return true;
}

/**
 * Remove a volume. Refuses one that a container record lists (VolumeInUseError) unless
 * `force`, which also makes a missing volume a no-op.
 */
export function removeVolume(name: string, o: { force?: boolean } = {}): void {
  withVolumesLock(() => removeLocked(name, o.force === true, volumeRefs()));
}

/** Remove unused volumes: anonymous ones, or all with `all`. */
export function pruneVolumes(o: { all?: boolean; filter?: VolumeFilter } = {}): { deleted: string[]; spaceReclaimed: number } {
  return withVolumesLock(() => {
    const refs = volumeRefs();
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const v of listVolumes({ ...(o.filter ?? {}), dangling: true })) {
      if (!o.all && !(ANONYMOUS_LABEL in v.labels)) continue;
      const size = dirSize(v.mountpoint);
      if (removeLocked(v.name, false, refs)) {
        deleted.push(v.name);
        spaceReclaimed += size;
      }
    }
    return { deleted, spaceReclaimed };
  });
}

/** Size and number of containers using each volume (for `system df`). */
export function volumeUsage(): { name: string; size: number; refCount: number }[] {
  const refs = volumeRefs();
  return listVolumes().map((v) => ({ name: v.name, size: dirSize(v.mountpoint), refCount: refs.get(v.name)?.length ?? 0 }));
}
