/*
 * Expectation planning against a recording fake kernel: what each SIP message
 * of a call does to the pinholes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scene.h"

#define RTP_RETRANSMIT_WINDOW_TEST 32	/* RFC 3261 64*T1, as rtp/ uses */

static struct scene sc;	/* large (holds a sipalg_result): not on the stack */

/* An inbound pinhole to public:port, NATed to to_ip:to_port; src_ip NULL = any source. */
static void check_inbound(unsigned line, unsigned port, const char *src_ip,
			  const char *to_ip, unsigned to_port)
{
	const struct rtp_expect *e = fake_find_dst(&sc.k, PUBLIC_IP, port);
	struct sipalg_addr to = addr(to_ip, to_port);
	int before = check_failures;

	if (!e) {
		fprintf(stderr, "line %u: no pinhole to public port %u\n", line, port);
		check_failures++;
		return;
	}
	CHECK(e->nat);
	CHECK_EQ(e->nat_to.ip.s_addr, to.ip.s_addr);
	CHECK_EQ(e->nat_to.port, to.port);
	CHECK(e->src_any_port);
	if (src_ip) {
		CHECK(!e->src_any_addr);
		CHECK_EQ(e->src.ip.s_addr, addr(src_ip, 0).ip.s_addr);
	} else {
		CHECK(e->src_any_addr);
	}
	CHECK(e->fn && !strcmp(e->fn, "sip"));
	CHECK(e->class >= 1 && e->class <= 3);	/* never 0: "sip" pairs only class != 0 */
	CHECK_EQ(e->l4proto, IPPROTO_UDP);
	if (check_failures != before)
		fprintf(stderr, "  (pinhole checked at line %u)\n", line);
}

/* The sibling that makes the phone's first packet leave from the public port. */
static void check_sibling(unsigned line, const char *from_ip, unsigned from_port,
			  const char *far_ip, unsigned far_port)
{
	const struct rtp_expect *e = fake_find_src(&sc.k, from_ip, from_port);
	struct sipalg_addr far = addr(far_ip, far_port);

	if (!e) {
		fprintf(stderr, "line %u: no sibling from %s:%u\n", line, from_ip, from_port);
		check_failures++;
		return;
	}
	CHECK_EQ(e->dst.ip.s_addr, far.ip.s_addr);
	CHECK_EQ(e->dst.port, far.port);
	/* DNAT to where it goes anyway: a no-op; the SNAT comes from the pair. */
	CHECK_EQ(e->nat_to.ip.s_addr, far.ip.s_addr);
	CHECK_EQ(e->nat_to.port, far.port);
}

/* A calls the far phone: INVITE out with 192.168.1.10:port. */
static void invite_out(const char *cid, unsigned port, unsigned flags)
{
	msg_request(&sc, "INVITE", cid, "ta", NULL, 1);
	msg_media(&sc, PHONE_A, port, flags);
	msg_send(&sc, SIPALG_OUTBOUND);
}

/* The far side's answer to A's INVITE with CSeq cseq. */
static void answer_in_to(const char *cid, unsigned cseq, int status, unsigned far_port,
			 unsigned flags)
{
	msg_response(&sc, status, "INVITE", cid, "ta", "tb", cseq);
	if (far_port)
		msg_media(&sc, FAR_IP, far_port, flags);
	msg_send(&sc, SIPALG_INBOUND);
}

static void answer_in(const char *cid, int status, unsigned far_port, unsigned flags)
{
	msg_response(&sc, status, "INVITE", cid, "ta", "tb", 1);
	if (far_port)
		msg_media(&sc, FAR_IP, far_port, flags);
	msg_send(&sc, SIPALG_INBOUND);
}

