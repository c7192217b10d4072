/* verdict_exp.c - a first packet's pinholes: in its verdict, or after the flush; see verdict_exp.h. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "expect_nl.h"
#include "table_lock.h"
#include "verdict_exp.h"

static int status_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTA_STATUS &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*(const struct nlattr **)data = a;
	return MNL_CB_OK;
}

bool nat_exp_ct_unconfirmed(const void *ct_attrs, size_t len)
{
	const struct nlattr *status = NULL;

	if (!ct_attrs || !len ||
	    mnl_attr_parse_payload(ct_attrs, len, status_cb, &status) < MNL_CB_STOP || !status)
		return false;	/* unknown: today's path */
	return !(ntohl(mnl_attr_get_u32(status)) & IPS_CONFIRMED);
}

int nat_exp_put_nest(struct nlmsghdr *nlh, size_t cap, const struct rtp_expect *e)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, cap, NFQA_EXP);

	if (!nest)
		return -ENOSPC;
	if (rtp_nl_put_new_attrs(nlh, cap, e) < 0) {
		mnl_attr_nest_cancel(nlh, nest);
		return -ENOSPC;
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

/* verdict.h's put_extra: the slot of the packet whose verdict this is. */
static int put_slot(void *arg, struct nlmsghdr *nlh, size_t cap)
{
	struct nat_exp *x = arg;

	if (!x->slot_used || nat_exp_put_nest(nlh, cap, &x->slot) < 0)
		return -ENOSPC;
	x->slot_attached = true;
	x->stats.in_verdict++;
	if (x->n_attached < NAT_EXP_DEFER_MAX)
		x->attached[x->n_attached++] = x->slot;
	return 0;
}

void nat_exp_init(struct nat_exp *x, const struct rtp_kernel_ops *inner, void *inner_arg,
		  struct nat_verdicts *verdicts)
{
	memset(x, 0, sizeof(*x));
	x->inner = inner;
	x->inner_arg = inner_arg;
	x->verdicts = verdicts;
	x->use_verdict = true;
	verdicts->put_extra = put_slot;
	verdicts->extra_arg = x;
}

static bool defer_op(struct nat_exp *x, bool create, const struct rtp_expect *e, bool fresh)
{
	if (x->n_deferred >= NAT_EXP_DEFER_MAX) {
		x->stats.refused_full++;
		return false;
	}
	x->deferred_create[x->n_deferred] = create;
	x->deferred_fresh[x->n_deferred] = fresh;
	x->deferred[x->n_deferred++] = *e;
	if (create)
		x->stats.deferred++;
	else
		x->stats.deletes_deferred++;
	return true;
}

/* A create for an unconfirmed master: the kernel cannot hold it yet. */
static bool defer(struct nat_exp *x, const struct rtp_expect *e)
{
	return defer_op(x, true, e, true);
}

/* The packet before: its verdict is written, so its slot went in or did not. */
static void close_packet(struct nat_exp *x)
{
	if (x->slot_used && !x->slot_attached && !defer(x, &x->slot) && x->rtp) {
		nat_table_lock();
		rtp_expect_lost(x->rtp, &x->slot, -ENOSPC);
		nat_table_unlock();
	}
	x->slot_used = x->slot_attached = false;
	x->verdicts->extra_pending = false;
	x->in_packet = x->unconfirmed = false;
}

void nat_exp_packet(struct nat_exp *x, const struct nat_packet *pkt,
		    const struct rtp_master *master)
{
	close_packet(x);
	x->in_packet = true;
	x->id = pkt->id;
	x->master = *master;
	x->unconfirmed = pkt->ct && nat_exp_ct_unconfirmed(pkt->ct, pkt->ct_len);
	if (x->unconfirmed)
		x->stats.unconfirmed++;
}

/* Field by field: struct padding is not part of the key. */
static bool master_eq(const struct rtp_master *a, const struct rtp_master *b)
{
	return sipalg_addr_same_ip(&a->src, &b->src) && a->src.port == b->src.port &&
	       sipalg_addr_same_ip(&a->dst, &b->dst) && a->dst.port == b->dst.port &&
	       a->l4proto == b->l4proto && a->zone == b->zone;
}

static bool same_expect(const struct rtp_expect *a, const struct rtp_expect *b)
{
	return master_eq(&a->master, &b->master) &&
	       a->l4proto == b->l4proto && sipalg_addr_same_ip(&a->src, &b->src) &&
	       a->src.port == b->src.port && sipalg_addr_same_ip(&a->dst, &b->dst) &&
	       a->dst.port == b->dst.port && a->src_any_addr == b->src_any_addr &&
	       a->src_any_port == b->src_any_port;
}

/* A delete of one that never reached the kernel: take it off the list. */
static bool cancel(struct nat_exp *x, const struct rtp_expect *e)
{
	unsigned i;

	if (x->slot_used && !x->slot_attached && same_expect(&x->slot, e)) {
		x->slot_used = false;
		x->verdicts->extra_pending = false;
		x->stats.cancelled++;
		return true;
	}
	for (i = 0; i < x->n_deferred; i++) {
		/* Only a fresh one is known absent from the kernel; a create for a
		 * confirmed master may refresh one it holds, so its delete is sent. */
		if (x->deferred_create[i] && x->deferred_fresh[i] &&
		    same_expect(&x->deferred[i], e)) {
			/* keep the order: a later delete/create pair must stay a pair */
			memmove(&x->deferred[i], &x->deferred[i + 1],
				(x->n_deferred - i - 1) * sizeof(x->deferred[0]));
			memmove(&x->deferred_create[i], &x->deferred_create[i + 1],
				(x->n_deferred - i - 1) * sizeof(x->deferred_create[0]));
			memmove(&x->deferred_fresh[i], &x->deferred_fresh[i + 1],
				(x->n_deferred - i - 1) * sizeof(x->deferred_fresh[0]));
			x->n_deferred--;
			x->stats.cancelled++;
			return true;
		}
	}
	/* In a verdict of this drain: in the kernel only once flushed. */
	for (i = 0; i < x->n_attached; i++) {
		if (same_expect(&x->attached[i], e) && defer_op(x, false, e, false)) {
			x->attached[i] = x->attached[--x->n_attached];
			return true;
		}
	}
	return false;
}

/* A request naming the unconfirmed master of the packet in hand. */
static int hold(struct nat_exp *x, bool create, const struct rtp_expect *e)
{
	if (!create)
		return cancel(x, e) ? 0 : -ENOENT;
	if (x->use_verdict && !x->slot_used) {
		x->slot = *e;
		x->slot_used = true;
		x->verdicts->extra_pending = true;
		x->verdicts->extra_id = x->id;
		return 0;
	}
	return defer(x, e) ? 0 : -ENOSPC;
}

static bool held(const struct nat_exp *x, const struct rtp_expect *e)
{
	return x->in_packet && x->unconfirmed && master_eq(&e->master, &x->master);
}

static void inner_batch(struct nat_exp *x, struct rtp_expect_op *ops, unsigned n)
{
	unsigned i;

	if (x->inner->expect_batch) {
		x->inner->expect_batch(x->inner_arg, ops, n);
		return;
	}
	for (i = 0; i < n; i++)
		ops[i].err = ops[i].create ? x->inner->expect_create(x->inner_arg, ops[i].e)
					   : x->inner->expect_delete(x->inner_arg, ops[i].e);
}

#define PASS_MAX 16	/* a side's batch is at most 8 requests */

static bool pending_for(const struct nat_exp *x, const struct rtp_expect *e)
{
	unsigned i;

	for (i = 0; i < x->n_deferred; i++)
		if (same_expect(&x->deferred[i], e))
			return true;
	return false;
}

/*
 * A request made while a packet with a confirmed master is in hand: queued
 * and sent with the drain's others after the verdict flush, so the packet
 * loop makes no netlink round trip per packet. The packet leaves a few
 * microseconds before its pinholes exist; the far end's media cannot come
 * before it has the packet. Answered 0: rtp/ records it, and a failure comes
 * back through rtp_expect_lost. The queue full: sent at once, unless that
 * would overtake a queued request for the same expectation.
 */
static void defer_batch(struct nat_exp *x, struct rtp_expect_op *ops, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (!ops[i].create && cancel(x, ops[i].e)) {
			ops[i].err = 0;
		} else if (defer_op(x, ops[i].create, ops[i].e, false)) {
			x->stats.batched++;
			ops[i].err = 0;
		} else if (pending_for(x, ops[i].e)) {
			ops[i].err = -ENOSPC;
		} else {
			x->stats.sent_at_once++;
			inner_batch(x, &ops[i], 1);
		}
	}
}

