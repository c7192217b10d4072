/*
 * replay_media.c - the SDP media map of the replay: the pinhole pool
 * (rtp port_min..port_max) modelled on the replay's NAT table, so that RTP
 * leaves from exactly the public port its SDP announced. IPv6 with NAT66 uses
 * the table's IPv6 ports; routed IPv6 keeps every address and port (the
 * pinhole opens the phone's own port).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "replay_state.h"

/* A free even public port p with p + 1 free too, in the media pool. */
static int pool_alloc_pair(struct replay *r, uint16_t want)
{
	struct replay_nat *n = &r->nat;
	const struct sipalg_addr *pa = &r->public_addr;
	unsigned lo = r->pool_min, hi = r->pool_max;

	if (want >= lo && want < hi && !(want & 1) && replay_nat_pub_free(n, pa, IPPROTO_UDP, want) &&
	    replay_nat_pub_free(n, pa, IPPROTO_UDP, want + 1u))
		return want;
	for (unsigned p = lo + (lo & 1); p < hi; p += 2)
		if (replay_nat_pub_free(n, pa, IPPROTO_UDP, p) &&
		    replay_nat_pub_free(n, pa, IPPROTO_UDP, p + 1))
			return (int)p;
	return -1;
}

static int pool_alloc_one(struct replay *r, unsigned want)
{
	const struct sipalg_addr *pa = &r->public_addr;

	if (want >= r->pool_min && want <= r->pool_max &&
	    replay_nat_pub_free(&r->nat, pa, IPPROTO_UDP, want))
		return (int)want;
	for (unsigned p = r->pool_min; p <= r->pool_max; p++)
		if (replay_nat_pub_free(&r->nat, pa, IPPROTO_UDP, p))
			return (int)p;
	return -1;
}

/*
 * The engine's media mapping, modelling the pinhole pool: outbound, the inside
 * address:port gets a public port (the existing NAT mapping when the stream
 * already flowed, else the inside port when free in the pool, else a free
 * even port) and RTCP the odd one above; inbound, the public port maps back.
 */
int replay_map_media(void *arg, enum sipalg_dir dir,
		     const struct sipalg_facts *msg, unsigned idx,
		     const struct sipalg_media *m,
		     struct sipalg_addr *out, uint16_t *out_rtcp)
{
	struct replay *r = arg;
	char a[VLINE_ADDR_MAX];
	struct sipalg_media held;
	int pub, rtcp;

	if (r->routed) {	/* no NAT: the pinhole is to the phone's own port */
		*out = m->addr;
		*out_rtcp = m->rtcp_mux ? m->addr.port : m->rtcp_port;
		if (dir == SIPALG_OUTBOUND)
			vadd(&r->media, " [media %u: routed, pinhole to [%s]:%u]", idx,
			     vline_addr(&m->addr, a), m->addr.port);
		return 0;
	}
	if (dir == SIPALG_INBOUND) {
		const struct replay_nat_owner *o =
			replay_nat_reverse(&r->nat, &r->public_addr, IPPROTO_UDP, m->addr.port);
		const struct replay_nat_owner *oc;

		if (!o) {
			vadd(&r->media, " [media %u: public port %u has no mapping: stream left]",
			     idx, m->addr.port);
			return -1;
		}
		*out = o->ip;
		out->port = o->port;
		oc = replay_nat_reverse(&r->nat, &r->public_addr, IPPROTO_UDP, m->rtcp_port);
		*out_rtcp = m->rtcp_mux ? o->port
			  : oc && sipalg_addr_same_ip(&oc->ip, &o->ip) ? oc->port
			  : (uint16_t)(o->port + 1);
		return 0;
	}

	/* c=0.0.0.0 hold: the model keys streams by the phone's address, which
	 * its o= names (the pool keeps the held stream's pair the same way). */
	if (m->hold_zero_addr) {
		if (sipalg_addr_is_v6(&msg->sdp_origin) != sipalg_addr_is_v6(&r->public_addr) ||
		    sipalg_addr_is_any(&msg->sdp_origin))
			return -1;
		held = *m;
		held.addr = msg->sdp_origin;
		held.addr.port = m->addr.port;
		m = &held;
	}
	pub = replay_nat_lookup(&r->nat, IPPROTO_UDP, &m->addr, m->addr.port);
	if (pub < 0) {
		pub = pool_alloc_pair(r, m->addr.port);
		if (pub < 0) {
			vadd(&r->media, " [media %u: port pool %u-%u exhausted: stream left]",
			     idx, r->pool_min, r->pool_max);
			return -1;
		}
		replay_nat_add(&r->nat, IPPROTO_UDP, &m->addr, m->addr.port, (uint16_t)pub);
		vadd(&r->media, sipalg_addr_is_v6(&m->addr) ? " [media %u: pinhole [%s]:%u -> public %u]"
				: " [media %u: pinhole %s:%u -> public %u]", idx,
		     vline_addr(&m->addr, a), m->addr.port, pub);
	}
	rtcp = pub;
	if (!m->rtcp_mux) {
		rtcp = replay_nat_lookup(&r->nat, IPPROTO_UDP, &m->addr, m->rtcp_port);
		if (rtcp < 0) {
			rtcp = pool_alloc_one(r, (unsigned)pub + 1);
			if (rtcp < 0)
				rtcp = pub + 1;	/* no room: announce the usual pair */
			else
				replay_nat_add(&r->nat, IPPROTO_UDP, &m->addr, m->rtcp_port,
					(uint16_t)rtcp);
		}
	}
	*out = r->public_addr;
	out->port = (uint16_t)pub;
	*out_rtcp = (uint16_t)rtcp;
	return 0;
}
