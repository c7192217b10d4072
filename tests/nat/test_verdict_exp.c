/*
 * nat_verdict_exp: a flow's first packet and its pinholes, without a kernel.
 * The packet path runs with a real pinhole table whose ops are nat/verdict_exp.c
 * over a recording inner kernel; verdicts are recorded at the send function and
 * their NFQA_EXP parsed back attribute by attribute.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
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

#include "packet_path.h"
#include "verdict_exp.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

#define MAXA 32

static int collect(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) < MAXA)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void nested(const struct nlattr *a, const struct nlattr **tb)
{
	memset(tb, 0, MAXA * sizeof(*tb));
	if (a)
		mnl_attr_parse_nested(a, collect, tb);
}

static uint32_t ip(const char *s)
{
	return inet_addr(s);
}

/* ---- the expectation an NFQA_EXP describes, parsed back ---- */
struct parsed_exp {
	bool ok;
	uint32_t src, dst, msrc, mdst, nat_ip;
	uint16_t sport, dport, msport, mdport, nat_port;
	uint32_t mask_src, timeout, class, nat_dir;
	uint16_t mask_sport;
	uint8_t proto;
	char fn[32];
};

static bool tuple(const struct nlattr *t, uint32_t *src, uint32_t *dst, uint8_t *proto,
		  uint16_t *sport, uint16_t *dport)
{
	const struct nlattr *tb[MAXA], *ipb[MAXA], *pb[MAXA];

	if (!t)
		return false;
	nested(t, tb);
	nested(tb[CTA_TUPLE_IP], ipb);
	nested(tb[CTA_TUPLE_PROTO], pb);
	if (!ipb[CTA_IP_V4_SRC] || !ipb[CTA_IP_V4_DST] || !pb[CTA_PROTO_NUM] ||
	    !pb[CTA_PROTO_SRC_PORT] || !pb[CTA_PROTO_DST_PORT])
		return false;
	*src = mnl_attr_get_u32(ipb[CTA_IP_V4_SRC]);
	*dst = mnl_attr_get_u32(ipb[CTA_IP_V4_DST]);
	if (proto)
		*proto = mnl_attr_get_u8(pb[CTA_PROTO_NUM]);
	*sport = ntohs(mnl_attr_get_u16(pb[CTA_PROTO_SRC_PORT]));
	*dport = ntohs(mnl_attr_get_u16(pb[CTA_PROTO_DST_PORT]));
	return true;
}

static struct parsed_exp parse_exp(const struct nlattr *nest)
{
	struct parsed_exp p = { 0 };
	const struct nlattr *tb[MAXA], *nat[MAXA];
	uint32_t d1, d2;
	uint16_t p1;

	nested(nest, tb);
	p.ok = tuple(tb[CTA_EXPECT_TUPLE], &p.src, &p.dst, &p.proto, &p.sport, &p.dport) &&
	       tuple(tb[CTA_EXPECT_MASTER], &p.msrc, &p.mdst, NULL, &p.msport, &p.mdport) &&
	       tuple(tb[CTA_EXPECT_MASK], &p.mask_src, &d1, NULL, &p.mask_sport, &p1) &&
	       tb[CTA_EXPECT_TIMEOUT] && tb[CTA_EXPECT_CLASS] && tb[CTA_EXPECT_FN] &&
	       tb[CTA_EXPECT_NAT];
	if (!p.ok)
		return p;
	p.timeout = ntohl(mnl_attr_get_u32(tb[CTA_EXPECT_TIMEOUT]));
	p.class = ntohl(mnl_attr_get_u32(tb[CTA_EXPECT_CLASS]));
	snprintf(p.fn, sizeof(p.fn), "%s", mnl_attr_get_str(tb[CTA_EXPECT_FN]));
	nested(tb[CTA_EXPECT_NAT], nat);
	p.ok = nat[CTA_EXPECT_NAT_DIR] &&
	       tuple(nat[CTA_EXPECT_NAT_TUPLE], &p.nat_ip, &d2, NULL, &p.nat_port, &p1);
	if (p.ok)
		p.nat_dir = ntohl(mnl_attr_get_u32(nat[CTA_EXPECT_NAT_DIR]));
	return p;
}

