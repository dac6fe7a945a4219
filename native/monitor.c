/* The per-container monitor: what the helper's parent half becomes for engine containers.
 *
 * It is the container init's parent and outlives the berth command that started it. It copies
 * the container's stdout/stderr (or its pty) into a json-file log with rotation and to attached
 * clients, feeds their stdin to the container, records the exit status in a file (written
 * atomically), runs the health-check command on an interval, and finally execs the exit
 * command, through which TypeScript applies --rm and restart policies. It decides nothing.
 *
 * Attach protocol (unix stream socket), frames with Docker's 8-byte header:
 *   u8 kind | 3 zero bytes | u32 big-endian length | payload
 *   monitor -> client: 1 stdout, 2 stderr, 5 exit (payload: i32 BE status)
 *   client -> monitor: 0 stdin data, 3 resize (u16 BE rows, u16 BE cols), 4 close stdin
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define MAX_CLIENTS 16
#define LINE_MAX_BYTES 16384

struct stream {
  int fd;           /* read end; -1 once at EOF */
  const char *name; /* "stdout" / "stderr" */
  int kind;         /* frame kind */
  char buf[LINE_MAX_BYTES];
  size_t len;
};

struct client {
  int fd;
  unsigned char hdr[8];
  size_t hdr_len;
  uint32_t want;    /* payload bytes still to read for the current frame */
  int kind;
  unsigned char small[4];
  size_t small_len;
};

static const struct monitor_args *A;
static int log_fd = -1;
static off_t log_size;
static struct client clients[MAX_CLIENTS];
static int stdin_fd = -1; /* where client stdin goes: a pipe's write end or the pty master */
static int pty_fd = -1;

static void write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    c += w;
    n -= (size_t)w;
  }
}

