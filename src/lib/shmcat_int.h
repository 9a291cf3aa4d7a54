/*
 * shmcat_int.h - the shared layout and the library's private declarations.
 *
 * The object DIR/shmcat.<name> is header_size bytes of header (SHMCAT_HDR_SIZE,
 * or the filesystem's page if that is larger: hugetlbfs) followed by
 * `capacity` bytes of data.  Each process maps the data area
 * twice, back to back, so any span of up to `capacity` bytes starting
 * anywhere in the first copy is contiguous in memory.
 *
 * Every field a peer can write is untrusted: check_header() validates the
 * immutable part on attach, and the span functions clamp every distance
 * between positions before turning it into a pointer.
 */
#ifndef SHMCAT_INT_H
#define SHMCAT_INT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "shmcat.h"

#define SHMCAT_MAGIC UINT64_C(0x474e495254414d48) /* "HMATRING" LE */
#define SHMCAT_LAYOUT_VERSION 3u
#define SHMCAT_HDR_SIZE 8192u
#define SHMCAT_PAGE 4096u
#define SHMCAT_PREFIX "shmcat."
#define CACHELINE 64
#define ATTACH_BUSY_MS 1000 /* see attach_lock (open.c) */

/* shmcat_open flag of the library's own: shmcat_remove's handle, which
 * needs the descriptor writable for the exclusive LOCK_ATTACH. */
#define O_REMOVING 0x80000000u
/* Every flag of the public header: shmcat_open refuses any other bit. */
#define O_DEFINED                                                        \
	(SHMCAT_O_FORCE | SHMCAT_O_NONBLOCK | SHMCAT_O_LINES | SHMCAT_O_NUL | \
	    SHMCAT_O_TAP | SHMCAT_O_NEW | SHMCAT_O_NOCREATE |               \
	    SHMCAT_O_TRUST_UID | SHMCAT_O_TRUST_GID)

/* Stream flags (shared.stream_flags), sticky once set. */
#define STREAM_EOF 0x1u		/* the last writer finished cleanly */
#define STREAM_INTERRUPTED 0x2u /* a writer stopped on a signal */
#define STREAM_HANGUP 0x4u	/* a --hangup reader ended the stream */
#define STREAM_DELIVERED 0x8u	/* a reader has reported the end */
#define STREAM_HANDOFF 0x10u	/* the last writer left to a joiner (writer.c) */

/* record_mode: fixed by the first writer of each stream. */
enum { MODE_UNSET, MODE_BYTES, MODE_LINES, MODE_NUL };

/*
 * Feature bits (shmcat(7) FEATURES), as ext4's superblock has them.  A
 * process that finds a bit it does not know in
 *	feat_compat     ignores it;
 *	feat_ro_compat  may read (readers, taps, inspection) but not write;
 *	feat_incompat   refuses the ring, naming the bit.
 * What a stream stores (its record mode, later its policy and framing)
 * is a bit; `version` changes only when the identity itself does.  The
 * bits change only when a stream starts (join_stream, writer.c), and
 * every process checks them on attach and where it meets a new stream
 * (features.c).
 */
#define FEAT_RO_LINES 0x1u /* newline records: whole lines under LOCK_COMMIT */
#define FEAT_RO_NUL 0x2u   /* NUL records, likewise */
#define FEAT_COMPAT_KNOWN 0x0u
#define FEAT_RO_COMPAT_KNOWN (FEAT_RO_LINES | FEAT_RO_NUL)
#define FEAT_INCOMPAT_KNOWN 0x0u
/* The bits that describe a stream; a new stream starts without them. */
#define FEAT_RO_STREAM (FEAT_RO_LINES | FEAT_RO_NUL)

/* Reader slot kinds; slot 0 is always the default cursor. */
enum { SLOT_FREE, SLOT_DEFAULT, SLOT_NAMED, SLOT_ANON, SLOT_TAP };

/*
 * OFD lock bytes on the object's file descriptor.  The kernel drops an
 * OFD lock when the last descriptor of its open file goes away, so a
 * lock is held exactly while its owner lives: no PIDs, no heartbeats.
 */
#define LOCK_ATTACH 0	   /* shared by every attached process */
#define LOCK_WRITER 1	   /* bytes writer: exclusive; record writers: shared */
#define LOCK_COMMIT 2	   /* record writers: exclusive while committing one */
#define LOCK_NAMES 4	   /* exclusive while a named cursor is created */
#define LOCK_WSLOT 16	   /* +i: writer slot i */
#define LOCK_RSLOT 64	   /* +i: reader slot i */

