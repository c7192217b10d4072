/*
 * expect_dump.c - the kernel's expectations of our helper, for the restart
 * recovery (rtp/recover.c): IPCTNL_MSG_EXP_GET with NLM_F_DUMP, parsed back
 * into struct rtp_expect. The attributes are those
 * ctnetlink_exp_dump_expect() writes: CTA_EXPECT_MASTER (the master's
 * original tuple), TUPLE, MASK, NAT { DIR, TUPLE }, CLASS, HELP_NAME, FN, ZONE.
 */
#include "expect_nl.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

struct attrs {
	const struct nlattr *tb[CTA_EXPECT_MAX + 1];
	unsigned max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *x = data;
	unsigned type = mnl_attr_get_type(a);

	if (type <= x->max)
		x->tb[type] = a;
	return MNL_CB_OK;
}

static bool nested(const struct nlattr *a, struct attrs *x, unsigned max)
{
	memset(x, 0, sizeof(*x));
	x->max = max;
	return a && mnl_attr_parse_nested(a, attr_cb, x) >= 0;
}

/* CTA_TUPLE_IP { V4_SRC, V4_DST }, CTA_TUPLE_PROTO { NUM, SRC_PORT, DST_PORT };
 * a part the kernel left out stays 0 (a mask's destination). */
static bool get_tuple(const struct nlattr *a, struct sipalg_addr *src, struct sipalg_addr *dst,
		      uint8_t *proto)
{
	struct attrs t, ip, pr;

	if (!nested(a, &t, CTA_TUPLE_MAX) || !nested(t.tb[CTA_TUPLE_IP], &ip, CTA_IP_MAX) ||
	    !nested(t.tb[CTA_TUPLE_PROTO], &pr, CTA_PROTO_MAX))
		return false;
	if (ip.tb[CTA_IP_V4_SRC] && mnl_attr_get_payload_len(ip.tb[CTA_IP_V4_SRC]) == 4)
		src->ip.s_addr = mnl_attr_get_u32(ip.tb[CTA_IP_V4_SRC]);
	if (ip.tb[CTA_IP_V4_DST] && mnl_attr_get_payload_len(ip.tb[CTA_IP_V4_DST]) == 4)
		dst->ip.s_addr = mnl_attr_get_u32(ip.tb[CTA_IP_V4_DST]);
	if (!ip.tb[CTA_IP_V4_SRC] && !ip.tb[CTA_IP_V4_DST])
		return false;	/* IPv6 or broken: not ours */
	if (proto && pr.tb[CTA_PROTO_NUM] && mnl_attr_get_payload_len(pr.tb[CTA_PROTO_NUM]) == 1)
		*proto = mnl_attr_get_u8(pr.tb[CTA_PROTO_NUM]);
	if (pr.tb[CTA_PROTO_SRC_PORT] && mnl_attr_get_payload_len(pr.tb[CTA_PROTO_SRC_PORT]) == 2)
		src->port = ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_SRC_PORT]));
	if (pr.tb[CTA_PROTO_DST_PORT] && mnl_attr_get_payload_len(pr.tb[CTA_PROTO_DST_PORT]) == 2)
		dst->port = ntohs(mnl_attr_get_u16(pr.tb[CTA_PROTO_DST_PORT]));
	return true;
}

static bool get_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) != 4)
		return false;
	*v = ntohl(mnl_attr_get_u32(a));
	return true;
}

/* A string attribute equal to s (the kernel's include their NUL). */
static bool str_is(const struct nlattr *a, const char *s)
{
	size_t n = strlen(s);
	size_t len = a ? mnl_attr_get_payload_len(a) : 0;
	const char *p = a ? mnl_attr_get_payload(a) : NULL;

	return a && (len == n || (len == n + 1 && !p[n])) && !memcmp(p, s, n);
}

