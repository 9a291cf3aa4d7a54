/* tool.h - what the three programs share: exit codes, messages, option
 * parsing, signals, --stats and --progress. */
#ifndef SHMCAT_TOOL_H
#define SHMCAT_TOOL_H

#include <signal.h>
#include <stdint.h>

#include "shmcat.h"

/* The one table of exit codes; shmcat-in(1), shmcat-out(1), README. */
enum {
	EXIT_IO = 1,	  /* reading stdin, writing stdout, ring broken mid-stream */
	EXIT_USAGE = 2,	  /* bad input or unavailable IPC resource */
	EXIT_TRUNCATED = 3, /* writer died or was interrupted before the end */
	EXIT_TIMEOUT = 4, /* --timeout ran out, or --nonblock would wait */
	EXIT_SIGNAL = 128 /* + signal number */
};

#define CHUNK (64 * 1024) /* most bytes per read(2)/write(2) */
#define PIPE_SIZE (1024 * 1024) /* what we ask of stdin/stdout pipes */

extern const char *progname;
extern volatile sig_atomic_t caught_signal;

struct tool_opts {
	struct shmcat_opts lib;
	int timeout_ms; /* -1: wait forever */
	int verbose, stats, progress;
	const char *ring;
};

enum { OPT_STATS = 256, OPT_TAP, OPT_NEW, OPT_HANGUP };

/* The options both filters take, first and last in their tables (and in
 * the order of their man pages); common_option() handles them. */
#define COMMON_LONGOPTS_HEAD                                                \
	{"size", required_argument, NULL, 's'},                             \
	{"mode", required_argument, NULL, 'm'},                             \
	{"timeout", required_argument, NULL, 't'},                          \
	{"nonblock", no_argument, NULL, 'n'},                               \
	{"force", no_argument, NULL, 'f'}
#define COMMON_LONGOPTS_TAIL                                                \
	{"progress", no_argument, NULL, 'p'},                               \
	{"stats", no_argument, NULL, OPT_STATS},                            \
	{"verbose", no_argument, NULL, 'v'},                                \
	{"help", no_argument, NULL, 'h'},                                   \
	{"version", no_argument, NULL, 'V'},                                \
	{NULL, 0, NULL, 0}

int common_option(int c, const char *arg, struct tool_opts *t);
int finish_options(struct tool_opts *t, int argc, char **argv, int optind_);
int open_filter_ring(struct tool_opts *t, struct shmcat_ring **r);
void tool_init(const char *name, int argc, char **argv);
void warnx_ring(const char *ring, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int exit_code_for(int code, int attached);
int report_open_error(const char *ring, const struct shmcat_error *err);
int parse_size(const char *s, size_t *out);
int parse_timeout(const char *s, int *ms);
int parse_mode(const char *s, mode_t *mode);
void vlog(void *ctx, const char *fmt, ...);
void catch_signals(const char *ring);
void catch_sigbus(const char *what);
void widen_pipe(int fd);
void reraise(int sig) __attribute__((noreturn));

/* --stats and --progress */
struct meter {
	struct shmcat_ring *ring;
	const char *verb;
	int64_t start_ns, last_ns;
	uint64_t last_bytes;
	int progress, tty;
};
void meter_start(struct meter *m, struct shmcat_ring *r, const char *verb,
    int progress);
void meter_tick(struct meter *m);
int meter_wait(struct meter *m, int (*wait)(struct shmcat_ring *, int),
    int timeout_ms);
void meter_stats(struct meter *m);

#endif
