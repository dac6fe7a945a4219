// BERTH_TRACE=1: timestamps of a pull's phases on stderr, to see where a pull spends its time.
// Wall-clock ms (mod 10^6, comparable across threads) and the thread. One env lookup when off.
import { isMainThread, threadId } from "node:worker_threads";
import { writeStderr } from "../sys/io.ts";

const on = !!process.env.BERTH_TRACE;

export function trace(label: string): void {
  if (!on) return;
  const t = (performance.timeOrigin + performance.now()) % 1e6;
  writeStderr(`[trace] ${t.toFixed(1)} ${isMainThread ? "main" : `w${threadId}`} ${label}\n`);
}
