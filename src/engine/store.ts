// Container records on disk: berthRoot()/containers/<id>/config.json, written atomically
// (temp + rename, fsynced where a machine crash would lose what the user cares about) under a
// per-container flock; names are O_EXCL files holding the id,
// so two concurrent `berth run --name x` cannot both get x.
import { randomHex } from "../sys/random.ts";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { writeFileAtomic } from "../sys/atomic.ts";
import { join } from "node:path";
import { tryLock, unlock, withLock } from "../sys/lock.ts";
import { ConflictError, NoSuchContainerError, type ContainerRecord } from "./model.ts";
import { NAME_RE, randomName } from "./names.ts";
import { containerDir, containersDir, locksDir, namesDir, recordPath } from "./paths.ts";
import { moveToTrash } from "./trash.ts";

export function newId(): string {
  return randomHex(32);
}

export function lockPath(id: string): string {
  return join(locksDir(), `${id}.lock`);
}

/** Run fn holding the container's lock (every state change goes through here). */
export function withContainerLock<T>(id: string, fn: () => T | Promise<T>): Promise<T> {
  return withLock(lockPath(id), fn, 60_000);
}

/** Take the lock only if free: undefined when another berth process is working on it. */
export function tryContainerLock(id: string): number | undefined {
  return tryLock(lockPath(id));
}
export { unlock };

function writeAtomic(path: string, data: string, durable: boolean): void {
  writeFileAtomic(path, data, 0o600, durable);
}

/**
 * Write the record atomically (a killed process leaves the old or the new one, never a torn
 * one). `durable: false` skips the fsync for states a machine crash makes moot anyway: the
 * monitor pid and "running" (nothing runs after a reboot; `observe` derives the truth from the
 * runtime state and the exit file), and the whole record of a --rm container (a record lost
 * or torn by a crash leaves a directory without a record, which `reapOrphans` removes).
 */
export function saveRecord(r: ContainerRecord, o: { durable?: boolean } = {}): void {
  r.command = [r.config.path, ...r.config.args].join(" ");
  r.volumes = r.mounts.filter((m) => m.type === "volume").map((m) => m.source);
  r.status = r.state.status;
  r.pid = r.state.pid;
  writeAtomic(recordPath(r.id), JSON.stringify(r, null, 1), o.durable ?? true);
}

export function loadRecord(id: string): ContainerRecord {
  let text: string;
  try {
    text = readFileSync(recordPath(id), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new NoSuchContainerError(id);
    throw e;
  }
  return JSON.parse(text) as ContainerRecord;
}

export function tryLoadRecord(id: string): ContainerRecord | undefined {
  try {
    return loadRecord(id);
  } catch {
    return undefined;
  }
}

/** Every container directory (including ones whose record is missing or damaged). */
export function containerIds(): string[] {
  try {
    return readdirSync(containersDir()).filter((n) => /^[a-f0-9]{64}$/.test(n));
  } catch {
    return [];
  }
}

export function listRecords(): ContainerRecord[] {
  const out: ContainerRecord[] = [];
  for (const id of containerIds()) {
    const r = tryLoadRecord(id);
    if (r) out.push(r);
  }
  return out;
}

// --- names ------------------------------------------------------------------------------------

function nameFile(name: string): string {
  return join(namesDir(), name);
}

function nameOwner(name: string): string | undefined {
  try {
    return readFileSync(nameFile(name), "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Claim `name` for `id` (O_EXCL). A name left by a container that no longer exists is taken over. */
export function reserveName(name: string, id: string): void {
  if (!NAME_RE.test(name)) throw new ConflictError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  mkdirSync(namesDir(), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(nameFile(name), id, { flag: "wx", mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = nameOwner(name);
    if (owner && existsSync(containerDir(owner))) {
      throw new ConflictError(`Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    // stale (its container is gone, or the file is being written): remove only if still stale
    if (owner !== undefined || attempt > 0) rmSync(nameFile(name), { force: true });
  }
  throw new ConflictError(`cannot reserve the name "${name}"`);
}

export function reserveRandomName(id: string): string {
  for (let i = 0; ; i++) {
    const n = randomName(i > 5 ? i : 0);
    try {
      reserveName(n, id);
      return n;
    } catch (e) {
      if (!(e instanceof ConflictError) || i > 50) throw e;
    }
  }
}

export function releaseName(name: string, id: string): void {
  if (name) {
    if (nameOwner(name) === id) rmSync(nameFile(name), { force: true });
    return;
  }
  // unknown name (record lost): any name file pointing at id
  try {
    for (const n of readdirSync(namesDir())) if (nameOwner(n) === id) rmSync(nameFile(n), { force: true });
  } catch {
    /* no names */
  }
}

// --- lookup -----------------------------------------------------------------------------------

/** A container by name, full id or unique id prefix (Docker's order). */
export function resolveId(ref: string): string {
  const r = ref.replace(/^\//, "");
  const owner = NAME_RE.test(r) ? nameOwner(r) : undefined;
  if (owner && existsSync(containerDir(owner))) return owner;
  if (/^[a-f0-9]+$/.test(r)) {
    if (r.length === 64 && existsSync(containerDir(r))) return r;
    const hits = containerIds().filter((id) => id.startsWith(r));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new ConflictError(`multiple IDs found with provided prefix: ${r}`);
  }
  throw new NoSuchContainerError(ref);
}

/** `deferred`: the directory is renamed into the trash (engine/trash.ts) and its files go later;
 *  only for a caller after which the monitor's exit command still runs (it sweeps the trash). */
export function removeContainerFiles(id: string, name: string, deferred = false): void {
  releaseName(name, id);
  if (!deferred || !moveToTrash(containerDir(id), id)) rmSync(containerDir(id), { recursive: true, force: true });
  rmSync(lockPath(id), { force: true });
}
