/* expect_nl.c - see expect_nl.h. */
#include "expect_nl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

struct rtp_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	struct rtp_nl_stats stats;
};

/* An attribute with its alignment padding zeroed: libmnl 1.0.4 leaves the
 * padding as the buffer had it, and the buffer is not cleared first. */
static bool put_padded(struct nlmsghdr *nlh, size_t cap, uint16_t type, size_t len,
		       const void *data)
{
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);

	if (!mnl_attr_put_check(nlh, cap, type, len, data))
		return false;
	memset((char *)mnl_attr_get_payload(a) + len, 0, MNL_ALIGN(len) - len);
	return true;
}

static bool put_u8(struct nlmsghdr *nlh, size_t cap, uint16_t type, uint8_t v)
{
	return put_padded(nlh, cap, type, sizeof(v), &v);
}

static bool put_u16(struct nlmsghdr *nlh, size_t cap, uint16_t type, uint16_t v)
{
	return put_padded(nlh, cap, type, sizeof(v), &v);
}

/* One end's address: IPv4 (network order), or IPv6 when v6 (CTA_IP_V6_*,
 * 16 bytes). NULL = the address 0 (any, or a NAT tuple's unused end). */
static bool put_ip(struct nlmsghdr *nlh, size_t cap, bool v6, uint16_t type4, uint16_t type6,
		   const struct sipalg_addr *a)
{
	static const struct in6_addr none6;

	if (v6)
		return mnl_attr_put_check(nlh, cap, type6, sizeof(struct in6_addr),
					  a ? &a->ip6 : &none6);
	return mnl_attr_put_u32_check(nlh, cap, type4, a ? a->ip.s_addr : 0);
}

/* A tuple nest { CTA_TUPLE_IP { SRC, DST }, CTA_TUPLE_PROTO { NUM, SRC_PORT,
 * DST_PORT } }: addresses of the family v6 says (NULL: 0), ports in host
 * order. */
static bool put_tuple(struct nlmsghdr *nlh, size_t cap, uint16_t type, bool v6,
		      const struct sipalg_addr *src, const struct sipalg_addr *dst,
		      uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct nlattr *tuple, *nest;

	if (!(tuple = mnl_attr_nest_start_check(nlh, cap, type)))
		return false;
	if (!(nest = mnl_attr_nest_start_check(nlh, cap, CTA_TUPLE_IP)) ||
	    !put_ip(nlh, cap, v6, CTA_IP_V4_SRC, CTA_IP_V6_SRC, src) ||
	    !put_ip(nlh, cap, v6, CTA_IP_V4_DST, CTA_IP_V6_DST, dst))
		return false;
	mnl_attr_nest_end(nlh, nest);
	if (!(nest = mnl_attr_nest_start_check(nlh, cap, CTA_TUPLE_PROTO)) ||
	    !put_u8(nlh, cap, CTA_PROTO_NUM, proto) ||
	    !put_u16(nlh, cap, CTA_PROTO_SRC_PORT, htons(sport)) ||
	    !put_u16(nlh, cap, CTA_PROTO_DST_PORT, htons(dport)))
		return false;
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
	return true;
}

/* ctnetlink reads every tuple of the request in the family of its nfgenmsg:
 * the master's (an IPv6 SIP flow's pinholes are IPv6). */
static struct nlmsghdr *put_header(void *buf, uint16_t msg, uint16_t flags, uint32_t seq,
				   bool v6)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = v6 ? AF_INET6 : AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/*
 * Tuple and (for NEW) master, mask and timeout, then the zone: the
 * attributes and order nfexp_nlmsg_build() wrote (test_expect_bytes holds
 * the bytes against it), put with libmnl straight into the message instead
 * of through four library objects allocated, filled and freed per request.
 * The expected tuple carries 0 where the mask says "any".
 */
static int put_expect_part(struct nlmsghdr *nlh, size_t cap, const struct rtp_expect *e,
			   bool full)
{
	static const struct sipalg_addr ones4 = { .ip.s_addr = 0xffffffffu };
	static const struct sipalg_addr ones6 = {
		.ip6.s6_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		.family = AF_INET6 };
	bool v6 = sipalg_addr_is_v6(&e->master.src);
	const struct sipalg_addr *ones = v6 ? &ones6 : &ones4;

	if (!put_tuple(nlh, cap, CTA_EXPECT_TUPLE, v6, e->src_any_addr ? NULL : &e->src,
		       &e->dst, e->l4proto, e->src_any_port ? 0 : e->src.port, e->dst.port))
		return -ENOSPC;
	/* The kernel keeps only the source part of a mask; the destination is
	 * always exact but the tuple parser wants it present. */
	if (full && (!put_tuple(nlh, cap, CTA_EXPECT_MASTER, v6, &e->master.src,
				&e->master.dst, e->master.l4proto,
				e->master.src.port, e->master.dst.port) ||
		     !put_tuple(nlh, cap, CTA_EXPECT_MASK, v6, e->src_any_addr ? NULL : ones,
				ones, e->l4proto, e->src_any_port ? 0 : 0xffff, 0xffff) ||
		     !mnl_attr_put_u32_check(nlh, cap, CTA_EXPECT_TIMEOUT, htonl(e->timeout))))
		return -ENOSPC;
	if (e->master.zone &&
	    !put_u16(nlh, cap, CTA_EXPECT_ZONE, htons(e->master.zone)))
		return -ENOSPC;
	return 0;
}

