/*
 * open.c - shmcat_open: find or build the ring, validate and map it,
 * then attach the role.
 *
 * Every attached process holds a shared lock on LOCK_ATTACH.  Removing a
 * ring takes it exclusively, so a ring in use is never removed, not even
 * with force; after locking, an attacher checks the name still leads to
 * its object.  Observers (status, list) hold none: they only read, and a
 * removal under them leaves their mapping intact.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmcat_int.h"

/*
 * Whose ring is it?  /dev/shm is a shared sticky directory, like /tmp
 * (another directory is judged first: dir.c): anyone may create
 * shmcat.NAME first, and whoever owns the object controls what is in
 * it (its mode, its bytes).  A writer would hand its
 * stream to the owner, a reader would print the owner's bytes as ours,
 * so both attach only to rings owned by our effective uid or by whom the
 * caller named (sshd's StrictModes, PostgreSQL's data-directory check).
 * Inspection only reads, validated, and needs no trust.
 */
static int
trusted(const struct shmcat_ring *r, const struct stat *st)
{
	if (r->role == SHMCAT_INSPECT || st->st_uid == geteuid())
		return 1;
	if ((r->trust & SHMCAT_O_TRUST_UID) && st->st_uid == r->trust_uid)
		return 1;
	return (r->trust & SHMCAT_O_TRUST_GID) && st->st_gid == r->trust_gid;
}

/* Our shared lock on byte 0.  Whoever leaves a ring last holds it
 * exclusively for as long as deciding whether to remove the ring takes
 * (and shmcat rm, to remove it): wait that out, up to ATTACH_BUSY_MS,
 * rather than call a ring busy that is a moment from being free.  The
 * caller then checks that the name still leads to our object. */
static int
attach_lock(struct shmcat_ring *r)
{
	return lock_wait(r, LOCK_ATTACH, 0, deadline_of(ATTACH_BUSY_MS));
}

/* Open the ring's file, without blocking on what it may have become,
 * and make sure it is a regular file.  0, -ENOENT (err untouched) if
 * nothing is at the name, or the error, noted in err. */
