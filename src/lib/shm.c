/*
 * shm.c - shared-memory lifecycle: create, attach, validate, map, unlink.
 *
 * A new ring is built under a private name ("shmcat.<name>~<pid>.<nonce>",
 * which no valid ring name can collide with), sized, backed with
 * posix_fallocate (so a full /dev/shm fails here, not as SIGBUS later),
 * initialised, and only then published with link(2).  link fails with
 * EEXIST if someone else published first, so two sides starting at once
 * never both initialise, and nobody ever sees a half-built header.
 *
 * Every attached process holds a shared lock on LOCK_ATTACH.  Removing a
 * ring takes it exclusively, so a ring in use is never removed, not even
 * with force; after locking, an attacher checks the name still leads to
 * its object.  Observers (status, list) hold none: they only read, and a
 * removal under them leaves their mapping intact.
 *
 * A creator holds LOCK_ATTACH on its build file from the moment it
 * exists.  One killed while building (during posix_fallocate, say)
 * leaves the file behind, fully allocated: a build file whose lock is
 * free and whose pid is gone is abandoned.  The next create of the name
 * sweeps those, `shmcat list` shows them and `shmcat rm NAME~PID.NONCE`
 * removes them.
 *
 * A handle belongs to the process that opened it.  Liveness is an OFD
 * lock, which belongs to the open file description, and fork() shares
 * that: a child that kept the descriptor would keep a dead parent's
 * roles "alive", and a child that closed the handle would end the
 * parent's stream.  So a pthread_atfork child handler walks this
 * process's list of handles, unmaps and closes them in the child (the
 * locks stay with the parent's references) and takes their role away;
 * every later call on them returns -SHMCAT_EFORKED and shmcat_close
 * only frees the child's copy.
 */
#include <errno.h>
#include <stddef.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "barrier.h"
#include "shmcat_int.h"

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handles_once = PTHREAD_ONCE_INIT;
static struct shmcat_ring *handles; /* this process's open handles */

static int
fail(struct shmcat_error *err, const char *call, int code)
{
	if (err) {
		err->code = code;
		snprintf(err->call, sizeof(err->call), "%s", call);
	}
	return code;
}

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
static int
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

static int
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

/* The pid of a build file name "NAME~PID.NONCE" (or the older
 * "NAME~PID") of a valid ring name, or 0. */
static long
build_pid(const char *name, size_t *name_len)
{
	const char *t = strrchr(name, '~');
	char ring[SHMCAT_NAME_MAX + 1], *end;
	long pid;

	if (t == NULL || t == name || (size_t)(t - name) > SHMCAT_NAME_MAX ||
	    t[1] < '1' || t[1] > '9')
		return 0;
	memcpy(ring, name, t - name);
	ring[t - name] = '\0';
	pid = strtol(t + 1, &end, 10);
	if (*end == '.' && end[1] != '\0' &&
	    strspn(end + 1, "0123456789abcdef") == strlen(end + 1))
		end += strlen(end);
	if (*end != '\0' || pid <= 0 || pid > INT32_MAX ||
	    !shmcat_valid_name(ring))
		return 0;
	if (name_len)
		*name_len = t - name;
	return pid;
}

/* 1 if the build file (a name under /dev/shm) was left by a creator that
 * died: nobody holds its lock, and its pid is gone or it is older than
 * BUILD_GRACE_S.  A creator locks it right after making it; the pid (or,
 * where the pid is another namespace's, the age) covers the moment in
 * between. */
#define BUILD_GRACE_S 10
static int
build_abandoned(const char *file, long pid)
{
	char obj[SHMCAT_NAME_MAX + 64];
	struct stat st;
	int fd, rc, old;

	snprintf(obj, sizeof(obj), "/%s", file);
	fd = fd_above_stdio(shm_open(obj, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0));
	if (fd < 0)
		return 0;
	old = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_mtime + BUILD_GRACE_S < time(NULL);
	rc = (old || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) &&
	    lock_try(fd, LOCK_ATTACH, 1) == 0;
	close(fd);
	return rc;
}

/* Call fn for each abandoned build file, with its name (NAME~PID.NONCE).  With
 * ring set, only those of that ring. */
