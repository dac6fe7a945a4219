// A container's filesystem as berth reads and writes it from the host, without mounting:
//   - a stopped container: its overlay layers (upper dir, then the image's layers top-first),
//     with overlayfs whiteouts (char 0/0) and opaque dirs (trusted.overlay.opaque=y) applied;
//     writes go to the upper dir (parents copied up, a whiteout hiding the path removed);
//   - a running container: /proc/<pid>/root (its mount namespace's view, volumes included).
// Paths are container paths relative to its root ("" = /). `resolveInRoot` follows symlinks
// the way the kernel would with the container's root as "/": never above it.
import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, chownSync, chmodSync, type Stats } from "node:fs";
import { lgetxattr, lsetxattr } from "../../sys/ffi.ts";

export interface Writable {
  /** host path at which the entry can be created (its parent exists) */
  path: string;
  /** a whiteout was removed: a directory made here must be opaque (hide the lower one) */
  hidLower: boolean;
}

export interface ContainerFs {
  /** for error messages */
  readonly label: string;
  lstat(rel: string): Stats | undefined;
  readlink(rel: string): string;
  /** merged directory listing (whiteouts removed) */
  readdir(rel: string): string[];
  /** host path of rel's content (rel resolved, not a directory listing) */
  source(rel: string): string;
  /** make rel creatable: parents exist on the writable side, a whiteout at rel is removed */
  writable(rel: string): Writable;
  /** a directory created by `writable` over a whiteout hides the lower layers' contents */
  markOpaque(path: string): void;
}

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function tryLstat(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

const join = (a: string, b: string): string => (b ? `${a}/${b}` : a);
export const relJoin = (a: string, b: string): string => (a && b ? `${a}/${b}` : a || b);
export const relParent = (rel: string): string => (rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "");
export const relBase = (rel: string): string => rel.slice(rel.lastIndexOf("/") + 1);

/** A plain directory tree: the host ("/") or a running container's /proc/<pid>/root. */
export class RootFs implements ContainerFs {
  constructor(
    readonly root: string,
    readonly label: string,
  ) {}
  private abs(rel: string): string {
    // "<root>/": /proc/<pid>/root itself is a (magic) symlink to the directory
    return rel ? `${this.root === "/" ? "" : this.root}/${rel}` : this.root.endsWith("/") ? this.root : `${this.root}/`;
  }
  lstat(rel: string): Stats | undefined {
    return tryLstat(this.abs(rel));
  }
  readlink(rel: string): string {
    return readlinkSync(this.abs(rel));
  }
  readdir(rel: string): string[] {
    return readdirSync(this.abs(rel));
  }
  source(rel: string): string {
    return this.abs(rel);
  }
  writable(rel: string): Writable {
    return { path: this.abs(rel), hidLower: false };
  }
  markOpaque(): void {}
}

/** The overlay layers of a container (or image), top-most first; the first is written to. */
export class LayeredFs implements ContainerFs {
  constructor(
    readonly layers: string[],
    readonly label: string,
  ) {}

  /** the layers a directory's listing merges, top-first (undefined: not a directory) */
  private dirLayers(rel: string): string[] | undefined {
    let cur = [...this.layers];
    if (!rel) return cur;
    for (const name of rel.split("/")) {
      const next: string[] = [];
      let found = false;
      for (const l of cur) {
        const st = tryLstat(`${l}/${name}`);
        if (!st) continue;
        if (isWhiteout(st) || !st.isDirectory()) {
          if (!found) return undefined; // hidden or not a directory at the top
          break;
        }
        found = true;
        next.push(`${l}/${name}`);
        if (lgetxattr(`${l}/${name}`, "trusted.overlay.opaque")?.toString() === "y") break;
      }
      if (!found) return undefined;
      cur = next;
    }
    return cur;
  }

  /** the top-most host path of rel, or undefined if it does not exist (or is whited out) */
  private top(rel: string): { path: string; st: Stats } | undefined {
    if (!rel) return { path: this.layers[0]!, st: lstatSync(this.layers[0]!) };
    const dirs = this.dirLayers(relParent(rel));
    if (!dirs) return undefined;
    const name = relBase(rel);
    for (const d of dirs) {
      const st = tryLstat(`${d}/${name}`);
      if (!st) continue;
      return isWhiteout(st) ? undefined : { path: `${d}/${name}`, st };
    }
    return undefined;
  }

  lstat(rel: string): Stats | undefined {
    return this.top(rel)?.st;
  }
  readlink(rel: string): string {
    const t = this.top(rel);
    if (!t) throw new Error(`${this.label}: ${rel}: no such file or directory`);
    return readlinkSync(t.path);
  }
  readdir(rel: string): string[] {
    const dirs = this.dirLayers(rel);
    if (!dirs) throw new Error(`${this.label}: /${rel}: not a directory`);
    const seen = new Map<string, boolean>();
    for (const d of dirs)
      for (const n of readdirSync(d)) {
        if (seen.has(n)) continue;
        const st = tryLstat(`${d}/${n}`);
        seen.set(n, !!st && !isWhiteout(st));
      }
    return [...seen].filter(([, vis]) => vis).map(([n]) => n);
  }
  source(rel: string): string {
    const t = this.top(rel);
    if (!t) throw new Error(`${this.label}: /${rel}: no such file or directory`);
    return t.path;
  }
  writable(rel: string): Writable {
    const upper = this.layers[0]!;
    const parts = rel.split("/");
    // copy up the parent directories (metadata only, as overlayfs does)
    for (let i = 1; i < parts.length; i++) {
      const r = parts.slice(0, i).join("/");
      const up = `${upper}/${r}`;
      const ust = tryLstat(up);
      if (ust?.isDirectory()) continue;
      const merged = this.top(r);
      if (!merged || !merged.st.isDirectory()) throw new Error(`${this.label}: /${r}: not a directory`);
      if (ust) rmSync(up, { force: true });
      mkdirSync(up, { mode: merged.st.mode & 0o7777 });
      chmodSync(up, merged.st.mode & 0o7777);
      chownSync(up, merged.st.uid, merged.st.gid);
    }
    const path = join(upper, rel);
    const st = tryLstat(path);
    let hidLower = false;
    if (st && isWhiteout(st)) {
      rmSync(path, { force: true });
      hidLower = true;
    }
    return { path, hidLower };
  }
  markOpaque(path: string): void {
    lsetxattr(path, "trusted.overlay.opaque", Buffer.from("y"));
  }
}

/**
 * Resolve a container path inside fs's root: "..", absolute and relative symlinks never lead
 * above the root (a link to /etc/passwd is the container's /etc/passwd). The result has no
 * symlink components, except the last one when followLast is false.
 */
export function resolveInRoot(fs: ContainerFs, path: string, followLast: boolean): string {
  const todo = path.split("/").filter((c) => c !== "" && c !== ".");
  const out: string[] = [];
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === "." || c === "") continue;
    if (c === "..") {
      out.pop();
      continue;
    }
    const rel = [...out, c].join("/");
    const st = fs.lstat(rel);
    if (st?.isSymbolicLink() && (todo.length > 0 || followLast)) {
      if (++links > 40) throw new Error(`${fs.label}: ${path}: too many levels of symbolic links`);
      const target = fs.readlink(rel);
      if (target.startsWith("/")) out.length = 0;
      todo.unshift(...target.split("/").filter((x) => x !== "" && x !== "."));
      continue;
    }
    out.push(c);
  }
  return out.join("/");
}
