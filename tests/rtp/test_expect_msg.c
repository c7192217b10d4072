/*
 * expect_nl.c's messages, parsed back with libmnl: everything the kernel
 * needs for a NATed expectation must be in the bytes - in particular what
 * libnetfilter_conntrack 1.0.9 silently leaves out (NAT, FN, CLASS).
 */
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "check.h"
#include "expect_nl.h"

#define MAXA 32

static int collect(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type < MAXA)
		tb[type] = a;
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
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* A tuple nest: src/dst address, protocol, src/dst port (host order). */
static void check_tuple(const struct nlattr *t, const char *src, const char *dst,
			uint8_t proto, uint16_t sport, uint16_t dport)
{
	const struct nlattr *tb[MAXA], *ipb[MAXA], *pb[MAXA];

	CHECK(t != NULL);
	nested(t, tb);
	nested(tb[CTA_TUPLE_IP], ipb);
	nested(tb[CTA_TUPLE_PROTO], pb);
	CHECK(ipb[CTA_IP_V4_SRC] && ipb[CTA_IP_V4_DST]);
	CHECK(pb[CTA_PROTO_NUM] && pb[CTA_PROTO_SRC_PORT] && pb[CTA_PROTO_DST_PORT]);
	if (!ipb[CTA_IP_V4_SRC] || !ipb[CTA_IP_V4_DST] || !pb[CTA_PROTO_NUM] ||
	    !pb[CTA_PROTO_SRC_PORT] || !pb[CTA_PROTO_DST_PORT])
		return;
	CHECK_EQ(mnl_attr_get_u32(ipb[CTA_IP_V4_SRC]), ip(src));
	CHECK_EQ(mnl_attr_get_u32(ipb[CTA_IP_V4_DST]), ip(dst));
	CHECK_EQ(mnl_attr_get_u8(pb[CTA_PROTO_NUM]), proto);
	CHECK_EQ(ntohs(mnl_attr_get_u16(pb[CTA_PROTO_SRC_PORT])), sport);
	CHECK_EQ(ntohs(mnl_attr_get_u16(pb[CTA_PROTO_DST_PORT])), dport);
}

/* An IPv6 tuple nest: 16-byte CTA_IP_V6_* and no IPv4 attribute at all. */
static void check_tuple6(const struct nlattr *t, const char *src, const char *dst,
			 uint8_t proto, uint16_t sport, uint16_t dport)
{
	const struct nlattr *tb[MAXA], *ipb[MAXA], *pb[MAXA];
	struct in6_addr s, d;

	CHECK(t != NULL);
	nested(t, tb);
	nested(tb[CTA_TUPLE_IP], ipb);
	nested(tb[CTA_TUPLE_PROTO], pb);
	CHECK(!ipb[CTA_IP_V4_SRC] && !ipb[CTA_IP_V4_DST]);
	CHECK(ipb[CTA_IP_V6_SRC] && ipb[CTA_IP_V6_DST]);
	if (!ipb[CTA_IP_V6_SRC] || !ipb[CTA_IP_V6_DST] || !pb[CTA_PROTO_NUM] ||
	    !pb[CTA_PROTO_SRC_PORT] || !pb[CTA_PROTO_DST_PORT])
		return;
	CHECK_EQ(mnl_attr_get_payload_len(ipb[CTA_IP_V6_SRC]), 16);
	CHECK_EQ(mnl_attr_get_payload_len(ipb[CTA_IP_V6_DST]), 16);
	inet_pton(AF_INET6, src, &s);
	inet_pton(AF_INET6, dst, &d);
	CHECK(!memcmp(mnl_attr_get_payload(ipb[CTA_IP_V6_SRC]), &s, 16));
	CHECK(!memcmp(mnl_attr_get_payload(ipb[CTA_IP_V6_DST]), &d, 16));
	CHECK_EQ(mnl_attr_get_u8(pb[CTA_PROTO_NUM]), proto);
	CHECK_EQ(ntohs(mnl_attr_get_u16(pb[CTA_PROTO_SRC_PORT])), sport);
	CHECK_EQ(ntohs(mnl_attr_get_u16(pb[CTA_PROTO_DST_PORT])), dport);
}

static struct sipalg_addr ip6(const char *s, uint16_t port)
{
	struct sipalg_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	inet_pton(AF_INET6, s, &a.ip6);
	a.port = port;
	return a;
}

/* A routed IPv6 flow's pinhole (issue 11): the far end to the phone's own
 * port, no NAT, no function; ctnetlink reads every tuple in the family of
 * the nfgenmsg, so it is AF_INET6 and every address 16 bytes. */