struct reader_slot {
	/* Owned by the reader holding the slot. */
	alignas(CACHELINE) _Atomic uint64_t pos; /* next byte to deliver */
	_Atomic uint32_t cpu; /* hint: the CPU of its last commit (wait.c) */
	/* Slot metadata, written under the slot's OFD lock. */
	alignas(CACHELINE) _Atomic uint32_t kind;
	_Atomic int32_t pid;
	_Atomic uint64_t sleeps;
	_Atomic uint64_t skipped;
	char name[SHMCAT_READER_NAME_MAX + 1];
	sem_t wake; /* posted by the writer when data arrives */
};

/*
 * Stream generations.  A stream is identified by `generation`; a writer
 * that finds the previous stream over (ended, interrupted, hung up or
 * its writer dead) and nothing unread starts the next one at gen_start
 * (writer.c).  Readers attached to the old stream stop at its end and
 * report how it ended from ends[gen % GEN_HISTORY], which the writer
 * fills in first: gen is ~0 while the record is being written.
 */
#define GEN_HISTORY 4
enum { END_EOF = 1, END_DIED, END_INTERRUPTED, END_HANGUP };

struct stream_end {
	_Atomic uint64_t gen;
	_Atomic uint64_t end; /* tail when the stream was closed */
	_Atomic uint32_t how; /* END_* */
	_Atomic int32_t pid;  /* its last writer */
};

struct writer_slot {
	alignas(CACHELINE) _Atomic uint32_t busy;
	_Atomic int32_t pid;
	_Atomic uint64_t bytes;
};

struct shared {
	/* Identity: written once by the creator before the name is published. */
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;
	uint64_t capacity;
	uint64_t object_size;
	int64_t created_sec;
	int32_t creator_pid;
	uint32_t max_readers;
	uint32_t max_writers;
	_Atomic uint32_t record_mode;
	/* The ABI of what is stored: a process whose C library lays out a
	 * sem_t differently, or whose compiler pads the slots differently,
	 * must not attach (check_header). */
	uint16_t sem_size;
	uint16_t reader_slot_size;
	uint16_t writer_slot_size;
	uint16_t shared_size;
	/* Feature bits (above): stored by the writer that starts a stream,
	 * before anything it writes. */
	_Atomic uint32_t feat_compat;
	_Atomic uint32_t feat_ro_compat;
	_Atomic uint32_t feat_incompat;

	/* Writer hot line: the producer position, polled by readers. */
	alignas(CACHELINE) _Atomic uint64_t tail;
	/* Hint, not state: the CPU of the last commit, so that a reader does
	 * not spin for a writer that waits for that same CPU (wait.c). */
	_Atomic uint32_t writer_cpu;

	/* Writer cold line. */
	alignas(CACHELINE) _Atomic uint64_t floor; /* see ring.c */
	_Atomic uint64_t reserve_end; /* writer may be writing below this */
	_Atomic uint64_t writer_events; /* attaches << 32 | active writers */
	_Atomic uint32_t stream_flags;
	_Atomic int32_t writer_pid;
	_Atomic uint32_t writer_waiting;
	_Atomic uint64_t writer_sleeps;
	sem_t space; /* posted by readers when they free space */
	/* Record writers waiting for LOCK_COMMIT, and where they sleep.  The
	 * lock itself is kernel state (an OFD lock), not shared memory. */
	_Atomic uint32_t commit_waiting;
	sem_t commit_wake;

	/* Readers set their bit before sleeping; the writer clears and posts. */
	alignas(CACHELINE) _Atomic uint32_t readers_waiting;

	struct reader_slot readers[SHMCAT_MAX_READERS];
	struct writer_slot writers[SHMCAT_MAX_WRITERS];

	/* Stream identity: written only by a writer starting a stream. */
	alignas(CACHELINE) _Atomic uint64_t generation;
	_Atomic uint64_t gen_start;
	struct stream_end ends[GEN_HISTORY];
};

_Static_assert(sizeof(struct shared) <= SHMCAT_HDR_SIZE, "header overflows");

/* The layout of shmcat(7), version 3.  A field added where a known bit
 * says it is there (in reserved room: the header is SHMCAT_HDR_SIZE) is a
 * feature; moving one of these is a new version. */