int
each_abandoned(const char *ring, int (*fn)(const char *, void *), void *ctx)
{
	const size_t plen = strlen(SHMCAT_PREFIX);
	struct dirent *de;
	size_t len;
	long pid;
	DIR *d;
	int rc = 0;

	if ((d = opendir(SHMCAT_SHM_DIR)) == NULL)
		return -errno;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, SHMCAT_PREFIX, plen) != 0 ||
		    (pid = build_pid(de->d_name + plen, &len)) == 0)
			continue;
		if (ring && (strlen(ring) != len ||
		    strncmp(ring, de->d_name + plen, len) != 0))
			continue;
		if (build_abandoned(de->d_name, pid))
			rc = fn(de->d_name + plen, ctx);
	}
	closedir(d);
	return rc;
}

static int
sweep_one(const char *name, void *ctx)
{
	struct shmcat_ring *r = ctx;
	char obj[SHMCAT_NAME_MAX + 64];
	int rc;

	snprintf(obj, sizeof(obj), "/" SHMCAT_PREFIX "%s", name);
	rc = shm_unlink(obj) == 0 ? 0 : errno; /* not inside LOG: it may
						  not evaluate its arguments */
	LOG(r, "shm_unlink %s: left by a creator that died: %s", obj,
	    rc == 0 ? "removed" : strerror(rc));
	return 0;
}

/* A file larger than RLIMIT_FSIZE raises SIGXFSZ, which kills by
 * default: refuse the size first, as the call would (EFBIG). */
static int
size_allowed(off_t size)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)size > rl.rlim_cur)
		return -EFBIG;
	return 0;
}

/* Build the ring under a private name and publish it.  -EEXIST: lost the
 * race to another creator; attach to theirs instead. */
static int
create_ring(struct shmcat_ring *r, mode_t mode, struct shmcat_error *err)
{
	char tmp[SHMCAT_NAME_MAX + 64], path[SHMCAT_PATH_MAX + 64];
	char final[SHMCAT_PATH_MAX];
	off_t size = SHMCAT_HDR_SIZE + r->cap;
	int rc;

	/* The pid alone is not unique: in containers every side may be
	 * pid 1, and a creator killed here leaves its name behind.  The
	 * nonce makes each try a new name; EEXIST just means try again. */
	snprintf(tmp, sizeof(tmp), "/" SHMCAT_PREFIX "%s~%ld.%lx", r->name,
	    (long)getpid(), (unsigned long)now_ns());
	r->fd = shm_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	LOG(r, "shm_open %s O_CREAT|O_EXCL mode %04o: %s", tmp,
	    (unsigned)mode, r->fd < 0 ? strerror(errno) : "ok");
	if (r->fd < 0)
		return fail(err, "shm_open", -errno);
	if ((r->fd = fd_above_stdio(r->fd)) < 0) {
		rc = fail(err, "fcntl", -errno);
		goto out;
	}
	/* Ours while we live (see the top of this file). */
	if ((rc = lock_try(r->fd, LOCK_ATTACH, 0)) != 0) {
		fail(err, "fcntl", rc);
		goto out;
	}
	each_abandoned(r->name, sweep_one, r);
	if ((rc = size_allowed(size)) != 0) {
		fail(err, "ftruncate", rc);
		goto out;
	}
	if (ftruncate(r->fd, size) != 0) {
		rc = fail(err, "ftruncate", -errno);
		goto out;
	}
	LOG(r, "ftruncate %lld", (long long)size);
	if ((rc = posix_fallocate(r->fd, 0, size)) != 0) {
		rc = fail(err, "posix_fallocate", -rc);
		goto out;
	}
	LOG(r, "posix_fallocate %lld: backed", (long long)size);
	if ((rc = map_ring(r)) != 0) {
		fail(err, "mmap", rc);
		goto out;
	}
	if ((rc = init_header(r)) != 0) {
		fail(err, "sem_init", rc);
		goto out;
	}
	shmcat_path(r->name, final, sizeof(final));
	snprintf(path, sizeof(path), SHMCAT_SHM_DIR "%s", tmp);
	rc = link(path, final) == 0 ? 0 : -errno;
	LOG(r, "link %s -> %s: %s", path, final, rc ? strerror(-rc) : "published");
	if (rc != 0 && rc != -EEXIST)
		fail(err, "link", rc);
	r->created = rc == 0;
out:
	shm_unlink(tmp);
	return rc;
}

