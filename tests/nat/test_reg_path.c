/*
 * nat_reg_path: registered UDP flows through the per-packet path, without a
 * kernel. Helper mode: every packet of a registered flow carries the
 * registration's timeout in its own verdict (NFQA_CT/CTA_TIMEOUT), other
 * flows' accepts stay batched. No conntrack glue: packets only mark the flow,
 * and the timer's flush raises it once per flow per tick.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct_fixture.h"
#include "packet_path.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* ---- what the kernel would receive, message by message ---- */
static struct {
	int type;
	uint32_t id;
	bool has_payload, has_ct;
	long ct_timeout;	/* -1: no CTA_TIMEOUT in the nest */
} v[64];
static unsigned nv;

static int ct_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTA_TIMEOUT && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*(long *)data = (long)ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

static int record(void *arg, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	(void)arg;
	for (; mnl_nlmsg_ok(nlh, rem) && nv < 64; nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct nlattr *a[NFQA_MAX + 1] = { 0 };
		struct nfqnl_msg_verdict_hdr *vh;

		nfq_nlmsg_parse(nlh, a);
		vh = mnl_attr_get_payload(a[NFQA_VERDICT_HDR]);
		v[nv].type = nlh->nlmsg_type & 0xff;
		v[nv].id = ntohl(vh->id);
		v[nv].has_payload = a[NFQA_PAYLOAD] != NULL;
		v[nv].has_ct = a[NFQA_CT] != NULL;
		v[nv].ct_timeout = -1;
		if (a[NFQA_CT])
			mnl_attr_parse_nested(a[NFQA_CT], ct_attr_cb, &v[nv].ct_timeout);
		nv++;
	}
	return 0;
}

/* ---- masqueraded UDP flows 192.168.1.10:PORT -> 203.0.113.2:5060 as 203.0.113.1:PORT ---- */


/* As queued at the helper hook: outbound after SNAT, inbound after de-NAT. */
static size_t build(uint8_t *pkt, uint16_t inside_port, bool inbound, const char *payload)
{
	size_t plen = strlen(payload);
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP };
	struct udphdr u = { .len = htons((uint16_t)(8 + plen)) };

	ip.tot_len = htons((uint16_t)(28 + plen));
	ip.saddr = inet_addr(inbound ? "203.0.113.2" : "203.0.113.1");
	ip.daddr = inet_addr(inbound ? "192.168.1.10" : "203.0.113.2");
	u.source = htons(inbound ? 5060 : inside_port);
	u.dest = htons(inbound ? inside_port : 5060);
	memcpy(pkt, &ip, 20);
	memcpy(pkt + 20, &u, 8);
	memcpy(pkt + 28, payload, plen);
	return 28 + plen;
}

static void queue_one(struct nat_path *p, uint32_t id, uint16_t inside_port, bool inbound,
		      const char *payload)
{
	static uint8_t pkt[4096];
	static struct ct_fixture fx;
	struct nat_packet np = { .id = id, .data = pkt, .has_ctinfo = true,
				 .ctinfo = inbound ? IP_CT_ESTABLISHED_REPLY : IP_CT_ESTABLISHED };

	np.len = build(pkt, inside_port, inbound, payload);
	ct_fixture_build(&fx, IPPROTO_UDP, inside_port);
	np.ct = fx.attrs;
	np.ct_len = fx.len;
	nat_path_packet(p, &np);
}

/* The registrar's answer as it arrives, granting expires s to the phone on port. */
static const char *ok_register(uint16_t port, int expires)
{
	static char m[1024];

	snprintf(m, sizeof(m),
		 "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.1:%u;branch=z9hG4bK-1;rport=%u\r\n"
		 "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>;tag=9\r\n"
		 "Call-ID: reg-%u@pc\r\nCSeq: 1 REGISTER\r\n"
		 "Contact: <sip:a@203.0.113.1:%u>;expires=%d\r\nContent-Length: 0\r\n\r\n",
		 port, port, port, port, expires);
	return m;
}

/* Nothing in it names the binding: accepted as it is. */
static const char options[] =
	"OPTIONS sip:203.0.113.2 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bK-2\r\n"
	"From: <sip:a@example.com>;tag=2\r\nTo: <sip:b@example.com>\r\n"
	"Call-ID: o@pc\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

