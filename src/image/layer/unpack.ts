// Unpack a layer tar (streamed through TarParser) into a directory, with owners, modes,
// timestamps, xattrs, device nodes, hard links and symlinks, and OCI whiteouts turned into
// overlayfs form:  .wh.NAME -> char device 0/0 NAME;  .wh..wh..opq -> trusted.overlay.opaque=y.
// Entries that would land outside the directory are refused: absolute names, "..", and any
// path through a symlink (parents are lstat'ed, never followed).
import {
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  chmodSync,
  chownSync,
  writeSync,
} from "node:fs";
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from "../../sys/ffi.ts";
import type { TarEntry, TarSink } from "./tar.ts";

export class UnsafeEntryError extends Error {
  override name = "UnsafeEntryError";
  constructor(
    readonly entry: string,
    why: string,
  ) {
    super(`refusing layer entry "${entry}": ${why}`);
  }
}

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_WHITEOUT = ".wh..wh..opq";

export interface UnpackOptions {
  /** turn OCI whiteouts into overlayfs form (default true); false keeps them as plain files */
  whiteouts?: boolean;
  /** called for every entry (progress) */
  onEntry?: (e: TarEntry) => void;
}

interface DirAttrs {
  path: string;
  mode: number;
  mtime: number;
}

const isRoot = process.getuid?.() === 0;

export class LayerUnpacker implements TarSink {
  /** bytes of regular-file content written */
  size = 0;
  entries = 0;
  private known = new Set<string>([""]);
  private dirs: DirAttrs[] = [];
  private fd = -1;
  private cur: TarEntry | undefined;
  private curPath = "";

  constructor(
    readonly root: string,
    private readonly opts: UnpackOptions = {},
  ) {
    mkdirSync(root, { recursive: true });
  }

  /** Split and check an entry name; returns its components (empty for the root itself). */
  private parts(name: string, what = name): string[] {
    if (name.startsWith("/")) throw new UnsafeEntryError(what, "absolute path");
    const out: string[] = [];
    for (const c of name.split("/")) {
      if (c === "" || c === ".") continue;
      if (c === "..") throw new UnsafeEntryError(what, "path contains '..'");
      out.push(c);
    }
    return out;
  }