/*
 * Whose ring is it?  /dev/shm is a shared sticky directory, like /tmp:
 * anyone may create shmcat.NAME first, and whoever owns the object
 * controls what is in it (its mode, its bytes).  A writer would hand its
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

/* Open, validate and map an existing ring.  -ENOENT: there is none. */
static int
attach_ring(struct shmcat_ring *r, struct shmcat_error *err)
{
	char obj[SHMCAT_NAME_MAX + 16], path[SHMCAT_PATH_MAX];
	struct shared *sh, id;
	struct stat st;
	int rc;

	/* Only a regular file can be a ring.  Look before opening: opening
	 * a FIFO, a socket or a device node is at best an odd error and at
	 * worst has side effects; a directory or a symlink (shm_open uses
	 * O_NOFOLLOW) gives a puzzling errno.  fstat below closes the race. */
	shmcat_path(r->name, path, sizeof(path));
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? -ENOENT : fail(err, "lstat", -errno);
	if (!S_ISREG(st.st_mode))
		return fail(err, "type", -SHMCAT_ENOTRING);
	shm_object_name(r->name, obj, sizeof(obj));
	/* O_NONBLOCK: a FIFO swapped in since lstat would block open(2)
	 * until someone writes it (fstat then refuses it).  It changes
	 * nothing for a regular file. */
	r->fd = fd_above_stdio(shm_open(obj,
	    (r->rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK, 0));
	LOG(r, "shm_open %s %s: %s", obj, r->rdonly ? "O_RDONLY" : "O_RDWR",
	    r->fd < 0 ? strerror(errno) : "ok");
	if (r->fd < 0 && errno == EWOULDBLOCK) /* its owner holds a lease */
		return fail(err, "shm_open", -SHMCAT_EBUSY);
	if (r->fd < 0)
		return errno == ENOENT ? -ENOENT : fail(err, "shm_open", -errno);
	if (fstat(r->fd, &st) != 0)
		return fail(err, "fstat", -errno);
	if (!S_ISREG(st.st_mode))
		return fail(err, "type", -SHMCAT_ENOTRING);
	LOG(r, "fstat: owner uid %ld gid %ld mode %04o", (long)st.st_uid,
	    (long)st.st_gid, (unsigned)st.st_mode & 07777);
	if (!trusted(r, &st)) {
		if (err) {
			err->uid = st.st_uid;
			err->gid = st.st_gid;
		}
		return fail(err, "owner", -SHMCAT_EOWNER);
	}
	if ((uint64_t)st.st_size < SHMCAT_HDR_SIZE + SHMCAT_PAGE)
		return fail(err, "header", -SHMCAT_ENOTRING);
	sh = mmap(NULL, SHMCAT_HDR_SIZE, PROT_READ, MAP_SHARED, r->fd, 0);
	if (sh == MAP_FAILED)
		return fail(err, "mmap", -errno);
	/* Validate a private copy: the shared one can change under us. */
	memcpy(&id, sh, offsetof(struct shared, tail));
	munmap(sh, SHMCAT_HDR_SIZE);
	rc = check_header(&id, st.st_size);
	r->cap = id.capacity; /* from here on, only our copy is used */
	if (rc != 0)
		return fail(err, "header", rc);
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

/* 1 if the ring's name leads to the object open on fd, 0 if not, or
 * -errno. */
static int
name_leads_to(const char *name, int fd)
{
	char path[SHMCAT_PATH_MAX];
	struct stat a, b;

	shmcat_path(name, path, sizeof(path));
	if (fstat(fd, &a) != 0)
		return -errno;
	if (lstat(path, &b) != 0)
		return errno == ENOENT ? 0 : -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* 1 if the name still leads to the object we hold, 0 if not, or -errno. */
static int
still_published(struct shmcat_ring *r)
{
	return name_leads_to(r->name, r->fd);
}

/* Unlink the name if it still leads to our object.  Callers hold
 * LOCK_ATTACH exclusively, so nobody else can be using it. */
static int
unlink_if_same(struct shmcat_ring *r)
{
	char obj[SHMCAT_NAME_MAX + 16];
	int rc = still_published(r);

	if (rc <= 0)
		return rc;
	shm_object_name(r->name, obj, sizeof(obj));
	rc = shm_unlink(obj) == 0 ? 0 : -errno;
	LOG(r, "shm_unlink %s: %s", obj, rc ? strerror(-rc) : "removed");
	return rc;
}

static void
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
	struct shmcat_ring *r;

	/* A mapping holds the open file too: both must go for the parent's
	 * locks to die with the parent. */
	for (r = handles; r != NULL; r = r->next) {
		unmap_ring(r); /* our references only: the locks stay */
		r->role = 0;
		r->forked = 1;
	}
	handles = NULL;
	pthread_mutex_unlock(&handles_lock);
}

static void
handles_init(void)
{
	(void)pthread_atfork(handles_prepare, handles_parent, handles_child);
}

/* Callers hold handles_lock. */
static void
handles_add(struct shmcat_ring *r)
{
	r->prev = NULL;
	r->next = handles;
	if (handles)
		handles->prev = r;
	handles = r;
}

/* Free a handle of this process: out of the list and its descriptor
 * closed in one step, so a concurrent fork() either closes the child's
 * copy or has none to inherit. */
static void
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
	pthread_mutex_unlock(&handles_lock);
	free(r);
}

/* Remove what sits at a ring's name and is not a regular file, under
 * --force: a FIFO, socket, device node or symlink (the link, never its
 * target) goes with unlink(2), an empty directory with rmdir(2); a full
 * one stays (-ENOTEMPTY): its contents are nobody's ring.  Another
 * --force may have put a ring at the name since we looked, so the
 * object is first moved aside (rename(2) is atomic) and what moved is
 * looked at again: a regular file goes back, -EAGAIN.  Aside, it bears
 * a build file's name (NAME~PID.NONCE) in case we die there. */
static int
remove_name(const char *name)
{
	char path[SHMCAT_PATH_MAX], aside[SHMCAT_PATH_MAX + 48];
	struct stat st;
	int rc;

	shmcat_path(name, path, sizeof(path));
	snprintf(aside, sizeof(aside), "%s~%ld.%llx", path, (long)getpid(),
	    (unsigned long long)now_ns());
	if (rename(path, aside) != 0)
		return -errno;
	if (lstat(aside, &st) != 0)
		rc = -errno;
	else if (S_ISREG(st.st_mode))
		rc = -EAGAIN;
	else if (S_ISDIR(st.st_mode))
		rc = rmdir(aside) == 0 ? 0 : -errno;
	else
		rc = unlink(aside) == 0 ? 0 : -errno;
	/* Should the put-back fail (the name taken meanwhile), what stays
	 * aside has a build file's name: listed, swept by the next create
	 * once nobody holds it, removable with shmcat rm NAME~PID.NONCE. */
	if (rc != 0)
		(void)renameat2(AT_FDCWD, aside, AT_FDCWD, path,
		    RENAME_NOREPLACE);
	return rc;
}

/* Remove a bad object under --force, so a fresh ring can take its name.
 * A regular file is ours alone from the check to the unlink: our share
 * of LOCK_ATTACH becomes exclusive (nobody attaches in between, and
 * anyone attached keeps it; a moment's holder, such as shmcat rm -f
 * removing it, is waited out) and only the object we judged is
 * unlinked, not one published at the name since.  0 when the name is
 * free or leads elsewhere now: the caller looks again. */
static int
force_replace(struct shmcat_ring *r, int why)
{
	struct stat st;
	int rc;

	LOG(r, "--force: replacing " SHMCAT_PREFIX "%s (%s)", r->name,
	    shmcat_strerror(why));
	if (r->fd >= 0 && fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		rc = lock_wait(r, LOCK_ATTACH, 1, deadline_of(ATTACH_BUSY_MS));
		if (rc == -EAGAIN) {
			LOG(r, "--force: " SHMCAT_PREFIX "%s is in use; "
			    "not replacing it", r->name);
			return -SHMCAT_EBUSY;
		}
		if (rc == 0)
			rc = unlink_if_same(r);
	} else {
		rc = remove_name(r->name);
	}
	unmap_ring(r);
	return rc == -ENOENT || rc == -EAGAIN ? 0 : rc;
}

static int
round_size(size_t size, uint64_t *cap)
{
	if (size == 0)
		size = SHMCAT_DEFAULT_SIZE;
	if (size > (SIZE_MAX >> 2))
		return -EINVAL;
	*cap = ((uint64_t)size + SHMCAT_PAGE - 1) / SHMCAT_PAGE * SHMCAT_PAGE;
	return 0;
}

/* Find or build the ring and map it; roles attach afterwards. */
static int
open_object(struct shmcat_ring *r, const struct shmcat_opts *o,
    struct shmcat_error *err)
{
	uint64_t want;
	int rc, tries;

	if ((rc = round_size(o->size, &want)) != 0)
		return fail(err, "size", rc);
	for (tries = 0; tries < 100; tries++) {
		rc = attach_ring(r, err);
		if (rc == -ENOENT) {
			unmap_ring(r);
			if (o->role == SHMCAT_INSPECT || (o->flags & SHMCAT_O_NOCREATE))
				return fail(err, "shm_open", -ENOENT);
			r->cap = want;
			rc = create_ring(r, o->mode ? o->mode : 0600, err);
			if (rc == 0)
				return 0;
			unmap_ring(r);
			if (rc == -EEXIST)
				continue;
			return rc;
		}
		if (rc == 0 && (rc = still_published(r)) == 1)
			rc = check_state(r) == 0 ? 1 : -SHMCAT_ECORRUPT;
		if (rc == 1) {
			/* a later version's ring: refused, never replaced */
			if ((rc = features_check(r, err)) < 0)
				return rc;
			if (o->size && want != r->cap)
				return fail(err, "size", -SHMCAT_ESIZE);
			if (lock_held_by_other(r->fd, LOCK_ATTACH, 1) == 0)
				LOG(r, "stale ring: left by processes that are "
				    "gone (%llu bytes in it); reusing it",
				    (unsigned long long)(atomic_load(&r->sh->tail) -
					atomic_load(&r->sh->floor)));
			return 0;
		}
		if (rc < 0 && rc != -SHMCAT_ENOTRING && rc != -SHMCAT_EVERSION &&
		    rc != -SHMCAT_ECORRUPT)
			return rc;
		if (rc < 0 && !(o->flags & SHMCAT_O_FORCE))
			return fail(err, "header", rc);
		if (rc < 0 && (rc = force_replace(r, rc)) != 0)
			return fail(err, "shm_unlink", rc);
		unmap_ring(r); /* unpublished under us: try again */
	}
	return fail(err, "shm_open", -EAGAIN);
}

/* What shmcat-out -r accepts: a ring name of at most 31 bytes. */
static int
valid_reader_name(const char *s)
{
	return shmcat_valid_name(s) && strlen(s) <= SHMCAT_READER_NAME_MAX;
}

/* The body of shmcat_open, under handles_lock: a fork() in another
 * thread meanwhile would leave our descriptor open in its child. */
static int
open_handle(const char *name, const struct shmcat_opts *o,
    struct shmcat_ring **ringp, struct shmcat_error *err)
{
	struct shmcat_ring *r;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return fail(err, "malloc", -ENOMEM);
	r->fd = -1;
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
	rc = open_object(r, o, err);
	if (rc == 0 && o->role == SHMCAT_WRITER)
		rc = writer_attach(r, err);
	else if (rc == 0 && o->role == SHMCAT_READER)
		rc = reader_attach(r, o->reader_name, err);
	if (rc != 0 && (o->flags & SHMCAT_O_FORCE) &&
	    (rc == -SHMCAT_ESTALE || rc == -SHMCAT_EENDED)) {
		if ((rc = force_replace(r, rc)) != 0)
			fail(err, "replace", rc);
		else
			rc = open_object(r, o, err);
		if (rc == 0)
			rc = o->role == SHMCAT_WRITER ? writer_attach(r, err) :
			    reader_attach(r, o->reader_name, err);
	}
	if (rc != 0) {
		if (r->created)
			unlink_if_same(r);
		unmap_ring(r);
		free(r);
		return rc;
	}
	*ringp = r;
	return 0;
}

/* shmcat_open without the check of the flags: shmcat_remove passes the
 * internal O_REMOVING through it. */
static int
open_checked(const char *name, const struct shmcat_opts *o,
    struct shmcat_ring **ringp, struct shmcat_error *err)
{
	int rc;

	if (o->role != SHMCAT_WRITER && o->role != SHMCAT_READER &&
	    o->role != SHMCAT_INSPECT)
		return fail(err, "role", -EINVAL);
	*ringp = NULL;
	if (!shmcat_valid_name(name))
		return fail(err, "name", -EINVAL);
	if (o->reader_name && !valid_reader_name(o->reader_name))
		return fail(err, "reader name", -EINVAL);
	if ((rc = pthread_once(&handles_once, handles_init)) != 0)
		return fail(err, "pthread_once", -rc);
	pthread_mutex_lock(&handles_lock);
	rc = open_handle(name, o, ringp, err);
	if (rc == 0)
		handles_add(*ringp);
	pthread_mutex_unlock(&handles_lock);
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
	return open_checked(name, o, ringp, err);
}

/* Is the stream over and delivered, so the ring can go?  Either a reader
 * hung up, or a reader has reported the end and no persistent cursor
 * still has bytes to read; or nobody ever wrote and the ring is empty. */
static int
stream_finished(struct shmcat_ring *r)
{
	struct shared *sh = r->sh;
	uint32_t flags = atomic_load(&sh->stream_flags);
	struct positions p;

	if (flags & STREAM_HANGUP)
		return 1;
	/* Dead anonymous readers and taps do not count: nobody will
	 * read from their cursors again. */
	if (observe_positions(r, &p) != 0 || p.min != p.tail)
		return 0;
	if (atomic_load(&sh->writer_events) >> 32 == 0)
		return 1;
	return (flags & STREAM_DELIVERED) && writers_state(r) != WRITERS_ALIVE;
}

/* A tap holds its slot: the stream's end does not wait for a tap, and
 * one stopped or blocked on a pager may stay a long while. */
static int
tap_attached(struct shmcat_ring *r)
{
	int i;

	for (i = 0; i < SHMCAT_MAX_READERS; i++)
		if (atomic_load(&r->sh->readers[i].kind) == SLOT_TAP &&
		    lock_held_by_other(r->fd, LOCK_RSLOT + i, 1) > 0)
			return 1;
	return 0;
}

/* Are the others still attached only on their way out?  Once a stream
 * that was written has finished and no writer lives, a reader still
 * attached has delivered it all (its cursor counts) and is leaving.
 * Not so a reader waiting for a first writer, a writer not yet told of
 * a hang-up, or a tap; and shmcat rm takes no part. */
static int
others_leaving(struct shmcat_ring *r)
{
	if (r->role == SHMCAT_INSPECT ||
	    atomic_load(&r->sh->writer_events) >> 32 == 0)
		return 0;
	return stream_finished(r) && writers_state(r) != WRITERS_ALIVE &&
	    !tap_attached(r);
}

/* Whoever leaves last removes a finished ring.  Every closer drops its
 * shared lock and tries for the exclusive one, which succeeds only once
 * nobody else is attached; the last to let go always gets it, and by
 * then everyone else's contribution to the stream state is in.
 *
 * Unless the last one dies between dropping its share and its own try
 * (SIGKILL while it exits): the kernel drops its lock, and nobody is
 * left to try.  So a closer waits up to LEAVE_WAIT_MS while the others
 * are only leaving, looking again every few milliseconds (a reader a
 * moment slower to go is leaving too). */
#define LEAVE_WAIT_MS 200
#define LEAVE_LOOK_MS 10
static void
remove_if_finished(struct shmcat_ring *r)
{
	int64_t until;
	int rc;

	if (r->rdonly)
		return; /* an observer never removes */
	lock_release(r->fd, LOCK_ATTACH);
	rc = lock_try(r->fd, LOCK_ATTACH, 1);
	until = deadline_of(LEAVE_WAIT_MS);
	while (rc == -EAGAIN && now_ns() < until && others_leaving(r))
		rc = lock_wait(r, LOCK_ATTACH, 1, deadline_of(LEAVE_LOOK_MS));
	if (rc == 0 && stream_finished(r))
		unlink_if_same(r);
}

int
shmcat_close(struct shmcat_ring *r, enum shmcat_end how)
{
	if (r == NULL)
		return 0;
	if (r->forked) { /* the stream is the parent's business */
		unmap_ring(r);
		free(r);
		return 0;
	}
	if (r->role == SHMCAT_WRITER)
		writer_detach(r, how);
	else if (r->role == SHMCAT_READER)
		reader_detach(r, how);
	remove_if_finished(r);
	release_handle(r);
	return 0;
}

/* Remove an abandoned build file NAME~PID.NONCE (see the top of this
 * file). */
static int
remove_build(const char *name, struct shmcat_error *err)
{
	char file[SHMCAT_NAME_MAX + 64];
	long pid = build_pid(name, NULL);
	struct stat st;

	snprintf(file, sizeof(file), SHMCAT_SHM_DIR "/" SHMCAT_PREFIX "%s", name);
	if (lstat(file, &st) != 0) /* ("no such ring", not "in use") */
		return fail(err, "shm_open", -errno);
	snprintf(file, sizeof(file), SHMCAT_PREFIX "%s", name);
	if (!build_abandoned(file, pid))
		return fail(err, "remove", -SHMCAT_EBUSY);
	snprintf(file, sizeof(file), "/" SHMCAT_PREFIX "%s", name);
	return shm_unlink(file) == 0 ? 0 : fail(err, "shm_unlink", -errno);
}

/* rm -f of something that is not a usable ring: never while a live
 * process holds it, and never a ring published at the name after we
 * looked (only a regular file can be one of our objects; it is opened,
 * locked exclusively and unlinked only if the name still leads to it). */
static int
remove_forced(const char *name, struct shmcat_error *err)
{
	char path[SHMCAT_PATH_MAX];
	struct stat st;
	int fd, rc;

	shmcat_path(name, path, sizeof(path));
	if (lstat(path, &st) != 0)
		return fail(err, "unlink", -errno);
	if (!S_ISREG(st.st_mode)) {
		rc = remove_name(name);
		if (rc == -EAGAIN) /* a ring took the name meanwhile */
			return fail(err, "remove", -SHMCAT_EBUSY);
		return rc == 0 ? 0 : fail(err, "unlink", rc);
	}
	/* Ours alone from the check to the unlink, as in force_replace. */
	fd = fd_above_stdio(open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK));
	if (fd < 0 && errno == EACCES) /* ours, but read-only (0400): ask */
		fd = fd_above_stdio(open(path, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW | O_NONBLOCK));
	if (fd < 0)
		return fail(err, "open", -errno);
	rc = lock_try(fd, LOCK_ATTACH, 1);
	if (rc == -EBADF) /* read-only: no lock to take, only to see */
		rc = lock_held_by_other(fd, LOCK_ATTACH, 1) == 0 ? 0 : -EAGAIN;
	if (rc == 0 && (rc = name_leads_to(name, fd)) == 1)
		rc = unlink(path) == 0 ? 0 : -errno;
	else if (rc == 0 || rc == -EAGAIN) /* in use, or replaced */
		rc = -SHMCAT_EBUSY;
	close(fd);
	if (rc == -SHMCAT_EBUSY)
		return fail(err, "remove", rc);
	return rc == 0 ? 0 : fail(err, "unlink", rc);
}

