// BERTH_TRACE=1 prints how long each phase of a command took (ms since the process started),
// for finding where start-up time goes. Costs one env lookup when off.
import { writeStderr } from "./io.ts";
const on = !!process.env.BERTH_TRACE;
let last = 0;

export function trace(label: string): void {
  if (!on) return;
  const now = performance.now();
  writeStderr(`[trace] ${now.toFixed(1).padStart(7)} ms (+${(now - last).toFixed(1)}) ${label}\n`);
  last = now;
}
