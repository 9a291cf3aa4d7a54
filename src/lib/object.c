/*
 * object.c - the shared object: its header, its size and its mapping.
 *
 * The object /dev/shm/shmcat.<name> is SHMCAT_HDR_SIZE bytes of header
 * and the data area (shmcat_int.h).  Here a new header is filled in, one
 * a peer wrote is judged, a size is checked and rounded, and the object
 * is mapped with its data area twice.  Finding an object by its name is
 * open.c's job; building a new one is build.c's.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "barrier.h"
#include "shmcat_int.h"

/* Validate the immutable part of a header against the object's size. */
int
check_header(const struct shared *sh, uint64_t object_size)
{
	if (sh->magic != SHMCAT_MAGIC)
		return -SHMCAT_ENOTRING;
	if (sh->version != SHMCAT_LAYOUT_VERSION ||
	    sh->sem_size != sizeof(sem_t) ||
	    sh->reader_slot_size != sizeof(struct reader_slot) ||
	    sh->writer_slot_size != sizeof(struct writer_slot) ||
	    sh->shared_size != sizeof(struct shared))
		return -SHMCAT_EVERSION; /* another layout, or another ABI */
	if (sh->header_size != SHMCAT_HDR_SIZE || sh->capacity == 0 ||
	    sh->capacity % SHMCAT_PAGE != 0 ||
	    sh->capacity > object_size - SHMCAT_HDR_SIZE ||
	    sh->object_size != object_size ||
	    sh->object_size != SHMCAT_HDR_SIZE + sh->capacity ||
	    sh->max_readers != SHMCAT_MAX_READERS ||
	    sh->max_writers != SHMCAT_MAX_WRITERS)
		return -SHMCAT_ECORRUPT;
	return 0;
}

/* Map header + data, then the data again right after it. */
int
map_ring(struct shmcat_ring *r)
{
	size_t len = SHMCAT_HDR_SIZE + 2 * r->cap;
	unsigned char *base, *p;

	int prot = r->rdonly ? PROT_READ : PROT_READ | PROT_WRITE;

	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	p = mmap(base, SHMCAT_HDR_SIZE + r->cap, prot, MAP_SHARED | MAP_FIXED,
	    r->fd, 0);
	if (p != MAP_FAILED)
		p = mmap(base + SHMCAT_HDR_SIZE + r->cap, r->cap, prot,
		    MAP_SHARED | MAP_FIXED, r->fd, SHMCAT_HDR_SIZE);
	if (p == MAP_FAILED) {
		int e = errno;
		munmap(base, len);
		return -e;
	}
	r->map = base;
	r->map_len = len;
	r->sh = (struct shared *)base;
	r->data = base + SHMCAT_HDR_SIZE;
	LOG(r, "mmap %zu bytes (header %u + data %llu mapped twice)", len,
	    SHMCAT_HDR_SIZE, (unsigned long long)r->cap);
	return 0;
}

static int
init_sync(struct shared *sh)
{
	int i;

	if (sem_init(&sh->space, 1, 0) != 0 ||
	    sem_init(&sh->commit_wake, 1, 0) != 0)
		return -errno;
	for (i = 0; i < SHMCAT_MAX_READERS; i++)
		if (sem_init(&sh->readers[i].wake, 1, 0) != 0)
			return -errno;
	return 0;
}

int
init_header(struct shmcat_ring *r)
{
	struct shared *sh = r->sh;
	int i;

	memset(sh, 0, sizeof(*sh));
	sh->version = SHMCAT_LAYOUT_VERSION;
	sh->header_size = SHMCAT_HDR_SIZE;
	sh->capacity = r->cap;
	sh->object_size = SHMCAT_HDR_SIZE + r->cap;
	sh->created_sec = time(NULL);
	sh->creator_pid = getpid();
	sh->max_readers = SHMCAT_MAX_READERS;
	sh->max_writers = SHMCAT_MAX_WRITERS;
	sh->sem_size = sizeof(sem_t);
	sh->reader_slot_size = sizeof(struct reader_slot);
	sh->writer_slot_size = sizeof(struct writer_slot);
	sh->shared_size = sizeof(struct shared);
	atomic_store(&sh->readers[0].kind, SLOT_DEFAULT);
	store_relaxed32(&sh->writer_cpu, UINT32_MAX); /* no commit yet */
	for (i = 0; i < SHMCAT_MAX_READERS; i++)
		store_relaxed32(&sh->readers[i].cpu, UINT32_MAX);
	/* The magic goes last: it marks a finished header. */
	sh->magic = SHMCAT_MAGIC;
	return init_sync(sh);
}

/* A file larger than RLIMIT_FSIZE raises SIGXFSZ, which kills by
 * default: refuse the size first, as the call would (EFBIG). */
int
size_allowed(off_t size)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)size > rl.rlim_cur)
		return -EFBIG;
	return 0;
}

int
round_size(size_t size, uint64_t *cap)
{
	if (size == 0)
		size = SHMCAT_DEFAULT_SIZE;
	if (size > (SIZE_MAX >> 2))
		return -EINVAL;
	*cap = ((uint64_t)size + SHMCAT_PAGE - 1) / SHMCAT_PAGE * SHMCAT_PAGE;
	return 0;
}

void
unmap_ring(struct shmcat_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->sh = NULL;
	r->fd = -1;
}

size_t
shmcat_capacity(const struct shmcat_ring *r)
{
	return r ? r->cap : 0;
}

uint64_t
shmcat_object_size(const struct shmcat_ring *r)
{
	return r ? SHMCAT_HDR_SIZE + r->cap : 0;
}