static void offer_opens_wide_pinholes_before_the_answer(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].ip.s_addr, addr(PUBLIC_IP, 0).ip.s_addr);
	CHECK_EQ(sc.mapped[0].port, 10000);	/* the phone's port was free */
	CHECK_EQ(sc.mapped_rtcp[0], 10001);
	/* Created inside the callback - before the INVITE leaves. */
	CHECK_EQ(sc.calls_during_map, 2);
	CHECK_EQ(sc.k.n_live, 2);
	check_inbound(__LINE__, 10000, NULL, PHONE_A, 10000);
	check_inbound(__LINE__, 10001, NULL, PHONE_A, 10001);
	/* The offer went out in the master's original direction: NAT dir = reply. */
	CHECK_EQ(fake_find_dst(&sc.k, PUBLIC_IP, 10000)->nat_dir, 1);
	CHECK(fake_find_src(&sc.k, PHONE_A, 10000) == NULL);	/* far not known yet */
	scene_free(&sc);
}

static void answer_narrows_and_adds_siblings(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	CHECK_EQ(sc.k.n_live, 4);
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	check_inbound(__LINE__, 10001, FAR_IP, PHONE_A, 10001);
	check_sibling(__LINE__, PHONE_A, 10000, FAR_IP, 40000);
	check_sibling(__LINE__, PHONE_A, 10001, FAR_IP, 40001);
	CHECK_EQ(fake_find_src(&sc.k, PHONE_A, 10000)->nat_dir, 0);
	/* The wide one had to go first: a narrow one on the same port clashes. */
	CHECK_EQ(fake_count(&sc.k, 'D'), 2);
	CHECK_EQ(rtp_table_stats(sc.t)->expect_failed, 0);
	scene_free(&sc);
}

static void wide_switch_keeps_pinholes_wide(void)
{
	struct rtp_config cfg;

	rtp_config_default(&cfg);
	cfg.wide_source = true;
	scene_init(&sc, &cfg);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	check_inbound(__LINE__, 10000, NULL, PHONE_A, 10000);
	check_sibling(__LINE__, PHONE_A, 10000, FAR_IP, 40000);
	CHECK_EQ(fake_count(&sc.k, 'D'), 0);
	scene_free(&sc);
}

static void siblings_only_with_the_sip_function(void)
{
	struct rtp_config cfg;
	const struct rtp_expect *e;

	rtp_config_default(&cfg);
	snprintf(cfg.expect_fn, sizeof(cfg.expect_fn), "nat-follow-master");
	scene_init(&sc, &cfg);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	CHECK_EQ(sc.k.n_live, 2);
	CHECK(fake_find_src(&sc.k, PHONE_A, 10000) == NULL);
	e = fake_find_dst(&sc.k, PUBLIC_IP, 10000);
	CHECK(e && e->fn && !strcmp(e->fn, "nat-follow-master"));
	scene_free(&sc);
}

/* Each class holds at most max_expected per master before the kernel evicts
 * the oldest: streams spread over the configured classes in turn. */
static void streams_take_classes_in_turn(void)
{
	struct rtp_config cfg;
	static const unsigned want[] = { 1, 2, 3, 1 };
	unsigned i;

	scene_init(&sc, NULL);
	for (i = 0; i < 4; i++) {
		char cid[16];

		snprintf(cid, sizeof(cid), "k%u", i);
		invite_out(cid, 10000 + 2 * i, 0);
		CHECK_EQ(fake_find_dst(&sc.k, PUBLIC_IP, 10000 + 2 * i)->class, want[i]);
		CHECK_EQ(fake_find_dst(&sc.k, PUBLIC_IP, 10001 + 2 * i)->class, want[i]);
	}
	scene_free(&sc);

	rtp_config_default(&cfg);
	cfg.expect_class = 2;
	cfg.expect_classes = 1;
	scene_init(&sc, &cfg);
	invite_out("k0", 10000, 0);
	invite_out("k1", 10002, 0);
	CHECK_EQ(fake_find_dst(&sc.k, PUBLIC_IP, 10000)->class, 2);
	CHECK_EQ(fake_find_dst(&sc.k, PUBLIC_IP, 10002)->class, 2);
	scene_free(&sc);
}

