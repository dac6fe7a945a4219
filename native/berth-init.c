/* berth-init: executes a plan compiled by berth's TypeScript side.
 *
 * Usage: berth-init PLAN_FD SYNC_FD
 *
 * It reads the whole plan from PLAN_FD, then runs its steps in order. It makes no decisions:
 * every path, flag, id and ordering comes from the plan. OP_CLONE splits the run: the child
 * jumps to the step the plan names, the parent runs the steps in between (uid/gid maps, pid
 * report, release, wait or exit). On failure it writes a report (step index, errno, detail)
 * to SYNC_FD and exits 1; TypeScript turns that into "mount proc on /proc: EPERM (step 12)".
 * Single-threaded on purpose: setns(2) into a user namespace requires it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "monitor.h"

/* struct clone_args up to CLONE_ARGS_SIZE_VER2 (Linux 5.7), as the kernel defines it */
struct clone_args_v2 {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#include "reaper.h"
#include "plan.h"

struct arg {
  int is_bytes;
  int64_t i;
  const char *s;
  uint32_t len;
};

struct step {
  uint16_t op;
  uint16_t argc;
  struct arg *a;
};

static struct step *steps;
static uint32_t nsteps;
static int sync_fd = -1;
static int current = -1;
static pid_t child_pid;
static int release_pipe[2] = {-1, -1};
static char exec_path[4096];

/* ---- reporting ------------------------------------------------------------------------ */

static void report(uint32_t kind, int err, int value, const char *detail) {
  struct report r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.step = current;
  r.err = err;
  r.value = value;
  if (detail) snprintf(r.detail, sizeof r.detail, "%s", detail);
  if (sync_fd >= 0) {
    ssize_t n;
    do n = write(sync_fd, &r, sizeof r);
    while (n < 0 && errno == EINTR);
  }
}

/* Fail the current step: report it, print it (the sync fd may have no reader after
 * `create` returned), and exit. 126/127 follow the shell's convention for exec errors. */
static void __attribute__((noreturn)) fail(int err, const char *detail, int code) {
  report(REPORT_ERROR, err, 0, detail);
  if (current >= 0 && steps && steps[current].op == OP_EXEC)
    dprintf(2, "berth-init: exec %s: %s\n", exec_path, strerror(err));
  _exit(code);
}

#define CHECK(expr, detail)                        \
  do {                                             \
    if ((expr) < 0) fail(errno, (detail), 1);      \
  } while (0)

/* ---- plan decoding -------------------------------------------------------------------- */

static int read_exact(int fd, char *buf, size_t len) {
  size_t n = 0;
  while (n < len) {
    ssize_t r = read(fd, buf + n, len - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    n += (size_t)r;
  }
  return 0;
}

/* One frame: u32 length, then that many bytes (kept: step strings point into them). */
static char *read_frame(int fd, size_t *len) {
  uint32_t l;
  if (read_exact(fd, (char *)&l, 4) < 0 || l > (64u << 20)) return NULL;
  char *buf = malloc(l ? l : 1);
  if (!buf || read_exact(fd, buf, l) < 0) return NULL;
  *len = l;
  return buf;
}

/* Decode a frame's steps after those already there (the child's frame follows the parent's). */
static int decode(char *buf, size_t len) {
  size_t off = 12;
  if (len < 12 || memcmp(buf, PLAN_MAGIC, 4) != 0) return -1;
  uint32_t version, count;
  memcpy(&version, buf + 4, 4);
  memcpy(&count, buf + 8, 4);
  if (version != PLAN_VERSION || count > 100000 || nsteps + count > 200000) return -1;
  struct step *all = realloc(steps, (nsteps + count + 1) * sizeof *steps);
  if (!all) return -1;
  steps = all;
  memset(steps + nsteps, 0, (count + 1) * sizeof *steps);
  struct step *base = steps + nsteps;
  for (uint32_t i = 0; i < count; i++) {
    if (off + 4 > len) return -1;
    uint16_t op, argc;
    memcpy(&op, buf + off, 2);
    memcpy(&argc, buf + off + 2, 2);
    off += 4;
    base[i].op = op;
    base[i].argc = argc;
    base[i].a = calloc(argc ? argc : 1, sizeof(struct arg));
    if (!base[i].a) return -1;
    for (uint16_t j = 0; j < argc; j++) {
      if (off + 1 > len) return -1;
      uint8_t kind = (uint8_t)buf[off++];
      struct arg *a = &base[i].a[j];
      if (kind == 0) {
        if (off + 8 > len) return -1;
        memcpy(&a->i, buf + off, 8);
        off += 8;
      } else if (kind == 1) {
        uint32_t l;
        if (off + 4 > len) return -1;
        memcpy(&l, buf + off, 4);
        off += 4;
        if (off + l + 1 > len || buf[off + l] != 0) return -1;
        a->is_bytes = 1;
        a->s = buf + off;
        a->len = l;
        off += l + 1;
      } else {
        return -1;
      }
    }
  }
  nsteps += count;
  return off == len ? 0 : -1;
}

static int plan_fd = -1;
static int check_args(const struct step *s);

/* Read a frame from the plan fd and append its steps, each checked against its op's shape. */
static void load_frame(void) {
  size_t len = 0;
  uint32_t first = nsteps;
  char *buf = read_frame(plan_fd, &len);
  if (!buf || decode(buf, len) < 0) fail(EINVAL, "malformed plan", 1);
  for (uint32_t i = first; i < nsteps; i++) {
    current = (int)i;
    if (check_args(&steps[i]) < 0) fail(EINVAL, "malformed step", 1);
  }
}

/* ---- helpers -------------------------------------------------------------------------- */

static int write_file(const char *path, const char *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, data, len);
  int saved = errno;
  close(fd);
  errno = saved;
  if (n < 0) return -1;
  if ((size_t)n != len) {
    errno = EIO;
    return -1;
  }
  return 0;
}

/* The root a step resolves paths in, opened once per step (a mount target's directories are
 * walked one by one). Forgotten between steps: a step's mount may change what the path leads
 * to, and no descriptor of ours may live into the next step (fd layout, exec). */
static char step_root[4096];
static int step_rootfd = -1;

static void forget_root(void) {
  if (step_rootfd >= 0) close(step_rootfd);
  step_rootfd = -1;
}

static int root_fd(const char *root) {
  if (step_rootfd >= 0 && strcmp(step_root, root) == 0) return step_rootfd;
  forget_root();
  int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || strlen(root) >= sizeof step_root) return fd;
  memcpy(step_root, root, strlen(root) + 1);
  step_rootfd = fd;
  return fd;
}

