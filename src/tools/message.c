/* message.c - one-line messages in the err(3) style, and exit codes
 * for library errors. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

const char *progname = "shmcat";
const char *force_hint = "use -f to replace it";
const char *ring_dir;
const char *nowait_hint = "--nonblock";
int progress_shown;

/* A message goes on a line of its own, not over the progress line. */
void
end_progress_line(void)
{
	if (progress_shown)
		fputc('\n', stderr);
	progress_shown = 0;
}

void
warnx_ring(const char *ring, const char *fmt, ...)
{
	va_list ap;

	end_progress_line();
	fprintf(stderr, "%s: ", progname);
	if (ring)
		fprintf(stderr, "%s: ", ring);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Map a library error to our exit code.  A corrupt header found while
 * streaming is a runtime failure (1); at attach it is bad input (2). */
int
exit_code_for(int code, int attached)
{
	switch (-code) {
	case ETIMEDOUT:
	case EAGAIN:
		return EXIT_TIMEOUT;
	case SHMCAT_EDIED:
	case SHMCAT_EINTERRUPTED:
	case SHMCAT_EHANGUP:
	case SHMCAT_EBEHIND: /* not known to be whole */
		return EXIT_TRUNCATED;
	case SHMCAT_ECORRUPT:
		return attached ? EXIT_IO : EXIT_USAGE;
	case SHMCAT_EFEATURE:
		return EXIT_USAGE; /* a ring for a newer version, whenever met */
	default:
		return attached ? EXIT_IO : EXIT_USAGE;
	}
}

/* Name the owner of a ring we refused, and the option that trusts it. */
static void
report_owner(const char *ring, const struct shmcat_error *err)
{
	struct passwd *pw = getpwuid(err->uid);

	if (pw && shmcat_valid_name(pw->pw_name))
		warnx_ring(ring, "ring is owned by %s (uid %ld); pass --owner=%s "
		    "to share it", pw->pw_name, (long)err->uid, pw->pw_name);
	else
		warnx_ring(ring, "ring is owned by uid %ld; pass --owner=%ld to "
		    "share it", (long)err->uid, (long)err->uid);
}

/* Name the feature bit we lack, by name where we know one. */
void
report_feature(const char *ring, const struct shmcat_error *err)
{
	static const char *const sets[] = {"?", "compat", "ro_compat",
	    "incompat"};
	unsigned set = err->feature_set <= SHMCAT_FEAT_INCOMPAT ?
	    err->feature_set : 0;
	const char *name = shmcat_feature_name(err->feature_set,
	    err->feature_bit);
	const char *rule = err->feature_set == SHMCAT_FEAT_RO_COMPAT ?
	    "it may be read, not written, by this version" :
	    "this version must not use it";

	if (name)
		warnx_ring(ring, "ring uses feature '%s' (%s bit %u): %s", name,
		    sets[set], err->feature_bit, rule);
	else
		warnx_ring(ring, "ring uses %s feature bit %u, unknown to "
		    "shmcat %s: %s", sets[set], err->feature_bit,
		    shmcat_version(), rule);
}

/* The ring directory, as messages name it. */
const char *
shown_dir(void)
{
	return ring_dir ? ring_dir : SHMCAT_DEFAULT_DIR;
}

/* What sits at the ring's name if it is not a regular file, or NULL;
 * its path in PATH. */
const char *
odd_kind(const char *ring, char *path, size_t len)
{
	struct stat st;

	if (shmcat_path_in(ring_dir, ring, path, len) != 0 ||
	    lstat(path, &st) != 0)
		return NULL;
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: return "directory";
	case S_IFIFO: return "FIFO";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFLNK: return "symbolic link";
	}
	return NULL;
}

/* Say what is in the way, not what errno open(2) made of it; 0 if the
 * name holds a regular file (or nothing) and the usual message fits. */
static int
report_odd_object(const char *ring, int code)
{
	char path[PATH_MAX];
	const char *kind;

	if (code != -SHMCAT_ENOTRING && code != -ENOTEMPTY)
		return 0;
	if ((kind = odd_kind(ring, path, sizeof(path))) == NULL)
		return 0;
	if (code == -ENOTEMPTY)
		warnx_ring(ring, "%s is a %s, not a shmcat ring, and not empty: "
		    "remove it by hand", path, kind);
	else
		warnx_ring(ring, "%s is a %s, not a shmcat ring; left untouched "
		    "(%s)", path, kind, force_hint);
	return 1;
}

