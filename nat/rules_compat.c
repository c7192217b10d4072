/*
 * rules_compat.c - the degraded mode's queue rule, built with libnftnl
 * because nft's grammar lacks two things we need: the xtables NFQUEUE target
 * (nft's own `queue` expression is not built on every kernel, e.g. this
 * project's CI kernel) and copying the conntrack's original source address
 * into the packet mark. See rules.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/batch.h>
#include <libnftnl/common.h>

#include "rules.h"

static struct nftnl_expr *expr_ct_orig_saddr(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (!e)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_SRC_IP);
	nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, 0);	/* IP_CT_DIR_ORIGINAL */
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *expr_mark_set(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (!e)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *expr_nfqueue(uint16_t num, uint16_t total)
{
	/* The kernel wants the info padded as xtables does (XT_ALIGN). */
	static union { struct xt_NFQ_info_v3 v3; uint64_t align; } info;
	struct nftnl_expr *e = nftnl_expr_alloc("target");
	void *copy;

	if (!e)
		return NULL;
	memset(&info, 0, sizeof(info));
	info.v3.queuenum = num;
	/* total > 1: --queue-balance, the kernel's nfqueue_hash() of the
	 * addresses (docs/workers.md: which worker sees which direction) */
	info.v3.queues_total = total ? total : 1;
	info.v3.flags = NFQ_FLAG_BYPASS;	/* no daemon: pass, do not drop */
	copy = malloc(sizeof(info));		/* the expression frees it */
	if (!copy) {
		nftnl_expr_free(e);
		return NULL;
	}
	memcpy(copy, &info, sizeof(info));
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, copy, sizeof(info));
	return e;
}

static int send_batch(struct mnl_nlmsg_batch *b, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	uint32_t portid;
	int ret = 0, n;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		ret = -1;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
		snprintf(err, errlen, "nftables batch: %s", strerror(errno));
		ret = -1;
		goto out;
	}
	/* One ACK for the rule; an error aborts the whole batch. */
	n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t)n, 0, portid, NULL, NULL) < 0) {
		snprintf(err, errlen, "add NFQUEUE rule to table ip/ip6 " NAT_RULES_TABLE ": %s",
			 strerror(errno));
		ret = -1;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

int nat_rules_add_queue_rule(const char *chain, bool v6, uint16_t queue_num,
			     uint16_t queues_total, bool mark_orig_saddr,
			     char *err, size_t errlen)
{
	uint32_t family = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	char buf[MNL_SOCKET_BUFFER_SIZE * 2];
	struct mnl_nlmsg_batch *b = NULL;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e[3] = { 0 };
	uint32_t seq = (uint32_t)time(NULL);
	unsigned n = 0;
	struct nlmsghdr *nlh;
	int ret = -1;

	if (!r)
		goto oom;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NAT_RULES_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	if (mark_orig_saddr) {
		if (!(e[n++] = expr_ct_orig_saddr()) || !(e[n++] = expr_mark_set()))
			goto oom;
	}
	if (!(e[n++] = expr_nfqueue(queue_num, queues_total)))
		goto oom;
	for (unsigned i = 0; i < n; i++) {
		nftnl_rule_add_expr(r, e[i]);	/* the rule owns them now */
		e[i] = NULL;
	}
	b = mnl_nlmsg_batch_start(buf, sizeof(buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nlh = nftnl_rule_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWRULE,
					 (uint16_t)family, NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK,
					 seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	mnl_nlmsg_batch_next(b);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	ret = send_batch(b, err, errlen);
	mnl_nlmsg_batch_stop(b);
	nftnl_rule_free(r);
	return ret;
oom:
	for (unsigned i = 0; i < 3; i++)
		if (e[i])
			nftnl_expr_free(e[i]);
	if (r)
		nftnl_rule_free(r);
	snprintf(err, errlen, "out of memory");
	return -1;
}