/* Resolve rel inside root the way the container will see it: symlinks and ".." cannot
 * leave root (CVE-2021-30465-style escapes through symlinked mount targets). */
static int open_in_root(const char *root, const char *rel, int flags) {
  int rootfd = root_fd(root);
  if (rootfd < 0) return -1;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
  if (rootfd != step_rootfd) {
    int saved = errno;
    close(rootfd);
    errno = saved;
  }
  return fd;
}

/* Split rel into its parent (opened O_PATH inside root) and its last component. */
static int open_parent_in_root(const char *root, const char *rel, char *name, size_t namelen) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", rel);
  size_t l = strlen(buf);
  while (l > 1 && buf[l - 1] == '/') buf[--l] = 0;
  char *slash = strrchr(buf, '/');
  const char *last = slash ? slash + 1 : buf;
  if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
    errno = EINVAL;
    return -1;
  }
  snprintf(name, namelen, "%s", last);
  if (slash) {
    if (slash == buf) slash[1] = 0;
    else *slash = 0;
  } else {
    snprintf(buf, sizeof buf, ".");
  }
  return open_in_root(root, buf, O_PATH | O_DIRECTORY);
}

/* rel inside root with its symlinks followed as the container will see them, also where a
 * link's target does not exist yet: runc makes such targets (an image's /etc/resolv.conf that
 * points into /run), so the mount lands inside the rootfs. Component by component: a link is read
 * with readlinkat in its directory (opened with open_in_root) and its target takes the place of
 * the component; ".." stops at root; from the first missing component on, the rest is taken as
 * it is. At most 40 links (ELOOP). out: an absolute path whose existing part has no links. */
static int follow_in_root(const char *root, const char *rel, char *out, size_t outlen) {
  char todo[8192], next[8192], cur[4096] = "", link[4096];
  int links = 0, missing = 0;
  if (snprintf(todo, sizeof todo, "%s", rel) >= (int)sizeof todo) return errno = ENAMETOOLONG, -1;
  char *p = todo;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *end = strchrnul(p, '/');
    char c[256];
    size_t cl = (size_t)(end - p);
    if (cl >= sizeof c) return errno = ENAMETOOLONG, -1;
    memcpy(c, p, cl);
    c[cl] = 0;
    p = end;
    if (strcmp(c, ".") == 0) continue;
    if (strcmp(c, "..") == 0) {
      char *slash = strrchr(cur, '/');
      if (slash) *slash = 0;
      continue;
    }
    if (!missing) {
      int dir = open_in_root(root, cur[0] ? cur : "/", O_PATH | O_DIRECTORY);
      if (dir < 0) return -1;
      struct stat st;
      int r = fstatat(dir, c, &st, AT_SYMLINK_NOFOLLOW);
      if (r < 0 && errno != ENOENT) {
        int saved = errno;
        close(dir);
        return errno = saved, -1;
      }
      if (r == 0 && S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(dir, c, link, sizeof link - 1);
        close(dir);
        if (n < 0) return -1;
        link[n] = 0;
        if (++links > 40) return errno = ELOOP, -1;
        /* the target, then what was left after the link */
        if (snprintf(next, sizeof next, "%s/%s", link, p) >= (int)sizeof next) return errno = ENAMETOOLONG, -1;
        memcpy(todo, next, strlen(next) + 1);
        p = todo;
        if (link[0] == '/') cur[0] = 0;
        continue;
      }
      close(dir);
      if (r < 0) missing = 1;
    }
    size_t l = strlen(cur);
    if (l + 1 + cl + 1 > sizeof cur) return errno = ENAMETOOLONG, -1;
    cur[l] = '/';
    memcpy(cur + l + 1, c, cl + 1);
  }
  if (snprintf(out, outlen, "%s", cur[0] ? cur : "/") >= (int)outlen) return errno = ENAMETOOLONG, -1;
  return 0;
}

