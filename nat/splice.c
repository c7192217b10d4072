/* splice.c - payload location and replacement; see splice.h. */
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>

#include "splice.h"

/* The UDP/TCP header at l4off of a packet of tot bytes: ports, payload. */
static int locate_l4(const uint8_t *pkt, size_t tot, size_t l4off, uint8_t proto,
		     struct nat_l4 *out)
{
	size_t hlen;

	out->proto = proto;
	out->l4_off = l4off;
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;

		if (tot - l4off < sizeof(uh))
			return -1;
		memcpy(&uh, pkt + l4off, sizeof(uh));
		if (ntohs(uh.len) != tot - l4off)
			return -1;
		hlen = sizeof(uh);
		out->sport = ntohs(uh.source);
		out->dport = ntohs(uh.dest);
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr th;

		if (tot - l4off < sizeof(th))
			return -1;
		memcpy(&th, pkt + l4off, sizeof(th));
		hlen = (size_t)th.doff * 4;
		if (hlen < sizeof(th) || hlen > tot - l4off)
			return -1;
		out->sport = ntohs(th.source);
		out->dport = ntohs(th.dest);
	} else {
		return -1;
	}
	out->payload_off = l4off + hlen;
	out->payload_len = tot - out->payload_off;
	return 0;
}

/*
 * IPv6: the fixed header, then the extension headers conntrack itself
 * walks past to the transport header. A fragment is not ours (conntrack
 * reassembles before the helper hook); a routing header with segments left
 * would make the pseudo header's destination another address than the one
 * in the header, so the packet is left alone.
 */
static int locate6(const uint8_t *pkt, size_t len, struct nat_l4 *out)
{
	size_t tot, off = 40;
	uint8_t nh;

	if (len < 40)
		return -1;
	tot = 40 + ((size_t)pkt[4] << 8 | pkt[5]);
	if (tot == 40 || tot > len)
		return -1;	/* a jumbogram's length is 0 here: not ours either */
	nh = pkt[6];
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	memcpy(&out->saddr6, pkt + 8, 16);
	memcpy(&out->daddr6, pkt + 24, 16);
	for (int walked = 0; nh == 0 || nh == 43 || nh == 60; walked++) {
		size_t elen;

		if (walked >= 8 || tot - off < 8)
			return -1;
		elen = ((size_t)pkt[off + 1] + 1) * 8;
		if (elen > tot - off || (nh == 43 && pkt[off + 3] != 0))
			return -1;
		nh = pkt[off];
		off += elen;
	}
	return locate_l4(pkt, tot, off, nh, out);
}

int nat_l4_locate(const uint8_t *pkt, size_t len, struct nat_l4 *out)
{
	struct iphdr ip;
	size_t ihl, tot, l4off;

	if (len >= 1 && pkt[0] >> 4 == 6)
		return locate6(pkt, len, out);
	if (len < sizeof(ip))
		return -1;
	memcpy(&ip, pkt, sizeof(ip));	/* queued data need not be aligned */
	ihl = (size_t)ip.ihl * 4;
	tot = ntohs(ip.tot_len);
	if (ip.version != 4 || ihl < sizeof(ip) || tot < ihl || tot > len)
		return -1;
	if (ntohs(ip.frag_off) & (IP_MF | IP_OFFMASK))
		return -1;	/* conntrack reassembles; a fragment here is not ours */
	l4off = ihl;
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->saddr = ip.saddr;
	out->daddr = ip.daddr;
	return locate_l4(pkt, tot, l4off, ip.protocol, out);
}

/* RFC 1071 one's complement sum of p[0,n) as big-endian 16-bit words. */
static uint64_t sum16(uint64_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Written straight into out: the headers, the payload (memmove: it may sit
 * in out already, where sipalg_apply wrote it, or inside pkt), then the
 * lengths and both checksums, each computed once. pktb_alloc() used to copy
 * the packet into a fresh allocation, mangle it there (a memmove and a copy)
 * and have it copied out again: an allocation and three copies per packet.
 */
long nat_splice_payload(const uint8_t *pkt, size_t len, const struct nat_l4 *l4,
			const uint8_t *payload, size_t plen,
			uint8_t *out, size_t cap)
{
	size_t newlen = l4->payload_off + plen, ihl, l4len;
	bool v6 = len >= 40 && pkt[0] >> 4 == 6;
	uint8_t pseudo[40];
	size_t pseudo_len;
	uint16_t check;
	size_t csum_at;

	if (newlen > cap || l4->payload_off + l4->payload_len > len ||
	    l4->payload_off < (v6 ? 40u : 20u) ||
	    (l4->proto != IPPROTO_UDP && l4->proto != IPPROTO_TCP))
		return -1;
	/* IPv6: the transport header is where locate found it, past any
	 * extension header; IPv4: right behind the header, whose length says */
	ihl = v6 ? l4->l4_off : (size_t)(pkt[0] & 0x0f) * 4;
	if ((v6 ? newlen - 40 : newlen) > 65535 || ihl < (v6 ? 40u : 20u) ||
	    ihl + (l4->proto == IPPROTO_UDP ? 8 : 20) > l4->payload_off)
		return -1;
	/* payload first: it may lie in out's headers' way only if the caller put
	 * it at out + payload_off, where it stays */
	if (payload != out + l4->payload_off)
		memmove(out + l4->payload_off, payload, plen);
	if (out != pkt)
		memmove(out, pkt, l4->payload_off);
	l4len = newlen - ihl;
	if (v6) {
		/* IPv6: payload length (extension headers included), no header checksum */
		put16(out + 4, (uint16_t)(newlen - 40));
	} else {
		/* IPv4: total length and header checksum */
		put16(out + 2, (uint16_t)newlen);
		put16(out + 10, 0);
		put16(out + 10, (uint16_t)~fold(sum16(0, out, ihl)));
	}
	if (l4->proto == IPPROTO_UDP) {
		put16(out + ihl + 4, (uint16_t)l4len);
		csum_at = ihl + 6;
	} else {
		csum_at = ihl + 16;
	}
	/* UDP/TCP checksum over the pseudo header (RFC 768 / RFC 8200 8.1: the
	 * addresses, the upper-layer length and protocol), the L4 header and
	 * the payload */
	if (v6) {
		memcpy(pseudo, out + 8, 32);
		memset(pseudo + 32, 0, 8);
		put16(pseudo + 34, (uint16_t)l4len);
		pseudo[39] = l4->proto;
		pseudo_len = 40;
	} else {
		memcpy(pseudo, out + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = l4->proto;
		put16(pseudo + 10, (uint16_t)l4len);
		pseudo_len = 12;
	}
	put16(out + csum_at, 0);
	check = (uint16_t)~fold(sum16(sum16(0, pseudo, pseudo_len), out + ihl, l4len));
	/* RFC 768: a UDP sum that comes out 0 is sent as all ones; 0 means "no
	 * checksum" (fuzz_packet_path found libnetfilter_queue 1.0.5 leaving it
	 * 0: once in 65536 rewritten datagrams). */
	if (check == 0 && l4->proto == IPPROTO_UDP)
		check = 0xffff;
	put16(out + csum_at, check);
	return (long)newlen;
}
