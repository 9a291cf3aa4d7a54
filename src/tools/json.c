/*
 * json.c - shmcat list/status --json: the schema documented in
 * shmcat(1), written with a string escaper that trusts nothing.
 *
 * Reader names, like everything in a ring's header, come from memory
 * any peer can write: every byte that is not printable ASCII is
 * escaped, so the output is valid JSON (and plain ASCII) whatever a
 * peer left there.  Bytes >= 0x80 become \u0080..\u00ff: names are
 * ASCII by rule, and this keeps an invalid one both valid JSON and
 * lossless.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "tool.h"

/* s[0..max) up to its first NUL, as a JSON string. */
static void
json_string(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	putchar('"');
	for (i = 0; i < max && p[i] != '\0'; i++) {
		switch (p[i]) {
		case '"': fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\b': fputs("\\b", stdout); break;
		case '\f': fputs("\\f", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		default:
			if (p[i] < 0x20 || p[i] >= 0x7f)
				printf("\\u%04x", p[i]);
			else
				putchar(p[i]);
		}
	}
	putchar('"');
}

static void
json_key(const char *key)
{
	printf("\"%s\":", key); /* our own keys: plain ASCII */
}

static void
json_uint(const char *key, uint64_t v)
{
	printf("\"%s\":%" PRIu64, key, v);
}

static void
json_bool(const char *key, int v)
{
	printf("\"%s\":%s", key, v ? "true" : "false");
}

static void
json_reader(const struct shmcat_reader_status *rs)
{
	printf("{\"slot\":%d,", rs->slot);
	json_key("kind");
	json_string(rs->kind, 32);
	putchar(',');
	json_key("name");
	if (rs->name[0])
		json_string(rs->name, sizeof(rs->name));
	else
		fputs("null", stdout);
	putchar(',');
	json_uint("pos", rs->pos);
	putchar(',');
	json_uint("lag", rs->lag);
	printf(",\"pid\":%ld,", rs->pid);
	json_bool("alive", rs->alive);
	putchar(',');
	json_uint("sleeps", rs->sleeps);
	putchar(',');
	json_uint("skipped", rs->skipped);
	putchar('}');
}

/* One ring, as an element of "rings"; sep is "" or ",". */
void
json_ring(const char *sep, const char *name, struct shmcat_ring *r,
    const struct shmcat_status *st)
{
	struct shmcat_reader_status rs;
	int i;

	printf("%s{", sep);
	json_key("name");
	json_string(name, SHMCAT_NAME_MAX);
	putchar(',');
	json_key("state");
	json_string(st->state, 32);
	printf(",\"capacity\":%" PRIu64 ",\"object_size\":%" PRIu64
	    ",\"buffered\":%" PRIu64 ",\"fill_pct\":%u,\"bytes_in\":%" PRIu64
	    ",\"bytes_out\":%" PRIu64 ",", st->capacity, st->object_size,
	    st->buffered, (unsigned)(st->buffered * 100 / st->capacity),
	    st->tail, st->floor);
	json_key("record_mode");
	json_string(st->record_mode, 32);
	printf(",\"created\":%" PRId64 ",\"creator_pid\":%ld,", st->created_sec,
	    st->creator_pid);
	json_key("dir");
	json_string(st->dir, PATH_MAX);
	putchar(',');
	json_key("fs");
	json_string(st->fs, 32);
	printf(",\"page_size\":%" PRIu64 ",\"features\":{\"compat\":%" PRIu32
	    ",\"ro_compat\":%" PRIu32 ",\"incompat\":%" PRIu32 "},",
	    st->page_size, st->feat_compat, st->feat_ro_compat,
	    st->feat_incompat);
	printf("\"writer\":{\"pid\":%ld,", st->writer_pid);
	json_bool("alive", st->writer_alive);
	printf(",\"active\":%d,", st->writers_active);
	json_uint("sleeps", st->writer_sleeps);
	printf("},\"readers_alive\":%d,\"readers\":[", st->readers_alive);
	for (i = 0; shmcat_reader_status(r, i, &rs) == 0; i++) {
		if (i > 0)
			putchar(',');
		json_reader(&rs);
	}
	fputs("]}", stdout);
}

/* An object named like a ring that is not one (state "invalid") or whose
 * header holds impossible values ("corrupt"). */
void
json_bad_ring(const char *sep, const char *name, const char *state,
    const char *error)
{
	printf("%s{", sep);
	json_key("name"); /* (a build file's NAME~PID.NONCE is longer) */
	json_string(name, NAME_MAX);
	putchar(',');
	json_key("state");
	json_string(state, 32);
	putchar(',');
	json_key("error");
	json_string(error, 256);
	putchar('}');
}

void
json_begin(void)
{
	fputs("{\"schema\":1,\"rings\":[", stdout);
}

void
json_end(void)
{
	fputs("]}\n", stdout);
}
