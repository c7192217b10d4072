/*
 * pinholes.c - a side's four expectations, as the kernel's "sip" NAT helper
 * (net/netfilter/nf_nat_sip.c) would have set them up:
 *
 *   IN_RTP/IN_RTCP  far (or any) -> public:P   NAT to inside:p, dir = opposite
 *                   to the outbound SDP's direction. nf_nat_sip_expected DNATs
 *                   the far phone's flow to inside:p.
 *   OUT_RTP/RTCP    inside:p -> far:X          NAT to far:X (DNAT is a no-op),
 *                   dir = the outbound direction. When the phone sends first,
 *                   nf_nat_sip_expected finds the IN_ expectation whose saved
 *                   address equals the flow's source and SNATs it to public:P:
 *                   the phone's media leaves from exactly the announced port.
 *
 * The pairing only runs for class != 0 and only among the expectations of one
 * master (of any class), hence side->master and cfg.expect_class >= 1.
 */
#include "rtp_internal.h"

#include <errno.h>
#include <string.h>

static void expect_base(const struct rtp_table *t, const struct rtp_side *s,
			struct rtp_expect *e)
{
	memset(e, 0, sizeof(*e));
	e->master = s->master;
	e->l4proto = IPPROTO_UDP;
	/* no NAT: "sip" would DNAT to an unset saved address */
	e->nat = !s->no_nat;
	e->fn = t->cfg.expect_fn[0] && !s->no_nat ? t->cfg.expect_fn : NULL;
	e->timeout = t->cfg.expect_timeout;
	e->class = s->class;
}

/* RTCP is separate unless the phone offered rtcp-mux and the far side did not refuse it. */
static bool rtcp_separate(const struct rtp_table *t, const struct rtp_stream *st,
			  const struct rtp_side *s)
{
	if (!t->cfg.rtcp)
		return false;
	return !(s->rtcp_mux && (!st->has_far || st->far_mux));
}

/* What the side should have in the kernel now; false = nothing. */
bool side_wanted(const struct rtp_table *t, const struct rtp_stream *st,
		 const struct rtp_side *s, enum rtp_hole h, struct rtp_expect *e)
{
	bool narrow = st->has_far && !t->cfg.wide_source;
	bool rtcp = h == HOLE_IN_RTCP || h == HOLE_OUT_RTCP;

	if (rtcp && !rtcp_separate(t, st, s))
		return false;
	expect_base(t, s, e);
	switch (h) {
	case HOLE_IN_RTP:
	case HOLE_IN_RTCP:
		/* Wide until the far media address is known: the far phone's
		 * first RTP may arrive while the answer naming it is still
		 * queued. The source port is never narrowed - it need not
		 * equal the port the far SDP announced. */
		e->src_any_addr = !narrow;
		e->src_any_port = true;
		e->src.family = s->public.family;	/* :: when wide */
		if (narrow)
			sipalg_addr_set_ip(&e->src, &st->far);
		sipalg_addr_set_ip(&e->dst, &s->public);
		e->dst.port = rtcp ? s->public_rtcp : s->public.port;
		e->nat_dir = !s->out_dir;
		sipalg_addr_set_ip(&e->nat_to, &s->inside);
		e->nat_to.port = rtcp ? s->inside_rtcp : s->inside.port;
		return true;
	case HOLE_OUT_RTP:
	case HOLE_OUT_RTCP:
		/* Only "sip" pairs a sibling with its inbound pinhole; under
		 * another function (nat-follow-master) it would NAT the phone's
		 * media somewhere else (seen in tests/rtp/kernel_check.sh). */
		if (!st->has_far || !e->fn || strcmp(e->fn, "sip"))
			return false;	/* also: no NAT (no fn), nothing to pair */
		if (rtcp && !st->far_rtcp && !st->far_mux)
			return false;	/* the far RTP port was 65535: no RTCP port */
		sipalg_addr_set_ip(&e->src, &s->inside);
		e->src.port = rtcp ? s->inside_rtcp : s->inside.port;
		sipalg_addr_set_ip(&e->dst, &st->far);
		e->dst.port = rtcp ? st->far_rtcp : st->far.port;
		if (rtcp && st->far_mux)
			e->dst.port = st->far.port;
		e->nat_dir = s->out_dir;
		e->nat_to = e->dst;
		return true;
	default:
		return false;
	}
}

/* Field by field: an address's bytes past its family's are not defined. */
bool master_same(const struct rtp_master *a, const struct rtp_master *b)
{
	return addr_eq(&a->src, &b->src) && addr_eq(&a->dst, &b->dst) &&
	       a->l4proto == b->l4proto && a->zone == b->zone;
}

bool hole_same(const struct rtp_hole_expect *h, const struct rtp_expect *e)
{
	return addr_eq(&h->src, &e->src) && addr_eq(&h->dst, &e->dst) &&
	       h->src_any_addr == e->src_any_addr && h->src_any_port == e->src_any_port &&
	       h->nat_dir == e->nat_dir && addr_eq(&h->nat_to, &e->nat_to);
}

void pinhole_keep(struct rtp_hole_expect *h, const struct rtp_expect *e)
{
	*h = (struct rtp_hole_expect){
		.src_any_addr = e->src_any_addr, .src_any_port = e->src_any_port,
		.nat = e->nat, .l4proto = e->l4proto, .nat_dir = (uint8_t)e->nat_dir,
		.src = e->src, .dst = e->dst, .nat_to = e->nat_to, .fn = e->fn,
		.timeout = e->timeout, .class = e->class,
	};
}

