/*
 * What an SDP may open (rtp/README.md "What an SDP may open"): each rule
 * against the recording fake kernel, each attack of issue 7 as an outsider
 * would try it. Every test here fails when its rule is taken out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scene.h"

#define PHONE_C "192.168.1.12"
#define PHONE_D "192.168.1.13"

static struct scene sc;	/* large: not on the stack */

static const struct rtp_stats *stats(void)
{
	return rtp_table_stats(sc.t);
}

/* The gateway: lo, LAN 192.168.1.1/24 (eth1), a second inside net 10.9.0.1/16
 * (eth2), WAN 203.0.113.1/24 (eth0) holding the public address, and the WAN's
 * IPv6 link-local fe80::1/64 that every dual-stack link has (its /64 once
 * reached the IPv4 mask arithmetic: UBSan, a negative shift). */
static void set_gateway_addrs(void)
{
	struct rtp_local_addr a[5] = {
		{ .addr = addr("127.0.0.1", 0).ip, .prefix = 8, .ifindex = 1 },
		{ .addr = addr("192.168.1.1", 0).ip, .prefix = 24, .ifindex = 2 },
		{ .addr = addr("10.9.0.1", 0).ip, .prefix = 16, .ifindex = 3 },
		{ .addr = addr(PUBLIC_IP, 0).ip, .prefix = 24, .ifindex = 4 },
		{ .family = AF_INET6, .prefix = 64, .ifindex = 4 },
	};

	inet_pton(AF_INET6, "fe80::1", &a[4].addr6);
	rtp_table_set_local(sc.t, a, 5);
}

static void invite_out(const char *cid, unsigned port)
{
	msg_request(&sc, "INVITE", cid, "ta", NULL, 1);
	msg_media(&sc, sc.mc.binding.inside.ip.s_addr == addr(PHONE_A, 0).ip.s_addr ? PHONE_A
		  : PHONE_B, port, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
}

static void answer_in(const char *cid, const char *far_ip, unsigned far_port)
{
	msg_response(&sc, 200, "INVITE", cid, "ta", "tb", 1);
	msg_media(&sc, far_ip, far_port, 0);
	msg_send(&sc, SIPALG_INBOUND);
}

/* Did the last answer narrow A's pinhole to public:port or add a sibling? */
static bool steered(unsigned public_port, unsigned phone_port)
{
	const struct rtp_expect *in = fake_find_dst(&sc.k, PUBLIC_IP, public_port);

	return !in || !in->src_any_addr || fake_find_src(&sc.k, PHONE_A, phone_port) ||
	       fake_find_src(&sc.k, PHONE_A, phone_port + 1);
}

/* ---- 1. inside ports ---- */

static void inside_port_below_1024_gets_no_pinhole(void)
{
	scene_init(&sc, NULL);
	invite_out("low", 22);
	CHECK_EQ(sc.map_ret[0], -1);		/* the SDP keeps m=22: no public port */
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(fake_count(&sc.k, 'C'), 0);
	CHECK_EQ(stats()->port_refused, 1);
	CHECK_EQ(stats()->ports_in_use, 0);
	/* 1022 has its RTCP at 1023: refused too; 1024 is a media port. */
	invite_out("low2", 1022);
	CHECK_EQ(sc.map_ret[0], -1);
	invite_out("ok", 1024);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, sc.mapped[0].port) != NULL);
	CHECK_EQ(stats()->port_refused, 2);
	scene_free(&sc);
}

static void rtcp_port_never_wraps(void)
{
	unsigned i;

	scene_init(&sc, NULL);
	invite_out("wrap", 65535);		/* RTCP would be 65536 = port 0 */
	CHECK_EQ(sc.map_ret[0], -1);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(stats()->port_refused, 1);
	invite_out("top", 65534);		/* RTCP 65535: fine */
	CHECK_EQ(sc.map_ret[0], 0);
	/* A far side at 65535: RTP sibling yes, none towards port 0. */
	answer_in("top", FAR_IP, 65535);
	CHECK(fake_find_src(&sc.k, PHONE_A, 65534) != NULL);
	CHECK(fake_find_src(&sc.k, PHONE_A, 65535) == NULL);
	for (i = 0; i < sc.k.n_live; i++)
		CHECK(sc.k.live[i].dst.port != 0 && sc.k.live[i].nat_to.port != 0);
	scene_free(&sc);
}

