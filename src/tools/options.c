/* options.c - the options both filters take, parsed once. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* A decimal id, as getpwnam and getgrnam's fallback. */
static int
parse_id(const char *s, unsigned long *id)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*id = strtoul(s, &end, 10);
	/* (uid_t)-1 means "no change" to chown(2): never an owner. */
	return errno || *end != '\0' || *id >= UINT32_MAX ? -1 : 0;
}

/*
 * --owner=USER and --group=GROUP: whom to trust besides ourselves.  A
 * name or a number; a name that does not resolve is an error, so a typo
 * can only refuse a ring, never trust someone by accident.
 */
static int
parse_trust(int c, const char *arg, struct tool_opts *t)
{
	const char *what = c == OPT_OWNER ? "user" : "group";
	struct passwd *pw;
	struct group *gr;
	unsigned long id;

	if (arg[0] == '\0') {
		warnx_ring(NULL, "invalid %s '': give a name or a number", what);
		return -1;
	}
	if (c == OPT_OWNER && (pw = getpwnam(arg)) != NULL)
		id = pw->pw_uid;
	else if (c == OPT_GROUP && (gr = getgrnam(arg)) != NULL)
		id = gr->gr_gid;
	else if (parse_id(arg, &id) != 0) {
		warnx_ring(NULL, "unknown %s '%s'", what, arg);
		return -1;
	}
	if (c == OPT_OWNER) {
		t->lib.trust_uid = (uid_t)id;
		t->lib.flags |= SHMCAT_O_TRUST_UID;
	} else {
		t->lib.trust_gid = (gid_t)id;
		t->lib.flags |= SHMCAT_O_TRUST_GID;
	}
	return 1;
}

/* Options both filters take; 1 if c was one, 0 if not, -1 if invalid. */
static int
common_option(int c, const char *arg, struct tool_opts *t)
{
	switch (c) {
	case 's':
		if (parse_size(arg, &t->lib.size) != 0) {
			warnx_ring(NULL, "invalid size '%s': digits with an "
			    "optional suffix K, M, G (or KiB, MiB, GiB), powers "
			    "of 1024, from 1 to 64G", arg);
			return -1;
		}
		return 1;
	case 'm':
		if (parse_mode(arg, &t->lib.mode) != 0) {
			warnx_ring(NULL, "invalid mode '%s': octal, like 0600",
			    arg);
			return -1;
		}
		return 1;
	case 't':
		if (parse_timeout(arg, &t->timeout_ms) != 0) {
			warnx_ring(NULL, "invalid timeout '%s': decimal "
			    "seconds: digits with an optional fraction, like 2 "
			    "or 0.5, at most %d", arg, TIMEOUT_MAX);
			return -1;
		}
		if (t->timeout_ms == 0)
			nowait_hint = "--timeout 0";
		return 1;
	case 'n':
		t->timeout_ms = 0;
		t->lib.flags |= SHMCAT_O_NONBLOCK;
		nowait_hint = "--nonblock";
		return 1;
	case 'f':
		t->lib.flags |= SHMCAT_O_FORCE;
		return 1;
	case OPT_OWNER:
	case OPT_GROUP:
		return parse_trust(c, arg, t);
	case OPT_DIR:
		t->lib.dir = arg;
		return 1;
	case 'p':
		t->progress = 1;
		return 1;
	case OPT_STATS: /* --stats or --stats=json */
		if (arg && strcmp(arg, "json") != 0) {
			warnx_ring(NULL, "invalid --stats format '%s': only "
			    "json", arg);
			return -1;
		}
		t->stats = arg ? STATS_JSON : STATS_TEXT;
		return 1;
	case 'v':
		t->verbose = 1;
		return 1;
	}
	return 0;
}

/* After getopt: exactly one ring name; the directory chosen; verbose
 * logging hooked up. */
static int
finish_options(struct tool_opts *t, int argc, char **argv, int optind_)
{
	if (choose_dir(t->lib.dir) != 0)
		exit(EXIT_USAGE);
	t->lib.dir = ring_dir;
	if (argc - optind_ != 1) {
		warnx_ring(NULL, argc == optind_ ? "missing ring name" :
		    "too many arguments");
		return -1;
	}
	t->ring = argv[optind_];
	if (t->verbose) {
		t->lib.log = vlog;
		t->lib.log_ctx = (void *)t->ring;
	}
	return 0;
}

void
parse_filter_args(int argc, char **argv, const struct filter_cli *cli,
    struct tool_opts *t)
{
	int c, rc;

	while ((c = getopt_long(argc, argv, cli->shortopts, cli->longopts,
		    NULL)) != -1) {
		if ((rc = common_option(c, optarg, t)) > 0)
			continue;
		if (rc < 0)
			exit(EXIT_USAGE);
		if (c == 'h') {
			fputs(cli->usage, stdout);
			fputs(cli->help, stdout);
			exit(0);
		}
		if (c == 'V') {
			printf("%s %s\n", progname, SHMCAT_VERSION);
			exit(0);
		}
		if (c == '?' || cli->own(c, optarg, cli->ctx) != 0) {
			fputs(cli->usage, stderr);
			exit(EXIT_USAGE);
		}
	}
	if (finish_options(t, argc, argv, optind) != 0) {
		fputs(cli->usage, stderr);
		exit(EXIT_USAGE);
	}
}
