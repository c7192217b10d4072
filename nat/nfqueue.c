/* nfqueue.c - NFQUEUE socket over libmnl; see nfqueue.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfqueue.h"

/* Large enough for one 64 KiB packet message with all its attributes: a
 * netlink message that does not fit is lost, not truncated to what fits. */
#define RECV_BUF_SIZE (65536 + 4096)
/* Messages per recvmmsg: one system call for a burst instead of one per
 * packet. Each slot is a whole RECV_BUF_SIZE (1.1 MB of address space per
 * queue; only the pages a packet touches are ever backed). */
#define RECV_VEC 16

#define CONFIG_WAIT_MS 1000

struct nat_queue {
	struct mnl_socket *nl;
	uint16_t num;
	uint32_t maxlen;
	bool has_ct, fail_open;
	uint32_t portid;
	uint8_t *rbuf;			/* RECV_VEC slots of RECV_BUF_SIZE */
	struct mmsghdr msgs[RECV_VEC];
	struct iovec iov[RECV_VEC];
	struct nat_queue_stats st;
	nat_packet_fn fn;
	void *fn_arg;
};

/* Send one config message and wait for its ACK; 0 or -errno. */
static int config_roundtrip(struct nat_queue *q, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		struct pollfd p = { .fd = mnl_socket_get_fd(q->nl), .events = POLLIN };

		/* The kernel answers inside sendto; a lost answer must not hang us. */
		if (poll(&p, 1, CONFIG_WAIT_MS) == 0)
			return -ETIMEDOUT;
		n = (int)mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		n = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, q->portid, NULL, NULL);
		if (n <= MNL_CB_STOP)
			return n < 0 ? -errno : 0;
	}
}

static int bind_queue(struct nat_queue *q)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);

	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	return config_roundtrip(q, nlh);
}

/* Both flags are always in the mask, so a reconfigure can also clear them. */
static struct nlmsghdr *put_params(char *buf, const struct nat_queue *q, uint32_t maxlen,
				   uint32_t flags)
{
	uint32_t mask = NFQA_CFG_F_FAIL_OPEN | (flags & NFQA_CFG_F_CONNTRACK);
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);

	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	return nlh;
}

static int configure(struct nat_queue *q, uint32_t maxlen, uint32_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return config_roundtrip(q, put_params(buf, q, maxlen, flags));
}

/*
 * Fail-open (overload = pass): a full queue or socket lets the packet through
 * un-rewritten. Without it (overload = drop, the default) the kernel drops
 * it and counts it (queue_dropped, user_dropped): the phone resends a UDP
 * request within 500 ms and TCP retransmits, so a late call beats one whose
 * INVITE left with private addresses. A dead daemon is another case: the
 * rule's "bypass" passes packets while no program is bound to the queue.
 */
static uint32_t queue_flags(const struct nat_queue *q, bool ct)
{
	return (q->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0) | (ct ? NFQA_CFG_F_CONNTRACK : 0);
}

int nat_queue_set_fail_open(struct nat_queue *q, bool fail_open)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool was = q->fail_open;
	struct nlmsghdr *nlh;

	/* No ACK asked: queued packets may sit in the socket before it, and a
	 * refusal comes back as an error message that the drain counts. */
	q->fail_open = fail_open;
	nlh = put_params(buf, q, q->maxlen, queue_flags(q, q->has_ct));
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		q->fail_open = was;
		return -errno;
	}
	return 0;
}

bool nat_queue_fail_open(const struct nat_queue *q) { return q->fail_open; }

struct nat_queue *nat_queue_open(uint16_t num, uint32_t maxlen, uint32_t rcvbuf,
				 bool want_ct, bool fail_open, char *err, size_t errlen)
{
	struct nat_queue *q = calloc(1, sizeof(*q));
	int size = (int)rcvbuf, e;

	if (!q || !(q->rbuf = malloc((size_t)RECV_VEC * RECV_BUF_SIZE))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < RECV_VEC; i++) {
		q->iov[i] = (struct iovec){ q->rbuf + (size_t)i * RECV_BUF_SIZE, RECV_BUF_SIZE };
		q->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &q->iov[i], .msg_iovlen = 1 };
	}
	q->num = num;
	q->maxlen = maxlen;
	q->fail_open = fail_open;
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	/* FORCE: beyond net.core.rmem_max; the default holds only ~92 packets. */
	if (size > 0 && setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET,
				   SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
		snprintf(err, errlen, "SO_RCVBUFFORCE %d: %s", size, strerror(errno));
		goto fail;
	}
	/* Verdicts go out a whole drain per sendto; netlink refuses (EMSGSIZE)
	 * a message over the send buffer, and the packets it carried would wait
	 * in the queue for ever. Ask for room; nat_queue_send_max() says what
	 * was granted. */
	size = NAT_QUEUE_SNDBUF;
	(void)setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	e = bind_queue(q);
	if (e) {
		snprintf(err, errlen, "bind NFQUEUE %u: %s%s", num, strerror(-e),
			 e == -EBUSY ? " (another program holds this queue)" : "");
		goto fail;
	}
	if (want_ct) {
		e = configure(q, maxlen, queue_flags(q, true));
		if (e == 0) {
			q->has_ct = true;
			return q;
		}
		if (e != -EOPNOTSUPP) {
			snprintf(err, errlen, "configure NFQUEUE %u: %s", num, strerror(-e));
			goto fail;
		}
	}
	/* The kernel lacks the conntrack glue (CONFIG_NETFILTER_NETLINK_GLUE_CT). */
	e = configure(q, maxlen, queue_flags(q, false));
	if (e) {
		snprintf(err, errlen, "configure NFQUEUE %u: %s", num, strerror(-e));
		goto fail;
	}
	return q;
