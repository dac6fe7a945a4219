// Random ids and hashes without importing node:crypto, whose module set-up costs ~2 ms of
// start-up (measured in a compiled binary here): Web Crypto's getRandomValues is a global,
// and Bun's native hasher needs no module.
export function randomHex(bytes: number): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(bytes));
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** A uniformly random integer in [0, n). */
export function randomBelow(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const buf = new Uint32Array(1);
  for (;;) {
    globalThis.crypto.getRandomValues(buf);
    if (buf[0]! < limit) return buf[0]! % n;
  }
}

export function sha256Hex(...parts: (string | Uint8Array)[]): string {
  if (typeof Bun !== "undefined") {
    const h = new Bun.CryptoHasher("sha256");
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

export interface Sha256 {
  update(data: string | Uint8Array): unknown;
  digest(encoding: "hex"): string;
  /** a hasher with the same state, to read the digest so far */
  copy(): Sha256;
}

/** An incremental sha256 (Bun's native hasher; node:crypto only where Bun is absent). */
export function newSha256(): Sha256 {
  if (typeof Bun !== "undefined") return new Bun.CryptoHasher("sha256");
  const { createHash } = require("node:crypto") as typeof import("node:crypto");
  return createHash("sha256");
}