static int mkdir_walk(const char *root, const char *rel, mode_t mode);

static int mkdir_in_root(const char *root, const char *rel, mode_t mode) {
  /* usually there already: one lookup instead of one per component */
  int whole = open_in_root(root, rel, O_PATH | O_DIRECTORY);
  if (whole >= 0) {
    close(whole);
    return 0;
  }
  if (errno != ENOENT) return -1;
  if (mkdir_walk(root, rel, mode) == 0) return 0;
  if (errno != ENOENT) return -1;
  /* a component is a link whose target is missing: make what the links point to */
  char followed[4096];
  if (follow_in_root(root, rel, followed, sizeof followed) < 0) return -1;
  return mkdir_walk(root, followed, mode);
}

/* mkdir of each missing component of rel, one by one inside root */
static int mkdir_walk(const char *root, const char *rel, mode_t mode) {
  char prefix[4096];
  size_t n = 0;
  const char *p = rel;
  while (*p) {
    while (*p == '/') p++;
    if (!*p) break;
    const char *end = strchrnul(p, '/');
    if (n + (size_t)(end - p) + 2 >= sizeof prefix) {
      errno = ENAMETOOLONG;
      return -1;
    }
    prefix[n++] = '/';
    memcpy(prefix + n, p, (size_t)(end - p));
    n += (size_t)(end - p);
    prefix[n] = 0;
    int fd = open_in_root(root, prefix, O_PATH | O_DIRECTORY);
    if (fd >= 0) {
      close(fd);
    } else if (errno == ENOENT) {
      char name[256];
      int parent = open_parent_in_root(root, prefix, name, sizeof name);
      if (parent < 0) return -1;
      int r = mkdirat(parent, name, mode);
      int saved = errno;
      close(parent);
      if (r < 0 && saved != EEXIST) {
        errno = saved;
        return -1;
      }
    } else {
      return -1;
    }
    p = end;
  }
  return 0;
}

/* An empty file at rel (a bind mount's target) unless something is there already. O_EXCL: an
 * existing fifo or device is never opened. A link (ELOOP with O_NOFOLLOW) or a missing parent:
 * the file is made where the links lead (follow_in_root), its directories too. */
static int mkfile_in_root(const char *root, const char *given, mode_t mode) {
  const char *rel = given;
  char followed[4096];
  for (int pass = 0; pass < 2; pass++) {
    char name[256];
    int parent = open_parent_in_root(root, rel, name, sizeof name);
    int fd = -1, link = 0;
    if (parent >= 0) {
      fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
      int saved = errno;
      struct stat st;
      /* O_EXCL says EEXIST for a link, whether or not its target exists */
      if (fd < 0 && saved == EEXIST && fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) link = 1;
      close(parent);
      errno = saved;
    }
    if (fd >= 0) return close(fd), 0;
    if ((errno == EEXIST && !link) || errno == EISDIR) return 0;
    if (pass > 0 || (!link && errno != ENOENT)) return -1;
    /* behind a link, or a parent missing: create where the links lead */
    if (follow_in_root(root, given, followed, sizeof followed) < 0) return -1;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", followed);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
      *slash = 0;
      if (mkdir_in_root(root, dir, 0755) < 0) return -1;
    }
    rel = followed;
  }
  return -1;
}

static int mount_at_fd(const char *src, int fd, const char *fstype, unsigned long flags, const char *data) {
  char target[64];
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  int r = mount(src, target, fstype, flags, data);
  /* Remounting a bind mount inside a user namespace must keep the locked flags. */
  if (r < 0 && errno == EPERM && (flags & MS_REMOUNT)) {
    struct statvfs st;
    if (fstatvfs(fd, &st) == 0) {
      unsigned long keep = 0;
      if (st.f_flag & ST_NOSUID) keep |= MS_NOSUID;
      if (st.f_flag & ST_NODEV) keep |= MS_NODEV;
      if (st.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
      if (st.f_flag & ST_NOATIME) keep |= MS_NOATIME;
      if (st.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
      if (st.f_flag & ST_RELATIME) keep |= MS_RELATIME;
      r = mount(src, target, fstype, flags | keep, data);
    }
  }
  return r;
}

static int remount_ro(const char *path) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = mount_at_fd(NULL, fd, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

static void forward_signal(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

static int set_caps(const struct step *s) {
  uint64_t bounding = (uint64_t)s->a[0].i, eff = (uint64_t)s->a[1].i, perm = (uint64_t)s->a[2].i,
           inh = (uint64_t)s->a[3].i, amb = (uint64_t)s->a[4].i;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  /* After setuid to a non-root uid the effective set is empty: raise it to what is still
   * permitted, so that CAP_SETPCAP allows dropping the bounding set. */
  if (syscall(SYS_capget, &hdr, data) < 0) return -1;
  data[0].effective = data[0].permitted;
  data[1].effective = data[1].permitted;
  if (syscall(SYS_capset, &hdr, data) < 0) return -1;
  for (int c = 0; c < 64; c++) {
    if (bounding & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) return -1;
  }
  data[0].effective = (uint32_t)eff;
  data[1].effective = (uint32_t)(eff >> 32);
  data[0].permitted = (uint32_t)perm;
  data[1].permitted = (uint32_t)(perm >> 32);
  data[0].inheritable = (uint32_t)inh;
  data[1].inheritable = (uint32_t)(inh >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) return -1;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
  for (int c = 0; c < 64; c++) {
    if (!(amb & (1ULL << c))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) return -1;
  }
  return 0;
}

static int setup_console(int sock, int rows, int cols) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return -1;
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) return -1;
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) return -1;
  if (rows > 0 && cols > 0) {
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(slave, TIOCSWINSZ, &ws);
  }
  /* runc's console-socket protocol: one message carrying the master fd in SCM_RIGHTS. */
  char name[] = "/dev/ptmx";
  struct iovec iov = {.iov_base = name, .iov_len = sizeof name - 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  if (sendmsg(sock, &msg, 0) < 0) return -1;
  close(master);
  close(sock);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) return -1;
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) return -1;
  if (slave > 2) close(slave);
  return 0;
}

