/*
 * swapshim.c - an LD_PRELOAD shim for tests/35-hostile.bats: the peer
 * that swaps a ring's name for a FIFO, at the worst moment, from inside
 * the process under test so that the moment is exact.
 *
 *	SWAPSHIM_WHEN=before	just before shm_open() of an existing ring:
 *				the name was a file when it was looked at,
 *				and is a FIFO when it is opened
 *	SWAPSHIM_WHEN=truncate	not a swap: the object is truncated to 0
 *				just after the first mmap() of it, as its
 *				owner may do while we read it
 *
 * The ring itself moves to NAME-aside (the test removes both).  Only the
 * first shm_open of the ring SWAPSHIM_RING is touched: never another
 * ring that shmcat list meets.
 *
 * Build: cc -shared -fPIC -o swapshim.so swapshim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static char opened[256]; /* the path of the ring shm_open opened */
static int opened_fd = -1;

static void
swap(const char *name)
{
	char path[256], aside[272];

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	snprintf(aside, sizeof(aside), "%s-aside", path);
	if (rename(path, aside) == 0)
		mkfifo(path, 0600);
}

int
shm_open(const char *name, int oflag, mode_t mode)
{
	static int (*real)(const char *, int, mode_t);
	static int done;
	const char *when = getenv("SWAPSHIM_WHEN");
	const char *ring = getenv("SWAPSHIM_RING");
	int fd, mine = !done && when && ring && !(oflag & O_CREAT) &&
	    strncmp(name, "/shmcat.", 8) == 0 && strcmp(name + 8, ring) == 0;

	if (!real)
		real = (int (*)(const char *, int, mode_t))dlsym(RTLD_NEXT,
		    "shm_open");
	if (mine && strcmp(when, "before") == 0)
		swap(name), done = 1;
	fd = real(name, oflag, mode);
	if (mine && strcmp(when, "truncate") == 0) {
		snprintf(opened, sizeof(opened), "/dev/shm%s", name);
		opened_fd = fd;
		done = 1;
	}
	return fd;
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);
	void *p;

	if (!real)
		real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(
		    RTLD_NEXT, "mmap");
	p = real(addr, len, prot, flags, fd, off);
	if (fd >= 0 && fd == opened_fd && p != MAP_FAILED) {
		opened_fd = -1;
		truncate(opened, 0);
	}
	return p;
}
