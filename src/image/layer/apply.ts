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