static int resolve_exec(const char *file, const char *pathvar) {
  struct stat st;
  if (strchr(file, '/')) {
    snprintf(exec_path, sizeof exec_path, "%s", file);
    if (stat(exec_path, &st) < 0) return -1;
    if (S_ISDIR(st.st_mode)) {
      errno = EISDIR;
      return -1;
    }
    return 0;
  }
  const char *p = pathvar;
  while (p) {
    const char *end = strchr(p, ':');
    size_t l = end ? (size_t)(end - p) : strlen(p);
    if (l == 0) snprintf(exec_path, sizeof exec_path, "./%s", file);
    else snprintf(exec_path, sizeof exec_path, "%.*s/%s", (int)l, p, file);
    if (stat(exec_path, &st) == 0 && S_ISREG(st.st_mode) && access(exec_path, X_OK) == 0) return 0;
    p = end ? end + 1 : NULL;
  }
  snprintf(exec_path, sizeof exec_path, "%s", file);
  errno = ENOENT;
  return -1;
}

#define S(n) (s->a[n].s)
#define I(n) (s->a[n].i)

/* MONITOR: stdout, stderr, stdin, console, stdin_open, log, max size, max files, exit file,
 * attach socket, health interval ms, exit argc, exit argv..., health argc, health argv... */
static char **argv_at(const struct step *s, uint16_t *k) {
  if (*k >= s->argc || s->a[*k].is_bytes) fail(EINVAL, "monitor step", 1);
  int64_t n = s->a[(*k)++].i;
  if (n < 0 || *k + n > s->argc) fail(EINVAL, "monitor step", 1);
  char **v = calloc((size_t)n + 1, sizeof(char *));
  if (!v) fail(ENOMEM, "monitor", 1);
  for (int64_t j = 0; j < n; j++) {
    if (!s->a[*k].is_bytes) fail(EINVAL, "monitor step", 1);
    v[j] = (char *)s->a[(*k)++].s;
  }
  return v;
}

static void __attribute__((noreturn)) run_monitor(const struct step *s) {
  static const char shape[] = "iiiiisiissi";
  if (s->argc < sizeof shape) fail(EINVAL, "monitor step", 1);
  for (size_t j = 0; j < sizeof shape - 1; j++)
    if ((shape[j] == 's') != (s->a[j].is_bytes != 0)) fail(EINVAL, "monitor step", 1);
  uint16_t k = sizeof shape - 1;
  struct monitor_args m = {
      .child = child_pid, .stdout_fd = (int)I(0), .stderr_fd = (int)I(1), .stdin_fd = (int)I(2),
      .console_fd = (int)I(3), .stdin_open = (int)I(4), .log_path = S(5), .log_max_size = I(6),
      .log_max_files = (long)I(7), .exit_file = S(8), .attach_socket = S(9), .health_interval_ms = I(10),
  };
  m.exit_argv = argv_at(s, &k);
  m.health_argv = argv_at(s, &k);
  if (!m.health_argv[0]) m.health_interval_ms = 0;
  if (k != s->argc) fail(EINVAL, "monitor step", 1);
  /* the monitor keeps no line to the berth command that started it */
  if (sync_fd >= 0) close(sync_fd);
  sync_fd = -1;
  monitor_run(&m);
}

/* ---- the step interpreter ------------------------------------------------------------- */


/* Wait for TypeScript's one byte on fd, then close it; EOF (TypeScript gave up or died) fails. */
static void await_byte(int fd, const char *why) {
  char c;
  ssize_t n;
  do n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) fail(ECANCELED, why, 1);
  close(fd);
}

