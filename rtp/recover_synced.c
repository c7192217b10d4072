/*
 * recover_synced.c - the NAT a conntrackd failover loses (docs/failover.md).
 *
 * conntrackd commits the expectations it synced through libnetfilter_conntrack,
 * which sends neither an expectation's NAT nor its class (shared/DESIGN.md
 * fact 5): on the backup gateway our pinholes arrive as bare tuples. An
 * inbound one (far -> public:P) then admits the far side but leads nowhere,
 * and the recovery would ignore it - so a BYE after the failover left it.
 *
 * What the tuples still say: each inbound pinhole's outbound sibling
 * (inside:p -> far:X, same master) names the inside target. Paired by master,
 * far address (the narrowed inbound source, or any) and role (the RTP
 * pinhole on the even public port, its sibling from the even inside port;
 * RTCP odd) - with exactly one candidate, or among several (calls of one
 * phone through one RTP proxy) the one whose inside port is the public port
 * (the pool keeps the phone's port when it can) - both get their NAT back: the
 * inbound one to inside:p in the direction opposite to the phone's, the
 * sibling to its own destination, class and expect function ours. The
 * recovery then rebuilds them as orphans and re-creates them in the kernel
 * (replacing the bare ones). A sibling whose inbound pinhole the far side's
 * media consumed joins the stream of the other role's inbound pinhole. An
 * unpaired bare pinhole is left as it was.
 */
#include "rtp_internal.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

static bool inbound_shape(const struct rtp_config *c, const struct rtp_expect *k)
{
	return !k->nat && k->src_any_port && k->dst.port >= c->port_min &&
	       k->dst.port <= c->port_max;
}

static bool sibling_shape(const struct rtp_expect *k)
{
	return !k->nat && !k->src_any_addr && !k->src_any_port;
}

/* The one sibling of inbound pinhole in among k[g[0..n)] (one master's), or -1. */
static long sibling_of(const struct rtp_config *c, const struct rtp_expect *k, const unsigned *g,
		       unsigned n, const bool *done, const struct rtp_expect *in)
{
	long found = -1, same = -1;
	unsigned gi, j, n_found = 0;

	for (gi = 0; gi < n; gi++) {
		const struct rtp_expect *s = &k[j = g[gi]];

		/* the same floor as any SDP: no pinhole to a host's ssh or DNS */
		if (done[j] || !sibling_shape(s) || s->src.port < c->min_inside_port ||
		    !master_same(&s->master, &in->master) ||
		    (s->src.port & 1u) != (in->dst.port & 1u) ||
		    (!in->src_any_addr && !sipalg_addr_same_ip(&s->dst, &in->src)))
			continue;
		if (s->src.port == in->dst.port) {	/* the pool kept the phone's port */
			if (same >= 0)
				return -1;
			same = (long)j;
		}
		n_found++;
		found = (long)j;
	}
	/* Several calls of one phone to one far address (an RTP proxy):
	 * the one on the same port as the public one, else not ours to guess. */
	return n_found == 1 ? found : same;
}

static void repair_sibling(const struct rtp_config *c, struct rtp_expect *s, int out_dir)
{
	s->nat = true;
	s->nat_dir = out_dir;
	s->nat_to = s->dst;
	s->class = c->expect_class;
	s->fn = c->expect_fn[0] ? c->expect_fn : NULL;
}

/*
 * A bare sibling whose own inbound pinhole is gone (consumed by the far
 * side's media) belongs to the stream of a repaired inbound pinhole of the
 * other role: same master and far address, its source the inside target's
 * other port (RTP p next to RTCP p+1). partner[j] names that pinhole.
 */