/* ---- 2. far media addresses ---- */

struct far_case {
	const char *ip;
	unsigned port;
	enum rtp_far_class why;
};

static void bad_far_addresses_get_no_sibling_and_no_narrowing(void)
{
	static const struct far_case bad[] = {
		{ "0.1.2.3", 40000, RTP_FAR_UNSPECIFIED },
		{ "127.0.0.1", 40000, RTP_FAR_LOOPBACK },
		{ "127.9.9.9", 40000, RTP_FAR_LOOPBACK },
		{ "224.0.0.5", 40000, RTP_FAR_MULTICAST },
		{ "239.1.2.3", 40000, RTP_FAR_MULTICAST },
		{ "255.255.255.255", 40000, RTP_FAR_BROADCAST },
		{ "192.168.1.255", 40000, RTP_FAR_BROADCAST },	/* the LAN's broadcast */
		{ "203.0.113.255", 40000, RTP_FAR_BROADCAST },	/* the WAN's */
		{ "192.168.1.1", 40000, RTP_FAR_OWN },		/* gateway, LAN side */
		{ PUBLIC_IP, 30000, RTP_FAR_OWN },		/* gateway, not a pool port */
		{ PUBLIC_IP, 10400, RTP_FAR_OWN },		/* pool port nobody holds */
		{ "192.168.1.11", 40000, RTP_FAR_INSIDE },	/* phone B */
		{ "10.9.4.4", 40000, RTP_FAR_INSIDE },		/* the other inside net */
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int before = check_failures;

		scene_init(&sc, NULL);
		set_gateway_addrs();
		invite_out("c1", 10000);
		answer_in("c1", bad[i].ip, bad[i].port);
		CHECK(!steered(10000, 10000));
		CHECK_EQ(stats()->far_refused[bad[i].why], 1);
		if (check_failures != before)
			fprintf(stderr, "  far address %s:%u\n", bad[i].ip, bad[i].port);
		scene_free(&sc);
	}
}

/* Private far addresses are not banned as such: a provider behind carrier
 * NAT announces them, and the WAN subnet is the outside. */
static void private_and_wan_far_addresses_still_narrow(void)
{
	static const char *const good[] = { "10.1.2.3", "100.64.7.7", "172.16.5.5",
					    "192.168.77.5", "203.0.113.20" };
	unsigned i, k;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		scene_init(&sc, NULL);
		set_gateway_addrs();
		invite_out("c1", 10000);
		answer_in("c1", good[i], 40000);
		CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) &&
		      !fake_find_dst(&sc.k, PUBLIC_IP, 10000)->src_any_addr);
		CHECK(fake_find_src(&sc.k, PHONE_A, 10000) != NULL);
		for (k = 0; k < RTP_FAR_MAX; k++)
			CHECK_EQ(stats()->far_refused[k], 0);
		scene_free(&sc);
	}
}

/* No interface table: the binding's public address is still the gateway's. */
static void public_address_is_own_without_a_table(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000);
	answer_in("c1", PUBLIC_IP, 30000);
	CHECK(!steered(10000, 10000));
	CHECK_EQ(stats()->far_refused[RTP_FAR_OWN], 1);
	scene_free(&sc);
}

/* A refused far address in a re-INVITE leaves the stream where it was. */
static void refused_far_keeps_the_earlier_one(void)
{
	const struct rtp_expect *sib;

	scene_init(&sc, NULL);
	set_gateway_addrs();
	invite_out("c1", 10000);
	answer_in("c1", FAR_IP, 40000);
	msg_request(&sc, "INVITE", "c1", "tb", "ta", 2);
	msg_media(&sc, "127.0.0.1", 22, 0);
	msg_send(&sc, SIPALG_INBOUND);
	sib = fake_find_src(&sc.k, PHONE_A, 10000);
	CHECK(sib && sib->dst.ip.s_addr == addr(FAR_IP, 0).ip.s_addr && sib->dst.port == 40000);
	CHECK_EQ(stats()->far_refused[RTP_FAR_LOOPBACK], 1);
	scene_free(&sc);
}