/* ---- the timer's ctnetlink raise, recorded ---- */
static struct { struct rtp_master m; unsigned timeout; } raised[16];
static unsigned n_raised;

static int record_raise(void *arg, const struct rtp_master *m, unsigned timeout)
{
	(void)arg;
	if (n_raised < 16) {
		raised[n_raised].m = *m;
		raised[n_raised].timeout = timeout;
	}
	n_raised++;
	return 0;
}

int main(void)
{
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	struct nat_path p = { 0 };
	struct nat_reg_flush_stats st;

	sipalg_switches_default(&sw);
	CHECK(nat_verdicts_init(&verdicts, 0, 256 * 1024, record, NULL) == 0);
	p.sw = &sw;
	p.udp = p.tcp = true;
	p.verdicts = &verdicts;
	p.registration_timeout = true;
	p.regs = nat_reg_new(64);
	p.now = 1000000;
	CHECK(p.regs && nat_path_init(&p) == 0);

	/* ---- helper mode: conntrack glue, the verdict carries the timeout ---- */
	p.ct_in_verdict = true;
	/* the 200 OK that grants 1800 s is rewritten; its own verdict already stretches */
	queue_one(&p, 1, 5060, true, ok_register(5060, 1800));
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT && v[0].id == 1 && v[0].has_payload);
	CHECK(v[0].has_ct && v[0].ct_timeout == 1800 + NAT_REG_SLACK_S);
	CHECK(nat_reg_count(p.regs) == 1);

	/* 100 s later: an unchanged packet of the registered flow gets its own verdict
	 * with what is left; another flow's accepts around it stay batched, in order */
	nv = 0;
	p.now += 100;
	queue_one(&p, 2, 5062, false, options);
	queue_one(&p, 3, 5064, false, options);
	queue_one(&p, 4, 5060, false, options);
	queue_one(&p, 5, 5062, false, options);
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 3);
	CHECK(v[0].type == NFQNL_MSG_VERDICT_BATCH && v[0].id == 3 && !v[0].has_ct);
	CHECK(v[1].type == NFQNL_MSG_VERDICT && v[1].id == 4 && !v[1].has_payload);
	CHECK(v[1].has_ct && v[1].ct_timeout == 1700 + NAT_REG_SLACK_S);
	CHECK(v[2].type == NFQNL_MSG_VERDICT_BATCH && v[2].id == 5 && !v[2].has_ct);
	CHECK(p.c.reg_timeouts_in_verdict == 2 && p.c.reg_marked_dirty == 0);

	/* an empty datagram (NAT keepalive) of the registered flow too */
	nv = 0;
	queue_one(&p, 6, 5060, false, "");
	queue_one(&p, 7, 5062, false, "");
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 2 && v[0].id == 6 && v[0].has_ct && v[0].ct_timeout == 1700 + NAT_REG_SLACK_S);
	CHECK(v[1].type == NFQNL_MSG_VERDICT_BATCH && v[1].id == 7 && !v[1].has_ct);
	CHECK(p.c.no_payload == 2);

	/* the configured cap bounds it */
	nv = 0;
	p.registration_timeout_max = 600;
	queue_one(&p, 8, 5060, false, options);
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 1 && v[0].has_ct && v[0].ct_timeout == 600);
	p.registration_timeout_max = 0;

	/* switched off (reload): plain batched accepts again */
	nv = 0;
	p.registration_timeout = false;
	queue_one(&p, 9, 5060, false, options);
	nat_verdicts_flush(&verdicts);
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT_BATCH && !v[0].has_ct);
	p.registration_timeout = true;

	/* expires=0 ends it: no timeout rides any more */
	nv = 0;
	queue_one(&p, 10, 5060, true, ok_register(5060, 0));
	queue_one(&p, 11, 5060, false, options);
	nat_verdicts_flush(&verdicts);
	CHECK(nat_reg_count(p.regs) == 0);
	CHECK(nv == 2 && !v[0].has_ct && v[1].type == NFQNL_MSG_VERDICT_BATCH && !v[1].has_ct);

	/* An attacker's turn: the phone's own REGISTER asking for 68 years, and a
	 * 401/403 answer however long its Contact says, register nothing; only a
	 * 2xx does, and a huge granted expiry is held to the cap. */
	nv = 0;
	{
		static char m[1024];
		const char *ask =
			"REGISTER sip:203.0.113.2 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-3\r\n"
			"From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
			"Call-ID: reg-5060@pc\r\nCSeq: 2 REGISTER\r\nExpires: 2147483647\r\n"
			"Contact: <sip:a@192.168.1.10:5060>\r\nContent-Length: 0\r\n\r\n";

		queue_one(&p, 30, 5060, false, ask);
		snprintf(m, sizeof(m), "%s", ok_register(5060, 2147483647));
		memcpy(m + 8, "401", 3);	/* "SIP/2.0 401 OK": a refusal */
		queue_one(&p, 31, 5060, true, m);
		memcpy(m + 8, "403", 3);
		queue_one(&p, 32, 5060, true, m);
		nat_verdicts_flush(&verdicts);
		CHECK(nat_reg_count(p.regs) == 0);
		for (unsigned i = 0; i < nv; i++)
			CHECK(!v[i].has_ct || v[i].ct_timeout == -1);
		nv = 0;
		p.registration_timeout_max = 7200;
		queue_one(&p, 33, 5060, true, ok_register(5060, 2147483647));
		nat_verdicts_flush(&verdicts);
		CHECK(nat_reg_count(p.regs) == 1);
		CHECK(nv == 1 && v[0].has_ct && v[0].ct_timeout == 7200);
		p.registration_timeout_max = 0;
		queue_one(&p, 34, 5060, true, ok_register(5060, 0));
		nat_verdicts_flush(&verdicts);
		CHECK(nat_reg_count(p.regs) == 0);
	}

	/* ---- no conntrack glue: mark dirty, one ctnetlink raise per flow per tick ---- */
	p.ct_in_verdict = false;
	nv = 0;
	queue_one(&p, 12, 5060, true, ok_register(5060, 3600));
	queue_one(&p, 13, 5062, true, ok_register(5062, 120));
	for (uint32_t id = 14; id < 24; id++)
		queue_one(&p, id, id % 2 ? 5062 : 5060, false, options);
	nat_verdicts_flush(&verdicts);
	for (unsigned i = 0; i < nv; i++)
		CHECK(!v[i].has_ct);	/* nothing the kernel could apply */
	CHECK(p.c.reg_marked_dirty == 12 && nat_reg_dirty_count(p.regs) == 2);
	nat_reg_flush_dirty(p.regs, p.now, 0, 100, record_raise, NULL, &st);
	CHECK(n_raised == 2 && st.raised == 2 && st.left == 0);
	CHECK(raised[0].m.src.port == 5060 && raised[0].timeout == 3600 + NAT_REG_SLACK_S);
	CHECK(raised[1].m.src.port == 5062 && raised[1].timeout == 120 + NAT_REG_SLACK_S);
	CHECK(raised[0].m.src.ip.s_addr == inet_addr("192.168.1.10") &&
	      raised[0].m.dst.port == 5060 && raised[0].m.l4proto == IPPROTO_UDP);
	/* more packets within the same second: marked, but not raised again before the next */
	queue_one(&p, 24, 5060, false, options);
	nat_verdicts_flush(&verdicts);
	nat_reg_flush_dirty(p.regs, p.now, 0, 100, record_raise, NULL, &st);
	CHECK(n_raised == 2 && nat_reg_dirty_count(p.regs) == 1);
	nat_reg_flush_dirty(p.regs, p.now + 1, 0, 100, record_raise, NULL, &st);
	CHECK(n_raised == 3 && raised[2].m.src.port == 5060 &&
	      raised[2].timeout == 3599 + NAT_REG_SLACK_S);
	/* a quiet tick raises nothing */
	nat_reg_flush_dirty(p.regs, p.now + 2, 0, 100, record_raise, NULL, &st);
	CHECK(n_raised == 3 && st.raised == 0);

	nat_path_free(&p);
	nat_reg_free(p.regs);
	nat_verdicts_free(&verdicts);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
