/*
 * pingpong - hand-off latency: round trips between two processes.
 *
 *	pingpong ring|pipe [-n round-trips] [-w warmup] [-m bytes]
 *	    [-g gap-us] [-c cpu,cpu]
 *
 * The parent sends a message of `bytes` bytes (1..64, default 8) to a
 * forked child, which sends it straight back; the parent times each
 * round trip with CLOCK_MONOTONIC.
 *
 *	ring  two rings: parent -> child on one, child -> parent on the
 *	      other; span + commit to send, shmcat_wait_data() to wait (the
 *	      library spins briefly, then sleeps on a semaphore).
 *	pipe  two pipes, one write(2) and one read(2) each way.
 *	bridge  as ring, but the echoing child waits as an event loop
 *	      would: poll(2) on a shmcat_bridge_open() descriptor.
 *
 * With -g the parent pauses gap-us microseconds between round trips
 * (sleeping, so the child has to wait longer than the spin and sleep).
 * With -c A,B the parent runs on CPU A and the child on CPU B (A == B
 * puts both on one CPU); without it the scheduler places them.
 *
 * Prints one line:
 *
 *	<transport> <round-trips> <p50-us> <p99-us> <min-us> <max-us>
 *
 * Exit status: 0 done, 1 a transport failed or echoed the wrong bytes,
 * 2 bad usage.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmcat.h"

#define MAXMSG 64
#define WAIT_MS 10000 /* a peer silent this long has failed */

static const char *prog = "pingpong";
static char names[2][80];

/* One direction of the conversation. */
struct chan {
	struct shmcat_ring *r; /* ring mode */
	int fd;		       /* pipe mode */
	struct shmcat_bridge *b; /* bridge mode, receiving side */
};

static void __attribute__((noreturn))
die(const char *what, int code)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, shmcat_strerror(code));
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Ring names start with $BENCH_RING_PREFIX (bench/run cleans those up). */
static const char *
ring_prefix(void)
{
	const char *p = getenv("BENCH_RING_PREFIX");

	return p != NULL && *p != '\0' && strlen(p) < 32 ? p : "bench";
}

static struct shmcat_ring *
ring_open(const char *name, enum shmcat_role role)
{
	struct shmcat_opts o = {.role = role};
	struct shmcat_error err;
	struct shmcat_ring *r;
	int rc;

	if ((rc = shmcat_open(name, &o, &r, &err)) != 0)
		die(err.call[0] ? err.call : "shmcat_open", rc);
	return r;
}

static void
send_msg(int use_ring, struct chan *c, const unsigned char *buf, size_t n)
{
	ssize_t put;
	void *p;
	int rc;

	if (!use_ring) {
		while ((put = write(c->fd, buf, n)) < 0 && errno == EINTR)
			;
		if (put != (ssize_t)n)
			die("write", put < 0 ? -errno : -EIO);
		return;
	}
	while (shmcat_write_span(c->r, &p) < n)
		if ((rc = shmcat_wait_space(c->r, WAIT_MS)) != 0)
			die("shmcat_wait_space", rc);
	memcpy(p, buf, n);
	if ((rc = shmcat_write_commit(c->r, n)) != 0)
		die("shmcat_write_commit", rc);
}

/* Receive exactly n bytes; 0 when the peer ended the stream first. */
static int
recv_msg(int use_ring, struct chan *c, unsigned char *buf, size_t n)
{
	const void *p;
	size_t have = 0, k;
	ssize_t got;
	int rc;

	while (have < n) {
		if (!use_ring) {
			got = read(c->fd, buf + have, n - have);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				die("read", -errno);
			if (got == 0)
				return 0;
			have += (size_t)got;
			continue;
		}
		if ((k = shmcat_read_span(c->r, &p)) == 0 && c->b) {
			struct pollfd pfd = {.fd = shmcat_bridge_fd(c->b),
			    .events = POLLIN};

			rc = shmcat_wait_data(c->r, 0);
			if (rc == SHMCAT_EOF)
				return 0;
			if (rc != 0 && rc != -EAGAIN)
				die("shmcat_wait_data", rc);
			if (rc == -EAGAIN) {
				shmcat_bridge_rearm(c->b);
				if (poll(&pfd, 1, WAIT_MS) != 1)
					die("poll", -ETIMEDOUT);
			}
			continue;
		}
		if (k == 0) {
			rc = shmcat_wait_data(c->r, WAIT_MS);
			if (rc == SHMCAT_EOF)
				return 0;
			if (rc != 0)
				die("shmcat_wait_data", rc);
			continue;
		}
		if (k > n - have)
			k = n - have;
		memcpy(buf + have, p, k);
		if ((rc = shmcat_read_commit(c->r, k)) != 0)
			die("shmcat_read_commit", rc);
		have += k;
	}
	return 1;
}

static void __attribute__((noreturn))
echo(int use_ring, struct chan *in, struct chan *out, size_t n)
{
	unsigned char buf[MAXMSG];

	while (recv_msg(use_ring, in, buf, n))
		send_msg(use_ring, out, buf, n);
	if (use_ring) {
		shmcat_bridge_close(in->b);
		shmcat_close(in->r, SHMCAT_END);
		shmcat_close(out->r, SHMCAT_END);
	}
	exit(0);
}