static void rtcp_switch_and_rtcp_attributes(void)
{
	struct rtp_config cfg;

	rtp_config_default(&cfg);
	cfg.rtcp = false;
	scene_init(&sc, &cfg);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	CHECK_EQ(sc.k.n_live, 2);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10001) == NULL);
	scene_free(&sc);

	/* a=rtcp:10003 - the RTCP pinhole leads to the announced port. */
	scene_init(&sc, NULL);
	invite_out("c1", 10000, M_RTCP_ATTR);
	CHECK_EQ(sc.mapped_rtcp[0], 10001);
	check_inbound(__LINE__, 10001, NULL, PHONE_A, 10003);
	scene_free(&sc);

	/* rtcp-mux offered and accepted: no RTCP pinholes at all. */
	scene_init(&sc, NULL);
	invite_out("c1", 10000, M_MUX);
	CHECK_EQ(sc.k.n_live, 1);
	answer_in("c1", 200, 40000, M_MUX);
	CHECK_EQ(sc.k.n_live, 2);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10001) == NULL);
	scene_free(&sc);

	/* rtcp-mux offered, refused by the answer: RTCP pinholes appear. */
	scene_init(&sc, NULL);
	invite_out("c1", 10000, M_MUX);
	answer_in("c1", 200, 40000, 0);
	check_inbound(__LINE__, 10001, FAR_IP, PHONE_A, 10001);
	scene_free(&sc);
}

static void expectations_off_means_none(void)
{
	struct rtp_config cfg;

	rtp_config_default(&cfg);
	cfg.expectations = false;
	scene_init(&sc, &cfg);
	invite_out("c1", 10006, 0);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].port, 10006);	/* address NATed, port kept */
	answer_in("c1", 200, 40000, 0);
	CHECK_EQ(sc.k.n_calls, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	scene_free(&sc);
}

static void hold_and_resume_keep_media_open(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	/* Media flowed both ways: the kernel used up the expectations. */
	fake_consume_all(&sc.k);

	/* A holds: re-INVITE a=sendonly, same port. */
	msg_request(&sc, "INVITE", "c1", "ta", "tb", 2);
	msg_media(&sc, PHONE_A, 10000, M_SENDONLY);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.mapped[0].port, 10000);
	answer_in_to("c1", 2, 200, 40000, M_INACTIVE);
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	check_sibling(__LINE__, PHONE_A, 10000, FAR_IP, 40000);

	/* The phone holds RFC 2543 style (c=0.0.0.0: the port is still mapped). */
	fake_consume_all(&sc.k);
	msg_request(&sc, "INVITE", "c1", "ta", "tb", 3);
	msg_media(&sc, PHONE_A, 10000, M_HOLD0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].port, 10000);
	answer_in_to("c1", 3, 200, 40000, M_INACTIVE);
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	check_sibling(__LINE__, PHONE_A, 10000, FAR_IP, 40000);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);

	/* Far side holds RFC 2543 style: c=0.0.0.0 - the far address is kept. */
	fake_consume_all(&sc.k);
	msg_request(&sc, "INVITE", "c1", "tb", "ta", 7);
	msg_media(&sc, FAR_IP, 40000, M_HOLD0);
	msg_send(&sc, SIPALG_INBOUND);
	msg_response(&sc, 200, "INVITE", "c1", "tb", "ta", 7);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);

	/* Resume after the conntracks timed out during the hold: pinholes are
	 * there again, so audio returns whoever speaks first. */
	fake_consume_all(&sc.k);
	msg_request(&sc, "INVITE", "c1", "tb", "ta", 8);
	msg_media(&sc, FAR_IP, 40000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	check_sibling(__LINE__, PHONE_A, 10000, FAR_IP, 40000);
	check_sibling(__LINE__, PHONE_A, 10001, FAR_IP, 40001);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	scene_free(&sc);
}

/* No live expectation leads to (or comes from) 0.0.0.0. */
static void check_no_zero_pinhole(unsigned line)
{
	unsigned i;

	for (i = 0; i < sc.k.n_live; i++) {
		const struct rtp_expect *e = &sc.k.live[i];

		if ((e->nat && e->nat_to.ip.s_addr == 0) ||
		    (!e->src_any_addr && e->src.ip.s_addr == 0)) {
			fprintf(stderr, "line %u: pinhole %u touches 0.0.0.0\n", line, i);
			check_failures++;
		}
	}
}

