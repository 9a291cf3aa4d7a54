/*
 * msgrate - 64-byte messages from one process to another.
 *
 *	msgrate ring  [-n count] [-b batch] [-s ring-size]
 *	msgrate pipe  [-n count]
 *	msgrate mq    [-n count]
 *
 * The parent is the receiver, a forked child the sender.  Each message
 * carries its sequence number; the receiver checks every one, so a
 * transport that loses, repeats or reorders a message fails the run.
 *
 *	ring  the library's span API: the sender fills up to `batch` messages
 *	      in one shmcat_write_span() and commits them together; the
 *	      receiver takes every whole message its read span holds and
 *	      commits them together (-b 1: one commit per message).
 *	pipe  one write(2) per message; the receiver reads up to 64 KiB at a
 *	      time (the cheapest way to drain a pipe, so the pipe's best case).
 *	mq    POSIX message queue, one mq_send()/mq_receive() per message,
 *	      queue depth fs.mqueue.msg_max (the system's limit).
 *
 * Timing starts when the sender has attached and ends when the receiver
 * has checked the last message.  Prints one line:
 *
 *	<transport> <messages> <seconds> <messages-per-second>
 *
 * Exit status: 0 done, 1 a transport failed or a message was wrong,
 * 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmcat.h"

#define MSG 64
#define PIPE_BUF_READ (64 * 1024)

struct msg {
	uint64_t seq;
	unsigned char pad[MSG - sizeof(uint64_t)];
};
_Static_assert(sizeof(struct msg) == MSG, "message is 64 bytes");

static const char *prog = "msgrate";
static char ring_name[80];
static char mq_name[64];

static void __attribute__((noreturn))
die(const char *what, int code)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what,
	    code > SHMCAT_EBASE ? shmcat_strerror(-code) : strerror(code));
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fill(struct msg *m, uint64_t seq)
{
	m->seq = seq;
	memset(m->pad, (int)(seq & 0xff), sizeof(m->pad));
}

/* Whether m is message seq; only the last pad byte is checked besides the
 * number, to keep the receiver's work small but still touch the line. */
static int
check(const struct msg *m, uint64_t seq)
{
	return m->seq == seq && m->pad[sizeof(m->pad) - 1] == (seq & 0xff);
}

static void __attribute__((noreturn))
bad_message(uint64_t want, uint64_t got)
{
	fprintf(stderr, "%s: message %" PRIu64 " arrived as %" PRIu64 "\n",
	    prog, want, got);
	exit(1);
}

/* The child tells the parent it is ready by closing its end of `sync`. */
static void
signal_ready(int fd)
{
	close(fd);
}

static void
await_ready(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	close(fd);
}

static void
reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s: sender failed (status 0x%x)\n", prog, st);
		exit(1);
	}
}

/* ---- ring ---- */

/* Ring names start with $BENCH_RING_PREFIX (bench/run cleans those up). */
static const char *
ring_prefix(void)
{
	const char *p = getenv("BENCH_RING_PREFIX");

	return p != NULL && *p != '\0' && strlen(p) < 32 ? p : "bench";
}

static struct shmcat_ring *
ring_open(enum shmcat_role role, size_t size)
{
	struct shmcat_opts o = {.role = role, .size = size};
	struct shmcat_error err;
	struct shmcat_ring *r;
	int rc;

	if ((rc = shmcat_open(ring_name, &o, &r, &err)) != 0)
		die(err.call[0] ? err.call : "shmcat_open", -rc);
	return r;
}

