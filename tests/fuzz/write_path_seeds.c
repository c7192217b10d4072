/*
 * write_path_seeds.c - writes the packet path harness's hand-made seeds
 * (tests/fuzz/seeds_path/) in the format of fuzz_packets.h:
 *   write_path_seeds DIR [SPLICE_DIR]
 * Each seed is a short story the fuzzer mutates from: a registration, a UDP
 * call, the same call over TCP split into segments, two messages in one
 * segment, a port-forwarded inbound call, first packets (no conntrack yet,
 * degraded mode's mark), a retransmission, a hairpin, a re-offer refused
 * with 491, the port policy's cases, and NAT Slipstreaming's HTTP POST.
 * SPLICE_DIR gets fuzz_splice's few seeds (tests/fuzz/seeds_splice/).
 * ctest (fuzz_path_seeds_current) checks that the files checked in are what
 * this writes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_packets.h"

static uint8_t buf[65536];
static size_t used;

/* setup: enabled, conntrack glue on the queue, everything else default */
#define SETUP_DEFAULT ((struct fz_setup){ FZ_S0_ENABLED_MASK | FZ_S0_CT_IN_VERDICT, 0, 0 })

static void start(struct fz_setup s)
{
	used = 0;
	if (fz_put_setup(buf, sizeof(buf), &used, s) < 0)
		abort();
}

struct pk {
	unsigned flow;
	bool reply, tcp;
	enum fz_ct_mode ct;
	uint8_t flags;
	enum fz_seq_mode seq;
	uint8_t clock;
};

static void put(struct pk k, const char *payload, size_t len)
{
	struct fz_record r = { .flow = k.flow, .reply = k.reply, .tcp = k.tcp, .ct = k.ct,
			       .flush = true, .tcp_flags = k.flags, .seq_mode = k.seq,
			       .clock = k.clock, .payload = (const uint8_t *)payload, .len = len };

	if (fz_put_record(buf, sizeof(buf), &used, &r) < 0)
		abort();
}

static void put_s(struct pk k, const char *payload)
{
	put(k, payload, strlen(payload));
}

/* A message cut at the first occurrence of each mark (after it), as segments. */
static void put_split(struct pk k, const char *msg, const char *const *marks, unsigned n)
{
	size_t off = 0, len = strlen(msg);

	for (unsigned i = 0; i < n; i++) {
		const char *at = strstr(msg + off, marks[i]);
		size_t cut;

		if (!at)
			abort();
		cut = (size_t)(at - msg) + strlen(marks[i]);
		put(k, msg + off, cut - off);
		off = cut;
	}
	put(k, msg + off, len - off);
}

static void save(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, used, f) != used || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static const char reg[] =
	"REGISTER sip:203.0.113.2 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.168.1.10:5060;rport;branch=z9hG4bK-r1\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@example.com>;tag=r1\r\nTo: <sip:alice@example.com>\r\n"
	"Call-ID: reg-1@192.168.1.10\r\nCSeq: 1 REGISTER\r\n"
	"Contact: <sip:alice@192.168.1.10:5060>;expires=3600\r\n"
	"Expires: 3600\r\nContent-Length: 0\r\n\r\n";
