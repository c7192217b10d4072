/*
 * nat_splice: replace the payload of hand-built IPv4/UDP and IPv4/TCP packets
 * and verify lengths and checksums with an independent RFC 1071 sum written
 * here; then 20000 random packets (IP options, TCP options, odd lengths,
 * growing and shrinking payloads) against the pktbuff splice it replaced
 * (splice_pktbuff_ref.c), byte for byte, also with the payload already in
 * place in the output and with the output being the packet itself; IPv6
 * with and without extension headers against the 40-byte pseudo header.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "splice.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* One's complement sum over buffers; result 0xffff = valid. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static int ip_csum_ok(const uint8_t *pkt)
{
	return fold(sum16(0, pkt, (size_t)(pkt[0] & 15) * 4)) == 0xffff;
}

static int l4_csum_ok(const uint8_t *pkt, size_t len)
{
	size_t ihl = (size_t)(pkt[0] & 15) * 4, l4len = len - ihl;
	uint8_t pseudo[12];

	memcpy(pseudo, pkt + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = pkt[9];
	pseudo[10] = (uint8_t)(l4len >> 8);
	pseudo[11] = (uint8_t)l4len;
	return fold(sum16(sum16(0, pseudo, 12), pkt + ihl, l4len)) == 0xffff;
}

static size_t build(uint8_t *pkt, uint8_t proto, const char *payload)
{
	size_t plen = strlen(payload), hl = proto == IPPROTO_UDP ? 8 : 20;
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = proto };

	ip.tot_len = htons((uint16_t)(20 + hl + plen));
	ip.saddr = inet_addr("192.168.1.10");
	ip.daddr = inet_addr("203.0.113.2");
	memcpy(pkt, &ip, 20);
	if (proto == IPPROTO_UDP) {
		struct udphdr u = { .source = htons(5060), .dest = htons(5060),
				    .len = htons((uint16_t)(8 + plen)), .check = htons(0x1234) };
		memcpy(pkt + 20, &u, 8);
	} else {
		struct tcphdr t = { .source = htons(5060), .dest = htons(5060),
				    .seq = htonl(1000), .doff = 5, .ack = 1, .psh = 1,
				    .window = htons(512), .check = htons(0x1234) };
		memcpy(pkt + 20, &t, 20);
	}
	memcpy(pkt + 20 + hl, payload, plen);
	return 20 + hl + plen;
}

static void one(uint8_t proto, const char *before, const char *after)
{
	uint8_t pkt[2048], out[2048];
	size_t len = build(pkt, proto, before), hl = proto == IPPROTO_UDP ? 8 : 20;
	struct nat_l4 l4;
	long n;

	CHECK(nat_l4_locate(pkt, len, &l4) == 0);
	CHECK(l4.proto == proto && l4.sport == 5060 && l4.dport == 5060);
	CHECK(l4.payload_off == 20 + hl && l4.payload_len == strlen(before));
	n = nat_splice_payload(pkt, len, &l4, (const uint8_t *)after, strlen(after), out, sizeof(out));
	CHECK(n == (long)(20 + hl + strlen(after)));
	if (n <= 0)
		return;
	CHECK(ntohs(*(uint16_t *)(void *)(out + 2)) == n);		/* IP total length */
	CHECK(ip_csum_ok(out));
	CHECK(l4_csum_ok(out, (size_t)n));
	CHECK(memcmp(out + 20 + hl, after, strlen(after)) == 0);
	CHECK(memcmp(out + 12, pkt + 12, 8) == 0);			/* addresses kept */
	if (proto == IPPROTO_UDP)
		CHECK(ntohs(*(uint16_t *)(void *)(out + 24)) == 8 + strlen(after));
	else
		CHECK(memcmp(out + 24, pkt + 24, 4) == 0);		/* seq unchanged: the kernel shifts it */
}

long splice_pktbuff_ref(const uint8_t *pkt, size_t len, const struct nat_l4 *l4,
			const uint8_t *payload, size_t plen, uint8_t *out, size_t cap);

/* ---- IPv6: fixed header, optional extension headers, the 40-byte pseudo header ---- */

/* RFC 8200 8.1: source, destination, upper-layer length (32 bits), 3 zero
 * bytes, next header = the transport's protocol (not the first header's). */
static int l4_csum6_ok(const uint8_t *pkt, size_t len, size_t l4off, uint8_t proto)
{
	uint8_t pseudo[40] = { 0 };
	size_t l4len = len - l4off;

	memcpy(pseudo, pkt + 8, 32);
	pseudo[34] = (uint8_t)(l4len >> 8);
	pseudo[35] = (uint8_t)l4len;
	pseudo[39] = proto;
	return fold(sum16(sum16(0, pseudo, 40), pkt + l4off, l4len)) == 0xffff;
}