/* ---- 3. hairpin ---- */

/* B calls out in call "h1" (public pair 10000), the proxy relays it to A. */
static void b_calls(const char *cid, unsigned port)
{
	scene_phone(&sc, PHONE_B, false);
	msg_request(&sc, "INVITE", cid, "tb", NULL, 1);
	msg_media(&sc, PHONE_B, port, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	scene_phone(&sc, PHONE_A, true);
}

static void hairpin_to_an_announced_pair_of_this_call(void)
{
	scene_init(&sc, NULL);
	set_gateway_addrs();
	b_calls("h1", 10000);
	CHECK_EQ(sc.mapped[0].port, 10000);
	msg_request(&sc, "INVITE", "h1", "tb", NULL, 1);
	msg_media(&sc, PUBLIC_IP, 10000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.map_ret[0], 0);		/* A's SDP names B directly */
	CHECK_EQ(sc.mapped[0].ip.s_addr, addr(PHONE_B, 0).ip.s_addr);
	CHECK_EQ(sc.mapped[0].port, 10000);
	/* A answers: its pinholes narrow to B, its sibling goes to B. */
	msg_response(&sc, 200, "INVITE", "h1", "tb", "ta", 1);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK(fake_find_src(&sc.k, PHONE_A, 10000) &&
	      fake_find_src(&sc.k, PHONE_A, 10000)->dst.ip.s_addr == addr(PHONE_B, 0).ip.s_addr);
	CHECK_EQ(stats()->far_refused[RTP_FAR_HAIRPIN], 0);
	scene_free(&sc);
}

static void hairpin_to_an_unannounced_pair_is_left_alone(void)
{
	scene_init(&sc, NULL);
	set_gateway_addrs();
	/* A pool port nobody holds: neither rewritten nor a far address. */
	scene_phone(&sc, PHONE_A, true);
	msg_request(&sc, "INVITE", "h2", "tx", NULL, 1);
	msg_media(&sc, PUBLIC_IP, 10400, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.map_ret[0], -1);
	/* B announced 10000 in call h3, then hung up: the pair is free again. */
	b_calls("h3", 10000);
	scene_phone(&sc, PHONE_B, false);
	msg_request(&sc, "CANCEL", "h3", "tb", NULL, 1);
	msg_send(&sc, SIPALG_OUTBOUND);
	scene_phone(&sc, PHONE_A, true);
	msg_request(&sc, "INVITE", "h3", "tb", NULL, 1);
	msg_media(&sc, PUBLIC_IP, 10000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.map_ret[0], -1);
	msg_response(&sc, 200, "INVITE", "h3", "tb", "ta", 1);
	msg_media(&sc, PHONE_A, 10002, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(fake_find_src(&sc.k, PHONE_A, 10002) == NULL);	/* no sibling to us */
	CHECK_EQ(stats()->far_refused[RTP_FAR_OWN], 2);
	scene_free(&sc);
}

/*
 * Steered media: B is in an unrelated call "victim" on public pair 10000.
 * An outsider who can send as the provider answers A's call "mine" - or
 * offers A a new one - naming that pair. A's media must not be aimed at B.
 */
static void steered_media_attack_is_refused(void)
{
	scene_init(&sc, NULL);
	set_gateway_addrs();
	b_calls("victim", 10000);
	scene_phone(&sc, PHONE_A, false);
	invite_out("mine", 10002);
	CHECK_EQ(sc.mapped[0].port, 10002);
	answer_in("mine", PUBLIC_IP, 10000);
	CHECK(!steered(10002, 10002));
	CHECK_EQ(stats()->far_refused[RTP_FAR_HAIRPIN], 1);
	/* The same as an offer: the SDP is not pointed at B either. */
	scene_phone(&sc, PHONE_A, true);
	msg_request(&sc, "INVITE", "other", "tx", NULL, 1);
	msg_media(&sc, PUBLIC_IP, 10000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.map_ret[0], -1);
	msg_response(&sc, 200, "INVITE", "other", "tx", "ta", 1);
	msg_media(&sc, PHONE_A, 10004, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(fake_find_src(&sc.k, PHONE_A, 10004) == NULL);
	CHECK_EQ(stats()->far_refused[RTP_FAR_HAIRPIN], 2);
	/* B's own call is untouched. */
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) &&
	      fake_find_dst(&sc.k, PUBLIC_IP, 10000)->nat_to.ip.s_addr == addr(PHONE_B, 0).ip.s_addr);
	scene_free(&sc);
}

/* ---- 4. dialog flood, early dialogs ---- */

/* An INVITE from outside to the phone scene_phone chose, never answered. */
static void inbound_invite(const char *cid)
{
	msg_request(&sc, "INVITE", cid, "flood", NULL, 1);
	msg_media(&sc, FAR_IP, 40000, 0);
	msg_send(&sc, SIPALG_INBOUND);
}

static void flood(const char *phone, unsigned n, unsigned from)
{
	char cid[32];
	unsigned i;

	scene_phone(&sc, phone, true);
	for (i = 0; i < n; i++) {
		snprintf(cid, sizeof(cid), "flood-%s-%u", phone, from + i);
		inbound_invite(cid);
	}
}

/* A legitimate incoming call to phone: its answer's stream must be mapped. */
static int legit_incoming(const char *phone, const char *cid, unsigned port)
{
	scene_phone(&sc, phone, true);
	msg_request(&sc, "INVITE", cid, "pal", NULL, 1);
	msg_media(&sc, FAR_IP, 41000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	scene_phone(&sc, phone, true);
	msg_response(&sc, 200, "INVITE", cid, "pal", "me", 1);
	msg_media(&sc, phone, port, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	return sc.map_ret[0];
}

static void dialog_flood_does_not_deny_a_later_call(void)
{
	struct rtp_config def;

	rtp_config_default(&def);
	scene_init(&sc, NULL);
	/* B is ringing (early) before the flood starts. */
	scene_phone(&sc, PHONE_B, false);
	invite_out("b-ringing", 10000);
	CHECK_EQ(sc.map_ret[0], 0);
	flood(PHONE_A, 5000, 0);
	/* One phone holds at most its cap; B's ringing call was not evicted. */
	CHECK(stats()->dialogs_live <= def.max_dialogs_per_host + 1);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) != NULL);
	CHECK_EQ(stats()->dialogs_refused, 0);
	CHECK(stats()->dialogs_evicted >= 5000 - def.max_dialogs_per_host);
	/* A later call to C, and one to the flooded A itself, get their media. */
	CHECK_EQ(legit_incoming(PHONE_C, "legit-c", 12000), 0);
	CHECK_EQ(legit_incoming(PHONE_A, "legit-a", 12002), 0);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 12000) != NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 12002) != NULL);
	/* Answered, A's call is no longer early: more flood does not evict it. */
	flood(PHONE_A, 500, 5000);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 12002) != NULL);
	/* Timer C: unanswered INVITEs go after early_timeout, answered ones stay. */
	rtp_expire(sc.t, sc.mc.now + (time_t)sc.cfg.early_timeout);
	CHECK_EQ(stats()->dialogs_live, 2);
	CHECK(stats()->early_expired >= 63);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 12002) != NULL);
	scene_free(&sc);
}