static const char reg_ok[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 203.0.113.1:5060;rport=5060;received=203.0.113.1;branch=z9hG4bK-r1\r\n"
	"From: <sip:alice@example.com>;tag=r1\r\nTo: <sip:alice@example.com>;tag=s1\r\n"
	"Call-ID: reg-1@192.168.1.10\r\nCSeq: 1 REGISTER\r\n"
	"Contact: <sip:alice@203.0.113.1:5060>;expires=600\r\n"
	"Content-Length: 0\r\n\r\n";

/* %s: transport; then the SDP's connection address and port twice */
static const char invite_fmt[] =
	"INVITE sip:bob@203.0.113.2 SIP/2.0\r\n"
	"Via: SIP/2.0/%s 192.168.1.%d:5060;rport;branch=z9hG4bK-i1\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@example.com>;tag=c1\r\nTo: <sip:bob@example.com>\r\n"
	"Call-ID: call-%d@192.168.1.%d\r\nCSeq: 1 INVITE\r\n"
	"Contact: <sip:alice@192.168.1.%d:5060;transport=%s>\r\n"
	"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s";
static const char sdp_fmt[] =
	"v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
	"m=audio %d RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
	"a=rtcp:%d\r\na=sendrecv\r\n";

static char invite[4096], sdp[1024], answer[4096], asdp[1024];

static void make_call(const char *transport, int host, int call)
{
	char ip[32];

	snprintf(ip, sizeof(ip), "192.168.1.%d", host);
	snprintf(sdp, sizeof(sdp), sdp_fmt, ip, ip, 16384, 16385);
	snprintf(invite, sizeof(invite), invite_fmt, transport, host, call, host, host, transport,
		 (int)strlen(sdp), sdp);
	snprintf(asdp, sizeof(asdp), sdp_fmt, "203.0.113.2", "203.0.113.20", 30000, 30001);
	snprintf(answer, sizeof(answer),
		 "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/%s 203.0.113.1:5060;rport=5060;branch=z9hG4bK-i1\r\n"
		 "From: <sip:alice@example.com>;tag=c1\r\nTo: <sip:bob@example.com>;tag=b1\r\n"
		 "Call-ID: call-%d@192.168.1.%d\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:bob@203.0.113.2:5060>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		 transport, call, host, (int)strlen(asdp), asdp);
}

static char ack[1024], bye[1024], bye_ok[1024], ringing[1024];

static void make_dialog(const char *transport, int host, int call)
{
	snprintf(ringing, sizeof(ringing),
		 "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/%s 203.0.113.1:5060;branch=z9hG4bK-i1\r\n"
		 "From: <sip:alice@example.com>;tag=c1\r\nTo: <sip:bob@example.com>;tag=b1\r\n"
		 "Call-ID: call-%d@192.168.1.%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		 transport, call, host);
	snprintf(ack, sizeof(ack),
		 "ACK sip:bob@203.0.113.2:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/%s 192.168.1.%d:5060;branch=z9hG4bK-a1\r\n"
		 "From: <sip:alice@example.com>;tag=c1\r\nTo: <sip:bob@example.com>;tag=b1\r\n"
		 "Call-ID: call-%d@192.168.1.%d\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		 transport, host, call, host);
	snprintf(bye, sizeof(bye),
		 "BYE sip:bob@203.0.113.2:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/%s 192.168.1.%d:5060;branch=z9hG4bK-b1\r\n"
		 "From: <sip:alice@example.com>;tag=c1\r\nTo: <sip:bob@example.com>;tag=b1\r\n"
		 "Call-ID: call-%d@192.168.1.%d\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
		 transport, host, call, host);
	snprintf(bye_ok, sizeof(bye_ok),
		 "SIP/2.0 200 OK\r\nVia: SIP/2.0/%s 203.0.113.1:5060;branch=z9hG4bK-b1\r\n"
		 "From: <sip:alice@example.com>;tag=c1\r\nTo: <sip:bob@example.com>;tag=b1\r\n"
		 "Call-ID: call-%d@192.168.1.%d\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
		 transport, call, host);
}

static void udp_call(unsigned flow, int host)
{
	struct pk out = { .flow = flow }, in = { .flow = flow, .reply = true, .clock = 30 };

	make_call("UDP", host, 1);
	make_dialog("UDP", host, 1);
	put_s(out, invite);
	put_s(in, ringing);
	in.clock = 250;		/* a few minutes of ringing */
	put_s(in, answer);
	put_s(out, ack);
	out.clock = 210;	/* a call of minutes: the pinholes' refresh and timers */
	put_s(out, bye);
	put_s(in, bye_ok);
}

static void tcp_handshake(unsigned flow)
{
	put((struct pk){ .flow = flow, .tcp = true, .ct = FZ_CT_NEW, .flags = FZ_T_SYN | FZ_T_NO_ACK }, "", 0);
	put((struct pk){ .flow = flow, .tcp = true, .reply = true, .flags = FZ_T_SYN }, "", 0);
	put((struct pk){ .flow = flow, .tcp = true }, "", 0);
}

/* fuzz_splice's seeds: 2-byte packet length, a packet as fz_build makes it, a new payload. */
static void splice_seed(const char *dir, const char *name, struct fz_record r, const char *repl)
{
	static struct fz_packet p;
	struct fz_tcp_state st;

	fz_tcp_reset(&st);
	if (fz_build(&r, &st, &p) < 0 || p.len + 2 + strlen(repl) > sizeof(buf))
		abort();
	buf[0] = (uint8_t)(p.len >> 8);
	buf[1] = (uint8_t)p.len;
	memcpy(buf + 2, p.data, p.len);
	memcpy(buf + 2 + p.len, repl, strlen(repl));
	used = 2 + p.len + strlen(repl);
	save(dir, name);
}

/* An IPv6 one (issue 11): UDP behind a hop-by-hop header, or TCP; checksum right. */
static void splice_seed6(const char *dir, const char *name, bool tcp, bool hbh, const char *repl)
{
	uint8_t *p = buf + 2;
	size_t off = hbh ? 48 : 40, l4h = tcp ? 20 : 8, plen = strlen(reg), tot = off + l4h + plen;
	uint16_t c;

	memset(p, 0, off + l4h);
	p[0] = 0x60;
	p[6] = hbh ? 0 : tcp ? IPPROTO_TCP : IPPROTO_UDP;
	p[7] = 64;
	inet_pton(AF_INET6, "2001:db8:1::10", p + 8);
	inet_pton(AF_INET6, "2001:db8:5::5", p + 24);
	if (hbh) {
		p[40] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		p[42] = 1;	/* PadN */
		p[43] = 4;
	}
	p[off] = p[off + 2] = 0x13;	/* ports 5060 */
	p[off + 1] = p[off + 3] = 0xc4;
	if (tcp) {
		p[off + 12] = 5 << 4;
		p[off + 13] = 0x18;	/* PSH ACK */
	} else {
		p[off + 4] = (uint8_t)((l4h + plen) >> 8);
		p[off + 5] = (uint8_t)(l4h + plen);
	}
	memcpy(p + off + l4h, reg, plen);
	p[4] = (uint8_t)((tot - 40) >> 8);
	p[5] = (uint8_t)(tot - 40);
	c = fz_l4_csum(p, tot);
	p[off + (tcp ? 16 : 6)] = (uint8_t)(c >> 8);
	p[off + (tcp ? 17 : 7)] = (uint8_t)c;
	buf[0] = (uint8_t)(tot >> 8);
	buf[1] = (uint8_t)tot;
	memcpy(p + tot, repl, strlen(repl));
	used = 2 + tot + strlen(repl);
	save(dir, name);
}

static void splice_seeds(const char *dir)
{
	struct fz_record r = { .payload = (const uint8_t *)reg, .len = strlen(reg) };

	splice_seed(dir, "udp", r, reg_ok);
	r.tcp = true;
	r.tcp_opts = true;
	r.tcp_flags = FZ_T_PSH;
	splice_seed(dir, "tcp_options", r, reg_ok);
	r.ip_opts = true;
	splice_seed(dir, "tcp_ip_options_shorter", r, "OPTIONS sip:x SIP/2.0\r\n\r\n");
	splice_seed6(dir, "udp6_hop_by_hop", false, true, reg_ok);
	splice_seed6(dir, "tcp6_shorter", true, false, "OPTIONS sip:x SIP/2.0\r\n\r\n");
}

int main(int argc, char **argv)
{
	static const char *const invite_cuts[] = { "Via: SIP/2.0/TCP 192.1", "c=IN IP4 192.16" };
	struct pk out = { 0 }, in = { .reply = true, .clock = 20 };
	struct pk tout = { .flow = 1, .tcp = true, .flags = FZ_T_PSH };
	struct pk tin = { .flow = 1, .tcp = true, .reply = true, .flags = FZ_T_PSH, .clock = 20 };
	char two[4096], post[4096];
	const char *dir;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s DIR [SPLICE_DIR]\n", argv[0]);
		return 2;
	}
	if (argc == 3)
		splice_seeds(argv[2]);
	dir = argv[1];

	/* REGISTER / 200, then a keepalive and a refresh minutes later */
	start(SETUP_DEFAULT);
	put_s(out, reg);
	put_s(in, reg_ok);
	out.clock = 205;
	put(out, "\r\n\r\n", 4);
	put(out, "", 0);
	put_s(out, reg);
	put_s(in, reg_ok);
	save(dir, "register_udp");
	out.clock = 0;

	/* the same with the ctnetlink route (no glue: dirty flows, timer raises) */
	start((struct fz_setup){ FZ_S0_ENABLED_MASK, 0, 0 });
	put_s(out, reg);
	put_s(in, reg_ok);
	out.clock = 203;
	put_s(out, reg);
	save(dir, "register_udp_noglue");
	out.clock = 0;

	/* INVITE+SDP / 180 / 200+SDP / ACK / BYE / 200 over UDP */
	start(SETUP_DEFAULT);
	udp_call(0, 10);
	save(dir, "call_udp");

	/* ...with enabled = no: nothing but plain accepts */
	start((struct fz_setup){ FZ_S0_CT_IN_VERDICT, 0, 0 });
	udp_call(0, 10);
	save(dir, "call_udp_disabled");

	/* ...a small pool, few dialogs and a kernel that refuses every expectation */
	start((struct fz_setup){ SETUP_DEFAULT.b0, FZ_S1_SMALL_POOL | FZ_S1_FEW_DIALOGS | FZ_S1_KERNEL_REFUSES, FZ_S2_LOCAL_ADDRS });
	udp_call(0, 10);
	udp_call(2, 10);
	save(dir, "call_udp_refused");

	/* the call over TCP, the INVITE in three segments (cut in Via and in c=) */
	start(SETUP_DEFAULT);
	make_call("TCP", 11, 2);
	make_dialog("TCP", 11, 2);
	tcp_handshake(1);
	put_split(tout, invite, invite_cuts, 2);
	put_s(tin, ringing);
	put_s(tin, answer);
	put_s(tout, ack);
	put_s(tout, bye);
	put_s(tin, bye_ok);
	put((struct pk){ .flow = 1, .tcp = true, .flags = FZ_T_FIN }, "", 0);
	save(dir, "call_tcp_split");

	/* two messages in one segment, then a CRLF keep-alive and a retransmission */
	start(SETUP_DEFAULT);
	make_call("TCP", 11, 3);
	snprintf(two, sizeof(two), "%s%s", reg, invite);
	tcp_handshake(1);
	put_s(tout, two);
	put(tout, "\r\n\r\n", 4);
	tout.seq = FZ_SEQ_RETRANSMIT;
	put(tout, "\r\n\r\n", 4);
	tout.seq = FZ_SEQ_NEXT;
	put_s(tout, invite);
	tout.seq = FZ_SEQ_RETRANSMIT;
	put_s(tout, invite);
	save(dir, "tcp_two_in_one");
	tout.seq = FZ_SEQ_NEXT;

	/* a port-forwarded phone called from outside: INVITE in, 200+SDP out */
	start(SETUP_DEFAULT);
	snprintf(asdp, sizeof(asdp), sdp_fmt, "203.0.113.50", "203.0.113.50", 40000, 40001);
	snprintf(invite, sizeof(invite),
		 "INVITE sip:carol@203.0.113.1:5070 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.50:5060;branch=z9hG4bK-f1\r\n"
		 "From: <sip:dave@example.net>;tag=f1\r\nTo: <sip:carol@203.0.113.1>\r\n"
		 "Call-ID: fwd-1@203.0.113.50\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:dave@203.0.113.50:5060>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		 (int)strlen(asdp), asdp);
	snprintf(sdp, sizeof(sdp), sdp_fmt, "192.168.1.13", "192.168.1.13", 20000, 20001);
	snprintf(answer, sizeof(answer),
		 "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.50:5060;branch=z9hG4bK-f1\r\n"
		 "From: <sip:dave@example.net>;tag=f1\r\nTo: <sip:carol@203.0.113.1>;tag=g1\r\n"
		 "Call-ID: fwd-1@203.0.113.50\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:carol@192.168.1.13:5060>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		 (int)strlen(sdp), sdp);
	put_s((struct pk){ .flow = 3 }, invite);
	put_s((struct pk){ .flow = 3, .reply = true }, answer);
	save(dir, "call_port_forward");

	/* first packets, as in degraded mode (no pinholes): an INVITE on an
	 * unconfirmed conntrack, then with no conntrack but the mark, then none */
	start((struct fz_setup){ FZ_S0_ENABLED_MASK | FZ_S0_NO_RTP, FZ_S1_FROM_TO, FZ_S2_SHORT_HOLD });
	make_call("UDP", 10, 4);
	put_s((struct pk){ .ct = FZ_CT_NEW }, invite);
	put_s((struct pk){ .ct = FZ_CT_MARK }, invite);
	put_s((struct pk){ .ct = FZ_CT_NONE }, invite);
	save(dir, "first_packets");

	/* the pinhole policy: an inside port below 1024, an RTP port whose RTCP
	 * would wrap - no pinhole for either (check_kernel in the harness) */
	start(SETUP_DEFAULT);
	make_call("UDP", 10, 6);
	{
		char *m = strstr(invite, "m=audio 16384");
		char *r = strstr(invite, "a=rtcp:16385");

		if (!m || !r)
			abort();
		memcpy(m, "m=audio 00022", 13);	/* same length: Content-Length stays right */
		memcpy(r, "a=rtcp:00023", 12);
	}
	put_s(out, invite);
	make_call("UDP", 10, 7);
	{
		char *m = strstr(invite, "m=audio 16384");
		char *r = strstr(invite, "a=rtcp:16385");

		if (!m || !r)
			abort();
		memcpy(m, "m=audio 65535", 13);
		memcpy(r, "a=x-fuzz:000", 12);	/* no a=rtcp: RTCP is RTP + 1 */
	}
	put_s(out, invite);
	save(dir, "policy_ports");

	/* a hairpin: LAN phone .10 calls LAN phone .11 through the outside proxy;
	 * the INVITE the proxy sends on to .11 names .10's public pair (the
	 * pool's first, 203.0.113.1:10000) */
	start((struct fz_setup){ SETUP_DEFAULT.b0, 0, FZ_S2_LOCAL_ADDRS });
	make_call("UDP", 10, 8);
	put_s(out, invite);
	{
		char hp_sdp[1024], hp[4096];

		snprintf(hp_sdp, sizeof(hp_sdp), sdp_fmt, "203.0.113.1", "203.0.113.1", 10000, 10001);
		snprintf(hp, sizeof(hp),
			 "INVITE sip:bob@192.168.1.11:5060 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 203.0.113.3:5060;branch=z9hG4bK-p1\r\n"
			 "Via: SIP/2.0/UDP 203.0.113.1:5060;rport=5060;branch=z9hG4bK-i1\r\n"
			 "From: <sip:alice@example.com>;tag=c1\r\nTo: <sip:bob@example.com>\r\n"
			 "Call-ID: call-8@192.168.1.10\r\nCSeq: 1 INVITE\r\n"
			 "Contact: <sip:alice@203.0.113.1:5060>\r\n"
			 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
			 (int)strlen(hp_sdp), hp_sdp);
		put_s((struct pk){ .flow = 1, .reply = true }, hp);
	}
	save(dir, "hairpin");

	/* a re-offer moving the phone's port, refused with 491: the old pair stays */
	{
		char *m, *r, *c;

		make_call("UDP", 10, 1);
		m = strstr(invite, "m=audio 16384");
		r = strstr(invite, "a=rtcp:16385");
		c = strstr(invite, "CSeq: 1 INVITE");
		if (!m || !r || !c)
			abort();
		memcpy(m, "m=audio 16386", 13);
		memcpy(r, "a=rtcp:16387", 12);
		memcpy(c, "CSeq: 3 INVITE", 14);
	}
	start(SETUP_DEFAULT);
	{
		struct pk o = { .flow = 0 }, i = { .flow = 0, .reply = true, .clock = 30 };
		char reinvite[4096], nope[1024];

		snprintf(reinvite, sizeof(reinvite), "%s", invite);
		make_call("UDP", 10, 1);
		make_dialog("UDP", 10, 1);
		put_s(o, invite);
		put_s(i, answer);
		put_s(o, ack);
		put_s(o, reinvite);
		snprintf(nope, sizeof(nope),
			 "SIP/2.0 491 Request Pending\r\nVia: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-i1\r\n"
			 "From: <sip:alice@example.com>;tag=c1\r\nTo: <sip:bob@example.com>;tag=b1\r\n"
			 "Call-ID: call-1@192.168.1.10\r\nCSeq: 3 INVITE\r\nContent-Length: 0\r\n\r\n");
		put_s(i, nope);
		put_s(o, bye);
	}
	save(dir, "reoffer_491");

	/* NAT Slipstreaming v1: an HTTP POST padded so that a later segment
	 * starts with an INVITE naming a LAN host's port (must open nothing
	 * once the stream state knows where messages start) */
	start(SETUP_DEFAULT);
	make_call("TCP", 11, 5);
	snprintf(post, sizeof(post),
		 "POST / HTTP/1.1\r\nHost: 203.0.113.3:5060\r\nContent-Type: text/plain\r\n"
		 "Content-Length: %d\r\n\r\n%0*d", 2000, 400, 0);
	tcp_handshake(1);
	put_s(tout, post);
	put_s(tout, invite);
	save(dir, "slipstream_v1");

	/* IPv6, routed (FZ_S2_IPV6: flow 2): REGISTER / 200, then a call whose
	 * INVITE opens a new flow, answered from the far side, and a BYE; over
	 * TCP too. Nothing is rewritten, the pinholes
	 * lead to the phone's own [v6]:port (check_v6 in the harness). */
	{
		static const char reg6[] =
			"REGISTER sip:[2001:db8:5::2] SIP/2.0\r\n"
			"Via: SIP/2.0/UDP [2001:db8:1::10]:5062;rport;branch=z9hG4bK-6r\r\n"
			"From: <sip:alice@example.com>;tag=6r\r\nTo: <sip:alice@example.com>\r\n"
			"Call-ID: reg-6@v6\r\nCSeq: 1 REGISTER\r\n"
			"Contact: <sip:alice@[2001:db8:1::10]:5062>\r\nExpires: 3600\r\n"
			"Content-Length: 0\r\n\r\n";
		static const char reg6_ok[] =
			"SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/UDP [2001:db8:1::10]:5062;rport=5062;branch=z9hG4bK-6r\r\n"
			"From: <sip:alice@example.com>;tag=6r\r\nTo: <sip:alice@example.com>;tag=6s\r\n"
			"Call-ID: reg-6@v6\r\nCSeq: 1 REGISTER\r\n"
			"Contact: <sip:alice@[2001:db8:1::10]:5062>;expires=600\r\n"
			"Content-Length: 0\r\n\r\n";
		static const char sdp6_fmt[] =
			"v=0\r\no=- 1 1 IN IP6 %s\r\ns=-\r\nc=IN IP6 %s\r\nt=0 0\r\n"
			"m=audio %d RTP/AVP 0\r\na=rtcp:%d IN IP6 %s\r\n";
		char s6[512], inv6[2048], ans6[2048], bye6[1024];
		const char *tr[2] = { "UDP", "TCP" };

		for (int t = 0; t < 2; t++) {
			struct pk o = { .flow = 2, .tcp = t, .flags = t ? FZ_T_PSH : 0 };
			struct pk i = o;

			i.reply = true;
			i.clock = 20;
			start((struct fz_setup){ SETUP_DEFAULT.b0, 0, FZ_S2_IPV6 });
			if (t) {
				put((struct pk){ .flow = 2, .tcp = true, .ct = FZ_CT_NEW,
						 .flags = FZ_T_SYN | FZ_T_NO_ACK }, "", 0);
				put((struct pk){ .flow = 2, .tcp = true, .reply = true,
						 .flags = FZ_T_SYN }, "", 0);
			} else {
				put_s(o, reg6);
				put_s(i, reg6_ok);
			}
			snprintf(s6, sizeof(s6), sdp6_fmt, "2001:db8:1::10", "2001:db8:1::10", 4000,
				 4001, "2001:db8:1::10");
			snprintf(inv6, sizeof(inv6),
				 "INVITE sip:bob@[2001:db8:5::2] SIP/2.0\r\n"
				 "Via: SIP/2.0/%s [2001:db8:1::10]:5062;branch=z9hG4bK-6i\r\n"
				 "From: <sip:alice@example.com>;tag=6c\r\nTo: <sip:bob@example.com>\r\n"
				 "Call-ID: call-6@v6\r\nCSeq: 1 INVITE\r\n"
				 "Contact: <sip:alice@[2001:db8:1::10]:5062>\r\n"
				 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
				 tr[t], (int)strlen(s6), s6);
			snprintf(s6, sizeof(s6), sdp6_fmt, "2001:db8:5::2", "2001:db8:20::20", 30000,
				 30001, "2001:db8:20::20");
			snprintf(ans6, sizeof(ans6),
				 "SIP/2.0 200 OK\r\n"
				 "Via: SIP/2.0/%s [2001:db8:1::10]:5062;branch=z9hG4bK-6i\r\n"
				 "From: <sip:alice@example.com>;tag=6c\r\nTo: <sip:bob@example.com>;tag=6b\r\n"
				 "Call-ID: call-6@v6\r\nCSeq: 1 INVITE\r\n"
				 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
				 tr[t], (int)strlen(s6), s6);
			snprintf(bye6, sizeof(bye6),
				 "BYE sip:bob@[2001:db8:5::2] SIP/2.0\r\n"
				 "Via: SIP/2.0/%s [2001:db8:1::10]:5062;branch=z9hG4bK-6y\r\n"
				 "From: <sip:alice@example.com>;tag=6c\r\nTo: <sip:bob@example.com>;tag=6b\r\n"
				 "Call-ID: call-6@v6\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
				 tr[t]);
			if (!t)
				o.ct = FZ_CT_NEW;	/* UDP: as if the flow were new (verdict NFQA_EXP) */
			put_s(o, inv6);
			o.ct = FZ_CT_ATTACHED;
			put_s(i, ans6);
			put_s(o, bye6);
			save(dir, t ? "ipv6_call_tcp" : "ipv6_register_call");
		}
	}
	return 0;
}
