/* shmcat - list, inspect and remove shared-memory rings. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"

static const char usage_text[] =
    "usage: shmcat list [-j | -k] [--dir=dir]\n"
    "       shmcat status [-j | -k] [--dir=dir] ring ...\n"
    "       shmcat status --watch[=seconds] [-j | --prom -o file] [--dir=dir] [ring ...]\n"
    "       shmcat status --prom [-o file] [--dir=dir] [ring ...]\n"
    "       shmcat rm [-f] [--dir=dir] ring ...\n";

static const char help_text[] =
    "List, inspect and remove shmcat rings (shmcat.* in /dev/shm, or in DIR).\n"
    "\n"
    "Commands:\n"
    "  list, ls              list the rings that exist\n"
    "  status, stat          show a ring's state, writer and readers\n"
    "  rm                    remove a ring no live process uses\n"
    "\n"
    "Options:\n"
    "  -j, --json            machine-readable output: one JSON document\n"
    "                        (with --watch, one JSON object a line)\n"
    "  -k, --kv              machine-readable output: key=value per line\n"
    "      --watch[=SECS]    status: again every SECS seconds (default 1), with\n"
    "                        rates, until interrupted; no ring: every ring\n"
    "      --prom            status: Prometheus text format; no ring: every ring\n"
    "  -o, --output=FILE     --prom: replace FILE atomically instead of stdout\n"
    "  -f, --force           rm: also remove what is not a valid ring (never one in use)\n"
    "      --dir=DIR         the rings in DIR (default $SHMCAT_DIR, else /dev/shm)\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Exit status: 0 done, 1 output or SIGBUS error, 2 bad input or unavailable\n"
    "ring, 128+N --watch stopped by signal N.  See shmcat(1).\n";

enum { OPT_WATCH = 300, OPT_PROM }; /* (tool.h's OPT_* are below) */

