/*
 * fsshim.c - an LD_PRELOAD shim for tests/37-dir.bats: a directory on a
 * network or FUSE filesystem, without a server.  Every fstatfs() says
 * the filesystem's type is FSSHIM_TYPE (a number, 0x... for hex), as
 * statfs(2) would on NFS (0x6969) or FUSE (0x65735546); the rest of the
 * answer is the real one.
 *
 * Build: cc -shared -fPIC -o fsshim.so fsshim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/vfs.h>

int
fstatfs(int fd, struct statfs *buf)
{
	static int (*real)(int, struct statfs *);
	const char *type = getenv("FSSHIM_TYPE");
	int rc;

	if (!real)
		real = (int (*)(int, struct statfs *))dlsym(RTLD_NEXT,
		    "fstatfs");
	rc = real(fd, buf);
	if (rc == 0 && type)
		buf->f_type = (__fsword_t)strtoul(type, NULL, 0);
	return rc;
}
