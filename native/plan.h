/* The plan wire format shared with src/runtime/plan/ops.ts (a test checks they agree).
 *
 *   frame:  u32 byte length | plan                                 (little-endian)
 *   plan:   header, then the steps
 *   header: "BPLN" | u32 version (2) | u32 step count
 * The helper reads one frame and runs it. When CLONE's child index is the end of what it read,
 * the child's steps come as a second frame, which the child reads after clone: the helper can
 * clone (make the namespaces) while the child's steps are still being compiled.
 *   step:   u16 op | u16 argc | argc x arg
 *   arg:    u8 kind; kind 0 = int: i64; kind 1 = bytes: u32 len, len bytes, one NUL
 *
 * Reports go back on the sync fd as fixed 256-byte records (struct report). */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H
#include <stdint.h>

#define PLAN_MAGIC "BPLN"
#define PLAN_VERSION 2

enum plan_op {
  OP_WRITE_FILE = 1,         /* path, content                   */
  OP_SETNS = 2,              /* path, nstype                    */
  OP_CLONE = 3,              /* flags, child's first step index, cgroup dir fd or -1 (clone3 CLONE_INTO_CGROUP) */
  OP_WRITE_CHILD_FILE = 4,   /* relpath under /proc/<child>, content */
  OP_REPORT_PID = 5,         /* -                               */
  OP_RELEASE_CHILD = 6,      /* -                               */
  OP_WAIT_CHILD = 7,         /* - (parent: wait, forward signals, exit with the child's status) */
  OP_EXIT = 8,               /* code                            */
  OP_WAIT_PARENT = 9,        /* -                               */
  OP_MOUNT = 10,             /* source, target, fstype, flags, data */
  OP_MOUNT_IN_ROOT = 11,     /* root, relpath, source, fstype, flags, data */
  OP_MKDIR_IN_ROOT = 12,     /* root, relpath, mode             */
  OP_MKFILE_IN_ROOT = 13,    /* root, relpath, mode             */
  OP_MKNOD_IN_ROOT = 14,     /* root, relpath, mode, dev, uid, gid */
  OP_SYMLINK_IN_ROOT = 15,   /* root, linktarget, relpath       */
  OP_PIVOT_ROOT = 16,        /* root                            */
  OP_MOVE_ROOT = 17,         /* root (MS_MOVE + chroot, for --no-pivot) */
  OP_MASK_PATH = 18,         /* path                            */
  OP_READONLY_PATH = 19,     /* path                            */
  OP_SETHOSTNAME = 20,       /* name                            */
  OP_SETDOMAINNAME = 21,     /* name                            */
  OP_SETRLIMIT = 22,         /* resource, soft, hard            */
  OP_SETGROUPS = 23,         /* gid...                          */
  OP_SETRESGID = 24,         /* gid                             */
  OP_SETRESUID = 25,         /* uid                             */
  OP_KEEPCAPS = 26,          /* on                              */
  OP_CAPS = 27,              /* bounding, effective, permitted, inheritable, ambient (bit masks) */
  OP_NO_NEW_PRIVS = 28,      /* -                               */
  OP_UMASK = 29,             /* mask                            */
  OP_CHDIR = 30,             /* path (must stay inside the root) */
  OP_SECCOMP = 31,           /* program bytes, flags            */
  OP_OPEN_FD = 32,           /* path, open flags, target fd     */
  OP_CONNECT_UNIX = 33,      /* socket path, target fd          */
  OP_SETUP_CONSOLE = 34,     /* socket fd, rows, cols           */
  OP_CLOSE_FDS = 35,         /* first fd: every fd >= it closes at exec */
  OP_REPORT_READY = 36,      /* -                               */
  OP_WAIT_FIFO = 37,         /* fd of the exec fifo (read-write) */
  OP_RESOLVE_EXEC = 38,      /* file, PATH value                */
  OP_EXEC = 39,              /* argc, argv..., envc, env...     */
  OP_UNSHARE = 40,           /* flags                           */
  OP_SETSID = 41,            /* -                               */
  OP_DUMPABLE = 42,          /* on                              */
  OP_DUP2 = 43,              /* oldfd, newfd                    */
  OP_MKNOD = 44,             /* path, mode, dev (e.g. the exec fifo) */
  OP_PIPE = 45,              /* read end fd, write end fd (both close-on-exec) */
  OP_SOCKETPAIR = 46,        /* fd a, fd b                      */
  OP_CLOSE = 47,             /* fd                              */
  OP_MONITOR = 48,           /* parent: become the container's monitor (monitor.c) */
  OP_HOOK_SYNC = 49,         /* fd: report the hook point, wait for one byte on fd */
  OP_JOIN_KEYRING = 50,      /* name, permissions: a new session keyring */
  OP_PDEATHSIG = 51,         /* signal sent to us when our parent (the monitor) dies */
  OP_RUN_FOR_CHILD = 52,     /* path, args...: run `path <child pid> args...`, wait, require status 0 */
  OP_CHROOT = 53,            /* root: chdir + chroot, no mount changes */
  OP_LINK_UP = 54,           /* interface name: set IFF_UP (the new network namespace's lo) */
  OP_WAIT_GO = 55,           /* fd: wait for one byte on fd (EOF: fail), then close it */
  OP_MAX
};

enum report_kind { REPORT_PID = 1, REPORT_READY = 2, REPORT_ERROR = 3, REPORT_HOOKS = 4 };

struct report {
  uint32_t kind;
  int32_t step;
  int32_t err;    /* errno */
  int32_t value;  /* pid */
  char detail[240];
};

#endif
