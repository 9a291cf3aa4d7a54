/*
 * shmcat.h - a byte stream through a named POSIX shared-memory ring.
 *
 * One process writes, one or more read; the ring lives in a directory
 * (/dev/shm unless shmcat_opts.dir names another) as "shmcat.<name>" and
 * outlives both sides until the stream is finished.
 * The shared layout and protocol are described in shmcat(7).
 *
 * Every function returns 0 (or a count) on success and a negative error
 * code on failure: either -errno or one of the SHMCAT_E* codes below.
 * Nothing here prints, exits or touches signal dispositions.  A call that
 * does not fit the handle (a write on a reader, the span calls on a
 * record writer, a record without its terminator, a NULL pointer) fails
 * with -EINVAL; the span calls return 0 and set the pointer to NULL.  A
 * tap reads with shmcat_tap_read: the reader loop below, on a tap, ends
 * with shmcat_wait_data returning -SHMCAT_EROLE.
 *
 * Writer call sequence:
 *
 *	shmcat_open(name, &opts{.role = SHMCAT_WRITER}, &r, &err);
 *	for (;;) {
 *		n = shmcat_write_span(r, &p);	// contiguous free bytes at p
 *		if (n == 0) {			// full: sleep until a reader moves
 *			rc = shmcat_wait_space(r, timeout_ms);
 *			...
 *			continue;
 *		}
 *		fill p[0..k) with k <= n bytes;
 *		shmcat_write_commit(r, k);	// readers may now see them
 *	}
 *	shmcat_close(r, SHMCAT_END);		// or SHMCAT_INTERRUPTED, ...
 *
 * Reader call sequence:
 *
 *	shmcat_open(name, &opts{.role = SHMCAT_READER}, &r, &err);
 *	for (;;) {
 *		n = shmcat_read_span(r, &p);	// contiguous unread bytes at p
 *		if (n == 0) {
 *			rc = shmcat_wait_data(r, timeout_ms);
 *			if (rc == SHMCAT_EOF) break;	// clean end
 *			...				// truncated, timed out
 *			continue;
 *		}
 *		consume k <= n bytes from p;
 *		shmcat_read_commit(r, k);	// the writer may now reuse them
 *	}
 *	shmcat_close(r, SHMCAT_END);
 *
 * A span stays valid until the matching commit; never keep a pointer
 * past it.  Spans never wrap: the data area is mapped twice in a row.
 *
 * A handle is used by one thread at a time, and belongs to the process
 * that opened it: in a child (fork(), _Fork(), a raw clone) every call on
 * an inherited handle returns -SHMCAT_EFORKED and shmcat_close() frees
 * only the child's copy.
 * Each function has a section-3 page; start with shmcat(3).
 */
#ifndef SHMCAT_H
#define SHMCAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; shmcat_version() is the library's. */
#define SHMCAT_VERSION_MAJOR 3
#define SHMCAT_VERSION_MINOR 0
#define SHMCAT_VERSION_PATCH 0
#define SHMCAT_VERSION "3.0.0"

/* Ring names: 1..SHMCAT_NAME_MAX of [A-Za-z0-9._-], not starting with '.' */
#define SHMCAT_NAME_MAX 200
#define SHMCAT_READER_NAME_MAX 31
#define SHMCAT_MAX_READERS 16
#define SHMCAT_MAX_WRITERS 16
#define SHMCAT_DEFAULT_SIZE (4 * 1024 * 1024)
#define SHMCAT_RECORD_MAX (1024 * 1024)

/* Errors beyond errno; always returned negated, like -errno. */
enum {
	SHMCAT_EBASE = 4096,
	SHMCAT_ENOTRING,   /* object is not a shmcat ring (magic) */
	SHMCAT_EVERSION,   /* a ring of another layout version */
	SHMCAT_ESIZE,      /* --size differs from the existing ring */
	SHMCAT_ECORRUPT,   /* header holds impossible values */
	SHMCAT_EBUSY,      /* the role is held by a live process */
	SHMCAT_ESTALE,     /* previous writer died leaving unread bytes */
	SHMCAT_EENDED,     /* the stream already ended; nothing to append */
	SHMCAT_EMODE,      /* byte and record writers mixed on one ring */
	SHMCAT_EDIED,      /* the writer died before the end of stream */
	SHMCAT_EINTERRUPTED, /* the writer was interrupted by a signal */
	SHMCAT_EHANGUP,    /* a reader hung up (shmcat-out --hangup) */
	SHMCAT_ERECORD,    /* record longer than the limit */
	SHMCAT_EFULLREADERS, /* no free reader slot */
	SHMCAT_EROLE,      /* the call does not belong to the handle's role */
	SHMCAT_EFORKED,    /* the handle belongs to the process that forked us */
	SHMCAT_EOWNER,     /* ring owned by a user we do not trust */
	SHMCAT_EFEATURE,   /* the ring needs a feature we lack (see err) */
	SHMCAT_EDIRMODE,   /* the directory is open to users we do not trust */
	SHMCAT_EDIRFS,     /* the directory is on a network or FUSE filesystem */
	SHMCAT_EBEHIND,    /* stream ended while the reader was too far behind
			      to learn how (shmcat_wait_data) */
	SHMCAT_EFULLWRITERS, /* no free writer slot */
	SHMCAT_ELAST
};

