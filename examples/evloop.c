/*
 * evloop - a daemon's event loop that reads a ring among its other
 * descriptors: the records of producer(1) from the ring NAME, and lines
 * on standard input (a stand-in for a socket), in one poll(2).
 *
 *	evloop NAME
 *
 * shmcat_bridge_open() gives a descriptor that turns readable once a
 * whole record (64 bytes) is unread or the stream has ended.  On each
 * wake-up: take every whole record, ask shmcat_wait_data(r, 0) how the
 * stream stands, and re-arm.  Prints how many records and lines it saw.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <shmcat.h>

#define RECORD 64

/* Take every whole record; return what shmcat_wait_data(r, 0) says:
 * -EAGAIN (wait for more), SHMCAT_EOF or an error. */
static int
drain(struct shmcat_ring *r, unsigned long *records)
{
	const void *p;
	size_t len;
	int rc, took = 0;

	for (;;) {
		while ((len = shmcat_read_span(r, &p) / RECORD * RECORD) > 0) {
			*records += len / RECORD;
			shmcat_read_commit(r, len);
			took = 1;
		}
		if ((rc = shmcat_wait_data(r, 0)) != 0)
			return rc;
		if (shmcat_read_span(r, &p) >= RECORD)
			continue; /* came meanwhile */
		if (took)
			return -EAGAIN; /* a record's first part: rest to come */
		/* Woken with less than a record: the stream ended after a
		 * torn record.  Drop it; wait_data then says how it ended. */
		shmcat_read_commit(r, shmcat_read_span(r, &p));
		took = 1;
	}
}

int
main(int argc, char **argv)
{
	struct shmcat_opts opts = {.role = SHMCAT_READER};
	struct shmcat_bridge *b;
	struct shmcat_error err;
	struct shmcat_ring *r;
	unsigned long records = 0, lines = 0;
	struct pollfd pfd[2];
	char buf[4096];
	ssize_t n, i;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: evloop NAME\n");
		return 2;
	}
	if ((rc = shmcat_open(argv[1], &opts, &r, &err)) != 0) {
		fprintf(stderr, "evloop: %s: %s: %s\n", argv[1], err.call,
		    shmcat_strerror(rc));
		return 2;
	}
	if ((rc = shmcat_bridge_open(r, RECORD, &b)) != 0) {
		fprintf(stderr, "evloop: bridge: %s\n", shmcat_strerror(rc));
		shmcat_close(r, SHMCAT_END);
		return 2;
	}
	pfd[0] = (struct pollfd){.fd = shmcat_bridge_fd(b), .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
	rc = -EAGAIN;
	while (rc == -EAGAIN) {
		if (poll(pfd, 2, -1) < 0) {
			rc = -errno;
			if (rc == -EINTR)
				rc = -EAGAIN;
			continue;
		}
		if (pfd[1].revents) { /* the "socket": count its lines */
			if ((n = read(STDIN_FILENO, buf, sizeof(buf))) <= 0)
				pfd[1].fd = -1; /* closed: poll ignores it */
			for (i = 0; i < n; i++)
				lines += buf[i] == '\n';
		}
		if (pfd[0].revents) {
			rc = drain(r, &records);
			if (rc == -EAGAIN)
				shmcat_bridge_rearm(b);
		}
	}
	shmcat_bridge_close(b); /* before the handle it watches */
	shmcat_close(r, SHMCAT_END);
	if (rc != SHMCAT_EOF) {
		fprintf(stderr, "evloop: %s: %s\n", argv[1], shmcat_strerror(rc));
		return 1;
	}
	printf("%lu records, %lu lines\n", records, lines);
	return 0;
}
