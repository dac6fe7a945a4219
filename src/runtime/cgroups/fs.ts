// All cgroup file I/O goes through CgroupFs so the managers can be unit-tested on a fake.
// Errors always carry the operation, the path and the errno code.
import * as nfs from "node:fs";
import { sleepSync } from "../../sys/sleep.ts";

export interface DirEntry { name: string; dir: boolean }

export interface CgroupFs {
  /** one level; throws EEXIST / ENOENT like mkdir(2) */
  mkdir(path: string): void;
  /** mkdir -p: the first directory it made (the others below it are new too), or undefined
   *  when the path existed; a level made meanwhile by someone else is fine */
  mkdirp(path: string): string | undefined;
  rmdir(path: string): void;
  read(path: string): string;
  /** open O_WRONLY (never creates), write the whole value in one write(2) */
  write(path: string, value: string): void;
  exists(path: string): boolean;
  readdir(path: string): DirEntry[];
  /** whether a cgroup directory has child cgroups; a stat on cgroupfs, whose directories count
   *  their subdirectories in nlink (2 + n), instead of listing dozens of control files */
  hasChildren(path: string): boolean;
}

export { CgroupError, DESCRIPTIONS } from "./error.ts";
import { CgroupError, DESCRIPTIONS } from "./error.ts";

function errnoOf(e: unknown): { code: string; description?: string } {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === "string" ? err.code : "EIO";
  // node/bun messages look like "EINVAL: invalid argument, write"
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(String(err?.message ?? ""));
  return { code, description: DESCRIPTIONS[code] ?? m?.[1] };
}

function wrap<T>(op: string, path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CgroupError) throw e;
    const { code, description } = errnoOf(e);
    throw new CgroupError(op, path, code, description);
  }
}

export const realFs: CgroupFs = {
  mkdir: (p) => wrap("mkdir", p, () => nfs.mkdirSync(p, { mode: 0o755 })),
  // one native call instead of a check and a mkdir per level from JavaScript
  mkdirp: (p) => wrap("mkdir", p, () => nfs.mkdirSync(p, { mode: 0o755, recursive: true })),
  rmdir: (p) => wrap("rmdir", p, () => nfs.rmdirSync(p)),
  read: (p) => wrap("read", p, () => nfs.readFileSync(p, "utf8")),
  write: (p, v) =>
    wrap("write", p, () => {
      const fd = nfs.openSync(p, nfs.constants.O_WRONLY);
      try {
        nfs.writeSync(fd, v);
      } finally {
        nfs.closeSync(fd);
      }
    }),
  exists: (p) => nfs.existsSync(p),
  readdir: (p) =>
    wrap("readdir", p, () => nfs.readdirSync(p, { withFileTypes: true }).map((d) => ({ name: d.name, dir: d.isDirectory() }))),
  hasChildren: (p) => wrap("stat", p, () => nfs.statSync(p).nlink > 2),
};

/**
 * In-memory fake. `populate(dir)` returns the control files the "kernel" creates in a new
 * cgroup dir; `failWrites` makes a write to a path fail with an errno (once per entry use);
 * every successful write is recorded in `writes`.
 */
export class MemFs implements CgroupFs {
  readonly dirs = new Set<string>();
  readonly files = new Map<string, string>();
  readonly writes: { file: string; value: string }[] = [];
  readonly failWrites = new Map<string, string>();
  readonly failRmdir = new Map<string, { code: string; times: number }>();

  constructor(roots: string[] = [], private populate: (dir: string) => Record<string, string> = () => ({})) {
    for (const r of roots) this.addDir(r);
  }

  addDir(path: string, files: Record<string, string> = {}): void {
    let cur = "";
    for (const part of path.split("/").filter(Boolean)) {
      cur += "/" + part;
      this.dirs.add(cur);
    }
    for (const [k, v] of Object.entries(files)) this.files.set(`${path}/${k}`, v);
  }

  mkdir(p: string): void {
    if (this.dirs.has(p) || this.files.has(p)) throw new CgroupError("mkdir", p, "EEXIST");
    if (!this.dirs.has(parent(p))) throw new CgroupError("mkdir", p, "ENOENT");
    this.dirs.add(p);
    for (const [k, v] of Object.entries(this.populate(p))) this.files.set(`${p}/${k}`, v);
  }

  mkdirp(p: string): string | undefined {
    if (p === "/" || this.dirs.has(p)) return undefined;
    const first = this.dirs.has(parent(p)) ? undefined : this.mkdirp(parent(p));
    this.mkdir(p);
    return first ?? p;
  }

  rmdir(p: string): void {
    if (!this.dirs.has(p)) throw new CgroupError("rmdir", p, "ENOENT");
    const f = this.failRmdir.get(p);
    if (f && f.times > 0) {
      f.times--;
      throw new CgroupError("rmdir", p, f.code);
    }
    if ([...this.dirs].some((d) => parent(d) === p)) throw new CgroupError("rmdir", p, "EBUSY");
    const procs = this.files.get(`${p}/cgroup.procs`);
    if (procs && procs.trim()) throw new CgroupError("rmdir", p, "EBUSY");
    this.dirs.delete(p);
    for (const k of [...this.files.keys()]) if (parent(k) === p) this.files.delete(k);
  }