static void ipv6_routed_pinhole(void)
{
	char buf[RTP_NL_MSG_MAX];
	const struct nlattr *tb[MAXA];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct rtp_expect e;

	memset(&e, 0, sizeof(e));
	e.master.src = ip6("2001:db8:1::10", 5060);
	e.master.dst = ip6("2001:db8:5::5", 5060);
	e.master.l4proto = IPPROTO_UDP;
	e.l4proto = IPPROTO_UDP;
	e.src_any_addr = e.src_any_port = true;
	e.src.family = AF_INET6;
	e.dst = ip6("2001:db8:1::10", 4000);
	e.timeout = 300;
	e.class = 1;
	CHECK(rtp_nl_build_new(buf, sizeof(buf), &e, 5) > 0);
	CHECK_EQ(((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family, AF_INET6);
	memset(tb, 0, sizeof(tb));
	CHECK_EQ(mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, tb), MNL_CB_OK);
	check_tuple6(tb[CTA_EXPECT_MASTER], "2001:db8:1::10", "2001:db8:5::5", IPPROTO_UDP,
		     5060, 5060);
	check_tuple6(tb[CTA_EXPECT_TUPLE], "::", "2001:db8:1::10", IPPROTO_UDP, 0, 4000);
	check_tuple6(tb[CTA_EXPECT_MASK], "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		     IPPROTO_UDP, 0, 0xffff);
	CHECK(tb[CTA_EXPECT_NAT] == NULL && tb[CTA_EXPECT_FN] == NULL);
	CHECK(tb[CTA_EXPECT_CLASS] && ntohl(mnl_attr_get_u32(tb[CTA_EXPECT_CLASS])) == 1);

	/* narrowed to the far address; NAT66 (optional) would carry a v6 NAT tuple */
	e.src_any_addr = false;
	e.src = ip6("2001:db8:20::20", 0);
	e.nat = true;
	e.nat_dir = 1;
	e.nat_to = ip6("fd00::10", 4000);
	CHECK(rtp_nl_build_new(buf, sizeof(buf), &e, 6) > 0);
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, tb);
	check_tuple6(tb[CTA_EXPECT_TUPLE], "2001:db8:20::20", "2001:db8:1::10", IPPROTO_UDP, 0, 4000);
	check_tuple6(tb[CTA_EXPECT_MASK], "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPPROTO_UDP, 0, 0xffff);
	{
		const struct nlattr *nat[MAXA];

		nested(tb[CTA_EXPECT_NAT], nat);
		check_tuple6(nat[CTA_EXPECT_NAT_TUPLE], "fd00::10", "::", IPPROTO_UDP, 4000, 0);
	}
	/* the delete is AF_INET6 too */
	CHECK(rtp_nl_build_delete(buf, sizeof(buf), &e, 7) > 0);
	CHECK_EQ(((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family, AF_INET6);
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, tb);
	check_tuple6(tb[CTA_EXPECT_TUPLE], "2001:db8:20::20", "2001:db8:1::10", IPPROTO_UDP, 0, 4000);
}

static struct rtp_expect inbound_pinhole(void)
{
	struct rtp_expect e;

	memset(&e, 0, sizeof(e));
	e.master.src.ip.s_addr = ip("192.168.1.10");
	e.master.src.port = 5060;
	e.master.dst.ip.s_addr = ip("203.0.113.5");
	e.master.dst.port = 5060;
	e.master.l4proto = IPPROTO_UDP;
	e.l4proto = IPPROTO_UDP;
	e.src_any_addr = true;
	e.src_any_port = true;
	e.dst.ip.s_addr = ip("203.0.113.1");
	e.dst.port = 12000;
	e.nat = true;
	e.nat_dir = 1;
	e.nat_to.ip.s_addr = ip("192.168.1.10");
	e.nat_to.port = 10000;
	e.fn = "sip";
	e.timeout = 300;
	e.class = 1;
	return e;
}

static void new_message_carries_nat_fn_class(void)
{
	char buf[RTP_NL_MSG_MAX];
	const struct nlattr *tb[MAXA], *nat[MAXA];
	struct rtp_expect e = inbound_pinhole();
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	long len = rtp_nl_build_new(buf, sizeof(buf), &e, 77);
	struct nfgenmsg *nfg;

	CHECK(len > 0);
	if (len <= 0)
		return;
	CHECK_EQ(nlh->nlmsg_len, len);
	CHECK_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW);
	CHECK(nlh->nlmsg_flags & NLM_F_CREATE);
	CHECK(nlh->nlmsg_flags & NLM_F_ACK);
	CHECK(nlh->nlmsg_flags & NLM_F_EXCL);	/* never just refresh someone else's */
	CHECK_EQ(nlh->nlmsg_seq, 77);
	nfg = mnl_nlmsg_get_payload(nlh);
	CHECK_EQ(nfg->nfgen_family, AF_INET);

	memset(tb, 0, sizeof(tb));
	CHECK_EQ(mnl_attr_parse(nlh, sizeof(*nfg), collect, tb), MNL_CB_OK);
	check_tuple(tb[CTA_EXPECT_MASTER], "192.168.1.10", "203.0.113.5", IPPROTO_UDP, 5060, 5060);
	/* Any source: 0 in the tuple and in the mask. */
	check_tuple(tb[CTA_EXPECT_TUPLE], "0.0.0.0", "203.0.113.1", IPPROTO_UDP, 0, 12000);
	check_tuple(tb[CTA_EXPECT_MASK], "0.0.0.0", "255.255.255.255", IPPROTO_UDP, 0, 0xffff);
	CHECK(tb[CTA_EXPECT_TIMEOUT] && ntohl(mnl_attr_get_u32(tb[CTA_EXPECT_TIMEOUT])) == 300);
	CHECK(tb[CTA_EXPECT_FN] && !strcmp(mnl_attr_get_str(tb[CTA_EXPECT_FN]), "sip"));
	CHECK(tb[CTA_EXPECT_CLASS] && ntohl(mnl_attr_get_u32(tb[CTA_EXPECT_CLASS])) == 1);
	CHECK(tb[CTA_EXPECT_ZONE] == NULL);

	CHECK(tb[CTA_EXPECT_NAT] != NULL);
	nested(tb[CTA_EXPECT_NAT], nat);
	CHECK(nat[CTA_EXPECT_NAT_DIR] && ntohl(mnl_attr_get_u32(nat[CTA_EXPECT_NAT_DIR])) == 1);
	/* Inside address as source AND 0.0.0.0 as destination, inside port
	 * and port 0: without the destination parts the kernel says EINVAL. */
	check_tuple(nat[CTA_EXPECT_NAT_TUPLE], "192.168.1.10", "0.0.0.0", IPPROTO_UDP, 10000, 0);
}

static void narrowed_sibling_and_zone(void)
{
	char buf[RTP_NL_MSG_MAX];
	const struct nlattr *tb[MAXA], *nat[MAXA];
	struct rtp_expect e = inbound_pinhole();
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	/* The sibling: exact source inside:10000, to far:40000, NAT to itself. */
	e.src_any_addr = e.src_any_port = false;
	e.src.ip.s_addr = ip("192.168.1.10");
	e.src.port = 10000;
	e.dst.ip.s_addr = ip("198.51.100.7");
	e.dst.port = 40000;
	e.nat_dir = 0;
	e.nat_to = e.dst;
	e.master.zone = 3;
	CHECK(rtp_nl_build_new(buf, sizeof(buf), &e, 1) > 0);
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, tb);
	check_tuple(tb[CTA_EXPECT_TUPLE], "192.168.1.10", "198.51.100.7", IPPROTO_UDP, 10000, 40000);
	check_tuple(tb[CTA_EXPECT_MASK], "255.255.255.255", "255.255.255.255", IPPROTO_UDP,
		    0xffff, 0xffff);
	CHECK(tb[CTA_EXPECT_ZONE] && ntohs(mnl_attr_get_u16(tb[CTA_EXPECT_ZONE])) == 3);
	nested(tb[CTA_EXPECT_NAT], nat);
	CHECK(nat[CTA_EXPECT_NAT_DIR] && ntohl(mnl_attr_get_u32(nat[CTA_EXPECT_NAT_DIR])) == 0);
	check_tuple(nat[CTA_EXPECT_NAT_TUPLE], "198.51.100.7", "0.0.0.0", IPPROTO_UDP, 40000, 0);

	/* No NAT, no function: neither attribute appears. */
	e.nat = false;
	e.fn = NULL;
	rtp_nl_build_new(buf, sizeof(buf), &e, 2);
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, tb);
	CHECK(tb[CTA_EXPECT_NAT] == NULL);
	CHECK(tb[CTA_EXPECT_FN] == NULL);
}

