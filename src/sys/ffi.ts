// The few libc calls node:fs lacks (xattrs, mknod, flock, mount, bpf), behind one small module using bun:ffi.
// Every function throws an Error carrying the errno name and the path it was about.
// A few plain file calls (open, read, write, unlink, rmdir) are here too, for `berth-runtime start`
// and `delete`'s quick paths: loading node:fs costs ~1 ms of a compiled command, bun:ffi ~0.3 ms
// and each symbol ~0.06 ms; those commands take 4-6 ms in all (bench/RESULTS.md).
import type { FFIFunction, Pointer } from "bun:ffi";

type Ffi = typeof import("bun:ffi");
type T = Ffi["FFIType"];
// Each symbol is bound on first use, alone: bun:ffi compiles a trampoline per symbol it binds
// (~0.06 ms each here), and most commands need one or two of these (flock, for their locks)
// or none. node:os, for errno names, loads only to describe a failure.
const SIGNATURES = {
  lsetxattr: (t: T) => ({ args: [t.ptr, t.ptr, t.ptr, t.u64, t.i32], returns: t.i32 }),
  lgetxattr: (t: T) => ({ args: [t.ptr, t.ptr, t.ptr, t.u64], returns: t.i64 }),
  llistxattr: (t: T) => ({ args: [t.ptr, t.ptr, t.u64], returns: t.i64 }),
  mknod: (t: T) => ({ args: [t.ptr, t.u32, t.u64], returns: t.i32 }),
  flock: (t: T) => ({ args: [t.i32, t.i32], returns: t.i32 }),
  __errno_location: (t: T) => ({ args: [], returns: t.ptr }),
  mount: (t: T) => ({ args: [t.ptr, t.ptr, t.ptr, t.u64, t.ptr], returns: t.i32 }),
  umount2: (t: T) => ({ args: [t.ptr, t.i32], returns: t.i32 }),
  socket: (t: T) => ({ args: [t.i32, t.i32, t.i32], returns: t.i32 }),
  ioctl: (t: T) => ({ args: [t.i32, t.u64, t.ptr], returns: t.i32 }),
  close: (t: T) => ({ args: [t.i32], returns: t.i32 }),
  syscall: (t: T) => ({ args: [t.i64, t.i64, t.ptr, t.u64], returns: t.i64 }),
  open: (t: T) => ({ args: [t.ptr, t.i32], returns: t.i32 }),
  read: (t: T) => ({ args: [t.i32, t.ptr, t.u64], returns: t.i64 }),
  write: (t: T) => ({ args: [t.i32, t.ptr, t.u64], returns: t.i64 }),
  unlink: (t: T) => ({ args: [t.ptr], returns: t.i32 }),
  rmdir: (t: T) => ({ args: [t.ptr], returns: t.i32 }),
} satisfies Record<string, (t: T) => FFIFunction>;
export type Name = keyof typeof SIGNATURES;
// the call signatures bun:ffi derives for the declarations above
type Symbols = ReturnType<typeof import("bun:ffi").dlopen<{ [K in Name]: ReturnType<(typeof SIGNATURES)[K]> }>>["symbols"];

let ffiModule: Ffi | undefined;
const ffi = (): Ffi => (ffiModule ??= require("bun:ffi") as Ffi);
// the libraries are kept, not only their functions: a collected one would free its trampolines
const bound = new Map<Name, { symbols: Record<string, unknown> }>();
function sym<K extends Name>(name: K): Symbols[K] {
  if (!bound.has(name)) bindTogether([name]);
  return bound.get(name)!.symbols[name] as Symbols[K];
}

/** Bind several symbols in one dlopen: one compilation of their trampolines costs about what
 *  two separate ones do. For a command that knows it will call them all. */
export function bindTogether(names: Name[]): void {
  const todo = names.filter((n) => !bound.has(n));
  if (todo.length === 0) return;
  const { dlopen, FFIType } = ffi();
  const lib = dlopen("libc.so.6", Object.fromEntries(todo.map((n) => [n, SIGNATURES[n](FFIType)]))) as { symbols: Record<string, unknown> };
  for (const n of todo) bound.set(n, lib);
}
const ptr = (b: NodeJS.TypedArray): Pointer => ffi().ptr(b);
const E = (): Record<string, number> => (require("node:os") as typeof import("node:os")).constants.errno as Record<string, number>;

// The codes a quick path meets in normal operation (delete's rmdir of a shared parent that is
// still busy): named without loading node:os (~0.3 ms). Linux numbers, the same on x86_64 and
// arm64 (asm-generic), the only Linux architectures Bun runs on.
export const COMMON_ERRNO: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 4: "EINTR", 6: "ENXIO", 11: "EAGAIN", 13: "EACCES", 16: "EBUSY", 17: "EEXIST", 20: "ENOTDIR", 22: "EINVAL", 39: "ENOTEMPTY" };
let errnoNames: Map<number, string> | undefined;
function errnoName(e: number): string | undefined {
  if (COMMON_ERRNO[e]) return COMMON_ERRNO[e];
  errnoNames ??= new Map(Object.entries(E()).map(([k, v]) => [v, k]));
  return errnoNames.get(e);
}