#define AT(f, off) _Static_assert(offsetof(struct shared, f) == (off), #f)
AT(magic, 0); AT(version, 8); AT(header_size, 12); AT(capacity, 16);
AT(object_size, 24); AT(created_sec, 32); AT(creator_pid, 40);
AT(max_readers, 44); AT(max_writers, 48); AT(record_mode, 52);
AT(sem_size, 56); AT(reader_slot_size, 58); AT(writer_slot_size, 60);
AT(shared_size, 62); AT(feat_compat, 64); AT(feat_ro_compat, 68);
AT(feat_incompat, 72); AT(tail, 128); AT(writer_cpu, 136);
AT(floor, 192); AT(reserve_end, 200);
AT(writer_events, 208); AT(stream_flags, 216); AT(writer_pid, 220);
AT(writer_waiting, 224); AT(writer_sleeps, 232); AT(space, 240);
AT(commit_waiting, 272); AT(commit_wake, 280); AT(readers_waiting, 320);
AT(readers, 384); AT(writers, 3456); AT(generation, 4480);
AT(gen_start, 4488); AT(ends, 4496);
#undef AT
#define AT(f, off) _Static_assert(offsetof(struct reader_slot, f) == (off), #f)
AT(pos, 0); AT(cpu, 8); AT(kind, 64); AT(pid, 68); AT(sleeps, 72); AT(skipped, 80);
AT(name, 88); AT(wake, 120);
#undef AT
_Static_assert(sizeof(sem_t) == 32, "sem_t of 32 bytes (shmcat(7))");
_Static_assert(sizeof(struct reader_slot) == 192, "reader slot size");
_Static_assert(sizeof(struct writer_slot) == 64, "writer slot size");
_Static_assert(sizeof(struct shared) <= UINT16_MAX, "shared_size field");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
    "only lock-free atomics work between processes");

/* The directory rings live in, open (dir.c): every name is resolved
 * against fd, with the *at() calls. */
struct ring_dir {
	int fd;		     /* O_DIRECTORY, above stdio; -1: not open */
	const char *fs;	     /* "tmpfs", "hugetlbfs" or "other" */
	uint64_t page;	     /* its files' page: capacity is a multiple */
	char path[PATH_MAX]; /* as given, for status and messages */
};

/* A process's handle: pointers into the mapping plus private caches. */
struct shmcat_ring {
	struct shared *sh;
	unsigned char *data; /* capacity bytes, mapped twice */
	void *map;
	size_t map_len;
	int fd;
	uint64_t cap;
	uint64_t hdr;	     /* header bytes: the data area's offset */
	uint64_t page;	     /* the object's page (hugetlbfs: its huge page) */
	struct ring_dir dir; /* where the name is */
	enum shmcat_role role; /* 0 in a forked child: every call refused */
	int forked;	     /* inherited through fork(): see handles.c */
	/* Still the process that opened it while *owner == owner_token:
	 * the kernel zeroes that word in every child (handles.c). */
	const _Atomic uint64_t *owner;
	uint64_t owner_token;
	unsigned flags;
	int created;
	int slot;	     /* reader slot or writer slot index, or -1 */
	uint64_t pos;	     /* reader: private copy of our cursor */
	uint64_t tail;	     /* writer: private copy of tail */
	uint64_t limit;	     /* writer: may write below this (floor + cap) */
	size_t need;	     /* writer: bytes a wait for space waits for */
	uint64_t seen_tail;  /* reader: last tail loaded */
	int eol;	     /* tap: resynchronise at next record end (copy.c) */
	int spanned;	     /* tap: a span call came since the last tap_read */
	uint64_t gen;	     /* reader: the generation it reads */
	int gen_over;	     /* reader: that stream is over; end below */
	uint64_t gen_end;    /* reader: the last position of that stream */
	int end_rc;	     /* reader: how it ended (a wait_data result) */
	long end_pid;	     /* reader: its writer, for the report */
	struct shmcat_counters count;
	shmcat_log_fn log;
	void *log_ctx;
	const volatile int *interrupt;
	int attach_timeout_ms; /* record writer: see shmcat_opts */
	struct shmcat_ring *next, *prev; /* this process's open handles */
	struct shmcat_bridge *bridge; /* its bridge, if open (bridge.c) */
	int rdonly;	     /* inspection: mapped and opened read-only */
	/* The readers of the last shmcat_status(), for shmcat_reader_status. */
	int nstatus;	     /* -1: no status taken yet */
	struct shmcat_reader_status status[SHMCAT_MAX_READERS];
	unsigned trust;	     /* SHMCAT_O_TRUST_* */
	uid_t trust_uid;
	gid_t trust_gid;
	char name[SHMCAT_NAME_MAX + 1];
};

