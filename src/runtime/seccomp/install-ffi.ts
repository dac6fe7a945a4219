// Installs a compiled filter on the *current* process through bun:ffi. berth's native
// helper does this for containers; this exists so tests can prove the bytes are what
// the kernel expects without any C. Bun runs several threads, hence TSYNC.
import { dlopen, FFIType, ptr, read } from "bun:ffi";

const PR_SET_NO_NEW_PRIVS = 38;
const SYS_seccomp_x86_64 = 317;
const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_TSYNC = 1;

export function installFilter(program: Uint8Array, flags: number): void {
  const libc = dlopen("libc.so.6", {
    prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
    syscall: { args: [FFIType.i64, FFIType.u64, FFIType.u64, FFIType.ptr], returns: FFIType.i64 },
    __errno_location: { args: [], returns: FFIType.ptr },
  });
  const errno = (): number => {
    const p = libc.symbols.__errno_location();
    return p === null ? -1 : read.i32(p, 0);
  };
  if (libc.symbols.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) throw new Error(`prctl(PR_SET_NO_NEW_PRIVS): errno ${errno()}`);
  // struct sock_fprog { u16 len; (6 bytes padding) struct sock_filter *filter; }
  const filter = Buffer.from(program);
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(program.length / 8, 0);
  fprog.writeBigUInt64LE(BigInt(ptr(filter)), 8);
  const rc = libc.symbols.syscall(SYS_seccomp_x86_64, SECCOMP_SET_MODE_FILTER, flags, ptr(fprog));
  if (Number(rc) !== 0) throw new Error(`seccomp(SECCOMP_SET_MODE_FILTER): rc ${rc}, errno ${errno()}`);
  // Keep the buffers alive until the syscall has copied them (it has, by now).
  void filter.length;
}
