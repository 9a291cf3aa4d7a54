/*
 * tool.h - what the three programs share.
 *
 *	message.c   one-line messages, exit codes for library errors
 *	parse.c     sizes, timeouts and modes from the command line
 *	options.c   the options both filters take, and their parsing
 *	signals.c   INT/TERM/HUP as a flag, USR1 for stats; SIGBUS
 *	io.c        program start; closed standard descriptors; waiting on one
 *	meter.c     --progress and --stats (and on SIGUSR1)
 *	filter.c    the start, stdin/stdout I/O and the finish of both filters
 *	json.c      shmcat list/status --json; --stats=json
 *	view.c      the rings at one moment, with rates (--watch, --prom)
 *	prom.c      --prom: the Prometheus text format, written atomically
 *	watch.c     --watch: a table, JSON Lines or --prom at every tick
 *
 * Who calls whom (no loops): DESIGN.md, "Architecture".
 */
#ifndef SHMCAT_TOOL_H
#define SHMCAT_TOOL_H

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "shmcat.h"

/* The one table of exit codes; shmcat-in(1), shmcat-out(1), README. */
enum {
	EXIT_IO = 1,	  /* reading stdin, writing stdout, ring broken mid-stream */
	EXIT_USAGE = 2,	  /* bad input or unavailable IPC resource */
	EXIT_TRUNCATED = 3, /* writer died or was interrupted before the end */
	EXIT_TIMEOUT = 4, /* --timeout ran out, or --nonblock would wait */
	EXIT_SIGNAL = 128 /* + signal number */
};

#define CHUNK (64 * 1024) /* most bytes per read(2)/write(2) of a pipe */
#define PIPE_SIZE (1024 * 1024) /* what we ask of stdin/stdout pipes */
#define FILE_CHUNK (1024 * 1024) /* per call when stdin/stdout is a file */

