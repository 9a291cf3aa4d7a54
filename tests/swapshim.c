/*
 * swapshim.c - an LD_PRELOAD shim for tests/35-hostile.bats: the peer
 * that swaps a ring's name for a FIFO, at the worst moment, from inside
 * the process under test so that the moment is exact.
 *
 *	SWAPSHIM_WHEN=before	just before openat() of an existing ring:
 *				the name was a file when it was looked at,
 *				and is a FIFO when it is opened
 *	SWAPSHIM_WHEN=truncate	not a swap: the object is truncated to 0
 *				just after the first mmap() of it, as its
 *				owner may do while we read it
 *
 * The ring itself moves to NAME-aside (the test removes both).  Only the
 * first openat of the ring SWAPSHIM_RING is touched: never another ring
 * that shmcat list meets.
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

static int opened_dir = -1; /* the ring the library opened: its */
static char opened[256];    /* directory and name */
static int opened_fd = -1;

static void
swap(int dirfd, const char *name)
{
	char aside[272];

	snprintf(aside, sizeof(aside), "%s-aside", name);
	if (renameat(dirfd, name, dirfd, aside) == 0)
		mkfifoat(dirfd, name, 0600);
}

int
openat(int dirfd, const char *name, int oflag, ...)
{
	static int (*real)(int, const char *, int, ...);
	static int done;
	const char *when = getenv("SWAPSHIM_WHEN");
	const char *ring = getenv("SWAPSHIM_RING");
	mode_t mode = 0;
	va_list ap;
	int fd, mine = !done && when && ring && !(oflag & O_CREAT) &&
	    strncmp(name, "shmcat.", 7) == 0 && strcmp(name + 7, ring) == 0;

	if (oflag & O_CREAT) {
		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!real)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
		    "openat");
	if (mine && strcmp(when, "before") == 0)
		swap(dirfd, name), done = 1;
	fd = real(dirfd, name, oflag, mode);
	if (mine && strcmp(when, "truncate") == 0) {
		snprintf(opened, sizeof(opened), "%s", name);
		opened_dir = dirfd;
		opened_fd = fd;
		done = 1;
	}
	return fd;
}

/*
 * A program built with _FORTIFY_SOURCE (as a distribution builds it)
 * calls these for an openat() whose flags are not constant: the same
 * call, with no mode.
 */
int __openat_2(int, const char *, int);
int __openat64_2(int, const char *, int);

int
__openat_2(int dirfd, const char *name, int oflag)
{
	return openat(dirfd, name, oflag);
}

int
__openat64_2(int dirfd, const char *name, int oflag)
{
	return openat(dirfd, name, oflag);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);
	void *p;
	int wfd;

	if (!real)
		real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(
		    RTLD_NEXT, "mmap");
	p = real(addr, len, prot, flags, fd, off);
	if (fd >= 0 && fd == opened_fd && p != MAP_FAILED) {
		opened_fd = -1;
		wfd = openat(opened_dir, opened, O_WRONLY);
		if (wfd >= 0) {
			ftruncate(wfd, 0);
			close(wfd);
		}
	}
	return p;
}