  /** Make sure every parent of `parts` is a real directory inside the root (creating missing ones). */
  private parents(parts: string[], entry: string, create = true): void {
    let rel = "";
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel ? `${rel}/${parts[i]}` : parts[i]!;
      if (this.known.has(rel)) continue;
      const p = `${this.root}/${rel}`;
      let st;
      try {
        st = lstatSync(p);
      } catch {
        if (!create) throw new UnsafeEntryError(entry, `"${rel}" does not exist in the layer`);
        mkdirSync(p, 0o755);
        this.known.add(rel);
        continue;
      }
      if (st.isSymbolicLink()) throw new UnsafeEntryError(entry, `path goes through the symlink "${rel}"`);
      if (!st.isDirectory()) throw new UnsafeEntryError(entry, `"${rel}" is not a directory`);
      this.known.add(rel);
    }
  }

  /** Remove whatever is at rel (for replacement by a non-directory, or by anything if it isn't a dir). */
  private clear(rel: string, keepDir: boolean): boolean {
    const p = `${this.root}/${rel}`;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return false;
    }
    if (st.isDirectory()) {
      if (keepDir) return true;
      rmSync(p, { recursive: true, force: true });
      for (const k of this.known) if (k === rel || k.startsWith(`${rel}/`)) this.known.delete(k);
    } else unlinkSync(p);
    return false;
  }

  private xattrs(path: string, e: TarEntry): void {
    for (const [k, v] of e.xattrs) lsetxattr(path, k, v);
  }

  entry(e: TarEntry): void {
    this.entries++;
    this.opts.onEntry?.(e);
    const parts = this.parts(e.name);
    if (parts.length === 0) {
      // the layer root itself ("./")
      if (e.type !== "dir") throw new UnsafeEntryError(e.name, "the root of a layer must be a directory");
      if (isRoot) chownSync(this.root, e.uid, e.gid);
      this.dirs.push({ path: this.root, mode: e.mode, mtime: e.mtime });
      return;
    }
    this.parents(parts, e.name);
    const base = parts[parts.length - 1]!;
    const rel = parts.join("/");
    const dirRel = parts.slice(0, -1).join("/");
    const path = `${this.root}/${rel}`;
    if (this.opts.whiteouts !== false && base.startsWith(WHITEOUT_PREFIX)) {
      if (base === OPAQUE_WHITEOUT) {
        lsetxattr(dirRel ? `${this.root}/${dirRel}` : this.root, "trusted.overlay.opaque", Buffer.from("y"));
        return;
      }
      if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // other AUFS metadata
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === "" || hidden === "." || hidden === "..") throw new UnsafeEntryError(e.name, "invalid whiteout");
      const target = dirRel ? `${dirRel}/${hidden}` : hidden;
      this.clear(target, false);
      mknod(`${this.root}/${target}`, S_IFCHR, 0, 0);
      if (isRoot) lchownSync(`${this.root}/${target}`, e.uid, e.gid);
      return;
    }
    switch (e.type) {
      case "dir": {
        const exists = this.clear(rel, true);
        if (!exists) mkdirSync(path, 0o700);
        this.known.add(rel);
        if (isRoot) chownSync(path, e.uid, e.gid);
        this.xattrs(path, e);
        this.dirs.push({ path, mode: e.mode, mtime: e.mtime });
        return;
      }
      case "file": {
        this.clear(rel, false);
        this.fd = openSync(path, "w", 0o600);
        this.cur = e;
        this.curPath = path;
        this.size += e.size;
        return;
      }
      case "symlink": {
        this.clear(rel, false);
        symlinkSync(e.linkname, path);
        if (isRoot) lchownSync(path, e.uid, e.gid);
        this.xattrs(path, e);
        lutimesSync(path, e.mtime, e.mtime);
        return;
      }
      case "link": {
        const tparts = this.parts(e.linkname, `${e.name} -> ${e.linkname}`);
        if (tparts.length === 0) throw new UnsafeEntryError(e.name, "hard link to the layer root");
        this.parents(tparts, `${e.name} -> ${e.linkname}`, false);
        const target = `${this.root}/${tparts.join("/")}`;
        let tst;
        try {
          tst = lstatSync(target);
        } catch {
          throw new UnsafeEntryError(e.name, `hard link target "${e.linkname}" is not in the layer`);
        }
        if (tst.isDirectory()) throw new UnsafeEntryError(e.name, `hard link to a directory "${e.linkname}"`);
        if (target === path) return;
        this.clear(rel, false);
        linkSync(target, path);
        return;
      }
      case "chardev":
      case "blockdev":
      case "fifo": {
        this.clear(rel, false);
        const type = e.type === "chardev" ? S_IFCHR : e.type === "blockdev" ? S_IFBLK : S_IFIFO;
        mknod(path, type | (e.mode & 0o7777), e.devmajor, e.devminor);
        if (isRoot) lchownSync(path, e.uid, e.gid);
        chmodSync(path, e.mode & 0o7777);
        this.xattrs(path, e);
        utimesSync(path, e.mtime, e.mtime);
        return;
      }
    }
  }

  data(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  endEntry(): void {
    if (this.fd < 0 || !this.cur) return;
    const e = this.cur;
    try {
      if (isRoot && (e.uid !== 0 || e.gid !== 0)) fchownSync(this.fd, e.uid, e.gid);
      fchmodSync(this.fd, e.mode & 0o7777);
      if (e.xattrs.size > 0) this.xattrs(this.curPath, e);
      futimesSync(this.fd, e.mtime, e.mtime);
    } finally {
      closeSync(this.fd);
      this.fd = -1;
      this.cur = undefined;
    }
  }

  /** Apply directory modes and times (deepest first, after their contents are written). */
  finish(): void {
    for (let i = this.dirs.length - 1; i >= 0; i--) {
      const d = this.dirs[i]!;
      chmodSync(d.path, d.mode & 0o7777);
      utimesSync(d.path, d.mtime, d.mtime);
    }
  }

  /** Close anything left open after a failure. */
  abort(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
  }
}
