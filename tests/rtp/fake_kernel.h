/*
 * fake_kernel.h - a recording struct rtp_kernel_ops for the planning tests.
 *
 * Keeps the expectations a kernel would hold (create of an equal tuple on the
 * same master replaces it, like ctnetlink's refresh path; delete of a missing
 * one is -ENOENT) and a log of every call in order.
 */
#ifndef SIPALGD_TEST_FAKE_KERNEL_H
#define SIPALGD_TEST_FAKE_KERNEL_H

#include <stdbool.h>

#include "rtp.h"

#define FAKE_MAX 256

struct fake_call {
	char op;			/* 'C' create, 'D' delete */
	struct rtp_expect e;
};

struct fake_kernel {
	unsigned n_live;
	struct rtp_expect live[FAKE_MAX];
	unsigned n_calls;
	struct fake_call calls[FAKE_MAX * 4];
	int fail_create;		/* next creates return this (0 = succeed) */
	unsigned n_batches;		/* expect_batch calls: round trips */
	bool unbounded;			/* past FAKE_MAX live: creates succeed unrecorded */
	unsigned long n_unrecorded;	/* ... how many (benches, large tests) */
};

extern const struct rtp_kernel_ops fake_ops;		/* with expect_batch */
extern const struct rtp_kernel_ops fake_ops_single;	/* without: one call each */

void fake_reset(struct fake_kernel *k);
/* The live expectation whose destination is ip:port, or NULL. */
const struct rtp_expect *fake_find_dst(const struct fake_kernel *k, const char *ip,
				       unsigned port);
/* The live expectation whose source is ip:port (siblings), or NULL. */
const struct rtp_expect *fake_find_src(const struct fake_kernel *k, const char *ip,
				       unsigned port);
/* As if the expected flow arrived: the kernel drops the expectation. */
void fake_consume_all(struct fake_kernel *k);
unsigned fake_count(const struct fake_kernel *k, char op);

#endif
