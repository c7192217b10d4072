/*
 * recover.c - rebuild the table at start from the state file's records and
 * the kernel's expectations of our helper (rtp/README.md "Restarts").
 *
 * Who wins: the records name the dialogs (the kernel knows no Call-ID); the
 * kernel says which pinholes exist now. A record's pinhole the kernel lacks
 * was consumed by its media flow or expired: not live, re-created by the
 * call's next SDP as any failed create is. A kernel pinhole on a record's
 * pair leading elsewhere (the file is older than the kernel) wins: the
 * record's stream is dropped and the kernel's pair becomes an orphan. Every
 * pair named by either is held in the pool, so no new call is given it.
 * Without a dump (k NULL: ctnetlink failed) the file's pinholes are taken
 * as live, so a BYE still deletes them.
 */
#include "rtp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* The kernel's expectations sorted by destination: a record's four
 * pinholes are found in O(log m) each, not by a scan per hole. */
struct kindex {
	const struct rtp_expect *k;
	unsigned *ord;
	bool *claimed;
	unsigned m;
};

static int dst_cmp(const struct rtp_expect *a, const struct rtp_expect *b)
{
	uint32_t ai = ntohl(a->dst.ip.s_addr), bi = ntohl(b->dst.ip.s_addr);

	if (ai != bi)
		return ai < bi ? -1 : 1;
	return (int)a->dst.port - (int)b->dst.port;
}

static const struct rtp_expect *sort_base;

static int ord_cmp(const void *a, const void *b)
{
	return dst_cmp(&sort_base[*(const unsigned *)a], &sort_base[*(const unsigned *)b]);
}