/*
 * CTA_EXPECT_NAT { CTA_EXPECT_NAT_DIR, CTA_EXPECT_NAT_TUPLE }: the kernel's
 * tuple parser needs source AND destination address and port, so the tuple is
 * (nat_to -> 0.0.0.0:0, or :: for IPv6 with NAT66); only its source part
 * becomes exp->saved_addr/proto.
 */
static bool put_nat(struct nlmsghdr *nlh, size_t cap, const struct rtp_expect *e)
{
	struct nlattr *nat, *tuple, *ip, *proto;
	bool v6 = sipalg_addr_is_v6(&e->master.src);

	if (!(nat = mnl_attr_nest_start_check(nlh, cap, CTA_EXPECT_NAT)))
		return false;
	if (!mnl_attr_put_u32_check(nlh, cap, CTA_EXPECT_NAT_DIR, htonl((uint32_t)e->nat_dir)))
		return false;
	if (!(tuple = mnl_attr_nest_start_check(nlh, cap, CTA_EXPECT_NAT_TUPLE)))
		return false;
	if (!(ip = mnl_attr_nest_start_check(nlh, cap, CTA_TUPLE_IP)) ||
	    !put_ip(nlh, cap, v6, CTA_IP_V4_SRC, CTA_IP_V6_SRC, &e->nat_to) ||
	    !put_ip(nlh, cap, v6, CTA_IP_V4_DST, CTA_IP_V6_DST, NULL))
		return false;
	mnl_attr_nest_end(nlh, ip);
	if (!(proto = mnl_attr_nest_start_check(nlh, cap, CTA_TUPLE_PROTO)) ||
	    !put_u8(nlh, cap, CTA_PROTO_NUM, e->l4proto) ||
	    !put_u16(nlh, cap, CTA_PROTO_SRC_PORT, htons(e->nat_to.port)) ||
	    !put_u16(nlh, cap, CTA_PROTO_DST_PORT, 0))
		return false;
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	mnl_attr_nest_end(nlh, nat);
	return true;
}

int rtp_nl_put_new_attrs(struct nlmsghdr *nlh, size_t cap, const struct rtp_expect *e)
{
	int err;

	if (cap < nlh->nlmsg_len + RTP_NL_ATTRS_MAX)
		return -ENOSPC;
	err = put_expect_part(nlh, cap, e, true);
	if (err)
		return err;
	if (e->nat && !put_nat(nlh, cap, e))
		return -ENOSPC;
	if (e->fn && e->fn[0] &&
	    !put_padded(nlh, cap, CTA_EXPECT_FN, strlen(e->fn) + 1, e->fn))
		return -ENOSPC;
	if (!mnl_attr_put_u32_check(nlh, cap, CTA_EXPECT_CLASS, htonl(e->class)))
		return -ENOSPC;
	return 0;
}

long rtp_nl_build_new(void *buf, size_t cap, const struct rtp_expect *e, uint32_t seq)
{
	struct nlmsghdr *nlh;
	int err;

	if (!buf || !e || cap < RTP_NL_MSG_MAX)
		return -ENOSPC;
	/* no memset of the buffer: libmnl zeroes the headers, put_padded() the
	 * attribute padding */
	/* EXCL: without it an existing expectation on this tuple only gets its
	 * timeout refreshed (ctnetlink_change_expect) and keeps its own NAT
	 * target - after a daemon restart, possibly another phone's. */
	nlh = put_header(buf, IPCTNL_MSG_EXP_NEW, NLM_F_CREATE | NLM_F_EXCL, seq,
			 sipalg_addr_is_v6(&e->master.src));
	err = rtp_nl_put_new_attrs(nlh, cap, e);
	return err ? err : (long)nlh->nlmsg_len;
}

long rtp_nl_build_delete(void *buf, size_t cap, const struct rtp_expect *e, uint32_t seq)
{
	struct nlmsghdr *nlh;
	int err;

	if (!buf || !e || cap < RTP_NL_MSG_MAX)
		return -ENOSPC;
	nlh = put_header(buf, IPCTNL_MSG_EXP_DELETE, 0, seq, sipalg_addr_is_v6(&e->master.src));
	/* By tuple: the kernel deletes the expectation this tuple matches
	 * under its mask - ours, since the planner never has two alike. */
	err = put_expect_part(nlh, cap, e, false);
	if (err)
		return err;
	if (e->id && !mnl_attr_put_u32_check(nlh, cap, CTA_EXPECT_ID, htonl(e->id)))
		return -ENOSPC;
	return (long)nlh->nlmsg_len;
}

struct rtp_nl *rtp_nl_open(int *err)
{
	struct rtp_nl *nl = calloc(1, sizeof(*nl));
	int one = 1;

