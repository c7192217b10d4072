/*
 * fuzz_packet_path.c - libFuzzer harness over the daemon's per-packet path:
 * nat_path_packet() as the run loop drives it, the pinhole layer behind it on
 * the recording fake kernel (tests/rtp/fake_kernel.c), the registration
 * table, and a verdict send function that checks every verdict message
 * (fuzz_verdicts.c). The input format is in fuzz_packets.h: a setup header
 * (switches, pool, transports) and a sequence of packets of up to four flows,
 * UDP and TCP, with a fake clock that the daemon's 1 s timer work follows.
 *
 * Invariants, abort on violation: those of fuzz_verdicts.h (exactly one
 * NF_ACCEPT per packet id, valid rewritten packets, nothing but plain accepts
 * with enabled = no); every packet has its verdict once every TCP hold is
 * over (PATH_HOLDS_VERDICTS); every expectation the fake
 * kernel holds hangs on one of the flows' conntracks and leads only to the
 * phone that announced it (check_kernel); a retransmission leaves with the
 * bytes of its first copy (is_copy); freeing the pinhole table leaves the
 * fake kernel with none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "fake_kernel.h"
#include "fuzz_packets.h"
#include "fuzz_verdicts.h"
#include "packet_path.h"
#include "registration.h"

/*
 * TCP segments may be held (nat/tcp_stream.h): their verdict comes with a
 * later packet of the stream or from nat_path_tick() once hold_ms passed. So
 * "every packet has its verdict" is checked at the end, after a wait longer
 * than any hold, not after each flush.
 */
#define PATH_HOLDS_VERDICTS 1
#define FINAL_WAIT_MS 10000	/* at the end: longer than any hold may last */
#define QUEUE 7
#define REG_MAX 7200

static struct nat_path path;
static struct nat_verdicts verdicts;
static struct fake_kernel kernel;
static struct fz_packet pkt;
static uint64_t raises;

#define FAIL(...) do { fprintf(stderr, "fuzz_packet_path: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static int fake_raise(void *arg, const struct rtp_master *m, unsigned timeout)
{
	(void)arg;
	(void)m;
	if (timeout == 0 || timeout > REG_MAX)
		FAIL("registration raise to %u s (allowed 1..%u)", timeout, REG_MAX);
	raises++;
	return raises % 5 ? 0 : -ENOENT;	/* now and then the flow is gone */
}

/* The daemon's timers (run.c): TCP hold deadlines as time passes, and the
 * 1 s timer's work at a second boundary. */
static void tick(uint64_t before_ms, uint64_t now_ms)
{
	struct nat_reg_flush_stats st;
	time_t now = (time_t)(now_ms / 1000);

	path.now_ms = now_ms;
	path.now = now;
	nat_path_tick(&path, now_ms);
	if (before_ms / 1000 == now_ms / 1000)
		return;
	if (path.rtp)
		rtp_expire(path.rtp, now);
	nat_reg_expire(path.regs, now);
	nat_reg_flush_dirty(path.regs, now, REG_MAX, 4, fake_raise, NULL, &st);
}

static bool same_master(const struct rtp_master *a, const struct rtp_master *b)
{
	return sipalg_addr_same_ip(&a->src, &b->src) && a->src.port == b->src.port &&
	       sipalg_addr_same_ip(&a->dst, &b->dst) && a->dst.port == b->dst.port &&
	       a->l4proto == b->l4proto && a->zone == b->zone;
}

/*
 * Every expectation hangs on one of the flows' conntracks, and cannot be
 * steered off the phone that announced the media: an inbound pinhole is a
 * public pool port NATed to the inside host of its master flow, at an inside
 * port of at least min_inside_port (RTCP never wraps to 0); a sibling
 * (outbound) one starts at that host. Neither a sibling's far end nor a
 * narrowed source is an address no far phone has (rtp/far_policy.c).
 */
static bool never_far(struct in_addr a, bool local)
{
	uint32_t h = ntohl(a.s_addr);

	return (h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) >= 0xe ||
	       h == 0xcb007101u /* 203.0.113.1, ours */ ||
	       (local && ((h >> 8) == 0xc0a801u /* 192.168.1/24, inside */ || h == 0xcb0071ffu));
}

/* IPv6: no far phone has these (rtp/far_policy.c far_classify6); no local
 * table is given for IPv6 here, so connected prefixes are not known. */
