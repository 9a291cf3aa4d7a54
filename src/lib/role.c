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

/* 1 if the options fit the role.  Flags of another role, two record
 * modes, or a tap with a cursor name contradict each other: refused,
 * never settled one way. */
int
role_opts_valid(const struct shmcat_opts *o)
{
	const unsigned modes = SHMCAT_O_LINES | SHMCAT_O_NUL;
	const unsigned reading = SHMCAT_O_TAP | SHMCAT_O_NEW;

	switch (o->role) {
	case SHMCAT_WRITER:
		return !(o->flags & reading) && o->reader_name == NULL &&
		    (o->flags & modes) != modes;
	case SHMCAT_READER:
		return !(o->flags & modes) &&
		    !((o->flags & SHMCAT_O_TAP) && o->reader_name != NULL);
	default:
		return !(o->flags & (modes | reading)) && o->reader_name == NULL;
	}
}

/* 1 if how is a way this handle may close: one of enum shmcat_end, and
 * a tap, which never holds the stream back, does not end it either. */
int
role_end_valid(const struct shmcat_ring *r, enum shmcat_end how)
{
	switch (how) {
	case SHMCAT_END:
	case SHMCAT_KEEP_OPEN:
	case SHMCAT_INTERRUPTED:
	case SHMCAT_ABANDON:
		return 1;
	case SHMCAT_HANGUP:
		return !(r->role == SHMCAT_READER && (r->flags & SHMCAT_O_TAP));
	}
	return 0;
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
