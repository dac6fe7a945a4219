// On-disk layout of volumes (Docker's): <root>/volumes/<name>/_data holds the content and
// <root>/volumes/<name>/volume.json the metadata (written as temp file + rename). Creating and
// removing volumes is serialised by one flock lock, <root>/volumes/.lock.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { berthRoot } from "../../sys/paths.ts";
import { tryLock, unlock } from "../../sys/lock.ts";

export interface Volume {
  name: string;
  driver: "local";
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  scope: "local";
}

export class NoSuchVolumeError extends Error {
  override name = "NoSuchVolumeError";
  constructor(readonly volume: string) {
    super(`get ${volume}: no such volume`);
  }
}

export class VolumeInUseError extends Error {
  override name = "VolumeInUseError";
  constructor(readonly volume: string, readonly containers: string[]) {
    super(`remove ${volume}: volume is in use - [${containers.join(", ")}]`);
  }
}

export class InvalidVolumeError extends Error {
  override name = "InvalidVolumeError";
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's local-driver name rule, with Docker's message. */
export function validateName(name: string): void {
  if (!NAME.test(name))
    throw new InvalidVolumeError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
}

export const volumesDir = (): string => join(berthRoot(), "volumes");
export const volumeDir = (name: string): string => join(volumesDir(), name);
export const dataDir = (name: string): string => join(volumeDir(name), "_data");
const metaPath = (name: string): string => join(volumeDir(name), "volume.json");

export function readMeta(name: string): Volume | undefined {
  if (!NAME.test(name)) return undefined;
  try {
    const m = JSON.parse(readFileSync(metaPath(name), "utf8")) as Partial<Volume>;
    return {
      name,
      driver: "local",
      mountpoint: dataDir(name),
      createdAt: typeof m.createdAt === "string" ? m.createdAt : "",
      labels: m.labels ?? {},
      options: m.options ?? {},
      scope: "local",
    };
  } catch {
    // a directory without metadata (half-created, or made by hand) is still a volume
    return existsSync(dataDir(name))
      ? { name, driver: "local", mountpoint: dataDir(name), createdAt: "", labels: {}, options: {}, scope: "local" }
      : undefined;
  }
}

export function writeMeta(v: Volume): void {
  const tmp = `${metaPath(v.name)}.${process.pid}.tmp`;
  const { name: _n, mountpoint: _m, ...rest } = v;
  writeFileSync(tmp, JSON.stringify(rest) + "\n", { mode: 0o600 });
  renameSync(tmp, metaPath(v.name));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Run fn holding the volumes lock (synchronous: the volume API is synchronous). */
export function withVolumesLock<T>(fn: () => T, timeoutMs = 60_000): T {
  mkdirSync(volumesDir(), { recursive: true, mode: 0o701 });
  const path = join(volumesDir(), ".lock");
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  let fd: number | undefined;
  while ((fd = tryLock(path)) === undefined) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
    Atomics.wait(sleeper, 0, 0, wait);
    wait = Math.min(wait * 2, 50);
  }
  try {
    return fn();
  } finally {
    unlock(fd);
  }
}
