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
 * RTCP odd), with exactly one candidate, both get their NAT back: the
 * inbound one to inside:p in the direction opposite to the phone's, the
 * sibling to its own destination, class and expect function ours. The
 * recovery then rebuilds them as orphans and re-creates them in the kernel
 * (replacing the bare ones). A sibling whose inbound pinhole the far side's
 * media consumed joins the stream of the other role's inbound pinhole. An
 * unpaired bare pinhole is left as it was.
 */
#include "rtp_internal.h"

#include <string.h>

static bool inbound_shape(const struct rtp_config *c, const struct rtp_expect *k)
{
	return !k->nat && k->src_any_port && k->dst.port >= c->port_min &&
	       k->dst.port <= c->port_max;
}

static bool sibling_shape(const struct rtp_expect *k)
{
	return !k->nat && !k->src_any_addr && !k->src_any_port;
}

/* The one sibling of inbound pinhole in among k[0..m), or -1. */
static long sibling_of(const struct rtp_config *c, const struct rtp_expect *k, unsigned m,
		       const bool *done, const struct rtp_expect *in)
{
	long found = -1;
	unsigned j;

	for (j = 0; j < m; j++) {
		const struct rtp_expect *s = &k[j];

		/* the same floor as any SDP: no pinhole to a host's ssh or DNS */
		if (done[j] || !sibling_shape(s) || s->src.port < c->min_inside_port ||
		    !master_same(&s->master, &in->master) ||
		    (s->src.port & 1u) != (in->dst.port & 1u) ||
		    (!in->src_any_addr && !sipalg_addr_same_ip(&s->dst, &in->src)))
			continue;
		if (found >= 0)
			return -1;	/* two candidates: not ours to guess */
		found = (long)j;
	}
	return found;
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
static unsigned lone_siblings(const struct rtp_config *c, struct rtp_expect *k, unsigned m,
			      bool *repaired, long *partner)
{
	unsigned i, j, n = 0;

	for (j = 0; j < m; j++) {
		struct rtp_expect *s = &k[j];
		long found = -1;

		if (repaired[j] || !sibling_shape(s) || s->src.port < c->min_inside_port)
			continue;
		for (i = 0; i < m; i++) {
			const struct rtp_expect *in = &k[i];
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

unsigned rtp_recover_synced_nat(const struct rtp_config *c, struct rtp_expect *k, unsigned m,
				bool *repaired, long *partner)
{
	unsigned i, n = 0;

	for (i = 0; i < m; i++)
		partner[i] = -1;

	for (i = 0; i < m; i++) {
		struct rtp_expect *in = &k[i], *s;
		long j;
		int out_dir;

		if (repaired[i] || !inbound_shape(c, in) || (j = sibling_of(c, k, m, repaired, in)) < 0)
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
	return n + lone_siblings(c, k, m, repaired, partner);
}
