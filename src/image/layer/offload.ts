// Unpack layers on worker threads (worker.ts), so that several layers' decompression, tar parsing
// and file creation run on several cores at once instead of taking turns on the main thread.
// The caller keeps the download (and the compressed digest); the worker gets the bytes by message
// with flow control. Without workers (BERTH_UNPACK_WORKERS=0, or a build that lacks the worker
// entry point) layers unpack on the calling thread, as before.
import { applyBlob, applyLayer, type AppliedLayer, type BlobJob } from "./apply.ts";
import { DigestMismatchError } from "../store/content.ts";
import type { Compression } from "../manifest.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { trace } from "../trace.ts";

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
  if (m.expected !== undefined && m.actual !== undefined) return Object.assign(new DigestMismatchError(m.expected, m.actual), { message: m.message });
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
    } catch (e) {
      trace(`unpack worker: unavailable, one lane (${(e as Error).message})`);
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
      trace("unpack worker: unavailable, one lane");
      return undefined;
    }
    trace("unpack worker: ready");
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

  /** A whole compressed blob (transferred to the worker: detached here afterwards). */
  async runBlob(blob: Uint8Array, compression: Compression, dir: string, job: BlobJob, o: OffloadOptions): Promise<AppliedLayer> {
    let settled = false;
    const result = new Promise<AppliedLayer>((resolve, reject) => {
      const finish = (f: () => void) => {
        settled = true;
        this.handler = undefined;
        this.crash = undefined;
        f();
      };
      this.handler = (m) => {
        if (m.op === "done") finish(() => resolve({ diffId: m.diffId, size: m.size, entries: m.entries }));
        else if (m.op === "error") finish(() => reject(workerError(m)));
      };
      this.crash = (e) => finish(() => reject(e));
    });
    const abort = () => {
      if (settled) return;
      this.post({ op: "abort" });
      setTimeout(() => {
        if (settled) return;
        this.terminate();
        this.crash?.(new CancelledError());
      }, 5000).unref();
    };
    o.signal?.addEventListener("abort", abort);
    this.w.ref();
    try {
      if (o.signal?.aborted) throw new CancelledError();
      const base = { op: "blob" as const, dir, compression, whiteouts: job.whiteouts !== false, digest: job.digest, diffId: job.diffId, blobVerified: job.blobVerified === true };
      if (job.file) this.post({ ...base, file: job.file });
      else {
        // transferable only when the view covers its whole buffer
        const own = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength ? blob : blob.slice();
        this.post({ ...base, blob: own }, [own.buffer as ArrayBuffer]);
      }
      const a = await result;
      if (o.signal?.aborted) throw new CancelledError();
      return a;
    } catch (e) {
      throw o.signal?.aborted && !(e instanceof DigestMismatchError) ? new CancelledError() : e;
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

  /** Start the worker threads now (their start-up then overlaps with whatever comes next). */
  prewarm(): void {
    while (!this.unavailable && this.spawned < this.workers) void this.take().then((w) => w && this.give(w));
  }

  private hereBusy = false;
  private hereHeld = false;
  private laneQueue: { priority: number; go: () => void }[] = [];

  private wakeLane(): void {
    this.laneQueue.shift()?.go();
  }

  /**
   * Keep this thread's lane closed until `until` settles (a pull: until its downloads are
   * done, as this thread reads them and a long unpack here would stall them), as long as there
   * is a worker to unpack meanwhile.
   */
  holdHere(until: Promise<unknown>): void {
    this.hereHeld = true;
    const open = () => {
      this.hereHeld = false;
      this.wakeLane();
    };
    until.then(open, open);
  }

  private hereOpen(): boolean {
    return !this.hereBusy && (!this.hereHeld || this.unavailable || this.spawned === 0);
  }

  /**
   * Verify and unpack a whole compressed layer blob (apply.ts applyBlob) on the first free lane:
   * this thread, or an idle worker. Jobs waiting for a lane go highest `priority` first (the
   * pull gives the blob size, so the biggest ready layer starts first). The blob may be
   * transferred to a worker, i.e. unusable afterwards.
   */
  async applyBlob(blob: Uint8Array, compression: Compression, dir: string, job: BlobJob, o: OffloadOptions & { priority?: number } = {}): Promise<AppliedLayer> {
    for (;;) {
      if (o.signal?.aborted) throw new CancelledError();
      const w = this.unavailable ? undefined : (this.idle.pop() ?? (this.spawned < this.workers ? await this.take() : undefined));
      if (w) {
        try {
          return await w.runBlob(blob, compression, dir, job, o);
        } finally {
          this.give(w);
          this.wakeLane();
        }
      }
      if (this.hereOpen()) {
        this.hereBusy = true;
        try {
          const signal = o.signal;
          return await applyBlob(blob, compression, dir, {
            ...job,
            ...(o.whiteouts === false ? { whiteouts: false } : {}),
            checkpoint: () => {
              if (signal?.aborted) throw new CancelledError();
            },
          });
        } finally {
          this.hereBusy = false;
          this.wakeLane();
        }
      }
      const priority = o.priority ?? 0;
      await new Promise<void>((go) => {
        const at = this.laneQueue.findIndex((q) => q.priority < priority);
        this.laneQueue.splice(at < 0 ? this.laneQueue.length : at, 0, { priority, go });
      });
    }
  }

  close(): void {
    for (const q of this.laneQueue.splice(0)) q.go();
    for (const w of this.all) w.terminate();
    this.all.clear();
    this.idle = [];
    for (const f of this.waiting.splice(0)) f(undefined);
  }
}
