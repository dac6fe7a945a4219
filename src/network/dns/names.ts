// The names file a network's resolver serves (<network>/names.json). Set-up and teardown rewrite it
// atomically under the network lock; the resolver re-reads it when its inode or mtime changes.
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../../sys/atomic.ts";

export interface NameEntry {
  ip: string;
  /** lower-case DNS names: container name, aliases, short ID */
  names: string[];
  /** the container's --dns servers: its queries for other names go there instead of the host's */
  dns: string[];
}

export interface NamesFile {
  network: string;
  /** --internal: never forward outside names */
  internal: boolean;
  /** by container ID */
  endpoints: Record<string, NameEntry>;
}

export function readNames(path: string): NamesFile | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as NamesFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

export function writeNames(path: string, f: NamesFile): void {
  // no fsync: the file is rebuilt from endpoint records after a crash
  writeFileAtomic(path, JSON.stringify(f) + "\n", 0o644, false);
}
