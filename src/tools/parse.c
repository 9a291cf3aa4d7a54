/* parse.c - the numbers on our command lines, range-checked. */
#include <errno.h>
#include <stdlib.h>

#include "tool.h"

/* Bytes with an optional K, M or G suffix (powers of 1024). */
int
parse_size(const char *s, size_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	}
	if (*end == 'i' && mult > 1)
		end++;
	if (*end == 'B' && mult > 1)
		end++;
	/* at most 64 GiB: a ring is backed by memory */
	if (*end != '\0' || v == 0 || v > (64ULL << 30) / mult)
		return -1;
	*out = v * mult;
	return 0;
}

int
parse_timeout(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= 0) || v > 86400.0 * 24)
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

int
parse_mode(const char *s, mode_t *mode)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 8);
	if (errno || end == s || *end != '\0' || v <= 0 || v > 0777)
		return -1;
	*mode = (mode_t)v;
	return 0;
}
