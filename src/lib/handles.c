/*
 * handles.c - this process's open handles, and what fork() does to them.
 *
 * A handle belongs to the process that opened it.  Liveness is an OFD
 * lock, which belongs to the open file description, and fork() shares
 * that: a child that kept the descriptor would keep a dead parent's
 * roles "alive", and a child that closed the handle would end the
 * parent's stream.  So a pthread_atfork child handler walks this
 * process's list of handles, unmaps and closes them in the child (the
 * locks stay with the parent's references) and takes their role away;
 * every later call on them returns -SHMCAT_EFORKED and shmcat_close
 * only frees the child's copy.
 */
#include <pthread.h>
#include <stdlib.h>

#include "shmcat_int.h"

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handles_once = PTHREAD_ONCE_INIT;
static struct shmcat_ring *handles; /* this process's open handles */

static void
handles_prepare(void)
{
	pthread_mutex_lock(&handles_lock);
}

static void
handles_parent(void)
{
	pthread_mutex_unlock(&handles_lock);
}

/* In the child, after fork(): only this thread runs. */
static void
handles_child(void)
{
	struct shmcat_ring *r;

	/* A mapping holds the open file too: both must go for the parent's
	 * locks to die with the parent. */
	for (r = handles; r != NULL; r = r->next) {
		unmap_ring(r); /* our references only: the locks stay */
		r->role = 0;
		r->forked = 1;
	}
	handles = NULL;
	pthread_mutex_unlock(&handles_lock);
}

static void
handles_init(void)
{
	(void)pthread_atfork(handles_prepare, handles_parent, handles_child);
}

/* Hold the list while a handle is opened: a fork() in another thread
 * meanwhile would leave the new descriptor open in its child.  0, or
 * the -errno of setting up the fork handlers. */
int
handles_enter(void)
{
	int rc;

	if ((rc = pthread_once(&handles_once, handles_init)) != 0)
		return -rc;
	pthread_mutex_lock(&handles_lock);
	return 0;
}

void
handles_leave(void)
{
	pthread_mutex_unlock(&handles_lock);
}

/* Callers hold the list (handles_enter). */
void
handles_add(struct shmcat_ring *r)
{
	r->prev = NULL;
	r->next = handles;
	if (handles)
		handles->prev = r;
	handles = r;
}

/* Free a handle of this process: out of the list and its descriptor
 * closed in one step, so a concurrent fork() either closes the child's
 * copy or has none to inherit. */
void
release_handle(struct shmcat_ring *r)
{
	pthread_mutex_lock(&handles_lock);
	if (r->prev)
		r->prev->next = r->next;
	else
		handles = r->next;
	if (r->next)
		r->next->prev = r->prev;
	unmap_ring(r);
	pthread_mutex_unlock(&handles_lock);
	free(r);
}