/* helper, or one of its queue workers' helpers "<helper>-<digits>" (docs/workers.md) */
static bool helper_is_ours(const struct nlattr *a, const char *helper)
{
	size_t n = strlen(helper), len, i;
	const char *p;

	if (str_is(a, helper))
		return true;
	if (!a)
		return false;
	p = mnl_attr_get_payload(a);
	len = mnl_attr_get_payload_len(a);
	if (len && !p[len - 1])
		len--;
	if (len < n + 2 || memcmp(p, helper, n) || p[n] != '-')
		return false;
	for (i = n + 1; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

int rtp_nl_parse_expect(const struct nlmsghdr *nlh, const char *helper, struct rtp_expect *e)
{
	struct attrs x = { .max = CTA_EXPECT_MAX }, nat;
	struct sipalg_addr dummy;
	uint32_t v;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)) ||
	    mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, &x) < 0)
		return -1;
	if (!helper_is_ours(x.tb[CTA_EXPECT_HELP_NAME], helper))
		return 0;
	memset(e, 0, sizeof(*e));
	if (!get_tuple(x.tb[CTA_EXPECT_MASTER], &e->master.src, &e->master.dst,
		       &e->master.l4proto) ||
	    !get_tuple(x.tb[CTA_EXPECT_TUPLE], &e->src, &e->dst, &e->l4proto))
		return -1;
	/* The mask's source part says what is "any". */
	if (x.tb[CTA_EXPECT_MASK]) {
		struct sipalg_addr msrc = { 0 };

		if (!get_tuple(x.tb[CTA_EXPECT_MASK], &msrc, &dummy, NULL))
			return -1;
		e->src_any_addr = msrc.ip.s_addr == 0;
		e->src_any_port = msrc.port == 0;
	}
	if (e->src_any_addr)
		e->src.ip.s_addr = 0;
	if (e->src_any_port)
		e->src.port = 0;
	if (x.tb[CTA_EXPECT_NAT]) {
		if (!nested(x.tb[CTA_EXPECT_NAT], &nat, CTA_EXPECT_NAT_MAX) ||
		    !get_u32(nat.tb[CTA_EXPECT_NAT_DIR], &v) || v > 1 ||
		    !get_tuple(nat.tb[CTA_EXPECT_NAT_TUPLE], &e->nat_to, &dummy, NULL))
			return -1;
		e->nat = true;
		e->nat_dir = (int)v;
	}
	if (get_u32(x.tb[CTA_EXPECT_CLASS], &v))
		e->class = v;
	if (get_u32(x.tb[CTA_EXPECT_TIMEOUT], &v))
		e->timeout = v;
	if (get_u32(x.tb[CTA_EXPECT_ID], &v))
		e->id = v;
	if (x.tb[CTA_EXPECT_ZONE] && mnl_attr_get_payload_len(x.tb[CTA_EXPECT_ZONE]) == 2)
		e->master.zone = ntohs(mnl_attr_get_u16(x.tb[CTA_EXPECT_ZONE]));
	if (str_is(x.tb[CTA_EXPECT_FN], "sip"))
		e->fn = "sip";
	else if (str_is(x.tb[CTA_EXPECT_FN], "nat-follow-master"))
		e->fn = "nat-follow-master";
	return 1;
}

static long ms_left(const struct timespec *t0, int wait_ms)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return wait_ms - ((now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L);
}

long rtp_nl_expect_dump(const char *helper, struct rtp_expect *out, unsigned max,
			unsigned *seen, int wait_ms)
{
	static char buf[32768];	/* the kernel fills dump datagrams up to ~16 KB */
	struct mnl_socket *sock = mnl_socket_open(NETLINK_NETFILTER);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct timespec t0;
	uint32_t portid, seq = (uint32_t)time(NULL);
	long n = 0, err = 0;
	bool done = false;

	*seen = 0;
	if (!sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		if (sock)
			mnl_socket_close(sock);
		return err;
	}
	portid = mnl_socket_get_portid(sock);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
		err = -errno;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!err && !done) {
		struct pollfd p = { .fd = mnl_socket_get_fd(sock), .events = POLLIN };
		long left = ms_left(&t0, wait_ms);
		ssize_t len;
		int rest;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			err = -ETIMEDOUT;
			break;
		}
		len = recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (len < 0) {
			err = -errno;	/* ENOBUFS: the dump overran the buffer */
			break;
		}
		rest = (int)len;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, rest);
		     nlh = mnl_nlmsg_next(nlh, &rest)) {
			if (nlh->nlmsg_pid != portid || nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error) {
					err = e->error;
					break;
				}
				continue;
			}
			if (nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW))
				continue;
			if ((unsigned long)n < max && rtp_nl_parse_expect(nlh, helper, &out[n]) == 1) {
				n++;
				(*seen)++;
			} else if ((unsigned long)n >= max) {
				struct rtp_expect tmp;

				if (rtp_nl_parse_expect(nlh, helper, &tmp) == 1)
					(*seen)++;
			}
		}
	}
	mnl_socket_close(sock);
	return err ? err : n;
}
