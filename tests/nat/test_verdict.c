/* nat_verdict: batching of accepts, payload verdicts, order, buffer splits. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "verdict.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* What the kernel would see, message by message. */
struct seen {
	int type;		/* NFQNL_MSG_VERDICT or NFQNL_MSG_VERDICT_BATCH */
	uint32_t id, verdict;
	size_t payload_len;
	int has_ct, ct_timeout;
	unsigned send_no;
	uint16_t queue;
};

static struct seen seen[64];
static unsigned n_seen, n_sends;

static int ct_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTA_TIMEOUT)
		*(int *)data = (int)ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

static int record(void *arg, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = (int)len;

	(void)arg;
	n_sends++;
	for (; mnl_nlmsg_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
		struct nlattr *attr[NFQA_MAX + 1] = { 0 };
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
		struct seen *s = &seen[n_seen++];
		struct nfqnl_msg_verdict_hdr *vh;

		memset(s, 0, sizeof(*s));
		s->type = nlh->nlmsg_type & 0xff;
		s->send_no = n_sends;
		s->queue = ntohs(g->res_id);
		nfq_nlmsg_parse(nlh, attr);
		if (attr[NFQA_VERDICT_HDR]) {
			vh = mnl_attr_get_payload(attr[NFQA_VERDICT_HDR]);
			s->id = ntohl(vh->id);
			s->verdict = ntohl(vh->verdict);
		}
		if (attr[NFQA_PAYLOAD])
			s->payload_len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
		if (attr[NFQA_CT]) {
			s->has_ct = 1;
			mnl_attr_parse_nested(attr[NFQA_CT], ct_attr_cb, &s->ct_timeout);
		}
	}
	CHECK(remaining == 0);
	return 0;
}

int main(void)
{
	static uint8_t pkt[60000];
	struct nat_verdicts v;

	/* accept 1..3, rewrite 4, accept 5..6, rewrite 7 (TCP, with ct) */
	CHECK(nat_verdicts_init(&v, 7, 256 * 1024, record, NULL) == 0);
	for (uint32_t id = 1; id <= 3; id++)
		nat_verdict_accept(&v, id);
	nat_verdict_payload(&v, 4, pkt, 300, false, 0);
	nat_verdict_accept(&v, 5);
	nat_verdict_accept(&v, 6);
	nat_verdict_payload(&v, 7, pkt, 400, true, 0);
	CHECK(n_sends == 0);			/* nothing leaves before the flush */
	CHECK(nat_verdicts_flush(&v) == 0);
	CHECK(n_sends == 1);			/* one sendto for the whole drain */
	CHECK(n_seen == 4);
	CHECK(seen[0].type == NFQNL_MSG_VERDICT_BATCH && seen[0].id == 3 && seen[0].verdict == NF_ACCEPT);
	CHECK(seen[1].type == NFQNL_MSG_VERDICT && seen[1].id == 4 && seen[1].payload_len == 300 && !seen[1].has_ct);
	CHECK(seen[2].type == NFQNL_MSG_VERDICT_BATCH && seen[2].id == 6);
	CHECK(seen[3].type == NFQNL_MSG_VERDICT && seen[3].id == 7 && seen[3].payload_len == 400 && seen[3].has_ct);
	for (unsigned i = 0; i < n_seen; i++)
		CHECK(seen[i].queue == 7 && seen[i].verdict == NF_ACCEPT);
	CHECK(v.batch_msgs == 2 && v.payload_msgs == 2);

	/* only accepts: a single batch message; empty flush sends nothing */
	n_seen = n_sends = 0;
	for (uint32_t id = 8; id <= 100; id++)
		nat_verdict_accept(&v, id);
	nat_verdicts_flush(&v);
	CHECK(n_sends == 1 && n_seen == 1 && seen[0].id == 100);
	nat_verdicts_flush(&v);
	CHECK(n_sends == 1);

	/* CTA_TIMEOUT rides in the NFQA_CT nest */
	n_seen = n_sends = 0;
	nat_verdict_payload(&v, 101, pkt, 100, true, 3600);
	nat_verdicts_flush(&v);
	CHECK(n_seen == 1 && seen[0].has_ct && seen[0].ct_timeout == 3600);

	/* an unchanged accept with a timeout: its own verdict, no payload, between batches */
	n_seen = n_sends = 0;
	nat_verdict_accept(&v, 102);
	nat_verdict_accept(&v, 103);
	nat_verdict_accept_ct(&v, 104, 1830);
	nat_verdict_accept(&v, 105);
	nat_verdicts_flush(&v);
	CHECK(n_sends == 1 && n_seen == 3);
	CHECK(seen[0].type == NFQNL_MSG_VERDICT_BATCH && seen[0].id == 103 && !seen[0].has_ct);
	CHECK(seen[1].type == NFQNL_MSG_VERDICT && seen[1].id == 104 && seen[1].payload_len == 0);
	CHECK(seen[1].has_ct && seen[1].ct_timeout == 1830 && seen[1].verdict == NF_ACCEPT);
	CHECK(seen[2].type == NFQNL_MSG_VERDICT_BATCH && seen[2].id == 105 && !seen[2].has_ct);
	CHECK(v.ct_msgs == 1);
	/* a UDP rewrite of a registered flow: NFQA_CT for the timeout alone */
	n_seen = 0;
	nat_verdict_payload(&v, 106, pkt, 100, false, 1830);
	nat_verdicts_flush(&v);
	CHECK(n_seen == 1 && seen[0].has_ct && seen[0].ct_timeout == 1830 && seen[0].payload_len == 100);

	/* big packets overflow the buffer: several sends, order kept, none lost */
	n_seen = n_sends = 0;
	nat_verdict_accept(&v, 200);
	for (uint32_t id = 201; id <= 210; id++)
		nat_verdict_payload(&v, id, pkt, sizeof(pkt), false, 0);
	nat_verdicts_flush(&v);
	CHECK(n_sends >= 3);
	CHECK(n_seen == 11 && seen[0].id == 200);
	for (unsigned i = 1; i < n_seen; i++)
		CHECK(seen[i].id == 200 + i && seen[i].payload_len == sizeof(pkt));
	for (unsigned i = 1; i < n_seen; i++)
		CHECK(seen[i].send_no >= seen[i - 1].send_no);
	nat_verdicts_free(&v);

	/* a buffer that cannot hold a 64 KiB verdict is refused */
	CHECK(nat_verdicts_init(&v, 0, 4096, record, NULL) < 0);

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
