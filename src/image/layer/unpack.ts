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
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  chmodSync,
  chownSync,
  writeSync,
} from "node:fs";
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from "../../sys/ffi.ts";
import type { TarEntry, TarSink } from "./tar.ts";
import { constants as fsc } from "node:fs";

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
  mode: number;
  mtime: number;
  /** mkdir already gave it exactly this mode */
  modeSet: boolean;
}

const isRoot = process.getuid?.() === 0;
const euid = process.geteuid?.() ?? -1;
const egid = process.getegid?.() ?? -1;

/** The process umask, read without changing it (process.umask() would, racily, in threads). */
function readUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return parseInt(m[1]!, 8);
  } catch {
    // no procfs
  }
  return -1;
}
const umask = readUmask();

/** Whether creating with `mode` (open/mkdir) leaves exactly that mode, so no chmod is needed. */
function exactOnCreate(mode: number): boolean {
  return umask >= 0 && (mode & 0o7000) === 0 && (mode & umask) === 0;
}

type Kind = "dir" | "symlink" | "other";
const O_CREATE_NEW = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

export class LayerUnpacker implements TarSink {
  /** bytes of regular-file content written */
  size = 0;
  entries = 0;
  private known = new Set<string>([""]);
  private dirs = new Map<string, DirAttrs>();
  private fd = -1;
  private cur: TarEntry | undefined;
  private curPath = "";
  private curModeSet = false;
  /**
   * When the directory started out empty, everything in it was made by us and is listed here,
   * so existence and type checks need no lstat (the bulk of the syscalls otherwise).
   */
  private made: Map<string, Kind> | undefined;
  /** new inodes get our uid/gid (no setgid directory above them): chown can be skipped for those */
  private plainOwner: boolean;

  constructor(
    readonly root: string,
    private readonly opts: UnpackOptions = {},
  ) {
    mkdirSync(root, { recursive: true });
    if (readdirSync(root).length === 0) this.made = new Map();
    this.plainOwner = this.made !== undefined && (statSync(root).mode & 0o2000) === 0;
  }

  /** chown unless a new inode already has these owners */
  private needChown(e: TarEntry): boolean {
    return isRoot && !(this.plainOwner && e.uid === euid && e.gid === egid);
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
      if (this.made) {
        const k = this.made.get(rel);
        if (k === "symlink") throw new UnsafeEntryError(entry, `path goes through the symlink "${rel}"`);
        if (k !== undefined) throw new UnsafeEntryError(entry, `"${rel}" is not a directory`);
        if (!create) throw new UnsafeEntryError(entry, `"${rel}" does not exist in the layer`);
        mkdirSync(p, 0o755);
        this.known.add(rel);
        this.made.set(rel, "dir");
        continue;
      }
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
    if (this.made && !this.made.has(rel)) return false;
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
      const gone = (k: string) => k === rel || k.startsWith(`${rel}/`);
      for (const k of this.known) if (gone(k)) this.known.delete(k);
      if (this.made) for (const k of this.made.keys()) if (gone(k)) this.made.delete(k);
      for (const k of this.dirs.keys()) if (k === p || k.startsWith(`${p}/`)) this.dirs.delete(k);
    } else unlinkSync(p);
    this.made?.delete(rel);
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
      if (this.needChown(e)) chownSync(this.root, e.uid, e.gid);
      this.dirs.set(this.root, { mode: e.mode, mtime: e.mtime, modeSet: false });
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
      this.made?.set(target, "other");
      if (this.needChown(e)) lchownSync(`${this.root}/${target}`, e.uid, e.gid);
      return;
    }
    switch (e.type) {
      case "dir": {
        const exists = this.made?.get(rel) === "dir" || this.clear(rel, true);
        // created with its final mode when the umask allows and we can still write into it
        const mode = e.mode & 0o7777;
        const modeSet = !exists && exactOnCreate(mode) && (isRoot || (mode & 0o700) === 0o700);
        if (!exists) mkdirSync(path, modeSet ? mode : 0o700);
        this.known.add(rel);
        this.made?.set(rel, "dir");
        if (this.needChown(e)) chownSync(path, e.uid, e.gid);
        this.xattrs(path, e);
        this.dirs.delete(path); // re-insert: the last entry for a directory wins
        this.dirs.set(path, { mode: e.mode, mtime: e.mtime, modeSet });
        return;
      }
      case "file": {
        this.clear(rel, false);
        const mode = e.mode & 0o7777;
        this.curModeSet = exactOnCreate(mode);
        this.fd = openSync(path, O_CREATE_NEW, this.curModeSet ? mode : 0o600);
        this.made?.set(rel, "other");
        this.cur = e;
        this.curPath = path;
        this.size += e.size;
        return;
      }
      case "symlink": {
        this.clear(rel, false);
        symlinkSync(e.linkname, path);
        this.made?.set(rel, "symlink");
        if (this.needChown(e)) lchownSync(path, e.uid, e.gid);
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
        this.made?.set(rel, tst.isSymbolicLink() ? "symlink" : "other");
        return;
      }
      case "chardev":
      case "blockdev":
      case "fifo": {
        this.clear(rel, false);
        const type = e.type === "chardev" ? S_IFCHR : e.type === "blockdev" ? S_IFBLK : S_IFIFO;
        mknod(path, type | (e.mode & 0o7777), e.devmajor, e.devminor);
        this.made?.set(rel, "other");
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
      // chown before chmod: chown clears setuid/setgid bits (only ever set by the chmod)
      if (this.needChown(e)) fchownSync(this.fd, e.uid, e.gid);
      if (!this.curModeSet) fchmodSync(this.fd, e.mode & 0o7777);
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
    const dirs = [...this.dirs];
    for (let i = dirs.length - 1; i >= 0; i--) {
      const [path, d] = dirs[i]!;
      if (!d.modeSet) chmodSync(path, d.mode & 0o7777);
      utimesSync(path, d.mtime, d.mtime);
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