static int
open_file(struct shmcat_ring *r, struct stat *st, struct shmcat_error *err)
{
	char file[SHMCAT_NAME_MAX + 16];

	/* Only a regular file can be a ring.  Look before opening: opening
	 * a FIFO, a socket or a device node is at best an odd error and at
	 * worst has side effects; a directory or a symlink (O_NOFOLLOW)
	 * gives a puzzling errno.  fstat below closes the race. */
	ring_file(r->name, file, sizeof(file));
	if (fstatat(r->dir.fd, file, st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? -ENOENT : fail(err, "fstatat", -errno);
	if (!S_ISREG(st->st_mode))
		return fail(err, "type", -SHMCAT_ENOTRING);
	/* O_NONBLOCK: a FIFO swapped in since fstatat would block open(2)
	 * until someone writes it (fstat then refuses it).  It changes
	 * nothing for a regular file. */
	/* EINTR: a signal came; the caller's flag says whether it is to
	 * be acted on. */
	do
		r->fd = fd_above_stdio(openat(r->dir.fd, file,
		    (r->rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK));
	while (r->fd < 0 && errno == EINTR &&
	    !(r->interrupt && *r->interrupt));
	LOG(r, "openat %s/%s %s: %s", r->dir.path, file,
	    r->rdonly ? "O_RDONLY" : "O_RDWR",
	    r->fd < 0 ? strerror(errno) : "ok");
	if (r->fd < 0 && errno == EWOULDBLOCK) /* its owner holds a lease */
		return fail(err, "openat", -SHMCAT_EBUSY);
	if (r->fd < 0 && errno == ELOOP) /* a symlink swapped in */
		return fail(err, "type", -SHMCAT_ENOTRING);
	if (r->fd < 0)
		return errno == ENOENT ? -ENOENT : fail(err, "openat", -errno);
	if (fstat(r->fd, st) != 0)
		return fail(err, "fstat", -errno);
	if (!S_ISREG(st->st_mode))
		return fail(err, "type", -SHMCAT_ENOTRING);
	LOG(r, "fstat: owner uid %ld gid %ld mode %04o", (long)st->st_uid,
	    (long)st->st_gid, (unsigned)st->st_mode & 07777);
	return 0;
}

/* Read the header's identity from the open file, check it, and keep
 * what it says (capacity, header size) for mapping. */
static int
read_identity(struct shmcat_ring *r, uint64_t size, struct shmcat_error *err)
{
	struct shared *sh, id;
	size_t len;
	int rc;

	if ((rc = object_page(r->fd, &r->page)) != 0)
		return fail(err, "fstatfs", rc);
	r->hdr = header_size_for(r->page);
	if (size < r->hdr + r->page)
		return fail(err, "header", -SHMCAT_ENOTRING);
	/* whole (huge) pages: a hugetlbfs mapping is unmapped only so */
	len = r->hdr;
	sh = mmap(NULL, len, PROT_READ, MAP_SHARED, r->fd, 0);
	if (sh == MAP_FAILED)
		return fail(err, "mmap", -errno);
	/* Validate a private copy: the shared one can change under us. */
	memcpy(&id, sh, offsetof(struct shared, tail));
	munmap(sh, len);
	rc = check_header(&id, size, r->page);
	r->cap = id.capacity; /* from here on, only our copy is used */
	return rc != 0 ? fail(err, "header", rc) : 0;
}

/* Open, validate and map an existing ring, and take our share of
 * LOCK_ATTACH (not an observer).  0, -ENOENT (err untouched) if nothing
 * is at the name, or the error, noted in err. */
static int
attach_ring(struct shmcat_ring *r, struct shmcat_error *err)
{
	struct stat st;
	int rc;

	if ((rc = open_file(r, &st, err)) != 0)
		return rc;
	if (!trusted(r, &st)) {
		if (err) {
			err->uid = st.st_uid;
			err->gid = st.st_gid;
		}
		return fail(err, "owner", -SHMCAT_EOWNER);
	}
	if ((rc = read_identity(r, st.st_size, err)) != 0)
		return rc;
	if ((rc = map_ring(r)) != 0)
		return fail(err, "mmap", rc);
	/* An observer takes no part in the stream, so it holds no lock:
	 * one looking as the last participant leaves must not keep a
	 * finished ring (it could not remove it: its descriptor is
	 * read-only), nor make `shmcat rm` call a ring busy. */
	if (r->rdonly)
		return 0;
	if ((rc = attach_lock(r)) != 0)
		return fail(err, "fcntl", rc == -EAGAIN ? -SHMCAT_EBUSY : rc);
	return 0;
}

/*
 * open_object finds or builds the ring in steps, each of which ends in
 * one of three ways: the ring is mapped and ready (0), the name changed
 * under us and must be looked at again (LOOK_AGAIN), or an error (< 0,
 * noted in err).
 */
#define LOOK_AGAIN 1

/* Nothing at the name: build the ring, unless we may not. */
static int
build_new(struct shmcat_ring *r, const struct shmcat_opts *o, uint64_t want,
    struct shmcat_error *err)
{
	int rc;

	unmap_ring(r);
	if (o->role == SHMCAT_INSPECT || (o->flags & SHMCAT_O_NOCREATE))
		return fail(err, "open", -ENOENT);
	r->cap = want;
	rc = create_ring(r, o->mode ? o->mode : 0600, err);
	if (rc == 0)
		return 0;
	unmap_ring(r);
	return rc == -EEXIST ? LOOK_AGAIN : rc; /* EEXIST: another was first */
}

/* What is at the name is no ring we can use (why): with --force it is
 * replaced and the name looked at again; without, refused. */
static int
replace_bad(struct shmcat_ring *r, const struct shmcat_opts *o, int why,
    struct shmcat_error *err)
{
	int rc;

	if (!(o->flags & SHMCAT_O_FORCE))
		return fail(err, "header", why);
	if ((rc = force_replace(r, why)) != 0)
		return fail(err, "unlinkat", rc);
	return LOOK_AGAIN;
}

/* attach_ring mapped a ring: use it if it is still the one at the name,
 * its state is sane and its size what was asked for. */
static int
use_found(struct shmcat_ring *r, const struct shmcat_opts *o, uint64_t want,
    struct shmcat_error *err)
{
	int rc = still_published(r);

	if (rc < 0)
		return fail(err, "fstatat", rc);
	if (rc == 0)
		return LOOK_AGAIN; /* unpublished under us */
	if (check_state(r) != 0)
		return replace_bad(r, o, -SHMCAT_ECORRUPT, err);
	/* a later version's ring: refused, never replaced */
	if ((rc = features_check(r, err)) != 0)
		return rc;
	if (o->size && want != r->cap)
		return fail(err, "size", -SHMCAT_ESIZE);
	if (lock_held_by_other(r->fd, LOCK_ATTACH, 1) == 0)
		LOG(r, "stale ring: left by processes that are gone (%llu "
		    "bytes in it); reusing it",
		    (unsigned long long)(atomic_load(&r->sh->tail) -
			atomic_load(&r->sh->floor)));
	return 0;
}

/* Find or build the ring and map it; roles attach afterwards.  0: mapped
 * (r->created says whether we built it); else the error, noted in err. */
static int
open_object(struct shmcat_ring *r, const struct shmcat_opts *o,
    struct shmcat_error *err)
{
	uint64_t want;
	int rc, tries;

	if ((rc = round_size(o->size, r->dir.page, &want)) != 0)
		return fail(err, "size", rc);
	for (tries = 0; tries < 100; tries++) {
		rc = attach_ring(r, err);
		if (rc == -ENOENT)
			rc = build_new(r, o, want, err);
		else if (rc == 0)
			rc = use_found(r, o, want, err);
		else if (rc == -SHMCAT_ENOTRING || rc == -SHMCAT_EVERSION ||
		    rc == -SHMCAT_ECORRUPT)
			rc = replace_bad(r, o, rc, err);
		if (rc != LOOK_AGAIN)
			return rc;
		unmap_ring(r);
	}
	return fail(err, "open", -EAGAIN);
}

/* What shmcat-out -r accepts: a ring name of at most 31 bytes. */
static int
valid_reader_name(const char *s)
{
	return shmcat_valid_name(s) && strlen(s) <= SHMCAT_READER_NAME_MAX;
}

/* A handle as the options ask for, not yet open. */
static struct shmcat_ring *
new_handle(const char *name, const struct shmcat_opts *o)
{
	struct shmcat_ring *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->fd = -1;
	r->dir.fd = -1;
	r->slot = -1;
	r->need = 1;
	r->nstatus = -1;
	r->role = o->role;
	r->flags = o->flags;
	r->log = o->log;
	r->log_ctx = o->log_ctx;
	r->interrupt = o->interrupt;
	r->attach_timeout_ms = o->attach_timeout_ms;
	r->rdonly = o->role == SHMCAT_INSPECT && !(o->flags & O_REMOVING);
	r->trust = o->flags & (SHMCAT_O_TRUST_UID | SHMCAT_O_TRUST_GID);
	r->trust_uid = o->trust_uid;
	r->trust_gid = o->trust_gid;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

/* The handle's directory: the one given, or o->dir opened and judged. */
static int
handle_dir(struct shmcat_ring *r, const struct shmcat_opts *o,
    const struct ring_dir *dir, struct shmcat_error *err)
{
	if (dir == NULL)
		return dir_open(&r->dir, o->dir, o, err);
	return dir_dup(&r->dir, dir) == 0 ? 0 : fail(err, "fcntl", -errno);
}

/* The body of shmcat_open, under handles_enter: a fork() in another
 * thread meanwhile would leave our descriptors open in its child. */
static int
open_handle(const char *name, const struct shmcat_opts *o,
    const struct ring_dir *dir, struct shmcat_ring **ringp,
    struct shmcat_error *err)
{
	struct shmcat_ring *r;
	int rc;

	if ((r = new_handle(name, o)) == NULL)
		return fail(err, "malloc", -ENOMEM);
	rc = handle_dir(r, o, dir, err);
	if (rc == 0)
		rc = open_object(r, o, err);
	if (rc == 0)
		rc = role_attach(r, o->reader_name, err);
	if (rc != 0 && (o->flags & SHMCAT_O_FORCE) &&
	    (rc == -SHMCAT_ESTALE || rc == -SHMCAT_EENDED)) {
		if ((rc = force_replace(r, rc)) != 0)
			fail(err, "replace", rc);
		else if ((rc = open_object(r, o, err)) == 0)
			rc = role_attach(r, o->reader_name, err);
	}
	if (rc != 0) {
		if (r->created)
			unlink_if_same(r);
		unmap_ring(r);
		dir_close(&r->dir);
		free(r);
		return rc;
	}
	*ringp = r;
	return 0;
}

/* shmcat_open without the check of the flags: shmcat_remove passes the
 * internal O_REMOVING through it, and the directory it has open (dir;
 * NULL: open o->dir). */
int
open_checked(const char *name, const struct shmcat_opts *o,
    const struct ring_dir *dir, struct shmcat_ring **ringp,
    struct shmcat_error *err)
{
	int rc;

	if (!role_known(o->role))
		return fail(err, "role", -EINVAL);
	*ringp = NULL;
	if (!shmcat_valid_name(name))
		return fail(err, "name", -EINVAL);
	if (o->reader_name && !valid_reader_name(o->reader_name))
		return fail(err, "reader name", -EINVAL);
	if ((rc = handles_enter()) != 0)
		return fail(err, "pthread_once", rc);
	rc = open_handle(name, o, dir, ringp, err);
	if (rc == 0)
		handles_add(*ringp);
	handles_leave();
	return rc;
}

int
shmcat_open(const char *name, const struct shmcat_opts *o,
    struct shmcat_ring **ringp, struct shmcat_error *err)
{
	size_t i;

	if (err)
		memset(err, 0, sizeof(*err));
	if (o == NULL || ringp == NULL)
		return fail(err, "opts", -EINVAL);
	*ringp = NULL;
	/* A bit we do not know is a caller built for another version:
	 * guessing what it meant could open the ring in the wrong way. */
	if (o->flags & ~O_DEFINED)
		return fail(err, "flags", -EINVAL);
	/* Likewise a reserved word: a later release's field, set. */
	for (i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i] != 0)
			return fail(err, "reserved", -EINVAL);
	if (!role_opts_valid(o))
		return fail(err, "flags", -EINVAL);
	if (o->attach_timeout_ms < 0) /* 0 is "as long as it takes" */
		return fail(err, "attach_timeout_ms", -EINVAL);
	return open_checked(name, o, NULL, ringp, err);
}

const char *
shmcat_name(const struct shmcat_ring *r)
{
	return r ? r->name : NULL;
}

int
shmcat_created(const struct shmcat_ring *r)
{
	return r ? r->created : 0;
}

void
shmcat_counters(const struct shmcat_ring *r, struct shmcat_counters *c)
{
	if (c)
		*c = r ? r->count : (struct shmcat_counters){0};
}