/* ---- what the kernel would receive on the queue socket ---- */
static struct { uint32_t id; bool has_ct, has_exp, has_payload; struct parsed_exp exp; } v[16];
static unsigned nv;

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
		v[nv].id = ntohl(vh->id);
		v[nv].has_ct = a[NFQA_CT] != NULL;
		v[nv].has_payload = a[NFQA_PAYLOAD] != NULL;
		v[nv].has_exp = a[NFQA_EXP] != NULL;
		if (a[NFQA_EXP])
			v[nv].exp = parse_exp(a[NFQA_EXP]);
		nv++;
	}
	return 0;
}

/* ---- the inner kernel: ctnetlink as expect_nl.c would drive it ---- */
struct call { char op; struct rtp_expect e; int err; };
#define CALLS_MAX (NAT_EXP_DEFER_MAX + 64)
static struct call calls[CALLS_MAX];
static unsigned ncalls;
static int fail_next[8];	/* errors for the next creates, in turn; 0 = success */
static unsigned n_fail;

static int inner_create(void *arg, struct rtp_expect *e)
{
	int err = 0;

	(void)arg;
	if (n_fail) {
		err = fail_next[0];
		memmove(fail_next, fail_next + 1, sizeof(fail_next) - sizeof(fail_next[0]));
		n_fail--;
	}
	if (ncalls < CALLS_MAX)
		calls[ncalls++] = (struct call){ 'C', *e, err };
	return err;
}

static int inner_delete(void *arg, const struct rtp_expect *e)
{
	(void)arg;
	if (ncalls < CALLS_MAX)
		calls[ncalls++] = (struct call){ 'D', *e, 0 };
	return 0;
}

static const struct rtp_kernel_ops inner_ops = { inner_create, inner_delete, NULL };

/* ---- a masqueraded UDP flow 192.168.1.10:port -> 203.0.113.2:5060 as 203.0.113.1 ---- */
static char ctbuf[4096];

static void ct_attrs(uint16_t port, bool confirmed, const void **attrs, size_t *len)
{
	struct nf_conntrack *ct = nfct_new();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ctbuf);

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, ip("192.168.1.10"));
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, ip("203.0.113.2"));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(port));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(5060));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, ip("203.0.113.2"));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, ip("203.0.113.1"));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(5060));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(port));
	/* the kernel's own status bits: IPS_CONFIRMED is set only at confirm */
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_SRC_NAT | IPS_SRC_NAT_DONE |
					  (confirmed ? IPS_CONFIRMED : 0));
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	*attrs = (const char *)mnl_nlmsg_get_payload(nlh) + sizeof(struct nfgenmsg);
	*len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN - sizeof(struct nfgenmsg);
	/* The library always adds IPS_CONFIRMED (it builds for creation); the
	 * kernel's NFQA_CT (ctnetlink_glue_build) dumps ct->status as it is. */
	if (!confirmed) {
		struct nlattr *attr;
		bool found = false;

		mnl_attr_for_each_payload((void *)*attrs, *len) {
			if (mnl_attr_get_type(attr) == CTA_STATUS) {
				uint32_t st = ntohl(mnl_attr_get_u32(attr)) & ~(uint32_t)IPS_CONFIRMED;

				memcpy(mnl_attr_get_payload(attr), &(uint32_t){ htonl(st) }, 4);
				found = true;
			}
		}
		CHECK(found);
	}
	CHECK(nat_exp_ct_unconfirmed(*attrs, *len) == !confirmed);
}

static char msgbuf[2048];