static const struct option longopts[] = {
	{"json", no_argument, NULL, 'j'},
	{"kv", no_argument, NULL, 'k'},
	{"watch", optional_argument, NULL, OPT_WATCH},
	{"prom", no_argument, NULL, OPT_PROM},
	{"output", required_argument, NULL, 'o'},
	{"force", no_argument, NULL, 'f'},
	{"dir", required_argument, NULL, OPT_DIR},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

static int json, kv, force, prom;
static struct watch_how how; /* interval_ms 0: not watching */
static const char *dir_given; /* --dir */

/* "," before every element of a JSON array but the first. */
static const char *
json_sep(void)
{
	static int n;

	return n++ ? "," : "";
}

static int
open_ring(const char *name, struct shmcat_ring **r)
{
	struct shmcat_opts o = {.role = SHMCAT_INSPECT, .dir = ring_dir};
	struct shmcat_error err;

	if (shmcat_open(name, &o, r, &err) == 0)
		return 0;
	return report_open_error(name, &err);
}

static void
print_kv(const char *name, struct shmcat_ring *r,
    const struct shmcat_status *st)
{
	struct shmcat_reader_status rs;
	int i;

	printf("name=%s\ncapacity=%" PRIu64 "\nbuffered=%" PRIu64
	    "\nfill_pct=%u\nbytes_in=%" PRIu64 "\nbytes_out=%" PRIu64
	    "\nstate=%s\nrecord_mode=%s\nwriter_pid=%ld\nwriter_alive=%d\n"
	    "writers_active=%d\nwriter_sleeps=%" PRIu64 "\nreaders=%d\n"
	    "readers_alive=%d\ncreator_pid=%ld\ncreated=%" PRId64 "\n",
	    name, st->capacity, st->buffered,
	    (unsigned)(st->buffered * 100 / st->capacity), st->tail, st->floor,
	    st->state, st->record_mode, st->writer_pid, st->writer_alive,
	    st->writers_active, st->writer_sleeps, st->nreaders,
	    st->readers_alive, st->creator_pid, st->created_sec);
	printf("dir=%s\nfs=%s\npage_size=%" PRIu64 "\nfeat_compat=0x%x\n"
	    "feat_ro_compat=0x%x\nfeat_incompat=0x%x\n", st->dir, st->fs,
	    st->page_size, st->feat_compat, st->feat_ro_compat,
	    st->feat_incompat);
	for (i = 0; shmcat_reader_status(r, i, &rs) == 0; i++)
		printf("reader.%d.kind=%s\nreader.%d.name=%s\nreader.%d.pos=%"
		    PRIu64 "\nreader.%d.lag=%" PRIu64 "\nreader.%d.pid=%ld\n"
		    "reader.%d.alive=%d\nreader.%d.sleeps=%" PRIu64
		    "\nreader.%d.skipped=%" PRIu64 "\n", rs.slot, rs.kind,
		    rs.slot, rs.name, rs.slot, rs.pos, rs.slot, rs.lag,
		    rs.slot, rs.pid, rs.slot, rs.alive, rs.slot,
		    rs.sleeps, rs.slot, rs.skipped);
}

static void
print_human(const char *name, struct shmcat_ring *r,
    const struct shmcat_status *st)
{
	struct shmcat_reader_status rs;
	char when[64] = "unknown", cap[16], buf[16];
	time_t t = (time_t)st->created_sec;
	struct tm tm;
	int i;

	/* created_sec is range-checked by the library; 0 is unknown. */
	if (t > 0 && localtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("ring %s: %s, %s records\n", name, st->state, st->record_mode);
	human_size(st->capacity, cap, sizeof(cap));
	human_size(st->buffered, buf, sizeof(buf));
	printf("  capacity  %s, %s buffered (%u%%)\n", cap, buf,
	    (unsigned)(st->buffered * 100 / st->capacity));
	human_size(st->tail, cap, sizeof(cap));
	human_size(st->floor, buf, sizeof(buf));
	printf("  bytes in  %s, out %s (slowest reader)\n", cap, buf);
	printf("  writer    pid %ld %s, %d active, slept %" PRIu64 " times\n",
	    st->writer_pid, st->writer_alive ? "alive" : "gone",
	    st->writers_active, st->writer_sleeps);
	for (i = 0; shmcat_reader_status(r, i, &rs) == 0; i++) {
		human_size(rs.pos, cap, sizeof(cap));
		human_size(rs.lag, buf, sizeof(buf));
		printf("  reader %-2d %-9s %-12s pos %s lag %s pid %ld %s\n",
		    rs.slot, rs.kind, rs.name[0] ? rs.name : "-", cap, buf,
		    rs.pid, rs.alive ? "alive" : "gone");
	}
	printf("  created   %s by pid %ld\n", when, st->creator_pid);
	printf("  lives in  %s (%s)\n", st->dir, st->fs);
	if (st->feat_compat | st->feat_ro_compat | st->feat_incompat)
		printf("  features  compat 0x%x, ro_compat 0x%x, incompat 0x%x\n",
		    st->feat_compat, st->feat_ro_compat, st->feat_incompat);
}

static int
cmd_status(int n, char **names)
{
	struct shmcat_status st;
	struct shmcat_ring *r;
	int i, rc, worst = 0;

	if (json)
		json_begin();
	for (i = 0; i < n; i++) {
		catch_sigbus(names[i]); /* its owner may truncate it */
		if ((rc = open_ring(names[i], &r)) != 0) {
			worst = rc;
			continue;
		}
		if ((rc = shmcat_status(r, &st)) != 0) {
			warnx_ring(names[i], "%s", shmcat_strerror(rc));
			worst = EXIT_USAGE;
		} else if (json) {
			json_ring(json_sep(), names[i], r, &st, NULL);
		} else if (kv) {
			print_kv(names[i], r, &st);
		} else {
			print_human(names[i], r, &st);
		}
		shmcat_close(r, SHMCAT_ABANDON);
	}
	if (json)
		json_end();
	return worst;
}

static void
list_human(const char *name, const struct shmcat_status *st)
{
	char cap[16], buf[16];

	human_size(st->capacity, cap, sizeof(cap));
	human_size(st->buffered, buf, sizeof(buf));
	printf("%-24s %8s %8s %4u%%  %-11s %d/%d\n", name, cap, buf,
	    (unsigned)(st->buffered * 100 / st->capacity), st->state,
	    st->writer_alive, st->readers_alive);
}

/* A line (or JSON entry) for what list cannot show as a ring: STATE
 * and WHY, which is only ever our own words. */
static void
list_bad(const char *name, const char *state, const char *why)
{
	if (json)
		json_bad_ring(json_sep(), name, state, why);
	else if (kv)
		printf("name=%s state=%s error=\"%s\"\n", name, state, why);
	else
		printf("%-24s (%s)\n", name, why);
}

/* Why NAME did not open: what sits there if it is not a file. */
static void
list_invalid(const char *name, const struct shmcat_error *err)
{
	char why[128];

	describe_invalid(name, err, why, sizeof(why));
	list_bad(name, "invalid", why);
}

static int
list_one(const char *name, void *ctx)
{
	struct shmcat_opts o = {.role = SHMCAT_INSPECT, .dir = ring_dir};
	struct shmcat_status st;
	struct shmcat_ring *r;
	struct shmcat_error err;
	int bad;

	(void)ctx;
	if (strchr(name, '~')) { /* shmcat_list: a dead creator's build */
		list_bad(name, "abandoned",
		    "abandoned by a creator that died; shmcat rm it");
		return 0;
	}
	catch_sigbus(name); /* its owner may truncate it as we look */
	if (shmcat_open(name, &o, &r, &err) != 0) {
		list_invalid(name, &err);
		return 0;
	}
	bad = shmcat_status(r, &st) != 0;
	if (bad)
		list_bad(name, "corrupt", shmcat_strerror(-SHMCAT_ECORRUPT));
	else if (json)
		json_ring(json_sep(), name, r, &st, NULL);
	else if (kv)
		printf("name=%s capacity=%" PRIu64 " buffered=%" PRIu64
		    " state=%s writer_alive=%d readers_alive=%d\n", name,
		    st.capacity, st.buffered, st.state, st.writer_alive,
		    st.readers_alive);
	else
		list_human(name, &st);
	shmcat_close(r, SHMCAT_ABANDON);
	return 0;
}

static int
cmd_list(void)
{
	int rc;

	if (json)
		json_begin();
	else if (!kv)
		printf("%-24s %8s %8s %5s  %-11s %s\n", "NAME", "CAPACITY",
		    "BUFFERED", "FILL", "STATE", "W/R");
	rc = shmcat_list_in(ring_dir, list_one, NULL);
	if (json)
		json_end();
	if (rc != 0) {
		warnx_ring(NULL, "%s: %s", shown_dir(), shmcat_strerror(rc));
		return EXIT_USAGE;
	}
	return 0;
}

/* status --prom or --watch: the rings named, or with none every ring. */
static int
cmd_show(int n, char **names)
{
	struct view v = {.names = names, .nnames = n};
	int rc, out = 0;

	how.show = prom ? SHOW_PROM : json ? SHOW_JSON : SHOW_TABLE;
	if (how.interval_ms > 0)
		return watch(&v, &how);
	rc = view_take(&v); /* 2 if a ring named is missing: after output */
	if (how.output)
		out = prom_write_file(&v, how.output);
	else
		prom_print(stdout, &v);
	view_free(&v);
	return out ? out : rc;
}

/* What is wrong with --watch, --prom and -o as given, or NULL. */
static const char *
show_misuse(const char *cmd)
{
	int status = !strcmp(cmd, "status") || !strcmp(cmd, "stat");

	if ((how.interval_ms || prom) && !status)
		return "--watch and --prom are for status";
	if (prom && (json || kv))
		return "--prom, -j and -k: choose one output format";
	if (how.interval_ms && kv)
		return "--watch shows a table, -j or --prom; not -k";
	if (how.output && !prom)
		return "-o is for --prom";
	if (how.interval_ms && prom && !how.output)
		return "--watch --prom rewrites a file at every tick: give -o FILE";
	return NULL;
}

/* --watch[=SECS]: 1 second, or SECS from 0.01 to a day. */
static int
watch_option(const char *arg)
{
	int ms = 1000;

	if (arg && (parse_timeout(arg, &ms) != 0 || ms < 10 ||
	    ms > 86400000)) {
		warnx_ring(NULL, "invalid interval '%s': seconds, like 2 or "
		    "0.5, from 0.01 to 86400", arg);
		return EXIT_USAGE;
	}
	how.interval_ms = ms;
	return -1;
}

static int
cmd_rm(int n, char **names)
{
	struct shmcat_error err;
	int i, worst = 0;

	for (i = 0; i < n; i++)
		if (shmcat_remove_in(ring_dir, names[i], force, &err) != 0)
			worst = report_open_error(names[i], &err);
	return worst;
}

static int
known_command(const char *cmd)
{
	static const char *const cmds[] = {"list", "ls", "status", "stat",
	    "rm"};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return 1;
	return 0;
}

/* An option, before the command or after it: -1 once taken, or the
 * exit status (--help, --version, a usage error). */
static int
take_option(int c, const char *arg)
{
	switch (c) {
	case 'j': json = 1; return -1;
	case 'k': kv = 1; return -1;
	case 'f': force = 1; return -1;
	case OPT_DIR: dir_given = arg; return -1;
	case OPT_WATCH: return watch_option(arg);
	case OPT_PROM: prom = 1; return -1;
	case 'o': how.output = arg; return -1;
	case 'h':
		fputs(usage_text, stdout);
		fputs(help_text, stdout);
		return 0;
	case 'V':
		puts("shmcat " SHMCAT_VERSION);
		return 0;
	default:
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
}

int
main(int argc, char **argv)
{
	const char *cmd;
	char **names;
	int c, n = 0, rc;

	tool_init("shmcat", argv);
	while ((c = getopt_long(argc, argv, "+jkfo:hV", longopts, NULL)) != -1)
		if ((rc = take_option(c, optarg)) >= 0)
			return rc;
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	/* The command's options may also come after it, anywhere among the
	 * ring names (`shmcat status R --json`): its words are parsed as a
	 * command line of their own.  optind 0 makes glibc start afresh and
	 * forget the "+" of the pass above; "-" hands back each name in
	 * place (c == 1), whatever POSIXLY_CORRECT says, and "--" leaves
	 * the rest as names.  argv[0] stays ours: getopt's messages.  The
	 * names are gathered at argv[1...], over words already read. */
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	argv[0] = (char *)progname;
	names = argv + 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "-jkfo:hV", longopts, NULL)) != -1)
		if (c == 1)
			names[n++] = optarg;
		else if ((rc = take_option(c, optarg)) >= 0)
			return rc;
	while (optind < argc)
		names[n++] = argv[optind++];
	if (choose_dir(dir_given) != 0)
		return EXIT_USAGE;
	catch_sigbus(shown_dir());
	if (!known_command(cmd)) {
		warnx_ring(NULL, "unknown command '%s'", cmd);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (json && kv) {
		warnx_ring(NULL, "-k and --json: choose one output format");
		return EXIT_USAGE;
	}
	if (json && !strcmp(cmd, "rm")) {
		warnx_ring(NULL, "rm: --json is for list and status");
		return EXIT_USAGE;
	}
	if (show_misuse(cmd)) {
		warnx_ring(NULL, "%s", show_misuse(cmd));
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "list") || !strcmp(cmd, "ls")) {
		if (n == 0)
			return cmd_list();
		warnx_ring(NULL, "%s takes no ring names", cmd);
		return EXIT_USAGE;
	}
	if (how.interval_ms || prom) { /* show_misuse: for status alone */
		force_hint = "shmcat rm -f removes it";
		return cmd_show(n, names);
	}
	if (n == 0) {
		warnx_ring(NULL, "%s: missing ring name", cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "status") || !strcmp(cmd, "stat")) {
		force_hint = "shmcat rm -f removes it";
		return cmd_status(n, names);
	}
	force_hint = "use -f to remove it";
	return cmd_rm(n, names);
}