static int check_args(const struct step *s) {
  static const char *const shapes[OP_MAX] = {
      [OP_WRITE_FILE] = "ss", [OP_SETNS] = "si", [OP_CLONE] = "iii", [OP_WRITE_CHILD_FILE] = "ss",
      [OP_REPORT_PID] = "", [OP_RELEASE_CHILD] = "", [OP_WAIT_CHILD] = "", [OP_EXIT] = "i",
      [OP_WAIT_PARENT] = "", [OP_MOUNT] = "sssis", [OP_MOUNT_IN_ROOT] = "ssssis",
      [OP_MKDIR_IN_ROOT] = "ssi", [OP_MKFILE_IN_ROOT] = "ssi", [OP_MKNOD_IN_ROOT] = "ssiiii",
      [OP_SYMLINK_IN_ROOT] = "sss", [OP_PIVOT_ROOT] = "s", [OP_MOVE_ROOT] = "s", [OP_MASK_PATH] = "s",
      [OP_READONLY_PATH] = "s", [OP_SETHOSTNAME] = "s", [OP_SETDOMAINNAME] = "s",
      [OP_SETRLIMIT] = "iii", [OP_SETGROUPS] = "*", [OP_SETRESGID] = "i", [OP_SETRESUID] = "i",
      [OP_KEEPCAPS] = "i", [OP_CAPS] = "iiiii", [OP_NO_NEW_PRIVS] = "", [OP_UMASK] = "i",
      [OP_CHDIR] = "s", [OP_SECCOMP] = "si", [OP_OPEN_FD] = "sii", [OP_CONNECT_UNIX] = "si",
      [OP_SETUP_CONSOLE] = "iii", [OP_CLOSE_FDS] = "i", [OP_REPORT_READY] = "", [OP_WAIT_FIFO] = "i",
      [OP_RESOLVE_EXEC] = "ss", [OP_EXEC] = "*", [OP_UNSHARE] = "i", [OP_SETSID] = "",
      [OP_DUMPABLE] = "i", [OP_DUP2] = "ii", [OP_MKNOD] = "sii", [OP_PIPE] = "ii",
      [OP_SOCKETPAIR] = "ii", [OP_CLOSE] = "i", [OP_MONITOR] = "*", [OP_HOOK_SYNC] = "i", [OP_JOIN_KEYRING] = "si", [OP_PDEATHSIG] = "i", [OP_RUN_FOR_CHILD] = "*", [OP_CHROOT] = "s", [OP_LINK_UP] = "s", [OP_WAIT_GO] = "i",
  };
  if (s->op == 0 || s->op >= OP_MAX || !shapes[s->op]) return -1;
  const char *shape = shapes[s->op];
  if (shape[0] == '*') return 0;
  if (strlen(shape) != s->argc) return -1;
  for (uint16_t j = 0; j < s->argc; j++)
    if ((shape[j] == 's') != (s->a[j].is_bytes != 0)) return -1;
  return 0;
}

