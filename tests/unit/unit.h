/*
 * unit.h - the checks of the C unit tests.  A failed check prints where
 * and what, and the test goes on, so one run lists every failure;
 * unit_done() prints the count and is main's exit status.
 */
#ifndef SHMCAT_UNIT_H
#define SHMCAT_UNIT_H

#include <stdio.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond)                                                         \
	do {                                                                \
		checks++;                                                   \
		if (!(cond)) {                                              \
			failures++;                                         \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n",    \
			    __FILE__, __LINE__, __func__, #cond);           \
		}                                                           \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);         \
		checks++;                                                   \
		if (a_ != b_) {                                             \
			failures++;                                         \
			fprintf(stderr, "%s:%d: %s: %s == %lld, expected "  \
			    "%s == %lld\n", __FILE__, __LINE__, __func__,   \
			    #a, a_, #b, b_);                                \
		}                                                           \
	} while (0)

/* CHECK_MSG(cond, printf-args): the arguments say which case failed. */
#define CHECK_MSG(cond, ...)                                                \
	do {                                                                \
		checks++;                                                   \
		if (!(cond)) {                                              \
			failures++;                                         \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__,  \
			    __func__);                                      \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
		}                                                           \
	} while (0)

/* CHECK_STR(actual, expected, what): what names the case in the report. */
#define CHECK_STR(a, b, what)                                               \
	do {                                                                \
		const char *a_ = (a), *b_ = (b);                            \
		checks++;                                                   \
		if (strcmp(a_, b_) != 0) {                                  \
			failures++;                                         \
			fprintf(stderr, "%s:%d: %s: %s: '%s', expected "    \
			    "'%s'\n", __FILE__, __LINE__, __func__, (what), \
			    a_, b_);                                        \
		}                                                           \
	} while (0)

static inline int
unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, checks, failures);
	return failures != 0;
}

#endif
