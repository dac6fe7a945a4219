// The fast unpack path (fresh directory: no lstat/chmod/chown unless needed), unpacking on worker
// threads (same result as on the main thread, errors and cancellation), and a pull whose layers
// unpack concurrently, one of them failing: the others are cancelled, nothing partial is left.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTar, type WriteEntry } from "../src/image/layer/tar.ts";
import { applyLayer } from "../src/image/layer/apply.ts";
import { CancelledError, UnpackPool } from "../src/image/layer/offload.ts";
import { startRegistry, type TestRegistry } from "./fixtures/registry.ts";
import { buildImage, pushImageParts } from "./fixtures/images.ts";

const tmp = mkdtempSync(join(tmpdir(), "berth-offload-"));
process.env.BERTH_ROOT = join(tmp, "store");
const img = await import("../src/image/index.ts");
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(tmp, `l${n++}`);
async function* chunks(b: Uint8Array, size = 4096): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < b.length; o += size) yield b.subarray(o, o + size);
}
const isRoot = process.getuid?.() === 0;

/** path -> "type mode uid:gid mtime [target|content]" for every entry under dir */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const p = rel ? join(dir, rel) : dir;
    const st = lstatSync(p);
    const t = st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : st.isFile() ? "f" : st.isCharacterDevice() ? "c" : "o";
    const extra = st.isSymbolicLink() ? readlinkSync(p) : st.isFile() ? readFileSync(p).toString("hex").slice(0, 64) : "";
    // implicit parents have no time in the tar: they keep the time they were made; leave them out
    if (st.mtimeMs < 1e11) out.set(rel || ".", `${t} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs} ${st.isFile() ? st.nlink : ""} ${extra}`);
    if (st.isDirectory()) for (const c of readdirSync(p).sort()) walk(rel ? `${rel}/${c}` : c);
  };
  walk("");
  return out;
}

function layerA(): Uint8Array {
  const entries: (WriteEntry & { data?: string | Uint8Array })[] = [
    { name: "./", type: "dir", mode: 0o755, mtime: 100 },
    { name: "open/", type: "dir", mode: 0o777, mtime: 200 }, // umask would take bits away
    { name: "shared/", type: "dir", mode: 0o2775, uid: 0, gid: 50, mtime: 300 }, // setgid
    { name: "shared/f", type: "file", mode: 0o666, data: "w", mtime: 400 },
    { name: "bin/", type: "dir", mode: 0o755, mtime: 500 },
    { name: "bin/su", type: "file", mode: 0o4755, data: "ELF", mtime: 600 },
    { name: "bin/user", type: "file", mode: 0o640, uid: 1000, gid: 1000, data: "u", mtime: 700 },
    { name: "bin/ro", type: "file", mode: 0o444, data: "r", mtime: 800 },
    { name: "bin/link", type: "link", linkname: "bin/su" },
    { name: "bin/sh", type: "symlink", linkname: "su", mtime: 900 },
    { name: "deep/a/b/c/file", type: "file", mode: 0o600, data: "deep", mtime: 1000 }, // parents made implicitly
    { name: "dup", type: "file", mode: 0o644, data: "first", mtime: 1100 },
    { name: "dup", type: "file", mode: 0o600, data: "second", mtime: 1200 }, // a later entry replaces
    { name: "was-dir/", type: "dir", mode: 0o755, mtime: 1300 },
    { name: "was-dir/inside", type: "file", data: "x", mtime: 1300 },
    { name: "was-dir", type: "symlink", linkname: "bin", mtime: 1400 }, // replaces the directory
    { name: "open/", type: "dir", mode: 0o750, mtime: 1500 }, // the last entry for a directory wins
    { name: "big", type: "file", mode: 0o644, data: new Uint8Array(300_000).fill(7), mtime: 1600 },
  ];
  return buildTar(entries);
}