static const char *invite(const char *call_id, uint16_t sport, uint16_t media)
{
	char body[256];
	int blen = snprintf(body, sizeof(body),
			    "v=0\r\no=a 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\n"
			    "t=0 0\r\nm=audio %u RTP/AVP 0\r\n", media);

	snprintf(msgbuf, sizeof(msgbuf),
		 "INVITE sip:b@203.0.113.2 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.168.1.10:%u;branch=z9hG4bK-%s\r\n"
		 "From: <sip:a@example.com>;tag=f-%s\r\nTo: <sip:b@example.com>\r\n"
		 "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.168.1.10:%u>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		 sport, call_id, call_id, call_id, sport, blen, body);
	return msgbuf;
}

static const char *cancel_msg(const char *call_id, uint16_t sport)
{
	snprintf(msgbuf, sizeof(msgbuf),
		 "CANCEL sip:b@203.0.113.2 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.168.1.10:%u;branch=z9hG4bK-%s\r\n"
		 "From: <sip:a@example.com>;tag=f-%s\r\nTo: <sip:b@example.com>\r\n"
		 "Call-ID: %s\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
		 sport, call_id, call_id, call_id);
	return msgbuf;
}

/* The packet as queued after SNAT; the conntrack confirmed or not. */
static void queue_one(struct nat_path *p, uint32_t id, uint16_t sport, bool confirmed,
		      const char *payload)
{
	static uint8_t pkt[4096];
	size_t plen = strlen(payload);
	struct iphdr iph = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP };
	struct udphdr u = { .source = htons(sport), .dest = htons(5060),
			    .len = htons((uint16_t)(8 + plen)) };
	struct nat_packet np = { .id = id, .data = pkt, .has_ctinfo = true,
				 .ctinfo = confirmed ? IP_CT_ESTABLISHED : IP_CT_NEW };

	iph.tot_len = htons((uint16_t)(28 + plen));
	iph.saddr = ip("203.0.113.1");
	iph.daddr = ip("203.0.113.2");
	memcpy(pkt, &iph, 20);
	memcpy(pkt + 20, &u, 8);
	memcpy(pkt + 28, payload, plen);
	np.len = 28 + plen;
	ct_attrs(sport, confirmed, &np.ct, &np.ct_len);
	nat_path_packet(p, &np);
}

/* One drain as run.c does it: the packets, the flush, the deferred step. */
static void drain_end(struct nat_path *p)
{
	nat_verdicts_flush(p->verdicts);
	nat_exp_after_flush(p->exp);
}

static unsigned creates(void)
{
	unsigned i, n = 0;

	for (i = 0; i < ncalls; i++)
		n += calls[i].op == 'C';
	return n;
}

/* rtp/'s own view of what exists: the live pinholes in its dump. */
static bool dump_has(struct rtp_table *t, const char *needle)
{
	char buf[8192] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	bool has;

	rtp_table_dump(t, f);
	fclose(f);
	has = strstr(buf, needle) != NULL;
	return has;
}