static void global_cap_evicts_the_oldest_early_dialog(void)
{
	struct rtp_config cfg;

	rtp_config_default(&cfg);
	cfg.max_dialogs = 100;
	scene_init(&sc, &cfg);
	CHECK_EQ(legit_incoming(PHONE_D, "answered", 12000), 0);
	/* Three flooded phones, 64 each, would be 192 > 100. */
	flood(PHONE_A, 64, 0);
	flood(PHONE_B, 64, 0);
	flood(PHONE_C, 64, 0);
	CHECK_EQ(stats()->dialogs_live, 100);
	CHECK_EQ(stats()->dialogs_refused, 0);
	CHECK_EQ(stats()->dialogs_evicted, 1 + 192 - 100);
	/* A new call still gets in; the answered call was never a candidate. */
	CHECK_EQ(legit_incoming(PHONE_D, "new", 12002), 0);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 12000) != NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 12002) != NULL);
	scene_free(&sc);

	/* Only answered calls at the cap: the new one is refused, none evicted. */
	cfg.max_dialogs = 2;
	scene_init(&sc, &cfg);
	CHECK_EQ(legit_incoming(PHONE_A, "one", 12000), 0);
	CHECK_EQ(legit_incoming(PHONE_B, "two", 12002), 0);
	CHECK_EQ(legit_incoming(PHONE_C, "three", 12004), -1);
	CHECK_EQ(stats()->dialogs_refused, 2);	/* its INVITE, then its answer */
	CHECK_EQ(stats()->dialogs_evicted, 0);
	CHECK_EQ(stats()->dialogs_live, 2);
	scene_free(&sc);
}

