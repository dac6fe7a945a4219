// Worker thread entry for offloaded layer unpacking (the main-thread side is offload.ts): it
// receives a layer's compressed bytes as messages and runs decompression, the diff ID hash, the
// tar reader and all the file-creating syscalls here, so that layers unpack on several cores.
import { applyBlob, applyLayer, mapFile, type AppliedLayer } from "./apply.ts";
import { DigestMismatchError } from "../store/content.ts";
import type { Compression } from "../manifest.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

declare const self: Worker;

const post = (m: FromWorker) => self.postMessage(m);

/** The current job's input: chunks queued by messages, consumed by applyLayer. */
class Channel implements AsyncIterable<Uint8Array> {
  private q: Uint8Array[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  push(c: Uint8Array): void {
    this.q.push(c);
    this.kick();
  }
  end(): void {
    this.ended = true;
    this.kick();
  }
  fail(e: Error): void {
    this.failure = e;
    this.kick();
  }
  private kick(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.failure) throw this.failure;
      const c = this.q.shift();
      if (c) {
        post({ op: "credit", bytes: c.length });
        yield c;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

let job: Channel | undefined;
/** the whole-blob job's cancellation (checked between slices of its tar) */
let blobAborted = false;

async function settle(p: Promise<AppliedLayer>): Promise<void> {
  try {
    const a = await p;
    post({ op: "done", diffId: a.diffId, size: a.size, entries: a.entries });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const code = (e as { code?: unknown }).code;
    post({
      op: "error",
      name: e.name,
      message: e.message,
      ...(typeof code === "string" ? { code } : {}),
      ...(e instanceof DigestMismatchError ? { expected: e.expected, actual: e.actual } : {}),
    });
  }
}

async function run(dir: string, compression: Compression, whiteouts: boolean, ch: Channel): Promise<void> {
  try {
    await settle(applyLayer(ch, compression, dir, { whiteouts }));
  } finally {
    job = undefined;
  }
}

self.onmessage = (ev: MessageEvent) => {
  const m = ev.data as ToWorker;
  switch (m.op) {
    case "start":
      job = new Channel();
      void run(m.dir, m.compression, m.whiteouts, job);
      return;
    case "data":
      job?.push(m.chunk);
      return;
    case "blob":
      blobAborted = false;
      void settle(
        applyBlob(m.file !== undefined ? mapFile(m.file) : m.blob!, m.compression, m.dir, {
          digest: m.digest,
          diffId: m.diffId,
          blobVerified: m.blobVerified,
          whiteouts: m.whiteouts,
          checkpoint: () => {
            if (blobAborted) throw new Error("layer unpack cancelled");
          },
        }),
      );
      return;
    case "end":
      job?.end();
      return;
    case "abort":
      blobAborted = true;
      job?.fail(new Error("layer unpack cancelled"));
      return;
  }
};

post({ op: "ready" });
