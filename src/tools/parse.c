/* parse.c - the numbers on our command lines: exactly the forms the man
 * pages document, range-checked; no strtod/strtol leniency (leading
 * blanks, signs, 0x, exponents, inf). */
#include <stdint.h>
#include <string.h>

#include "tool.h"

#define SIZE_MAX_BYTES (64ULL << 30) /* a ring is backed by memory */

/* Decimal digits at s: their value in *v (capped just above limit, so
 * no overflow), their count returned. */
static size_t
digits(const char *s, uint64_t limit, uint64_t *v)
{
	size_t n = 0;

	*v = 0;
	for (; s[n] >= '0' && s[n] <= '9'; n++)
		if (*v <= limit)
			*v = *v * 10 + (uint64_t)(s[n] - '0');
	return n;
}

/* Digits, then nothing, K, M, G, KiB, MiB or GiB (powers of 1024);
 * 1 byte to 64G. */
int
parse_size(const char *s, size_t *out)
{
	static const char *const suffix[] = {"", "K", "M", "G"};
	uint64_t v, mult = 1;
	size_t n = digits(s, SIZE_MAX_BYTES, &v), i;
	const char *u = s + n;

	if (n == 0)
		return -1;
	for (i = 0; i < 4; i++, mult <<= 10)
		if (strcmp(u, suffix[i]) == 0 ||
		    (i > 0 && strncmp(u, suffix[i], 1) == 0 &&
		    strcmp(u + 1, "iB") == 0))
			break;
	if (i == 4 || v == 0 || v > SIZE_MAX_BYTES / mult)
		return -1;
	*out = (size_t)(v * mult);
	return 0;
}

/* Digits with an optional fraction (2, 0.5), rounded to milliseconds,
 * but never down to 0 from above it: 0 is "do not wait" (-t 0), a
 * different thing; at most TIMEOUT_MAX seconds, which fits an int of
 * milliseconds. */
int
parse_timeout(const char *s, int *ms)
{
	uint64_t sec, frac = 0, scale = 1;
	size_t n = digits(s, TIMEOUT_MAX, &sec), f = 0;

	if (n == 0)
		return -1;
	if (s[n] == '.') {
		f = digits(s + n + 1, UINT64_MAX, &frac);
		if (f == 0)
			return -1;
		/* keep four digits: milliseconds and one to round by */
		for (frac = 0, scale = 0; scale < 4; scale++)
			frac = frac * 10 + (scale < f ? (uint64_t)(s[n + 1 + scale] - '0') : 0);
		n += 1 + f;
	}
	if (s[n] != '\0' || sec > TIMEOUT_MAX ||
	    (sec == TIMEOUT_MAX && frac != 0))
		return -1;
	*ms = (int)(sec * 1000 + (frac + 5) / 10);
	if (*ms == 0 && strspn(s, "0.") != strlen(s))
		*ms = 1;
	return 0;
}

/* One to four octal digits, 1 to 0777. */
int
parse_mode(const char *s, mode_t *mode)
{
	unsigned v = 0;
	size_t n;

	for (n = 0; s[n] >= '0' && s[n] <= '7'; n++)
		v = v * 8 + (unsigned)(s[n] - '0');
	if (n == 0 || n > 4 || s[n] != '\0' || v == 0 || v > 0777)
		return -1;
	*mode = (mode_t)v;
	return 0;
}
