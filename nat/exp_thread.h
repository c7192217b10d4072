/*
 * exp_thread.h - the pinhole table's kernel ops when several queue workers
 * share one table (daemon/worker.c). Each worker has its own first-packet
 * layer (struct nat_exp: its verdict batch, its deferred requests, its
 * ctnetlink socket), so a request goes to the nat_exp of the thread that
 * makes it. A thread that named none (the main thread: timers, reload, and
 * queue 0's packets) uses the ops' arg, as with nat_exp_ops.
 */
#ifndef SIPALGD_NAT_EXP_THREAD_H
#define SIPALGD_NAT_EXP_THREAD_H

#include "verdict_exp.h"

extern const struct rtp_kernel_ops nat_exp_thread_ops;

/* This thread's requests go to x from now on (NULL: to the ops' arg). */
void nat_exp_set_thread(struct nat_exp *x);

#endif
