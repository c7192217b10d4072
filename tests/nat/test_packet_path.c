/*
 * nat_packet_path: the per-packet path without a kernel - queued packets as
 * nfqueue.c hands them over (IP packet + NFQA_CT attributes built by
 * libnetfilter_conntrack), verdicts recorded at the send function.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>

#include "ct_fixture.h"
#include "packet_path.h"
#include "splice.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* ---- what the kernel would receive ---- */
static struct { int type; uint32_t id; uint8_t pkt[4096]; size_t len; int has_ct; } v[16];
static unsigned nv;

static int record(void *arg, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	(void)arg;
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct nlattr *a[NFQA_MAX + 1] = { 0 };
		struct nfqnl_msg_verdict_hdr *vh;

		nfq_nlmsg_parse(nlh, a);
		vh = mnl_attr_get_payload(a[NFQA_VERDICT_HDR]);
		v[nv].type = nlh->nlmsg_type & 0xff;
		v[nv].id = ntohl(vh->id);
		v[nv].has_ct = a[NFQA_CT] != NULL;
		v[nv].len = 0;
		if (a[NFQA_PAYLOAD]) {
			v[nv].len = mnl_attr_get_payload_len(a[NFQA_PAYLOAD]);
			memcpy(v[nv].pkt, mnl_attr_get_payload(a[NFQA_PAYLOAD]), v[nv].len);
		}
		nv++;
	}
	return 0;
}

/* ---- a masqueraded UDP/TCP SIP flow 192.168.1.10:5060 -> 203.0.113.2:5060 as 203.0.113.1 ---- */


/* The packet as queued after SNAT (outbound: source already public). */
static size_t build(uint8_t *pkt, uint8_t proto, const char *payload)
{
	size_t plen = strlen(payload), hl = proto == IPPROTO_UDP ? 8 : 20;
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = proto };

	ip.tot_len = htons((uint16_t)(20 + hl + plen));
	ip.saddr = inet_addr("203.0.113.1");
	ip.daddr = inet_addr("203.0.113.2");
	memcpy(pkt, &ip, 20);
	if (proto == IPPROTO_UDP) {
		struct udphdr u = { .source = htons(5060), .dest = htons(5060),
				    .len = htons((uint16_t)(8 + plen)) };
		memcpy(pkt + 20, &u, 8);
	} else {
		struct tcphdr t = { .source = htons(5060), .dest = htons(5060),
				    .seq = htonl(1), .doff = 5, .ack = 1, .window = htons(512) };
		memcpy(pkt + 20, &t, 20);
	}
	memcpy(pkt + 20 + hl, payload, plen);
	return 20 + hl + plen;
}

static const char reg[] =
	"REGISTER sip:203.0.113.2 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-1\r\n"
	"From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
	"Call-ID: c1@pc\r\nCSeq: 1 REGISTER\r\n"
	"Contact: <sip:a@192.168.1.10:5060>\r\nContent-Length: 0\r\n\r\n";
static const char opt[] =
	"OPTIONS sip:203.0.113.2 SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 203.0.113.9:5060;branch=z9hG4bK-2\r\n"
	"From: <sip:a@example.com>;tag=2\r\nTo: <sip:b@example.com>\r\n"
	"Call-ID: c2@pc\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

static void queue_one(struct nat_path *p, uint32_t id, uint8_t proto, const char *payload,
		      bool truncated)
{
	static uint8_t pkt[4096];
	static struct ct_fixture fx;
	struct nat_packet np = { .id = id, .data = pkt, .truncated = truncated,
				 .has_ctinfo = true, .ctinfo = IP_CT_ESTABLISHED };

	np.len = build(pkt, proto, payload);
	ct_fixture_build(&fx, proto, 5060);
	np.ct = fx.attrs;
	np.ct_len = fx.len;
	nat_path_packet(p, &np);
}

static bool payload_has(unsigned i, const char *text)
{
	struct nat_l4 l4;

	if (nat_l4_locate(v[i].pkt, v[i].len, &l4) < 0)
		return false;
	return memmem(v[i].pkt + l4.payload_off, l4.payload_len, text, strlen(text)) != NULL;
}

int main(void)
{
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	struct nat_path p = { 0 };

	sipalg_switches_default(&sw);
	CHECK(nat_verdicts_init(&verdicts, 0, 256 * 1024, record, NULL) == 0);
	p.sw = &sw;
	p.udp = p.tcp = true;
	p.verdicts = &verdicts;
	CHECK(nat_path_init(&p) == 0);

	/* UDP REGISTER outbound: Via and Contact become public, one rewrite verdict */
	queue_one(&p, 1, IPPROTO_UDP, reg, false);
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT && v[0].id == 1);
	CHECK(payload_has(0, "Via: SIP/2.0/UDP 203.0.113.1:5060;branch"));
	CHECK(payload_has(0, "Contact: <sip:a@203.0.113.1:5060>"));
	CHECK(!payload_has(0, "192.168.1.10"));
	CHECK(!v[0].has_ct);		/* UDP: nothing for the kernel to shift */
	CHECK(p.c.rewritten == 1 && p.c.edits[SIPALG_EDIT_VIA] >= 1 && p.c.edits[SIPALG_EDIT_CONTACT] == 1);

	/* nothing to change, truncated copy, enabled = no: plain accepts, batched */
	nv = 0;
	queue_one(&p, 2, IPPROTO_UDP, opt, false);
	queue_one(&p, 3, IPPROTO_UDP, reg, true);
	sw.enabled = false;
	queue_one(&p, 4, IPPROTO_UDP, reg, false);
	sw.enabled = true;
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT_BATCH && v[0].id == 4);
	CHECK(p.c.truncated == 1 && p.c.disabled == 1 && p.c.unchanged == 3);

	/* TCP: tests/nat/test_tcp_path.c */

	/* no conntrack and no mark: no binding, passes */
	nv = 0;
	{
		static uint8_t pkt[4096];
		struct nat_packet np = { .id = 5, .data = pkt };

		np.len = build(pkt, IPPROTO_UDP, reg);
		nat_path_packet(&p, &np);
	}
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT_BATCH && p.c.no_binding == 1);
	CHECK(p.c.packets == 5 && p.c.internal_errors == 0);

	nat_path_free(&p);
	nat_verdicts_free(&verdicts);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
