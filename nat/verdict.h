/*
 * verdict.h - verdicts for NFQUEUE packets, batched: consecutive plain
 * accepts become one NFQNL_MSG_VERDICT_BATCH (it accepts every queued packet
 * with an id up to the given one), a rewritten packet becomes one
 * NFQNL_MSG_VERDICT carrying NFQA_PAYLOAD, and all of them leave in as few
 * send() calls as the buffer allows. Order is kept: pending accepts are
 * written before a rewrite, so packets leave in the order they came.
 */
#ifndef SIPALGD_NAT_VERDICT_H
#define SIPALGD_NAT_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* Sends one buffer of netlink messages; returns 0 or -errno. */
typedef int (*nat_send_fn)(void *arg, const void *buf, size_t len);

struct nat_verdicts {
	uint8_t *buf;
	size_t cap, used;
	uint16_t queue;
	bool accept_pending;
	uint32_t accept_id;	/* highest id of the pending accepts */
	unsigned held;		/* packets whose verdict is deferred (TCP reassembly):
				 * while any is, accepts are sent one by one, since a
				 * batch verdict would accept the held ones too */
	nat_send_fn send;
	void *send_arg;
	/* counters */
	uint64_t sends, send_errors;
	uint64_t batch_msgs, payload_msgs, ct_msgs;	/* ct_msgs: accepts with NFQA_CT */
	uint64_t single_msgs;	/* plain accepts sent alone while a packet was held */
	/* Optional, one packet's own attributes (nat/verdict_exp.c: its NFQA_EXP).
	 * Packet extra_id's verdict, whichever function writes it, becomes its own
	 * NFQNL_MSG_VERDICT with NFQA_CT and what put_extra appends (0 = done). */
	bool extra_pending;
	uint32_t extra_id;
	int (*put_extra)(void *arg, struct nlmsghdr *nlh, size_t cap);
	void *extra_arg;
	uint64_t extra_msgs;
};

/* cap: buffer size; must hold one 64 KiB packet verdict (>= 70000). */
int nat_verdicts_init(struct nat_verdicts *v, uint16_t queue, size_t cap,
		      nat_send_fn send, void *send_arg);
void nat_verdicts_free(struct nat_verdicts *v);

/*
 * Accept packet id unchanged. Ids come in increasing order, except that a
 * packet counted in ->held gets its verdict later than packets after it.
 */
int nat_verdict_accept(struct nat_verdicts *v, uint32_t id);

/*
 * Accept packet id unchanged, with CTA_TIMEOUT ct_timeout (s) in an NFQA_CT
 * nest: the kernel applies it to the packet's conntrack after that packet's
 * own refresh. Its own NFQNL_MSG_VERDICT (a batch verdict carries no
 * attributes); pending accepts are written first, so order is kept.
 */
int nat_verdict_accept_ct(struct nat_verdicts *v, uint32_t id, uint32_t ct_timeout);

/*
 * Accept packet id with a new payload (the whole IP packet). attach_ct adds
 * an NFQA_CT nest: the kernel then runs its conntrack glue on the verdict,
 * which is what adjusts TCP sequence numbers when the length changed.
 * ct_timeout (s, 0 = none) goes into that nest as CTA_TIMEOUT.
 */
int nat_verdict_payload(struct nat_verdicts *v, uint32_t id,
			const void *pkt, size_t len, bool attach_ct,
			uint32_t ct_timeout);

/* A packet's verdict is deferred / the deferred verdict is now written. */
void nat_verdict_hold(struct nat_verdicts *v);
void nat_verdict_unhold(struct nat_verdicts *v);

/* Write the pending batch accept and send everything. 0 or -errno. */
int nat_verdicts_flush(struct nat_verdicts *v);

#endif
