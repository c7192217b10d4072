/*
 * nat_tcp_path: SIP over TCP on the daemon's own packet path (nat_path_packet)
 * with the recording fake kernel behind the pinholes: stream positions from
 * the SYN, reassembly of split messages, the cut back into segments, replayed
 * retransmits, and the attacks that a segment-start parser falls for (NAT
 * Slipstreaming v1/v2, a stream joined mid-way).
 *
 * Flow: phone 192.168.1.10:PORT -> proxy 203.0.113.2:5060, masqueraded to
 * 203.0.113.1:PORT. Packets are built as the helper hook sees them.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>

#include "ct_fixture.h"
#include "fake_kernel.h"
#include "packet_path.h"
#include "splice.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* ---- verdicts as the kernel would receive them ---- */
#define VMAX 64
static struct { int type; uint32_t id; uint8_t pkt[4096]; size_t len; int has_ct; } v[VMAX];
static unsigned nv;

static int record(void *arg, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	(void)arg;
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct nlattr *a[NFQA_MAX + 1] = { 0 };
		struct nfqnl_msg_verdict_hdr *vh;

		if (nv == VMAX)
			break;
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

/* ---- the flow's conntrack, as NFQA_CT carries it ---- */


/* ---- one test connection ---- */
struct conn {
	uint16_t port;
	uint32_t isn, seq;	/* next sequence number the phone sends */
};

static uint32_t next_id = 1;
static struct nat_path p;
/* What each id carried when queued: an unchanged verdict delivers that. */
#define IDS 256
static uint8_t sent[IDS][2048];
static size_t sent_len[IDS];
static unsigned sip_port = 5060;	/* Via/Contact port of make_invite */

/*
 * Queue one segment: payload[0..len) at sequence number seq, outbound as the
 * phone sends it, or (in) from the proxy towards the phone. Returns its id.
 */
static uint32_t seg_dir(struct conn *c, bool in, uint32_t seq, uint8_t flags,
			const char *payload, size_t len)
{
	static uint8_t pkt[8192];
	static struct ct_fixture fx;
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_TCP };
	struct tcphdr t = { .source = htons(in ? 5060 : c->port),
			    .dest = htons(in ? c->port : 5060),
			    .seq = htonl(seq), .doff = 5, .window = htons(512) };
	struct nat_packet np = { .id = next_id++, .data = pkt, .has_ctinfo = true,
				 .ctinfo = in ? IP_CT_ESTABLISHED_REPLY : IP_CT_ESTABLISHED };

	ip.tot_len = htons((uint16_t)(40 + len));
	ip.saddr = inet_addr(in ? "203.0.113.2" : "203.0.113.1");
	ip.daddr = inet_addr(in ? "192.168.1.10" : "203.0.113.2");
	((uint8_t *)&t)[13] = flags;
	memcpy(pkt, &ip, 20);
	memcpy(pkt + 20, &t, 20);
	memcpy(pkt + 40, payload, len);
	np.len = 40 + len;
	if (np.id < IDS && len <= sizeof(sent[0])) {
		memcpy(sent[np.id], payload, len);
		sent_len[np.id] = len;
	}
	ct_fixture_build(&fx, IPPROTO_TCP, c->port);
	np.ct = fx.attrs;
	np.ct_len = fx.len;
	nat_path_packet(&p, &np);
	return np.id;
}

static uint32_t seg_at(struct conn *c, uint32_t seq, uint8_t flags, const char *payload,
		       size_t len)
{
	return seg_dir(c, false, seq, flags, payload, len);
}

static void handshake(struct conn *c, uint16_t port, uint32_t isn)
{
	c->port = port;
	c->isn = isn;
	seg_at(c, isn, TH_SYN, "", 0);
	c->seq = isn + 1;
}

/* The next len bytes of the phone's stream. */
static uint32_t seg(struct conn *c, const char *payload, size_t len)
{
	uint32_t id = seg_at(c, c->seq, TH_ACK | TH_PUSH, payload, len);

	c->seq += (uint32_t)len;
	return id;
}