/* shmcat_wait_data() result meaning the stream ended cleanly. */
#define SHMCAT_EOF 1

/* No role is the default: a zeroed struct shmcat_opts is refused. */
enum shmcat_role { SHMCAT_WRITER = 1, SHMCAT_READER, SHMCAT_INSPECT };

/* How a writer ends its part of the stream (shmcat_close). */
enum shmcat_end {
	SHMCAT_END,         /* clean end of input */
	SHMCAT_KEEP_OPEN,   /* leave; others may continue the stream */
	SHMCAT_INTERRUPTED, /* stopped by a signal: readers report truncation */
	SHMCAT_HANGUP,      /* reader: end the stream for everyone */
	SHMCAT_ABANDON      /* just detach (error paths) */
};

/* shmcat_open flags */
#define SHMCAT_O_FORCE 0x01    /* replace a stale, foreign or corrupt object */
#define SHMCAT_O_NONBLOCK 0x02 /* waits with timeout -1 return -EAGAIN */
#define SHMCAT_O_LINES 0x04    /* writer: newline-terminated records */
#define SHMCAT_O_NUL 0x08      /* writer: NUL-terminated records */
#define SHMCAT_O_TAP 0x10      /* reader: observer, never holds writer back */
#define SHMCAT_O_NEW 0x20      /* reader: start at new data only */
#define SHMCAT_O_NOCREATE 0x40 /* attach only; never create */
#define SHMCAT_O_TRUST_UID 0x80 /* also attach to rings trust_uid owns */
#define SHMCAT_O_TRUST_GID 0x100 /* also attach to rings of group trust_gid */

typedef void (*shmcat_log_fn)(void *ctx, const char *fmt, ...);

struct shmcat_opts {
	enum shmcat_role role;
	size_t size;		 /* requested capacity; 0: existing or default */
	mode_t mode;		 /* for a new ring; 0 means 0600 */
	unsigned flags;		 /* SHMCAT_O_* */
	const char *reader_name; /* named, persistent reader cursor */
	shmcat_log_fn log;	 /* verbose log of IPC calls, or NULL */
	void *log_ctx;
	/* If set, waits return -EINTR soon after *interrupt becomes non-zero
	 * (a signal handler's flag), even where a signal does not interrupt
	 * the underlying call. */
	const volatile int *interrupt;
	/* Record writer joining a ring whose other record writers are busy:
	 * give up after this many ms (-ETIMEDOUT); 0 waits as long as it
	 * takes, or not at all (-EAGAIN) with SHMCAT_O_NONBLOCK. */
	int attach_timeout_ms;
	/* Writers and readers attach only to rings owned by our effective
	 * uid, or, with SHMCAT_O_TRUST_UID, by trust_uid, or, with
	 * SHMCAT_O_TRUST_GID, whose group is trust_gid; any other ring is
	 * refused with -SHMCAT_EOWNER.  Its owner controls what is in it.
	 * Inspection only reads, and opens any ring it may read. */
	uid_t trust_uid;
	gid_t trust_gid;
	/* The directory that holds the ring; NULL: SHMCAT_DEFAULT_DIR.
	 * Writers and readers refuse (-SHMCAT_EDIRMODE) any other that is
	 * not owned by root, our effective uid or trust_uid (with
	 * SHMCAT_O_TRUST_UID), or that others may write without the sticky
	 * bit; every role refuses a network or FUSE filesystem
	 * (-SHMCAT_EDIRFS).  shmcat_open(3). */
	const char *dir;
	/* Room to grow: must be zero (-EINVAL otherwise).  A later release
	 * turns a word into a field whose zero means today's behaviour, so
	 * a program built against this header runs unchanged. */
	uint64_t reserved[8];
};

