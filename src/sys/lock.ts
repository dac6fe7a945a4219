// Inter-process locks for the image store: flock(2) on a lock file. Locks taken by a process
// vanish with it, so there is no stale-lock detection to get wrong.
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { flock, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from "./ffi.ts";

// flock locks belong to the open file description: within one process we serialise with a
// promise chain per path so that two async callers do not both "hold" it.
const chains = new Map<string, Promise<unknown>>();

async function acquire(path: string, shared: boolean, timeoutMs: number): Promise<number> {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "a+", 0o600);
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  while (!flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB, path)) {
    if (Date.now() > deadline) {
      closeSync(fd);
      throw new Error(`timed out waiting for lock ${path}`);
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 100);
  }
  return fd;
}

/** Run fn holding an exclusive lock on `path` (created if needed). */
export async function withLock<T>(path: string, fn: () => T | Promise<T>, timeoutMs = 120_000): Promise<T> {
  const prev = chains.get(path) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = prev.then(() => mine);
  chains.set(path, chained);
  await prev.catch(() => undefined);
  try {
    const fd = await acquire(path, false, timeoutMs);
    try {
      return await fn();
    } finally {
      flock(fd, LOCK_UN, path);
      closeSync(fd);
    }
  } finally {
    release();
    if (chains.get(path) === chained) chains.delete(path);
  }
}

/** Try to take an exclusive lock without waiting; returns the fd to release with unlock(), or undefined. */
export function tryLock(path: string): number | undefined {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "a+", 0o600);
  if (flock(fd, LOCK_EX | LOCK_NB, path)) return fd;
  closeSync(fd);
  return undefined;
}

export function unlock(fd: number): void {
  flock(fd, LOCK_UN);
  closeSync(fd);
}