static void
pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		die("sched_setaffinity", -errno);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double
pct(const int64_t *v, long n, double q)
{
	long i = (long)(q * (double)(n - 1) + 0.5);

	return (double)v[i] / 1000.0;
}

static int
usage(void)
{
	fputs("usage: pingpong ring|pipe|bridge [-n round-trips] [-w warmup] "
	      "[-m bytes] [-g gap-us] [-c cpu,cpu]\n", stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	long trips = 20000, warm = 2000, i, gap_us = 0;
	unsigned char out[MAXMSG], back[MAXMSG];
	struct chan to = {0}, from = {0}, cto = {0}, cfrom = {0};
	struct timespec gap;
	size_t n = 8;
	int use_ring, bridge = 0, c, st, p1[2], p2[2], cpu[2] = {-1, -1};
	int64_t *rtt, t0;
	pid_t pid;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "ring") == 0)
		use_ring = 1;
	else if (strcmp(argv[1], "pipe") == 0)
		use_ring = 0;
	else if (strcmp(argv[1], "bridge") == 0)
		use_ring = bridge = 1;
	else
		return usage();
	optind = 2;
	while ((c = getopt(argc, argv, "n:w:m:g:c:")) != -1) {
		switch (c) {
		case 'n':
			trips = strtol(optarg, NULL, 10);
			break;
		case 'w':
			warm = strtol(optarg, NULL, 10);
			break;
		case 'm':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'g':
			gap_us = strtol(optarg, NULL, 10);
			break;
		case 'c':
			if (sscanf(optarg, "%d,%d", &cpu[0], &cpu[1]) != 2 ||
			    cpu[0] < 0 || cpu[1] < 0)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (trips < 1 || warm < 0 || n < 1 || n > MAXMSG || gap_us < 0 ||
	    optind != argc)
		return usage();
	if ((rtt = calloc((size_t)trips, sizeof(*rtt))) == NULL)
		die("calloc", -errno);
	gap.tv_sec = gap_us / 1000000;
	gap.tv_nsec = gap_us % 1000000 * 1000;

	if (use_ring) {
		/* The parent creates both rings before the fork. */
		snprintf(names[0], sizeof(names[0]), "%s-ping-%ld",
		    ring_prefix(), (long)getpid());
		snprintf(names[1], sizeof(names[1]), "%s-pong-%ld",
		    ring_prefix(), (long)getpid());
		to.r = ring_open(names[0], SHMCAT_WRITER);
		from.r = ring_open(names[1], SHMCAT_READER);
	} else if (pipe(p1) != 0 || pipe(p2) != 0) {
		die("pipe", -errno);
	}
	if ((pid = fork()) < 0)
		die("fork", -errno);
	if (pid == 0) {
		pin(cpu[1]);
		if (use_ring) {
			/* Our own handles; the parent's stay untouched. */
			cto.r = ring_open(names[1], SHMCAT_WRITER);
			cfrom.r = ring_open(names[0], SHMCAT_READER);
			if (bridge &&
			    (c = shmcat_bridge_open(cfrom.r, n, &cfrom.b)) != 0)
				die("shmcat_bridge_open", c);
		} else {
			close(p1[1]);
			close(p2[0]);
			cfrom.fd = p1[0];
			cto.fd = p2[1];
		}
		echo(use_ring, &cfrom, &cto, n);
	}
	pin(cpu[0]);
	if (!use_ring) {
		close(p1[0]);
		close(p2[1]);
		to.fd = p1[1];
		from.fd = p2[0];
	}

	for (i = -warm; i < trips; i++) {
		memset(out, (int)(i & 0xff), n);
		t0 = now_ns();
		send_msg(use_ring, &to, out, n);
		if (!recv_msg(use_ring, &from, back, n))
			die("recv", -EPIPE);
		if (i >= 0)
			rtt[i] = now_ns() - t0;
		if (memcmp(out, back, n) != 0) {
			fprintf(stderr, "%s: echo differs at %ld\n", prog, i);
			kill(pid, SIGKILL);
			return 1;
		}
		if (gap_us > 0)
			nanosleep(&gap, NULL);
	}

	if (use_ring)
		shmcat_close(to.r, SHMCAT_END);
	else
		close(to.fd);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "%s: echo process failed\n", prog);
		return 1;
	}
	if (use_ring) {
		shmcat_close(from.r, SHMCAT_END);
		shmcat_remove(names[0], 0, NULL);
		shmcat_remove(names[1], 0, NULL);
	}
	qsort(rtt, (size_t)trips, sizeof(*rtt), cmp_i64);
	printf("%s %ld %.2f %.2f %.2f %.2f\n", argv[1], trips,
	    pct(rtt, trips, 0.50), pct(rtt, trips, 0.99),
	    (double)rtt[0] / 1000.0, (double)rtt[trips - 1] / 1000.0);
	return 0;
}
