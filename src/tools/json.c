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

/* s[0..max) up to its first NUL, as a JSON string, to f. */
static void
json_string_to(FILE *f, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	putc('"', f);
	for (i = 0; i < max && p[i] != '\0'; i++) {
		switch (p[i]) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (p[i] < 0x20 || p[i] >= 0x7f)
				fprintf(f, "\\u%04x", p[i]);
			else
				putc(p[i], f);
		}
	}
	putc('"', f);
}

static void
json_string(const char *s, size_t max)
{
	json_string_to(stdout, s, max);
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

/* A rate in whole bytes per second, or null if not known. */
static void
json_rate(const char *key, double rate)
{
	if (rate < 0)
		printf("\"%s\":null", key);
	else
		printf("\"%s\":%.0f", key, rate);
}

static void
json_reader(const struct shmcat_reader_status *rs, const double *rate)
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
	if (rate) {
		putchar(',');
		json_rate("rate", *rate);
	}
	putchar('}');
}

/* One ring, as an element of "rings"; sep is "" or ",".  With rates
 * (--watch), also the rates since the last tick. */
void
json_ring(const char *sep, const char *name, struct shmcat_ring *r,
    const struct shmcat_status *st, const struct ring_rates *rates)
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
	if (rates) {
		json_rate("in_rate", rates->in);
		putchar(',');
		json_rate("out_rate", rates->out);
		putchar(',');
	}
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
		json_reader(&rs, rates && i < SHMCAT_MAX_READERS ?
		    &rates->reader[i] : NULL);
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

/* A line of --watch --json: tick counts from 0, time is the wall
 * clock, interval what --watch asked for, both in seconds. */
void
json_tick_begin(unsigned long tick, double time, double interval)
{
	printf("{\"schema\":1,\"tick\":%lu,\"time\":%.3f,\"interval\":%.3f,"
	    "\"rings\":[", tick, time, interval);
}

void
json_end(void)
{
	fputs("]}\n", stdout);
}

/* The filters' --stats=json: one object on one line of f (stderr, as
 * the stream has stdout); final is 0 for a report SIGUSR1 asked for. */
void
json_stats(FILE *f, const char *prog, const char *ring, int final,
    const struct shmcat_counters *c, double secs)
{
	fputs("{\"program\":", f);
	json_string_to(f, prog, 32);
	fputs(",\"ring\":", f);
	json_string_to(f, ring, SHMCAT_NAME_MAX);
	fprintf(f, ",\"final\":%s,\"bytes\":%" PRIu64 ",\"seconds\":%.6f,"
	    "\"bytes_per_second\":%.0f,\"sleeps\":%" PRIu64 ",\"skipped\":%"
	    PRIu64 "}\n", final ? "true" : "false", c->bytes, secs,
	    secs > 0 ? (double)c->bytes / secs : 0.0, c->sleeps, c->skipped);
}