/* ext: a hop-by-hop header (8 bytes) and a destination-options header (16) first. */
static size_t build6(uint8_t *pkt, uint8_t proto, const char *payload, bool ext)
{
	size_t plen = strlen(payload), hl = proto == IPPROTO_UDP ? 8 : 20, off = 40;

	memset(pkt, 0, 40);
	pkt[0] = 0x60;
	pkt[6] = ext ? 0 : proto;
	pkt[7] = 64;
	inet_pton(AF_INET6, "2001:db8:1::10", pkt + 8);
	inet_pton(AF_INET6, "2001:db8:5::5", pkt + 24);
	if (ext) {
		memset(pkt + 40, 0, 24);
		pkt[40] = 60;		/* next: destination options */
		pkt[41] = 0;		/* 8 bytes; PadN fills them */
		pkt[42] = 1;
		pkt[43] = 4;
		pkt[48] = proto;
		pkt[49] = 1;		/* 16 bytes */
		pkt[50] = 1;
		pkt[51] = 12;
		off = 64;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr u = { .source = htons(5060), .dest = htons(5060),
				    .len = htons((uint16_t)(8 + plen)), .check = htons(0x1234) };
		memcpy(pkt + off, &u, 8);
	} else {
		struct tcphdr t = { .source = htons(5060), .dest = htons(5060),
				    .seq = htonl(1000), .doff = 5, .ack = 1, .psh = 1,
				    .window = htons(512), .check = htons(0x1234) };
		memcpy(pkt + off, &t, 20);
	}
	memcpy(pkt + off + hl, payload, plen);
	pkt[4] = (uint8_t)((off - 40 + hl + plen) >> 8);
	pkt[5] = (uint8_t)(off - 40 + hl + plen);
	return off + hl + plen;
}

static void one6(uint8_t proto, bool ext, const char *before, const char *after)
{
	uint8_t pkt[512], out[512];
	struct nat_l4 l4, l4b;
	size_t len = build6(pkt, proto, before, ext), off = ext ? 64 : 40;
	long n;

	CHECK(nat_l4_locate(pkt, len, &l4) == 0);
	CHECK(l4.family == AF_INET6 && l4.proto == proto && l4.l4_off == off &&
	      l4.sport == 5060 && l4.dport == 5060 && l4.saddr == 0);
	CHECK(l4.payload_len == strlen(before) &&
	      l4.payload_off == off + (proto == IPPROTO_UDP ? 8 : 20));
	{
		struct in6_addr s;

		inet_pton(AF_INET6, "2001:db8:1::10", &s);
		CHECK(!memcmp(&l4.saddr6, &s, 16));
	}
	n = nat_splice_payload(pkt, len, &l4, (const uint8_t *)after, strlen(after), out,
			       sizeof(out));
	CHECK(n == (long)(l4.payload_off + strlen(after)));
	if (n < 0)
		return;
	/* payload length counts the extension headers, not the fixed header */
	CHECK((size_t)(out[4] << 8 | out[5]) == (size_t)n - 40);
	CHECK(!memcmp(out, pkt, 4) && !memcmp(out + 6, pkt + 6, off - 6));	/* rest of headers kept */
	if (proto == IPPROTO_UDP)
		CHECK((size_t)(out[off + 4] << 8 | out[off + 5]) == (size_t)n - off);
	CHECK(l4_csum6_ok(out, (size_t)n, off, proto));
	CHECK(!memcmp(out + l4.payload_off, after, strlen(after)));
	CHECK(nat_l4_locate(out, (size_t)n, &l4b) == 0 && l4b.payload_len == strlen(after));
}

static void ipv6(void)
{
	static const char sip[] = "INVITE sip:b@[2001:db8:5::5] SIP/2.0\r\n\r\n";
	uint8_t pkt[512];
	struct nat_l4 l4;
	size_t len;

	one6(IPPROTO_UDP, false, sip, "a longer payload than before, and odd!");
	one6(IPPROTO_UDP, true, sip, "short");
	one6(IPPROTO_TCP, false, sip, "x");
	one6(IPPROTO_TCP, true, sip, "the same length as the INVITE line..\r\n");
	/* Refusals: a fragment header, a live routing header, a jumbogram,
	 * a payload length past the packet, an unknown next header. */
	len = build6(pkt, IPPROTO_UDP, sip, false);
	CHECK(nat_l4_locate(pkt, len, &l4) == 0);
	CHECK(nat_l4_locate(pkt, len - 1, &l4) == -1);
	pkt[6] = 44;
	CHECK(nat_l4_locate(pkt, len, &l4) == -1);
	pkt[6] = 58;				/* ICMPv6 */
	CHECK(nat_l4_locate(pkt, len, &l4) == -1);
	len = build6(pkt, IPPROTO_UDP, sip, true);
	pkt[40] = 44;				/* hop-by-hop, then a fragment */
	CHECK(nat_l4_locate(pkt, len, &l4) == -1);
	len = build6(pkt, IPPROTO_UDP, sip, true);
	pkt[6] = 43;				/* a routing header ... */
	pkt[43] = 1;				/* ... with a segment left */
	CHECK(nat_l4_locate(pkt, len, &l4) == -1);
	pkt[43] = 0;				/* spent: walked */
	CHECK(nat_l4_locate(pkt, len, &l4) == 0 && l4.l4_off == 64);
	len = build6(pkt, IPPROTO_UDP, sip, false);
	pkt[4] = pkt[5] = 0;
	CHECK(nat_l4_locate(pkt, len, &l4) == -1);
}

