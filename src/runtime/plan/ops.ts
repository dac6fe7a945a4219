// Step opcodes of the plan wire format: must match native/plan.h (test/plan-unit checks).
export const Op = {
  WRITE_FILE: 1,
  SETNS: 2,
  CLONE: 3,
  WRITE_CHILD_FILE: 4,
  REPORT_PID: 5,
  RELEASE_CHILD: 6,
  WAIT_CHILD: 7,
  EXIT: 8,
  WAIT_PARENT: 9,
  MOUNT: 10,
  MOUNT_IN_ROOT: 11,
  MKDIR_IN_ROOT: 12,
  MKFILE_IN_ROOT: 13,
  MKNOD_IN_ROOT: 14,
  SYMLINK_IN_ROOT: 15,
  PIVOT_ROOT: 16,
  MOVE_ROOT: 17,
  MASK_PATH: 18,
  READONLY_PATH: 19,
  SETHOSTNAME: 20,
  SETDOMAINNAME: 21,
  SETRLIMIT: 22,
  SETGROUPS: 23,
  SETRESGID: 24,
  SETRESUID: 25,
  KEEPCAPS: 26,
  CAPS: 27,
  NO_NEW_PRIVS: 28,
  UMASK: 29,
  CHDIR: 30,
  SECCOMP: 31,
  OPEN_FD: 32,
  CONNECT_UNIX: 33,
  SETUP_CONSOLE: 34,
  CLOSE_FDS: 35,
  REPORT_READY: 36,
  WAIT_FIFO: 37,
  RESOLVE_EXEC: 38,
  EXEC: 39,
  UNSHARE: 40,
  SETSID: 41,
  DUMPABLE: 42,
  DUP2: 43,
  MKNOD: 44,
  PIPE: 45,
  SOCKETPAIR: 46,
  CLOSE: 47,
  MONITOR: 48,
  HOOK_SYNC: 49,
  JOIN_KEYRING: 50,
  PDEATHSIG: 51,
  RUN_FOR_CHILD: 52,
  CHROOT: 53,
  LINK_UP: 54,
  WAIT_GO: 55,
} as const;

export type OpName = keyof typeof Op;
export type OpCode = (typeof Op)[OpName];

export const opName = (code: number): OpName | undefined =>
  (Object.keys(Op) as OpName[]).find((k) => Op[k] === code);

/** Report records the helper writes on the sync fd (struct report in plan.h). */
export const Report = { PID: 1, READY: 2, ERROR: 3, HOOKS: 4 } as const;
export const REPORT_SIZE = 256;
