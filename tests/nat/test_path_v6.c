/*
 * nat_path_v6: IPv6 SIP on the daemon's packet path (issue 11), no kernel -
 * queued IPv6 packets with the NFQA_CT libnetfilter_conntrack builds for a
 * routed flow (reply tuple = the inverse of the original: no NAT66),
 * verdicts recorded, pinholes at tests/rtp's recording fake kernel.
 *  - a UDP INVITE leaves byte for byte and opens RTP and RTCP pinholes to the
 *    phone's own [v6]:port (no NAT, no expect function, no pool pair), the
 *    200 OK narrows them to the far address, the BYE removes them;
 *  - with extension headers the same; a fragment is passed and opens nothing;
 *  - a flow's first packet (unconfirmed conntrack) carries its RTP pinhole in
 *    the verdict (NFQA_EXP) in IPv6 tuples, the RTCP one follows the flush;
 *  - SIP over TCP/IPv6: stream state from the SYN, the INVITE's pinholes;
 *  - the IPv4 twin still rewrites (the checks above can tell the difference).
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_fixture.h"
#include "fake_kernel.h"
#include "packet_path.h"
#include "splice.h"
#include "verdict_exp.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

#define FAR6 "2001:db8:20::20"

/* ---- verdicts as the kernel would receive them ---- */
static struct {
	int type;
	uint32_t id;
	size_t len;
	bool has_exp, exp_v6;
	uint16_t exp_dport;
	uint8_t exp_dst[16];
	bool exp_nat;
} v[16];
static unsigned nv;

static int collect(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) < 32)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* NFQA_EXP { CTA_EXPECT_TUPLE { IP { V6_DST }, PROTO { DST_PORT } }, NAT? } */
static void parse_exp(const struct nlattr *exp, unsigned i)
{
	const struct nlattr *tb[32] = { 0 }, *t[32] = { 0 }, *ip[32] = { 0 }, *pr[32] = { 0 };

	mnl_attr_parse_nested(exp, collect, tb);
	v[i].exp_nat = tb[CTA_EXPECT_NAT] != NULL;
	if (!tb[CTA_EXPECT_TUPLE])
		return;
	mnl_attr_parse_nested(tb[CTA_EXPECT_TUPLE], collect, t);
	if (!t[CTA_TUPLE_IP] || !t[CTA_TUPLE_PROTO])
		return;
	mnl_attr_parse_nested(t[CTA_TUPLE_IP], collect, ip);
	mnl_attr_parse_nested(t[CTA_TUPLE_PROTO], collect, pr);
	v[i].exp_v6 = ip[CTA_IP_V6_DST] && !ip[CTA_IP_V4_DST] &&
		      mnl_attr_get_payload_len(ip[CTA_IP_V6_DST]) == 16;
	if (v[i].exp_v6)
		memcpy(v[i].exp_dst, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
	if (pr[CTA_PROTO_DST_PORT])
		v[i].exp_dport = ntohs(mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]));
}

static int record(void *arg, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	(void)arg;
	for (; mnl_nlmsg_ok(nlh, rem) && nv < 16; nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct nlattr *a[NFQA_MAX + 1] = { 0 };
		struct nfqnl_msg_verdict_hdr *vh;

		nfq_nlmsg_parse(nlh, a);
		vh = mnl_attr_get_payload(a[NFQA_VERDICT_HDR]);
		memset(&v[nv], 0, sizeof(v[nv]));
		v[nv].type = nlh->nlmsg_type & 0xff;
		v[nv].id = ntohl(vh->id);
		v[nv].len = a[NFQA_PAYLOAD] ? mnl_attr_get_payload_len(a[NFQA_PAYLOAD]) : 0;
		v[nv].has_exp = a[NFQA_EXP] != NULL;
		if (a[NFQA_EXP])
			parse_exp(a[NFQA_EXP], nv);
		nv++;
	}
	return 0;
}

/* ---- packets of the routed flow [2001:db8:1::10]:5060 <-> [2001:db8:5::5]:5060 ---- */

