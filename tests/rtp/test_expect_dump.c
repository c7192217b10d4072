/*
 * expect_dump.c's parser against a dump message as ctnetlink_exp_dump_expect()
 * writes it: the attributes of our own EXP_NEW (the same nests) plus
 * CTA_EXPECT_HELP_NAME and CTA_EXPECT_ID. What it reads back must be the
 * pinhole the planner asked for (expect_same), another helper's is skipped,
 * a broken one refused. The real kernel's answer is checked in the lab
 * (restart-then-bye: every restored pinhole found live in the dump).
 */
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "check.h"
#include "expect_nl.h"

static struct sipalg_addr addr(const char *s, unsigned port)
{
	struct sipalg_addr a = { .port = (uint16_t)port };

	inet_pton(AF_INET, s, &a.ip);
	return a;
}

static struct rtp_expect inbound(void)
{
	struct rtp_expect e = { 0 };

	e.master.src = addr("192.168.1.10", 5060);
	e.master.dst = addr("203.0.113.5", 5060);
	e.master.l4proto = IPPROTO_UDP;
	e.l4proto = IPPROTO_UDP;
	e.src = addr("203.0.113.20", 0);
	e.src_any_port = true;
	e.dst = addr("203.0.113.1", 10000);
	e.nat = true;
	e.nat_dir = 1;
	e.nat_to = addr("192.168.1.10", 4000);
	e.fn = "sip";
	e.timeout = 300;
	e.class = 2;
	return e;
}

/* A dump reply: EXP_NEW type, our attributes, then the helper's name. */
static struct nlmsghdr *dump_msg(char *buf, const struct rtp_expect *e, const char *helper)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	CHECK_EQ(rtp_nl_put_new_attrs(nlh, RTP_NL_MSG_MAX, e), 0);
	mnl_attr_put_u32(nlh, CTA_EXPECT_ID, htonl(77));
	if (helper)
		mnl_attr_put_strz(nlh, CTA_EXPECT_HELP_NAME, helper);
	return nlh;
}

static bool same(const struct rtp_expect *a, const struct rtp_expect *b)
{
	return a->master.src.ip.s_addr == b->master.src.ip.s_addr &&
	       a->master.src.port == b->master.src.port &&
	       a->master.dst.ip.s_addr == b->master.dst.ip.s_addr &&
	       a->master.dst.port == b->master.dst.port &&
	       a->master.l4proto == b->master.l4proto && a->master.zone == b->master.zone &&
	       a->src.ip.s_addr == b->src.ip.s_addr && a->src.port == b->src.port &&
	       a->dst.ip.s_addr == b->dst.ip.s_addr && a->dst.port == b->dst.port &&
	       a->src_any_addr == b->src_any_addr && a->src_any_port == b->src_any_port &&
	       a->nat == b->nat && a->nat_dir == b->nat_dir &&
	       a->nat_to.ip.s_addr == b->nat_to.ip.s_addr && a->nat_to.port == b->nat_to.port;
}

static void ours_read_back(void)
{
	static char buf[RTP_NL_MSG_MAX];
	struct rtp_expect e = inbound(), got;
	struct nlmsghdr *nlh = dump_msg(buf, &e, "sipalg");

	CHECK_EQ(rtp_nl_parse_expect(nlh, "sipalg", &got), 1);
	CHECK(same(&e, &got));
	CHECK_EQ(got.class, 2);
	CHECK_EQ(got.timeout, 300);
	CHECK_EQ(got.id, 77);
	CHECK(got.fn && !strcmp(got.fn, "sip"));
	/* wide (any source) and a sibling without NAT direction games */
	e.src_any_addr = true;
	e.src.ip.s_addr = 0;
	nlh = dump_msg(buf, &e, "sipalg");
	CHECK_EQ(rtp_nl_parse_expect(nlh, "sipalg", &got), 1);
	CHECK(same(&e, &got));
	e.nat = false;
	e.fn = NULL;
	nlh = dump_msg(buf, &e, "sipalg");
	CHECK_EQ(rtp_nl_parse_expect(nlh, "sipalg", &got), 1);
	CHECK(!got.nat && !got.fn);
}

static void others_skipped(void)
{
	static char buf[RTP_NL_MSG_MAX];
	struct rtp_expect e = inbound(), got;

	CHECK_EQ(rtp_nl_parse_expect(dump_msg(buf, &e, "sip"), "sipalg", &got), 0);
	CHECK_EQ(rtp_nl_parse_expect(dump_msg(buf, &e, "sipalgx"), "sipalg", &got), 0);
	/* workers = N: helpers sipalg-1 .. are ours too (docs/workers.md) */
	CHECK_EQ(rtp_nl_parse_expect(dump_msg(buf, &e, "sipalg-1"), "sipalg", &got), 1);
	CHECK_EQ(rtp_nl_parse_expect(dump_msg(buf, &e, "sipalg-12"), "sipalg", &got), 1);
	CHECK_EQ(rtp_nl_parse_expect(dump_msg(buf, &e, "sipalg-"), "sipalg", &got), 0);
	CHECK_EQ(rtp_nl_parse_expect(dump_msg(buf, &e, "sipalg-1x"), "sipalg", &got), 0);
	CHECK_EQ(rtp_nl_parse_expect(dump_msg(buf, &e, NULL), "sipalg", &got), 0);
}

static void broken_refused(void)
{
	static char buf[RTP_NL_MSG_MAX];
	struct rtp_expect got;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *n;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	/* ours by name, but the master tuple is empty */
	n = mnl_attr_nest_start(nlh, CTA_EXPECT_MASTER);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_put_strz(nlh, CTA_EXPECT_HELP_NAME, "sipalg");
	CHECK_EQ(rtp_nl_parse_expect(nlh, "sipalg", &got), -1);
	/* shorter than its header */
	nlh->nlmsg_len = 8;
	CHECK_EQ(rtp_nl_parse_expect(nlh, "sipalg", &got), -1);
}

int main(void)
{
	RUN(ours_read_back);
	RUN(others_skipped);
	RUN(broken_refused);
	return CHECK_DONE();
}
