/*
 * name.c - which ring names we accept, and the file names behind one.
 *
 * A name becomes the file shmcat.<name> in the ring directory (dir.c).
 * We allow only [A-Za-z0-9._-], no leading '.', and at most
 * SHMCAT_NAME_MAX bytes: no '/', so a name can never leave its directory
 * or name a subdirectory; no leading dot, so "." and ".." and hidden
 * files are out; no spaces, globs or non-ASCII, so a name survives
 * shells and completions unquoted; and the prefix keeps shmcat's files
 * apart from everyone else's.
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

/* "shmcat.<name>": the ring's file in its directory. */
int
ring_file(const char *name, char *buf, size_t len)
{
	int n;

	if (!shmcat_valid_name(name))
		return -EINVAL;
	n = snprintf(buf, len, SHMCAT_PREFIX "%s", name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The ring directory as we name it: dir, or SHMCAT_DEFAULT_DIR for
 * NULL, without trailing slashes ("/" stays "/"); -EINVAL for "", or
 * -ENAMETOOLONG if it does not fit len. */
int
dir_name(const char *dir, char *buf, size_t len)
{
	size_t n;

	if (dir == NULL)
		dir = SHMCAT_DEFAULT_DIR;
	n = strlen(dir);
	if (n == 0)
		return -EINVAL;
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(buf, dir, n);
	buf[n] = '\0';
	return 0;
}

int
shmcat_path_in(const char *dir, const char *name, char *buf, size_t len)
{
	char d[PATH_MAX];
	int n, rc;

	if (!shmcat_valid_name(name) || buf == NULL)
		return -EINVAL;
	if ((rc = dir_name(dir, d, sizeof(d))) != 0)
		return rc;
	n = snprintf(buf, len, "%s%s" SHMCAT_PREFIX "%s", d,
	    strcmp(d, "/") == 0 ? "" : "/", name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int
shmcat_path(const char *name, char *buf, size_t len)
{
	return shmcat_path_in(NULL, name, buf, len);
}

#define PID_LIMIT 4194304 /* PID_MAX_LIMIT on 64-bit Linux */

/* A process id as stored by a peer: the kernel's range, or 0. */
long
safe_pid(int32_t pid)
{
	return pid > 0 && pid <= PID_LIMIT ? pid : 0;
}