/* The phone's port lies outside the pool (30000), so its public port differs
 * and a leak of the inside port would show. Hold at c=0.0.0.0 announces the
 * stream's public pair; the resume on another port gets a new pair whose
 * pinholes lead to the new port, and the old pair goes with the answer. */
static void hold_zero_maps_public_port_and_resume_moves_it(void)
{
	uint16_t pub, pub2;

	scene_init(&sc, NULL);
	invite_out("c1", 30000, 0);
	CHECK_EQ(sc.map_ret[0], 0);
	pub = sc.mapped[0].port;
	CHECK(pub != 30000);
	answer_in("c1", 200, 40000, 0);

	msg_request(&sc, "INVITE", "c1", "ta", "tb", 2);
	msg_media(&sc, PHONE_A, 30000, M_HOLD0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].port, pub);		/* the pair the dialog has */
	CHECK_EQ(sc.mapped_rtcp[0], pub + 1);
	answer_in_to("c1", 2, 200, 40000, M_INACTIVE);
	check_inbound(__LINE__, pub, FAR_IP, PHONE_A, 30000);
	check_no_zero_pinhole(__LINE__);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);

	/* Resume with a new port. */
	msg_request(&sc, "INVITE", "c1", "ta", "tb", 3);
	msg_media(&sc, PHONE_A, 30010, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	pub2 = sc.mapped[0].port;
	CHECK(pub2 != 30010 && pub2 != pub);
	check_inbound(__LINE__, pub2, FAR_IP, PHONE_A, 30010);
	check_sibling(__LINE__, PHONE_A, 30010, FAR_IP, 40000);
	answer_in_to("c1", 3, 200, 40000, 0);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, pub) == NULL);
	CHECK(fake_find_src(&sc.k, PHONE_A, 30000) == NULL);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);
	check_no_zero_pinhole(__LINE__);
	scene_free(&sc);
}

/* A stream that starts on hold (an offer at c=0.0.0.0, or a stream added
 * while held) gets a newly reserved public pair; its pinholes lead to the
 * phone that sent it, never to 0.0.0.0. A refused pinhole leaves the port. */
static void hold_zero_new_stream_reserves_a_pair(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 30000, M_HOLD0);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK(sc.mapped[0].port != 30000 && sc.mapped[0].port != 0);
	check_inbound(__LINE__, sc.mapped[0].port, NULL, PHONE_A, 30000);
	check_no_zero_pinhole(__LINE__);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);

	/* The far side's answer at c=0.0.0.0 learns no far address. */
	answer_in("c1", 200, 40000, M_HOLD0);
	check_inbound(__LINE__, sc.mapped[0].port, NULL, PHONE_A, 30000);
	check_no_zero_pinhole(__LINE__);
	scene_free(&sc);

	scene_init(&sc, NULL);
	sc.k.fail_create = -ENOSPC;
	invite_out("c2", 30000, M_HOLD0);
	CHECK_EQ(sc.map_ret[0], -1);			/* the engine keeps the port */
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	scene_free(&sc);
}

static void reinvite_with_new_port_moves_pinholes(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	msg_request(&sc, "INVITE", "c1", "ta", "tb", 2);
	msg_media(&sc, PHONE_A, 10100, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.mapped[0].port, 10100);
	/* New pinholes (already narrowed: the far side is known) ... */
	check_inbound(__LINE__, 10100, FAR_IP, PHONE_A, 10100);
	check_sibling(__LINE__, PHONE_A, 10100, FAR_IP, 40000);
	/* ... the old ones stay until the offer is answered. */
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) != NULL);
	msg_response(&sc, 200, "INVITE", "c1", "ta", "tb", 2);
	msg_media(&sc, FAR_IP, 40010, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) == NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10001) == NULL);
	check_sibling(__LINE__, PHONE_A, 10100, FAR_IP, 40010);	/* far moved too */
	CHECK(fake_find_src(&sc.k, PHONE_A, 10000) == NULL);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);	/* 10000 returned */
	scene_free(&sc);
}