static int sdp_msg(char *msg, size_t cap, const char *first, const char *media_ip,
		   unsigned port, const char *cseq)
{
	char sdp[256];
	int sl = snprintf(sdp, sizeof(sdp),
			  "v=0\r\no=a 1 1 IN IP6 %s\r\ns=-\r\nc=IN IP6 %s\r\nt=0 0\r\n"
			  "m=audio %u RTP/AVP 0\r\n", media_ip, media_ip, port);

	return snprintf(msg, cap,
			"%s\r\n"
			"Via: SIP/2.0/UDP [" CT6_PHONE "]:5060;branch=z9hG4bK-6\r\n"
			"From: <sip:alice@example.com>;tag=a6\r\nTo: <sip:bob@example.com>%s\r\n"
			"Call-ID: v6call@pc\r\nCSeq: %s\r\n"
			"Contact: <sip:alice@[" CT6_PHONE "]:5060>\r\n"
			"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
			first, first[0] == 'S' ? ";tag=b6" : "", cseq, sl, sdp);
}

static const char bye[] =
	"BYE sip:bob@[2001:db8:5::5] SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [" CT6_PHONE "]:5060;branch=z9hG4bK-7\r\n"
	"From: <sip:alice@example.com>;tag=a6\r\nTo: <sip:bob@example.com>;tag=b6\r\n"
	"Call-ID: v6call@pc\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";

/* IPv6 + UDP (or TCP with seq/flags); ext: a hop-by-hop header first; frag: a fragment header. */
static size_t build6(uint8_t *pkt, bool outbound, uint8_t proto, const char *payload,
		     bool ext, bool frag, uint32_t seq, uint8_t flags)
{
	size_t plen = strlen(payload), hl = proto == IPPROTO_UDP ? 8 : 20, off = 40;
	const char *src = outbound ? CT6_PHONE : CT6_PROXY, *dst = outbound ? CT6_PROXY : CT6_PHONE;

	memset(pkt, 0, 48);
	pkt[0] = 0x60;
	pkt[7] = 64;
	inet_pton(AF_INET6, src, pkt + 8);
	inet_pton(AF_INET6, dst, pkt + 24);
	pkt[6] = proto;
	if (ext || frag) {
		pkt[6] = frag ? 44 : 0;
		pkt[40] = proto;
		pkt[41] = 0;
		if (!frag) {
			pkt[42] = 1;	/* PadN */
			pkt[43] = 4;
		} else {
			pkt[43] = 1;	/* offset 0, more fragments */
		}
		off = 48;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr u = { .source = htons(5060), .dest = htons(5060),
				    .len = htons((uint16_t)(8 + plen)) };
		memcpy(pkt + off, &u, 8);
	} else {
		struct tcphdr t = { .source = htons(5060), .dest = htons(5060),
				    .seq = htonl(seq), .doff = 5, .window = htons(512) };

		memcpy(pkt + off, &t, 20);
		pkt[off + 13] = flags;
	}
	memcpy(pkt + off + hl, payload, plen);
	pkt[4] = (uint8_t)((off - 40 + hl + plen) >> 8);
	pkt[5] = (uint8_t)(off - 40 + hl + plen);
	return off + hl + plen;
}

static uint8_t sent[4096];
static size_t sent_len;

struct q {
	bool outbound, ext, frag, unconfirmed;
	uint8_t proto;
	uint32_t seq;
	uint8_t flags;
};

static void queue6(struct nat_path *p, uint32_t id, const char *payload, struct q o)
{
	static struct ct_fixture fx;
	struct nat_packet np = { .id = id, .data = sent, .has_ctinfo = true };

	if (!o.proto)
		o.proto = IPPROTO_UDP;
	np.ctinfo = o.unconfirmed ? IP_CT_NEW : o.outbound ? IP_CT_ESTABLISHED
							    : IP_CT_ESTABLISHED_REPLY;
	sent_len = build6(sent, o.outbound, o.proto, payload, o.ext, o.frag, o.seq, o.flags);
	np.len = sent_len;
	ct_fixture_build6(&fx, o.proto, 5060, o.unconfirmed);
	np.ct = fx.attrs;
	np.ct_len = fx.len;
	nv = 0;
	nat_path_packet(p, &np);
	nat_verdicts_flush(p->verdicts);
}

/* One verdict for id with no new payload: the packet left as it came. */
static bool passed_as_is(uint32_t id)
{
	return nv == 1 && v[0].id == id && v[0].len == 0;
}

