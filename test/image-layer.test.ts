// The tar reader/writer and layer unpacking: metadata, xattrs, devices, links, whiteouts, and
// entries that try to leave the layer.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTar, TarParser, type TarEntry, type WriteEntry } from "../src/image/layer/tar.ts";
import { applyLayer } from "../src/image/layer/apply.ts";
import { packDirToBuffer } from "../src/image/layer/pack.ts";
import { lgetxattr } from "../src/sys/ffi.ts";

const tmp = mkdtempSync(join(tmpdir(), "berth-layer-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(tmp, `l${n++}`);
async function* chunks(b: Uint8Array, size = 777): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < b.length; o += size) yield b.subarray(o, o + size);
}
const unpack = (tar: Uint8Array, dir = fresh()) => applyLayer(chunks(tar), "none", dir).then((a) => ({ ...a, dir }));

function readAll(tar: Uint8Array): { e: TarEntry; data: string }[] {
  const out: { e: TarEntry; data: string }[] = [];
  const p = new TarParser({ entry: (e) => out.push({ e, data: "" }), data: (c) => (out[out.length - 1]!.data += Buffer.from(c).toString()), endEntry: () => undefined });
  for (let o = 0; o < tar.length; o += 100) p.push(tar.subarray(o, o + 100));
  p.finish();
  return out;
}