function layerB(): Uint8Array {
  const entries: (WriteEntry & { data?: string })[] = [];
  for (let i = 0; i < 300; i++) entries.push({ name: `d${i % 7}/f${i}`, type: "file", mode: 0o644, data: `file ${i}`, mtime: 5000 + i });
  return buildTar(entries);
}

describe("unpacking into a fresh directory", () => {
  it("gets modes (umask, setuid, setgid), owners, times, links and replacements right", async () => {
    const dir = fresh();
    await applyLayer(chunks(layerA()), "none", dir);
    const mode = (p: string) => lstatSync(join(dir, p)).mode & 0o7777;
    assert.equal(mode("open"), 0o750);
    assert.equal(mode("shared"), 0o2775);
    assert.equal(mode("shared/f"), 0o666);
    assert.equal(mode("bin/su"), 0o4755);
    assert.equal(mode("bin/ro"), 0o444);
    assert.equal(mode("deep/a/b/c/file"), 0o600);
    assert.equal(readFileSync(join(dir, "dup"), "utf8"), "second");
    assert.equal(mode("dup"), 0o600);
    assert.ok(lstatSync(join(dir, "was-dir")).isSymbolicLink());
    assert.equal(lstatSync(join(dir, "bin/link")).ino, lstatSync(join(dir, "bin/su")).ino);
    assert.equal(lstatSync(join(dir, "open")).mtimeMs, 1500_000);
    assert.equal(lstatSync(join(dir, "bin")).mtimeMs, 500_000);
    assert.equal(lstatSync(dir).mtimeMs, 100_000);
    assert.equal(lstatSync(join(dir, "bin/sh")).mtimeMs, 900_000);
    if (isRoot) {
      const u = lstatSync(join(dir, "bin/user"));
      assert.deepEqual([u.uid, u.gid], [1000, 1000]);
      assert.equal(lstatSync(join(dir, "shared")).gid, 50);
      assert.equal(lstatSync(join(dir, "bin/su")).uid, 0);
    }
  });

  it("unpacks the same into a directory that already has content (the careful path)", async () => {
    const a = fresh();
    await applyLayer(chunks(layerA()), "none", a);
    const b = fresh();
    mkdirSync(b);
    writeFileSync(join(b, "dup"), "old"); // not empty: every entry is checked with lstat
    await applyLayer(chunks(layerA()), "none", b);
    const sa = snapshot(a);
    const sb = snapshot(b);
    sa.delete(".");
    sb.delete(".");
    assert.deepEqual(sb, sa);
  });

  it("matches GNU tar's extraction of the same archive", async () => {
    const tarFile = join(tmp, "b.tar");
    writeFileSync(tarFile, layerB());
    const ours = fresh();
    await applyLayer(chunks(layerB()), "none", ours);
    const theirs = fresh();
    mkdirSync(theirs);
    const r = spawnSync("tar", ["-xpf", tarFile, "-C", theirs, "--numeric-owner"]);
    assert.equal(r.status, 0, r.stderr?.toString());
    const so = snapshot(ours);
    const st = snapshot(theirs);
    assert.deepEqual(so, st);
  });
});