function errno(): number {
  return ffi().read.i32(sym("__errno_location")() as Pointer, 0);
}

export class SysError extends Error {
  constructor(
    readonly call: string,
    readonly code: string,
    readonly errno: number,
    readonly path: string,
  ) {
    super(`${call} ${path}: ${code}`);
  }
}

function fail(call: string, path: string): never {
  const e = errno();
  throw new SysError(call, errnoName(e) ?? `errno ${e}`, e, path);
}

// TextEncoder, not Buffer.from: Buffer's first use costs ~0.25 ms of a compiled command, and the
// quick paths of start and delete use nothing else of it
const utf8 = new TextEncoder();
const cstr = (s: string): Uint8Array => utf8.encode(s + "\0");

/** lsetxattr(2): set an extended attribute without following a final symlink. */
export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  const v = value.length > 0 ? value : new Uint8Array(1);
  if (sym("lsetxattr")(ptr(cstr(path)), ptr(cstr(name)), ptr(v), value.length, 0) !== 0) fail(`lsetxattr ${name}`, path);
}

/** lgetxattr(2); undefined when the attribute does not exist. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const p = cstr(path);
  const n = cstr(name);
  const size = Number(sym("lgetxattr")(ptr(p), ptr(n), null, 0));
  if (size < 0) {
    const e = errno();
    if (e === E().ENODATA || e === E().ENOTSUP) return undefined;
    fail(`lgetxattr ${name}`, path);
  }
  const buf = Buffer.alloc(Math.max(size, 1));
  const got = Number(sym("lgetxattr")(ptr(p), ptr(n), ptr(buf), buf.length));
  if (got < 0) fail(`lgetxattr ${name}`, path);
  return buf.subarray(0, got);
}

/** llistxattr(2): attribute names of a path (not following a final symlink). */
export function llistxattr(path: string): string[] {
  const p = cstr(path);
  const size = Number(sym("llistxattr")(ptr(p), null, 0));
  if (size < 0) {
    if (errno() === E().ENOTSUP) return [];
    fail("llistxattr", path);
  }
  if (size === 0) return [];
  const buf = Buffer.alloc(size);
  const got = Number(sym("llistxattr")(ptr(p), ptr(buf), size));
  if (got < 0) fail("llistxattr", path);
  return buf.subarray(0, got).toString("utf8").split("\0").filter((s) => s.length > 0);
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** glibc's makedev(3). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** mknod(2): `mode` includes the file type (S_IFCHR, S_IFBLK, S_IFIFO). */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  if (sym("mknod")(ptr(cstr(path)), mode, makedev(major, minor)) !== 0) fail("mknod", path);
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** flock(2) with LOCK_NB implied by the caller; returns false when the lock is held elsewhere. */
export function flock(fd: number, op: number, what = `fd ${fd}`): boolean {
  if (sym("flock")(fd, op) === 0) return true;
  const e = errno();
  if (e === E().EWOULDBLOCK || e === E().EINTR) return false;
  fail("flock", what);
}

// ---- plain file calls without node:fs (see the top of this file)

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** unlink(2). */
export function unlinkPath(path: string): void {
  if (sym("unlink")(ptr(cstr(path))) !== 0) fail("unlink", path);
}

/** rmdir(2). */
export function rmdirPath(path: string): void {
  if (sym("rmdir")(ptr(cstr(path))) !== 0) fail("rmdir", path);
}

/** The first `max` bytes of a small file (a /proc entry); undefined when it cannot be read. */
export function readSmallFile(path: string, max = 4096): Uint8Array | undefined {
  const fd = sym("open")(ptr(cstr(path)), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return undefined;
  try {
    const buf = new Uint8Array(max);
    const n = Number(sym("read")(fd, ptr(buf), max));
    return n < 0 ? undefined : buf.subarray(0, n);
  } finally {
    sym("close")(fd);
  }
}

/** A fifo's write end, opened without waiting (O_NONBLOCK): ENXIO when it has no reader. */
export function openFifoWriter(path: string): number {
  const fd = sym("open")(ptr(cstr(path)), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fail("open", path);
  return fd;
}

/** write(2) of buf; the byte count written. */
export function writeFd(fd: number, buf: Uint8Array): number {
  const n = Number(sym("write")(fd, ptr(buf), buf.length));
  if (n < 0) fail("write", `fd ${fd}`);
  return n;
}

export function closeFd(fd: number): void {
  sym("close")(fd);
}

// ---- network helpers (for src/network): bind-mounting a netns file, deleting a bridge.

export const MS_BIND = 4096;
export const MNT_DETACH = 2;

/** mount(2) with MS_BIND: make `target` (an existing file or directory) show `source`. */
export function bindMount(source: string, target: string): void {
  if (sym("mount")(ptr(cstr(source)), ptr(cstr(target)), null, MS_BIND, null) !== 0) fail(`mount --bind ${source}`, target);
}

/** umount2(2) with MNT_DETACH; returns false when `target` is not a mount point (EINVAL) or missing (ENOENT). */
export function umountDetach(target: string): boolean {
  if (sym("umount2")(ptr(cstr(target)), MNT_DETACH) === 0) return true;
  const e = errno();
  if (e === E().EINVAL || e === E().ENOENT) return false;
  fail("umount2", target);
}

const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const SIOCBRDELBR = 0x89a1;
const IFF_UP = 1;

/** Set a link down and delete it as a bridge (SIOCBRDELBR); returns false when no such link exists. */
export function deleteBridge(name: string): boolean {
  if (name.length === 0 || name.length > 15) throw new Error(`invalid interface name "${name}"`);
  const fd = sym("socket")(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
  if (fd < 0) fail("socket", name);
  try {
    const ifr = Buffer.alloc(40);
    ifr.write(name, 0, "utf8");
    if (sym("ioctl")(fd, SIOCGIFFLAGS, ptr(ifr)) !== 0) {
      const e = errno();
      if (e === E().ENODEV || e === E().ENXIO) return false;
      fail("ioctl SIOCGIFFLAGS", name);
    }
    const flags = ifr.readUInt16LE(16);
    if (flags & IFF_UP) {
      ifr.writeUInt16LE(flags & ~IFF_UP, 16);
      if (sym("ioctl")(fd, SIOCSIFFLAGS, ptr(ifr)) !== 0) fail("ioctl SIOCSIFFLAGS", name);
    }
    if (sym("ioctl")(fd, SIOCBRDELBR, ptr(cstr(name))) !== 0) {
      const e = errno();
      if (e === E().ENODEV || e === E().ENXIO) return false;
      fail("ioctl SIOCBRDELBR", name);
    }
    return true;
  } finally {
    sym("close")(fd);
  }
}

// ---- bpf(2), for cgroup v2 device filters (src/runtime/cgroups/v2/devices.ts).
const SYS_bpf = 321;
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;

/** Load a BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to the cgroup directory `dir`,
 *  replacing the one berth attached before (attached without BPF_F_ALLOW_MULTI). */
export function attachDeviceFilter(dir: string, program: Uint8Array): void {
  const license = cstr("Apache-2.0");
  const insns = Buffer.from(program);
  // Without a log first: with one, the verifier fails a valid program with ENOSPC once its
  // trace outgrows the buffer (Docker's default rules do, for a 4 KiB one). Only a rejected
  // program is loaded again, with a large log, for the verifier's reason.
  const load = (log?: Buffer): number => {
    const attr = Buffer.alloc(128);
    attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
    attr.writeUInt32LE(program.length / 8, 4);
    attr.writeBigUInt64LE(BigInt(ptr(insns)), 8);
    attr.writeBigUInt64LE(BigInt(ptr(license)), 16);
    if (log) {
      attr.writeUInt32LE(1, 24); // log_level
      attr.writeUInt32LE(log.length, 28);
      attr.writeBigUInt64LE(BigInt(ptr(log)), 32);
    }
    return Number(sym("syscall")(SYS_bpf, BPF_PROG_LOAD, ptr(attr), 128));
  };
  let prog = load();
  if (prog < 0) {
    const e = errno();
    const log = Buffer.alloc(1 << 20);
    prog = load(log);
    if (prog < 0) {
      const why = log.toString("utf8").replace(/\0.*$/s, "").trim();
      throw new SysError(`bpf(BPF_PROG_LOAD) device filter${why ? ` (${why.split("\n").slice(-2).join("; ")})` : ""}`, errnoName(e) ?? `errno ${e}`, e, dir);
    }
  }
  try {
    const cg = sym("open")(ptr(cstr(dir)), 0o200000 /* O_DIRECTORY */);
    if (cg < 0) fail("open", dir);
    try {
      const attach = Buffer.alloc(32);
      attach.writeUInt32LE(cg, 0);
      attach.writeUInt32LE(prog, 4);
      attach.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
      if (Number(sym("syscall")(SYS_bpf, BPF_PROG_ATTACH, ptr(attach), 32)) < 0) fail("bpf(BPF_PROG_ATTACH) device filter", dir);
    } finally {
      sym("close")(cg);
    }
  } finally {
    sym("close")(prog);
  }
}
