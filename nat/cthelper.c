/* cthelper.c - userspace conntrack helper registration; see cthelper.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_cthelper/libnetfilter_cthelper.h>
#include <linux/netfilter/nfnetlink_cthelper.h>

#include "cthelper.h"

/* Send one message with ACK and collect the answer; 0 or -errno. */
static int roundtrip(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	uint32_t portid;
	struct timeval wait = { .tv_sec = 1 };
	int ret = 0, n;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	/* a kernel that does not answer fails the call (EAGAIN), it does not hang us */
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			ret = -errno;
			break;
		}
		n = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
		if (n < 0)
			ret = -errno;
	} while (n > MNL_CB_STOP);
out:
	mnl_socket_close(nl);
	return ret;
}

int nat_helper_supported(char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int e;

	nlh = nfct_helper_nlmsg_build_hdr(buf, NFNL_MSG_CTHELPER_GET,
					  NLM_F_DUMP | NLM_F_ACK, (uint32_t)time(NULL));
	e = roundtrip(nlh);
	if (e == 0)
		return 1;
	if (e == -EINVAL)
		return 0;
	snprintf(err, errlen, "nfnetlink_cthelper probe: %s", strerror(-e));
	return -1;
}

static const char *const class_names[NAT_HELPER_CLASSES] = {
	"signalling", "audio", "video", "image",
};

static int helper_msg(const struct nat_helper_conf *c, uint16_t l3, uint8_t l4, bool add,
		      uint32_t status, char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfct_helper *h = nfct_helper_alloc();
	struct nfct_helper_policy *p;
	struct nlmsghdr *nlh;
	int e;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	nfct_helper_attr_set_str(h, NFCTH_ATTR_NAME, c->name);
	nfct_helper_attr_set_u16(h, NFCTH_ATTR_PROTO_L3NUM, l3);
	nfct_helper_attr_set_u8(h, NFCTH_ATTR_PROTO_L4NUM, l4);
	if (add) {
		nfct_helper_attr_set_u32(h, NFCTH_ATTR_QUEUE_NUM, c->queue_num);
		/* Mandatory: the kernel answers EINVAL without it (DESIGN.md fact 2). */
		nfct_helper_attr_set_u32(h, NFCTH_ATTR_PRIV_DATA_LEN, 0);
		nfct_helper_attr_set_u32(h, NFCTH_ATTR_STATUS, status);
		/*
		 * The kernel SIP helper's four classes (signalling, audio, video,
		 * image): rtp/ files media under class >= 1, which the "sip"
		 * expect function needs to pair RTP siblings; a class beyond the
		 * helper's last policy makes ctnetlink answer EINVAL.
		 */
		for (int i = 0; i < NAT_HELPER_CLASSES; i++) {
			p = nfct_helper_policy_alloc();
			if (!p) {
				nfct_helper_free(h);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			nfct_helper_policy_attr_set_str(p, NFCTH_ATTR_POLICY_NAME, class_names[i]);
			nfct_helper_policy_attr_set_u32(p, NFCTH_ATTR_POLICY_TIMEOUT, c->expect_timeout);
			nfct_helper_policy_attr_set_u32(p, NFCTH_ATTR_POLICY_MAX, c->max_expected);
			nfct_helper_attr_set(h, NFCTH_ATTR_POLICY1 + i, p);	/* h owns p now */
		}
	}
	/* CREATE without EXCL: a registration left by a crashed run is updated. */
	nlh = nfct_helper_nlmsg_build_hdr(buf, add ? NFNL_MSG_CTHELPER_NEW : NFNL_MSG_CTHELPER_DEL,
					  add ? NLM_F_CREATE | NLM_F_ACK : NLM_F_ACK,
					  (uint32_t)time(NULL));
	nfct_helper_nlmsg_build_payload(nlh, h);
	nfct_helper_free(h);
	e = roundtrip(nlh);
	if (e) {
		snprintf(err, errlen, "%s conntrack helper \"%s\" (%s %s, queue %u): %s",
			 !add ? "unregister" : status ? "register" : "disable", c->name,
			 l3 == AF_INET6 ? "ipv6" : "ipv4", l4 == IPPROTO_UDP ? "udp" : "tcp",
			 c->queue_num, strerror(-e));
		return -1;
	}
	return 0;
}

/*
 * One registration per family and transport: the kernel keys a helper by
 * name and tuple (l3, l4), as conntrack-tools' cthelper registers one per
 * configured l3proto. An ip6 `ct helper` object finds only the AF_INET6 one.
 * add and status as helper_msg; every one is tried, the first error kept.
 */
static int each_helper(const struct nat_helper_conf *c, bool add, uint32_t status, bool stop,
		       char *err, size_t errlen)
{
	static const uint16_t l3s[] = { AF_INET, AF_INET6 };
	char later[256];	/* errors after the first are not reported */
	int ret = 0;

	for (unsigned f = 0; f < 2; f++) {
		for (unsigned t = 0; t < 2; t++) {
			uint8_t l4 = t ? IPPROTO_TCP : IPPROTO_UDP;

			if (!(t ? c->tcp : c->udp))
				continue;
			if (helper_msg(c, l3s[f], l4, add, status, ret ? later : err,
				       ret ? sizeof(later) : errlen)) {
				ret = -1;
				if (stop)
					return -1;
			}
		}
	}
	return ret;
}

int nat_helper_register(const struct nat_helper_conf *c, char *err, size_t errlen)
{
	int s = nat_helper_supported(err, errlen);

	if (s <= 0)
		return s == 0 ? NAT_HELPER_UNSUPPORTED : -1;
	return each_helper(c, true, NFCT_HELPER_STATUS_ENABLED, true, err, errlen);
}

int nat_helper_unregister(const struct nat_helper_conf *c, char *err, size_t errlen)
{
	return each_helper(c, false, 0, false, err, errlen);
}

int nat_helper_disable(const struct nat_helper_conf *c, char *err, size_t errlen)
{
	return each_helper(c, true, NFCT_HELPER_STATUS_DISABLED, false, err, errlen);
}