static void flush(void)
{
	nat_verdicts_flush(p.verdicts);
}

static const uint8_t *vpayload(unsigned i, size_t *len)
{
	struct nat_l4 l4;

	if (!v[i].len && v[i].type == NFQNL_MSG_VERDICT && v[i].id < IDS) {
		*len = sent_len[v[i].id];	/* accepted as it came */
		return sent[v[i].id];
	}
	if (nat_l4_locate(v[i].pkt, v[i].len, &l4) < 0)
		return NULL;
	*len = l4.payload_len;
	return v[i].pkt + l4.payload_off;
}

/* The TCP sequence number of verdict i's packet (a verdict with a payload). */
static uint32_t vseq(unsigned i)
{
	uint32_t seq;

	if (v[i].len < 28)
		return 0;
	memcpy(&seq, v[i].pkt + (v[i].pkt[0] & 0x0f) * 4 + 4, 4);
	return ntohl(seq);
}

/* The payloads of verdicts from..nv concatenated: what the proxy receives. */
static size_t joined(unsigned from, char *out, size_t cap)
{
	size_t n = 0;

	for (unsigned i = from; i < nv; i++) {
		size_t l;
		const uint8_t *b = vpayload(i, &l);

		if (b && n + l < cap) {
			memcpy(out + n, b, l);
			n += l;
		}
	}
	out[n] = 0;
	return n;
}

/* Content-Length of the message at m equals the body that follows it. */
static bool length_right(const char *m)
{
	const char *cl = strstr(m, "Content-Length: "), *body = strstr(m, "\r\n\r\n");
	size_t next;

	if (!cl || !body)
		return false;
	body += 4;
	next = strcspn(body, "");	/* up to the end, or the next message */
	if (strstr(body, "INVITE sip:") || strstr(body, "OPTIONS sip:"))
		next = (size_t)((strstr(body, "INVITE sip:") ? strstr(body, "INVITE sip:")
							     : strstr(body, "OPTIONS sip:")) - body);
	return (size_t)atoi(cl + 16) == next;
}

/*
 * Every id in [first, last] got a plain accept (no new payload), as the
 * kernel reads the verdicts: one of its own, or a batch up to a later id.
 */
static bool passed_unchanged(uint32_t first, uint32_t last)
{
	for (uint32_t id = first; id <= last; id++) {
		bool got = false;

		for (unsigned i = 0; i < nv; i++) {
			if (v[i].len)
				return false;
			if (v[i].id == id || (v[i].type == NFQNL_MSG_VERDICT_BATCH && v[i].id >= id))
				got = true;
		}
		if (!got)
			return false;
	}
	return true;
}

static char invite[2048];

static const char *make_invite(const char *callid, const char *media_ip, unsigned port)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "v=0\r\no=a 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", media_ip, media_ip, port);
	snprintf(invite, sizeof(invite),
		 "INVITE sip:b@203.0.113.2 SIP/2.0\r\n"
		 "Via: SIP/2.0/TCP 192.168.1.10:%u;branch=z9hG4bK-%s\r\n"
		 "From: <sip:a@example.com>;tag=f%s\r\nTo: <sip:b@example.com>\r\n"
		 "Call-ID: %s\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:a@192.168.1.10:%u;transport=tcp>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		 sip_port, callid, callid, callid, sip_port, strlen(body), body);
	return invite;
}

static const char options[] =
	"OPTIONS sip:203.0.113.2 SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 192.168.1.10:40001;branch=z9hG4bK-o\r\n"
	"From: <sip:a@example.com>;tag=o\r\nTo: <sip:b@example.com>\r\n"
	"Call-ID: opt@pc\r\nCSeq: 2 OPTIONS\r\nContent-Length: 0\r\n\r\n";

static struct fake_kernel fk;

