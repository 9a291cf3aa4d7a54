/* error.c - words for the error codes the library returns; its version;
 * an error noted for the caller. */
#include <stdio.h>
#include <string.h>

#include "shmcat_int.h"

static const char *const messages[] = {
	[SHMCAT_ENOTRING - SHMCAT_EBASE] = "not a shmcat ring",
	[SHMCAT_EVERSION - SHMCAT_EBASE] = "ring has an unsupported layout version",
	[SHMCAT_ESIZE - SHMCAT_EBASE] = "ring exists with a different size",
	[SHMCAT_ECORRUPT - SHMCAT_EBASE] = "ring header is corrupt",
	[SHMCAT_EBUSY - SHMCAT_EBASE] = "ring is in use",
	[SHMCAT_ESTALE - SHMCAT_EBASE] = "stale ring: its writer died leaving unread bytes",
	[SHMCAT_EENDED - SHMCAT_EBASE] = "stream already ended, unread bytes remain",
	[SHMCAT_EMODE - SHMCAT_EBASE] = "ring is used in another record mode",
	[SHMCAT_EDIED - SHMCAT_EBASE] = "stream truncated: the writer died",
	[SHMCAT_EINTERRUPTED - SHMCAT_EBASE] = "stream truncated: the writer was interrupted",
	[SHMCAT_EHANGUP - SHMCAT_EBASE] = "a reader hung up",
	[SHMCAT_ERECORD - SHMCAT_EBASE] = "record longer than the limit",
	[SHMCAT_EFULLREADERS - SHMCAT_EBASE] = "no free reader slot",
	[SHMCAT_EROLE - SHMCAT_EBASE] = "call does not match the handle's role",
	[SHMCAT_EFORKED - SHMCAT_EBASE] = "handle belongs to the parent process",
	[SHMCAT_EOWNER - SHMCAT_EBASE] = "ring is owned by another user",
	[SHMCAT_EFEATURE - SHMCAT_EBASE] = "ring uses a feature this version lacks",
	[SHMCAT_EDIRMODE - SHMCAT_EBASE] = "directory may be changed by users not trusted",
	[SHMCAT_EDIRFS - SHMCAT_EBASE] = "directory is on a network or FUSE filesystem",
	[SHMCAT_EBEHIND - SHMCAT_EBASE] = "stream ended while this reader was too far behind to learn how",
	[SHMCAT_EFULLWRITERS - SHMCAT_EBASE] = "no free writer slot",
};

_Static_assert(sizeof(messages) / sizeof(messages[0]) ==
    SHMCAT_ELAST - SHMCAT_EBASE, "a SHMCAT_E* code has no message");

/* Note in err (if any) which call failed and how; code, for returning. */
int
fail(struct shmcat_error *err, const char *call, int code)
{
	if (err) {
		err->code = code;
		snprintf(err->call, sizeof(err->call), "%s", call);
	}
	return code;
}

const char *
shmcat_strerror(int code)
{
	int e = code < 0 ? -code : code;

	/* Positive: not an error but wait_data's end (1 is not EPERM). */
	if (code == SHMCAT_EOF)
		return "end of stream";
	if (e > SHMCAT_EBASE && e < SHMCAT_ELAST)
		return messages[e - SHMCAT_EBASE];
	return strerror(e);
}

const char *
shmcat_version(void)
{
	return SHMCAT_VERSION;
}