static void failed_reinvite_keeps_the_call(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	msg_request(&sc, "INVITE", "c1", "ta", "tb", 2);
	msg_media(&sc, PHONE_A, 10100, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	msg_response(&sc, 491, "INVITE", "c1", "ta", "tb", 2);
	msg_send(&sc, SIPALG_INBOUND);
	/* Media stays where it was; the pair of the failed offer is returned. */
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	check_sibling(__LINE__, PHONE_A, 10000, FAR_IP, 40000);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10100) == NULL);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);
	/* A 488 to a re-INVITE without port change: nothing moves either. */
	msg_response(&sc, 488, "INVITE", "c1", "ta", "tb", 3);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.k.n_live, 4);
	/* The BYE still ends it. */
	msg_request(&sc, "BYE", "c1", "tb", "ta", 9);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	scene_free(&sc);
}

static void cancel_and_error_end_an_unanswered_call(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	msg_request(&sc, "CANCEL", "c1", "ta", NULL, 1);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	scene_free(&sc);

	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	answer_in("c1", 486, 0, 0);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->expect_removed, 2);
	scene_free(&sc);

	/* A CANCEL after the 2xx has no effect on the call. */
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	msg_request(&sc, "CANCEL", "c1", "ta", NULL, 1);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.k.n_live, 4);
	scene_free(&sc);
}

static void bye_removes_everything(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	msg_request(&sc, "BYE", "c1", "ta", "tb", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_removed, 1);
	/* The 200 to the BYE finds nothing and creates nothing. */
	msg_response(&sc, 200, "BYE", "c1", "ta", "tb", 2);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	scene_free(&sc);
}

static void consumed_expectations_are_not_errors(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	fake_consume_all(&sc.k);	/* far RTP arrived before the answer */
	answer_in("c1", 200, 40000, 0);
	msg_request(&sc, "BYE", "c1", "ta", "tb", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(rtp_table_stats(sc.t)->expect_delete_failed, 0);
	scene_free(&sc);
}

/* A retransmitted INVITE or 200 OK re-sends no pinhole; a new CSeq, a copy
 * past 64*T1, or a copy whose first try failed in the kernel still does. */
static void retransmissions_cost_no_kernel_calls(void)
{
	unsigned n;

	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	n = sc.k.n_calls;
	CHECK(n > 0);
	invite_out("c1", 10000, 0);		/* Timer A copy */
	CHECK_EQ(sc.k.n_calls, n);
	CHECK_EQ(sc.mapped[0].port, 10000);	/* still rewritten the same way */
	CHECK_EQ(rtp_table_stats(sc.t)->retransmits_seen, 1);

	answer_in("c1", 200, 40000, 0);
	n = sc.k.n_calls;
	fake_consume_all(&sc.k);		/* media flowed */
	answer_in("c1", 200, 40000, 0);		/* 200 OK copy: the ACK was lost */
	CHECK_EQ(sc.k.n_calls, n);
	CHECK_EQ(rtp_table_stats(sc.t)->retransmits_seen, 2);

	/* A new offer (re-INVITE, CSeq 2) re-opens what media consumed. */
	msg_request(&sc, "INVITE", "c1", "ta", "tb", 2);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	check_sibling(__LINE__, PHONE_A, 10000, FAR_IP, 40000);

	/* The same CSeq 32 s later is no retransmission any more. */
	fake_consume_all(&sc.k);
	sc.mc.now += RTP_RETRANSMIT_WINDOW_TEST + 1;
	msg_request(&sc, "INVITE", "c1", "ta", "tb", 2);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	scene_free(&sc);

	/* The first copy's pinholes failed in the kernel: the copy tries again. */
	scene_init(&sc, NULL);
	sc.k.fail_create = -ENOMEM;
	invite_out("c1", 10000, 0);
	CHECK_EQ(sc.k.n_live, 0);
	sc.k.fail_create = 0;
	invite_out("c1", 10000, 0);
	check_inbound(__LINE__, 10000, NULL, PHONE_A, 10000);
	check_inbound(__LINE__, 10001, NULL, PHONE_A, 10001);
	scene_free(&sc);
}

/* Each message's kernel work for a side is one round trip: the offer's two
 * wide pinholes, the answer's narrowing (deletes before creates) and
 * siblings, the BYE's deletes. Without expect_batch the same calls happen
 * one by one, to the same end. */
static void a_sides_work_is_one_round_trip(void)
{
	unsigned calls_batched, live_batched, i;

	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	CHECK_EQ(sc.k.n_batches, 1);
	CHECK_EQ(sc.k.n_calls, 2);
	answer_in("c1", 200, 40000, 0);
	CHECK_EQ(sc.k.n_batches, 2);
	/* delete wide RTP, create narrow RTP, the same for RTCP, two siblings */
	CHECK_EQ(sc.k.n_calls, 8);
	CHECK(sc.k.calls[2].op == 'D' && sc.k.calls[3].op == 'C');
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	check_sibling(__LINE__, PHONE_A, 10000, FAR_IP, 40000);
	calls_batched = sc.k.n_calls;
	live_batched = sc.k.n_live;
	msg_request(&sc, "BYE", "c1", "ta", "tb", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.k.n_batches, 3);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->expect_removed, 2 + 4);	/* narrowing, BYE */
	scene_free(&sc);

	scene_init_ops(&sc, NULL, &fake_ops_single);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	CHECK_EQ(sc.k.n_batches, 0);
	CHECK_EQ(sc.k.n_calls, calls_batched);
	CHECK_EQ(sc.k.n_live, live_batched);
	for (i = 0; i < sc.k.n_calls; i++)
		CHECK(sc.k.calls[i].op == (i == 2 || i == 4 ? 'D' : 'C'));
	check_inbound(__LINE__, 10000, FAR_IP, PHONE_A, 10000);
	CHECK_EQ(rtp_table_stats(sc.t)->expect_created, 6);
	scene_free(&sc);
}