/* The NFQA_EXP nest alone, for every attribute the ctnetlink create sends. */
static void test_nest(void)
{
	static char buf[4096];
	struct rtp_expect e = {
		.master = { .src = { .ip.s_addr = ip("192.168.1.10"), .port = 5062 },
			    .dst = { .ip.s_addr = ip("203.0.113.2"), .port = 5060 },
			    .l4proto = IPPROTO_UDP },
		.l4proto = IPPROTO_UDP, .src_any_addr = true, .src_any_port = true,
		.dst = { .ip.s_addr = ip("203.0.113.1"), .port = 12000 },
		.nat = true, .nat_dir = 1, .nat_to = { .ip.s_addr = ip("192.168.1.10"), .port = 10000 },
		.fn = "sip", .timeout = 300, .class = 2,
	};
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, 7);
	struct nlattr *a[NFQA_MAX + 1] = { 0 };
	struct parsed_exp p;

	nfq_nlmsg_verdict_put(nlh, 5, NF_ACCEPT);
	CHECK(nat_exp_put_nest(nlh, sizeof(buf), &e) == 0);
	nfq_nlmsg_parse(nlh, a);
	CHECK(a[NFQA_EXP] != NULL && a[NFQA_VERDICT_HDR] != NULL);
	p = parse_exp(a[NFQA_EXP]);
	CHECK(p.ok);
	CHECK(p.src == 0 && p.sport == 0 && p.dst == ip("203.0.113.1") && p.dport == 12000);
	CHECK(p.proto == IPPROTO_UDP);
	CHECK(p.mask_src == 0 && p.mask_sport == 0);	/* any source */
	CHECK(p.msrc == ip("192.168.1.10") && p.msport == 5062 && p.mdport == 5060);
	CHECK(p.timeout == 300 && p.class == 2 && strcmp(p.fn, "sip") == 0);
	CHECK(p.nat_dir == 1 && p.nat_ip == ip("192.168.1.10") && p.nat_port == 10000);
	/* no room: refused whole, the message unchanged */
	{
		uint32_t before = nlh->nlmsg_len;

		CHECK(nat_exp_put_nest(nlh, before + 64, &e) < 0);
		CHECK(nlh->nlmsg_len == before);
	}
	CHECK(!nat_exp_ct_unconfirmed(NULL, 0));
}

