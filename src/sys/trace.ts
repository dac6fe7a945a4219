// BERTH_TRACE=1 prints how long each phase of a command took (ms since the process started),
// for finding where start-up time goes. Costs one env lookup when off.
// The lines are held until the process exits: writing the first one loads node:fs (~1 ms), which
// would be charged to the phase after it, and `start` never loads node:fs otherwise. A process
// that lives past a second (a pull, `serve`) writes them as they come.
import { writeStderr } from "./io.ts";
const on = !!process.env.BERTH_TRACE;
let last = 0;
let held: string[] | undefined;

export function trace(label: string): void {
  if (!on) return;
  const now = performance.now();
  const line = `[trace] ${now.toFixed(1).padStart(7)} ms (+${(now - last).toFixed(1)}) ${label}\n`;
  last = now;
  if (now > 1000) {
    flush();
    writeStderr(line);
    return;
  }
  if (!held) {
    held = [];
    process.on("exit", flush);
  }
  held.push(line);
}

function flush(): void {
  if (held?.length) writeStderr(held.join(""));
  held = [];
}
