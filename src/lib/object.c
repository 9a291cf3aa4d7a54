/*
 * object.c - the shared object: its header, its size and its mapping.
 *
 * The object DIR/shmcat.<name> is header_size bytes of header and the
 * data area (shmcat_int.h).  Here a new header is filled in, one
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

/* The header's size on a filesystem of this page: SHMCAT_HDR_SIZE, or
 * one (huge) page if that is larger, so that the data area starts on a
 * page the second mapping can begin with. */
uint64_t
header_size_for(uint64_t page)
{
	return (SHMCAT_HDR_SIZE + page - 1) / page * page;
}

/* Validate the immutable part of a header against the object's size
 * and page (object_page). */
int
check_header(const struct shared *sh, uint64_t object_size, uint64_t page)
{
	uint64_t hdr = header_size_for(page);

	if (sh->magic != SHMCAT_MAGIC)
		return -SHMCAT_ENOTRING;
	if (sh->version != SHMCAT_LAYOUT_VERSION ||
	    sh->sem_size != sizeof(sem_t) ||
	    sh->reader_slot_size != sizeof(struct reader_slot) ||
	    sh->writer_slot_size != sizeof(struct writer_slot) ||
	    sh->shared_size != sizeof(struct shared))
		return -SHMCAT_EVERSION; /* another layout, or another ABI */
	if (sh->header_size != hdr || object_size < hdr ||
	    sh->capacity == 0 || sh->capacity % page != 0 ||
	    sh->capacity > object_size - hdr ||
	    sh->object_size != object_size ||
	    sh->object_size != hdr + sh->capacity ||
	    sh->max_readers != SHMCAT_MAX_READERS ||
	    sh->max_writers != SHMCAT_MAX_WRITERS)
		return -SHMCAT_ECORRUPT;
	return 0;
}

/* len bytes of address space, aligned to page, reserved (PROT_NONE) for
 * the mappings of the object; NULL with errno.  A huge page mapping
 * (hugetlbfs) must start on a huge page: reserve a page more, and give
 * back what lies before and after the aligned range. */
static unsigned char *
reserve(size_t len, size_t page)
{
	size_t extra = page > SHMCAT_PAGE ? page : 0;
	unsigned char *raw, *p;

	raw = mmap(NULL, len + extra, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	if (extra == 0)
		return raw;
	p = raw + (page - (uintptr_t)raw % page) % page;
	if (p > raw)
		munmap(raw, p - raw);
	if (raw + extra > p)
		munmap(p + len, raw + extra - p);
	return p;
}

/* Map header + data, then the data again right after it. */
int
map_ring(struct shmcat_ring *r)
{
	size_t len = r->hdr + 2 * r->cap;
	unsigned char *base, *p;

	int prot = r->rdonly ? PROT_READ : PROT_READ | PROT_WRITE;

	if ((base = reserve(len, r->page)) == NULL)
		return -errno;
	p = mmap(base, r->hdr + r->cap, prot, MAP_SHARED | MAP_FIXED, r->fd, 0);
	if (p != MAP_FAILED)
		p = mmap(base + r->hdr + r->cap, r->cap, prot,
		    MAP_SHARED | MAP_FIXED, r->fd, r->hdr);
	if (p == MAP_FAILED) {
		int e = errno;
		munmap(base, len);
		return -e;
	}
	r->map = base;
	r->map_len = len;
	r->sh = (struct shared *)base;
	r->data = base + r->hdr;
	LOG(r, "mmap %zu bytes (header %llu + data %llu mapped twice)", len,
	    (unsigned long long)r->hdr, (unsigned long long)r->cap);
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
	sh->header_size = r->hdr;
	sh->capacity = r->cap;
	sh->object_size = r->hdr + r->cap;
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

/* The capacity for a requested size: whole pages of the filesystem. */
int
round_size(size_t size, uint64_t page, uint64_t *cap)
{
	if (size == 0)
		size = SHMCAT_DEFAULT_SIZE;
	if (size > (SIZE_MAX >> 2))
		return -EINVAL;
	*cap = ((uint64_t)size + page - 1) / page * page;
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
	return r ? r->hdr + r->cap : 0;
}