static unsigned lone_siblings(const struct rtp_config *c, struct rtp_expect *k, const unsigned *g,
			      unsigned gn, bool *repaired, long *partner)
{
	unsigned gi, gj, i, j, n = 0;

	for (gj = 0; gj < gn; gj++) {
		struct rtp_expect *s = &k[j = g[gj]];
		long found = -1;

		if (repaired[j] || !sibling_shape(s) || s->src.port < c->min_inside_port)
			continue;
		for (gi = 0; gi < gn; gi++) {
			const struct rtp_expect *in = &k[i = g[gi]];
			bool in_rtcp = in->dst.port & 1u;

			if (!repaired[i] || !in->src_any_port || !master_same(&in->master, &s->master) ||
			    !sipalg_addr_same_ip(&in->nat_to, &s->src) ||
			    (!in->src_any_addr && !sipalg_addr_same_ip(&s->dst, &in->src)) ||
			    in->nat_to.port != (in_rtcp ? s->src.port + 1u : s->src.port - 1u))
				continue;
			if (found >= 0) {
				found = -2;	/* two streams could own it */
				break;
			}
			found = (long)i;
		}
		if (found < 0)
			continue;
		repair_sibling(c, s, k[found].nat_dir ? 0 : 1);
		repaired[j] = true;
		partner[j] = found;
		n++;
	}
	return n;
}

/* Masters in a total order, so that one master's pinholes sit together. */
static const struct rtp_expect *order_base;

static int addr_cmp(const struct sipalg_addr *a, const struct sipalg_addr *b)
{
	uint32_t x = ntohl(a->ip.s_addr), y = ntohl(b->ip.s_addr);

	if (x != y)
		return x < y ? -1 : 1;
	return (int)a->port - (int)b->port;
}

static int master_cmp(const void *pa, const void *pb)
{
	const struct rtp_master *a = &order_base[*(const unsigned *)pa].master;
	const struct rtp_master *b = &order_base[*(const unsigned *)pb].master;
	int r = addr_cmp(&a->src, &b->src);

	if (!r)
		r = addr_cmp(&a->dst, &b->dst);
	if (!r)
		r = (int)a->l4proto - (int)b->l4proto;
	return r ? r : (int)a->zone - (int)b->zone;
}

/* One master's pinholes k[g[0..n)]: pairs first, then the lone siblings. */
static unsigned repair_group(const struct rtp_config *c, struct rtp_expect *k, const unsigned *g,
			     unsigned gn, bool *repaired, long *partner)
{
	unsigned gi, i, n = 0;

	for (gi = 0; gi < gn; gi++) {
		struct rtp_expect *in = &k[i = g[gi]], *s;
		long j;
		int out_dir;

		if (repaired[i] || !inbound_shape(c, in) ||
		    (j = sibling_of(c, k, g, gn, repaired, in)) < 0)
			continue;
		s = &k[j];
		/* the phone's packets go the master's original way when it
		 * opened the signalling flow (its address is the master's source) */
		out_dir = sipalg_addr_same_ip(&s->src, &in->master.src) ? 0 : 1;
		in->nat = true;
		in->nat_dir = !out_dir;
		in->nat_to = s->src;
		repair_sibling(c, s, out_dir);
		in->class = c->expect_class;
		in->fn = s->fn;
		repaired[i] = repaired[j] = true;
		partner[j] = (long)i;
		n += 2;
	}
	return n + lone_siblings(c, k, g, gn, repaired, partner);
}

/*
 * By master: the pairing is quadratic within one master only, which the
 * kernel bounds (max_expected per class, three classes: under 800), not in
 * the whole dump (a failover of 10 000 calls holds some 40 000).
 */
unsigned rtp_recover_synced_nat(const struct rtp_config *c, struct rtp_expect *k, unsigned m,
				bool *repaired, long *partner)
{
	unsigned *ord = malloc((m ? m : 1) * sizeof(*ord));
	unsigned i, g0, n = 0;

	for (i = 0; i < m; i++)
		partner[i] = -1;
	if (!ord)
		return 0;
	for (i = 0; i < m; i++)
		ord[i] = i;
	order_base = k;
	qsort(ord, m, sizeof(*ord), master_cmp);
	for (g0 = 0; g0 < m; g0 = i) {
		for (i = g0 + 1; i < m && master_cmp(&ord[g0], &ord[i]) == 0; i++)
			;
		n += repair_group(c, k, ord + g0, i - g0, repaired, partner);
	}
	free(ord);
	return n;
}
