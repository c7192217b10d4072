/*
 * Dialog table: calls sharing one signalling flow (a trunk) stay apart -
 * the kernel helper's weak point - and the limits hold.
 */
#include "check.h"
#include "scene.h"

static struct scene sc;

static void call(const char *cid, const char *tag, unsigned port, unsigned far_port)
{
	msg_request(&sc, "INVITE", cid, tag, NULL, 1);
	msg_media(&sc, PHONE_A, port, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	msg_response(&sc, 200, "INVITE", cid, tag, "far", 1);
	msg_media(&sc, FAR_IP, far_port, 0);
	msg_send(&sc, SIPALG_INBOUND);
}

static void bye_of_one_call_leaves_the_other(void)
{
	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	call("call-2", "t2", 10002, 40002);
	CHECK_EQ(sc.k.n_live, 8);
	msg_request(&sc, "BYE", "call-1", "far", "t1", 5);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) == NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002) != NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10003) != NULL);
	CHECK(fake_find_src(&sc.k, PHONE_A, 10002) != NULL);
	CHECK_EQ(sc.k.n_live, 4);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	scene_free(&sc);
}

/* A reload that switches expectations off (or the ALG: rtp_table_flush) ends
 * every call's pinholes and ports at once; on again, new calls are helped. */
static void switched_off_leaves_no_strays(void)
{
	struct rtp_config cfg;

	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	call("call-2", "t2", 10002, 40002);
	CHECK_EQ(sc.k.n_live, 8);
	cfg = sc.cfg;
	cfg.expectations = false;
	CHECK_EQ(rtp_table_reconfigure(sc.t, &cfg), 0);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	cfg.expectations = true;
	CHECK_EQ(rtp_table_reconfigure(sc.t, &cfg), 0);
	call("call-3", "t3", 10004, 40004);
	CHECK_EQ(sc.k.n_live, 4);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	/* the ALG switched off: the daemon flushes */
	CHECK_EQ(rtp_table_flush(sc.t), 1);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	/* an unrelated change keeps the calls */
	call("call-4", "t4", 10006, 40006);
	cfg.dialog_timeout = 1800;
	CHECK_EQ(rtp_table_reconfigure(sc.t, &cfg), 0);
	CHECK_EQ(sc.k.n_live, 4);
	scene_free(&sc);
}

/* The WAN address changed under a live call (DHCP, PPPoE): the re-INVITE on
 * the re-NATed flow announces the new address and a pair with pinholes on
 * it, never the old one; the old address's pinholes go once answered. */
static void new_public_address_moves_the_stream(void)
{
	unsigned moved;

	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) != NULL);
	sc.mc.binding.public = addr("198.51.100.7", 5060);
	msg_request(&sc, "INVITE", "call-1", "t1", "far", 2);
	msg_media(&sc, PHONE_A, 10000, 0);
	CHECK_EQ(msg_send(&sc, SIPALG_OUTBOUND), 1);
	CHECK_EQ(sc.mapped[0].ip.s_addr, addr("198.51.100.7", 0).ip.s_addr);
	CHECK(fake_find_dst(&sc.k, "198.51.100.7", sc.mapped[0].port) != NULL);
	msg_response(&sc, 200, "INVITE", "call-1", "t1", "far", 2);
	msg_media(&sc, FAR_IP, 40000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) == NULL);
	CHECK(fake_find_dst(&sc.k, "198.51.100.7", sc.mapped[0].port) != NULL);
	/* ...and when the gateway loses an address, its calls go at once */
	moved = sc.mapped[0].port;
	sc.mc.binding.public = addr(PUBLIC_IP, 5060);
	call("call-2", "t2", 10002, 40002);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 2);
	CHECK_EQ(rtp_table_flush_public(sc.t, addr(PUBLIC_IP, 0).ip.s_addr), 1);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002) == NULL);
	CHECK(fake_find_dst(&sc.k, "198.51.100.7", moved) != NULL);
	scene_free(&sc);
}

static void cancel_and_error_of_one_call_leave_the_other(void)
{
	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	/* call-2 is ringing when it is cancelled, call-3 is rejected. */
	msg_request(&sc, "INVITE", "call-2", "t2", NULL, 1);
	msg_media(&sc, PHONE_A, 10002, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	msg_request(&sc, "INVITE", "call-3", "t3", NULL, 1);
	msg_media(&sc, PHONE_A, 10004, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	msg_request(&sc, "CANCEL", "call-2", "t2", NULL, 1);
	msg_send(&sc, SIPALG_OUTBOUND);
	msg_response(&sc, 486, "INVITE", "call-3", "t3", "x", 1);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.k.n_live, 4);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) != NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002) == NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10004) == NULL);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	scene_free(&sc);
}