static unsigned long rnd_state = 42;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rnd_state >> 33) % n;
}

/* A random IPv4 UDP/TCP packet with options; its length. */
static size_t random_packet(uint8_t *pkt, size_t plen)
{
	uint8_t proto = rnd(2) ? IPPROTO_UDP : IPPROTO_TCP;
	size_t ihl = 20 + 4 * rnd(3), thl = proto == IPPROTO_UDP ? 8 : 20 + 4 * rnd(4), i;
	size_t len = ihl + thl + plen;

	for (i = 0; i < len; i++)
		pkt[i] = (uint8_t)rnd(256);
	pkt[0] = (uint8_t)(0x40 | ihl / 4);
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	pkt[6] &= 0x40;				/* DF at most: no fragment */
	pkt[7] = 0;
	pkt[9] = proto;
	if (proto == IPPROTO_UDP) {
		pkt[ihl + 4] = (uint8_t)((len - ihl) >> 8);
		pkt[ihl + 5] = (uint8_t)(len - ihl);
	} else {
		pkt[ihl + 12] = (uint8_t)((thl / 4) << 4 | (pkt[ihl + 12] & 0x0f));
	}
	return len;
}

static void differential(void)
{
	static uint8_t pkt[4096], ref[4096], out[4096], inplace[4096], np[2048];
	unsigned i, bad = 0;

	for (i = 0; i < 20000; i++) {
		size_t plen = rnd(1400), nlen = rnd(1500), len = random_packet(pkt, plen), k;
		struct nat_l4 l4;
		long a, b, c, d;

		for (k = 0; k < nlen; k++)
			np[k] = (uint8_t)rnd(256);
		if (nat_l4_locate(pkt, len, &l4) != 0) {
			bad++;
			continue;
		}
		a = splice_pktbuff_ref(pkt, len, &l4, np, nlen, ref, sizeof(ref));
		b = nat_splice_payload(pkt, len, &l4, np, nlen, out, sizeof(out));
		/* the payload where sipalg_apply would have written it */
		memcpy(inplace + l4.payload_off, np, nlen);
		c = nat_splice_payload(pkt, len, &l4, inplace + l4.payload_off, nlen, inplace,
				       sizeof(inplace));
		if (a < 0 || a != b || a != c || memcmp(ref, out, (size_t)a) != 0 ||
		    memcmp(ref, inplace, (size_t)a) != 0 || !ip_csum_ok(out) ||
		    !l4_csum_ok(out, (size_t)b)) {
			if (bad++ < 3)
				fprintf(stderr, "splice differs from pktbuff: packet %u (ref %ld, new %ld, in place %ld)\n",
					i, a, b, c);
			continue;
		}
		/* the output is the packet itself */
		d = nat_splice_payload(pkt, len, &l4, np, nlen, pkt, sizeof(pkt));
		if (d != a || memcmp(ref, pkt, (size_t)a) != 0) {
			if (bad++ < 3)
				fprintf(stderr, "splice into the packet itself differs: packet %u\n", i);
		}
	}
	CHECK(bad == 0);
}

int main(void)
{
	static const char sip[] = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10:5060\r\n\r\n";
	static const char longer[] = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.100:61000\r\n\r\n";
	static const char shorter[] = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r\n\r\n";
	uint8_t pkt[256];
	struct nat_l4 l4;
	size_t len;

	one(IPPROTO_UDP, sip, longer);
	one(IPPROTO_UDP, sip, shorter);
	one(IPPROTO_UDP, sip, "odd");		/* odd length: checksum padding */
	one(IPPROTO_TCP, sip, longer);
	one(IPPROTO_TCP, sip, shorter);

	/* Refusals: truncated, fragment, not UDP/TCP, UDP length lying. */
	len = build(pkt, IPPROTO_UDP, sip);
	CHECK(nat_l4_locate(pkt, len - 1, &l4) == -1);
	pkt[6] = 0x20;				/* MF */
	CHECK(nat_l4_locate(pkt, len, &l4) == -1);
	len = build(pkt, IPPROTO_UDP, sip);
	pkt[9] = IPPROTO_ICMP;
	CHECK(nat_l4_locate(pkt, len, &l4) == -1);
	len = build(pkt, IPPROTO_UDP, sip);
	pkt[25] ^= 1;				/* UDP length != IP payload */
	CHECK(nat_l4_locate(pkt, len, &l4) == -1);
	/* Output buffer too small. */
	len = build(pkt, IPPROTO_UDP, sip);
	CHECK(nat_l4_locate(pkt, len, &l4) == 0);
	CHECK(nat_splice_payload(pkt, len, &l4, (const uint8_t *)longer, strlen(longer), pkt, 40) == -1);

	differential();
	ipv6();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