static void
ring_send(int ready, uint64_t count, size_t batch, size_t size)
{
	struct shmcat_ring *r = ring_open(SHMCAT_WRITER, size);
	uint64_t seq = 0;
	size_t n, k, i;
	void *p;
	int rc;

	signal_ready(ready);
	while (seq < count) {
		if ((n = shmcat_write_span(r, &p) / MSG) == 0) {
			if ((rc = shmcat_wait_space(r, 10000)) != 0)
				die("shmcat_wait_space", -rc);
			continue;
		}
		k = n < batch ? n : batch;
		if (k > count - seq)
			k = (size_t)(count - seq);
		for (i = 0; i < k; i++)
			fill((struct msg *)p + i, seq++);
		if ((rc = shmcat_write_commit(r, k * MSG)) != 0)
			die("shmcat_write_commit", -rc);
	}
	if ((rc = shmcat_close(r, SHMCAT_END)) != 0)
		die("shmcat_close", -rc);
	exit(0);
}

static uint64_t
ring_receive(struct shmcat_ring *r)
{
	const struct msg *m;
	const void *p;
	uint64_t seq = 0;
	size_t n, i;
	int rc;

	for (;;) {
		if ((n = shmcat_read_span(r, &p) / MSG) == 0) {
			rc = shmcat_wait_data(r, 10000);
			if (rc == SHMCAT_EOF)
				return seq;
			if (rc != 0)
				die("shmcat_wait_data", -rc);
			continue;
		}
		m = p;
		for (i = 0; i < n; i++, seq++)
			if (!check(&m[i], seq))
				bad_message(seq, m[i].seq);
		if ((rc = shmcat_read_commit(r, n * MSG)) != 0)
			die("shmcat_read_commit", -rc);
	}
}

static double
run_ring(uint64_t count, size_t batch, size_t size)
{
	struct shmcat_ring *r;
	int sync[2];
	double t0, t1;
	uint64_t got;
	pid_t pid;
	int rc;

	snprintf(ring_name, sizeof(ring_name), "%s-msgrate-%ld",
	    ring_prefix(), (long)getpid());
	/* The receiver creates the ring, so it exists before the fork. */
	r = ring_open(SHMCAT_READER, size);
	if (pipe(sync) != 0)
		die("pipe", errno);
	if ((pid = fork()) < 0)
		die("fork", errno);
	if (pid == 0) {
		close(sync[0]);
		ring_send(sync[1], count, batch, size);
	}
	close(sync[1]);
	await_ready(sync[0]);
	t0 = now();
	got = ring_receive(r);
	t1 = now();
	reap(pid);
	if ((rc = shmcat_close(r, SHMCAT_END)) != 0)
		die("shmcat_close", -rc);
	/* Normally the last one out has removed it already. */
	shmcat_remove(ring_name, 0, NULL);
	if (got != count)
		bad_message(count, got);
	return t1 - t0;
}

/* ---- pipe ---- */

static void
pipe_send(int ready, int fd, uint64_t count)
{
	struct msg m;
	uint64_t seq;
	ssize_t put;

	signal_ready(ready);
	for (seq = 0; seq < count; seq++) {
		fill(&m, seq);
		put = write(fd, &m, sizeof(m));
		if (put < 0 && errno == EINTR) {
			seq--;
			continue;
		}
		if (put != (ssize_t)sizeof(m)) /* pipes: <= PIPE_BUF is atomic */
			die("write", put < 0 ? errno : EIO);
	}
	close(fd);
	exit(0);
}

static uint64_t
pipe_receive(int fd)
{
	static unsigned char buf[PIPE_BUF_READ + MSG];
	size_t have = 0, i, n;
	uint64_t seq = 0;
	struct msg m;
	ssize_t got;

	for (;;) {
		got = read(fd, buf + have, PIPE_BUF_READ);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die("read", errno);
		if (got == 0)
			return seq;
		have += (size_t)got;
		n = have / MSG;
		for (i = 0; i < n; i++, seq++) {
			memcpy(&m, buf + i * MSG, MSG);
			if (!check(&m, seq))
				bad_message(seq, m.seq);
		}
		memmove(buf, buf + n * MSG, have - n * MSG);
		have -= n * MSG;
	}
}

