// start, the common case, without node:fs: a created container without start hooks is released
// by writing its exec fifo's byte through sys/ffi.ts's plain calls (open, write, close, unlink).
// Loading node:fs is ~1 ms of the ~5 ms a compiled `berth-runtime start` takes here, more than all
// the work it does (bench/RESULTS.md). Whatever this path does not handle (no Bun, no such
// container, not in the created state, hooks, an init that died) it leaves to startContainer
// (start.ts), which reports it; it only ever reports success itself.
import { trace } from "../../sys/trace.ts";
import { loadFfi, mapState } from "./quick-state.ts";

interface QuickState {
  phase: string;
  config?: { process?: unknown; hooks?: { startContainer?: unknown[]; poststart?: unknown[] } };
}

/** Release the container's init; false: not done here, the full start decides (nothing changed). */
export function startQuick(root: string, id: string): boolean {
  const s = mapState(root, id) as QuickState | undefined;
  if (!s) return false;
  const hooks = s.config?.hooks;
  if (s.phase !== "created" || !s.config?.process || hooks?.startContainer?.length || hooks?.poststart?.length) return false;
  const ffi = loadFfi(["open", "write", "close", "unlink"]);
  const fifo = `${root}/${id}/exec.fifo`;
  // The init holds the fifo open read-write while it lives (see start.ts release): no reader
  // (ENXIO), no fifo (started already) or a failed write, and the full start says why.
  try {
    const fd = ffi.openFifoWriter(fifo);
    try {
      if (ffi.writeFd(fd, new Uint8Array([0x30])) !== 1) return false;
    } finally {
      ffi.closeFd(fd);
    }
  } catch {
    return false;
  }
  trace("start: released (quick)");
  // its absence is what marks the container as running
  try {
    ffi.unlinkPath(fifo);
  } catch {
    /* gone already */
  }
  return true;
}
