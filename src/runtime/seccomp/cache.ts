// On-disk cache of compiled filters, keyed by sha256 of the profile's JSON
// (plus a fingerprint of the compiler and its syscall tables, so regenerating the tables
// or changing codegen never serves a stale program).
import { randomHex, sha256Hex } from "../../sys/random.ts";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Seccomp } from "../spec.ts";
import type { CompiledSeccomp } from "./compile.ts";
import { SYSCALL_TABLES_HASH } from "./syscalls-hash.ts";

/** Bump when the generated code changes for the same input. */
const CODEGEN_VERSION = 1;
const MAGIC = "BERTHSC1";
const HEADER = MAGIC.length + 4; // magic + u32 flags

// The syscall tables' hash is computed when they are generated (scripts/gen-syscalls.ts), so
// a cache hit neither loads nor hashes the tables.
const FINGERPRINT = `codegen ${CODEGEN_VERSION} tables ${SYSCALL_TABLES_HASH}`;
function compilerFingerprint(): string {
  return FINGERPRINT;
}

/** The profile's JSON as it is (native JSON.stringify: a start runs this with a cold JIT): a
 *  profile written with its keys in another order gets an entry of its own, never a wrong one. */
export function seccompCacheKey(s: Seccomp): string {
  return sha256Hex(compilerFingerprint(), "\n", JSON.stringify(s));
}

function decodeEntry(buf: Uint8Array): CompiledSeccomp | undefined {
  if (buf.length < HEADER + 8 || (buf.length - HEADER) % 8 !== 0) return undefined;
  if (new TextDecoder().decode(buf.subarray(0, MAGIC.length)) !== MAGIC) return undefined;
  const flags = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(MAGIC.length, true);
  return { flags, program: new Uint8Array(buf.subarray(HEADER)) }; // a copy, and never a Buffer
}

function encodeEntry(c: CompiledSeccomp): Uint8Array {
  const out = new Uint8Array(HEADER + c.program.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, c.flags >>> 0, true);
  out.set(c.program, HEADER);
  return out;
}

/**
 * Returns the compiled filter for `s`, from `cacheDir` when present. Invalid profiles
 * throw (and are never cached); an unreadable or corrupt entry is simply recompiled.
 */
export function compiledSeccomp(s: Seccomp, cacheDir: string): CompiledSeccomp {
  const file = join(cacheDir, `${seccompCacheKey(s)}.bpf`);
  try {
    const hit = decodeEntry(readFileSync(file));
    if (hit) return hit;
  } catch {
    // miss: fall through and compile
  }
  // the compiler and its syscall tables load only on a miss
  const { compileSeccomp } = require("./compile.ts") as typeof import("./compile.ts");
  const compiled = compileSeccomp(s);
  // Temp file + rename: concurrent starts never see a half-written entry. A cache that
  // can't be written (read-only dir, full disk) only costs a recompile next time.
  const tmp = `${file}.tmp-${process.pid}-${randomHex(4)}`;
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, encodeEntry(compiled), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // best effort: e.g. the "directory" is a file (Bun reports EFAULT there)
    }
  }
  return compiled;
}