/* Why the ring directory was refused, or could not be opened. */
static void
report_dir(const char *ring, const struct shmcat_error *err)
{
	const char *dir = shown_dir();
	unsigned mode = err->dir_mode & 07777;
	struct passwd *pw;

	if (err->code == -SHMCAT_EDIRFS) {
		warnx_ring(ring, "%s: %s (type %#x); a ring needs memory this "
		    "machine shares", dir, shmcat_strerror(err->code),
		    (unsigned)err->fs_type);
	} else if (err->code != -SHMCAT_EDIRMODE) {
		warnx_ring(ring, "%s: %s", dir, shmcat_strerror(err->code));
	} else if ((mode & S_IWOTH) && !(mode & S_ISVTX)) {
		warnx_ring(ring, "%s: directory mode %04o is writable by others "
		    "and not sticky", dir, mode);
	} else if ((pw = getpwuid(err->uid)) && shmcat_valid_name(pw->pw_name)) {
		warnx_ring(ring, "%s: directory is owned by %s (uid %ld); pass "
		    "--owner=%s to trust it", dir, pw->pw_name, (long)err->uid,
		    pw->pw_name);
	} else {
		warnx_ring(ring, "%s: directory is owned by uid %ld; pass "
		    "--owner=%ld to trust it", dir, (long)err->uid,
		    (long)err->uid);
	}
}

/* Only a record writer's wait to join the others (bounded by -n or -t)
 * ends in "busy", exit 4; an EAGAIN or ETIMEDOUT from any other call
 * made while opening is that call's failure. */
static int
busy_joining(const struct shmcat_error *err)
{
	return (err->code == -EAGAIN || err->code == -ETIMEDOUT) &&
	    strcmp(err->call, "join") == 0;
}

int
report_open_error(const char *ring, const struct shmcat_error *err)
{
	const char *why = shmcat_strerror(err->code);

	if (report_odd_object(ring, err->code))
		return EXIT_USAGE;
	if (strcmp(err->call, "dir") == 0) {
		report_dir(ring, err);
		return EXIT_USAGE;
	}
	if (err->code == -ENOENT && strcmp(err->call, "open") == 0) {
		warnx_ring(ring, "no such ring");
		return EXIT_USAGE;
	}
	switch (-err->code) {
	case SHMCAT_EBUSY:
		/* the library names a live holder, or none (shmcat_open(3)) */
		if (err->pid > 0)
			warnx_ring(ring, "%s by pid %ld", why, err->pid);
		else
			warnx_ring(ring, "%s by a process that cannot be named",
			    why);
		break;
	case SHMCAT_ESTALE:
	case SHMCAT_EENDED:
		warnx_ring(ring, "%s (%" PRIu64 " bytes); read them with "
		    "'shmcat-out %s' or replace the ring with -f", why,
		    err->bytes, ring);
		break;
	case SHMCAT_ENOTRING:
	case SHMCAT_EVERSION:
	case SHMCAT_ECORRUPT:
		warnx_ring(ring, "%s; left untouched (%s)", why, force_hint);
		break;
	case SHMCAT_ESIZE:
		warnx_ring(ring, "%s; omit -s to use it as it is", why);
		break;
	case SHMCAT_EFULLWRITERS:
		warnx_ring(ring, "all %d writer slots are taken",
		    SHMCAT_MAX_WRITERS);
		break;
	case SHMCAT_EFULLREADERS:
		warnx_ring(ring, "all %d reader slots are taken",
		    SHMCAT_MAX_READERS);
		break;
	case ETIMEDOUT:
	case EAGAIN:
		if (!busy_joining(err)) {
			warnx_ring(ring, "%s: %s", err->call, why);
			return EXIT_USAGE;
		}
		if (err->code == -EAGAIN)
			warnx_ring(ring, "the other writers are busy (%s)",
			    nowait_hint);
		else
			warnx_ring(ring, "timed out waiting to join the other "
			    "writers");
		break;
	case SHMCAT_EOWNER:
		report_owner(ring, err);
		break;
	case SHMCAT_EFEATURE:
		report_feature(ring, err);
		break;
	case EINVAL:
		if (strcmp(err->call, "name") == 0) {
			warnx_ring(NULL, "invalid ring name '%s': use 1-%d of "
			    "A-Z a-z 0-9 . _ -, not starting with '.'", ring,
			    SHMCAT_NAME_MAX);
			break;
		}
		/* FALLTHROUGH */
	default:
		if (err->call[0])
			warnx_ring(ring, "%s: %s", err->call, why);
		else
			warnx_ring(ring, "%s", why);
	}
	return exit_code_for(err->code, 0);
}

void
vlog(void *ctx, const char *fmt, ...)
{
	va_list ap;

	end_progress_line();
	fprintf(stderr, "%s: %s: ", progname, (const char *)ctx);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
