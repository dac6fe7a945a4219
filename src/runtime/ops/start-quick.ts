// start, the common case, without node:fs: a created container without start hooks is released
// by reading its exec fifo with Bun's native file reader. Loading node:fs is ~1 ms of the ~6 ms a
// compiled `berth-runtime start` takes here, a fifth of what runc needs for the whole command
// (bench/RESULTS.md). Whatever this path does not handle (no Bun, no such container, not in
// the created state, hooks, an init that died) it leaves to startContainer (start.ts), which
// reports it; it only ever reports success itself.
import { validateId } from "../id.ts";
import { trace } from "../../sys/trace.ts";
import { parseProcStat } from "../proc-stat.ts";

interface QuickState {
  pid: number;
  startTime: number;
  phase: string;
  config?: { process?: unknown; hooks?: { startContainer?: unknown[]; poststart?: unknown[] } };
}

type BunFiles = {
  file(path: string): { text(): Promise<string>; bytes(): Promise<Uint8Array>; delete(): Promise<void> };
  mmap(path: string, opts: { shared: boolean }): Uint8Array;
};

/** Release the container's init; false: not done here, the full start decides (nothing changed). */
export async function startQuick(root: string, id: string): Promise<boolean> {
  const bun = (globalThis as { Bun?: BunFiles }).Bun;
  if (!bun) return false;
  validateId(id);
  const dir = `${root}/${id}`;
  let s: QuickState;
  try {
    // a private map: synchronous (Bun's async read of a small file costs ~0.5 ms here, its first
    // use of the thread pool), and never written through
    s = JSON.parse(new TextDecoder().decode(bun.mmap(`${dir}/state.json`, { shared: false }))) as QuickState;
  } catch {
    return false;
  }
  const hooks = s.config?.hooks;
  if (s.phase !== "created" || !s.config?.process || hooks?.startContainer?.length || hooks?.poststart?.length) return false;
  const fifo = bun.file(`${dir}/exec.fifo`);
  // Bun opens the fifo non-blocking and waits for the init's byte; the init writes it and closes
  // its end, which ends the read. An init that died never opens its end and the read never
  // ends: a watch on the init's /proc entry gives up then, and the full start reports it.
  let watch: ReturnType<typeof setInterval> | undefined;
  const died = new Promise<"died">((resolve) => {
    watch = setInterval(() => {
      alive(bun, s).then((yes) => yes || resolve("died"), () => resolve("died"));
    }, 2);
  });
  const read = fifo.bytes();
  try {
    let r = await Promise.race([read, died]);
    // A program that exits at once can be gone before its byte is seen here: look once more.
    if (r === "died") r = await Promise.race([read, new Promise<"died">((resolve) => setTimeout(() => resolve("died"), 50))]);
    // no fifo (started already), or no byte: the full start looks again
    if (r === "died" || r.length !== 1) return false;
  } catch {
    return false;
  } finally {
    clearInterval(watch);
  }
  trace("start: released (quick)");
  // its absence is what marks the container as running
  await fifo.delete().catch(() => undefined);
  return true;
}

/** The init as state.json knows it is still there: same start time, not a zombie. */
async function alive(bun: BunFiles, s: QuickState): Promise<boolean> {
  const p = parseProcStat(await bun.file(`/proc/${s.pid}/stat`).text());
  return !p.zombie && p.start === s.startTime;
}