describe("unpacking on worker threads", () => {
  it("unpacks layers concurrently, each the same as on the main thread", async () => {
    const pool = new UnpackPool(2);
    try {
      const here = [fresh(), fresh()];
      await applyLayer(chunks(layerA()), "none", here[0]!);
      await applyLayer(chunks(layerB()), "none", here[1]!);
      const there = [fresh(), fresh()];
      const [a, b] = await Promise.all([pool.apply(chunks(layerA()), "none", there[0]!), pool.apply(chunks(layerB()), "none", there[1]!)]);
      assert.equal(a.entries, 18);
      assert.equal(b.entries, 300);
      const ref = await applyLayer(chunks(layerA()), "none", fresh());
      assert.equal(a.diffId, ref.diffId);
      assert.deepEqual(snapshot(there[0]!), snapshot(here[0]!));
      assert.deepEqual(snapshot(there[1]!), snapshot(here[1]!));
    } finally {
      pool.close();
    }
  });

  it("reports a worker's error with its message, and the worker stays usable", async () => {
    const pool = new UnpackPool(1);
    try {
      await assert.rejects(pool.apply(chunks(buildTar([{ name: "../evil", type: "file", data: "x" }])), "none", fresh()), /refusing layer entry "..\/evil": path contains '..'/);
      const ok = await pool.apply(chunks(layerB()), "none", fresh());
      assert.equal(ok.entries, 300);
    } finally {
      pool.close();
    }
  });

  it("stops an unpack when its signal aborts", async () => {
    const pool = new UnpackPool(1);
    const ac = new AbortController();
    const dir = fresh();
    async function* slow(): AsyncGenerator<Uint8Array> {
      const tar = layerB();
      for (let o = 0; o < tar.length; o += 2048) {
        if (o === 8192) ac.abort();
        yield tar.subarray(o, o + 2048);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    try {
      await assert.rejects(pool.apply(slow(), "none", dir, { signal: ac.signal }), (e: Error) => e instanceof CancelledError);
      const before = snapshot(dir).size;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(snapshot(dir).size, before, "the worker kept writing after it was cancelled");
    } finally {
      pool.close();
    }
  });
});

describe("pull with concurrent layers", () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  const root = process.env.BERTH_ROOT!;
  const leftovers = () => (existsSync(join(root, "layers/tmp")) ? readdirSync(join(root, "layers/tmp")) : []);

  for (const workers of ["0", "2"]) {
    it(`with ${workers} worker(s): layers that share nothing unpack concurrently; a failing layer cancels the rest and leaves no partial layer dir`, async () => {
      process.env.BERTH_UNPACK_WORKERS = workers;
      try {
        const good = buildImage([layerA(), layerB()], { created: `2024-0${workers === "0" ? 1 : 2}-01T00:00:00Z` });
        await pushImageParts(reg.host, `test/good${workers}`, "latest", good);
        const rec = await img.pullImage(`${reg.host}/test/good${workers}`);
        const dirs = img.layerDirs(rec.id);
        assert.equal(readFileSync(join(dirs[0]!, "dup"), "utf8"), "second");
        assert.equal(readdirSync(dirs[1]!).length, 7);
        assert.deepEqual(leftovers(), []);

        // big layers that take a while, and a bad one in the middle
        const big = (k: number) => buildTar(Array.from({ length: 400 }, (_, i) => ({ name: `big${k}/f${i}`, type: "file" as const, data: `${k}:${i}`.repeat(200) })));
        const evil = buildTar([{ name: "ok", type: "file", data: "fine" }, { name: "x/../../escape", type: "file", data: "bad" }]);
        const bad = buildImage([big(1), evil, big(2)], { created: `2024-0${workers === "0" ? 3 : 4}-01T00:00:00Z` });
        await pushImageParts(reg.host, `test/bad${workers}`, "latest", bad);
        const layersBefore = readdirSync(join(root, "layers/sha256")).length;
        await assert.rejects(img.pullImage(`${reg.host}/test/bad${workers}`, { concurrency: 3 }), /refusing layer entry "x\/..\/..\/escape"/);
        assert.deepEqual(leftovers(), [], "partial layer directories left behind");
        assert.ok(!img.listImages().some((i) => i.id === bad.configDigest));
        assert.ok(!existsSync(join(root, "escape")) && !existsSync(join(root, "layers/escape")));
        // whatever finished before the failure is complete, never partial
        for (const d of readdirSync(join(root, "layers/sha256")).slice(layersBefore)) assert.ok(readdirSync(join(root, "layers/sha256", d)).length > 0);
      } finally {
        delete process.env.BERTH_UNPACK_WORKERS;
      }
    });
  }
});