/* message.c */
extern const char *progname;
extern const char *force_hint; /* what -f would do: "use -f to ..." */
extern const char *ring_dir; /* --dir or $SHMCAT_DIR; NULL: the default */
extern const char *nowait_hint; /* the option that forbade waiting */
extern int progress_shown; /* a --progress line is on screen, unended */
void end_progress_line(void);
void warnx_ring(const char *ring, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int exit_code_for(int code, int attached);
void report_feature(const char *ring, const struct shmcat_error *err);
int report_open_error(const char *ring, const struct shmcat_error *err);
const char *odd_kind(const char *ring, char *path, size_t len);
const char *shown_dir(void);
void vlog(void *ctx, const char *fmt, ...);

/* parse.c */
#define TIMEOUT_MAX 2073600 /* seconds (24 days): fits an int of ms */
int parse_size(const char *s, size_t *out);
int parse_timeout(const char *s, int *ms);
int parse_mode(const char *s, mode_t *mode);

/* options.c */
struct tool_opts {
	struct shmcat_opts lib;
	int timeout_ms; /* -1: wait forever */
	int verbose, stats, progress; /* stats: STATS_TEXT or STATS_JSON */
	const char *ring;
};

enum { STATS_TEXT = 1, STATS_JSON };
enum { OPT_STATS = 256, OPT_TAP, OPT_NEW, OPT_HANGUP, OPT_OWNER, OPT_GROUP,
	OPT_DIR };

/* The options both filters take, first and last in their tables (and in
 * the order of their man pages); common_option() handles them. */
#define COMMON_LONGOPTS_HEAD                                                \
	{"size", required_argument, NULL, 's'},                             \
	{"mode", required_argument, NULL, 'm'},                             \
	{"timeout", required_argument, NULL, 't'},                          \
	{"nonblock", no_argument, NULL, 'n'},                               \
	{"force", no_argument, NULL, 'f'},                                  \
	{"owner", required_argument, NULL, OPT_OWNER},                      \
	{"group", required_argument, NULL, OPT_GROUP},                      \
	{"dir", required_argument, NULL, OPT_DIR}
#define COMMON_LONGOPTS_TAIL                                                \
	{"progress", no_argument, NULL, 'p'},                               \
	{"stats", optional_argument, NULL, OPT_STATS},                      \
	{"verbose", no_argument, NULL, 'v'},                                \
	{"help", no_argument, NULL, 'h'},                                   \
	{"version", no_argument, NULL, 'V'},                                \
	{NULL, 0, NULL, 0}

/* A filter's command line: its own options go to own(), which returns
 * 0 if it took c, -1 if c is not its option (usage error). */
struct filter_cli {
	const char *usage, *help;
	const char *shortopts;
	const struct option *longopts;
	int (*own)(int c, const char *arg, void *ctx);
	void *ctx;
};
void parse_filter_args(int argc, char **argv, const struct filter_cli *cli,
    struct tool_opts *t);

/* io.c */
#define IDLE_CHECK_MS 250 /* how often a blocked filter looks around */
void tool_init(const char *name, char **argv);
int choose_dir(const char *given);
void occupy_stdio(void);
int stdio_usable(int fd, int how);
int wait_fd(int fd, short events, int timeout_ms);
int stdout_gone(void);
void close_stdout(void);

/* signals.c */
extern volatile sig_atomic_t caught_signal, stats_wanted;
void catch_signals(const char *ring);
void hold_stats_signal(int hold);
void stats_taken(void);
void stop_nudges(void);
void catch_sigbus(const char *what);
void ring_truncated(const char *call) __attribute__((noreturn));
void reraise(int sig) __attribute__((noreturn));
void hold_stop_signals(void);
int wait_signal(int ms);

/* meter.c: --stats and --progress */
struct meter {
	struct shmcat_ring *ring;
	const char *verb;
	int64_t start_ns, last_ns;
	uint64_t last_bytes;
	int progress, tty;
	int json; /* --stats=json */
};
int64_t mono_ns(void);
int64_t deadline_after(int timeout_ms);
int ms_left(int64_t deadline);
void meter_start(struct meter *m, struct shmcat_ring *r, const char *verb,
    int progress);
void meter_tick(struct meter *m);
void meter_end(struct meter *m);
int meter_wait(struct meter *m, int (*wait)(struct shmcat_ring *, int),
    int timeout_ms);
void meter_stats(struct meter *m, int final);
void human_size(uint64_t v, char *buf, size_t len);

/* filter.c */
struct filter {
	struct shmcat_ring *ring;
	struct tool_opts opt;
	struct meter meter;
	size_t io_max;	/* most bytes per read(2)/write(2) of stdin/stdout */
};
int filter_start(struct filter *f, int stdio_fd, const char *verb);
void filter_exit(struct filter *f, enum shmcat_end how, int status)
    __attribute__((noreturn));
ssize_t filter_write(struct filter *f, const void *buf, size_t n);

/* view.c: the rings at one moment, for --watch and --prom */
#define RATE_NONE (-1.0) /* a rate not known (yet) */
struct ring_rates {	 /* bytes per second since the last tick */
	double in, out;	 /* written; read by the slowest reader */
	double reader[SHMCAT_MAX_READERS]; /* each of rd[] */
};
struct ring_view {
	char name[NAME_MAX + 1];
	struct shmcat_ring *r;	/* open until view_release */
	const char *bad;	/* not shown as a ring: "gone", "invalid", ... */
	char why[128];		/* ... and why */
	struct shmcat_status st;
	struct shmcat_reader_status rd[SHMCAT_MAX_READERS];
	int nreaders;
	int64_t at_ns;		/* when st was taken; 0 if bad */
	struct ring_rates rate;
};
struct view {
	char **names;		/* the rings asked for; */
	int nnames;		/* none: every ring there is */
	int quiet;		/* say nothing: the output shows what is bad */
	struct ring_view *now, *then; /* this tick's, the last one's */
	int n, cap, nthen, capthen;
};
int view_take(struct view *v);
void view_release(struct view *v);
void view_free(struct view *v);
void describe_invalid(const char *name, const struct shmcat_error *err,
    char *why, size_t len);

/* prom.c: --prom (metrics in shmcat(1)) */
void prom_print(FILE *f, const struct view *v);
int prom_write_file(const struct view *v, const char *path);

/* watch.c: --watch */
enum { SHOW_TABLE, SHOW_JSON, SHOW_PROM };
struct watch_how {
	int show;		/* SHOW_* */
	int interval_ms;
	const char *output;	/* SHOW_PROM: the file */
};
int watch(struct view *v, const struct watch_how *how);

/* json.c: shmcat --json (schema in shmcat(1)) */
void json_begin(void);
void json_ring(const char *sep, const char *name, struct shmcat_ring *r,
    const struct shmcat_status *st, const struct ring_rates *rates);
void json_tick_begin(unsigned long tick, double time, double interval);
void json_bad_ring(const char *sep, const char *name, const char *state,
    const char *error);
void json_end(void);
void json_stats(FILE *f, const char *prog, const char *ring, int final,
    const struct shmcat_counters *c, double secs);

#endif
