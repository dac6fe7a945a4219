// Stream a (compressed) layer through decompression and the tar reader into a directory,
// computing its diff ID on the way.
import { createHash } from "node:crypto";
import * as zlib from "node:zlib";
import type { Transform } from "node:stream";

// Bun's node:zlib has zstd (Node >= 22.15 too); @types/node 20 doesn't declare it.
const zstd = zlib as unknown as { createZstdDecompress?: (o?: zlib.ZlibOptions) => Transform; createZstdCompress?: (o?: zlib.ZlibOptions) => Transform };

export function createZstdDecompress(o?: zlib.ZlibOptions): Transform {
  if (!zstd.createZstdDecompress) throw new Error("zstd layers need a runtime with zstd in node:zlib (Bun)");
  return zstd.createZstdDecompress(o);
}

export function createZstdCompress(o?: zlib.ZlibOptions): Transform {
  if (!zstd.createZstdCompress) throw new Error("zstd compression needs a runtime with zstd in node:zlib (Bun)");
  return zstd.createZstdCompress(o);
}
import type { Compression } from "../manifest.ts";
import { TarParser, type TarSink } from "./tar.ts";
import { LayerUnpacker, type UnpackOptions } from "./unpack.ts";
import { trace } from "../trace.ts";
import { DigestMismatchError } from "../store/content.ts";
import { readFileSync, statSync } from "node:fs";
import { gunzipExact, haveLibdeflate } from "../../sys/libdeflate.ts";

export interface AppliedLayer {
  diffId: string;
  /** bytes of file content */
  size: number;
  entries: number;
}

/** Sniff compression from the first bytes (for tars whose media type we don't know). */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

async function* decompress(src: AsyncIterable<Uint8Array>, compression: Compression): AsyncGenerator<Uint8Array> {
  if (compression === "none") {
    yield* src;
    return;
  }
  const z: Transform = compression === "gzip" ? zlib.createGunzip({ chunkSize: 256 * 1024 }) : createZstdDecompress({ chunkSize: 256 * 1024 });
  const feed = (async () => {
    for await (const c of src) {
      if (z.destroyed) return;
      if (!z.write(c))
        await new Promise<void>((r) => {
          const done = () => {
            z.off("drain", done);
            z.off("close", done);
            r();
          };
          z.on("drain", done);
          z.on("close", done);
        });
    }
    if (!z.destroyed) z.end();
  })().catch((e: unknown) => z.destroy(e instanceof Error ? e : new Error(String(e))));
  try {
    for await (const out of z) yield out as Buffer;
  } finally {
    if (!z.destroyed) z.destroy();
    await feed;
  }
}

/** Feed a tar stream to any sink (e.g. to read an archive without unpacking it). */
export async function readTar(src: AsyncIterable<Uint8Array>, compression: Compression, sink: TarSink): Promise<string> {
  const parser = new TarParser(sink);
  const h = createHash("sha256");
  for await (const chunk of decompress(src, compression)) {
    h.update(chunk);
    parser.push(chunk);
  }
  parser.finish();
  return `sha256:${h.digest("hex")}`;
}

/** Unpack a layer stream into `dir` (which should be new and empty). */
export async function applyLayer(src: AsyncIterable<Uint8Array>, compression: Compression, dir: string, opts: UnpackOptions = {}): Promise<AppliedLayer> {
  const u = new LayerUnpacker(dir, opts);
  try {
    trace(`unpack ${dir}: start`);
    const diffId = await readTar(src, compression, u);
    trace(`unpack ${dir}: tar read (${u.entries} entries)`);
    u.finish();
    return { diffId, size: u.size, entries: u.entries };
  } finally {
    u.abort();
  }
}

// ---------------------------------------------------------------------------------------
// Whole layers in memory: one-shot decompression (libdeflate for gzip: ~35% less CPU than
// node:zlib's streaming inflate) and both digests checked before a single file is created.

/** Compressed layers up to this size are unpacked from memory (larger ones are streamed). */
export const IN_MEMORY_MAX = 256 << 20;
/** ...unless the gzip trailer says they inflate to more than this. */
const INFLATED_MAX = 1 << 30;

export function sha256Hex(b: Uint8Array): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
}

/** gzip's ISIZE trailer: the (last member's) uncompressed size mod 2^32. */
function gzipISize(b: Uint8Array): number {
  const n = b.length;
  return n < 18 ? -1 : (b[n - 4]! | (b[n - 3]! << 8) | (b[n - 2]! << 16) | (b[n - 1]! << 24)) >>> 0;
}

/** Whether a blob of this size (and, for gzip, this trailer) is unpacked from memory. */
export function fitsInMemory(size: number, compression: Compression, head?: Uint8Array): boolean {
  if (size > IN_MEMORY_MAX) return false;
  if (compression === "gzip" && head) return gzipISize(head) <= INFLATED_MAX;
  return true;
}

/** A blob let into memory that inflates to more than its gzip trailer said, beyond the bound:
 *  nothing was written; the caller streams the layer instead (to disk, diff ID checked at the end). */
export class InflatesTooLargeError extends Error {
  override name = "InflatesTooLargeError";
  constructor(what: string, limit: number) {
    super(`${what} inflates to more than ${limit} bytes, more than its gzip trailer says: not unpacked in memory`);
  }
}

