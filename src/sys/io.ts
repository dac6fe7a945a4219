// Synchronous writes to stdout and stderr. Bun builds process.stdout/stderr lazily and the
// first use costs ~8 ms (measured on this VM: a compiled "write one line" binary 11.7 ms with
// process.stdout.write, 3.3 ms with console.log); a plain write(2) costs microseconds and is
// never lost to process.exit().
// node:fs is required on first use, not at load: `berth-runtime start` prints nothing when it
// succeeds and does not load node:fs at all (~1 ms of a compiled command's start-up).
let fs: typeof import("node:fs") | undefined;
const writeSync = (fd: number, b: Uint8Array, off: number, len: number): number => (fs ??= require("node:fs") as typeof import("node:fs")).writeSync(fd, b, off, len);

export function writeFd(fd: number, data: Uint8Array | string): void {
  const b = typeof data === "string" ? Buffer.from(data) : data;
  let off = 0;
  while (off < b.length) {
    try {
      off += writeSync(fd, b, off, b.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue; // a non-blocking pipe we inherited: try again
      if (code === "EPIPE") return; // the reader went away (`berth ps | head`)
      throw e;
    }
  }
}

export const writeStdout = (data: Uint8Array | string): void => writeFd(1, data);
export const writeStderr = (data: Uint8Array | string): void => writeFd(2, data);