static void exp_batch(void *arg, struct rtp_expect_op *ops, unsigned n)
{
	struct nat_exp *x = arg;
	struct rtp_expect_op rest[PASS_MAX];
	unsigned idx[PASS_MAX], i, m = 0;

	/* A side's batch names one master (rtp_internal.h): all held or none. */
	if (n && held(x, ops[0].e)) {
		for (i = 0; i < n; i++)
			ops[i].err = hold(x, ops[i].create, ops[i].e);
		return;
	}
	if (x->in_packet) {
		defer_batch(x, ops, n);
		return;
	}
	if ((!x->n_deferred && !x->n_attached) || n > PASS_MAX) {
		inner_batch(x, ops, n);
		return;
	}
	/* A later packet of the drain (another flow: a CANCEL, a BYE) may
	 * delete what an earlier one deferred: that never reaches the kernel. */
	for (i = 0; i < n; i++) {
		if (!ops[i].create && cancel(x, ops[i].e)) {
			ops[i].err = 0;
			continue;
		}
		idx[m] = i;
		rest[m++] = ops[i];
	}
	if (!m)
		return;
	inner_batch(x, rest, m);
	for (i = 0; i < m; i++)
		ops[idx[i]].err = rest[i].err;
}

static int exp_create(void *arg, struct rtp_expect *e)
{
	struct rtp_expect_op op = { .create = true, .e = e };

	exp_batch(arg, &op, 1);
	return op.err;
}

