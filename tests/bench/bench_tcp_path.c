/*
 * bench_tcp_path.c - what SIP over TCP costs on the daemon's packet path
 * (nat_path_packet) against the same message over UDP: stream lookup, the
 * hold copy, reassembly, the cut, replay bookkeeping. No kernel, no pinholes
 * (their cost is the same on both transports); verdicts are built, not sent.
 *
 * Usage: bench_tcp_path [ITERATIONS [CASE]]   (default 20000; CASE: a word of the
 * case names below, e.g. udp, 3, ACK - only the cases whose name has it)
 * Prints CPU ns per packet for each case. Exit 1 if a case did not produce
 * the verdicts it should (so the smoke test in ctest can fail).
 * Instructions: valgrind --tool=callgrind --toggle-collect=nat_path_packet \
 *   build-rel/tests/bench/bench_tcp_path 2000
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>

#include "ct_fixture.h"
#include "packet_path.h"

static unsigned long payload_verdicts, verdict_msgs;

static int count_verdicts(void *arg, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	(void)arg;
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		verdict_msgs++;
		if (nlh->nlmsg_len > 64)	/* carries a packet (a bare verdict is ~32 bytes) */
			payload_verdicts++;
	}
	return 0;
}

static struct ct_fixture fx[2];	/* UDP, TCP */


static struct nat_path p;
static uint32_t next_id = 1, next_seq = 1001;

static void send_pkt(uint8_t proto, uint8_t flags, uint32_t seq, const char *payload, size_t len)
{
	static uint8_t pkt[4096];
	size_t hl = proto == IPPROTO_UDP ? 8 : 20;
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = proto };
	int ci = proto == IPPROTO_TCP;
	struct nat_packet np = { .id = next_id++, .data = pkt, .has_ctinfo = true,
				 .ctinfo = IP_CT_ESTABLISHED,
				 .ct = fx[ci].attrs, .ct_len = fx[ci].len };

	ip.tot_len = htons((uint16_t)(20 + hl + len));
	ip.saddr = inet_addr("203.0.113.1");
	ip.daddr = inet_addr("203.0.113.2");
	memcpy(pkt, &ip, 20);
	if (proto == IPPROTO_UDP) {
		struct udphdr u = { .source = htons(5060), .dest = htons(5060),
				    .len = htons((uint16_t)(8 + len)) };
		memcpy(pkt + 20, &u, 8);
	} else {
		struct tcphdr t = { .source = htons(5060), .dest = htons(5060),
				    .seq = htonl(seq), .doff = 5, .window = htons(512) };

		((uint8_t *)&t)[13] = flags;
		memcpy(pkt + 20, &t, 20);
	}
	memcpy(pkt + 20 + hl, payload, len);
	np.len = 20 + hl + len;
	nat_path_packet(&p, &np);
}

static const char reg[] =
	"REGISTER sip:203.0.113.2 SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 192.168.1.10:5060;branch=z9hG4bK-1\r\n"
	"From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
	"Call-ID: c1@pc\r\nCSeq: 1 REGISTER\r\n"
	"Contact: <sip:a@192.168.1.10:5060;transport=tcp>\r\nExpires: 3600\r\n"
	"Content-Length: 0\r\n\r\n";
static const char opt[] =
	"OPTIONS sip:203.0.113.2 SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 203.0.113.9:5060;branch=z9hG4bK-2\r\n"
	"From: <sip:a@example.com>;tag=2\r\nTo: <sip:b@example.com>\r\n"
	"Call-ID: c2@pc\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One message as 1..3 TCP segments (or one datagram); returns packets sent. */
static unsigned one(uint8_t proto, const char *m, unsigned parts)
{
	size_t n = strlen(m), a = n / 3, b = 2 * n / 3;

	if (proto == IPPROTO_UDP) {
		send_pkt(proto, 0, 0, m, n);
		return 1;
	}
	if (parts == 1) {
		send_pkt(proto, TH_ACK | TH_PUSH, next_seq, m, n);
	} else {
		send_pkt(proto, TH_ACK, next_seq, m, a);
		send_pkt(proto, TH_ACK, next_seq + (uint32_t)a, m + a, b - a);
		send_pkt(proto, TH_ACK | TH_PUSH, next_seq + (uint32_t)b, m + b, n - b);
	}
	next_seq += (uint32_t)n;
	return parts;
}

static const char *only;

static int run(const char *name, uint8_t proto, const char *m, unsigned parts, unsigned iters,
	       bool want_rewrite)
{
	unsigned long pkts = 0, before = payload_verdicts;
	double t0 = cpu_now(), dt;

	if (only && !strstr(name, only))
		return 0;
	for (unsigned i = 0; i < iters; i++) {
		pkts += one(proto, m, parts);
		if ((i & 63) == 63)
			nat_verdicts_flush(p.verdicts);
	}
	nat_verdicts_flush(p.verdicts);
	dt = cpu_now() - t0;
	printf("%-28s %8.0f ns/packet %8.0f ns/message\n", name, dt / (double)pkts,
	       dt / (double)iters);
	if (want_rewrite && payload_verdicts - before < iters) {
		fprintf(stderr, "%s: %lu of %u messages rewritten\n", name, payload_verdicts - before,
			iters);
		return 1;
	}
	if (!want_rewrite && payload_verdicts != before) {
		fprintf(stderr, "%s: rewrote what needs nothing\n", name);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned iters = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	int bad = 0;

	only = argc > 2 ? argv[2] : NULL;
	sipalg_switches_default(&sw);
	nat_verdicts_init(&verdicts, 0, 512 * 1024, count_verdicts, NULL);
	p.sw = &sw;
	p.udp = p.tcp = true;
	p.ct_in_verdict = true;
	p.verdicts = &verdicts;
	if (nat_path_init(&p) < 0)
		return 1;
	ct_fixture_build(&fx[0], IPPROTO_UDP, 5060);
	ct_fixture_build(&fx[1], IPPROTO_TCP, 5060);
	send_pkt(IPPROTO_TCP, TH_SYN, next_seq - 1, "", 0);
	bad |= run("udp OPTIONS (nothing to do)", IPPROTO_UDP, opt, 1, iters, false);
	bad |= run("tcp OPTIONS (nothing to do)", IPPROTO_TCP, opt, 1, iters, false);
	bad |= run("udp REGISTER (rewritten)", IPPROTO_UDP, reg, 1, iters, true);
	bad |= run("tcp REGISTER (rewritten)", IPPROTO_TCP, reg, 1, iters, true);
	bad |= run("tcp REGISTER in 3 segments", IPPROTO_TCP, reg, 3, iters, true);
	if (!only || strstr("tcp bare ACK", only)) {
		double t0 = cpu_now();

		for (unsigned i = 0; i < iters; i++)
			send_pkt(IPPROTO_TCP, TH_ACK, next_seq, "", 0);
		nat_verdicts_flush(&verdicts);
		printf("%-28s %8.0f ns/packet\n", "tcp bare ACK", (cpu_now() - t0) / iters);
	}
	nat_path_free(&p);
	nat_verdicts_free(&verdicts);
	return bad;
}