static void kernel_errors_are_counted(void)
{
	scene_init(&sc, NULL);
	sc.k.fail_create = -EOPNOTSUPP;		/* master without helper */
	invite_out("c1", 10000, 0);
	/* No pinhole: the m= keeps the phone's port, as with no ALG, and the
	 * public pair goes back to the pool (tests/rtp/test_policy.c). */
	CHECK_EQ(sc.map_ret[0], -1);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->expect_failed, 2);
	CHECK_EQ(rtp_table_stats(sc.t)->last_error, -EOPNOTSUPP);
	scene_free(&sc);
}

static void timeout_drops_idle_dialogs(void)
{
	scene_init(&sc, NULL);
	invite_out("c1", 10000, 0);
	answer_in("c1", 200, 40000, 0);
	rtp_expire(sc.t, sc.mc.now + sc.cfg.dialog_timeout - 1);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	/* Signalling refreshes the dialog. */
	sc.mc.now += 100;
	msg_request(&sc, "UPDATE", "c1", "ta", "tb", 3);
	msg_send(&sc, SIPALG_OUTBOUND);
	rtp_expire(sc.t, 1000 + sc.cfg.dialog_timeout);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	rtp_expire(sc.t, sc.mc.now + sc.cfg.dialog_timeout);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	scene_free(&sc);
}

static void incoming_call_opens_narrow_pinholes_with_the_answer(void)
{
	/* The proxy opened the signalling flow: outbound is the reply direction. */
	scene_init(&sc, NULL);
	scene_phone(&sc, PHONE_A, true);
	msg_request(&sc, "INVITE", "c9", "tfar", NULL, 1);
	msg_media(&sc, FAR_IP, 40000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.k.n_calls, 0);	/* nothing to open before the phone answers */
	msg_response(&sc, 200, "INVITE", "c9", "tfar", "ta", 1);
	msg_media(&sc, PHONE_A, 10002, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.calls_during_map, 4);	/* all before the 200 leaves */
	check_inbound(__LINE__, 10002, FAR_IP, PHONE_A, 10002);
	check_sibling(__LINE__, PHONE_A, 10002, FAR_IP, 40000);
	CHECK_EQ(fake_find_dst(&sc.k, PUBLIC_IP, 10002)->nat_dir, 0);
	CHECK_EQ(fake_find_src(&sc.k, PHONE_A, 10002)->nat_dir, 1);
	/* Expectations hang on the signalling flow's conntrack. */
	CHECK_EQ(fake_find_dst(&sc.k, PUBLIC_IP, 10002)->master.src.ip.s_addr,
		 addr(PROXY_IP, 0).ip.s_addr);
	/* The callee's BYE carries the caller's tag as To-tag. */
	msg_request(&sc, "BYE", "c9", "ta", "tfar", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.k.n_live, 0);
	scene_free(&sc);
}