static void early_dialog_ends_on_the_final_answer(void)
{
	scene_init(&sc, NULL);
	scene_phone(&sc, PHONE_A, true);
	inbound_invite("busy");
	CHECK_EQ(stats()->dialogs_live, 1);
	msg_response(&sc, 486, "INVITE", "busy", "flood", "me", 1);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(stats()->dialogs_live, 0);
	/* An early dialog idle for early_timeout - 1 s stays, then goes. */
	inbound_invite("ringing");
	rtp_expire(sc.t, sc.mc.now + (time_t)sc.cfg.early_timeout - 1);
	CHECK_EQ(stats()->dialogs_live, 1);
	rtp_expire(sc.t, sc.mc.now + (time_t)sc.cfg.early_timeout);
	CHECK_EQ(stats()->dialogs_live, 0);
	CHECK_EQ(stats()->early_expired, 1);
	scene_free(&sc);
}

/* ---- 4b. port exhaustion by one inside host ---- */

static void eight_stream_invites_do_not_drain_the_pool(void)
{
	struct rtp_config cfg;
	char cid[32];
	unsigned i, s, unmapped = 0;

	rtp_config_default(&cfg);
	cfg.port_min = 10000;
	cfg.port_max = 12047;		/* 1024 pairs: A's 200 dialogs x 8 would take them all */
	scene_init(&sc, &cfg);
	sc.k.unbounded = true;
	for (i = 0; i < 200; i++) {
		snprintf(cid, sizeof(cid), "fat-%u", i);
		msg_request(&sc, "INVITE", cid, "ta", NULL, 1);
		for (s = 0; s < 8; s++)
			msg_media(&sc, PHONE_A, 20000 + 2 * s, 0);
		msg_send(&sc, SIPALG_OUTBOUND);
		unmapped += sc.map_ret[7] == -1;
	}
	CHECK_EQ(stats()->ports_in_use, cfg.max_pairs_per_host);
	CHECK(stats()->host_pairs_refused > 0);
	CHECK_EQ(stats()->ports_exhausted, 0);
	/* A stream over the cap keeps the phone's port: nothing announced. */
	CHECK(unmapped > 0);
	/* B still gets a pair. */
	scene_phone(&sc, PHONE_B, false);
	invite_out("b", 20000);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(stats()->ports_in_use, cfg.max_pairs_per_host + 1);
	scene_free(&sc);
}

/* ---- 5. kernel refusal ---- */

static void kernel_refusal_leaves_the_phone_port(void)
{
	scene_init(&sc, NULL);
	sc.k.fail_create = -EMFILE;	/* nf_conntrack_expect_max reached */
	invite_out("full", 4000);
	CHECK_EQ(sc.map_ret[0], -1);	/* the engine keeps m=4000 */
	CHECK_EQ(stats()->unmapped_no_pinhole, 1);
	CHECK_EQ(stats()->ports_in_use, 0);
	CHECK_EQ(stats()->last_error, -EMFILE);
	CHECK_EQ(sc.k.n_live, 0);
	/* The kernel has room again: the next call maps as usual. */
	sc.k.fail_create = 0;
	invite_out("room", 4000);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, sc.mapped[0].port) != NULL);
	scene_free(&sc);
}