/* Which word of a ring's feature bits (shmcat(7) FEATURES). */
enum shmcat_feature_set {
	SHMCAT_FEAT_COMPAT = 1, /* may be ignored by those who lack it */
	SHMCAT_FEAT_RO_COMPAT,	/* those who lack it may read, not write */
	SHMCAT_FEAT_INCOMPAT	/* those who lack it must not attach */
};

/* Details of a failure, for a one-line message.  The library fills
 * every byte of it, reserved words included (with zeros). */
struct shmcat_error {
	int code;	  /* same as the return value */
	char call[32];	  /* the call that failed: "openat", "mmap", ... */
	long pid;	  /* the process holding a busy role, or 0 */
	uint64_t bytes;	  /* unread bytes, for SHMCAT_ESTALE */
	uid_t uid;	  /* the ring's owner, for SHMCAT_EOWNER; the */
	gid_t gid;	  /* directory's, for SHMCAT_EDIRMODE; and its group */
	/* SHMCAT_EFEATURE: the first feature bit we lack, and its word. */
	enum shmcat_feature_set feature_set;
	unsigned feature_bit;
	/* SHMCAT_EDIRMODE: the directory's mode (type and permission bits);
	 * SHMCAT_EDIRFS: its filesystem's magic number (statfs(2) f_type). */
	uint32_t dir_mode;
	uint32_t fs_type;
	uint64_t reserved[5];
};

struct shmcat_ring;

int shmcat_open(const char *name, const struct shmcat_opts *opts,
    struct shmcat_ring **ringp, struct shmcat_error *err);
int shmcat_close(struct shmcat_ring *r, enum shmcat_end how);

size_t shmcat_capacity(const struct shmcat_ring *r);
/* Bytes of the ring's file: header plus capacity. */
uint64_t shmcat_object_size(const struct shmcat_ring *r);
const char *shmcat_name(const struct shmcat_ring *r);
int shmcat_created(const struct shmcat_ring *r); /* 1 if this handle created it */

/* Writer */
size_t shmcat_write_span(struct shmcat_ring *r, void **p);
int shmcat_write_commit(struct shmcat_ring *r, size_t n);
int shmcat_wait_space(struct shmcat_ring *r, int timeout_ms);
int shmcat_write_record(struct shmcat_ring *r, const void *buf, size_t n,
    int timeout_ms);
/* 1 once a reader has hung up the stream (SHMCAT_HANGUP), else 0: a
 * writer that waits for its own input, not for space, should ask now and
 * then, and leave (shmcat-in exits 141). */
int shmcat_hungup(const struct shmcat_ring *r);

/* Reader */
size_t shmcat_read_span(struct shmcat_ring *r, const void **p);
int shmcat_read_commit(struct shmcat_ring *r, size_t n);
int shmcat_wait_data(struct shmcat_ring *r, int timeout_ms);
/* Tap: copy out up to n bytes that are certainly intact; *skipped counts
 * bytes lost because the writer lapped the tap. */
ssize_t shmcat_tap_read(struct shmcat_ring *r, void *buf, size_t n,
    uint64_t *skipped);

/*
 * Event loops: a bridge turns a reader handle into a file descriptor
 * that poll/epoll report readable once at least min bytes are unread
 * (or the stream has ended).  Then drain the ring with the span calls,
 * ask shmcat_wait_data(r, 0) how the stream stands, and re-arm.  A
 * writer tells "full" (-EAGAIN) from "hung up" (-SHMCAT_EHANGUP) with
 * shmcat_wait_space(w, 0).  See shmcat_bridge_open(3).
 */
struct shmcat_bridge;
int shmcat_bridge_open(struct shmcat_ring *r, size_t min,
    struct shmcat_bridge **bp);
int shmcat_bridge_fd(const struct shmcat_bridge *b);
int shmcat_bridge_rearm(struct shmcat_bridge *b);
int shmcat_bridge_close(struct shmcat_bridge *b);

/* Per-handle counters, for --stats.  Every word is filled, reserved
 * ones with zeros. */
struct shmcat_counters {
	uint64_t bytes;	   /* committed by this handle */
	uint64_t sleeps;   /* times this handle slept on full/empty */
	uint64_t skipped;  /* tap: bytes missed */
	uint64_t reserved[5];
};
void shmcat_counters(const struct shmcat_ring *r, struct shmcat_counters *c);

