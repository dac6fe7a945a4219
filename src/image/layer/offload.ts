// Unpack layers on worker threads (worker.ts), so that several layers' decompression, tar parsing
// and file creation run on several cores at once instead of taking turns on the main thread.
// The caller keeps the download (and the compressed digest); the worker gets the bytes by message
// with flow control. Without workers (BERTH_UNPACK_WORKERS=0, or a build that lacks the worker
// entry point) layers unpack on the calling thread, as before.
import { applyLayer, type AppliedLayer } from "./apply.ts";
import type { Compression } from "../manifest.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

export class CancelledError extends Error {
  override name = "CancelledError";
  constructor(what = "layer unpack") {
    super(`${what} cancelled`);
  }
}

export interface OffloadOptions {
  whiteouts?: boolean;
  /** aborting stops the unpack; the promise then rejects once nothing writes to the dir any more */
  signal?: AbortSignal;
}

/** compressed bytes posted to a worker but not yet taken by it */
const IN_FLIGHT = 8 << 20;

function workerError(m: Extract<FromWorker, { op: "error" }>): Error {
  const e = new Error(m.message);
  e.name = m.name;
  if (m.code) Object.assign(e, { code: m.code });
  return e;
}

/** One worker thread, running one layer at a time. */
class UnpackWorker {
  /** false once the thread crashed or was killed */
  healthy = true;
  private handler: ((m: FromWorker) => void) | undefined;
  private crash: ((e: Error) => void) | undefined;

  private constructor(private readonly w: Worker) {
    w.onmessage = (ev: MessageEvent) => this.handler?.(ev.data as FromWorker);
    w.onerror = (ev: ErrorEvent) => {
      this.healthy = false;
      this.crash?.(new Error(`layer unpack worker failed: ${ev.message}`));
    };
  }

  /** Start a worker; undefined when workers are unavailable (e.g. the entry point isn't bundled). */
  static async spawn(): Promise<UnpackWorker | undefined> {
    let w: Worker;
    try {
      w = new Worker(new URL("./worker.ts", import.meta.url).href);
    } catch {
      return undefined;
    }
    const ok = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 10_000);
      w.onmessage = (ev: MessageEvent) => {
        if ((ev.data as FromWorker).op !== "ready") return;
        clearTimeout(t);
        resolve(true);
      };
      w.onerror = () => {
        clearTimeout(t);
        resolve(false);
      };
    });
    if (!ok) {
      w.terminate();
      return undefined;
    }
    return new UnpackWorker(w);
  }

  private post(m: ToWorker, transfer?: ArrayBuffer[]): void {
    if (transfer) this.w.postMessage(m, transfer);
    else this.w.postMessage(m);
  }

  async run(src: AsyncIterable<Uint8Array>, compression: Compression, dir: string, o: OffloadOptions): Promise<AppliedLayer> {
    let inflight = 0;
    let settled = false;
    let wake: (() => void) | undefined;
    const kick = () => {
      const f = wake;
      wake = undefined;
      f?.();
    };
    const result = new Promise<AppliedLayer>((resolve, reject) => {
      const finish = (f: () => void) => {
        settled = true;
        this.handler = undefined;
        this.crash = undefined;
        f();
        kick();
      };
      this.handler = (m) => {
        if (m.op === "credit") {
          inflight -= m.bytes;
          kick();
        } else if (m.op === "done") finish(() => resolve({ diffId: m.diffId, size: m.size, entries: m.entries }));
        else if (m.op === "error") finish(() => reject(workerError(m)));
      };
      this.crash = (e) => finish(() => reject(e));
    });
    result.catch(() => undefined); // observed below; don't let an early rejection go unhandled
    const abort = () => {
      if (!settled) {
        this.post({ op: "abort" });
        // a worker that doesn't answer (stuck in a syscall?) is killed rather than waited for
        setTimeout(() => {
          if (settled) return;
          this.terminate();
          this.crash?.(new CancelledError());
        }, 5000).unref();
      }
      kick();
    };
    o.signal?.addEventListener("abort", abort);
    this.w.ref();
    let feedError: unknown;
    try {
      this.post({ op: "start", dir, compression, whiteouts: o.whiteouts !== false });
      for await (const c of src) {
        while (inflight > IN_FLIGHT && !settled && !o.signal?.aborted) await new Promise<void>((r) => (wake = r));
        if (settled) break; // the worker failed: stop feeding
        if (o.signal?.aborted) throw new CancelledError();
        // our own copy (Buffer#slice would share memory), handed over without another copy
        const copy = new Uint8Array(c);
        this.post({ op: "data", chunk: copy }, [copy.buffer as ArrayBuffer]);
        inflight += copy.length;
      }
      if (!settled) this.post({ op: "end" });
    } catch (e) {
      feedError = e;
      abort();
    }
    try {
      const a = await result;
      if (feedError !== undefined) throw feedError;
      if (o.signal?.aborted) throw new CancelledError();
      return a;
    } catch (e) {
      throw feedError ?? (o.signal?.aborted ? new CancelledError() : e);
    } finally {
      o.signal?.removeEventListener("abort", abort);
      this.w.unref();
    }
  }

  terminate(): void {
    this.healthy = false;
    this.w.terminate();
  }
}