static int exp_delete(void *arg, const struct rtp_expect *e)
{
	struct rtp_expect_op op = { .create = false, .e = (struct rtp_expect *)e };

	exp_batch(arg, &op, 1);
	return op.err;
}

const struct rtp_kernel_ops nat_exp_ops = {
	.expect_create = exp_create,
	.expect_delete = exp_delete,
	.expect_batch = exp_batch,
};

static void send_deferred(struct nat_exp *x, unsigned n, struct rtp_expect_op *ops)
{
	unsigned i;

	for (i = 0; i < n; i++)
		ops[i] = (struct rtp_expect_op){ .create = x->deferred_create[i], .e = &x->deferred[i] };
	inner_batch(x, ops, n);
}

static void lost(struct nat_exp *x, const struct rtp_expect *e, int err)
{
	x->stats.deferred_failed++;
	x->stats.last_error = err;
	if (x->rtp) {
		nat_table_lock();	/* shared by the queue workers (table_lock.h) */
		rtp_expect_lost(x->rtp, e, err);
		nat_table_unlock();
	}
}

void nat_exp_after_flush(struct nat_exp *x)
{
	static _Thread_local struct rtp_expect_op ops[NAT_EXP_DEFER_MAX];	/* one per worker */
	unsigned i, n, again = 0;

	close_packet(x);
	x->n_attached = 0;	/* flushed: the kernel has them now */
	n = x->n_deferred;
	if (!n)
		return;
	send_deferred(x, n, ops);
	x->stats.deferred_sent += n;
	/* ENOENT on a create: the master is still not in the table (the flush
	 * failed, or the packet clashed with another first packet of its flow).
	 * Once more; then it is lost. A delete's ENOENT: gone already. The
	 * retried ones move to the front, in order. */
	for (i = 0; i < n; i++) {
		if (!x->deferred_create[i])
			continue;
		if (ops[i].err == -ENOENT) {
			x->deferred[again] = x->deferred[i];
			x->deferred_create[again++] = true;
		} else if (ops[i].err) {
			lost(x, &x->deferred[i], ops[i].err);
		}
	}
	x->n_deferred = 0;
	if (!again)
		return;
	x->stats.deferred_retried += again;
	send_deferred(x, again, ops);
	for (i = 0; i < again; i++)
		if (ops[i].err)
			lost(x, &x->deferred[i], ops[i].err);
}

void nat_exp_status(const struct nat_exp *x, FILE *out)
{
	const struct nat_exp_stats *s = &x->stats;

	fprintf(out, "\n[first packets]\nunconfirmed_masters %llu\nin_verdict %llu\n"
		"deferred %llu\ndeferred_sent %llu\ndeferred_retried %llu\ndeferred_failed %llu\n"
		"cancelled %llu\ndeletes_deferred %llu\nrefused_full %llu\nlast_error %d\n"
		"batched_after_flush %llu\nsent_at_once %llu\n",
		(unsigned long long)s->unconfirmed, (unsigned long long)s->in_verdict,
		(unsigned long long)s->deferred, (unsigned long long)s->deferred_sent,
		(unsigned long long)s->deferred_retried, (unsigned long long)s->deferred_failed,
		(unsigned long long)s->cancelled, (unsigned long long)s->deletes_deferred,
		(unsigned long long)s->refused_full, s->last_error,
		(unsigned long long)s->batched, (unsigned long long)s->sent_at_once);
}