static void open_log(void) {
  if (!A->log_path[0]) return;
  log_fd = open(A->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  struct stat st;
  log_size = (log_fd >= 0 && fstat(log_fd, &st) == 0) ? st.st_size : 0;
}

/* log -> log.1 -> ... -> log.(max_files-1); with one file, start it again. */
static void rotate(void) {
  if (log_fd >= 0) close(log_fd);
  char from[4200], to[4200];
  for (long i = A->log_max_files - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", A->log_path);
    else snprintf(from, sizeof from, "%s.%ld", A->log_path, i - 1);
    snprintf(to, sizeof to, "%s.%ld", A->log_path, i);
    rename(from, to);
  }
  if (A->log_max_files <= 1) truncate(A->log_path, 0);
  open_log();
}

static void log_line(const char *stream, const char *p, size_t n) {
  if (log_fd < 0) return;
  static char out[LINE_MAX_BYTES * 6 + 128];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t o = (size_t)snprintf(out, sizeof out, "{\"log\":\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
    } else if (c == '\r') {
      out[o++] = '\\';
      out[o++] = 'r';
    } else if (c == '\t') {
      out[o++] = '\\';
      out[o++] = 't';
    } else if (c < 0x20) {
      o += (size_t)snprintf(out + o, 7, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  o += (size_t)snprintf(out + o, sizeof out - o, "\",\"stream\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\"}\n", stream,
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  if (A->log_max_size > 0 && log_size > 0 && log_size + (off_t)o > A->log_max_size) rotate();
  if (log_fd < 0) return;
  write_all(log_fd, out, o);
  log_size += (off_t)o;
}

static void drop_client(struct client *c) {
  close(c->fd);
  c->fd = -1;
}

static void send_frame(int kind, const void *p, size_t n) {
  unsigned char hdr[8] = {(unsigned char)kind, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (clients[i].fd < 0) continue;
    /* a client that cannot keep up is dropped rather than stalling the container */
    if (send(clients[i].fd, hdr, 8, MSG_NOSIGNAL) != 8 || send(clients[i].fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) drop_client(&clients[i]);
  }
}

/* Split output into log lines at newlines (or when a line reaches 16 KiB, as Docker does). */
static void consume(struct stream *s, const char *p, size_t n) {
  send_frame(s->kind, p, n);
  for (size_t i = 0; i < n; i++) {
    s->buf[s->len++] = p[i];
    if (p[i] == '\n' || s->len == sizeof s->buf) {
      log_line(s->name, s->buf, s->len);
      s->len = 0;
    }
  }
}

static void flush_stream(struct stream *s) {
  if (s->len) log_line(s->name, s->buf, s->len);
  s->len = 0;
}

static void client_input(struct client *c) {
  unsigned char buf[8192];
  ssize_t n = read(c->fd, buf, sizeof buf);
  if (n <= 0) {
    drop_client(c);
    return;
  }
  size_t i = 0;
  while (i < (size_t)n) {
    if (c->want == 0 && c->hdr_len < 8) {
      c->hdr[c->hdr_len++] = buf[i++];
      if (c->hdr_len == 8) {
        c->kind = c->hdr[0];
        c->want = ((uint32_t)c->hdr[4] << 24) | ((uint32_t)c->hdr[5] << 16) | ((uint32_t)c->hdr[6] << 8) | c->hdr[7];
        c->small_len = 0;
        if (c->want == 0) {
          if (c->kind == 4 && stdin_fd >= 0 && stdin_fd != pty_fd) {
            close(stdin_fd);
            stdin_fd = -1;
          }
          c->hdr_len = 0;
        }
      }
      continue;
    }
    size_t take = (size_t)n - i < c->want ? (size_t)n - i : c->want;
    if (c->kind == 0 && stdin_fd >= 0) write_all(stdin_fd, buf + i, take);
    if (c->kind == 3)
      for (size_t k = 0; k < take && c->small_len < 4; k++) c->small[c->small_len++] = buf[i + k];
    i += take;
    c->want -= (uint32_t)take;
    if (c->want == 0) {
      if (c->kind == 3 && c->small_len == 4 && pty_fd >= 0) {
        struct winsize ws = {.ws_row = (unsigned short)((c->small[0] << 8) | c->small[1]), .ws_col = (unsigned short)((c->small[2] << 8) | c->small[3])};
        ioctl(pty_fd, TIOCSWINSZ, &ws);
      }
      c->hdr_len = 0;
    }
  }
}

static int receive_pty(int sock) {
  char data[64];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static void write_exit_file(int status) {
  if (!A->exit_file[0]) return;
  char tmp[4200], text[64];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(tmp, sizeof tmp, "%s.tmp", A->exit_file);
  int n = snprintf(text, sizeof text, "%d %lld\n", status, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, text, (size_t)n);
  fsync(fd);
  close(fd);
  rename(tmp, A->exit_file);
}

static pid_t run_health(void) {
  pid_t p = fork();
  if (p == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execv(A->health_argv[0], A->health_argv);
    _exit(127);
  }
  return p;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void monitor_run(const struct monitor_args *args) {
  A = args;
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  open_log();

  struct stream out = {.fd = A->stdout_fd, .name = "stdout", .kind = 1};
  struct stream err = {.fd = A->stderr_fd, .name = "stderr", .kind = 2};
  stdin_fd = A->stdin_fd;
  if (A->console_fd >= 0) {
    pty_fd = receive_pty(A->console_fd);
    close(A->console_fd);
    out.fd = pty_fd;
    err.fd = -1;
    stdin_fd = A->stdin_open ? pty_fd : -1;
  }

  int listen_fd = -1;
  if (A->attach_socket[0]) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", A->attach_socket);
    unlink(A->attach_socket);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    mode_t old = umask(0077);
    if (listen_fd >= 0 && (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listen_fd, 8) < 0)) {
      close(listen_fd);
      listen_fd = -1;
    }
    umask(old);
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  int exited = 0, status = 0;
  /* the child may have died before SIGCHLD was blocked (a missing program): its signal is
   * gone, so look for it once now */
  {
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0)
      if (w == A->child) {
        exited = 1;
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
  }
  pid_t health_pid = -1;
  long long next_health = A->health_interval_ms > 0 ? now_ms() + A->health_interval_ms : -1;
  for (;;) {
    /* done once the init is gone and its output is drained */
    if (exited && out.fd < 0 && err.fd < 0) break;
    struct pollfd p[4 + MAX_CLIENTS];
    int np = 0, i_out = -1, i_err = -1, i_listen = -1, i_sig = -1, i_cl[MAX_CLIENTS];
    if (out.fd >= 0) p[i_out = np++] = (struct pollfd){.fd = out.fd, .events = POLLIN};
    if (err.fd >= 0) p[i_err = np++] = (struct pollfd){.fd = err.fd, .events = POLLIN};
    if (listen_fd >= 0) p[i_listen = np++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
    if (sfd >= 0) p[i_sig = np++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    for (int c = 0; c < MAX_CLIENTS; c++) {
      i_cl[c] = -1;
      if (clients[c].fd >= 0) p[i_cl[c] = np++] = (struct pollfd){.fd = clients[c].fd, .events = POLLIN};
    }
    int timeout = -1;
    if (next_health >= 0 && !exited) {
      long long d = next_health - now_ms();
      timeout = d < 0 ? 0 : (int)d;
    }
    /* after the init exited, its orphans may hold the pipes: give them a moment, not forever */
    if (exited) timeout = 200;
    int r = poll(p, (nfds_t)np, timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && exited) break;
    if (next_health >= 0 && !exited && now_ms() >= next_health) {
      if (health_pid <= 0) health_pid = run_health();
      next_health = now_ms() + A->health_interval_ms;
    }
    /* accept before reading output: a client that connected and then let the process go
     * (attach, then start) must get its first bytes */
    if (i_listen >= 0 && (p[i_listen].revents & POLLIN)) {
      int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
      int slot = -1;
      for (int c = 0; c < MAX_CLIENTS && fd >= 0; c++)
        if (clients[c].fd < 0) {
          slot = c;
          break;
        }
      if (slot < 0 && fd >= 0) close(fd);
      if (slot >= 0) clients[slot] = (struct client){.fd = fd};
    }
    struct stream *streams[2] = {&out, &err};
    int idx[2] = {i_out, i_err};
    for (int k = 0; k < 2; k++) {
      if (idx[k] < 0 || !(p[idx[k]].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) continue;
      if (p[idx[k]].revents & POLLNVAL) { /* not open: nothing will come (was a busy loop) */
        flush_stream(streams[k]);
        streams[k]->fd = -1;
        continue;
      }
      char buf[8192];
      ssize_t n = read(streams[k]->fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) { /* EOF, or EIO from a pty whose other side is gone */
        flush_stream(streams[k]);
        if (streams[k]->fd != pty_fd || !A->stdin_open) close(streams[k]->fd);
        streams[k]->fd = -1;
        continue;
      }
      consume(streams[k], buf, (size_t)n);
    }
    for (int c = 0; c < MAX_CLIENTS; c++)
      if (i_cl[c] >= 0 && (p[i_cl[c]].revents & (POLLIN | POLLHUP | POLLERR))) client_input(&clients[c]);
    if (i_sig >= 0 && (p[i_sig].revents & POLLIN)) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == A->child) {
          exited = 1;
          status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        } else if (w == health_pid) {
          health_pid = -1;
        }
      }
    }
  }
  flush_stream(&out);
  flush_stream(&err);
  write_exit_file(status);
  unsigned char st[4] = {(unsigned char)(status >> 24), (unsigned char)(status >> 16), (unsigned char)(status >> 8), (unsigned char)status};
  send_frame(5, st, 4);
  for (int c = 0; c < MAX_CLIENTS; c++)
    if (clients[c].fd >= 0) drop_client(&clients[c]);
  if (listen_fd >= 0) {
    close(listen_fd);
    unlink(A->attach_socket);
  }
  if (log_fd >= 0) close(log_fd);
  if (A->exit_argv[0]) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(A->exit_argv[0], A->exit_argv);
  }
  _exit(0);
}