static bool never_far6(const struct in6_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) || a->s6_addr[0] == 0xff ||
	       (a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80) ||
	       !memcmp(a, mapped, 12) || (!memcmp(a, mapped, 10) && !a->s6_addr[10] && !a->s6_addr[11]);
}

/* A routed IPv6 flow's pinhole: to the phone's own [v6]:port, no NAT, no
 * function, never a sibling, never narrowed to an address no far phone has. */
static void check_v6(const struct rtp_config *rc, const struct rtp_expect *e,
		     const struct sipalg_addr *inside)
{
	if (!e->src_any_port)
		FAIL("a sibling expectation on a routed IPv6 flow");
	if (!sipalg_addr_is_v6(&e->dst) || !sipalg_addr_same_ip(&e->dst, inside))
		FAIL("IPv6 pinhole not to its flow's phone");
	if (e->nat || e->fn)
		FAIL("IPv6 pinhole with NAT or an expect function: the flow is routed");
	if (e->dst.port < rc->min_inside_port || e->dst.port == 0)
		FAIL("IPv6 pinhole to inside port %u (min_inside_port %u)", e->dst.port,
		     rc->min_inside_port);
	if (!e->src_any_addr && (!sipalg_addr_is_v6(&e->src) || never_far6(&e->src.ip6)))
		FAIL("IPv6 pinhole narrowed to an address no far phone has");
}

static void check_kernel(const struct rtp_config *rc, bool local)
{
	for (unsigned i = 0; i < kernel.n_live; i++) {
		const struct rtp_expect *e = &kernel.live[i];
		struct fz_flow fl;
		struct sipalg_addr inside, public;
		unsigned f;

		for (f = 0; f < FZ_FLOWS * 2; f++) {
			struct rtp_master m;

			fz_flow_master(f / 2, f & 1, &m);
			if (same_master(&e->master, &m))
				break;
		}
		if (f == FZ_FLOWS * 2)
			FAIL("expectation on a master that is none of the flows");
		fz_flow_get(f / 2, &fl);
		inside = fl.dnat ? fl.repl_src : fl.orig_src;
		public = fl.dnat ? fl.orig_dst : fl.repl_dst;
		if (sipalg_addr_is_v6(&inside)) {
			check_v6(rc, e, &inside);
			continue;
		}
		if (e->src_any_port) {	/* inbound: from the far side to the phone */
			if (e->dst.ip.s_addr != public.ip.s_addr || e->dst.port < rc->port_min ||
			    e->dst.port > rc->port_max)
				FAIL("inbound pinhole to %08x:%u, not a pool port (%u-%u)",
				     ntohl(e->dst.ip.s_addr), e->dst.port, rc->port_min, rc->port_max);
			if (!e->nat || e->nat_to.ip.s_addr != inside.ip.s_addr)
				FAIL("inbound pinhole NATed to %08x, not its flow's inside host %08x",
				     ntohl(e->nat_to.ip.s_addr), ntohl(inside.ip.s_addr));
			if (e->nat_to.port < rc->min_inside_port || e->nat_to.port == 0)
				FAIL("inbound pinhole to inside port %u (min_inside_port %u)",
				     e->nat_to.port, rc->min_inside_port);
			if (!e->src_any_addr && never_far(e->src.ip, local))
				FAIL("pinhole narrowed to %08x", ntohl(e->src.ip.s_addr));
		} else {
			if (e->src.ip.s_addr != inside.ip.s_addr)
				FAIL("sibling pinhole from %08x, not its flow's inside host",
				     ntohl(e->src.ip.s_addr));
			if (never_far(e->dst.ip, local))
				FAIL("sibling pinhole towards %08x", ntohl(e->dst.ip.s_addr));
		}
	}
}

/*
 * A retransmission: the same bytes again on the same flow and direction right
 * after, within a second (UDP: RFC 3261 timer A starts at 500 ms; TCP: the
 * same sequence number). Its verdict must carry what the first copy's did.
 */
static bool is_copy(const struct fz_record *a, const struct fz_record *b)
{
	return a->flow == b->flow && a->reply == b->reply && a->tcp == b->tcp && a->ct == b->ct &&
	       a->truncated == b->truncated && a->len == b->len && a->len &&
	       fz_clock_advance_ms(b->clock) < 1000 &&
	       (!b->tcp || (b->seq_mode == FZ_SEQ_RETRANSMIT && a->tcp_flags == b->tcp_flags)) &&
	       memcmp(a->payload, b->payload, a->len) == 0;
}

