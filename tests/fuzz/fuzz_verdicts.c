/* fuzz_verdicts.c - the checking kernel end of the queue; see fuzz_verdicts.h. */
#include "fuzz_verdicts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "fuzz_packets.h"

static struct fv_rules rules;
static struct queued {
	bool live, verdict, may_rewrite, rewritten;
	uint8_t pkt[FZ_PKT_CAP];
	size_t len;
	uint8_t out[FZ_PKT_CAP];	/* the new packet, when rewritten */
	size_t out_len;
} q[FV_MAX_PACKETS + 1];
static uint32_t n_queued;
static unsigned n_rewritten;

#define FAIL(...) do { fprintf(stderr, "fuzz_verdicts: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

void fv_reset(const struct fv_rules *r)
{
	rules = *r;
	for (uint32_t i = 0; i <= n_queued && i <= FV_MAX_PACKETS; i++)
		q[i].live = q[i].verdict = q[i].rewritten = false;
	n_queued = 0;
	n_rewritten = 0;
}

void fv_queued(uint32_t id, const uint8_t *pkt, size_t len, bool may_rewrite)
{
	if (id != n_queued + 1 || id > FV_MAX_PACKETS || len > sizeof(q[id].pkt))
		FAIL("harness: packet id %u out of order", id);
	q[id].live = true;
	q[id].verdict = false;
	q[id].rewritten = false;
	q[id].may_rewrite = may_rewrite;
	memcpy(q[id].pkt, pkt, len);
	q[id].len = len;
	n_queued = id;
}

unsigned fv_outstanding(void)
{
	unsigned n = 0;

	for (uint32_t i = 1; i <= n_queued; i++)
		n += q[i].live && !q[i].verdict;
	return n;
}

/* The L4 payload of a packet as it left: the new one, or as queued. */
static const uint8_t *l4_payload(const uint8_t *p, size_t len, size_t *plen)
{
	size_t ihl = (size_t)(p[0] & 0xf) * 4;
	size_t l4h = p[9] == IPPROTO_TCP ? (size_t)(p[ihl + 12] >> 4) * 4 : 8;

	*plen = len - ihl - l4h;
	return p + ihl + l4h;
}

bool fv_same_output(uint32_t a, uint32_t b)
{
	const uint8_t *pa, *pb;
	size_t la, lb;

	if (!a || !b || a > n_queued || b > n_queued || !q[a].verdict || !q[b].verdict)
		FAIL("harness: output of ids %u and %u compared before their verdicts", a, b);
	pa = q[a].rewritten ? l4_payload(q[a].out, q[a].out_len, &la) : l4_payload(q[a].pkt, q[a].len, &la);
	pb = q[b].rewritten ? l4_payload(q[b].out, q[b].out_len, &lb) : l4_payload(q[b].pkt, q[b].len, &lb);
	return la == lb && memcmp(pa, pb, la) == 0;
}