/* A genuine INVITE in three segments: split inside Via and inside c=. */
static void split_invite(void)
{
	struct conn c;
	const char *m = (sip_port = 40001, make_invite("split@pc", "192.168.1.10", 4000));
	size_t n = strlen(m), a = (size_t)(strstr(m, "168.1.10:40001;branch") - m),
	       b = (size_t)(strstr(m, "c=IN IP4 192.") - m) + 12;
	char got[8192];
	static uint8_t first[3][4096];
	size_t first_len[3];
	uint32_t id1, id2, id3, before = fake_count(&fk, 'C');

	handshake(&c, 40001, 1000);
	flush();
	nv = 0;
	id1 = seg(&c, m, a);
	id2 = seg(&c, m + a, b - a);
	flush();
	CHECK(nv == 0);			/* held: neither may leave before the message is whole */
	id3 = seg(&c, m + b, n - b);
	flush();
	CHECK(nv == 3 && v[0].id == id1 && v[1].id == id2 && v[2].id == id3);
	joined(0, got, sizeof(got));
	CHECK(strstr(got, "INVITE sip:b@203.0.113.2 SIP/2.0\r\n") == got);
	CHECK(!strstr(got, "192.168.1.10"));
	CHECK(strstr(got, "Via: SIP/2.0/TCP 203.0.113.1:40001;branch"));
	CHECK(strstr(got, "Contact: <sip:a@203.0.113.1:40001;transport=tcp>"));
	CHECK(length_right(got));
	/* the first two keep their lengths; only the last one's changed (one seqadj step) */
	{
		size_t l0, l1;

		vpayload(0, &l0);
		vpayload(1, &l1);
		CHECK(l0 == a && l1 == b - a);
		CHECK(!v[0].has_ct && !v[1].has_ct && v[2].has_ct);
	}
	CHECK(fake_count(&fk, 'C') > before);		/* pinholes for its SDP */
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *b0 = vpayload(i, &first_len[i]);

		memcpy(first[i], b0, first_len[i]);
	}
	CHECK(p.tcp_streams && nat_tcp_counters(p.tcp_streams)->multi_segment_runs >= 1);

	/* the next message on the connection is parsed at once (position advanced) */
	nv = 0;
	seg(&c, options, strlen(options));
	flush();
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT);
	joined(0, got, sizeof(got));
	CHECK(strstr(got, "Via: SIP/2.0/TCP 203.0.113.1:") && !strstr(got, "192.168.1.10"));

	/* retransmits of the second and third segments get exactly what their first
	 * copies got (the third changed length: the same length again) */
	{
		size_t lr;
		const uint8_t *b1;

		nv = 0;
		seg_at(&c, c.isn + 1 + (uint32_t)a, TH_ACK, m + a, b - a);
		seg_at(&c, c.isn + 1 + (uint32_t)b, TH_ACK, m + b, n - b);
		flush();
		CHECK(nv == 2);
		b1 = vpayload(0, &lr);
		CHECK(b1 && lr == first_len[1] && memcmp(b1, first[1], lr) == 0);
		b1 = vpayload(1, &lr);
		CHECK(b1 && lr == first_len[2] && memcmp(b1, first[2], lr) == 0);
		CHECK(lr != n - b && v[1].has_ct);
		CHECK(nat_tcp_counters(p.tcp_streams)->retransmits_replayed == 2);
		/* ...at the sequence numbers the receiver expects: the kernel adds the
		 * offset before its last change point (the OPTIONS), which includes the
		 * third segment's own change; we take that off again */
		{
			int32_t d3 = (int32_t)first_len[2] - (int32_t)(n - b);

			CHECK(vseq(0) == c.isn + 1 + (uint32_t)a - (uint32_t)d3);
			CHECK(vseq(1) == c.isn + 1 + (uint32_t)b - (uint32_t)d3);
			/* the first segment (rewritten too: its Via address) likewise */
			nv = 0;
			seg_at(&c, c.isn + 1, TH_ACK, m, a);
			flush();
			CHECK(nv == 1 && vseq(0) == c.isn + 1 - (uint32_t)d3);
			b1 = vpayload(0, &lr);
			CHECK(b1 && lr == first_len[0] && memcmp(b1, first[0], lr) == 0);
		}
	}
}

