// Copying trees between a ContainerFs and tar-shaped sinks: `walkTree` reads a tree as tar
// entries (to a tar stream, or straight into another fs); `FsSink` writes entries into a
// ContainerFs, resolving every parent inside its root and never following a symlink at the
// leaf (an existing symlink is replaced, not written through).
import { chmodSync, closeSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readSync, rmSync, symlinkSync, utimesSync, writeSync, type Stats } from "node:fs";
import { lgetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from "../../sys/ffi.ts";
import { tarHeader, tarPadding, TAR_END, type EntryType, type TarEntry, type TarSink } from "../../image/layer/tar.ts";
import { relBase, relJoin, relParent, resolveInRoot, type ContainerFs } from "./view.ts";

function major(rdev: number): number {
  return ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

function typeOf(st: Stats): EntryType | undefined {
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFile()) return "file";
  if (st.isCharacterDevice()) return st.rdev === 0 ? undefined : "chardev";
  if (st.isBlockDevice()) return "blockdev";
  if (st.isFIFO()) return "fifo";
  return undefined; // sockets
}

export interface WalkOptions {
  /** follow a symlink at the top (cp -L) */
  followTop?: boolean;
  /** skip these container paths (and what is under them) */
  skip?: (rel: string) => boolean;
  /** leave out the top directory's own entry (export: no "." entry) */
  omitTop?: boolean;
  /** a layer's overlayfs whiteouts as OCI ones (.wh.NAME, .wh..wh..opq): commit */
  ociWhiteouts?: { hostRoot: string };
}

const emptyEntry = (name: string, mtime: number): TarEntry => ({
  name, type: "file", mode: 0, uid: 0, gid: 0, size: 0, mtime, linkname: "", uname: "", gname: "", devmajor: 0, devminor: 0, xattrs: new Map(),
});

/**
 * Feed the tree at `rel` (already resolved) to `sink`, its top entry named `name` ("" for the
 * tree's own root: its children are named without a prefix).
 */
export function walkTree(fs: ContainerFs, rel: string, name: string, sink: TarSink, o: WalkOptions = {}): void {
  const visit = (r: string, n: string, follow: boolean, top: boolean) => {
    let st = fs.lstat(r);
    if (!st) throw new Error(`${fs.label}: /${r}: no such file or directory`);
    if (follow && st.isSymbolicLink()) {
      r = resolveInRoot(fs, r, true);
      st = fs.lstat(r);
      if (!st) throw new Error(`${fs.label}: /${r}: no such file or directory (dangling link)`);
    }
    const type = typeOf(st);
    if (o.ociWhiteouts && st.isCharacterDevice() && st.rdev === 0) {
      const slash = n.lastIndexOf("/");
      sink.entry(emptyEntry(`${n.slice(0, slash + 1)}.wh.${n.slice(slash + 1)}`, Math.floor(st.mtimeMs / 1000)));
      sink.endEntry();
      return;
    }
    if (!type) return;
    const e: TarEntry = {
      name: type === "dir" && n ? `${n}/` : n, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: type === "file" ? st.size : 0,
      mtime: Math.floor(st.mtimeMs / 1000), linkname: type === "symlink" ? fs.readlink(r) : "", uname: "", gname: "",
      devmajor: type === "chardev" || type === "blockdev" ? major(st.rdev) : 0, devminor: type === "chardev" || type === "blockdev" ? minor(st.rdev) : 0,
      xattrs: new Map(),
    };
    const omit = top && o.omitTop && type === "dir";
    if (!omit) sink.entry(n || type !== "dir" ? e : { ...e, name: "." });
    if (type === "file") {
      const fd = openSync(fs.source(r), "r");
      try {
        let left = st.size;
        while (left > 0) {
          const buf = Buffer.allocUnsafe(Math.min(left, 1 << 20));
          const got = readSync(fd, buf, 0, buf.length, null);
          if (got <= 0) break;
          left -= got;
          sink.data(buf.subarray(0, got));
        }
        if (left > 0) sink.data(new Uint8Array(left)); // the file shrank: keep the header's size
      } finally {
        closeSync(fd);
      }
    }
    if (!omit) sink.endEntry();
    if (type === "dir" && n && o.ociWhiteouts && lgetxattr(`${o.ociWhiteouts.hostRoot}/${r}`, "trusted.overlay.opaque")?.toString() === "y") {
      sink.entry(emptyEntry(`${n}/.wh..wh..opq`, e.mtime));
      sink.endEntry();
    }
    if (type === "dir")
      for (const c of fs.readdir(r).sort()) {
        const cr = relJoin(r, c);
        if (o.skip?.(cr)) continue;
        visit(cr, n ? `${n}/${c}` : c, false, false);
      }
  };
  visit(rel, name, !!o.followTop, true);
}

/** A TarSink writing a tar stream through `write` (stdout, a file). */
export class TarWriterSink implements TarSink {
  private size = 0;
  constructor(private readonly write: (b: Uint8Array) => void) {}
  entry(e: TarEntry): void {
    this.size = e.type === "file" ? e.size : 0;
    this.write(tarHeader(e));
  }
  data(chunk: Uint8Array): void {
    this.write(chunk);
  }
  endEntry(): void {
    if (this.size) this.write(tarPadding(this.size));
    this.size = 0;
  }
  end(): void {
    this.write(TAR_END);
  }
}

export interface SinkOptions {
  /** owner for everything written (cp without -a: the container's root); undefined = as in the source */
  owner?: { uid: number; gid: number };
  /** "." and a leading "./" in names; a name with ".." is refused */
}

/** Write tar entries under `base` (a resolved path of fs; entry "" or "." is base itself). */
export class FsSink implements TarSink {
  private fd = -1;
  private path = "";
  private dirTimes: [string, number][] = [];
  constructor(
    private readonly fs: ContainerFs,
    private readonly base: string,
    private readonly o: SinkOptions = {},
  ) {}

  private ensureDirs(rel: string): string {
    // resolve the parent inside the root, creating what is missing on the way
    const parts = rel.split("/").filter(Boolean);
    let cur = "";
    for (const p of parts) {
      const next = resolveInRoot(this.fs, relJoin(cur, p), true);
      const st = this.fs.lstat(next);
      if (!st) {
        const w = this.fs.writable(next);
        mkdirSync(w.path, { mode: 0o755 });
        if (w.hidLower) this.fs.markOpaque(w.path);
      } else if (!st.isDirectory()) throw new Error(`${this.fs.label}: /${next}: not a directory`);
      cur = next;
    }
    return cur;
  }

  entry(e: TarEntry): void {
    const clean = e.name.split("/").filter((c) => c !== "" && c !== ".");
    if (clean.includes("..")) throw new Error(`refusing the archive entry "${e.name}": it leaves the destination`);
    const rel = relJoin(this.base, clean.join("/"));
    const parent = rel === this.base ? relParent(rel) : this.ensureDirs(relParent(rel));
    const target = relJoin(parent, rel === this.base ? relBase(rel) : relBase(rel));
    const w = this.fs.writable(target);
    const p = w.path;
    const existing = (() => {
      try {
        return lstatSync(p);
      } catch {
        return undefined;
      }
    })();
    const uid = this.o.owner?.uid ?? e.uid;
    const gid = this.o.owner?.gid ?? e.gid;
    if (e.type === "dir") {
      if (existing && !existing.isDirectory()) rmSync(p, { force: true });
      if (!existing?.isDirectory()) {
        mkdirSync(p, { mode: e.mode });
        if (w.hidLower) this.fs.markOpaque(p);
      }
      chmodSync(p, e.mode);
      lchownSync(p, uid, gid);
      this.dirTimes.push([p, e.mtime]);
      this.path = "";
      return;
    }
    if (existing) rmSync(p, { recursive: existing.isDirectory(), force: true });
    this.path = p;
    switch (e.type) {
      case "file":
        this.fd = openSync(p, "wx", e.mode);
        break;
      case "symlink":
        symlinkSync(e.linkname, p);
        break;
      case "link": {
        const lt = resolveInRoot(this.fs, relJoin(this.base, e.linkname.split("/").filter((c) => c && c !== ".").join("/")), false);
        linkSync(this.fs.source(lt), p);
        this.path = "";
        return;
      }
      case "chardev":
      case "blockdev":
        mknod(p, (e.type === "chardev" ? S_IFCHR : S_IFBLK) | e.mode, e.devmajor, e.devminor);
        break;
      case "fifo":
        mknod(p, S_IFIFO | e.mode, 0, 0);
        break;
    }
    lchownSync(p, uid, gid);
    if (e.type !== "symlink") chmodSync(p, e.mode);
    this.mtime = e.mtime;
  }
  private mtime = 0;

  data(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  endEntry(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
    if (this.path) {
      try {
        lutimesSync(this.path, this.mtime, this.mtime);
      } catch {
        /* best effort */
      }
    }
    this.path = "";
  }

  /** directory mtimes last (their children changed them) */
  finish(): void {
    if (this.fd >= 0) closeSync(this.fd);
    for (const [p, t] of this.dirTimes.reverse()) {
      try {
        utimesSync(p, t, t);
      } catch {
        /* best effort */
      }
    }
  }
}
