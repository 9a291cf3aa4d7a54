/*
 * consumer - read the records of producer(1) from the ring NAME, check
 * that they come in order, and print how many there were.
 *
 *	consumer NAME
 *
 * The reader side of the span API: look at the unread bytes, use them,
 * commit; wait when there are none.  shmcat_wait_data() returns
 * SHMCAT_EOF once the writer has ended the stream and everything is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmcat.h>

#define RECORD 64

int
main(int argc, char **argv)
{
	struct shmcat_opts opts = {.role = SHMCAT_READER};
	struct shmcat_error err;
	struct shmcat_ring *r;
	unsigned long n = 0;
	const void *p;
	size_t len, i;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: consumer NAME\n");
		return 2;
	}
	if ((rc = shmcat_open(argv[1], &opts, &r, &err)) != 0) {
		fprintf(stderr, "consumer: %s: %s: %s\n", argv[1], err.call,
		    shmcat_strerror(rc));
		return 2;
	}
	for (;;) {
		len = shmcat_read_span(r, &p) / RECORD * RECORD;
		if (len == 0) {
			rc = shmcat_wait_data(r, -1);
			if (rc == 0)
				continue;
			break; /* SHMCAT_EOF, or the stream was cut short */
		}
		for (i = 0; i < len; i += RECORD, n++)
			if (strtoul((const char *)p + i + 7, NULL, 10) != n) {
				fprintf(stderr, "consumer: record %lu is out "
				    "of order\n", n);
				shmcat_close(r, SHMCAT_END);
				return 1;
			}
		shmcat_read_commit(r, len);
	}
	shmcat_close(r, SHMCAT_END);
	if (rc != SHMCAT_EOF) {
		fprintf(stderr, "consumer: %s: %s\n", argv[1], shmcat_strerror(rc));
		return 1;
	}
	printf("%lu records\n", n);
	return 0;
}