static uint32_t run_step(const struct step *s, uint32_t i) {
  switch (s->op) {
  case OP_WRITE_FILE:
    CHECK(write_file(S(0), S(1), s->a[1].len), S(0));
    break;
  case OP_SETNS: {
    int fd = open(S(0), O_RDONLY | O_CLOEXEC);
    CHECK(fd, S(0));
    CHECK(setns(fd, (int)I(1)), S(0));
    close(fd);
    break;
  }
  case OP_CLONE: {
    if (I(0) & CLONE_NEWUSER) CHECK(pipe2(release_pipe, O_CLOEXEC), "pipe");
    pid_t pid;
    if (I(2) >= 0) {
      /* born in its cgroup (v2): no migration, so no wait for the kernel's threadgroup lock */
      struct clone_args_v2 ca;
      memset(&ca, 0, sizeof ca);
      ca.flags = (uint64_t)I(0) | CLONE_INTO_CGROUP_FLAG;
      ca.exit_signal = SIGCHLD;
      ca.cgroup = (uint64_t)I(2);
      pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
      CHECK(pid, "clone3 into cgroup");
    } else {
      pid = (pid_t)syscall(SYS_clone, (unsigned long)I(0) | SIGCHLD, 0, 0, 0, 0);
      CHECK(pid, "clone");
    }
    if (pid == 0) {
      if (release_pipe[1] >= 0) close(release_pipe[1]);
      uint32_t at = (uint32_t)I(1); /* read before load_frame may move the steps */
      if (at == nsteps) load_frame();
      close(plan_fd);
      plan_fd = -1;
      return at;
    }
    close(plan_fd);
    plan_fd = -1;
    child_pid = pid;
    if (release_pipe[0] >= 0) close(release_pipe[0]);
    break;
  }
  case OP_WRITE_CHILD_FILE: {
    char path[256];
    snprintf(path, sizeof path, "/proc/%d/%s", child_pid, S(0));
    CHECK(write_file(path, S(1), s->a[1].len), path);
    break;
  }
  case OP_REPORT_PID:
    report(REPORT_PID, 0, child_pid, NULL);
    break;
  case OP_RELEASE_CHILD:
    if (release_pipe[1] >= 0) {
      CHECK(write(release_pipe[1], "1", 1), "release");
      close(release_pipe[1]);
      release_pipe[1] = -1;
    }
    break;
  case OP_WAIT_CHILD: {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++) sigaction(sigs[k], &sa, NULL);
    if (sync_fd >= 0) close(sync_fd);
    sync_fd = -1;
    int status;
    while (waitpid(child_pid, &status, 0) < 0)
      if (errno != EINTR) _exit(255);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  case OP_EXIT:
    _exit((int)I(0));
  case OP_WAIT_PARENT:
    if (release_pipe[0] >= 0) {
      char c;
      ssize_t n;
      do n = read(release_pipe[0], &c, 1);
      while (n < 0 && errno == EINTR);
      if (n != 1) fail(EPIPE, "parent died before releasing the child", 1);
      close(release_pipe[0]);
    }
    break;
  case OP_MOUNT:
    CHECK(mount(s->a[0].len ? S(0) : NULL, S(1), s->a[2].len ? S(2) : NULL, (unsigned long)I(3),
                s->a[4].len ? S(4) : NULL),
          S(1));
    break;
  case OP_MOUNT_IN_ROOT: {
    int fd = open_in_root(S(0), S(1), O_PATH);
    CHECK(fd, S(1));
    CHECK(mount_at_fd(s->a[2].len ? S(2) : NULL, fd, s->a[3].len ? S(3) : NULL, (unsigned long)I(4),
                      s->a[5].len ? S(5) : NULL),
          S(1));
    close(fd);
    break;
  }
  case OP_MKDIR_IN_ROOT:
    CHECK(mkdir_in_root(S(0), S(1), (mode_t)I(2)), S(1));
    break;
  case OP_MKFILE_IN_ROOT:
    CHECK(mkfile_in_root(S(0), S(1), (mode_t)I(2)), S(1));
    break;
  case OP_MKNOD_IN_ROOT: {
    char name[256];
    int parent = open_parent_in_root(S(0), S(1), name, sizeof name);
    CHECK(parent, S(1));
    if (mknodat(parent, name, (mode_t)I(2), (dev_t)I(3)) < 0 && errno != EEXIST) fail(errno, S(1), 1);
    CHECK(fchownat(parent, name, (uid_t)I(4), (gid_t)I(5), AT_SYMLINK_NOFOLLOW), S(1));
    close(parent);
    break;
  }
  case OP_SYMLINK_IN_ROOT: {
    char name[256];
    int parent = open_parent_in_root(S(0), S(2), name, sizeof name);
    CHECK(parent, S(2));
    if (symlinkat(S(1), parent, name) < 0 && errno != EEXIST) fail(errno, S(2), 1);
    close(parent);
    break;
  }
  case OP_PIVOT_ROOT: {
    /* pivot_root(".", "."): the old root ends up stacked on the new one and is detached,
     * so no directory for it has to exist inside the container. */
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    CHECK(oldroot, "/");
    int newroot = open(S(0), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    CHECK(newroot, S(0));
    CHECK(fchdir(newroot), S(0));
    CHECK(syscall(SYS_pivot_root, ".", "."), S(0));
    CHECK(fchdir(oldroot), "old root");
    CHECK(mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL), "old root");
    CHECK(umount2(".", MNT_DETACH), "old root");
    CHECK(chdir("/"), "/");
    close(oldroot);
    close(newroot);
    break;
  }
  case OP_MOVE_ROOT:
    CHECK(chdir(S(0)), S(0));
    CHECK(mount(S(0), "/", NULL, MS_MOVE, NULL), S(0));
    CHECK(chroot("."), S(0));
    CHECK(chdir("/"), "/");
    break;
  case OP_LINK_UP: {
    int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(sk, "socket");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", S(0));
    CHECK(ioctl(sk, SIOCGIFFLAGS, &ifr), S(0));
    ifr.ifr_flags |= IFF_UP;
    CHECK(ioctl(sk, SIOCSIFFLAGS, &ifr), S(0));
    close(sk);
    break;
  }
  case OP_CHROOT:
    CHECK(chdir(S(0)), S(0));
    CHECK(chroot("."), S(0));
    CHECK(chdir("/"), "/");
    break;
  case OP_MASK_PATH: {
    struct stat st;
    if (stat(S(0), &st) < 0) {
      if (errno == ENOENT) break;
      fail(errno, S(0), 1);
    }
    if (S_ISDIR(st.st_mode))
      CHECK(mount("tmpfs", S(0), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=755"), S(0));
    else
      CHECK(mount("/dev/null", S(0), NULL, MS_BIND, NULL), S(0));
    break;
  }
  case OP_READONLY_PATH:
    if (mount(S(0), S(0), NULL, MS_BIND | MS_REC, NULL) < 0) {
      if (errno == ENOENT) break;
      fail(errno, S(0), 1);
    }
    CHECK(remount_ro(S(0)), S(0));
    break;
  case OP_SETHOSTNAME:
    CHECK(sethostname(S(0), s->a[0].len), "hostname");
    break;
  case OP_SETDOMAINNAME:
    CHECK(setdomainname(S(0), s->a[0].len), "domainname");
    break;
  case OP_SETRLIMIT: {
    struct rlimit rl = {.rlim_cur = (rlim_t)I(1), .rlim_max = (rlim_t)I(2)};
    CHECK(setrlimit((int)I(0), &rl), "setrlimit");
    break;
  }
  case OP_SETGROUPS: {
    gid_t gids[256];
    if (s->argc > 256) fail(E2BIG, "too many groups", 1);
    for (uint16_t k = 0; k < s->argc; k++) gids[k] = (gid_t)s->a[k].i;
    CHECK(setgroups(s->argc, gids), "setgroups");
    break;
  }
  case OP_SETRESGID:
    CHECK(setresgid((gid_t)I(0), (gid_t)I(0), (gid_t)I(0)), "setresgid");
    break;
  case OP_SETRESUID:
    CHECK(setresuid((uid_t)I(0), (uid_t)I(0), (uid_t)I(0)), "setresuid");
    break;
  case OP_KEEPCAPS:
    CHECK(prctl(PR_SET_KEEPCAPS, I(0) ? 1 : 0, 0, 0, 0), "keepcaps");
    break;
  case OP_CAPS:
    CHECK(set_caps(s), "capabilities");
    break;
  case OP_NO_NEW_PRIVS:
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
    break;
  case OP_UMASK:
    umask((mode_t)I(0));
    break;
  case OP_CHDIR: {
    CHECK(chdir(S(0)), S(0));
    /* CVE-2024-21626: a cwd reached through a leaked fd is outside the root. */
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/') fail(ENOENT, "cwd is outside the container's root", 1);
    break;
  }
  case OP_SECCOMP: {
    struct sock_fprog prog = {.len = (unsigned short)(s->a[0].len / 8), .filter = (struct sock_filter *)S(0)};
    if (s->a[0].len % 8 || s->a[0].len / 8 > 0xffff) fail(EINVAL, "seccomp program", 1);
    CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)I(1), &prog), "seccomp");
    break;
  }
  case OP_OPEN_FD: {
    int fd = open(S(0), (int)I(1) | O_CLOEXEC);
    CHECK(fd, S(0));
    if (fd != (int)I(2)) {
      CHECK(dup3(fd, (int)I(2), O_CLOEXEC), S(0));
      close(fd);
    }
    break;
  }
  case OP_CONNECT_UNIX: {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (s->a[0].len >= sizeof addr.sun_path) fail(ENAMETOOLONG, S(0), 1);
    memcpy(addr.sun_path, S(0), s->a[0].len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd, "socket");
    CHECK(connect(fd, (struct sockaddr *)&addr, sizeof addr), S(0));
    if (fd != (int)I(1)) {
      CHECK(dup3(fd, (int)I(1), O_CLOEXEC), S(0));
      close(fd);
    }
    break;
  }
  case OP_SETUP_CONSOLE:
    CHECK(setup_console((int)I(0), (int)I(1), (int)I(2)), "console");
    break;
  case OP_CLOSE_FDS:
    CHECK(syscall(SYS_close_range, (unsigned)I(0), ~0U, CLOSE_RANGE_CLOEXEC), "close_range");
    break;
  case OP_REPORT_READY:
    report(REPORT_READY, 0, (int)getpid(), NULL);
    break;
  case OP_WAIT_FIFO: {
    /* The fd is the exec fifo, opened read-write by the parent before clone (so the fifo always
     * has a reader while this process lives, and a start finds none once it died): block until
     * `start` writes its byte. */
    char b;
    ssize_t n;
    do n = read((int)I(0), &b, 1);
    while (n < 0 && errno == EINTR);
    CHECK(n, "exec fifo");
    if (n == 0) fail(EPIPE, "exec fifo", 1);
    close((int)I(0));
    break;
  }
  case OP_RESOLVE_EXEC:
    if (resolve_exec(S(0), S(1)) < 0) {
      int err = errno;
      fail(err, exec_path, err == ENOENT ? 127 : 126);
    }
    break;
  case OP_EXEC: {
    if (s->argc < 2 || s->a[0].is_bytes) fail(EINVAL, "exec step", 1);
    int64_t argc = s->a[0].i;
    if (argc < 1 || argc + 2 > s->argc) fail(EINVAL, "exec step", 1);
    int64_t envc = s->a[1 + argc].i;
    if (1 + argc + 1 + envc != s->argc) fail(EINVAL, "exec step", 1);
    char **argv = calloc((size_t)argc + 1, sizeof(char *));
    char **envp = calloc((size_t)envc + 1, sizeof(char *));
    if (!argv || !envp) fail(ENOMEM, "exec", 1);
    for (int64_t k = 0; k < argc; k++) argv[k] = (char *)s->a[1 + k].s;
    for (int64_t k = 0; k < envc; k++) envp[k] = (char *)s->a[2 + argc + k].s;
    if (!exec_path[0]) snprintf(exec_path, sizeof exec_path, "%s", argv[0]);
    /* Ignored signals survive execve: give the workload a clean slate. */
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(exec_path, argv, envp);
    fail(errno, exec_path, errno == ENOENT ? 127 : 126);
  }
  case OP_UNSHARE:
    CHECK(unshare((int)I(0)), "unshare");
    break;
  case OP_SETSID:
    CHECK(setsid(), "setsid");
    break;
  case OP_DUMPABLE:
    CHECK(prctl(PR_SET_DUMPABLE, I(0) ? 1 : 0, 0, 0, 0), "dumpable");
    break;
  case OP_MKNOD:
    CHECK(mknod(S(0), (mode_t)I(1), (dev_t)I(2)), S(0));
    break;
  case OP_PIPE:
  case OP_SOCKETPAIR: {
    int fds[2];
    if (s->op == OP_PIPE) CHECK(pipe2(fds, O_CLOEXEC), "pipe");
    else CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
    /* first above both targets: dup3 onto one target must not close the other end (pipe2 may
     * return one target's number for the other end) */
    int above = (int)(I(0) > I(1) ? I(0) : I(1)) + 1;
    for (int k = 0; k < 2; k++) {
      if (fds[k] >= above) continue;
      int moved = fcntl(fds[k], F_DUPFD_CLOEXEC, above);
      CHECK(moved, "fcntl F_DUPFD");
      close(fds[k]);
      fds[k] = moved;
    }
    for (int k = 0; k < 2; k++) {
      CHECK(dup3(fds[k], (int)I(k), O_CLOEXEC), "dup3");
      close(fds[k]);
    }
    break;
  }
  case OP_CLOSE:
    close((int)I(0));
    break;
  case OP_MONITOR:
    run_monitor(s);
  case OP_JOIN_KEYRING: {
    long key = syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, S(0));
    if (key < 0 && errno == ENOSYS) break; /* no keyrings in this kernel */
    CHECK(key, "session keyring");
    CHECK(syscall(SYS_keyctl, 5 /* KEYCTL_SETPERM */, key, (unsigned long)I(1)), "session keyring permissions");
    break;
  }
  case OP_PDEATHSIG:
    CHECK(prctl(PR_SET_PDEATHSIG, (unsigned long)I(0), 0, 0, 0), "parent death signal");
    break;
  case OP_RUN_FOR_CHILD: {
    /* e.g. newuidmap <pid> 0 1000 1 1 100000 65536 for a rootless user namespace */
    if (s->argc < 1 || s->argc > 60) fail(EINVAL, "run step", 1);
    char *argv[64], pidbuf[16];
    snprintf(pidbuf, sizeof pidbuf, "%d", child_pid);
    argv[0] = (char *)S(0);
    argv[1] = pidbuf;
    for (uint16_t k = 1; k < s->argc; k++) {
      if (!s->a[k].is_bytes) fail(EINVAL, "run step", 1);
      argv[k + 1] = (char *)s->a[k].s;
    }
    argv[s->argc + 1] = NULL;
    pid_t p = fork();
    CHECK(p, S(0));
    if (p == 0) {
      execv(argv[0], argv);
      _exit(127);
    }
    int st;
    while (waitpid(p, &st, 0) < 0)
      if (errno != EINTR) fail(errno, S(0), 1);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      char d[200];
      snprintf(d, sizeof d, "%s exited with status %d", S(0), WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
      fail(EPERM, d, 1);
    }
    break;
  }
  case OP_HOOK_SYNC:
    /* TypeScript runs the createRuntime/createContainer hooks now; one byte means go on */
    report(REPORT_HOOKS, 0, (int)getpid(), NULL);
    await_byte((int)I(0), "hooks failed");
    break;
  case OP_WAIT_GO:
    /* TypeScript made the cgroup while this process set up its namespaces: one byte means it is
       there; EOF means create failed (or died) and this container goes no further */
    await_byte((int)I(0), "the cgroup was not made");
    break;
  case OP_DUP2:
    CHECK(dup2((int)I(0), (int)I(1)), "dup2");
    break;
  default:
    fail(EINVAL, "unknown step", 1);
  }
  return i + 1;
}