static void hairpin_maps_public_pair_back_to_the_phone(void)
{
	scene_init(&sc, NULL);
	/* A calls B through the WAN proxy. */
	invite_out("h1", 10000, 0);
	CHECK_EQ(sc.mapped[0].port, 10000);
	/* The proxy relays the INVITE to B: its SDP names A's public pair. */
	scene_phone(&sc, PHONE_B, false);
	msg_request(&sc, "INVITE", "h1", "ta", NULL, 1);
	msg_media(&sc, PUBLIC_IP, 10000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].ip.s_addr, addr(PHONE_A, 0).ip.s_addr);
	CHECK_EQ(sc.mapped[0].port, 10000);
	CHECK_EQ(sc.mapped_rtcp[0], 10001);
	/* B answers from the same local port: it gets the next public pair. */
	msg_response(&sc, 200, "INVITE", "h1", "ta", "tb", 1);
	msg_media(&sc, PHONE_B, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.mapped[0].port, 10002);
	/* Back to A: the answer names B's public pair. */
	scene_phone(&sc, PHONE_A, false);
	msg_response(&sc, 200, "INVITE", "h1", "ta", "tb", 1);
	msg_media(&sc, PUBLIC_IP, 10002, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].ip.s_addr, addr(PHONE_B, 0).ip.s_addr);
	CHECK_EQ(sc.mapped[0].port, 10000);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 2);
	/* A public port nobody owns, or another address: left alone. */
	msg_request(&sc, "INVITE", "h2", "tx", NULL, 1);
	msg_media(&sc, PUBLIC_IP, 10400, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.map_ret[0], -1);
	scene_free(&sc);
}

static void dump_shows_live_dialogs(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	scene_init(&sc, NULL);
	invite_out("dump-call", 10000, 0);
	answer_in("dump-call", 200, 40000, 0);
	f = open_memstream(&text, &len);
	rtp_table_dump(sc.t, f);
	fclose(f);
	CHECK(text && strstr(text, "dump-call"));
	CHECK(text && strstr(text, "203.0.113.1:10000"));
	CHECK(text && strstr(text, "in-rtp"));
	free(text);
	scene_free(&sc);
}

int main(void)
{
	RUN(offer_opens_wide_pinholes_before_the_answer);
	RUN(answer_narrows_and_adds_siblings);
	RUN(wide_switch_keeps_pinholes_wide);
	RUN(siblings_only_with_the_sip_function);
	RUN(streams_take_classes_in_turn);
	RUN(rtcp_switch_and_rtcp_attributes);
	RUN(expectations_off_means_none);
	RUN(hold_and_resume_keep_media_open);
	RUN(hold_zero_maps_public_port_and_resume_moves_it);
	RUN(hold_zero_new_stream_reserves_a_pair);
	RUN(reinvite_with_new_port_moves_pinholes);
	RUN(failed_reinvite_keeps_the_call);
	RUN(cancel_and_error_end_an_unanswered_call);
	RUN(bye_removes_everything);
	RUN(consumed_expectations_are_not_errors);
	RUN(retransmissions_cost_no_kernel_calls);
	RUN(a_sides_work_is_one_round_trip);
	RUN(kernel_errors_are_counted);
	RUN(timeout_drops_idle_dialogs);
	RUN(incoming_call_opens_narrow_pinholes_with_the_answer);
	RUN(hairpin_maps_public_pair_back_to_the_phone);
	RUN(dump_shows_live_dialogs);
	return CHECK_DONE();
}
