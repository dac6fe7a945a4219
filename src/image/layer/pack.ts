// Write a directory as a tar stream (sorted, deterministic given the same metadata), carrying
// owners, modes, mtimes, xattrs, device nodes, hard links and symlinks. Overlayfs whiteouts
// (char 0/0, trusted.overlay.opaque=y) are written back as OCI whiteouts.
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from "node:fs";
import { llistxattr, lgetxattr } from "../../sys/ffi.ts";
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from "./unpack.ts";
import { tarHeader, tarPadding, TAR_END, type WriteEntry } from "./tar.ts";
import { normalJit } from "../../sys/jit.ts";

export interface PackOptions {
  /** include xattrs (default true) */
  xattrs?: boolean;
  /** write overlayfs whiteouts as OCI whiteouts (default true) */
  whiteouts?: boolean;
  /** fixed mtime for every entry (reproducible layers) */
  mtime?: number;
}

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;

function xattrsOf(path: string, on: boolean): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  if (!on) return m;
  for (const name of llistxattr(path)) {
    if (name.startsWith("trusted.overlay.")) continue;
    if (!name.startsWith("security.") && !name.startsWith("user.") && !name.startsWith("trusted.")) continue;
    const v = lgetxattr(path, name);
    if (v) m.set(name, v);
  }
  return m;
}

function major(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

/** Tar chunks of `dir`'s contents (names relative, directories with a trailing slash). */
export function* packDir(dir: string, opts: PackOptions = {}): Generator<Uint8Array> {
  normalJit();
  const links = new Map<string, string>();
  const withX = opts.xattrs !== false;
  const wh = opts.whiteouts !== false;
  function entryFor(rel: string, st: Stats, path: string): WriteEntry {
    return {
      name: rel,
      type: "file",
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: opts.mtime ?? Math.floor(st.mtimeMs / 1000),
      xattrs: xattrsOf(path, withX),
    };
  }
  function* walk(abs: string, rel: string): Generator<Uint8Array> {
    const names = readdirSync(abs).sort();
    for (const name of names) {
      const path = `${abs}/${name}`;
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path);
      const e = entryFor(r, st, path);
      if (st.isDirectory()) {
        e.type = "dir";
        e.name = `${r}/`;
        const opaque = wh && withX && lgetxattr(path, "trusted.overlay.opaque")?.toString() === "y";
        yield tarHeader(e);
        if (opaque) yield tarHeader({ name: `${r}/${OPAQUE_WHITEOUT}`, type: "file", mode: 0, mtime: e.mtime ?? 0, size: 0 });
        yield* walk(path, r);
      } else if (st.isSymbolicLink()) {
        e.type = "symlink";
        e.linkname = readlinkSync(path);
        yield tarHeader(e);
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first) {
          e.type = "link";
          e.linkname = first;
          yield tarHeader(e);
          continue;
        }
        if (st.nlink > 1) links.set(key, r);
        e.size = st.size;
        yield tarHeader(e);
        const fd = openSync(path, "r");
        try {
          let left = st.size;
          while (left > 0) {
            const buf = Buffer.allocUnsafe(Math.min(left, 1 << 20));
            const n = readSync(fd, buf, 0, buf.length, null);
            if (n <= 0) throw new Error(`${path}: file shrank while being archived`);
            left -= n;
            yield buf.subarray(0, n);
          }
        } finally {
          closeSync(fd);
        }
        yield tarPadding(st.size);
      } else if ((st.mode & S_IFMT) === S_IFCHR && st.rdev === 0 && wh) {
        yield tarHeader({ name: rel ? `${rel}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`, type: "file", mode: 0, mtime: e.mtime ?? 0, size: 0 });
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        e.type = st.isCharacterDevice() ? "chardev" : "blockdev";
        e.devmajor = major(st.rdev);
        e.devminor = minor(st.rdev);
        yield tarHeader(e);
      } else if (st.isFIFO()) {
        e.type = "fifo";
        yield tarHeader(e);
      }
      // sockets are not archived
    }
  }
  yield* walk(dir, "");
  yield TAR_END;
}

/** The whole tar of a directory in memory. */
export function packDirToBuffer(dir: string, opts: PackOptions = {}): Buffer {
  return Buffer.concat([...packDir(dir, opts)]);
}
