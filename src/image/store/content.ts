// The content store: blobs by digest under berthRoot()/blobs/sha256/<hex>, written atomically
// (ingest file, digest check, fsync, rename). Partial downloads stay in ingest/ for resuming.
import { newSha256, sha256Hex, type Sha256 } from "../../sys/random.ts";
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { berthRoot } from "../../sys/paths.ts";
import { isDigest } from "../reference.ts";
import { fsyncDir, writeFileAtomic } from "../../sys/atomic.ts";

export class DigestMismatchError extends Error {
  override name = "DigestMismatchError";
  constructor(
    readonly expected: string,
    readonly actual: string,
    what = "blob",
  ) {
    super(`${what} ${expected}: digest mismatch: content has digest ${actual}`);
  }
}

export function root(): string {
  return berthRoot();
}

export function lockPath(): string {
  return join(root(), "image.lock");
}

function hex(digest: string): string {
  if (!isDigest(digest)) throw new Error(`invalid digest "${digest}"`);
  return digest.slice(7);
}

export function blobPath(digest: string): string {
  return join(root(), "blobs", "sha256", hex(digest));
}

export function hasBlob(digest: string): boolean {
  return existsSync(blobPath(digest));
}

export function blobSize(digest: string): number {
  return statSync(blobPath(digest)).size;
}

export function readBlob(digest: string): Buffer {
  try {
    return readFileSync(blobPath(digest));
  } catch {
    throw new Error(`blob ${digest} is not in the content store`);
  }
}

export function digestOf(data: Uint8Array | string): string {
  return `sha256:${sha256Hex(data)}`;
}

/** Store bytes (verifying them against `expected` when given); returns the digest. */
export function writeBlob(data: Uint8Array, expected?: string): string {
  const d = digestOf(data);
  if (expected && d !== expected) throw new DigestMismatchError(expected, d);
  if (!hasBlob(d)) writeFileAtomic(blobPath(d), data, 0o644);
  return d;
}

export function listBlobs(): string[] {
  try {
    return readdirSync(join(root(), "blobs", "sha256"))
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  } catch {
    return [];
  }
}

export function removeBlob(digest: string): void {
  rmSync(blobPath(digest), { force: true });
}

export function ingestDir(): string {
  return join(root(), "ingest");
}

/**
 * A blob being written: appended to ingest/<hex>; `offset` is how much an earlier, interrupted
 * attempt left there (the caller re-reads those bytes first, see partialPath). The caller holds
 * the ingest lock (ingestLockPath) while an Ingest is open.
 */
export class Ingest {
  readonly path: string;
  private fd: number;
  /** absent when the caller hashes the bytes itself (and passes the digest to commit) */
  readonly hash: Sha256 | undefined;
  written = 0;

  constructor(
    readonly digest: string,
    opts: { hash?: boolean } = {},
  ) {
    mkdirSync(ingestDir(), { recursive: true });
    this.path = join(ingestDir(), hex(digest));
    this.fd = openSync(this.path, "a");
    this.written = fstatSync(this.fd).size;
    this.hash = opts.hash === false ? undefined : newSha256();
  }

  /** Account for bytes already on disk (re-read by the caller) in the hash. */
  rehash(chunk: Uint8Array): void {
    this.hash?.update(chunk);
  }

  append(chunk: Uint8Array): void {
    this.hash?.update(chunk);
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
    this.written += chunk.length;
  }

  /** The digest of what has been written so far. */
  currentDigest(): string {
    if (this.hash) return `sha256:${this.hash.copy().digest("hex")}`;
    return `sha256:${sha256Hex(readFileSync(this.path))}`;
  }

  /**
   * Verify and move into place. Throws DigestMismatchError (and drops the ingest file) on
   * mismatch. `verified`: the digest of the written bytes as computed by the caller (an Ingest
   * made with hash: false needs it).
   */
  commit(expectedSize?: number, verified?: string): void {
    const actual = verified ?? (this.hash ? `sha256:${this.hash.digest("hex")}` : this.currentDigest());
    if (actual !== this.digest) {
      this.discard();
      throw new DigestMismatchError(this.digest, actual);
    }
    if (expectedSize !== undefined && expectedSize !== this.written) {
      this.discard();
      throw new Error(`blob ${this.digest}: size ${this.written}, manifest says ${expectedSize}`);
    }
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    const dst = blobPath(this.digest);
    mkdirSync(join(root(), "blobs", "sha256"), { recursive: true });
    renameSync(this.path, dst);
    fsyncDir(join(root(), "blobs", "sha256"));
  }

  /** Close, keeping the partial data for a later resume. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  discard(): void {
    this.close();
    rmSync(this.path, { force: true });
  }
}

export function ingestLockPath(digest: string): string {
  return join(ingestDir(), `${hex(digest)}.lock`);
}