/* Two INVITEs in one segment, then CRLF keep-alives: both rewritten, both pinholed. */
static void two_in_one(void)
{
	struct conn c;
	char both[4096], got[8192];
	unsigned before = fake_count(&fk, 'C');

	sip_port = 40002;
	handshake(&c, 40002, 7000);
	snprintf(both, sizeof(both), "%s", make_invite("one@pc", "192.168.1.10", 4100));
	strncat(both, make_invite("two@pc", "192.168.1.10", 4200), sizeof(both) - strlen(both) - 1);
	flush();
	nv = 0;
	seg(&c, "\r\n\r\n", 4);		/* RFC 5626 ping */
	seg(&c, both, strlen(both));
	seg(&c, "\r\n\r\n", 4);
	flush();
	CHECK(nv == 3);
	joined(0, got, sizeof(got));
	CHECK(!strstr(got, "192.168.1.10"));
	CHECK(strstr(got, "Call-ID: one@pc") && strstr(got, "Call-ID: two@pc"));
	CHECK(fake_count(&fk, 'C') >= before + 4);	/* RTP + RTCP of each */

	/* After a second length change (an OPTIONS), the first keep-alive is
	 * retransmitted: unchanged bytes, but the kernel would shift it by the
	 * INVITEs' change; it leaves at the number it had. */
	{
		char opt[512];
		size_t l;
		long d_both;

		vpayload(1, &l);
		d_both = (long)l - (long)strlen(both);
		snprintf(opt, sizeof(opt), "OPTIONS sip:203.0.113.2 SIP/2.0\r\n"
			 "Via: SIP/2.0/TCP 192.168.1.10:40002;branch=z9hG4bK-o2\r\n"
			 "From: <sip:a@example.com>;tag=o2\r\nTo: <sip:b@example.com>\r\n"
			 "Call-ID: opt2@pc\r\nCSeq: 3 OPTIONS\r\nContent-Length: 0\r\n\r\n");
		nv = 0;
		seg(&c, opt, strlen(opt));
		flush();
		CHECK(nv == 1 && v[0].len && v[0].has_ct);	/* rewritten, length changed */
		nv = 0;
		seg_at(&c, c.isn + 1, TH_ACK, "\r\n\r\n", 4);
		flush();
		CHECK(d_both != 0);
		CHECK(nv == 1 && vseq(0) == c.isn + 1 - (uint32_t)d_both);
		CHECK(vpayload(0, &l) && l == 4);
		CHECK(nat_tcp_counters(p.tcp_streams)->retransmits_resequenced == 1);
	}
}

/*
 * NAT Slipstreaming v1/v2: an inside browser POSTs to port 5060 with padding
 * that puts an INVITE at a segment start. The stream is HTTP, not SIP: lost
 * at its first line, every byte passes as it came, no pinhole.
 */
static void slipstream(const char *victim)
{
	struct conn c;
	char post[1024], pad[1200];
	const char *inv = make_invite("slip@pc", victim, 3306);
	size_t plen;
	unsigned before = fake_count(&fk, 'C');
	uint32_t first, last;
	uint64_t lost = nat_tcp_counters(p.tcp_streams)->lost_not_sip;
	uint64_t peer = nat_tcp_counters(p.tcp_streams)->lost_peer_not_sip;

	handshake(&c, 40003, 99);
	seg_dir(&c, true, 500000, TH_SYN | TH_ACK, "", 0);	/* the server's side is followed too */
	flush();
	snprintf(post, sizeof(post), "POST / HTTP/1.1\r\nHost: 203.0.113.2:5060\r\n"
		 "Content-Type: text/plain\r\nContent-Length: 2000\r\n\r\n");
	plen = strlen(post);
	memset(pad, 'A', sizeof(pad));
	nv = 0;
	first = seg(&c, post, plen);
	seg(&c, pad, sizeof(pad));
	last = seg(&c, inv, strlen(inv));	/* begins exactly at a segment start */
	flush();
	CHECK(passed_unchanged(first, last));
	/* the server's answer is no SIP either, whatever it looks like */
	nv = 0;
	make_invite("slip-in@pc", "203.0.113.2", 3306);
	first = last = seg_dir(&c, true, 500001, TH_ACK, invite, strlen(invite));
	flush();
	CHECK(passed_unchanged(first, last));
	CHECK(fake_count(&fk, 'C') == before);
	CHECK(nat_tcp_counters(p.tcp_streams)->lost_not_sip == lost + 1);
	CHECK(nat_tcp_counters(p.tcp_streams)->lost_peer_not_sip == peer + 1);
}