/* The live pinhole to the phone's [v6]:port, as a routed flow's must be. */
static const struct rtp_expect *hole(const struct fake_kernel *k, unsigned port)
{
	const struct rtp_expect *e = fake_find_dst(k, CT6_PHONE, port);

	if (e) {
		CHECK(!e->nat && e->fn == NULL && sipalg_addr_is_v6(&e->master.src));
		CHECK(e->master.src.port == 5060 && e->master.l4proto == IPPROTO_UDP);
	}
	return e;
}

static void udp_call(void)
{
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	struct nat_path p = { 0 };
	struct rtp_config rc;
	static struct fake_kernel k;
	char m[2048];
	const struct rtp_expect *e;

	sipalg_switches_default(&sw);
	rtp_config_default(&rc);
	fake_reset(&k);
	CHECK(nat_verdicts_init(&verdicts, 0, 256 * 1024, record, NULL) == 0);
	p.sw = &sw;
	p.udp = p.tcp = true;
	p.verdicts = &verdicts;
	p.rtp = rtp_table_new(&rc, &fake_ops, &k);
	CHECK(p.rtp && nat_path_init(&p) == 0);

	sdp_msg(m, sizeof(m), "INVITE sip:bob@[2001:db8:5::5] SIP/2.0", CT6_PHONE, 4000, "1 INVITE");
	queue6(&p, 1, m, (struct q){ .outbound = true });
	CHECK(passed_as_is(1));
	CHECK(p.c.ipv6 == 1 && p.c.ipv6_routed == 1 && p.c.rewritten == 0 && p.c.out_of_scope == 0);
	CHECK(p.c.no_binding == 0 && p.c.not_ipv4_l4 == 0);
	e = hole(&k, 4000);
	CHECK(e && e->src_any_addr && sipalg_addr_is_v6(&e->dst));
	CHECK(hole(&k, 4001) != NULL);
	CHECK(k.n_live == 2);
	CHECK(rtp_table_stats(p.rtp)->ports_in_use == 0);

	/* the answer from the far end: narrowed, nothing rewritten inbound either */
	sdp_msg(m, sizeof(m), "SIP/2.0 200 OK", FAR6, 5000, "1 INVITE");
	queue6(&p, 2, m, (struct q){ .outbound = false });
	CHECK(passed_as_is(2));
	e = hole(&k, 4000);
	CHECK(e && !e->src_any_addr);
	if (e) {
		struct in6_addr far;

		inet_pton(AF_INET6, FAR6, &far);
		CHECK(sipalg_addr_is_v6(&e->src) && !memcmp(&e->src.ip6, &far, 16));
	}
	CHECK(k.n_live == 2 && p.c.ipv6_routed == 2);

	/* BYE: gone */
	queue6(&p, 3, bye, (struct q){ .outbound = true });
	CHECK(passed_as_is(3) && k.n_live == 0);

	/* the same INVITE behind a hop-by-hop header: the same pinholes */
	sdp_msg(m, sizeof(m), "INVITE sip:bob@[2001:db8:5::5] SIP/2.0", CT6_PHONE, 4100, "3 INVITE");
	queue6(&p, 4, m, (struct q){ .outbound = true, .ext = true });
	CHECK(passed_as_is(4) && hole(&k, 4100) != NULL && hole(&k, 4101) != NULL);

	/* a fragment: not ours (conntrack reassembles first), passed, nothing opened */
	sdp_msg(m, sizeof(m), "INVITE sip:bob@[2001:db8:5::5] SIP/2.0", CT6_PHONE, 4200, "4 INVITE");
	queue6(&p, 5, m, (struct q){ .outbound = true, .frag = true });
	CHECK(passed_as_is(5) && hole(&k, 4200) == NULL && p.c.not_ipv4_l4 == 1);
	CHECK(p.c.internal_errors == 0);

	nat_path_free(&p);
	rtp_table_free(p.rtp);
	nat_verdicts_free(&verdicts);
}

/* ---- a flow's first packet: its RTP pinhole in the verdict, in IPv6 ---- */

struct call { char op; struct rtp_expect e; };
static struct call calls[16];
static unsigned ncalls;

static int inner_create(void *arg, struct rtp_expect *e)
{
	(void)arg;
	if (ncalls < 16)
		calls[ncalls++] = (struct call){ 'C', *e };
	return 0;
}

