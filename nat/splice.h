/*
 * splice.h - find the L4 payload of a queued IPv4 packet and write a new
 * payload back (IP total length, IP header checksum, UDP length and the
 * UDP/TCP checksum fixed once, for the whole new payload).
 */
#ifndef SIPALGD_NAT_SPLICE_H
#define SIPALGD_NAT_SPLICE_H

#include <stddef.h>
#include <stdint.h>

struct nat_l4 {
	uint8_t proto;		/* IPPROTO_UDP or IPPROTO_TCP */
	uint16_t sport, dport;	/* host order */
	uint32_t saddr, daddr;	/* network order */
	size_t payload_off;	/* from the IP header */
	size_t payload_len;
};

/*
 * Locate the payload of an IPv4 UDP/TCP packet. Returns 0, or -1 when it is
 * not IPv4 UDP/TCP, is a fragment, or its headers do not fit in len.
 */
int nat_l4_locate(const uint8_t *pkt, size_t len, struct nat_l4 *out);

/*
 * Write pkt into out (capacity cap) with its whole L4 payload replaced by
 * payload[0..plen): IP total length and header checksum, UDP length and the
 * UDP/TCP checksum fixed, each in one pass. No allocation. payload may
 * already sit at out + l4->payload_off (then it is not copied) or inside
 * pkt, and out may be pkt itself. Returns the new packet length, or -1 (too
 * big, bad headers).
 */
long nat_splice_payload(const uint8_t *pkt, size_t len, const struct nat_l4 *l4,
			const uint8_t *payload, size_t plen,
			uint8_t *out, size_t cap);

#endif
