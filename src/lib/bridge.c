/*
 * bridge.c - a reader's ring as a file descriptor an event loop can poll.
 *
 * The ring's sleepers wait on process-shared semaphores, which poll(2)
 * cannot watch.  A bridge is one thread per reader handle that does the
 * waiting: once armed, it sleeps until at least `min` bytes lie beyond
 * the cursor as it was when armed (or the stream ends), then writes one
 * byte to a pipe and disarms.  The caller polls the pipe's read end,
 * drains the ring with the span calls, and re-arms.  Arming records the
 * cursor under the bridge's mutex, so bytes committed between the drain
 * and the re-arm make the next wait return at once: nothing is lost.
 *
 * The thread reads only shared state through a private copy of the
 * handle (bridge->shadow); the cursor, the counters and the log stay the
 * caller's.  The thread blocks every signal, so the caller's handlers
 * run in the caller's threads as before.
 *
 * A handle has at most one bridge, and knows it: closing the handle
 * first stops the thread (its mapping is about to go) and leaves the
 * bridge only to be freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "barrier.h"
#include "shmcat_int.h"

struct shmcat_bridge {
	struct shmcat_ring *r;	   /* the caller's handle; NULL once closed */
	struct shmcat_ring shadow; /* the thread's read-only copy */
	size_t min;
	int fds[2];		   /* [0] the caller polls, [1] we write */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int armed;		   /* under lock */
	uint64_t armed_pos;	   /* under lock */
	_Atomic int stop;
};

/* Wait to be armed; 0 when told to stop. */
static int
next_arming(struct shmcat_bridge *b, uint64_t *pos)
{
	int go;

	pthread_mutex_lock(&b->lock);
	while (!b->armed && !atomic_load(&b->stop))
		pthread_cond_wait(&b->cond, &b->lock);
	go = !atomic_load(&b->stop);
	b->armed = 0;
	*pos = b->armed_pos;
	pthread_mutex_unlock(&b->lock);
	return go;
}

static void *
bridge_main(void *arg)
{
	struct shmcat_bridge *b = arg;
	uint64_t pos;
	ssize_t n;

	while (next_arming(b, &pos)) {
		if (!reader_wait_beyond(&b->shadow, pos, b->min, &b->stop))
			break;
		do /* one byte in an empty pipe: cannot be full */
			n = write(b->fds[1], "", 1);
		while (n < 0 && errno == EINTR);
	}
	return NULL;
}

/* Drain the wake-up bytes the caller has seen. */
static void
drain_pipe(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int
shmcat_bridge_rearm(struct shmcat_bridge *b)
{
	int rc;

	if (b == NULL || b->r == NULL) /* (its handle was closed) */
		return -EINVAL;
	if ((rc = handle_check(b->r, SHMCAT_READER)) != 0)
		return rc;
	drain_pipe(b->fds[0]);
	pthread_mutex_lock(&b->lock);
	b->armed_pos = b->r->pos;
	b->armed = 1;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

int
shmcat_bridge_fd(const struct shmcat_bridge *b)
{
	return b ? b->fds[0] : -EINVAL;
}

static int
start_thread(struct shmcat_bridge *b)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&b->thread, NULL, bridge_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

int
shmcat_bridge_open(struct shmcat_ring *r, size_t min,
    struct shmcat_bridge **bp)
{
	struct shmcat_bridge *b;
	int rc;

	if (bp == NULL || r == NULL)
		return -EINVAL;
	*bp = NULL;
	if ((rc = handle_check(r, SHMCAT_READER)) != 0)
		return rc;
	if (r->bridge) /* two threads would take each other's wake-ups */
		return -EBUSY;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -ENOMEM;
	b->r = r;
	b->shadow = *r;
	b->shadow.log = NULL;	    /* the caller's log is not thread-safe */
	b->shadow.interrupt = NULL; /* the caller's flag, not ours */
	b->min = min == 0 ? 1 : min > r->cap ? r->cap : min;
	b->armed = 1;
	b->armed_pos = r->pos;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	if (pipe2(b->fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = -errno;
		goto fail;
	}
	b->fds[0] = fd_above_stdio(b->fds[0]);
	b->fds[1] = fd_above_stdio(b->fds[1]);
	if (b->fds[0] < 0 || b->fds[1] < 0) {
		rc = -errno;
		if (b->fds[0] >= 0)
			close(b->fds[0]);
		if (b->fds[1] >= 0)
			close(b->fds[1]);
		goto fail;
	}
	if ((rc = start_thread(b)) != 0) {
		close(b->fds[0]);
		close(b->fds[1]);
		goto fail;
	}
	r->bridge = b;
	*bp = b;
	return 0;
fail:
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
	return rc;
}

/* Stop the thread and part the bridge from its handle r, before r goes
 * (shmcat_close) or the bridge does.  In a child the thread stayed in
 * the parent: there is none to stop. */
void
bridge_detach(struct shmcat_ring *r)
{
	struct shmcat_bridge *b = r->bridge;

	if (b == NULL)
		return;
	r->bridge = NULL;
	b->r = NULL;
	if (handle_forked(r))
		return;
	pthread_mutex_lock(&b->lock);
	atomic_store(&b->stop, 1);
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	/* The thread may sleep on the slot's semaphore: wake it now rather
	 * than at the end of its slice.  A spare post only makes the next
	 * wait_data look once more. */
	wake_reader(b->shadow.sh, b->shadow.slot);
	pthread_join(b->thread, NULL);
}

int
shmcat_bridge_close(struct shmcat_bridge *b)
{
	if (b == NULL)
		return 0;
	if (b->r) /* else its handle went first, and stopped the thread */
		bridge_detach(b->r);
	close(b->fds[0]);
	close(b->fds[1]);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
	return 0;
}
