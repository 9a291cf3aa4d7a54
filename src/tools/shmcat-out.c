/* shmcat-out - copy a shared-memory ring to standard output. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const char usage_text[] =
    "usage: shmcat-out [-fnpv] [-m mode] [-r name] [-s size] [-t seconds]\n"
    "                  [--hangup] [--new] [--stats[=json]] [--tap]\n"
    "                  [--owner=user] [--group=group] [--dir=dir] ring\n";

static const char help_text[] =
    "Copy the shared-memory ring RING (/dev/shm/shmcat.RING, or DIR/shmcat.RING)\n"
    "to standard output.\n"
    "\n"
    "  -s, --size=SIZE       capacity if this reader creates the ring (default 4M);\n"
    "                        SIZE is digits with an optional K, M, G, KiB, MiB, GiB\n"
    "  -m, --mode=MODE       octal permissions of a new ring (default 0600)\n"
    "  -t, --timeout=SECONDS give up waiting for data after SECONDS (exit 4)\n"
    "  -n, --nonblock        never wait: exit 4 if the ring is empty\n"
    "  -f, --force           replace an object that is not a ring\n"
    "      --owner=USER      also attach to rings USER owns (default: only ours)\n"
    "      --group=GROUP     also attach to rings of group GROUP\n"
    "      --dir=DIR         rings live in DIR (default $SHMCAT_DIR, else /dev/shm)\n"
    "  -r, --reader=NAME     use the persistent cursor NAME\n"
    "      --tap             observe without ever holding the writer back\n"
    "      --new             start at new data, not the oldest byte kept\n"
    "      --hangup          end the whole stream when stdout's reader leaves\n"
    "  -p, --progress        show progress on stderr when it is a terminal\n"
    "      --stats[=json]    print a summary on exit (and on SIGUSR1), as JSON\n"
    "                        if asked\n"
    "  -v, --verbose         log IPC calls and lifecycle steps to stderr\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Exit status: 0 end of stream, 1 I/O error, 2 bad input or unavailable ring,\n"
    "3 stream truncated (writer died or was interrupted), 4 timed out or would\n"
    "block, 128+N killed by signal N (141: stdout closed).  See shmcat-out(1).\n";

static const struct option longopts[] = {
	COMMON_LONGOPTS_HEAD,
	{"reader", required_argument, NULL, 'r'},
	{"tap", no_argument, NULL, OPT_TAP},
	{"new", no_argument, NULL, OPT_NEW},
	{"hangup", no_argument, NULL, OPT_HANGUP},
	COMMON_LONGOPTS_TAIL,
};

struct reader {
	struct filter f;
	int hangup;
};

static int
valid_reader_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= SHMCAT_READER_NAME_MAX && shmcat_valid_name(s);
}

static int
own_option(int c, const char *arg, void *ctx)
{
	struct reader *r = ctx;

	switch (c) {
	case 'r':
		if (!valid_reader_name(arg)) {
			warnx_ring(NULL, "invalid reader name '%s': "
			    "1-%d of A-Z a-z 0-9 . _ -", arg,
			    SHMCAT_READER_NAME_MAX);
			exit(EXIT_USAGE);
		}
		r->f.opt.lib.reader_name = arg;
		return 0;
	case OPT_TAP:
		r->f.opt.lib.flags |= SHMCAT_O_TAP;
		return 0;
	case OPT_NEW:
		r->f.opt.lib.flags |= SHMCAT_O_NEW;
		return 0;
	case OPT_HANGUP:
		r->hangup = 1;
		return 0;
	}
	return -1;
}

/* A tap holds nothing of the stream: no cursor to name, no right to end
 * it.  Say which options clash, rather than let one of them win. */
static int
contradiction(const struct reader *r)
{
	const char *other = NULL;

	if (!(r->f.opt.lib.flags & SHMCAT_O_TAP))
		return 0;
	if (r->hangup)
		other = "--hangup: a tap cannot end the stream";
	else if (r->f.opt.lib.reader_name)
		other = "--reader: a tap has no cursor to name";
	if (other)
		warnx_ring(NULL, "--tap and %s", other);
	return other != NULL;
}

static void __attribute__((noreturn))
finish(struct reader *r, enum shmcat_end how, int status)
{
	filter_exit(&r->f, how, status);
}

/* The end of the data: say how the stream ended if it did not end well. */
static void __attribute__((noreturn))
end_of_data(struct reader *r, int rc)
{
	struct shmcat_counters c;
	struct shmcat_status st;

	shmcat_counters(r->f.ring, &c);
	if (rc == SHMCAT_EOF)
		finish(r, SHMCAT_END, 0);
	if (rc == -SHMCAT_EDIED || rc == -SHMCAT_EINTERRUPTED) {
		if (shmcat_status(r->f.ring, &st) != 0)
			st.writer_pid = 0;
		warnx_ring(r->f.opt.ring, "%s (pid %ld); %" PRIu64
		    " bytes delivered", shmcat_strerror(rc), st.writer_pid,
		    c.bytes);
	} else if (rc == -SHMCAT_EBEHIND) { /* its writer is unknown too */
		warnx_ring(r->f.opt.ring, "%s; %" PRIu64 " bytes delivered",
		    shmcat_strerror(rc), c.bytes);
	} else if (rc == -SHMCAT_EFEATURE) {
		struct shmcat_error err;

		/* a stream started with bits we lack: name the bit */
		if (shmcat_features_check(r->f.ring, &err) == -SHMCAT_EFEATURE)
			report_feature(r->f.opt.ring, &err);
		else
			warnx_ring(r->f.opt.ring, "%s", shmcat_strerror(rc));
	} else if (rc == -EAGAIN) {
		warnx_ring(r->f.opt.ring, "ring is empty (%s)", nowait_hint);
	} else if (rc == -ETIMEDOUT) {
		warnx_ring(r->f.opt.ring, "timed out waiting for data");
	} else if (rc > -SHMCAT_EBASE) { /* a system call failed */
		warnx_ring(r->f.opt.ring, "waiting for data: %s",
		    shmcat_strerror(rc));
	} else {
		warnx_ring(r->f.opt.ring, "%s", shmcat_strerror(rc));
	}
	finish(r, SHMCAT_END, exit_code_for(rc, 1));
}