/* --sealed: re-exec from a sealed memfd copy of ourselves. A process that joins a running
 * container is visible to it; the container must not be able to write the host's binary
 * through /proc/<pid>/exe (CVE-2019-5736). */
static void reexec_sealed(char **argv) {
  int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int mfd = memfd_create("berth-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (src < 0 || mfd < 0) fail(errno, "sealed copy", 1);
  struct stat st;
  CHECK(fstat(src, &st), "sealed copy");
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(mfd, src, NULL, (size_t)left);
    if (n <= 0) fail(n < 0 ? errno : EIO, "sealed copy", 1);
    left -= n;
  }
  close(src);
  CHECK(fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), "seal");
  char *nargv[] = {argv[0], argv[2], argv[3], NULL};
  extern char **environ;
  fexecve(mfd, nargv, environ);
  fail(errno, "exec sealed copy", 1);
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "--init") == 0 && strcmp(argv[2], "--") == 0) return reaper_main(argv + 3);
  if (argc == 4 && strcmp(argv[1], "--sealed") == 0) {
    sync_fd = atoi(argv[3]);
    reexec_sealed(argv);
  }
  if (argc != 3) {
    dprintf(2, "usage: berth-init PLAN_FD SYNC_FD (run by berth, not by hand)\n");
    return 2;
  }
  plan_fd = atoi(argv[1]);
  sync_fd = atoi(argv[2]);
  /* A dead reader must not kill us silently: write() returns EPIPE instead. */
  signal(SIGPIPE, SIG_IGN);
  /* kept open until clone (a second frame is the child's); never passed to what we exec */
  fcntl(plan_fd, F_SETFD, FD_CLOEXEC);
  load_frame();
  uint32_t i = 0;
  while (i < nsteps) {
    current = (int)i;
    forget_root();
    i = run_step(&steps[i], i);
    forget_root();
  }
  /* The parent's section ends where the child's begins: the plan ends it with EXIT or
   * WAIT_CHILD; running off the end is a plan error. */
  current = -1;
  fail(EINVAL, "plan ended without exec or exit", 1);
}