/* 1 if r was inherited by a child: through fork(), whose handler took
 * the role away, or through a fork that ran no handlers (_Fork(), a raw
 * clone), which only the owner word tells (handles.c). */
static inline int
handle_forked(const struct shmcat_ring *r)
{
	return r->forked ||
	    atomic_load_explicit(r->owner, memory_order_relaxed) !=
	    r->owner_token;
}

/* 0 if r may make a call of this role; else why not. */
static inline int
handle_check(const struct shmcat_ring *r, enum shmcat_role role)
{
	if (r->role == role && !handle_forked(r))
		return 0;
	return handle_forked(r) ? -SHMCAT_EFORKED : -SHMCAT_EROLE;
}

/* A wait's timeout: ms, 0 (do not wait) or -1 (for ever).  Any other
 * negative value is a caller's mistake, a deadline gone by say, refused
 * (-EINVAL) rather than taken for "for ever". */
static inline int
timeout_valid(int timeout_ms)
{
	return timeout_ms >= -1;
}

/* SHMCAT_O_NONBLOCK: a wait "for ever" is a wait of 0 ms. */
static inline int
effective_timeout(const struct shmcat_ring *r, int timeout_ms)
{
	return timeout_ms < 0 && (r->flags & SHMCAT_O_NONBLOCK) ? 0 :
	    timeout_ms;
}

/*
 * A program started with 0, 1 or 2 closed gets one of them from its next
 * open, and its next printf then writes into whatever we opened: the
 * ring, the bridge's pipe.  Every descriptor the library keeps goes
 * above them (fd is moved, or -1 with errno); the hole stays as it was.
 */
static inline int
fd_above_stdio(int fd)
{
	int moved, e;

	if (fd < 0 || fd > STDERR_FILENO)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	e = errno;
	close(fd);
	errno = e;
	return moved;
}

/* A call failed with EINTR and the caller's flag does not ask us to act
 * on the signal: try it again.  (errno is the failed call's.) */
static inline int
again_after_eintr(const volatile int *interrupt)
{
	return errno == EINTR && !(interrupt && *interrupt);
}

/* The caller's log function may fail (a closed stderr) and set errno;
 * the code around a LOG still reads the errno of the call it logs. */
#define LOG(r, ...)                                                         \
	do {                                                                \
		if ((r)->log) {                                             \
			int log_errno_ = errno;                             \
			(r)->log((r)->log_ctx, __VA_ARGS__);                \
			errno = log_errno_;                                 \
		}                                                           \
	} while (0)

/*
 * What each file does, and who calls whom (each file only files below it,
 * no loops): DESIGN.md, "Architecture", the one drawing of it, which
 * tests/75-library.bats checks against the objects.  Declarations below
 * go by file, bottom up.
 */

/* error.c */
int fail(struct shmcat_error *err, const char *call, int code);

/* name.c */
int ring_file(const char *name, char *buf, size_t len);
int dir_name(const char *dir, char *buf, size_t len);
long safe_pid(int32_t pid); /* a pid read from the ring, made safe to print */

/* features.c */
int features_check(struct shmcat_ring *r, struct shmcat_error *err);
uint32_t features_of_mode(uint32_t mode);

/* wait.c */
int64_t now_ns(void);
int64_t deadline_of(int timeout_ms);
int spin_until(struct shmcat_ring *r, int (*ready)(struct shmcat_ring *),
    int peer_elsewhere);
uint32_t this_cpu(void);
void note_cpu(_Atomic uint32_t *hint);
int sleep_on(struct shmcat_ring *r, sem_t *sem, int64_t deadline);
void wake_one(sem_t *sem);
void wake_readers(struct shared *sh);
void wake_reader(struct shared *sh, int slot);
void wake_writer(struct shared *sh);
void wake_writer_if_room(struct shmcat_ring *r);

