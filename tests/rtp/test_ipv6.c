/*
 * rtp_ipv6: the pinhole layer on a routed IPv6 flow (issue 11 item 2), the
 * IPv6 twins of rtp_planning and rtp_policy. No NAT66: the far end's RTP and
 * RTCP to the phone's own [v6]:port are expected (RELATED through a stateful
 * firewall), with no NAT, no expect function, no pool port and nothing else;
 * the same limits as IPv4 (inside ports, far addresses, per-host caps).
 */
#include <string.h>
#include <arpa/inet.h>

#include "check.h"
#include "scene.h"

static struct scene sc;

static const struct rtp_stats *stats(void)
{
	return rtp_table_stats(sc.t);
}

static void init6(const struct rtp_config *cfg)
{
	scene_init(&sc, cfg);
	scene_phone6(&sc, PHONE6_A);
}

static void invite_out(const char *cid, const char *phone, unsigned port)
{
	msg_request(&sc, "INVITE", cid, "ta", NULL, 1);
	msg_media(&sc, phone, port, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
}

static void answer_in(const char *cid, const char *far_ip, unsigned far_port)
{
	msg_response(&sc, 200, "INVITE", cid, "ta", "tb", 1);
	msg_media(&sc, far_ip, far_port, 0);
	msg_send(&sc, SIPALG_INBOUND);
}

/* The live pinhole to the phone's own [v6]:port, checked for what a routed
 * flow's pinhole must be: IPv6 tuples, no NAT, no function, on the v6 master. */
static const struct rtp_expect *hole6(const char *phone, unsigned port)
{
	const struct rtp_expect *e = fake_find_dst(&sc.k, phone, port);

	if (!e)
		return NULL;
	CHECK(sipalg_addr_is_v6(&e->dst) && sipalg_addr_is_v6(&e->master.src) &&
	      sipalg_addr_is_v6(&e->master.dst));
	CHECK(sipalg_addr_is_v6(&e->src));	/* :: when wide: never an IPv4 tuple */
	CHECK(!e->nat && e->fn == NULL);
	CHECK(e->l4proto == IPPROTO_UDP && e->class >= 1);
	return e;
}

static void routed_call_opens_the_phones_own_ports_and_nothing_else(void)
{
	const struct rtp_expect *rtp, *rtcp;

	init6(NULL);
	invite_out("c6", PHONE6_A, 4000);
	/* mapped to the phone's own address and port: nothing to rewrite */
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK(sipalg_addr_same_ip(&sc.mapped[0], &sc.mc.binding.inside));
	CHECK_EQ(sc.mapped[0].port, 4000);
	CHECK_EQ(sc.mapped_rtcp[0], 4001);
	CHECK(sc.calls_during_map > 0);		/* before the INVITE leaves */
	CHECK_EQ(stats()->ports_in_use, 0);	/* no pool pair */
	CHECK_EQ(sc.k.n_live, 2);		/* RTP and RTCP, nothing else */
	rtp = hole6(PHONE6_A, 4000);
	rtcp = hole6(PHONE6_A, 4001);
	CHECK(rtp && rtcp);
	if (rtp)
		CHECK(rtp->src_any_addr && rtp->src_any_port);	/* wide until the answer */
	/* the answer narrows both to the far address (source port left open),
	 * and still adds no sibling: no NAT, nothing to make symmetric */
	answer_in("c6", FAR6, 5000);
	CHECK_EQ(sc.k.n_live, 2);
	rtp = hole6(PHONE6_A, 4000);
	rtcp = hole6(PHONE6_A, 4001);
	CHECK(rtp && rtcp);
	if (rtp && rtcp) {
		struct sipalg_addr far = addr(FAR6, 0);

		CHECK(!rtp->src_any_addr && rtp->src_any_port && !rtcp->src_any_addr);
		CHECK(sipalg_addr_same_ip(&rtp->src, &far) && sipalg_addr_same_ip(&rtcp->src, &far));
	}
	CHECK(fake_find_src(&sc.k, PHONE6_A, 4000) == NULL);
	CHECK_EQ(stats()->expect_failed, 0);
	/* BYE: all gone */
	msg_request(&sc, "BYE", "c6", "ta", "tb", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(stats()->dialogs_live, 0);
	scene_free(&sc);
}

/* The far side calls in on the phone's registered flow: the phone's answer
 * opens pinholes already narrowed to the offer's address. */
static void incoming_call_rings_through(void)
{
	const struct rtp_expect *e;

	init6(NULL);
	msg_request(&sc, "INVITE", "in6", "tf", NULL, 7);
	msg_media(&sc, FAR6, 6000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.k.n_live, 0);		/* the phone has not answered yet */
	msg_response(&sc, 200, "INVITE", "in6", "tf", "tp", 7);
	msg_media(&sc, PHONE6_A, 4100, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].port, 4100);
	e = hole6(PHONE6_A, 4100);
	CHECK(e && !e->src_any_addr);
	CHECK(hole6(PHONE6_A, 4101) != NULL);
	CHECK_EQ(sc.k.n_live, 2);
	scene_free(&sc);
}

static void inside_ports_are_limited_as_for_ipv4(void)
{
	init6(NULL);
	invite_out("low", PHONE6_A, 22);
	CHECK_EQ(sc.map_ret[0], -1);
	CHECK_EQ(sc.k.n_live, 0);
	invite_out("wrap", PHONE6_A, 65535);
	CHECK_EQ(sc.map_ret[0], -1);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(stats()->port_refused, 2);
	scene_free(&sc);
}

/* The gateway's addresses: lo, the LAN 2001:db8:1::1/64 and link-local, the WAN. */
static void set_gateway_addrs6(void)
{
	struct rtp_local_addr a[4];

	memset(a, 0, sizeof(a));
	for (int i = 0; i < 4; i++)
		a[i].family = AF_INET6;
	inet_pton(AF_INET6, "::1", &a[0].addr6);
	a[0].prefix = 128;
	a[0].ifindex = 1;
	inet_pton(AF_INET6, "2001:db8:1::1", &a[1].addr6);
	a[1].prefix = 64;
	a[1].ifindex = 2;
	inet_pton(AF_INET6, "fe80::1", &a[2].addr6);
	a[2].prefix = 64;
	a[2].ifindex = 2;
	inet_pton(AF_INET6, "2001:db8:ff::2", &a[3].addr6);
	a[3].prefix = 127;
	a[3].ifindex = 3;
	rtp_table_set_local(sc.t, a, 4);
}

struct far_case {
	const char *ip;
	enum rtp_far_class why;
};

static void bad_far_addresses_keep_the_pinhole_wide(void)
{
	static const struct far_case bad[] = {
		/* (:: itself is the c=IN IP6 :: hold, as 0.0.0.0: no far address) */
		{ "::ffff:203.0.113.20", RTP_FAR_UNSPECIFIED },	/* IPv4-mapped */
		{ "::203.0.113.20", RTP_FAR_UNSPECIFIED },	/* IPv4-compatible */
		{ "::1", RTP_FAR_LOOPBACK },
		{ "ff02::1", RTP_FAR_MULTICAST },
		{ "ff0e::1:3", RTP_FAR_MULTICAST },
		{ "fe80::99", RTP_FAR_INSIDE },			/* link-local */
		{ "2001:db8:1::1", RTP_FAR_OWN },		/* the gateway's LAN address */
		{ "2001:db8:ff::2", RTP_FAR_OWN },		/* its WAN address */
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int before = check_failures;
		const struct rtp_expect *e;

		init6(NULL);
		set_gateway_addrs6();
		invite_out("f", PHONE6_A, 4000);
		answer_in("f", bad[i].ip, 5000);
		e = hole6(PHONE6_A, 4000);
		CHECK(e && e->src_any_addr);		/* not narrowed to it */
		CHECK_EQ(sc.k.n_live, 2);
		CHECK_EQ(stats()->far_refused[bad[i].why], 1);
		if (check_failures != before)
			fprintf(stderr, "  far address %s\n", bad[i].ip);
		scene_free(&sc);
	}
	/* a far phone elsewhere narrows as usual - also on a connected prefix (the
	 * WAN link, a neighbour): narrowing only tightens a routed pinhole, and a
	 * wide one is what a stranger could take first */
	{
		static const char *const ok[] = { "2001:db8:77::7", "2001:db8:ff::3", PHONE6_B };

		for (unsigned i = 0; i < 3; i++) {
			const struct rtp_expect *e;
			struct sipalg_addr far = addr(ok[i], 0);

			init6(NULL);
			set_gateway_addrs6();
			invite_out("ok", PHONE6_A, 4000);
			answer_in("ok", ok[i], 5000);
			e = hole6(PHONE6_A, 4000);
			CHECK(e && !e->src_any_addr && sipalg_addr_same_ip(&e->src, &far));
			scene_free(&sc);
		}
	}
}

/* An IPv4 address in an IPv6 flow's SDP (or the reverse) is no far address
 * for that flow's pinholes: their tuples have the master's family. */
static void other_family_far_address_is_not_used(void)
{
	init6(NULL);
	invite_out("mix", PHONE6_A, 4000);
	answer_in("mix", FAR_IP, 5000);
	CHECK(hole6(PHONE6_A, 4000) && hole6(PHONE6_A, 4000)->src_any_addr);
	scene_free(&sc);

	scene_init(&sc, NULL);			/* IPv4, NATed */
	msg_request(&sc, "INVITE", "mix4", "ta", NULL, 1);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	answer_in("mix4", FAR6, 5000);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) &&
	      fake_find_dst(&sc.k, PUBLIC_IP, 10000)->src_any_addr);
	for (unsigned i = 0; i < sc.k.n_live; i++)
		CHECK(!sipalg_addr_is_v6(&sc.k.live[i].src) && !sipalg_addr_is_v6(&sc.k.live[i].dst));
	scene_free(&sc);
}

