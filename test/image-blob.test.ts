// Whole-blob layer unpacking (pull's in-memory path): both digests checked before any file is
// made, libdeflate with a node:zlib second try (multi-member gzip), zstd and plain tars, the same
// result on the worker lane as on the main thread, and the biggest waiting layer goes first.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { buildTar } from "../src/image/layer/tar.ts";
import { applyBlob, decodeBlob, fitsInMemory, mapFile, sha256Hex } from "../src/image/layer/apply.ts";
import { UnpackPool } from "../src/image/layer/offload.ts";
import { DigestMismatchError } from "../src/image/store/content.ts";
import { gunzipExact, haveLibdeflate } from "../src/sys/libdeflate.ts";

const tmp = mkdtempSync(join(tmpdir(), "berth-blob-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(tmp, `l${n++}`);

const tar = buildTar([
  { name: "etc/", type: "dir", mode: 0o755, mtime: 100 },
  { name: "etc/hostname", type: "file", mode: 0o644, data: "box\n", mtime: 200 },
  { name: "big", type: "file", mode: 0o600, data: "y".repeat(9 << 20), mtime: 300 }, // > one 4 MiB slice
  { name: "sh", type: "symlink", linkname: "etc/hostname", mtime: 400 },
]);
const diffId = sha256Hex(tar);

function check(dir: string): void {
  assert.equal(readFileSync(join(dir, "etc/hostname"), "utf8"), "box\n");
  assert.equal(readFileSync(join(dir, "big")).length, 9 << 20);
}

describe("whole-blob unpack", () => {
  it("unpacks gzip (libdeflate), multi-member gzip, zstd and plain blobs after checking both digests", async () => {
    const half = tar.length >> 1;
    const multi = Buffer.concat([gzipSync(tar.subarray(0, half)), gzipSync(tar.subarray(half))]);
    for (const [compression, blob] of [
      ["gzip", gzipSync(tar)],
      ["gzip", multi],
      ["zstd", Bun.zstdCompressSync(tar as Uint8Array<ArrayBuffer>)],
      ["none", tar],
    ] as const) {
      assert.ok(decodeBlob(blob, compression, diffId, "t").length === tar.length, compression);
      const dir = fresh();
      const a = await applyBlob(blob, compression, dir, { digest: sha256Hex(blob), diffId });
      assert.equal(a.entries, 4);
      assert.equal(a.diffId, diffId);
      check(dir);
    }
  });

  it("inflates gzip with the system's libdeflate into a buffer of the trailer's size, and declines what it cannot do alone", () => {
    // setup.sh installs libdeflate0: without it, the fast path this test is about would be skipped
    assert.ok(haveLibdeflate(), "libdeflate.so.0 missing");
    const gz = gzipSync(tar);
    const out = gunzipExact(gz, tar.length);
    assert.ok(out && Buffer.from(out).equals(Buffer.from(tar)));
    assert.equal(gunzipExact(gzipSync(new Uint8Array(0)), 0)?.length, 0);
    const half = tar.length >> 1;
    const multi = Buffer.concat([gzipSync(tar.subarray(0, half)), gzipSync(tar.subarray(half))]);
    // multi-member (first member shorter than the input), a size other than the output's, corrupt data
    assert.equal(gunzipExact(multi, tar.length - half), undefined);
    assert.equal(gunzipExact(multi, tar.length), undefined);
    assert.equal(gunzipExact(gz, tar.length - 1), undefined);
    assert.equal(gunzipExact(gz, tar.length + 1), undefined);
    const bad = Buffer.from(gz);
    bad[bad.length >> 1] ^= 0xff;
    assert.equal(gunzipExact(bad, tar.length), undefined);
    assert.equal(gunzipExact(gz.subarray(0, gz.length - 100), tar.length), undefined);
    // ...and decodeBlob names corrupt data through node:zlib's error
    assert.throws(() => decodeBlob(bad, "gzip", diffId, "t"), /incorrect|invalid|unexpected|check|corrupt/i);
  });

  // A trailer that lies (says small, inflates huge: a gzip bomb) passed fitsInMemory and then
  // went to node:zlib without a bound; a multi-member gzip larger than the bound is legitimate and
  // must be streamed instead.
  it("bounds what node:zlib may inflate in memory: beyond it, an error that sends the layer to streaming", () => {
    const zeros = new Uint8Array(4 << 20);
    const lying = Buffer.from(gzipSync(zeros));
    lying.writeUInt32LE(100, lying.length - 4); // ISIZE: "100 bytes"
    assert.throws(
      () => decodeBlob(lying, "gzip", diffId, "layer x", 1 << 20),
      (e: unknown) => e instanceof Error && e.name === "InflatesTooLargeError" && /layer x inflates to more than 1048576 bytes/.test(e.message),
    );
    // below the bound, node:zlib still decides: the trailer's length check fails
    assert.throws(() => decodeBlob(lying, "gzip", diffId, "layer x", 8 << 20), (e: unknown) => e instanceof Error && e.name !== "InflatesTooLargeError" && /length|check|incorrect/i.test(e.message));
  });

  it("maps a downloaded blob's file (an empty one too) and unpacks from the map", async () => {
    const gz = gzipSync(tar);
    const f = join(tmp, "blob.gz");
    writeFileSync(f, gz);
    const m = mapFile(f);
    assert.deepEqual(Buffer.from(m), gz);
    const dir = fresh();
    assert.equal((await applyBlob(m, "gzip", dir, { digest: sha256Hex(gz), diffId })).entries, 4);
    check(dir);
    writeFileSync(join(tmp, "empty"), "");
    assert.equal(mapFile(join(tmp, "empty")).length, 0);
  });

  it("refuses a blob or a tar with the wrong digest before creating anything", async () => {
    const gz = gzipSync(tar);
    const dir1 = fresh();
    await assert.rejects(applyBlob(gz, "gzip", dir1, { digest: `sha256:${"0".repeat(64)}`, diffId }), (e: Error) => e instanceof DigestMismatchError);
    assert.ok(!existsSync(dir1));
    const dir2 = fresh();
    await assert.rejects(applyBlob(gz, "gzip", dir2, { digest: sha256Hex(gz), diffId: `sha256:${"1".repeat(64)}` }), /diff ID/);
    assert.ok(!existsSync(dir2));
  });

  it("on the worker lane: same result, and digest errors keep their type", async () => {
    const pool = new UnpackPool(1);
    pool.prewarm();
    try {
      const gz = gzipSync(tar);
      const dirs = [fresh(), fresh(), fresh()];
      const all = await Promise.all(dirs.map((d) => pool.applyBlob(new Uint8Array(gz), "gzip", d, { digest: sha256Hex(gz), diffId })));
      for (const a of all) assert.equal(a.entries, 4);
      for (const d of dirs) check(d);
      // a finished download: the worker maps the file itself
      const f = join(tmp, "lane.gz");
      writeFileSync(f, gz);
      const viaFile = fresh();
      assert.equal((await pool.applyBlob(mapFile(f), "gzip", viaFile, { digest: sha256Hex(gz), diffId, file: f })).entries, 4);
      check(viaFile);
      await assert.rejects(
        pool.applyBlob(new Uint8Array(gz), "gzip", fresh(), { digest: `sha256:${"2".repeat(64)}`, diffId }),
        (e: Error) => e instanceof DigestMismatchError,
      );
    } finally {
      pool.close();
    }
  });

  it("gives a free lane to the biggest waiting layer; the main thread's lane can be held", async () => {
    const pool = new UnpackPool(0);
    try {
      const gz = gzipSync(tar);
      const order: number[] = [];
      let open = () => undefined as void;
      pool.holdHere(new Promise<void>((r) => (open = r))); // no worker: the hold doesn't apply
      const job = (size: number) =>
        pool.applyBlob(new Uint8Array(gz), "gzip", fresh(), { digest: sha256Hex(gz), diffId }, { priority: size }).then(() => void order.push(size));
      await Promise.all([job(1), job(3), job(50), job(10)]);
      assert.deepEqual(order, [1, 50, 10, 3]);
      open();
    } finally {
      pool.close();
    }
  });

  it("keeps huge blobs out of memory", () => {
    assert.ok(fitsInMemory(50 << 20, "gzip"));
    assert.ok(!fitsInMemory(300 << 20, "gzip"));
    const trailer = new Uint8Array(18);
    trailer.set([0xff, 0xff, 0xff, 0xff], 14); // ISIZE 4 GiB - 1
    assert.ok(!fitsInMemory(18, "gzip", trailer));
  });
});