/* The same through the engine: what the SDP that leaves says. */
static struct sipalg_result eres;

static void engine_sdp_keeps_the_phone_port_without_a_pinhole(void)
{
	static const char sdp[] = "v=0\r\no=alice 1 1 IN IP4 192.168.1.10\r\ns=-\r\n"
				  "c=IN IP4 192.168.1.10\r\nt=0 0\r\n"
				  "m=audio 4000 RTP/AVP 0\r\na=rtcp:4001\r\n";
	struct sipalg_switches sw;
	struct sipalg_ctx ctx;
	char msg[1024], out[2048];
	long n;
	int len, fail;

	for (fail = 1; fail >= 0; fail--) {
		scene_init(&sc, NULL);
		sc.k.fail_create = fail ? -EMFILE : 0;
		len = snprintf(msg, sizeof(msg),
			       "INVITE sip:bob@203.0.113.5 SIP/2.0\r\n"
			       "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKp1\r\n"
			       "From: <sip:alice@example.com>;tag=ta\r\nTo: <sip:bob@example.com>\r\n"
			       "Call-ID: engine-1\r\nCSeq: 1 INVITE\r\n"
			       "Contact: <sip:alice@192.168.1.10:5060>\r\n"
			       "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
			       sizeof(sdp) - 1, sdp);
		sipalg_switches_default(&sw);
		memset(&ctx, 0, sizeof(ctx));
		ctx.transport = SIPALG_UDP;
		ctx.dir = SIPALG_OUTBOUND;
		ctx.binding = sc.mc.binding;
		ctx.sw = &sw;
		ctx.map_media = rtp_map_media;
		ctx.map_arg = &sc.mc;
		sc.mc.dir = SIPALG_OUTBOUND;
		CHECK_EQ(sipalg_process((const uint8_t *)msg, (size_t)len, &ctx, &eres), SIPALG_OK);
		rtp_after_message(&sc.mc, &eres);
		n = sipalg_apply((const uint8_t *)msg, (size_t)len, &eres, (uint8_t *)out,
				 sizeof(out) - 1);
		CHECK(n > 0);
		out[n > 0 ? n : 0] = 0;
		CHECK(strstr(out, "c=IN IP4 " PUBLIC_IP "\r\n") != NULL);
		if (fail) {
			CHECK(strstr(out, "m=audio 4000 RTP/AVP 0\r\na=rtcp:4001\r\n") != NULL);
			CHECK_EQ(sc.k.n_live, 0);
		} else {
			CHECK(strstr(out, "m=audio 10000 RTP/AVP 0\r\na=rtcp:10001\r\n") != NULL);
			CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) != NULL);
		}
		scene_free(&sc);
	}
}

int main(void)
{
	RUN(inside_port_below_1024_gets_no_pinhole);
	RUN(rtcp_port_never_wraps);
	RUN(bad_far_addresses_get_no_sibling_and_no_narrowing);
	RUN(private_and_wan_far_addresses_still_narrow);
	RUN(public_address_is_own_without_a_table);
	RUN(refused_far_keeps_the_earlier_one);
	RUN(hairpin_to_an_announced_pair_of_this_call);
	RUN(hairpin_to_an_unannounced_pair_is_left_alone);
	RUN(steered_media_attack_is_refused);
	RUN(dialog_flood_does_not_deny_a_later_call);
	RUN(global_cap_evicts_the_oldest_early_dialog);
	RUN(early_dialog_ends_on_the_final_answer);
	RUN(eight_stream_invites_do_not_drain_the_pool);
	RUN(kernel_refusal_leaves_the_phone_port);
	RUN(engine_sdp_keeps_the_phone_port_without_a_pinhole);
	return CHECK_DONE();
}