int
shmcat_remove(const char *name, int force, struct shmcat_error *err)
{
	struct shmcat_opts o = {.role = SHMCAT_INSPECT, .flags = O_REMOVING};
	struct shmcat_ring *r;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (name && build_pid(name, NULL) > 0)
		return remove_build(name, err);
	rc = open_checked(name, &o, &r, err);
	if (rc != 0) {
		if (!force || rc == -EINVAL || rc == -ENOENT)
			return rc;
		return remove_forced(name, err);
	}
	lock_release(r->fd, LOCK_ATTACH);
	if (lock_try(r->fd, LOCK_ATTACH, 1) != 0) {
		if (err)
			err->pid = safe_pid(atomic_load(&r->sh->writer_pid));
		shmcat_close(r, SHMCAT_ABANDON);
		return fail(err, "remove", -SHMCAT_EBUSY);
	}
	rc = unlink_if_same(r);
	release_handle(r);
	return rc < 0 ? fail(err, "shm_unlink", rc) : 0;
}

int
shmcat_remove_in(const char *dir, const char *name, int force,
    struct shmcat_error *err)
{
	if (dir && strcmp(dir, SHMCAT_DEFAULT_DIR) != 0)
		return -EOPNOTSUPP; /* other directories: not yet */
	return shmcat_remove(name, force, err);
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