static int inner_delete(void *arg, const struct rtp_expect *e)
{
	(void)arg;
	if (ncalls < 16)
		calls[ncalls++] = (struct call){ 'D', *e };
	return 0;
}

static const struct rtp_kernel_ops inner_ops = { inner_create, inner_delete, NULL };

static void first_packet(void)
{
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	struct rtp_config rc;
	static struct nat_exp x;
	struct nat_path p = { 0 };
	struct in6_addr phone;
	char m[2048];

	sipalg_switches_default(&sw);
	rtp_config_default(&rc);
	CHECK(nat_verdicts_init(&verdicts, 0, 256 * 1024, record, NULL) == 0);
	nat_exp_init(&x, &inner_ops, NULL, &verdicts);
	x.rtp = rtp_table_new(&rc, &nat_exp_ops, &x);
	p.sw = &sw;
	p.udp = true;
	p.ct_in_verdict = true;
	p.verdicts = &verdicts;
	p.rtp = x.rtp;
	p.exp = &x;
	CHECK(x.rtp && nat_path_init(&p) == 0);

	ncalls = 0;
	sdp_msg(m, sizeof(m), "INVITE sip:bob@[2001:db8:5::5] SIP/2.0", CT6_PHONE, 4000, "1 INVITE");
	queue6(&p, 9, m, (struct q){ .outbound = true, .unconfirmed = true });
	inet_pton(AF_INET6, CT6_PHONE, &phone);
	CHECK(nv == 1 && v[0].id == 9 && v[0].len == 0 && v[0].has_exp);
	CHECK(v[0].exp_v6 && !memcmp(v[0].exp_dst, &phone, 16) && v[0].exp_dport == 4000);
	CHECK(!v[0].exp_nat);		/* routed: no NAT on it */
	CHECK(ncalls == 0);		/* nothing over ctnetlink while queued */
	nat_exp_after_flush(&x);
	CHECK(ncalls == 1 && calls[0].op == 'C' && calls[0].e.dst.port == 4001 &&
	      sipalg_addr_is_v6(&calls[0].e.dst) && !calls[0].e.nat);
	CHECK(x.stats.unconfirmed == 1 && x.stats.in_verdict == 1);

	nat_path_free(&p);
	rtp_table_free(x.rtp);
	nat_verdicts_free(&verdicts);
}

/* ---- SIP over TCP/IPv6: stream positions from the SYN, the INVITE's pinholes ---- */

static void tcp_call(void)
{
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	struct nat_path p = { 0 };
	struct rtp_config rc;
	static struct fake_kernel k;
	char m[2048];

	sipalg_switches_default(&sw);
	rtp_config_default(&rc);
	fake_reset(&k);
	CHECK(nat_verdicts_init(&verdicts, 0, 256 * 1024, record, NULL) == 0);
	p.sw = &sw;
	p.udp = p.tcp = true;
	p.ct_in_verdict = true;
	p.verdicts = &verdicts;
	p.rtp = rtp_table_new(&rc, &fake_ops, &k);
	CHECK(p.rtp && nat_path_init(&p) == 0);

	queue6(&p, 20, "", (struct q){ .outbound = true, .proto = IPPROTO_TCP, .seq = 999,
					.flags = TH_SYN });
	CHECK(passed_as_is(20));
	sdp_msg(m, sizeof(m), "INVITE sip:bob@[2001:db8:5::5] SIP/2.0", CT6_PHONE, 4300, "1 INVITE");
	/* a TCP Via: the same message otherwise */
	memcpy(strstr(m, "SIP/2.0/UDP"), "SIP/2.0/TCP", 11);
	queue6(&p, 21, m, (struct q){ .outbound = true, .proto = IPPROTO_TCP, .seq = 1000,
				       .flags = TH_ACK | TH_PUSH });
	CHECK(passed_as_is(21));
	CHECK(fake_find_dst(&k, CT6_PHONE, 4300) != NULL);
	CHECK(fake_find_dst(&k, CT6_PHONE, 4300) &&
	      fake_find_dst(&k, CT6_PHONE, 4300)->master.l4proto == IPPROTO_TCP);
	CHECK(p.c.internal_errors == 0 && p.c.ipv6 == 2);

	nat_path_free(&p);
	rtp_table_free(p.rtp);
	nat_verdicts_free(&verdicts);
}

int main(void)
{
	udp_call();
	first_packet();
	tcp_call();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
