/*
 * features.c - a ring's feature bits against what this library knows.
 *
 * The rules are ext4's (shmcat_int.h, FEAT_*; shmcat(7) FEATURES): an
 * unknown compat bit is ignored, an unknown ro_compat bit lets a process
 * read but not write, an unknown incompat bit refuses the ring.  The
 * words are read from memory any writer of the ring can change, so they
 * are loaded once per check and judged as loaded.
 */
#include <stdio.h>
#include <string.h>

#include "shmcat_int.h"

#define NBITS 32

static const char *const ro_compat_names[NBITS] = {
	[0] = "lines", /* FEAT_RO_LINES */
	[1] = "nul",   /* FEAT_RO_NUL */
};

const char *
shmcat_feature_name(enum shmcat_feature_set set, unsigned bit)
{
	if (bit >= NBITS)
		return NULL;
	switch (set) {
	case SHMCAT_FEAT_RO_COMPAT:
		return ro_compat_names[bit];
	case SHMCAT_FEAT_COMPAT:
	case SHMCAT_FEAT_INCOMPAT:
		return NULL; /* none defined yet */
	}
	return NULL;
}

/* The lowest bit of have that known lacks, or -1. */
static int
first_unknown(uint32_t have, uint32_t known)
{
	uint32_t unknown = have & ~known;

	return unknown ? __builtin_ctz(unknown) : -1;
}

static int
lacking(struct shmcat_error *err, enum shmcat_feature_set set, int bit)
{
	if (err) {
		err->code = -SHMCAT_EFEATURE;
		snprintf(err->call, sizeof(err->call), "features");
		err->feature_set = set;
		err->feature_bit = (unsigned)bit;
	}
	return -SHMCAT_EFEATURE;
}

/* 0 if a process in r's role may use the ring as its bits stand now:
 * every role needs the incompat bits, a writer the ro_compat ones too.
 * Compat bits are not looked at. */
int
features_check(struct shmcat_ring *r, struct shmcat_error *err)
{
	uint32_t incompat = atomic_load(&r->sh->feat_incompat);
	uint32_t ro_compat = atomic_load(&r->sh->feat_ro_compat);
	int bit;

	if ((bit = first_unknown(incompat, FEAT_INCOMPAT_KNOWN)) >= 0)
		return lacking(err, SHMCAT_FEAT_INCOMPAT, bit);
	if (r->role == SHMCAT_WRITER &&
	    (bit = first_unknown(ro_compat, FEAT_RO_COMPAT_KNOWN)) >= 0)
		return lacking(err, SHMCAT_FEAT_RO_COMPAT, bit);
	return 0;
}

int
shmcat_features_check(struct shmcat_ring *r, struct shmcat_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
	if (r == NULL)
		return -EINVAL;
	if (handle_forked(r))
		return -SHMCAT_EFORKED;
	return features_check(r, err);
}

/* The stream bits of a record mode, for the writer that starts a stream. */
uint32_t
features_of_mode(uint32_t mode)
{
	return mode == MODE_LINES ? FEAT_RO_LINES :
	    mode == MODE_NUL ? FEAT_RO_NUL : 0;
}
