// What start's and delete's quick paths (start-quick.ts, delete-quick.ts) share: a container's
// state.json and its init's liveness, read without node:fs. Bun only; without Bun (or with any
// doubt) they leave the command to its full path.
import { validateId } from "../id.ts";
import { isLiveAs } from "../proc-stat.ts";

export type Ffi = typeof import("../../sys/ffi.ts");
type BunMmap = { mmap(path: string, opts: { shared: boolean }): Uint8Array };

/** state.json of `root/id`, parsed but not checked; undefined without Bun or when unreadable.
 *  Throws for an invalid id. */
export function mapState(root: string, id: string): unknown {
  const bun = (globalThis as { Bun?: BunMmap }).Bun;
  if (!bun) return undefined;
  validateId(id);
  try {
    // a private map: read without node:fs, never written through
    return JSON.parse(new TextDecoder().decode(bun.mmap(`${root}/${id}/state.json`, { shared: false })));
  } catch {
    return undefined;
  }
}

/** sys/ffi.ts with the calls a quick path makes bound at once (cheaper than one by one). */
export function loadFfi(calls: import("../../sys/ffi.ts").Name[]): Ffi {
  const ffi = require("../../sys/ffi.ts") as Ffi;
  ffi.bindTogether(calls);
  return ffi;
}

/** The init as state.json knows it is still there: same start time, not a zombie. */
export function initAlive(ffi: Ffi, pid: number, startTime: number): boolean {
  if (!(pid > 0)) return false;
  const stat = ffi.readSmallFile(`/proc/${pid}/stat`);
  return isLiveAs(stat && new TextDecoder().decode(stat), startTime);
}