/* stdout's reader went away: we committed exactly what write(2) took. */
static void __attribute__((noreturn))
stdout_closed(struct reader *r)
{
	if (r->f.opt.verbose)
		warnx_ring(r->f.opt.ring, "write: %s%s", strerror(EPIPE),
		    r->hangup ? "; hanging up the stream" : "");
	finish(r, r->hangup ? SHMCAT_HANGUP : SHMCAT_END, EXIT_SIGNAL + SIGPIPE);
}

/* Wait for data in slices of IDLE_CHECK_MS (within --timeout): while
 * the ring is empty we write nothing, and would never learn from
 * write(2) that stdout's reader left.  Ask poll(2) between slices. */
static void
wait_for_data(struct reader *r)
{
	int left = r->f.opt.timeout_ms, slice, rc;

	for (;;) {
		slice = left >= 0 && left < IDLE_CHECK_MS ? left : IDLE_CHECK_MS;
		rc = meter_wait(&r->f.meter, shmcat_wait_data, slice);
		if (rc != -ETIMEDOUT || left == slice)
			break;
		if (stdout_gone())
			stdout_closed(r);
		if (left > 0)
			left -= slice;
	}
	if (rc != 0 && rc != -EINTR)
		end_of_data(r, rc);
}

/* write(2) straight out of the ring; commit only what it accepted. */
static void __attribute__((noreturn))
copy_out(struct reader *r)
{
	const void *p;
	ssize_t put;
	size_t n;

	for (;;) {
		meter_tick(&r->f.meter); /* also after a write cut short */
		if (caught_signal)
			finish(r, SHMCAT_END, 0);
		if ((n = shmcat_read_span(r->f.ring, &p)) == 0) {
			wait_for_data(r);
			continue;
		}
		put = filter_write(&r->f, p, n < r->f.io_max ? n : r->f.io_max);
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0 && errno == EFAULT) /* out of the ring: it is gone */
			ring_truncated("write");
		if (put < 0 && errno == EPIPE)
			stdout_closed(r);
		if (put < 0) {
			warnx_ring(r->f.opt.ring, "write: %s", strerror(errno));
			finish(r, SHMCAT_END, EXIT_IO);
		}
		shmcat_read_commit(r->f.ring, (size_t)put);
	}
}

static void
write_all(struct reader *r, const char *buf, size_t len)
{
	ssize_t put;

	while (len > 0) {
		meter_tick(&r->f.meter);
		if (caught_signal)
			finish(r, SHMCAT_END, 0);
		put = filter_write(&r->f, buf, len);
		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0 && errno == EPIPE)
			stdout_closed(r);
		if (put < 0) {
			warnx_ring(r->f.opt.ring, "write: %s", strerror(errno));
			finish(r, SHMCAT_END, EXIT_IO);
		}
		buf += put;
		len -= (size_t)put;
	}
}

/* A tap copies to a private buffer first: the writer may overwrite the
 * ring under it, and only bytes validated after the copy go out. */
static void __attribute__((noreturn))
copy_tap(struct reader *r)
{
	static char buf[CHUNK];
	uint64_t skipped;
	ssize_t n;

	for (;;) {
		if (caught_signal)
			finish(r, SHMCAT_END, 0);
		skipped = 0;
		n = shmcat_tap_read(r->f.ring, buf, sizeof(buf), &skipped);
		if (skipped)
			warnx_ring(r->f.opt.ring, "tap fell behind: skipped %"
			    PRIu64 " bytes", skipped);
		if (n < 0)
			end_of_data(r, (int)n);
		if (n > 0)
			write_all(r, buf, (size_t)n);
		else
			wait_for_data(r);
		meter_tick(&r->f.meter);
	}
}

int
main(int argc, char **argv)
{
	struct reader r = {.f.opt = {.lib.role = SHMCAT_READER, .timeout_ms = -1}};
	const struct filter_cli cli = {usage_text, help_text,
	    "s:m:t:nfr:pvhV", longopts, own_option, &r};
	int rc;

	tool_init("shmcat-out", argv);
	parse_filter_args(argc, argv, &cli, &r.f.opt);
	if (contradiction(&r))
		return EXIT_USAGE;
	if ((rc = filter_start(&r.f, STDOUT_FILENO, "read")) != 0)
		return rc;
	if (r.f.opt.lib.flags & SHMCAT_O_TAP)
		copy_tap(&r);
	copy_out(&r);
}
