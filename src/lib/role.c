/*
 * role.c - the one place that tells a handle's roles apart: attach and
 * detach whichever role the handle was opened for.  An observer
 * (SHMCAT_INSPECT: status, shmcat rm) takes no part in the stream, so it
 * has nothing to attach or detach.
 */
#include "shmcat_int.h"

/* 1 if role is one a handle can be opened for. */
int
role_known(enum shmcat_role role)
{
	return role == SHMCAT_WRITER || role == SHMCAT_READER ||
	    role == SHMCAT_INSPECT;
}

/* Take the role's place in the stream: its lock and slot. */
int
role_attach(struct shmcat_ring *r, const char *reader_name,
    struct shmcat_error *err)
{
	switch (r->role) {
	case SHMCAT_WRITER:
		return writer_attach(r, err);
	case SHMCAT_READER:
		return reader_attach(r, reader_name, err);
	default:
		return 0;
	}
}

/* Give the place back; how says how a writer ends its part. */
void
role_detach(struct shmcat_ring *r, enum shmcat_end how)
{
	switch (r->role) {
	case SHMCAT_WRITER:
		writer_detach(r, how);
		break;
	case SHMCAT_READER:
		reader_detach(r, how);
		break;
	default:
		break;
	}
}