static void delete_message_names_the_tuple(void)
{
	char buf[RTP_NL_MSG_MAX];
	const struct nlattr *tb[MAXA];
	struct rtp_expect e = inbound_pinhole();
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	long len = rtp_nl_build_delete(buf, sizeof(buf), &e, 9);

	CHECK(len > 0);
	CHECK_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_DELETE);
	CHECK(nlh->nlmsg_flags & NLM_F_ACK);
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, tb);
	check_tuple(tb[CTA_EXPECT_TUPLE], "0.0.0.0", "203.0.113.1", IPPROTO_UDP, 0, 12000);
	CHECK(tb[CTA_EXPECT_NAT] == NULL);
	CHECK(tb[CTA_EXPECT_ID] == NULL);
	e.id = 1234;
	rtp_nl_build_delete(buf, sizeof(buf), &e, 10);
	memset(tb, 0, sizeof(tb));
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect, tb);
	CHECK(tb[CTA_EXPECT_ID] && ntohl(mnl_attr_get_u32(tb[CTA_EXPECT_ID])) == 1234);
}

static void small_buffer_is_refused(void)
{
	char buf[64];
	struct rtp_expect e = inbound_pinhole();

	CHECK(rtp_nl_build_new(buf, sizeof(buf), &e, 1) < 0);
	CHECK(rtp_nl_build_delete(buf, sizeof(buf), &e, 1) < 0);
}

int main(void)
{
	RUN(new_message_carries_nat_fn_class);
	RUN(ipv6_routed_pinhole);
	RUN(narrowed_sibling_and_zone);
	RUN(delete_message_names_the_tuple);
	RUN(small_buffer_is_refused);
	return CHECK_DONE();
}