/* Inspection.  Everything here was read from memory other processes
 * can write, and has been checked: names hold only [A-Za-z0-9._-] and
 * '?' for any other byte, pids are in the kernel's range or 0,
 * created_sec is in years 1970..9999 or 0 (unknown), counts are clamped
 * to what a ring can hold.  Safe to print as they are.  The library
 * fills every byte of these structs, reserved words with zeros: a later
 * release adds fields there without changing their size. */
struct shmcat_status {
	uint64_t capacity, object_size;
	uint64_t tail, floor, buffered;
	const char *record_mode; /* "unset", "bytes", "lines", "nul" */
	/* "open", "ended", "interrupted", "hangup", "writer-died"; for a
	 * reader whose stream ended too long ago to tell, "unknown"; for a
	 * ring whose name was removed under the handle, "unlinked" */
	const char *state;
	long writer_pid, creator_pid;
	int writer_alive, writers_active, readers_alive;
	uint64_t writer_sleeps;
	int64_t created_sec;
	int nreaders;	    /* entries for shmcat_reader_status() */
	/* The ring's feature bits, as stored (shmcat(7) FEATURES). */
	uint32_t feat_compat, feat_ro_compat, feat_incompat;
	/* Where the ring lives: its directory and that directory's
	 * filesystem ("tmpfs", "hugetlbfs" or "other"); both stay valid
	 * until shmcat_close(). */
	const char *dir;
	const char *fs;
	uint64_t page_size; /* the object's page: capacity is a multiple */
	uint64_t reserved[16];
};
/* For a reader whose stream ended or was cut short, state and writer_pid
 * are those of its own stream, even if a writer has started the next. */
int shmcat_status(struct shmcat_ring *r, struct shmcat_status *st);

struct shmcat_reader_status {
	int slot;
	char name[SHMCAT_READER_NAME_MAX + 1];
	const char *kind; /* "default", "named", "anonymous", "tap" */
	uint64_t pos;
	uint64_t lag;
	long pid;
	int alive;
	uint64_t sleeps, skipped;
	uint64_t reserved[8];
};
/* Entry i (0 <= i < st.nreaders) of the last shmcat_status() on this
 * handle, from the same snapshot: -ERANGE past the end, -EINVAL before
 * any status. */
int shmcat_reader_status(struct shmcat_ring *r, int i,
    struct shmcat_reader_status *rs);
/* Check the ring's feature bits, as they stand now, against this library
 * and the handle's role: 0, or -SHMCAT_EFEATURE with err naming the first
 * bit lacking.  A wait that returns -SHMCAT_EFEATURE (a stream started
 * with a feature we lack) leaves the details to this call. */
int shmcat_features_check(struct shmcat_ring *r, struct shmcat_error *err);
/* The name of a feature bit this library knows ("lines", ...), or NULL. */
const char *shmcat_feature_name(enum shmcat_feature_set set, unsigned bit);

/* The directory rings live in unless shmcat_opts.dir names another. */
#define SHMCAT_DEFAULT_DIR "/dev/shm"

/* Call fn for every ring name in dir (NULL: SHMCAT_DEFAULT_DIR), then for
 * every abandoned build file (NAME~PID.NONCE: its creator died); stops
 * early if fn returns != 0.  Listing and removing look in any directory
 * but one on a network or FUSE filesystem. */
int shmcat_list_in(const char *dir, int (*fn)(const char *name, void *ctx),
    void *ctx);
int shmcat_list(int (*fn)(const char *name, void *ctx), void *ctx);
/* Remove a ring: refuses (SHMCAT_EBUSY) while a live process uses it,
 * even with force; never removes an object that is not a ring unless
 * force.  NAME~PID.NONCE removes an abandoned build file. */
int shmcat_remove_in(const char *dir, const char *name, int force,
    struct shmcat_error *err);
int shmcat_remove(const char *name, int force, struct shmcat_error *err);

int shmcat_valid_name(const char *name);
/* The object's path ("DIR/shmcat.<name>"): 0, -EINVAL for a bad name,
 * or -ENAMETOOLONG if len is short (SHMCAT_PATH_MAX is enough for the
 * default directory; PATH_MAX for any). */
#define SHMCAT_PATH_MAX (SHMCAT_NAME_MAX + 17)
int shmcat_path_in(const char *dir, const char *name, char *buf, size_t len);
int shmcat_path(const char *name, char *buf, size_t len);
const char *shmcat_strerror(int code);
/* The library's version, "MAJOR.MINOR.PATCH"; compare SHMCAT_VERSION. */
const char *shmcat_version(void);

#ifdef __cplusplus
}
#endif

#endif