describe("tar", () => {
  it("round-trips long names, long link targets, big ids and xattrs through PAX", () => {
    const long = "d/".repeat(80) + "file-with-a-long-name";
    const entries: (WriteEntry & { data?: string })[] = [
      { name: long, type: "file", data: "hello", uid: 70000000, gid: 5, mode: 0o4755, mtime: 1234567890 },
      { name: "l", type: "symlink", linkname: "x/".repeat(70) + "target" },
      { name: "cap", type: "file", data: "", xattrs: new Map([["security.capability", Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]]) },
    ];
    const got = readAll(buildTar(entries));
    assert.equal(got.length, 3);
    assert.equal(got[0]!.e.name, long);
    assert.equal(got[0]!.data, "hello");
    assert.equal(got[0]!.e.uid, 70000000);
    assert.equal(got[0]!.e.mode, 0o4755);
    assert.equal(got[0]!.e.mtime, 1234567890);
    assert.equal(got[1]!.e.linkname, "x/".repeat(70) + "target");
    assert.equal(got[2]!.e.xattrs.get("security.capability")![5], 0x20);
  });
  it("reads GNU tar's output (long names, hard links, devices) the same as tar lists it", () => {
    const src = fresh();
    mkdirSync(join(src, "a".repeat(120)), { recursive: true });
    writeFileSync(join(src, "a".repeat(120), "f"), "x");
    spawnSync("ln", [join(src, "a".repeat(120), "f"), join(src, "hard")]);
    spawnSync("mknod", [join(src, "null"), "c", "1", "3"]);
    const tarFile = join(tmp, "gnu.tar");
    assert.equal(spawnSync("tar", ["--format=gnu", "-cf", tarFile, "-C", src, "."]).status, 0);
    const got = readAll(readFileSync(tarFile));
    const byName = new Map(got.map((g) => [g.e.name.replace(/^\.\//, ""), g.e]));
    assert.ok(byName.has(`${"a".repeat(120)}/f`));
    assert.equal(byName.get("null")!.type, "chardev");
    assert.equal(byName.get("null")!.devmajor, 1);
    assert.equal(byName.get("null")!.devminor, 3);
    const links = got.filter((g) => g.e.type === "link");
    assert.equal(links.length, 1);
  });
  it("rejects a corrupt header", () => {
    const t = buildTar([{ name: "f", type: "file", data: "x" }]);
    t[0] = 0x41;
    assert.throws(() => readAll(t), /checksum/);
  });
});

describe("layer unpacking", () => {
  it("restores owners, modes, times, xattrs, devices, fifos, hard links and symlinks", async () => {
    const cap = Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const { dir, size } = await unpack(
      buildTar([
        { name: "./", type: "dir", mode: 0o755, mtime: 1000 },
        { name: "bin/", type: "dir", mode: 0o711, uid: 3, gid: 4, mtime: 2000 },
        { name: "bin/ping", type: "file", mode: 0o4755, uid: 0, gid: 0, data: "ELF", mtime: 3000, xattrs: new Map([["security.capability", cap], ["user.note", Buffer.from("hi")]]) },
        { name: "bin/owned", type: "file", mode: 0o640, uid: 1000, gid: 1001, data: "o", mtime: 3000 },
        { name: "bin/hard", type: "link", linkname: "bin/ping" },
        { name: "bin/sym", type: "symlink", linkname: "/etc/../../outside", mtime: 4000 },
        { name: "dev/null", type: "chardev", devmajor: 1, devminor: 3, mode: 0o666 },
        { name: "dev/loop0", type: "blockdev", devmajor: 7, devminor: 0, mode: 0o660 },
        { name: "dev/fifo", type: "fifo", mode: 0o600 },
      ]),
    );
    assert.equal(size, 4);
    const ping = lstatSync(join(dir, "bin/ping"));
    assert.equal(ping.mode & 0o7777, 0o4755);
    assert.equal(ping.mtimeMs, 3000_000);
    assert.equal(ping.nlink, 2);
    assert.equal(lstatSync(join(dir, "bin/hard")).ino, ping.ino);
    assert.ok(lgetxattr(join(dir, "bin/ping"), "security.capability")!.equals(cap));
    assert.equal(lgetxattr(join(dir, "bin/ping"), "user.note")!.toString(), "hi");
    const owned = lstatSync(join(dir, "bin/owned"));
    assert.deepEqual([owned.uid, owned.gid, owned.mode & 0o777], [1000, 1001, 0o640]);
    const bin = lstatSync(join(dir, "bin"));
    assert.deepEqual([bin.uid, bin.gid, bin.mode & 0o777, bin.mtimeMs], [3, 4, 0o711, 2000_000]);
    assert.equal(lstatSync(dir).mtimeMs, 1000_000);
    assert.equal(readlinkSync(join(dir, "bin/sym")), "/etc/../../outside");
    assert.equal(lstatSync(join(dir, "bin/sym")).mtimeMs, 4000_000);
    const nul = lstatSync(join(dir, "dev/null"));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, (1 << 8) | 3);
    assert.ok(lstatSync(join(dir, "dev/loop0")).isBlockDevice());
    assert.ok(lstatSync(join(dir, "dev/fifo")).isFIFO());
  });

  it("turns whiteouts into overlayfs form", async () => {
    const { dir } = await unpack(buildTar([{ name: "etc/.wh.gone", type: "file", data: "" }, { name: "data/.wh..wh..opq", type: "file", data: "" }, { name: "data/new", type: "file", data: "n" }]));
    const wh = lstatSync(join(dir, "etc/gone"));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.ok(!existsSync(join(dir, "etc/.wh.gone")));
    assert.equal(lgetxattr(join(dir, "data"), "trusted.overlay.opaque")?.toString(), "y");
    // and packing turns them back into OCI whiteouts
    const names = readAll(packDirToBuffer(dir)).map((g) => g.e.name);
    assert.ok(names.includes("etc/.wh.gone"));
    assert.ok(names.includes("data/.wh..wh..opq"));
  });

  const escapes: [string, (WriteEntry & { data?: string })[], RegExp][] = [
    ["a '..' path", [{ name: "../evil", type: "file", data: "x" }], /refusing layer entry "..\/evil": path contains '..'/],
    ["an absolute path", [{ name: "/etc/evil", type: "file", data: "x" }], /refusing layer entry "\/etc\/evil": absolute path/],
    ["a path through a symlink", [{ name: "link", type: "symlink", linkname: "/tmp" }, { name: "link/evil", type: "file", data: "x" }], /refusing layer entry "link\/evil": path goes through the symlink "link"/],
    ["a relative symlink out", [{ name: "up", type: "symlink", linkname: "../../.." }, { name: "up/x/evil", type: "file", data: "x" }], /through the symlink "up"/],
    ["a hard link out", [{ name: "h", type: "link", linkname: "../../../etc/passwd" }], /refusing layer entry "h -> ..\/..\/..\/etc\/passwd"/],
    ["a hard link through a symlink", [{ name: "s", type: "symlink", linkname: "/etc" }, { name: "h", type: "link", linkname: "s/passwd" }], /through the symlink "s"/],
  ];
  for (const [what, entries, re] of escapes) {
    it(`refuses ${what}`, async () => {
      const base = fresh();
      mkdirSync(base);
      const dir = join(base, "layer");
      await assert.rejects(unpack(buildTar(entries), dir), re);
      assert.ok(!existsSync(join(base, "evil")) && !existsSync("/tmp/evil") && !existsSync("/etc/evil"));
    });
  }

  it("follows no symlink even when a later entry replaces a directory with one", async () => {
    const base = fresh();
    mkdirSync(join(base, "target"), { recursive: true });
    symlinkSync(join(base, "target"), join(base, "abs"));
    await assert.rejects(unpack(buildTar([{ name: "d/", type: "dir" }, { name: "d", type: "symlink", linkname: join(base, "target") }, { name: "d/evil", type: "file", data: "x" }]), join(base, "layer")), /through the symlink "d"/);
    assert.ok(!existsSync(join(base, "target/evil")));
  });
});