static void setup(const struct fz_setup *s, struct sipalg_switches *sw, struct rtp_config *rc)
{
	struct fv_rules vr = { .queue = QUEUE, .max_ct_timeout = REG_MAX };
	struct nat_tcp_limits tl;

	sipalg_switches_default(sw);
	sw->enabled = (s->b0 & FZ_S0_ENABLED_MASK) != 0;
	sw->from_to = s->b1 & FZ_S1_FROM_TO;
	sw->via = !(s->b1 & FZ_S1_NO_VIA);
	rtp_config_default(rc);
	if (s->b1 & FZ_S1_SMALL_POOL)
		rc->port_max = (uint16_t)(rc->port_min + 9);
	if (s->b1 & FZ_S1_FEW_DIALOGS)
		rc->max_dialogs = 3;
	rc->rtcp = !(s->b1 & FZ_S1_NO_RTCP);
	rc->wide_source = s->b1 & FZ_S1_WIDE_SOURCE;
	if (s->b1 & FZ_S1_FOLLOW_MASTER)
		snprintf(rc->expect_fn, sizeof(rc->expect_fn), "nat-follow-master");

	if (s->b2 & FZ_S2_NO_PORT_POLICY)
		rc->min_inside_port = 1;

	fz_set_ipv6(s->b2 & FZ_S2_IPV6);
	fake_reset(&kernel);
	kernel.fail_create = (s->b1 & FZ_S1_KERNEL_REFUSES) ? -EMFILE : 0;
	memset(&path.c, 0, sizeof(path.c));
	nat_tcp_limits_default(&tl);
	tl.max_streams = 64;	/* 8 streams at most here; a 16384-stream table's scans cost 5 ms an input */
	if (s->b2 & FZ_S2_SMALL_STREAM)
		tl.stream_bytes = 3000;
	if (s->b2 & FZ_S2_SMALL_TOTAL)
		tl.total_bytes = 6000;
	if (s->b2 & FZ_S2_SHORT_HOLD)
		tl.hold_ms = 40;
	if (s->b2 & FZ_S2_FEW_STREAMS)
		tl.max_streams = 2;
	/* a fresh stream table per input: TCP state must not carry over */
	nat_tcp_free(path.tcp_streams);
	path.tcp_streams = nat_tcp_new(&tl);
	if (!path.tcp_streams)
		FAIL("out of memory");
	nat_path_tcp_limits(&path, &tl);
	path.sw = sw;
	path.udp = !(s->b0 & FZ_S0_NO_UDP);
	path.tcp = !(s->b0 & FZ_S0_NO_TCP);
	path.ct_in_verdict = s->b0 & FZ_S0_CT_IN_VERDICT;
	path.registration_timeout = !(s->b0 & FZ_S0_NO_REG_TIMEOUT);
	path.registration_timeout_max = REG_MAX;
	path.ct = NULL;		/* no ctnetlink: bindings from NFQA_CT or the mark */
	path.rtp = (s->b0 & FZ_S0_NO_RTP) ? NULL : rtp_table_new(rc, &fake_ops, &kernel);
	if (path.rtp && (s->b2 & FZ_S2_LOCAL_ADDRS)) {
		static const struct rtp_local_addr local[] = {
			{ .addr = { 0x017100cb /* 203.0.113.1 */ }, .prefix = 24, .ifindex = 2 },
			{ .addr = { 0x0101a8c0 /* 192.168.1.1 */ }, .prefix = 24, .ifindex = 3 },
		};

		rtp_table_set_local(path.rtp, local, 2);
	}
	path.regs = nat_reg_new(64);
	if (!path.regs || (!(s->b0 & FZ_S0_NO_RTP) && !path.rtp))
		FAIL("out of memory");
	vr.plain_only = !sw->enabled;
	fv_reset(&vr);
	raises = 0;
}

