#ifndef BERTH_REAPER_H
#define BERTH_REAPER_H
/* `berth-init --init -- CMD ARGS...`: a minimal init for `run --init` (bind-mounted into the
 * container read-only): runs CMD, forwards signals to it, reaps every orphan, and exits with
 * CMD's status. */
int reaper_main(char **argv);
#endif
