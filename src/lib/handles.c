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
 * only frees the child's copy.  The directory's descriptor goes too: it
 * is the parent's handle's, and the child has nothing to look up.
 *
 * Not every child runs the handlers: _Fork() and a raw clone(2) or
 * fork(2) system call skip them.  Such a child is told by the owner
 * word, on a page the kernel hands every child zeroed
 * (MADV_WIPEONFORK): it holds this process's token, and every handle
 * the token it was opened under, so in any child the two differ
 * (handle_forked, shmcat_int.h).  That child's first call into the
 * list does what the handler would have done.  Until then it holds the
 * parent's descriptors; one that lives on without calling us keeps the
 * parent's locks alive (a child of fork() does not).  On kernels
 * without MADV_WIPEONFORK (before 4.14) the word is ordinary memory and
 * only fork() is seen.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "shmcat_int.h"

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handles_once = PTHREAD_ONCE_INIT;
static struct shmcat_ring *handles; /* this process's open handles */
static _Atomic uint64_t fallback_word;
static _Atomic uint64_t *owner_word = &fallback_word;
static uint64_t owner_token; /* a child inherits its parent's */

/* A token for this process's handles: never 0 (a wiped word), and never
 * the parent's, nor an ancestor's. */
static void
new_owner_token(void)
{
	owner_token++;
	atomic_store(owner_word, owner_token);
}

/* In a child: every handle listed is the parent's.  Unmap them (our
 * references only: the locks stay with the parent's), take their role
 * away, and start a token of our own for the handles we open. */
static void
disown_inherited(void)
{
	struct shmcat_ring *r;

	/* A mapping holds the open file too: both must go for the parent's
	 * locks to die with the parent. */
	for (r = handles; r != NULL; r = r->next) {
		unmap_ring(r); /* our references only: the locks stay */
		dir_close(&r->dir);
		r->role = 0;
		r->forked = 1;
	}
	handles = NULL;
	new_owner_token();
}

/* A child that no handler told of its birth finds the owner word wiped:
 * it does now what handles_child would have done.  The list's lock is
 * as the fork found it, maybe held by a thread this child lacks, so it
 * starts afresh (the child's one thread is the only one to have run
 * since the fork, as POSIX asks of a child of a threaded process). */
static void
check_owner(void)
{
	if (atomic_load(owner_word) == owner_token)
		return;
	pthread_mutex_init(&handles_lock, NULL);
	disown_inherited();
}

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
	disown_inherited();
	pthread_mutex_unlock(&handles_lock);
}

/* The owner word on a page of its own that children get zeroed; where
 * the kernel cannot do that, it stays in ordinary memory. */
static void
handles_init(void)
{
	void *page = mmap(NULL, SHMCAT_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page != MAP_FAILED && madvise(page, SHMCAT_PAGE,
	    MADV_WIPEONFORK) == 0)
		owner_word = page;
	else if (page != MAP_FAILED)
		munmap(page, SHMCAT_PAGE);
	new_owner_token();
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
	check_owner();
	pthread_mutex_lock(&handles_lock);
	return 0;
}

void
handles_leave(void)
{
	pthread_mutex_unlock(&handles_lock);
}

/* Callers hold the list (handles_enter).  The handle is this
 * process's from now on. */
void
handles_add(struct shmcat_ring *r)
{
	r->owner = owner_word;
	r->owner_token = owner_token;
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
	dir_close(&r->dir);
	pthread_mutex_unlock(&handles_lock);
	free(r);
}

/* Free a child's copy of a handle, touching nothing of the parent's
 * stream: the list first gives up every inherited handle, if no
 * handler did at the fork. */
void
release_forked(struct shmcat_ring *r)
{
	check_owner();
	unmap_ring(r);
	free(r);
}
