/*
 * splice.h - find the L4 payload of a queued IPv4 or IPv6 packet and write a
 * new payload back (IPv4 total length and header checksum or the IPv6
 * payload length, the UDP length and the UDP/TCP checksum fixed once, for the
 * whole new payload).
 */
#ifndef SIPALGD_NAT_SPLICE_H
#define SIPALGD_NAT_SPLICE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct nat_l4 {
	uint8_t proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint16_t sport, dport;	/* host order */
	uint32_t saddr, daddr;	/* network order; IPv4 only (0 for IPv6) */
	struct in6_addr saddr6, daddr6;	/* IPv6 only */
	size_t l4_off;		/* the UDP/TCP header, from the IP header */
	size_t payload_off;	/* from the IP header */
	size_t payload_len;
};

/*
 * Locate the payload of an IPv4 or IPv6 UDP/TCP packet. IPv6 extension
 * headers hop-by-hop, destination options and a spent routing header
 * (segments left 0: the destination is final) are walked. Returns 0, or -1
 * when it is not UDP/TCP, is a fragment, has another extension header or a
 * live routing header, or its headers do not fit in len.
 */
int nat_l4_locate(const uint8_t *pkt, size_t len, struct nat_l4 *out);

/*
 * Write pkt into out (capacity cap) with its whole L4 payload replaced by
 * payload[0..plen): IP total length and header checksum, UDP length and the
 * UDP/TCP checksum fixed, each in one pass (IPv6: the payload length and
 * the checksum over the IPv6 pseudo header). No allocation. payload may
 * already sit at out + l4->payload_off (then it is not copied) or inside
 * pkt, and out may be pkt itself. Returns the new packet length, or -1 (too
 * big, bad headers).
 */
long nat_splice_payload(const uint8_t *pkt, size_t len, const struct nat_l4 *l4,
			const uint8_t *payload, size_t plen,
			uint8_t *out, size_t cap);

#endif