fail:
	nat_queue_close(q);
	return NULL;
}

void nat_queue_close(struct nat_queue *q)
{
	if (!q)
		return;
	if (q->nl) {
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->num);

		nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
		mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		mnl_socket_close(q->nl);
	}
	free(q->rbuf);
	free(q);
}

int nat_queue_fd(const struct nat_queue *q) { return mnl_socket_get_fd(q->nl); }
bool nat_queue_has_ct(const struct nat_queue *q) { return q->has_ct; }
uint16_t nat_queue_num(const struct nat_queue *q) { return q->num; }
const struct nat_queue_stats *nat_queue_stats(const struct nat_queue *q) { return &q->st; }

static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nat_queue *q = data;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct nat_packet pkt = { 0 };

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR]) {
		q->st.parse_errors++;
		return MNL_CB_OK;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	pkt.id = ntohl(ph->packet_id);
	pkt.hook = ph->hook;
	if (attr[NFQA_PAYLOAD]) {
		pkt.data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		pkt.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	if (attr[NFQA_CAP_LEN] && ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) > pkt.len)
		pkt.truncated = true;
	if (attr[NFQA_CT]) {
		pkt.ct = mnl_attr_get_payload(attr[NFQA_CT]);
		pkt.ct_len = mnl_attr_get_payload_len(attr[NFQA_CT]);
	}
	if (attr[NFQA_CT_INFO]) {
		pkt.has_ctinfo = true;
		pkt.ctinfo = ntohl(mnl_attr_get_u32(attr[NFQA_CT_INFO]));
	}
	if (attr[NFQA_MARK])
		pkt.mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	q->st.received++;
	q->fn(q->fn_arg, &pkt);
	return MNL_CB_OK;
}

/* Verdicts are sent without ACK; the kernel still answers failures. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nat_queue *q = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error)
		q->st.verdict_errors++;
	return MNL_CB_OK;
}

int nat_queue_drain(struct nat_queue *q, unsigned max_msgs,
		    nat_packet_fn fn, void *arg)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = error_cb };
	int fd = mnl_socket_get_fd(q->nl);
	uint64_t before = q->st.received;
	unsigned got = 0, calls = 0;

	q->fn = fn;
	q->fn_arg = arg;
	/* bounded twice: max_msgs messages, and as many calls (EINTR, ENOBUFS) */
	while (got < max_msgs && calls++ < max_msgs) {
		unsigned want = max_msgs - got < RECV_VEC ? max_msgs - got : RECV_VEC;
		int n = recvmmsg(fd, q->msgs, want, MSG_DONTWAIT, NULL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == ENOBUFS) {	/* lost some; the kernel counts them too */
				q->st.enobufs++;
				continue;
			}
			if (errno == EINTR)
				continue;
			return -1;
		}
		q->st.recv_calls++;
		for (int i = 0; i < n; i++) {
			if (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				q->st.parse_errors++;	/* cannot happen at RECV_BUF_SIZE */
				continue;
			}
			mnl_cb_run2(q->iov[i].iov_base, q->msgs[i].msg_len, 0, q->portid, packet_cb,
				    q, ctl, NLMSG_MIN_TYPE);
		}
		got += (unsigned)n;
		/* fewer than asked: the socket was empty; the next poll wakes us for more */
		if ((unsigned)n < want)
			break;
	}
	return (int)(q->st.received - before);
}

size_t nat_queue_send_max(const struct nat_queue *q)
{
	int sz = 0;
	socklen_t l = sizeof(sz);

	if (getsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_SNDBUF, &sz, &l) < 0 || sz < 4096)
		return 0;
	/* netlink_sendmsg: len must stay below sk_sndbuf - 32 */
	return (size_t)sz - 64;
}

int nat_queue_send(void *arg, const void *buf, size_t len)
{
	struct nat_queue *q = arg;

	if (mnl_socket_sendto(q->nl, buf, len) < 0)
		return -errno;
	return 0;
}

int nat_queue_kernel_drops(uint16_t num, uint64_t *queue_dropped,
			   uint64_t *user_dropped, unsigned *queue_len)
{
	/* queue_number peer_portid queue_total copy_mode copy_range
	 * queue_dropped user_dropped id_sequence 1 */
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	unsigned qn, portid, total, mode, range;
	unsigned long long qd, ud;
	char line[256];
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %u %u %u %u %llu %llu", &qn, &portid, &total,
			   &mode, &range, &qd, &ud) == 7 && qn == num) {
			*queue_dropped = qd;
			*user_dropped = ud;
			*queue_len = total;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}
