/* check.h - the smallest test harness: CHECK prints file:line and what failed. */
#ifndef SIPALGD_TEST_CHECK_H
#define SIPALGD_TEST_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                       \
		}                                                               \
	} while (0)

#define CHECK_EQ(a, b)                                                          \
	do {                                                                    \
		long long va_ = (long long)(a), vb_ = (long long)(b);           \
		if (va_ != vb_) {                                               \
			fprintf(stderr, "%s:%d: FAILED: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, #a, #b, va_, vb_);          \
			check_failures++;                                       \
		}                                                               \
	} while (0)

#define RUN(test)                                                               \
	do {                                                                    \
		int before_ = check_failures;                                   \
		test();                                                         \
		printf("%-40s %s\n", #test, check_failures == before_ ? "ok" : "FAILED"); \
	} while (0)

#define CHECK_DONE() (check_failures ? (fprintf(stderr, "%d check(s) failed\n", check_failures), 1) : 0)

#endif
