/*
 * expect_nl_libref.c - how rtp/expect_nl.c built its messages before it put
 * the attributes itself: master, tuple, mask, timeout and zone through
 * libnetfilter_conntrack objects (nfct_new/nfexp_new + nfexp_nlmsg_build),
 * the NAT, FN and CLASS that library drops appended with libmnl. Kept only
 * as the reference test_expect_bytes.c holds the new builder against.
 */
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "expect_nl_libref.h"

static struct nf_conntrack *tuple_ct(uint32_t src, uint32_t dst, uint8_t proto,
				     uint16_t sport, uint16_t dport)
{
	struct nf_conntrack *ct = nfct_new();

	if (!ct)
		return NULL;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, dst);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(sport));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(dport));
	return ct;
}

static struct nlmsghdr *put_header(void *buf, uint16_t msg, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static int put_library_part(struct nlmsghdr *nlh, const struct rtp_expect *e, bool full)
{
	struct nf_conntrack *master, *expected, *mask = NULL;
	struct nf_expect *exp;
	int ret = -1;

	master = tuple_ct(e->master.src.ip.s_addr, e->master.dst.ip.s_addr,
			  e->master.l4proto, e->master.src.port, e->master.dst.port);
	expected = tuple_ct(e->src_any_addr ? 0 : e->src.ip.s_addr, e->dst.ip.s_addr,
			    e->l4proto, e->src_any_port ? 0 : e->src.port, e->dst.port);
	if (full)
		mask = tuple_ct(e->src_any_addr ? 0 : 0xffffffffu, 0xffffffffu, e->l4proto,
				e->src_any_port ? 0 : 0xffff, 0xffff);
	exp = nfexp_new();
	if (!master || !expected || (full && !mask) || !exp)
		goto out;
	nfexp_set_attr(exp, ATTR_EXP_EXPECTED, expected);
	if (full) {
		nfexp_set_attr(exp, ATTR_EXP_MASTER, master);
		nfexp_set_attr(exp, ATTR_EXP_MASK, mask);
		nfexp_set_attr_u32(exp, ATTR_EXP_TIMEOUT, e->timeout);
	}
	if (e->master.zone)
		nfexp_set_attr_u16(exp, ATTR_EXP_ZONE, e->master.zone);
	ret = nfexp_nlmsg_build(nlh, exp) < 0 ? -1 : 0;
out:
	if (exp)
		nfexp_destroy(exp);
	if (master)
		nfct_destroy(master);
	if (expected)
		nfct_destroy(expected);
	if (mask)
		nfct_destroy(mask);
	return ret;
}

static void put_nat(struct nlmsghdr *nlh, const struct rtp_expect *e)
{
	struct nlattr *nat, *tuple, *ip, *proto;

	nat = mnl_attr_nest_start(nlh, CTA_EXPECT_NAT);
	mnl_attr_put_u32(nlh, CTA_EXPECT_NAT_DIR, htonl((uint32_t)e->nat_dir));
	tuple = mnl_attr_nest_start(nlh, CTA_EXPECT_NAT_TUPLE);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, e->nat_to.ip.s_addr);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, 0);
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->l4proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(e->nat_to.port));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, 0);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	mnl_attr_nest_end(nlh, nat);
}

long libref_build_new(void *buf, const struct rtp_expect *e, uint32_t seq)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, RTP_NL_MSG_MAX);
	nlh = put_header(buf, IPCTNL_MSG_EXP_NEW, NLM_F_CREATE | NLM_F_EXCL, seq);
	if (put_library_part(nlh, e, true) < 0)
		return -1;
	if (e->nat)
		put_nat(nlh, e);
	if (e->fn && e->fn[0])
		mnl_attr_put_strz(nlh, CTA_EXPECT_FN, e->fn);
	mnl_attr_put_u32(nlh, CTA_EXPECT_CLASS, htonl(e->class));
	return (long)nlh->nlmsg_len;
}

long libref_build_delete(void *buf, const struct rtp_expect *e, uint32_t seq)
{
	struct nlmsghdr *nlh;

	memset(buf, 0, RTP_NL_MSG_MAX);
	nlh = put_header(buf, IPCTNL_MSG_EXP_DELETE, 0, seq);
	if (put_library_part(nlh, e, false) < 0)
		return -1;
	if (e->id)
		mnl_attr_put_u32(nlh, CTA_EXPECT_ID, htonl(e->id));
	return (long)nlh->nlmsg_len;
}