/* A stream the daemon joined mid-way (no SYN seen) is never parsed. */
static void no_syn(void)
{
	struct conn c = { .port = 40004, .seq = 5555 };
	unsigned before = fake_count(&fk, 'C');

	flush();
	nv = 0;
	seg(&c, make_invite("late@pc", "192.168.1.10", 4300), strlen(invite));
	flush();
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT_BATCH);
	CHECK(fake_count(&fk, 'C') == before);
}

/* A message whose rest never comes: after hold_ms its segment passes unchanged. */
static void hold_timeout(void)
{
	struct conn c;
	const char *m = make_invite("stall@pc", "192.168.1.10", 4400);
	uint64_t deadline;

	sip_port = 40005;
	handshake(&c, 40005, 123);
	flush();
	nv = 0;
	p.now_ms = 10000;
	seg(&c, m, 100);
	flush();
	CHECK(nv == 0);
	deadline = nat_path_tick(&p, 10001);
	CHECK(deadline == 10000 + p.tcp_limits.hold_ms);
	flush();
	CHECK(nv == 0);
	nat_path_tick(&p, deadline);
	flush();
	CHECK(nv == 1 && v[0].len == 0);	/* passed as it came */
	/* the stream is lost: the rest passes too, unparsed */
	nv = 0;
	seg(&c, m + 100, strlen(m) - 100);
	flush();
	CHECK(nv == 1 && v[0].len == 0);
	CHECK(nat_tcp_counters(p.tcp_streams)->lost_timeout == 1);
	p.now_ms = 0;
}

/* Reordered segments wait for the gap; a different cut of held bytes loses the stream. */
static void gap_and_overlap(void)
{
	struct conn c;
	const char *m = (sip_port = 40006, make_invite("gap@pc", "192.168.1.10", 4500));
	size_t n = strlen(m);
	uint32_t id1, id2;
	char got[8192];

	sip_port = 40006;
	handshake(&c, 40006, 5000);
	flush();
	nv = 0;
	id2 = seg_at(&c, c.seq + 200, TH_ACK, m + 200, n - 200);	/* arrives first */
	id1 = seg_at(&c, c.seq, TH_ACK, m, 200);
	c.seq += (uint32_t)n;
	flush();
	CHECK(nv == 2 && v[0].id == id1 && v[1].id == id2);	/* in sequence order */
	joined(0, got, sizeof(got));
	CHECK(!strstr(got, "192.168.1.10") && length_right(got));

	/* overlap: 100 bytes held, then a segment covering 50..150 */
	m = make_invite("ovl@pc", "192.168.1.10", 4600);
	nv = 0;
	id1 = seg_at(&c, c.seq, TH_ACK, m, 100);
	id2 = seg_at(&c, c.seq + 50, TH_ACK, m + 50, 100);
	flush();
	CHECK(passed_unchanged(id1, id2));
	CHECK(nat_tcp_counters(p.tcp_streams)->lost_overlap == 1);
}

/* While a segment is held, other packets' accepts must not be a batch (it would cover it). */
static void no_batch_over_held(void)
{
	struct conn c, other;
	const char *m = make_invite("hb@pc", "192.168.1.10", 4700);
	uint32_t held;

	sip_port = 40007;
	handshake(&c, 40007, 1);
	handshake(&other, 40008, 1);
	flush();
	nv = 0;
	held = seg(&c, m, 50);
	seg(&other, "\r\n\r\n", 4);		/* accepted while the first is held */
	flush();
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT && v[0].id == held + 1);
	nv = 0;
	seg(&c, m + 50, strlen(m) - 50);
	flush();
	CHECK(nv == 2 && v[0].id == held);
}