static void same_call_id_different_caller_tag_are_two_dialogs(void)
{
	scene_init(&sc, NULL);
	call("same", "tag-a", 10000, 40000);
	call("same", "tag-b", 10002, 40002);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 2);
	msg_request(&sc, "BYE", "same", "tag-b", "far", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) != NULL);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	scene_free(&sc);
}

static void two_phones_same_rtp_port_get_distinct_public_pairs(void)
{
	scene_init(&sc, NULL);
	call("pa", "ta", 10000, 40000);
	scene_phone(&sc, PHONE_B, false);
	msg_request(&sc, "INVITE", "pb", "tb", NULL, 1);
	msg_media(&sc, PHONE_B, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].port, 10002);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002)->nat_to.ip.s_addr ==
	      addr(PHONE_B, 0).ip.s_addr);
	scene_free(&sc);
}

static void dialog_and_stream_limits(void)
{
	struct rtp_config cfg;

	rtp_config_default(&cfg);
	cfg.max_dialogs = 2;
	cfg.max_streams = 1;
	scene_init(&sc, &cfg);
	call("l1", "t", 10000, 40000);
	call("l2", "t", 10002, 40002);
	msg_request(&sc, "INVITE", "l3", "t", NULL, 1);
	msg_media(&sc, PHONE_A, 10004, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], -1);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_refused, 1);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10004) == NULL);
	/* A second m-line beyond max_streams is left unmapped. */
	msg_request(&sc, "INVITE", "l1", "t", "far", 2);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_media(&sc, PHONE_A, 10010, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.map_ret[1], -1);
	CHECK_EQ(rtp_table_stats(sc.t)->streams_refused, 1);
	/* A freed slot admits the next call. */
	msg_request(&sc, "BYE", "l2", "t", "far", 3);
	msg_send(&sc, SIPALG_OUTBOUND);
	msg_request(&sc, "INVITE", "l3", "t", NULL, 1);
	msg_media(&sc, PHONE_A, 10004, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	scene_free(&sc);
}

static void port_exhaustion_leaves_stream_unmapped(void)
{
	struct rtp_config cfg;

	rtp_config_default(&cfg);
	cfg.port_min = 10000;
	cfg.port_max = 10003;		/* two pairs */
	scene_init(&sc, &cfg);
	call("e1", "t", 10000, 40000);
	call("e2", "t", 10000, 40002);
	msg_request(&sc, "INVITE", "e3", "t", NULL, 1);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], -1);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_exhausted, 1);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 2);
	msg_request(&sc, "BYE", "e1", "t", "far", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);
	msg_request(&sc, "INVITE", "e3", "t", NULL, 2);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(sc.map_ret[0], 0);
	CHECK_EQ(sc.mapped[0].port, 10000);
	scene_free(&sc);
}

static void reconfigure_keeps_live_calls(void)
{
	struct rtp_config cfg;

	scene_init(&sc, NULL);
	call("r1", "t", 10000, 40000);
	rtp_config_default(&cfg);
	cfg.port_min = 30000;
	cfg.port_max = 30010;
	CHECK_EQ(rtp_table_reconfigure(sc.t, &cfg), 0);
	CHECK_EQ(sc.k.n_live, 4);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 1);
	/* New calls come from the new range; the old call ends cleanly. */
	call("r2", "t", 10000, 40002);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 30000) != NULL);
	msg_request(&sc, "BYE", "r1", "t", "far", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) == NULL);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);
	cfg.port_max = 1;		/* invalid: refused, old config kept */
	CHECK_EQ(rtp_table_reconfigure(sc.t, &cfg), -1);
	scene_free(&sc);
}

/* Over TCP the phone's BYE may come from another connection (another port). */
static void bye_from_another_port_of_the_phone(void)
{
	scene_init(&sc, NULL);
	call("p1", "t", 10000, 40000);
	sc.mc.binding.inside.port = 40123;
	sc.mc.master.src.port = 40123;
	msg_request(&sc, "BYE", "p1", "t", "far", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	CHECK_EQ(sc.k.n_live, 0);
	scene_free(&sc);
}

static void table_free_removes_every_pinhole(void)
{
	scene_init(&sc, NULL);
	call("f1", "t", 10000, 40000);
	call("f2", "t", 10002, 40002);
	scene_free(&sc);
	CHECK_EQ(sc.k.n_live, 0);
}

int main(void)
{
	RUN(bye_of_one_call_leaves_the_other);
	RUN(switched_off_leaves_no_strays);
	RUN(new_public_address_moves_the_stream);
	RUN(cancel_and_error_of_one_call_leave_the_other);
	RUN(same_call_id_different_caller_tag_are_two_dialogs);
	RUN(two_phones_same_rtp_port_get_distinct_public_pairs);
	RUN(dialog_and_stream_limits);
	RUN(port_exhaustion_leaves_stream_unmapped);
	RUN(reconfigure_keeps_live_calls);
	RUN(bye_from_another_port_of_the_phone);
	RUN(table_free_removes_every_pinhole);
	return CHECK_DONE();
}
