// start, the common case, without node:fs: a created container without start hooks is released
// by reading its exec fifo through sys/ffi.ts's plain calls (open, poll, read, unlink). Loading
// node:fs is ~1 ms of the ~5 ms a compiled `berth-runtime start` takes here, more than all the
// work it does; Bun's own async file reader waits ~1 ms on its thread pool for the fifo's byte
// (bench/RESULTS.md). Whatever this path does not handle (no Bun, no such container, not in the
// created state, hooks, an init that died) it leaves to startContainer (start.ts), which
// reports it; it only ever reports success itself.
import { trace } from "../../sys/trace.ts";
import { initAlive, loadFfi, mapState, type Ffi } from "./quick-state.ts";

interface QuickState {
  pid: number;
  startTime: number;
  phase: string;
  config?: { process?: unknown; hooks?: { startContainer?: unknown[]; poststart?: unknown[] } };
}

/** Release the container's init; false: not done here, the full start decides (nothing changed). */
export function startQuick(root: string, id: string): boolean {
  const s = mapState(root, id) as QuickState | undefined;
  if (!s) return false;
  const hooks = s.config?.hooks;
  if (s.phase !== "created" || !s.config?.process || hooks?.startContainer?.length || hooks?.poststart?.length) return false;
  const ffi = loadFfi(["open", "poll", "read", "close", "unlink"]);
  const fifo = `${root}/${id}/exec.fifo`;
  let fd: number;
  try {
    fd = ffi.openFifoReader(fifo);
  } catch {
    return false; // no fifo: started already, or never created; the full start says which
  }
  try {
    if (!awaitByte(ffi, fd, s)) return false;
  } catch {
    return false;
  } finally {
    ffi.closeFd(fd);
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

/** Wait for the init's one byte. The init opens its end of the fifo and writes once it sees a
 *  reader, then closes it. An init that died never writes: a look at its /proc entry every 2 ms
 *  notices, and a program that exits at once may be gone with its byte still in the fifo, so the
 *  fifo is read once more then. False: no byte (the full start reports why). */
function awaitByte(ffi: Ffi, fd: number, s: QuickState): boolean {
  const buf = new Uint8Array(1);
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline) {
    if (ffi.waitReadable(fd, 2)) {
      const n = ffi.readFd(fd, buf);
      if (n === 1) return true;
      if (n === 0) return false; // the writer went away without a byte
    } else if (!initAlive(ffi, s.pid, s.startTime)) {
      return ffi.readFd(fd, buf) === 1;
    }
  }
  return false;
}
