/*
 * producer - write COUNT records of 64 bytes into the ring NAME.
 *
 *	producer NAME [COUNT]
 *
 * Each record is "record <n>" padded with spaces to 63 bytes and ended
 * by a newline, so `shmcat-out NAME` prints them too.  The writer side
 * of the span API: ask for space, fill it, commit; wait when it is full.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmcat.h>

#define RECORD 64

int
main(int argc, char **argv)
{
	struct shmcat_opts opts = {.role = SHMCAT_WRITER};
	struct shmcat_error err;
	struct shmcat_ring *w;
	unsigned long n, count = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	size_t room;
	void *p;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: producer NAME [COUNT]\n");
		return 2;
	}
	if ((rc = shmcat_open(argv[1], &opts, &w, &err)) != 0) {
		fprintf(stderr, "producer: %s: %s: %s\n", argv[1], err.call,
		    shmcat_strerror(rc));
		return 2;
	}
	for (n = 0; n < count; n++) {
		/* Records never straddle a span: wait for a whole one. */
		while ((room = shmcat_write_span(w, &p)) < RECORD) {
			if ((rc = shmcat_wait_space(w, -1)) != 0) {
				fprintf(stderr, "producer: %s: %s\n", argv[1],
				    shmcat_strerror(rc));
				shmcat_close(w, SHMCAT_INTERRUPTED);
				return 1;
			}
		}
		snprintf(p, RECORD, "record %-56lu", n);
		((char *)p)[RECORD - 1] = '\n';
		if ((rc = shmcat_write_commit(w, RECORD)) != 0) {
			fprintf(stderr, "producer: %s\n", shmcat_strerror(rc));
			shmcat_close(w, SHMCAT_INTERRUPTED);
			return 1;
		}
	}
	return shmcat_close(w, SHMCAT_END) == 0 ? 0 : 1;
}
