/*
 * name.c - which ring names we accept, and the object name behind one.
 *
 * A name becomes the file /dev/shm/shmcat.<name>.  We allow only
 * [A-Za-z0-9._-], no leading '.', and at most SHMCAT_NAME_MAX bytes:
 * no '/', so a name can never leave /dev/shm or name a directory; no
 * leading dot, so "." and ".." and hidden files are out; no spaces,
 * globs or non-ASCII, so a name survives shells and completions unquoted;
 * and the prefix keeps shmcat's objects apart from everyone else's.
 */
#include <stdio.h>
#include <errno.h>
#include <string.h>

#include "shmcat_int.h"

int
shmcat_valid_name(const char *name)
{
	size_t len;

	if (name == NULL || name[0] == '\0' || name[0] == '.')
		return 0;
	len = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "abcdefghijklmnopqrstuvwxyz0123456789._-");
	return name[len] == '\0' && len <= SHMCAT_NAME_MAX;
}

/* "/shmcat.<name>", as shm_open(3) wants it. */
int
shm_object_name(const char *name, char *buf, size_t len)
{
	int n;

	if (!shmcat_valid_name(name))
		return -EINVAL;
	n = snprintf(buf, len, "/" SHMCAT_PREFIX "%s", name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
shmcat_path(const char *name, char *buf, size_t len)
{
	int n;

	if (!shmcat_valid_name(name) || buf == NULL)
		return -EINVAL;
	n = snprintf(buf, len, SHMCAT_SHM_DIR "/" SHMCAT_PREFIX "%s", name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

#define PID_LIMIT 4194304 /* PID_MAX_LIMIT on 64-bit Linux */

/* A process id as stored by a peer: the kernel's range, or 0. */
long
safe_pid(int32_t pid)
{
	return pid > 0 && pid <= PID_LIMIT ? pid : 0;
}

int
shmcat_path_in(const char *dir, const char *name, char *buf, size_t len)
{
	if (dir && strcmp(dir, SHMCAT_DEFAULT_DIR) != 0)
		return -EOPNOTSUPP; /* other directories: not yet */
	return shmcat_path(name, buf, len);
}