/* Bounds: a message that outgrows stream_bytes passes unchanged, counted. */
static void bounds(void)
{
	struct conn c;
	struct nat_tcp_limits lim = p.tcp_limits;
	const char *m = make_invite("big@pc", "192.168.1.10", 4800);
	uint32_t first, last;

	lim.stream_bytes = 300;
	nat_path_tcp_limits(&p, &lim);
	sip_port = 40009;
	handshake(&c, 40009, 77);
	flush();
	nv = 0;
	first = seg(&c, m, 200);
	last = seg(&c, m + 200, 200);
	flush();
	CHECK(passed_unchanged(first, last));
	CHECK(nat_tcp_counters(p.tcp_streams)->lost_bounds == 1);
	lim.stream_bytes = 256 * 1024;
	nat_path_tcp_limits(&p, &lim);
}

/* RST forgets the stream; held segments go first, unchanged. */
static void reset(void)
{
	struct conn c;
	const char *m = make_invite("rst@pc", "192.168.1.10", 4900);
	uint32_t first, last;

	sip_port = 40010;
	handshake(&c, 40010, 10);
	flush();
	nv = 0;
	first = seg(&c, m, 60);
	last = seg_at(&c, c.seq, TH_RST, "", 0);
	flush();
	CHECK(passed_unchanged(first, last));
	CHECK(p.verdicts->held == 0);
}

/*
 * A TCP phone names its listening port 5060 in Via and Contact while its
 * connection leaves from 40011: outbound both name the connection's public
 * address:port; a request coming back on the connection names 5060 again.
 */
static void listen_port(void)
{
	struct conn c;
	char got[8192];
	static const char bye[] =
		"BYE sip:a@203.0.113.1:40011;transport=tcp SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 203.0.113.2:5060;branch=z9hG4bK-b\r\n"
		"From: <sip:b@example.com>;tag=tb\r\nTo: <sip:a@example.com>;tag=flp@pc\r\n"
		"Call-ID: lp@pc\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";

	sip_port = 5060;
	handshake(&c, 40011, 3000);
	seg_dir(&c, true, 90000, TH_SYN | TH_ACK, "", 0);
	flush();
	nv = 0;
	seg(&c, make_invite("lp@pc", "192.168.1.10", 4950), strlen(invite));
	flush();
	joined(0, got, sizeof(got));
	CHECK(strstr(got, "Via: SIP/2.0/TCP 203.0.113.1:40011;branch"));
	CHECK(strstr(got, "Contact: <sip:a@203.0.113.1:40011;transport=tcp>"));
	CHECK(!strstr(got, "192.168.1.10"));
	nv = 0;
	seg_dir(&c, true, 90001, TH_ACK | TH_PUSH, bye, strlen(bye));
	flush();
	joined(0, got, sizeof(got));
	CHECK(strstr(got, "BYE sip:a@192.168.1.10:5060;transport=tcp SIP/2.0\r\n") == got);
}

int main(void)
{
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	struct rtp_config cfg;

	sipalg_switches_default(&sw);
	rtp_config_default(&cfg);
	fake_reset(&fk);
	CHECK(nat_verdicts_init(&verdicts, 0, 256 * 1024, record, NULL) == 0);
	p.sw = &sw;
	p.udp = p.tcp = true;
	p.ct_in_verdict = true;
	p.verdicts = &verdicts;
	CHECK(nat_path_init(&p) == 0);
	p.rtp = rtp_table_new(&cfg, &fake_ops, &fk);
	CHECK(p.rtp != NULL);

	split_invite();
	two_in_one();
	slipstream("192.168.1.10");	/* v1: the browser's own host */
	slipstream("192.168.1.77");	/* v2: another inside host */
	no_syn();
	hold_timeout();
	gap_and_overlap();
	no_batch_over_held();
	bounds();
	reset();
	listen_port();
	CHECK(verdicts.held == 0);
	CHECK(p.c.internal_errors == 0);

	nat_path_release_all(&p);
	rtp_table_free(p.rtp);
	nat_path_free(&p);
	nat_verdicts_free(&verdicts);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