/*
 * Phones of one /64 share their first 32 bits (and more): dialogs and
 * per-host caps are keyed by the whole address, so one phone's flood leaves
 * its neighbour's calls alone and the same Call-ID from two phones is two
 * dialogs.
 */
static void neighbours_are_separate_hosts(void)
{
	struct rtp_config cfg;
	char cid[32];

	rtp_config_default(&cfg);
	cfg.max_dialogs_per_host = 4;
	init6(&cfg);
	for (unsigned i = 0; i < 8; i++) {
		snprintf(cid, sizeof(cid), "flood%u", i);
		invite_out(cid, PHONE6_A, 4000 + 2 * i);
	}
	CHECK_EQ(stats()->dialogs_live, 4);	/* A's cap: its oldest evicted */
	scene_phone6(&sc, PHONE6_B);
	invite_out("flood7", PHONE6_B, 4000);	/* same Call-ID as A's last call */
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(stats()->dialogs_live, 5);
	CHECK(hole6(PHONE6_B, 4000) != NULL);
	CHECK(hole6(PHONE6_A, 4014) != NULL);
	/* B's BYE ends B's dialog only */
	msg_request(&sc, "BYE", "flood7", "ta", "tb", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(hole6(PHONE6_B, 4000) == NULL);
	CHECK(hole6(PHONE6_A, 4014) != NULL);
	CHECK_EQ(stats()->dialogs_live, 4);
	scene_free(&sc);
}

/* c=IN IP6 :: (hold) keeps the stream's pinholes to the phone's address, never ::. */
static void hold_keeps_the_phones_address(void)
{
	init6(NULL);
	invite_out("h", PHONE6_A, 4000);
	answer_in("h", FAR6, 5000);
	msg_request(&sc, "INVITE", "h", "ta", "tb", 2);
	msg_media(&sc, PHONE6_A, 4000, M_HOLD0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK(hole6(PHONE6_A, 4000) != NULL);
	for (unsigned i = 0; i < sc.k.n_live; i++)
		CHECK(!sipalg_addr_is_any(&sc.k.live[i].dst));
	scene_free(&sc);
}

int main(void)
{
	RUN(routed_call_opens_the_phones_own_ports_and_nothing_else);
	RUN(incoming_call_rings_through);
	RUN(inside_ports_are_limited_as_for_ipv4);
	RUN(bad_far_addresses_keep_the_pinhole_wide);
	RUN(other_family_far_address_is_not_used);
	RUN(neighbours_are_separate_hosts);
	RUN(hold_keeps_the_phones_address);
	return check_failures ? 1 : 0;
}
