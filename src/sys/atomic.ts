// Atomic file writes for every layer: temp file in the same directory, rename; with `sync`,
// fsync the file before and its directory after (where a crash of the machine must not lose it).
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

let seq = 0;

export function tempName(path: string): string {
  return join(dirname(path), `.tmp-${process.pid}-${Date.now().toString(36)}-${seq++}-${path.split("/").pop()}`);
}

export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, sync = true): void {
  const tmp = tempName(path);
  let fd: number;
  try {
    fd = openSync(tmp, "w", mode);
  } catch (e) {
    // the directory is usually there: make it only when it is not
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(tmp, "w", mode);
  }
  try {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (sync) fsyncDir(dirname(path));
}