/* lock.c */
int lock_try(int fd, int byte, int exclusive);
int lock_wait(struct shmcat_ring *r, int byte, int exclusive, int64_t until);
void lock_release(int fd, int byte);
int lock_held_by_other(int fd, int byte, int exclusive_probe);
int writers_state(struct shmcat_ring *r); /* or -errno: the probe failed */
enum { WRITERS_NONE_YET, WRITERS_ALIVE, WRITERS_GONE_CLEAN, WRITERS_DIED };
long reader_holder(struct shmcat_ring *r, int i);
long writer_holder(struct shmcat_ring *r);
long ring_holder(struct shmcat_ring *r);

/* ring.c */
int check_distance(uint64_t from, uint64_t to, uint64_t cap);
int reader_scan_min(struct shared *sh, uint64_t tail, uint64_t cap, uint64_t *min);
uint64_t visible_tail(struct shmcat_ring *r);
struct positions {
	uint64_t tail, min;	/* min: of the cursors that count */
	uint64_t pos[SHMCAT_MAX_READERS];
	uint32_t kind[SHMCAT_MAX_READERS];
	int dead[SHMCAT_MAX_READERS]; /* an anonymous cursor or tap whose holder died */
};
int observe_positions(struct shmcat_ring *r, struct positions *p);
int stream_over(struct shmcat_ring *r);
int ring_floor(struct shmcat_ring *r, uint64_t *floor);
int check_state(struct shmcat_ring *r);
void writer_begin(struct shmcat_ring *r);
size_t writer_span(struct shmcat_ring *r, void **p);
int writer_commit(struct shmcat_ring *r, size_t n);

/* copy.c */
ssize_t copy_validated(struct shmcat_ring *r, void *buf, size_t n,
    uint64_t *skipped);

/* reader.c */
int reader_attach(struct shmcat_ring *r, const char *rname, struct shmcat_error *err);
void reader_detach(struct shmcat_ring *r, enum shmcat_end how);
int reap_dead_readers(struct shmcat_ring *r);
int reader_wait_beyond(struct shmcat_ring *s, uint64_t pos, size_t min,
    const _Atomic int *stop);

/* writer.c */
int writer_attach(struct shmcat_ring *r, struct shmcat_error *err);
void writer_detach(struct shmcat_ring *r, enum shmcat_end how);

/* dir.c */
int dir_open(struct ring_dir *d, const char *path,
    const struct shmcat_opts *o, struct shmcat_error *err);
DIR *dir_stream(int dirfd);
int dir_dup(struct ring_dir *to, const struct ring_dir *from);
void dir_close(struct ring_dir *d);
int object_page(int fd, uint64_t *page);

/* object.c */
uint64_t header_size_for(uint64_t page);
int check_header(const struct shared *sh, uint64_t object_size,
    uint64_t page);
int init_header(struct shmcat_ring *r);
int size_allowed(off_t size);
int round_size(size_t size, uint64_t page, uint64_t *cap);
int map_ring(struct shmcat_ring *r);
void unmap_ring(struct shmcat_ring *r);

/* build.c */
long build_pid(const char *name, size_t *name_len);
int each_abandoned(int dirfd, const char *ring,
    int (*fn)(const char *, void *), void *ctx);
int create_ring(struct shmcat_ring *r, mode_t mode, struct shmcat_error *err);
int remove_build(int dirfd, const char *name, struct shmcat_error *err);

/* handles.c */
int handles_enter(void);
void handles_leave(void);
void handles_add(struct shmcat_ring *r);
void release_handle(struct shmcat_ring *r);
void release_forked(struct shmcat_ring *r);

/* replace.c */
int still_published(struct shmcat_ring *r);
int unlink_if_same(struct shmcat_ring *r);
int force_replace(struct shmcat_ring *r, int why);
int remove_forced(int dirfd, const char *name, struct shmcat_error *err);

/* role.c */
int role_known(enum shmcat_role role);
int role_opts_valid(const struct shmcat_opts *o);
int role_end_valid(const struct shmcat_ring *r, enum shmcat_end how);
int role_attach(struct shmcat_ring *r, const char *reader_name,
    struct shmcat_error *err);
void role_detach(struct shmcat_ring *r, enum shmcat_end how);

/* open.c */
int open_checked(const char *name, const struct shmcat_opts *o,
    const struct ring_dir *dir, struct shmcat_ring **ringp,
    struct shmcat_error *err);

/* bridge.c */
void bridge_detach(struct shmcat_ring *r);

#endif
