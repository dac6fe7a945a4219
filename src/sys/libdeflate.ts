// One-shot gzip decompression into a buffer of the size the gzip trailer announces, with the
// system's libdeflate (Debian's libdeflate0) through bun:ffi. Bun.gunzipSync uses libdeflate
// too, but has to guess the output size: for a layer of 21.5 MB gzip / 52 MB tar it takes
// ~88 ms here where one call into a buffer of the right size takes ~71 ms (bench/RESULTS.md).
// Absent the library (or off Bun), gunzipExact returns undefined and the caller falls back.
import type { Pointer } from "bun:ffi";

type Ffi = typeof import("bun:ffi");
interface Lib {
  ffi: Ffi;
  decompressor: Pointer;
  gzipDecompressEx: (d: Pointer, src: Pointer, srcLen: number, out: Pointer, outLen: number, inUsed: Pointer, outUsed: Pointer) => number;
  /** kept: a collected library would free its trampolines */
  handle: unknown;
}

/** libdeflate_result: anything else (bad data, more output than the room given) is left to the caller */
const SUCCESS = 0;

let lib: Lib | null | undefined;
function load(): Lib | null {
  if (lib !== undefined) return lib;
  try {
    const ffi = require("bun:ffi") as Ffi;
    const t = ffi.FFIType;
    const h = ffi.dlopen("libdeflate.so.0", {
      libdeflate_alloc_decompressor: { args: [], returns: t.ptr },
      libdeflate_gzip_decompress_ex: { args: [t.ptr, t.ptr, t.u64, t.ptr, t.u64, t.ptr, t.ptr], returns: t.i32 },
    });
    const decompressor = h.symbols.libdeflate_alloc_decompressor() as Pointer | null;
    lib = decompressor ? { ffi, decompressor, gzipDecompressEx: h.symbols.libdeflate_gzip_decompress_ex as Lib["gzipDecompressEx"], handle: h } : null;
  } catch {
    lib = null;
  }
  return lib ?? null;
}

/** Whether gunzipExact can run here (the library loads on the first call). */
export function haveLibdeflate(): boolean {
  return load() !== null;
}

/**
 * Inflate the gzip data in `src` into a new buffer of exactly `size` bytes (its ISIZE trailer).
 * Returns undefined when that is not what happened — no libdeflate here, corrupt data, a first
 * member that is not the whole input (multi-member gzip), another size — so that the caller's
 * general path (node:zlib) decides, and names the problem.
 */
export function gunzipExact(src: Uint8Array, size: number): Uint8Array | undefined {
  const l = load();
  if (!l || src.length === 0) return undefined;
  const out = new Uint8Array(Math.max(size, 1));
  const used = new BigUint64Array(2);
  const r = l.gzipDecompressEx(l.decompressor, l.ffi.ptr(src), src.length, l.ffi.ptr(out), size, l.ffi.ptr(used), l.ffi.ptr(used, 8));
  if (r !== SUCCESS || Number(used[0]) !== src.length || Number(used[1]) !== size) return undefined;
  return size === 0 ? out.subarray(0, 0) : out;
}