int main(void)
{
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	struct rtp_config cfg;
	static struct nat_exp x;
	struct nat_path p = { 0 };

	test_nest();

	sipalg_switches_default(&sw);
	rtp_config_default(&cfg);
	CHECK(nat_verdicts_init(&verdicts, 7, 256 * 1024, record, NULL) == 0);
	nat_exp_init(&x, &inner_ops, NULL, &verdicts);
	x.rtp = rtp_table_new(&cfg, &nat_exp_ops, &x);
	CHECK(x.rtp != NULL);
	p.sw = &sw;
	p.udp = true;
	p.ct_in_verdict = true;
	p.verdicts = &verdicts;
	p.rtp = x.rtp;
	p.exp = &x;
	CHECK(nat_path_init(&p) == 0);

	/* 1. Unconfirmed master: exactly the IN_RTP pinhole rides in the verdict,
	 * nothing reaches ctnetlink while the packet is queued; RTCP follows
	 * right after the flush. */
	nv = ncalls = 0;
	queue_one(&p, 1, 5062, false, invite("c1", 5062, 10000));
	CHECK(ncalls == 0);
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 1 && v[0].id == 1 && v[0].has_payload && v[0].has_ct && v[0].has_exp);
	CHECK(v[0].exp.ok && v[0].exp.dst == ip("203.0.113.1") && v[0].exp.dport == 10000);
	CHECK(v[0].exp.nat_ip == ip("192.168.1.10") && v[0].exp.nat_port == 10000);
	CHECK(v[0].exp.msport == 5062 && v[0].exp.src == 0);
	CHECK(ncalls == 0);
	nat_exp_after_flush(&x);
	CHECK(ncalls == 1 && calls[0].op == 'C' && calls[0].e.dst.port == 10001 &&
	      calls[0].e.nat_to.port == 10001);
	CHECK(x.stats.unconfirmed == 1 && x.stats.in_verdict == 1 && x.stats.deferred == 1 &&
	      x.stats.deferred_failed == 0);
	/* rtp/ owns both as created */
	CHECK(rtp_table_stats(x.rtp)->expect_created == 2 && rtp_table_stats(x.rtp)->expect_failed == 0);
	CHECK(dump_has(x.rtp, "in-rtp   src any dst 203.0.113.1:10000"));
	CHECK(dump_has(x.rtp, "in-rtcp  src any dst 203.0.113.1:10001"));

	/* 2. Confirmed master: nothing reaches ctnetlink while the packet is in
	 * hand (no round trip per packet); both creates go after the flush, in
	 * one batch, with no NFQA_EXP. */
	nv = ncalls = 0;
	queue_one(&p, 2, 5064, true, invite("c2", 5064, 10002));
	CHECK(ncalls == 0);
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 1 && v[0].id == 2 && !v[0].has_exp && !v[0].has_ct);
	CHECK(ncalls == 0);
	nat_exp_after_flush(&x);
	CHECK(ncalls == 2 && creates() == 2 && calls[0].e.dst.port == 10002 &&
	      calls[1].e.dst.port == 10003);
	CHECK(x.stats.in_verdict == 1 && x.stats.batched == 2 && x.stats.sent_at_once == 0);
	CHECK(rtp_table_stats(x.rtp)->expect_created == 4);

	/* 2b. ...and a CANCEL of it later in the same drain: the creates are not
	 * cancelled (for a confirmed master the kernel may hold an older one of
	 * the same tuple, which the create replaces): create, then delete, in
	 * order, so none is left. */
	nv = ncalls = 0;
	queue_one(&p, 20, 5090, true, invite("c20", 5090, 10020));
	queue_one(&p, 21, 5090, true, cancel_msg("c20", 5090));
	CHECK(ncalls == 0);
	drain_end(&p);
	CHECK(ncalls == 4 && calls[0].op == 'C' && calls[1].op == 'C' &&
	      calls[2].op == 'D' && calls[3].op == 'D');
	CHECK(calls[2].e.dst.port == calls[0].e.dst.port || calls[2].e.dst.port == calls[1].e.dst.port);
	CHECK(!dump_has(x.rtp, "203.0.113.1:1002"));

	/* 3. Deferred RTCP answered ENOENT (master not in the table yet): retried
	 * once, then created. */
	nv = ncalls = 0;
	fail_next[0] = -ENOENT;
	n_fail = 1;
	queue_one(&p, 3, 5066, false, invite("c3", 5066, 10004));
	drain_end(&p);
	CHECK(nv == 1 && v[0].has_exp && v[0].exp.dport == 10004);
	CHECK(ncalls == 2 && calls[0].err == -ENOENT && calls[1].err == 0 &&
	      calls[1].e.dst.port == 10005);
	CHECK(x.stats.deferred_retried == 1 && x.stats.deferred_failed == 0);
	CHECK(dump_has(x.rtp, "dst 203.0.113.1:10005"));

	/* 4. ...ENOENT twice, or another error: lost - counted, and rtp/ no
	 * longer counts it live (a later SDP of the call creates it again). */
	nv = ncalls = 0;
	fail_next[0] = -ENOENT;
	fail_next[1] = -ENOENT;
	n_fail = 2;
	queue_one(&p, 4, 5068, false, invite("c4", 5068, 10006));
	drain_end(&p);
	CHECK(ncalls == 2 && x.stats.deferred_failed == 1 && x.stats.last_error == -ENOENT);
	CHECK(dump_has(x.rtp, "dst 203.0.113.1:10006"));
	CHECK(!dump_has(x.rtp, "dst 203.0.113.1:10007"));
	CHECK(rtp_table_stats(x.rtp)->expect_failed == 1);
	ncalls = 0;
	fail_next[0] = -EPERM;
	n_fail = 1;
	queue_one(&p, 5, 5070, false, invite("c5", 5070, 10008));
	drain_end(&p);
	CHECK(ncalls == 1 && x.stats.deferred_failed == 2 && x.stats.last_error == -EPERM);
	CHECK(!dump_has(x.rtp, "dst 203.0.113.1:10009"));

	/* 5. A CANCEL later in the same drain (flow still unconfirmed): the
	 * deferred RTCP never reaches the kernel; the verdict's one is deleted. */
	nv = ncalls = 0;
	{
		struct nat_exp_stats before = x.stats;

		queue_one(&p, 6, 5072, false, invite("c6", 5072, 10010));
		queue_one(&p, 7, 5072, false, cancel_msg("c6", 5072));
		drain_end(&p);
		CHECK(x.stats.cancelled - before.cancelled == 1 &&
		      x.stats.deletes_deferred - before.deletes_deferred == 1 && creates() == 0);
	}
	CHECK(nv == 2 && v[0].has_exp && !v[1].has_exp);
	CHECK(ncalls == 1 && calls[0].op == 'D' && calls[0].e.dst.port == 10010);
	CHECK(!dump_has(x.rtp, "203.0.113.1:10010"));

	/* 6. A verdict that did not take the slot (the packet got no verdict of
	 * its own): the next packet closes it, and it goes over ctnetlink. */
	{
		struct rtp_expect e = { .master = { .src = { .ip.s_addr = ip("192.168.1.10"), .port = 5080 },
						    .dst = { .ip.s_addr = ip("203.0.113.2"), .port = 5060 },
						    .l4proto = IPPROTO_UDP },
					.l4proto = IPPROTO_UDP, .dst = { .ip.s_addr = ip("203.0.113.1"), .port = 10100 } };
		const void *cta;
		size_t ctl;
		struct nat_packet np = { .id = 40 };

		ct_attrs(5080, false, &cta, &ctl);
		np.ct = cta;
		np.ct_len = ctl;
		ncalls = 0;
		nat_exp_packet(&x, &np, &e.master);
		CHECK(nat_exp_ops.expect_create(&x, &e) == 0 && ncalls == 0 && verdicts.extra_pending);
		np.id = 41;
		nat_exp_packet(&x, &np, &e.master);
		CHECK(!verdicts.extra_pending && x.n_deferred == 1);
		nat_exp_after_flush(&x);
		CHECK(ncalls == 1 && calls[0].e.dst.port == 10100);
	}

	/* 7. use_verdict off: everything of the packet is deferred. */
	x.use_verdict = false;
	nv = ncalls = 0;
	queue_one(&p, 8, 5074, false, invite("c8", 5074, 10012));
	CHECK(ncalls == 0);
	drain_end(&p);
	CHECK(nv == 1 && !v[0].has_exp && ncalls == 2);

	/* 8. The deferral queue full (a confirmed master): the next create goes
	 * at once, unless a queued request names the same expectation. */
	x.use_verdict = true;
	{
		struct rtp_expect e = { .master = { .src = { .ip.s_addr = ip("192.168.1.10"), .port = 5082 },
						    .dst = { .ip.s_addr = ip("203.0.113.2"), .port = 5060 },
						    .l4proto = IPPROTO_UDP },
					.l4proto = IPPROTO_UDP, .dst = { .ip.s_addr = ip("203.0.113.1") } };
		struct nat_packet np = { .id = 50 };
		const void *cta;
		size_t ctl;
		unsigned i;

		ct_attrs(5082, true, &cta, &ctl);
		np.ct = cta;
		np.ct_len = ctl;
		ncalls = 0;
		nat_exp_packet(&x, &np, &e.master);
		for (i = 0; i < NAT_EXP_DEFER_MAX; i++) {
			e.dst.port = (uint16_t)(30000 + i);
			CHECK(nat_exp_ops.expect_create(&x, &e) == 0);
		}
		CHECK(ncalls == 0 && x.n_deferred == NAT_EXP_DEFER_MAX);
		e.dst.port = 29999;
		CHECK(nat_exp_ops.expect_create(&x, &e) == 0);
		CHECK(ncalls == 1 && calls[0].e.dst.port == 29999 && x.stats.sent_at_once == 1);
		e.dst.port = 30005;	/* queued already: sending it now would overtake */
		CHECK(nat_exp_ops.expect_delete(&x, &e) == -ENOSPC && ncalls == 1);
		nat_exp_after_flush(&x);
		CHECK(ncalls == 1 + NAT_EXP_DEFER_MAX && x.n_deferred == 0);
	}

	rtp_table_free(x.rtp);
	nat_path_free(&p);
	nat_verdicts_free(&verdicts);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
