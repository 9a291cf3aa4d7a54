/*
 * dir.c - the directory rings live in: opened once, judged once, and
 * every name in it resolved against that one descriptor (openat,
 * linkat, unlinkat, renameat, fstatat), as systemd's chaseat() does.
 * No path is looked up twice, so nothing can swap the directory
 * between a check and a use.
 *
 * Whose directory is it?  Whoever may write a directory may rename,
 * remove and replace the names in it: a ring whose directory others can
 * change is theirs to take away.  So writers and readers use a directory
 * (the last component: where the names are) only if it is owned by
 * root, by our effective uid or by the uid the caller trusts
 * (SHMCAT_O_TRUST_UID), and if it is writable by others only with the
 * sticky bit, which lets nobody but a file's owner rename or remove it
 * (sshd's StrictModes, PostgreSQL's data-directory check).  Its group
 * may write it: sharing a directory within a group is a choice its
 * owner made.  The default, /dev/shm, keeps the rules it always had: it
 * is the system's (1777 and root's, or a container's memory emptyDir,
 * 0777 without the sticky bit), and every ring in it is judged by its
 * own owner (open.c).  Inspection only reads, and looks in any
 * directory.
 *
 * A ring is memory that processes on this machine share.  On a network
 * or FUSE filesystem the pages would go through a server, or another
 * machine's process could hold the same name, and the OFD locks that
 * say who is alive may not be kernel-local: those are refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "shmcat_int.h"

#define TMPFS_MAGIC_ 0x01021994u
#define HUGETLBFS_MAGIC_ 0x958458f6u

/* statfs(2) f_type of the filesystems whose files are not this
 * machine's memory to share: network ones and FUSE (linux/magic.h, and
 * the kernel's fs/ for those it does not list). */
static const uint32_t remote_fs[] = {
	0x6969,	    /* nfs */
	0x517b,	    /* smb */
	0xff534d42, /* cifs */
	0xfe534d42, /* smb2 */
	0x65735546, /* fuse (sshfs, glusterfs, s3fs, ...) */
	0x01021997, /* 9p */
	0x00c36400, /* ceph */
	0x5346414f, /* afs */
	0x6b414653, /* kafs */
	0x73757245, /* coda */
	0x564c,	    /* ncp */
	0x20030528, /* orangefs */
	0x0bd00bd0, /* lustre */
	0x01161970, /* gfs2 */
	0x7461636f, /* ocfs2 */
};

static uint32_t
fs_type(const struct statfs *sf)
{
	return (uint32_t)sf->f_type;
}

static int
fs_remote(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(remote_fs) / sizeof(remote_fs[0]); i++)
		if (type == remote_fs[i])
			return 1;
	return 0;
}

/* The page of a file on this filesystem: a ring's header and capacity
 * are multiples of it.  hugetlbfs maps whole huge pages only, and says
 * how large they are in f_bsize. */
static uint64_t
fs_page(const struct statfs *sf)
{
	uint64_t bsize = (uint64_t)sf->f_bsize;

	if (fs_type(sf) != HUGETLBFS_MAGIC_)
		return SHMCAT_PAGE;
	if (bsize < SHMCAT_PAGE || (bsize & (bsize - 1)) != 0)
		return 0; /* no page we could map */
	return bsize;
}

/* The page of an open object's filesystem: 0, or -errno (-EINVAL for a
 * page we cannot map). */
int
object_page(int fd, uint64_t *page)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) != 0)
		return -errno;
	*page = fs_page(&sf);
	return *page ? 0 : -EINVAL;
}

/* May the caller's peers change this directory's names?  0 if the
 * directory is safe for a writer or a reader, else SHMCAT_EDIRMODE
 * with the owner and mode noted in err.  See the top of this file. */
static int
dir_trusted(const struct ring_dir *d, const struct stat *st,
    const struct shmcat_opts *o, struct shmcat_error *err)
{
	int owner_ok = st->st_uid == 0 || st->st_uid == geteuid() ||
	    ((o->flags & SHMCAT_O_TRUST_UID) && st->st_uid == o->trust_uid);
	int mode_ok = !(st->st_mode & S_IWOTH) || (st->st_mode & S_ISVTX);

	if (o->role == SHMCAT_INSPECT ||
	    strcmp(d->path, SHMCAT_DEFAULT_DIR) == 0 || (owner_ok && mode_ok))
		return 0;
	if (err) {
		err->uid = st->st_uid;
		err->gid = st->st_gid;
		err->dir_mode = st->st_mode;
	}
	return fail(err, "dir", -SHMCAT_EDIRMODE);
}

/* Judge the open directory: its mode and owner, and its filesystem;
 * note its kind and page. */
static int
dir_judge(struct ring_dir *d, const struct shmcat_opts *o,
    struct shmcat_error *err)
{
	struct statfs sf;
	struct stat st;
	int rc;

	if (fstat(d->fd, &st) != 0 || fstatfs(d->fd, &sf) != 0)
		return fail(err, "dir", -errno);
	if ((rc = dir_trusted(d, &st, o, err)) != 0)
		return rc;
	if (fs_remote(fs_type(&sf))) {
		if (err)
			err->fs_type = fs_type(&sf);
		return fail(err, "dir", -SHMCAT_EDIRFS);
	}
	if ((d->page = fs_page(&sf)) == 0)
		return fail(err, "dir", -EINVAL);
	d->fs = fs_type(&sf) == TMPFS_MAGIC_ ? "tmpfs" :
	    fs_type(&sf) == HUGETLBFS_MAGIC_ ? "hugetlbfs" : "other";
	return 0;
}

/* Open the directory path (NULL: SHMCAT_DEFAULT_DIR) for the role and
 * trust of o, and judge it.  0, or the error noted in err with the call
 * "dir"; d is closed then. */
int
dir_open(struct ring_dir *d, const char *path, const struct shmcat_opts *o,
    struct shmcat_error *err)
{
	int rc;

	d->fd = -1;
	if ((rc = dir_name(path, d->path, sizeof(d->path))) != 0)
		return fail(err, "dir", rc);
	do
		d->fd = fd_above_stdio(open(d->path,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	while (d->fd < 0 && again_after_eintr(o->interrupt));
	if (d->fd < 0)
		return fail(err, "dir", -errno);
	if ((rc = dir_judge(d, o, err)) != 0)
		dir_close(d);
	return rc;
}

/* The directory dirfd, to read: a descriptor of its own, as closedir
 * closes it.  NULL with errno. */
DIR *
dir_stream(int dirfd)
{
	int fd;
	DIR *d;

	do
		fd = fd_above_stdio(openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC));
	while (fd < 0 && again_after_eintr(NULL));
	if (fd < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

/* A second handle on the same open directory (shmcat_remove's). */
int
dir_dup(struct ring_dir *to, const struct ring_dir *from)
{
	*to = *from;
	to->fd = fcntl(from->fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	return to->fd < 0 ? -errno : 0;
}

void
dir_close(struct ring_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