/** In-thread unpack that still honours the signal (between chunks). */
async function applyHere(src: AsyncIterable<Uint8Array>, compression: Compression, dir: string, o: OffloadOptions): Promise<AppliedLayer> {
  const signal = o.signal;
  async function* checked(): AsyncGenerator<Uint8Array> {
    for await (const c of src) {
      if (signal?.aborted) throw new CancelledError();
      yield c;
    }
  }
  return applyLayer(signal ? checked() : src, compression, dir, o.whiteouts === false ? { whiteouts: false } : {});
}

/**
 * Unpack workers for one operation (a pull); close() when done. At most `workers` threads: each
 * thread keeps its own JIT warm-up and zlib state, so on a small machine more threads than
 * cores cost more CPU than they save. Jobs beyond that wait for a free worker, except those
 * asked to run `here` (on the calling thread, alongside the workers).
 */
export class UnpackPool {
  private idle: UnpackWorker[] = [];
  private all = new Set<UnpackWorker>();
  private waiting: ((w: UnpackWorker | undefined) => void)[] = [];
  private spawned = 0;
  private unavailable: boolean;

  constructor(private readonly workers = 1) {
    this.unavailable = workers < 1;
  }

  private async take(): Promise<UnpackWorker | undefined> {
    if (this.unavailable) return undefined;
    const w = this.idle.pop();
    if (w) return w;
    if (this.spawned < this.workers) {
      this.spawned++;
      const n = await UnpackWorker.spawn();
      if (n) this.all.add(n);
      else {
        this.unavailable = true;
        for (const f of this.waiting.splice(0)) f(undefined);
      }
      return n;
    }
    return new Promise((r) => this.waiting.push(r));
  }

  private give(w: UnpackWorker): void {
    if (!w.healthy) {
      this.all.delete(w);
      this.spawned--;
      const f = this.waiting.shift();
      if (f) void this.take().then(f);
      return;
    }
    const f = this.waiting.shift();
    if (f) f(w);
    else this.idle.push(w);
  }

  /** Unpack a layer stream into `dir` (new and empty): on a worker, or here when `here` or without workers. */
  async apply(src: AsyncIterable<Uint8Array>, compression: Compression, dir: string, o: OffloadOptions & { here?: boolean } = {}): Promise<AppliedLayer> {
    const w = o.here ? undefined : await this.take();
    if (!w) return applyHere(src, compression, dir, o);
    try {
      if (o.signal?.aborted) throw new CancelledError();
      return await w.run(src, compression, dir, o);
    } finally {
      this.give(w);
    }
  }

  close(): void {
    for (const w of this.all) w.terminate();
    this.all.clear();
    this.idle = [];
    for (const f of this.waiting.splice(0)) f(undefined);
  }
}
