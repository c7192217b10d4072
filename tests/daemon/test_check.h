/*
 * test_check.h - the daemon tests' CHECK: a failed condition prints where and
 * why, counts in the test file's own `failures`, and the test goes on.
 */
#ifndef SIPALGD_TEST_CHECK_H
#define SIPALGD_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			failures++;                                           \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
		}                                                             \
	} while (0)

#endif
