// Sleeping without the event loop. Bun's setTimeout(0) takes ~1.4 ms here, far longer than
// what a short poll waits for (an init writing one byte to its exec fifo, a killed process
// being reaped): those polls wait synchronously, in steps of a tenth of a millisecond.
const cell = new Int32Array(new SharedArrayBuffer(4));

export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}