void pinhole_expect(const struct rtp_side *s, const struct rtp_hole_expect *h,
		    struct rtp_expect *e)
{
	*e = (struct rtp_expect){
		.master = s->master, .l4proto = h->l4proto, .src = h->src,
		.src_any_addr = h->src_any_addr, .src_any_port = h->src_any_port,
		.dst = h->dst, .nat = h->nat, .nat_dir = h->nat_dir, .nat_to = h->nat_to,
		.fn = h->fn, .timeout = h->timeout, .class = h->class,
	};
}

bool expect_same(const struct rtp_expect *a, const struct rtp_expect *b)
{
	return master_same(&a->master, &b->master) &&
	       addr_eq(&a->src, &b->src) && addr_eq(&a->dst, &b->dst) &&
	       a->src_any_addr == b->src_any_addr &&
	       a->src_any_port == b->src_any_port &&
	       a->nat_dir == b->nat_dir && addr_eq(&a->nat_to, &b->nat_to);
}

/* A side's kernel work for one message: at most a delete and a create per
 * hole, sent in order (a narrowed pinhole's delete before its create: the
 * kernel refuses the narrow one while the wide one exists, EBUSY). */
struct hole_batch {
	unsigned n;
	struct rtp_expect_op op[2 * HOLE_MAX];
	struct rtp_pinhole *ph[2 * HOLE_MAX];
	struct rtp_expect full[2 * HOLE_MAX];	/* what each request names */
};

static void batch_delete(struct hole_batch *b, const struct rtp_side *s,
			 struct rtp_pinhole *ph)
{
	if (!ph->live)
		return;
	ph->live = false;
	pinhole_expect(s, &ph->e, &b->full[b->n]);
	b->op[b->n] = (struct rtp_expect_op){ .create = false, .e = &b->full[b->n] };
	b->ph[b->n++] = ph;
}

static void batch_create(struct hole_batch *b, struct rtp_pinhole *ph,
			 const struct rtp_expect *e)
{
	pinhole_keep(&ph->e, e);
	b->full[b->n] = *e;
	b->op[b->n] = (struct rtp_expect_op){ .create = true, .e = &b->full[b->n] };
	b->ph[b->n++] = ph;
}

/* One round trip for the whole batch when the ops can, then the books. */
static void batch_run(struct rtp_table *t, struct hole_batch *b)
{
	unsigned i;

	if (!b->n)
		return;
	t->changes++;
	if (t->ops->expect_batch) {
		t->ops->expect_batch(t->ops_arg, b->op, b->n);
	} else {
		for (i = 0; i < b->n; i++)
			b->op[i].err = b->op[i].create
				? t->ops->expect_create(t->ops_arg, b->op[i].e)
				: t->ops->expect_delete(t->ops_arg, b->op[i].e);
	}
	rtp_log_ops(t, b->op, b->n);
	for (i = 0; i < b->n; i++) {
		int err = b->op[i].err;

		if (b->op[i].create) {
			b->ph[i]->live = !err;
			if (err) {
				t->stats.expect_failed++;
				t->stats.last_error = err;
			} else {
				t->stats.expect_created++;
			}
		} else if (err == 0) {
			t->stats.expect_removed++;
		} else if (err != -ENOENT) {
			/* ENOENT: the expected flow arrived (or the kernel timed
			 * the expectation out) - nothing left to remove. */
			t->stats.expect_delete_failed++;
			t->stats.last_error = err;
		}
	}
}

void side_sync(struct rtp_table *t, const struct rtp_stream *st,
	       struct rtp_side *s, bool refresh)
{
	struct hole_batch b;
	int h;

	if (!s->active || !t->cfg.expectations)
		return;
	b.n = 0;	/* only the first n entries are ever read */
	for (h = 0; h < HOLE_MAX; h++) {
		struct rtp_pinhole *ph = &s->hole[h];
		struct rtp_expect e;
		bool want = side_wanted(t, st, s, (enum rtp_hole)h, &e);

		if (want && ph->live && hole_same(&ph->e, &e) && !refresh)
			continue;
		/* A narrower expectation clashes with the wide one on the same
		 * destination (EBUSY): the old one goes first. An unchanged
		 * one is simply created again (expect_nl.c replaces it). */
		if (ph->live && (!want || !hole_same(&ph->e, &e)))
			batch_delete(&b, s, ph);
		if (want)
			batch_create(&b, ph, &e);
	}
	batch_run(t, &b);
}

void side_delete_holes(struct rtp_table *t, struct rtp_side *s)
{
	struct hole_batch b;
	int h;

	b.n = 0;
	for (h = 0; h < HOLE_MAX; h++)
		batch_delete(&b, s, &s->hole[h]);
	batch_run(t, &b);
}

void side_close(struct rtp_table *t, struct rtp_side *s)
{
	struct hole_batch b;
	int h;

	if (!s->active)
		return;
	b.n = 0;
	for (h = 0; h < HOLE_MAX; h++)
		batch_delete(&b, s, &s->hole[h]);
	batch_run(t, &b);
	if (s->pooled) {
		struct rtp_dialog *d = port_pool_owner(t->pool, s->public.port);

		if (d)
			host_pair_return(t, d);
		port_pool_release(t->pool, s->public.port);
	}
	t->stats.ports_in_use = port_pool_in_use(t->pool);
	memset(s, 0, sizeof(*s));
}

void stream_close(struct rtp_table *t, struct rtp_stream *st)
{
	if (st->prev) {
		side_close(t, st->prev);
		rtp_mfree(t, st->prev, sizeof(*st->prev));
	}
	side_close(t, &st->cur);
	memset(st, 0, sizeof(*st));
}