/* First position in ord whose destination is e's, or m. */
static unsigned kfirst(const struct kindex *x, const struct rtp_expect *e)
{
	unsigned lo = 0, hi = x->m;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (dst_cmp(&x->k[x->ord[mid]], e) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The unclaimed kernel expectation equal to e (expect_same), or -1. */
static long kfind_same(const struct kindex *x, const struct rtp_expect *e)
{
	unsigned i;

	for (i = kfirst(x, e); i < x->m && !dst_cmp(&x->k[x->ord[i]], e); i++)
		if (!x->claimed[x->ord[i]] && expect_same(&x->k[x->ord[i]], e))
			return x->ord[i];
	return -1;
}

/* An unclaimed inbound (NATed elsewhere) expectation on e's destination. */
static bool kinbound_other(const struct kindex *x, const struct rtp_expect *e)
{
	unsigned i;

	for (i = kfirst(x, e); i < x->m && !dst_cmp(&x->k[x->ord[i]], e); i++) {
		const struct rtp_expect *k = &x->k[x->ord[i]];

		if (!x->claimed[x->ord[i]] && k->nat && !addr_eq(&k->nat_to, &k->dst))
			return true;
	}
	return false;
}

static void side_from_record(struct rtp_side *s, const struct rtp_record *r)
{
	memset(s, 0, sizeof(*s));
	s->active = true;
	s->inside = r->inside;
	s->inside_rtcp = r->inside_rtcp;
	s->rtcp_mux = r->rtcp_mux;
	s->no_nat = r->no_nat;
	s->public = r->public;
	s->public_rtcp = r->public_rtcp;
	s->master = r->master;
	s->out_dir = r->out_dir;
	s->class = r->class;
}

/* Mark the side's pinholes live where the kernel has them; claims them. */
static void match_holes(struct rtp_table *t, struct kindex *x, struct rtp_stream *st,
			struct rtp_side *s, struct rtp_recovery *rec, long claimed[HOLE_MAX])
{
	int h;

	for (h = 0; h < HOLE_MAX; h++) {
		struct rtp_expect e;
		long i;

		claimed[h] = -1;
		if (!side_wanted(t, st, s, (enum rtp_hole)h, &e))
			continue;
		pinhole_keep(&s->hole[h].e, &e);
		if (!x->k) {
			/* No dump (the kernel did not answer): the file is all
			 * there is. Taken as live, a BYE deletes them; one that
			 * is gone answers ENOENT, which is no error. */
			s->hole[h].live = true;
			rec->pinholes_live++;
			continue;
		}
		i = kfind_same(x, &e);
		s->hole[h].live = i >= 0;
		if (i >= 0) {
			x->claimed[i] = true;
			claimed[h] = i;
			rec->pinholes_live++;
		} else {
			rec->pinholes_gone++;
		}
	}
}

static void restore_record(struct rtp_table *t, struct kindex *x, const struct rtp_record *r,
			   time_t now, struct rtp_recovery *rec)
{
	struct rtp_dialog *d = dialog_find(t, r->call_id, r->tag, "", &r->inside_sig);
	struct rtp_stream *st;
	struct rtp_side *s;
	long claimed[HOLE_MAX];
	struct rtp_expect in_rtp;
	bool fresh = !d;
	int h;

	if (!d && !(d = dialog_create(t, r->call_id, r->tag, &r->inside_sig, now)))
		goto refused;
	if (fresh && r->confirmed)
		dialog_confirm(t, d);
	d->last_seen = now;
	st = dialog_stream(t, d, r->idx, true);
	if (!st || st->cur.active)
		goto refused_dialog;	/* beyond the dialog's slots, or a duplicate */
	if (!r->no_nat && port_pool_owner(t->pool, r->public.port))
		goto refused_dialog;	/* another record's pair */
	s = &st->cur;
	side_from_record(s, r);
	st->has_far = r->has_far;
	st->far = r->far;
	st->far_rtcp = r->far_rtcp;
	st->far_mux = r->far_mux;
	match_holes(t, x, st, s, rec, claimed);
	pinhole_expect(s, &s->hole[HOLE_IN_RTP].e, &in_rtp);
	if (!s->hole[HOLE_IN_RTP].live && kinbound_other(x, &in_rtp)) {
		/* The kernel's pinhole on this pair leads elsewhere: the file is
		 * older than the kernel state, which wins. */
		rec->conflicts++;
		goto unclaim;
	}
	if (!r->no_nat) {
		if (!host_pair_take(t, d))
			goto unclaim;
		port_pool_take(t->pool, r->public.port, d);	/* free: checked above */
		s->pooled = true;
	}
	if (fresh)
		rec->dialogs++;
	t->stats.ports_in_use = port_pool_in_use(t->pool);
	return;

unclaim:
	for (h = 0; h < HOLE_MAX; h++)
		if (claimed[h] >= 0)
			x->claimed[claimed[h]] = false;
	memset(st, 0, sizeof(*st));	/* nothing of it is in the kernel or the pool */
refused_dialog:
	/* A dialog made for this record alone has nothing else. */
	if (fresh)
		dialog_remove(t, d);
refused:
	rec->records_refused++;
}

/* An unclaimed inbound expectation on a pool pair: an orphan dialog holding
 * that pair (created at the first of its RTP or RTCP pinhole). */
static struct rtp_dialog *orphan_for(struct rtp_table *t, const struct rtp_expect *k,
				     uint16_t pair, time_t now, struct rtp_recovery *rec)
{
	struct rtp_dialog *d = port_pool_owner(t->pool, pair);
	struct sipalg_addr host = { .ip = k->nat_to.ip };
	struct rtp_stream *st;
	char tag[32];

	if (d)
		return dialog_is_orphan(d) && d->inside_sig.ip.s_addr == host.ip.s_addr ? d : NULL;
	snprintf(tag, sizeof(tag), "orphan %u", pair);
	d = dialog_create(t, "", tag, &host, now);
	if (!d)
		return NULL;
	t->n_orphans++;
	dialog_confirm(t, d);	/* an answered call's lifetime, never evicted */
	st = dialog_stream(t, d, 0, true);
	if (!st || !host_pair_take(t, d) || !port_pool_take(t->pool, pair, d)) {
		if (st)
			memset(st, 0, sizeof(*st));
		dialog_remove(t, d);
		return NULL;
	}
	st->cur.active = true;
	st->cur.pooled = true;
	st->cur.public.ip = k->dst.ip;
	st->cur.public.port = pair;
	st->cur.public_rtcp = (uint16_t)(pair + 1);
	st->cur.master = k->master;
	st->cur.out_dir = !k->nat_dir;
	st->cur.class = k->class;
	/* until its RTP pinhole says otherwise: RTCP's target is inside:p+1 */
	st->cur.inside.ip = k->nat_to.ip;
	st->cur.inside.port = (uint16_t)(k->dst.port == pair ? k->nat_to.port : k->nat_to.port - 1);
	st->cur.inside_rtcp = (uint16_t)(st->cur.inside.port + 1);
	rec->orphans++;
	return d;
}

static void keep_hole(struct rtp_table *t, struct rtp_pinhole *ph, const struct rtp_expect *k)
{
	ph->live = true;
	pinhole_keep(&ph->e, k);	/* the master is the side's: k's own */
	ph->e.fn = k->fn && !strcmp(k->fn, t->cfg.expect_fn) ? t->cfg.expect_fn : NULL;
}

static void adopt_inbound(struct rtp_table *t, const struct rtp_expect *k, time_t now,
			  struct rtp_recovery *rec)
{
	uint16_t pair = (uint16_t)(k->dst.port & ~1u);
	struct rtp_dialog *d;
	struct rtp_side *s;
	bool rtcp = k->dst.port & 1u;

	if (k->dst.port < t->cfg.port_min || pair + 1u > t->cfg.port_max) {
		rec->kernel_ignored++;
		return;
	}
	d = orphan_for(t, k, pair, now, rec);
	if (!d) {
		rec->orphans_refused++;
		return;
	}
	s = &d->streams[0]->cur;
	if (rtcp) {
		s->inside_rtcp = k->nat_to.port;
		keep_hole(t, &s->hole[HOLE_IN_RTCP], k);
	} else {
		s->inside.port = k->nat_to.port;
		keep_hole(t, &s->hole[HOLE_IN_RTP], k);
	}
}

/* Inbound orphan pinholes by their NAT target, for the siblings' search. */
static int nat_cmp(const struct rtp_expect *a, const struct rtp_expect *b)
{
	uint32_t ai = ntohl(a->nat_to.ip.s_addr), bi = ntohl(b->nat_to.ip.s_addr);

	if (ai != bi)
		return ai < bi ? -1 : 1;
	return (int)a->nat_to.port - (int)b->nat_to.port;
}

static int nat_ord_cmp(const void *a, const void *b)
{
	return nat_cmp(&sort_base[*(const unsigned *)a], &sort_base[*(const unsigned *)b]);
}

/* The sibling in its hole of orphan stream st; it names the far side (an
 * RTCP one alone: the far RTP port is the one below, RFC 3550's pair). */
static bool take_sibling(struct rtp_table *t, struct rtp_stream *st, const struct rtp_expect *sib,
			 bool rtcp)
{
	struct rtp_pinhole *ph = &st->cur.hole[rtcp ? HOLE_OUT_RTCP : HOLE_OUT_RTP];

	if (ph->live)
		return false;
	keep_hole(t, ph, sib);
	if (rtcp) {
		st->far_rtcp = sib->dst.port;
		if (!st->has_far) {
			st->has_far = true;
			st->far = sib->dst;
			st->far.port = (uint16_t)(sib->dst.port - 1);
		}
	} else {
		st->has_far = true;
		st->far = sib->dst;
		if (!st->far_rtcp)
			st->far_rtcp = (uint16_t)(sib->dst.port + 1);
	}
	return true;
}

/*
 * A sibling (inside:p -> far, NAT to far) of an orphan: the inbound pinhole
 * of the same master whose NAT target is inside:p names the pair (its RTP
 * or RTCP side); the sibling gives the stream its far address.
 */
static bool attach_sibling(struct rtp_table *t, const struct rtp_expect *k,
			   const unsigned *in, unsigned n_in, const struct rtp_expect *sib)
{
	struct rtp_expect key = { .nat_to = sib->src };
	unsigned lo = 0, hi = n_in;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (nat_cmp(&k[in[mid]], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n_in && !nat_cmp(&k[in[lo]], &key); lo++) {
		const struct rtp_expect *ie = &k[in[lo]];
		struct rtp_dialog *d = port_pool_owner(t->pool, (uint16_t)(ie->dst.port & ~1u));
		struct rtp_stream *st;
		bool rtcp = ie->dst.port & 1u;

		if (!master_same(&ie->master, &sib->master) || !d ||
		    !dialog_is_orphan(d) || !(st = d->streams[0]))
			continue;
		if (take_sibling(t, st, sib, rtcp))
			return true;
	}
	return false;
}

/* A repaired sibling whose own inbound pinhole is gone: the orphan of its
 * partner's pair (recover_synced.c), in the role its source port says. */
static bool attach_by_partner(struct rtp_table *t, const struct rtp_expect *in,
			      const struct rtp_expect *sib)
{
	struct rtp_dialog *d = port_pool_owner(t->pool, (uint16_t)(in->dst.port & ~1u));
	struct rtp_stream *st;

	if (!d || !dialog_is_orphan(d) || !(st = d->streams[0]) ||
	    !master_same(&st->cur.master, &sib->master))
		return false;
	if (sib->src.port == st->cur.inside.port)
		return take_sibling(t, st, sib, false);
	if (sib->src.port == st->cur.inside_rtcp)
		return take_sibling(t, st, sib, true);
	return false;
}

/*
 * The orphans made from repaired pinholes (recover_synced.c): the kernel
 * holds them without NAT, so they are created again with it (a create on
 * an existing tuple replaces it, expect_nl.c).
 */
static void recreate_repaired(struct rtp_table *t, const struct rtp_expect *k, unsigned m,
			      const bool *repaired)
{
	uint8_t done[65536 / 16] = { 0 };	/* a bit per public pair */
	unsigned i;
	int h;

	for (i = 0; i < m; i++) {
		uint16_t pair = (uint16_t)(k[i].dst.port & ~1u);
		struct rtp_dialog *d;
		struct rtp_stream *st;

		if (!repaired[i] || !k[i].src_any_port)	/* the inbound ones name the pair */
			continue;
		if (done[pair / 16] & (1u << (pair / 2 % 8)))
			continue;	/* its RTP and RTCP pinholes name one pair */
		done[pair / 16] |= (uint8_t)(1u << (pair / 2 % 8));
		d = port_pool_owner(t->pool, pair);
		if (!d || !dialog_is_orphan(d) || !(st = d->streams[0]) || !st->cur.active)
			continue;
		for (h = 0; h < HOLE_MAX; h++)
			st->cur.hole[h].live = false;
		side_sync(t, st, &st->cur, false);
	}
}

void rtp_table_recover(struct rtp_table *t, const struct rtp_record *r, unsigned n,
		       const struct rtp_expect *kernel, unsigned m, time_t now,
		       struct rtp_recovery *rec)
{
	struct kindex x = { .m = m };
	struct rtp_expect *k = NULL;
	bool *repaired = NULL;
	long *partner = NULL;
	unsigned i, n_in;

	rec->records = n;
	rec->kernel_expects = m;
	x.ord = malloc((m ? m : 1) * sizeof(*x.ord));
	x.claimed = calloc(m ? m : 1, sizeof(*x.claimed));
	if (kernel) {
		k = malloc((m ? m : 1) * sizeof(*k));
		repaired = calloc(m ? m : 1, sizeof(*repaired));
		partner = malloc((m ? m : 1) * sizeof(*partner));
	}
	if (!x.ord || !x.claimed || (kernel && (!k || !repaired || !partner))) {
		free(x.ord);
		free(x.claimed);
		free(k);
		free(repaired);
		free(partner);
		rec->records_refused += n;
		return;
	}
	/* A copy: the bare pinholes of a failover get their NAT back in it. */
	if (kernel) {
		memcpy(k, kernel, m * sizeof(*k));
		rec->nat_repaired = rtp_recover_synced_nat(&t->cfg, k, m, repaired, partner);
	}
	x.k = k;
	for (i = 0; i < m; i++)
		x.ord[i] = i;
	sort_base = k;
	qsort(x.ord, m, sizeof(*x.ord), ord_cmp);
	rtp_why(t, "restart recovery");
	for (i = 0; i < n; i++)
		restore_record(t, &x, &r[i], now, rec);
	/* What no record claimed: inbound pinholes first (they make the
	 * orphans), then the siblings that name their far side. */
	for (i = 0; i < m; i++)
		if (!x.claimed[i] && k[i].nat && !addr_eq(&k[i].nat_to, &k[i].dst))
			adopt_inbound(t, &k[i], now, rec);
	/* x.ord is free now: it becomes the unclaimed inbound ones by NAT target. */
	n_in = 0;
	for (i = 0; i < m; i++)
		if (!x.claimed[i] && k[i].nat && !addr_eq(&k[i].nat_to, &k[i].dst))
			x.ord[n_in++] = i;
	qsort(x.ord, n_in, sizeof(*x.ord), nat_ord_cmp);
	for (i = 0; i < m; i++)
		if (!x.claimed[i] && (!k[i].nat || addr_eq(&k[i].nat_to, &k[i].dst)) &&
		    !(t->n_orphans && (attach_sibling(t, k, x.ord, n_in, &k[i]) ||
				       (partner && partner[i] >= 0 &&
					attach_by_partner(t, &k[partner[i]], &k[i])))))
			rec->kernel_ignored++;
	if (rec->nat_repaired)
		recreate_repaired(t, k, m, repaired);
	t->stats.ports_in_use = port_pool_in_use(t->pool);
	t->recovery = *rec;
	free(x.ord);
	free(x.claimed);
	free(k);
	free(repaired);
	free(partner);
}

const struct rtp_recovery *rtp_table_recovery(const struct rtp_table *t)
{
	return &t->recovery;
}

struct rtp_recovery *rtp_table_recovery_mut(struct rtp_table *t)
{
	return &t->recovery;
}

const struct rtp_config *rtp_table_config(const struct rtp_table *t)
{
	return &t->cfg;
}

uint64_t rtp_table_changes(const struct rtp_table *t)
{
	return t->changes;
}

static void forget_holes(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	unsigned i;
	int h;

	(void)t;
	(void)arg;
	for (i = 0; i < d->n_streams; i++) {
		struct rtp_stream *st = d->streams[i];

		for (h = 0; st && h < HOLE_MAX; h++) {
			st->cur.hole[h].live = false;
			if (st->prev)
				st->prev->hole[h].live = false;
		}
	}
}

void rtp_table_free_keep(struct rtp_table *t)
{
	if (!t)
		return;
	dialog_foreach(t, forget_holes, NULL);
	rtp_table_free(t);
}
