/*
 * verdict_exp.h - pinholes for a flow's very first packet.
 *
 * While a flow's first packet sits in our queue its conntrack is not
 * confirmed, and ctnetlink's IPCTNL_MSG_EXP_NEW naming it as master answers
 * ENOENT (DESIGN.md fact 7). The verdict itself can carry ONE expectation:
 * nfqnl_recv_verdict() attaches NFQA_EXP to the packet's own conntrack,
 * confirmed or not, via ctnetlink_glue_attach_expect() ->
 * ctnetlink_alloc_expect(), the same parser EXP_NEW uses (NAT, FN, CLASS
 * honoured). The kernel ignores that call's result: nothing reports an error.
 *
 * So struct nat_exp wraps the rtp_kernel_ops the pinhole planner uses. For a
 * packet whose conntrack lacks IPS_CONFIRMED (CTA_STATUS in the NFQA_CT the
 * queue attached), requests naming that master do not go to ctnetlink:
 *   - the first create (the planner orders a side's holes IN_RTP first: the
 *     one the far side's media needs) rides in the packet's verdict;
 *   - the others (RTCP, more streams) are queued and sent over ctnetlink by
 *     nat_exp_after_flush(), once the verdict flush has confirmed the master;
 *     ENOENT is retried once, a failure is handed back to the planner
 *     (rtp_expect_lost) and counted;
 *   - a delete of one not sent yet just cancels it; a delete of one that a
 *     verdict of this drain carries is sent after the flush.
 * A packet whose master IS confirmed makes no round trip either: its
 * requests (creates and deletes) are queued the same way and sent after the
 * flush, the whole drain's together, 16 to a datagram (ctnetlink answers the
 * failed ones inside the sendto: expect_nl.c never waits). Only there a delete never cancels
 * a queued create: the kernel may hold an older expectation of that tuple,
 * which the create would replace. With the queue full a request goes at once
 * (sent_at_once), unless that would overtake one queued for the same tuple.
 * Requests made outside a packet (timers, reload) go at once, as before.
 * All are answered 0 at once, so rtp/ records them as created and stays
 * the one owner of what exists; a later failure comes back through
 * rtp_expect_lost.
 */
#ifndef SIPALGD_NAT_VERDICT_EXP_H
#define SIPALGD_NAT_VERDICT_EXP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nfqueue.h"
#include "rtp.h"
#include "verdict.h"

#define NAT_EXP_DEFER_MAX 512	/* a drain's worth (64 packets, 8 requests each) */

struct nat_exp_stats {
	uint64_t unconfirmed;	/* packets whose master was not confirmed yet */
	uint64_t in_verdict;	/* expectations written into a verdict's NFQA_EXP */
	uint64_t deferred;	/* queued for after the flush */
	uint64_t deferred_sent, deferred_failed, deferred_retried;
	uint64_t cancelled;	/* deleted before they were sent */
	uint64_t deletes_deferred;	/* deletes of verdict-attached ones, after the flush */
	uint64_t refused_full;	/* deferral queue full: the create failed at once */
	uint64_t batched;	/* confirmed masters' requests sent after the flush */
	uint64_t sent_at_once;	/* ...or at once, the deferral queue being full */
	int last_error;
};

struct nat_exp {
	/* set by the daemon */
	const struct rtp_kernel_ops *inner;	/* ctnetlink (rtp_nl_ops) */
	void *inner_arg;
	struct rtp_table *rtp;			/* told of deferred failures */
	struct nat_verdicts *verdicts;
	bool use_verdict;	/* false: every request of such a packet is deferred */
	/* the packet being processed */
	bool in_packet, unconfirmed;
	uint32_t id;
	struct rtp_master master;
	bool slot_used, slot_attached;
	struct rtp_expect slot;
	/* sent after the flush, in order: creates, and deletes of ones this
	 * drain's verdicts carry (the kernel has them only after the flush) */
	unsigned n_deferred;
	struct rtp_expect deferred[NAT_EXP_DEFER_MAX];
	bool deferred_create[NAT_EXP_DEFER_MAX];
	bool deferred_fresh[NAT_EXP_DEFER_MAX];	/* its master was unconfirmed */
	unsigned n_attached;
	struct rtp_expect attached[NAT_EXP_DEFER_MAX];	/* in this drain's verdicts */
	struct nat_exp_stats stats;
};

/* The ops to give rtp_table_new(); their arg is the struct nat_exp. */
extern const struct rtp_kernel_ops nat_exp_ops;

void nat_exp_init(struct nat_exp *x, const struct rtp_kernel_ops *inner, void *inner_arg,
		  struct nat_verdicts *verdicts);

/*
 * The packet path, once it knows the packet's master and before the engine
 * runs: is that master unconfirmed? It also closes the previous packet (whose
 * verdict is written by now): an expectation its verdict did not take is
 * deferred instead.
 */
void nat_exp_packet(struct nat_exp *x, const struct nat_packet *pkt,
		    const struct rtp_master *master);

/* The run loop, right after each verdict flush: the deferred requests. */
void nat_exp_after_flush(struct nat_exp *x);

/* The status section "[first packets]": the counters above. */
void nat_exp_status(const struct nat_exp *x, FILE *out);

/* True when the master's NFQA_CT attributes carry a status without IPS_CONFIRMED. */
bool nat_exp_ct_unconfirmed(const void *ct_attrs, size_t len);

/*
 * The NFQA_EXP nest for e at nlh's tail (cap: bytes from nlh that may be
 * written). The verdict must also carry NFQA_CT: the kernel reads NFQA_EXP
 * only with it. 0 or -ENOSPC.
 */
int nat_exp_put_nest(struct nlmsghdr *nlh, size_t cap, const struct rtp_expect *e);

#endif
