/*
 * far_policy.c - which far media addresses an SDP from outside may point a
 * call's pinholes at (narrowing, sibling expectations). Refused: addresses
 * that are never a far phone - unspecified, loopback, multicast, broadcast -
 * and the gateway's own side of the world: its own addresses (a hairpin to
 * our public pool is decided by the caller, rtp_media.c) and hosts in a
 * subnet of an interface other than the one holding the binding's public
 * address, i.e. the inside. Private (RFC 1918, 100.64/10) far addresses are
 * NOT refused as such: a provider behind carrier NAT may announce them.
 * IPv6 (a routed flow's far side): far_classify6.
 */
#include "rtp_internal.h"

#include <arpa/inet.h>
#include <string.h>

static const char *const far_names[RTP_FAR_MAX] = {
	"ok", "unspecified", "loopback", "multicast", "broadcast", "own", "inside", "hairpin",
};

const char *rtp_far_class_str(enum rtp_far_class c)
{
	return (unsigned)c < RTP_FAR_MAX ? far_names[c] : "?";
}

static uint32_t mask_of(uint8_t prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

void rtp_table_set_local(struct rtp_table *t, const struct rtp_local_addr *a, unsigned n)
{
	unsigned i;

	if (!t)
		return;
	t->n_local = 0;
	for (i = 0; i < n && t->n_local < RTP_LOCAL_MAX; i++)
		if (a[i].prefix <= (a[i].family == AF_INET6 ? 128 : 32))
			t->local[t->n_local++] = a[i];
}

/* Is ifindex the interface (or one of them) holding the public address? */
static bool holds_public(const struct rtp_table *t, unsigned ifindex, uint32_t pub)
{
	unsigned i;

	for (i = 0; i < t->n_local; i++)
		if (t->local[i].family != AF_INET6 && t->local[i].ifindex == ifindex &&
		    ntohl(t->local[i].addr.s_addr) == pub)
			return true;
	return false;
}

/*
 * IPv6, a routed flow's far side. There is no NAT and so no sibling: a far
 * address only narrows the pinhole's source, which can only make it tighter.
 * Refused (the pinhole stays wide, the call still works) are the addresses no
 * far phone has - a narrowing to them would shut the far end's media out -
 * and the gateway's own. A connected prefix is NOT refused: there is no
 * public address to tell the WAN link by, a far phone may sit on it (the
 * netns test's does), and a wide pinhole instead is what a stranger could
 * take first (nat_v6_vm caught exactly that).
 */
static enum rtp_far_class far_classify6(const struct rtp_table *t, const struct in6_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned i;

	if (IN6_IS_ADDR_LOOPBACK(a))
		return RTP_FAR_LOOPBACK;
	/* ::/96 (unspecified, IPv4-compatible) and ::ffff:0:0/96 (IPv4-mapped):
	 * no IPv6 host a pinhole can name */
	if (!memcmp(a, mapped, 10) && ((a->s6_addr[10] == 0 && a->s6_addr[11] == 0) ||
				       !memcmp(a, mapped, 12)))
		return RTP_FAR_UNSPECIFIED;
	if (a->s6_addr[0] == 0xff)
		return RTP_FAR_MULTICAST;
	if (a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80)
		return RTP_FAR_INSIDE;	/* fe80::/10: never beyond one of our links */
	for (i = 0; i < t->n_local; i++) {
		const struct rtp_local_addr *l = &t->local[i];

		if (l->family != AF_INET6)
			continue;
		if (!memcmp(a, &l->addr6, sizeof(*a)))
			return RTP_FAR_OWN;
	}
	return RTP_FAR_OK;
}

enum rtp_far_class far_classify(const struct rtp_table *t, const struct sipalg_addr *far_addr,
				const struct sipalg_addr *public_ip)
{
	uint32_t a = ntohl(far_addr->ip.s_addr), pub = ntohl(public_ip->ip.s_addr);
	unsigned i;

	if (sipalg_addr_is_v6(far_addr))
		return far_classify6(t, &far_addr->ip6);

	if ((a >> 24) == 0)
		return RTP_FAR_UNSPECIFIED;
	if ((a >> 24) == 127)
		return RTP_FAR_LOOPBACK;
	if ((a >> 28) == 0xe)
		return RTP_FAR_MULTICAST;
	if ((a >> 28) == 0xf)
		return RTP_FAR_BROADCAST;	/* 255.255.255.255 and reserved 240/4 */
	if (a == pub)
		return RTP_FAR_OWN;
	for (i = 0; i < t->n_local; i++) {
		const struct rtp_local_addr *l = &t->local[i];
		uint32_t la, m;

		/* an IPv6 prefix (up to 128) must never reach mask_of */
		if (l->family == AF_INET6)
			continue;
		la = ntohl(l->addr.s_addr);
		m = mask_of(l->prefix);
		if (a == la)
			return RTP_FAR_OWN;
		/* A /31 or /32 has no broadcast and no neighbours to speak of;
		 * a /0 is no subnet. */
		if (l->prefix == 0 || l->prefix > 30)
			continue;
		if ((a & m) != (la & m))
			continue;
		if ((a | m) == 0xffffffffu)
			return RTP_FAR_BROADCAST;	/* the subnet's directed broadcast */
		if (!holds_public(t, l->ifindex, pub))
			return RTP_FAR_INSIDE;
	}
	return RTP_FAR_OK;
}