/**
 * Decompress a whole blob; checks the result against `diffId`. gzip goes to libdeflate in one
 * call, into a buffer of the size its trailer announces (the system's libdeflate, else
 * Bun.gunzipSync's); both read only the first member, so when that output doesn't hash to the
 * diff ID (a multi-member gzip, or corrupt data), node:zlib gets a second try, and only that
 * result's failure or mismatch is an error.
 */
export function decodeBlob(blob: Uint8Array, compression: Compression, diffId: string, what: string, limit = INFLATED_MAX): Uint8Array {
  const check = (tar: Uint8Array) => sha256Hex(tar) === diffId;
  if (compression === "none") {
    if (!check(blob)) throw new DigestMismatchError(diffId, sha256Hex(blob), `${what} diff ID`);
    return blob;
  }
  if (compression === "gzip") {
    let fast: Uint8Array | undefined;
    if (haveLibdeflate()) fast = gunzipExact(blob, gzipISize(blob));
    else
      try {
        fast = Bun.gunzipSync(blob as Uint8Array<ArrayBuffer>);
      } catch {
        // corrupt, or something libdeflate doesn't take: node:zlib decides below
      }
    trace(`${what}: inflated`);
    if (fast && fast.length % 2 ** 32 === gzipISize(blob) && check(fast)) return fast;
    // bounded: the trailer that let this blob into memory may lie (a gzip bomb), and a
    // multi-member gzip's trailer only gives its last member's size
    let slow: Uint8Array;
    try {
      slow = zlib.gunzipSync(blob, { maxOutputLength: limit });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || e instanceof RangeError) throw new InflatesTooLargeError(what, limit);
      throw e;
    }
    if (!check(slow)) throw new DigestMismatchError(diffId, sha256Hex(slow), `${what} diff ID`);
    return slow;
  }
  const tar = Bun.zstdDecompressSync(blob as Uint8Array<ArrayBuffer>) as Uint8Array;
  if (!check(tar)) throw new DigestMismatchError(diffId, sha256Hex(tar), `${what} diff ID`);
  return tar;
}

export interface BlobJob {
  /** the compressed blob's digest and its layer's diff ID: both checked before unpacking */
  digest: string;
  diffId: string;
  /** the caller already hashed the blob as it arrived and found `digest` */
  blobVerified?: boolean;
  /** a file holding exactly the blob (the finished download): a worker lane maps it itself
   *  rather than being sent the bytes */
  file?: string;
  whiteouts?: boolean;
  /** checked between slices; throwing from it stops the unpack */
  checkpoint?: () => void;
}

const SLICE = 4 << 20;
const tick = () => new Promise<void>((r) => setImmediate(r));

/**
 * Verify a whole compressed layer blob and unpack it into `dir` (new and empty). The tar is fed
 * in slices with a turn of the event loop between them, so that a long unpack on the main
 * thread doesn't starve the other layers' downloads (or a worker's abort message).
 */
export async function applyBlob(blob: Uint8Array, compression: Compression, dir: string, job: BlobJob): Promise<AppliedLayer> {
  const what = `layer ${job.digest}`;
  if (!job.blobVerified) {
    const actual = sha256Hex(blob);
    if (actual !== job.digest) throw new DigestMismatchError(job.digest, actual);
  }
  const tar = decodeBlob(blob, compression, job.diffId, what);
  trace(`unpack ${dir}: decoded (${tar.length} bytes)`);
  const u = new LayerUnpacker(dir, job.whiteouts === false ? { whiteouts: false } : {});
  try {
    const parser = new TarParser(u);
    for (let off = 0; off < tar.length; off += SLICE) {
      if (off > 0) {
        await tick();
        job.checkpoint?.();
      }
      parser.push(tar.subarray(off, Math.min(tar.length, off + SLICE)));
    }
    parser.finish();
    trace(`unpack ${dir}: tar read (${u.entries} entries)`);
    u.finish();
    return { diffId: job.diffId, size: u.size, entries: u.entries };
  } finally {
    u.abort();
  }
}

/**
 * A file's bytes without copying them: Bun.mmap maps the page cache (the download just wrote the
 * file), where reading it into a fresh buffer would fault in and zero a new page per 4 KiB (~58 ms
 * of a pull's main thread for 50 MB here). Falls back to reading it elsewhere.
 */
export function mapFile(path: string): Uint8Array {
  const bun = (globalThis as { Bun?: { mmap?: (p: string, o?: { shared?: boolean }) => Uint8Array } }).Bun;
  // (an empty file cannot be mapped: EINVAL)
  if (bun?.mmap && statSync(path).size > 0) return bun.mmap(path, { shared: false });
  return new Uint8Array(readFileSync(path));
}

/** One buffer as a stream. */
export async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

/** Chunks of a file, optionally only its first `limit` bytes. */
export async function* fileChunks(path: string, limit = Infinity): AsyncGenerator<Uint8Array> {
  const { openSync, readSync, closeSync } = await import("node:fs");
  const fd = openSync(path, "r");
  try {
    let left = limit;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, left));
      if (buf.length === 0) break;
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      left -= n;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}