static void all_verdicts_given(const char *when)
{
	unsigned n = fv_outstanding();

	if (n)
		FAIL("%u packet(s) without a verdict %s", n, when);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (nat_path_init(&path) < 0 ||
	    nat_verdicts_init(&verdicts, QUEUE, 256 * 1024, fv_send, NULL) < 0)
		abort();
	path.verdicts = &verdicts;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sipalg_switches sw;
	struct rtp_config rc;
	struct fz_reader r;
	struct fz_setup s;
	struct fz_record rec;
	struct fz_tcp_state tcp;
	uint64_t now_ms = 1764000000000ull;	/* December 2025, any fixed start will do */
	uint32_t id = 0;
	uint32_t copy_of[FV_MAX_PACKETS + 1] = { 0 };	/* an immediate copy of an earlier id */
	struct fz_record prev = { 0 };

	if (fz_read_setup(&r, d, n, &s) < 0)
		return 0;
	setup(&s, &sw, &rc);
	fz_tcp_reset(&tcp);
	path.now = (time_t)(now_ms / 1000);
	path.now_ms = now_ms;
	while (id < FV_MAX_PACKETS && fz_read_record(&r, &rec) == 1) {
		struct nat_packet np;
		uint64_t before = now_ms;
		bool may_rewrite;

		now_ms += fz_clock_advance_ms(rec.clock);
		if (now_ms != before)
			tick(before, now_ms);
		if (fz_build(&rec, &tcp, &pkt) < 0)
			continue;
		if (path.rtp)
			pkt.mark = 0;	/* only degraded mode marks, and it has no pinholes */
		np = (struct nat_packet){ .id = ++id, .hook = 4 /* NF_INET_POST_ROUTING */,
					  .data = pkt.data, .len = pkt.len,
					  .truncated = rec.truncated, .ct = pkt.ct,
					  .ct_len = pkt.ct_len, .has_ctinfo = pkt.has_ctinfo,
					  .ctinfo = pkt.ctinfo, .mark = pkt.mark };
		/* a routed IPv6 flow is never rewritten: its verdicts must carry no payload */
		may_rewrite = sw.enabled && !rec.truncated && (rec.tcp ? path.tcp : path.udp) &&
			      !(rec.flow == 2 && (s.b2 & FZ_S2_IPV6));
		if (id > 1 && is_copy(&prev, &rec))
			copy_of[id] = id - 1;
		prev = rec;
		fv_queued(id, pkt.data, pkt.len, may_rewrite);
		nat_path_packet(&path, &np);
		check_kernel(&rc, s.b2 & FZ_S2_LOCAL_ADDRS);
		if (rec.flush) {
			nat_verdicts_flush(&verdicts);
			if (!PATH_HOLDS_VERDICTS)
				all_verdicts_given("after a flush");
		}
	}
	nat_verdicts_flush(&verdicts);
	tick(now_ms, now_ms + FINAL_WAIT_MS);
	now_ms += FINAL_WAIT_MS;
	nat_verdicts_flush(&verdicts);
	all_verdicts_given("once every hold is over");
	if (verdicts.held)
		FAIL("%u verdicts still counted as held", verdicts.held);
	nat_path_release_all(&path);	/* nothing left to release: checked by fv_send */
	nat_verdicts_flush(&verdicts);
	for (uint32_t i = 1; i <= id; i++)
		if (copy_of[i] && !fv_same_output(copy_of[i], i))
			FAIL("id %u, a retransmission of id %u, left with other bytes", i, copy_of[i]);
	if (path.c.packets != id)
		FAIL("%u packets queued, path counted %llu", id, (unsigned long long)path.c.packets);

	if (getenv("FUZZ_PATH_VERBOSE"))	/* what a seed exercised, for its author */
		fprintf(stderr, "packets %u rewritten %u unchanged %llu disabled %llu no_binding %llu "
			"tcp_released_unchanged %llu len_refused %llu not_l4 %llu from_mark %llu reg_in_verdict %llu "
			"reg_dirty %llu raises %llu expect_created %u kernel_live %u\n",
			id, fv_rewritten(), (unsigned long long)path.c.unchanged,
			(unsigned long long)path.c.disabled, (unsigned long long)path.c.no_binding,
			(unsigned long long)path.c.tcp_released_unchanged, (unsigned long long)path.c.tcp_len_refused,
			(unsigned long long)path.c.not_ipv4_l4, (unsigned long long)path.c.binding_from_mark,
			(unsigned long long)path.c.reg_timeouts_in_verdict,
			(unsigned long long)path.c.reg_marked_dirty, (unsigned long long)raises,
			fake_count(&kernel, 'C'), kernel.n_live);
	if (path.rtp) {
		rtp_table_free(path.rtp);
		if (kernel.n_live)
			FAIL("%u expectation(s) left after the table was freed", kernel.n_live);
	}
	nat_reg_free(path.regs);
	path.rtp = NULL;
	path.regs = NULL;
	return 0;
}