  read(p: string): string {
    const v = this.files.get(p);
    if (v === undefined) throw new CgroupError("read", p, this.dirs.has(p) ? "EISDIR" : "ENOENT");
    return v;
  }

  write(p: string, value: string): void {
    const fail = this.failWrites.get(p);
    if (fail) {
      this.failWrites.delete(p);
      throw new CgroupError("write", p, fail);
    }
    if (!this.files.has(p)) throw new CgroupError("write", p, "ENOENT");
    this.files.set(p, value);
    this.writes.push({ file: p, value });
  }

  exists(p: string): boolean {
    return this.dirs.has(p) || this.files.has(p);
  }

  hasChildren(p: string): boolean {
    if (!this.dirs.has(p)) throw new CgroupError("stat", p, "ENOENT");
    for (const d of this.dirs) if (parent(d) === p) return true;
    return false;
  }

  readdir(p: string): DirEntry[] {
    if (!this.dirs.has(p)) throw new CgroupError("readdir", p, "ENOENT");
    const out: DirEntry[] = [];
    for (const d of this.dirs) if (parent(d) === p) out.push({ name: d.slice(p.length + 1), dir: true });
    for (const f of this.files.keys()) if (parent(f) === p) out.push({ name: f.slice(p.length + 1), dir: false });
    return out;
  }
}

function parent(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

/** The directories from the first level below `root` down to `root` + `rel`, top-down. */
export function levelsBelow(root: string, rel: string): string[] {
  const levels: string[] = [];
  let cur = root;
  for (const part of rel.split("/").filter(Boolean)) levels.push((cur = `${cur}/${part}`));
  return levels;
}

/**
 * mkdir -p below root, returning the levels it made (top-down), that tolerates concurrent
 * creators (EEXIST) and a shared parent being removed by another container's destroy between
 * our steps (ENOENT: start over, a few times).
 */
export function mkdirAll(fs: CgroupFs, root: string, rel: string): string[] {
  const levels = levelsBelow(root, rel);
  if (levels.length === 0) return [];
  let first: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      first = fs.mkdirp(levels[levels.length - 1]!);
      break;
    } catch (e) {
      if (!(e instanceof CgroupError) || e.code !== "ENOENT" || attempt >= 3) throw e;
    }
  }
  // the levels from the first one made down to the leaf (none: all existed)
  const at = first === undefined ? levels.length : levels.indexOf(first);
  if (at < 0) {
    // made above the first level: the hierarchy's own mount point was missing. What mkdir -p
    // made there (on the tmpfs that holds the mount points) goes again, leaf first.
    for (let d = levels[levels.length - 1]!; ; d = parent(d)) {
      try {
        fs.rmdir(d);
      } catch {
        /* best effort */
      }
      if (d === first || d === "/") break;
    }
    throw new CgroupError("mkdir", root, "ENOENT", "no cgroup hierarchy is mounted there");
  }
  return levels.slice(at);
}

/** rmdir with a bounded retry on EBUSY (tasks still exiting); ENOENT is success. */
export function rmdirRetry(fs: CgroupFs, dir: string, totalMs = 1000): void {
  const deadline = Date.now() + totalMs;
  for (let delay = 10; ; delay = Math.min(delay * 2, 100)) {
    try {
      fs.rmdir(dir);
      return;
    } catch (e) {
      if (e instanceof CgroupError && e.code === "ENOENT") return;
      if (!(e instanceof CgroupError) || e.code !== "EBUSY" || Date.now() >= deadline) throw e;
      sleepSync(delay);
    }
  }
}

/** Remove dir and all its descendant cgroups, deepest first. A container's cgroup rarely has
 *  children, so rmdir is tried first: listing a cgroup directory (dozens of control files, nine
 *  hierarchies on v1) costs more than the rmdir itself. */
export function removeTree(fs: CgroupFs, dir: string): void {
  try {
    fs.rmdir(dir);
    return;
  } catch (e) {
    if (e instanceof CgroupError && e.code === "ENOENT") return;
    // EBUSY: child cgroups, or tasks still exiting: below
    if (!(e instanceof CgroupError) || (e.code !== "EBUSY" && e.code !== "ENOTEMPTY")) throw e;
  }
  let entries: DirEntry[];
  try {
    entries = fs.readdir(dir);
  } catch (e) {
    if (e instanceof CgroupError && e.code === "ENOENT") return;
    throw e;
  }
  for (const e of entries) if (e.dir) removeTree(fs, `${dir}/${e.name}`);
  rmdirRetry(fs, dir);
}

/** cgroup.procs of dir and every descendant. */
export function readPidsRecursive(fs: CgroupFs, dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    if (!fs.exists(d)) return;
    for (const line of fs.read(`${d}/cgroup.procs`).split("\n")) {
      const n = Number.parseInt(line, 10);
      if (Number.isInteger(n) && n > 0) out.push(n);
    }
    if (fs.hasChildren(d)) for (const e of fs.readdir(d)) if (e.dir) walk(`${d}/${e.name}`);
  };
  walk(dir);
  return out;
}