	if (!nl) {
		*err = -ENOMEM;
		return NULL;
	}
	nl->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = -errno;
		if (nl->sock)
			mnl_socket_close(nl->sock);
		free(nl);
		return NULL;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* an error answer carries the request's header, not the whole request */
	(void)setsockopt(mnl_socket_get_fd(nl->sock), SOL_NETLINK, NETLINK_CAP_ACK, &one,
			 sizeof(one));
	nl->seq = (uint32_t)time(NULL);
	*err = 0;
	return nl;
}

void rtp_nl_close(struct rtp_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

const struct rtp_nl_stats *rtp_nl_stats(const struct rtp_nl *nl)
{
	return &nl->stats;
}

#define BATCH_MAX 16	/* a side's work is at most 8 requests */

int rtp_nl_collect_errors(int fd, uint32_t portid, uint32_t seq0, unsigned n, int *errs)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned i, reads;
	int ret = 0;

	for (i = 0; i < n; i++)
		errs[i] = 0;
	/* bounded: our n answers at most, and as many strays */
	for (reads = 0; reads < 2 * n + 16; reads++) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int rest;

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == ENOBUFS) {
			ret = -ENOBUFS;
			continue;
		}
		if (len < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? ret : -errno;
		rest = (int)len;
		for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			const struct nlmsgerr *ack;

			i = nlh->nlmsg_seq - seq0;
			if (nlh->nlmsg_pid != portid || nlh->nlmsg_type != NLMSG_ERROR ||
			    i >= n || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ack)))
				continue;
			ack = mnl_nlmsg_get_payload(nlh);
			errs[i] = ack->error;
		}
	}
	return ret;
}

/* ops[0..n-1], n <= BATCH_MAX, in one sendto, without NLM_F_ACK: nfnetlink
 * runs the messages of one datagram in order and answers the failed ones
 * (rtp_nl_collect_errors). Fills each err. */
static void send_batch(struct rtp_nl *nl, struct rtp_expect_op *ops, unsigned n)
{
	static _Thread_local char msg[BATCH_MAX * RTP_NL_MSG_MAX];	/* one per queue worker */
	int errs[BATCH_MAX];
	size_t off = 0;
	uint32_t seq0 = nl->seq + 1;
	unsigned i;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(msg + off);
		long len = ops[i].create
			? rtp_nl_build_new(msg + off, RTP_NL_MSG_MAX, ops[i].e, ++nl->seq)
			: rtp_nl_build_delete(msg + off, RTP_NL_MSG_MAX, ops[i].e, ++nl->seq);

		if (len < 0) {
			err = (int)len;
		} else {
			nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
			off += (size_t)MNL_ALIGN(len);
		}
	}
	if (!err && mnl_socket_sendto(nl->sock, msg, off) < 0)
		err = -errno;
	if (!err) {
		err = rtp_nl_collect_errors(mnl_socket_get_fd(nl->sock), nl->portid, seq0, n, errs);
		if (err == -ENOBUFS)
			nl->stats.answers_lost++;
	}
	for (i = 0; i < n; i++)
		ops[i].err = err ? err : errs[i];
}

/* A create is "create exactly e": one that meets an existing tuple (EEXIST:
 * a refresh of ours, or a stale one from an earlier run) is replaced
 * afterwards - delete and create in one more round trip - so its NAT target
 * is ours. */
static void nl_expect_batch(void *arg, struct rtp_expect_op *ops, unsigned n)
{
	struct rtp_nl *nl = arg;
	unsigned i;

	for (i = 0; i < n; i += BATCH_MAX)
		send_batch(nl, ops + i, n - i < BATCH_MAX ? n - i : BATCH_MAX);
	for (i = 0; i < n; i++) {
		if (ops[i].create && ops[i].err == -EEXIST) {
			struct rtp_expect_op redo[2] = {
				{ .create = false, .e = ops[i].e },
				{ .create = true, .e = ops[i].e },
			};

			send_batch(nl, redo, 2);
			ops[i].err = redo[1].err;
		}
		if (ops[i].create) {
			if (ops[i].err) {
				nl->stats.create_failed++;
				nl->stats.last_error = ops[i].err;
			} else {
				nl->stats.created++;
			}
		} else if (ops[i].err) {
			nl->stats.delete_failed++;
			nl->stats.last_error = ops[i].err;
		} else {
			nl->stats.deleted++;
		}
	}
}

/* The single requests are batches of one: one path for errors and counters. */
static int nl_expect_create(void *arg, struct rtp_expect *e)
{
	struct rtp_expect_op op = { .create = true, .e = e };

	nl_expect_batch(arg, &op, 1);
	return op.err;
}

static int nl_expect_delete(void *arg, const struct rtp_expect *e)
{
	/* a delete only reads its expectation: the op type is shared with creates */
	struct rtp_expect_op op = { .create = false, .e = (struct rtp_expect *)e };

	nl_expect_batch(arg, &op, 1);
	return op.err;
}

const struct rtp_kernel_ops rtp_nl_ops = {
	.expect_create = nl_expect_create,
	.expect_delete = nl_expect_delete,
	.expect_batch = nl_expect_batch,
};
