#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H
#include <sys/types.h>

/* Everything comes from the plan's MONITOR step; -1 / "" mean "none". */
struct monitor_args {
  pid_t child;
  int stdout_fd, stderr_fd; /* read ends of the container's output pipes */
  int stdin_fd;             /* write end of the container's stdin pipe */
  int console_fd;           /* socketpair end the pty master arrives on (terminal) */
  int stdin_open;           /* -i: client input goes to the container */
  const char *log_path;
  long long log_max_size;
  long log_max_files;
  const char *exit_file;
  const char *attach_socket;
  char **exit_argv;         /* NULL-terminated; exit_argv[0] == NULL for none */
  long long health_interval_ms;
  char **health_argv;
};

void monitor_run(const struct monitor_args *a) __attribute__((noreturn));

#endif