unsigned fv_rewritten(void)
{
	return n_rewritten;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The new packet against the one queued under the same id. */
static void check_rewrite(uint32_t id, const uint8_t *p, size_t len, bool has_ct)
{
	const struct queued *o = &q[id];
	size_t ihl, l4h;
	bool tcp;

	if (!o->may_rewrite)
		FAIL("id %u: new payload for a packet that must pass unchanged", id);
	if (len < 20 || (p[0] >> 4) != 4)
		FAIL("id %u: not IPv4 (%zu bytes)", id, len);
	ihl = (size_t)(p[0] & 0xf) * 4;
	if (ihl != (size_t)(o->pkt[0] & 0xf) * 4 || ihl > len)
		FAIL("id %u: IP header length changed", id);
	if (get16(p + 2) != len)
		FAIL("id %u: IP total length %u, packet %zu bytes", id, get16(p + 2), len);
	if (fz_ip_csum(p, ihl) != 0)
		FAIL("id %u: IP header checksum wrong", id);
	/* everything but total length and checksum as it came (options included) */
	if (p[0] != o->pkt[0] || p[1] != o->pkt[1] || memcmp(p + 4, o->pkt + 4, 6) != 0 ||
	    memcmp(p + 12, o->pkt + 12, ihl - 12) != 0)
		FAIL("id %u: IP header changed beyond length and checksum", id);
	tcp = p[9] == IPPROTO_TCP;
	if (tcp) {
		if (len < ihl + 20)
			FAIL("id %u: TCP header cut", id);
		l4h = (size_t)(p[ihl + 12] >> 4) * 4;
		if (l4h < 20 || ihl + l4h > len || ihl + l4h > o->len ||
		    memcmp(p + ihl, o->pkt + ihl, 16) != 0 ||
		    memcmp(p + ihl + 18, o->pkt + ihl + 18, l4h - 18) != 0)
			FAIL("id %u: TCP header changed beyond the checksum", id);
		if (len != o->len && !has_ct)
			FAIL("id %u: TCP length %zu -> %zu without NFQA_CT: no seqadj", id, o->len, len);
	} else {
		l4h = 8;
		if (len < ihl + 8 || memcmp(p + ihl, o->pkt + ihl, 4) != 0)
			FAIL("id %u: UDP ports changed", id);
		if (get16(p + ihl + 4) != len - ihl)
			FAIL("id %u: UDP length %u, datagram %zu", id, get16(p + ihl + 4), len - ihl);
		if (get16(p + ihl + 6) == 0)
			FAIL("id %u: UDP checksum left out", id);
	}
	if (fz_l4_csum(p, len) != 0)
		FAIL("id %u: %s checksum does not verify", id, tcp ? "TCP" : "UDP");
	memcpy(q[id].out, p, len);
	q[id].out_len = len;
	q[id].rewritten = true;
	n_rewritten++;
}

static void check_ct_nest(uint32_t id, const struct nlattr *nest)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		uint32_t t;

		if (mnl_attr_get_type(a) != CTA_TIMEOUT || mnl_attr_get_payload_len(a) != 4)
			FAIL("id %u: NFQA_CT carries attribute %u", id, mnl_attr_get_type(a));
		t = ntohl(mnl_attr_get_u32(a));
		if (t == 0 || t > rules.max_ct_timeout)
			FAIL("id %u: CTA_TIMEOUT %u (allowed 1..%u)", id, t, rules.max_ct_timeout);
	}
}

static void one_verdict(uint32_t id)
{
	if (id == 0 || id > n_queued || !q[id].live)
		FAIL("verdict for id %u, never queued", id);
	if (q[id].verdict)
		FAIL("id %u: a second verdict", id);
	q[id].verdict = true;
}

static void check_msg(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *hdr = NULL, *payload = NULL, *ct = NULL;
	const struct nfqnl_msg_verdict_hdr *vh;
	int type = nlh->nlmsg_type & 0xff;
	uint32_t id;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE ||
	    (type != NFQNL_MSG_VERDICT && type != NFQNL_MSG_VERDICT_BATCH))
		FAIL("message type 0x%x is not a verdict", nlh->nlmsg_type);
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g) || ntohs(g->res_id) != rules.queue)
		FAIL("verdict for queue %u", ntohs(g->res_id));
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case NFQA_VERDICT_HDR: hdr = a; break;
		case NFQA_PAYLOAD: payload = a; break;
		case NFQA_CT: ct = a; break;
		default: FAIL("verdict attribute %u", mnl_attr_get_type(a));
		}
	}
	if (!hdr || mnl_attr_get_payload_len(hdr) != sizeof(*vh))
		FAIL("verdict without a verdict header");
	vh = mnl_attr_get_payload(hdr);
	id = ntohl(vh->id);
	if (ntohl(vh->verdict) != NF_ACCEPT)
		FAIL("id %u: verdict %u, not NF_ACCEPT", id, ntohl(vh->verdict));
	if (type == NFQNL_MSG_VERDICT_BATCH) {
		if (payload || ct)
			FAIL("batch verdict up to %u with attributes", id);
		one_verdict(id);	/* the accept it was written for */
		for (uint32_t i = 1; i < id && i <= n_queued; i++)
			if (q[i].live && !q[i].verdict)
				q[i].verdict = true;
		return;
	}
	one_verdict(id);
	if (rules.plain_only && (payload || ct))
		FAIL("id %u: enabled = no, yet the verdict carries %s", id, payload ? "a payload" : "NFQA_CT");
	if (ct)
		check_ct_nest(id, ct);
	if (payload)
		check_rewrite(id, mnl_attr_get_payload(payload), mnl_attr_get_payload_len(payload),
			      ct != NULL);
}

int fv_send(void *arg, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	(void)arg;
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem))
		check_msg(nlh);
	if (rem != 0)
		FAIL("%d bytes after the last whole netlink message", rem);
	return 0;
}