static double
run_pipe(uint64_t count)
{
	int sync[2], p[2];
	double t0, t1;
	uint64_t got;
	pid_t pid;

	if (pipe(sync) != 0 || pipe(p) != 0)
		die("pipe", errno);
	if ((pid = fork()) < 0)
		die("fork", errno);
	if (pid == 0) {
		close(sync[0]);
		close(p[0]);
		pipe_send(sync[1], p[1], count);
	}
	close(sync[1]);
	close(p[1]);
	await_ready(sync[0]);
	t0 = now();
	got = pipe_receive(p[0]);
	t1 = now();
	close(p[0]);
	reap(pid);
	if (got != count)
		bad_message(count, got);
	return t1 - t0;
}

/* ---- POSIX message queue ---- */

static long
mq_depth(void)
{
	FILE *f = fopen("/proc/sys/fs/mqueue/msg_max", "r");
	long v = 10;

	if (f != NULL) {
		if (fscanf(f, "%ld", &v) != 1 || v < 1)
			v = 10;
		fclose(f);
	}
	return v;
}

static void
mq_send_all(int ready, uint64_t count)
{
	mqd_t q = mq_open(mq_name, O_WRONLY);
	struct msg m;
	uint64_t seq;

	if (q == (mqd_t)-1)
		die("mq_open", errno);
	signal_ready(ready);
	for (seq = 0; seq < count; seq++) {
		fill(&m, seq);
		while (mq_send(q, (const char *)&m, sizeof(m), 0) != 0)
			if (errno != EINTR)
				die("mq_send", errno);
	}
	mq_close(q);
	exit(0);
}

static double
run_mq(uint64_t count)
{
	struct mq_attr a = {.mq_maxmsg = mq_depth(), .mq_msgsize = MSG};
	int sync[2], fail = 0;
	uint64_t seq = 0;
	double t0, t1;
	struct msg m;
	ssize_t got;
	mqd_t q;
	pid_t pid;

	snprintf(mq_name, sizeof(mq_name), "/shmcat-bench-%ld", (long)getpid());
	q = mq_open(mq_name, O_RDONLY | O_CREAT | O_EXCL, 0600, &a);
	if (q == (mqd_t)-1)
		die("mq_open", errno);
	if (pipe(sync) != 0)
		die("pipe", errno);
	if ((pid = fork()) < 0)
		die("fork", errno);
	if (pid == 0) {
		close(sync[0]);
		mq_send_all(sync[1], count);
	}
	close(sync[1]);
	await_ready(sync[0]);
	mq_unlink(mq_name); /* both sides hold it open now */
	t0 = now();
	while (seq < count) {
		got = mq_receive(q, (char *)&m, sizeof(m), NULL);
		if (got < 0 && errno == EINTR)
			continue;
		if (got != MSG) {
			fail = 1;
			break;
		}
		if (!check(&m, seq))
			bad_message(seq, m.seq);
		seq++;
	}
	t1 = now();
	mq_close(q);
	if (fail) {
		kill(pid, SIGKILL);
		die("mq_receive", got < 0 ? errno : EIO);
	}
	reap(pid);
	return t1 - t0;
}

static int
usage(void)
{
	fputs("usage: msgrate ring|pipe|mq [-n count] [-b batch] "
	      "[-s ring-size]\n", stderr);
	return 2;
}

int
main(int argc, char **argv)
{
	uint64_t count = 1000000;
	size_t batch = 256, size = 0;
	const char *mode;
	double secs;
	int c;

	if (argc < 2)
		return usage();
	mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "n:b:s:")) != -1) {
		switch (c) {
		case 'n':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 10);
			break;
		case 's':
			size = strtoul(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (count == 0 || batch == 0 || optind != argc)
		return usage();
	if (strcmp(mode, "ring") == 0)
		secs = run_ring(count, batch, size);
	else if (strcmp(mode, "pipe") == 0)
		secs = run_pipe(count);
	else if (strcmp(mode, "mq") == 0)
		secs = run_mq(count);
	else
		return usage();
	printf("%s %" PRIu64 " %.6f %.0f\n", mode, count, secs,
	    (double)count / secs);
	return 0;
}
