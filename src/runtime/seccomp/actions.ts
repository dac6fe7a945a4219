// OCI seccomp action names -> SECCOMP_RET_* values (linux/seccomp.h).

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

const EPERM = 1;

/** Thrown for invalid profiles; the message starts with the offending field's path. */
export class SeccompError extends Error {
  override name = "SeccompError";
}

/**
 * The RET value for an action. Like runc, ERRNO and TRACE default to EPERM when no
 * errno is given; any other action with an errno is rejected rather than ignored.
 */
export function actionRet(action: string, errnoRet: number | undefined, field: string, errnoField: string): number {
  const data = (): number => {
    if (errnoRet === undefined) return EPERM;
    if (!Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > SECCOMP_RET_DATA) {
      throw new SeccompError(`${errnoField}: must be an integer in 0..65535, got ${String(errnoRet)}`);
    }
    return errnoRet;
  };
  const noErrno = (ret: number): number => {
    if (errnoRet !== undefined) throw new SeccompError(`${errnoField}: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE`);
    return ret;
  };
  switch (action) {
    case "SCMP_ACT_ALLOW": return noErrno(SECCOMP_RET_ALLOW);
    case "SCMP_ACT_ERRNO": return (SECCOMP_RET_ERRNO | data()) >>> 0;
    case "SCMP_ACT_TRACE": return (SECCOMP_RET_TRACE | data()) >>> 0;
    // SCMP_ACT_KILL is libseccomp's historic name for KILL_THREAD.
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD": return noErrno(SECCOMP_RET_KILL_THREAD);
    case "SCMP_ACT_KILL_PROCESS": return noErrno(SECCOMP_RET_KILL_PROCESS);
    case "SCMP_ACT_TRAP": return noErrno(SECCOMP_RET_TRAP);
    case "SCMP_ACT_LOG": return noErrno(SECCOMP_RET_LOG);
    case "SCMP_ACT_NOTIFY":
      throw new SeccompError(`${field}: SCMP_ACT_NOTIFY is not supported (no seccomp listener support)`);
    default:
      throw new SeccompError(`${field}: unknown action ${JSON.stringify(action)}`);
  }
}

// SECCOMP_FILTER_FLAG_* (linux/seccomp.h).
const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1 << 0,
  SECCOMP_FILTER_FLAG_LOG: 1 << 1,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 1 << 2,
};
const UNSUPPORTED_FLAGS = new Set([
  "SECCOMP_FILTER_FLAG_NEW_LISTENER", "SECCOMP_FILTER_FLAG_TSYNC_ESRCH", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
]);

export function filterFlags(flags: string[] | undefined): number {
  let out = 0;
  (flags ?? []).forEach((f, i) => {
    const field = `linux.seccomp.flags[${i}]`;
    if (UNSUPPORTED_FLAGS.has(f)) throw new SeccompError(`${field}: ${f} is not supported (no seccomp listener support)`);
    const v = Object.hasOwn(FLAGS, f) ? FLAGS[f] : undefined;
    if (v === undefined) throw new SeccompError(`${field}: unknown flag ${JSON.stringify(f)}`);
    out |= v;
  });
  return out;
}
