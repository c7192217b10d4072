/*
 * replay_ip.h - the IP layer of a captured packet, either family: parse the
 * header (IPv6 with its extension headers), write the rebuilt one, and the
 * transport checksum over the family's pseudo header.
 */
#ifndef SIPALGD_REPLAY_IP_H
#define SIPALGD_REPLAY_IP_H

#include <stddef.h>
#include <stdint.h>

#include "sipalg.h"

struct replay_ip {
	struct sipalg_addr src, dst;	/* family set; port unused */
	size_t hlen;			/* IP header and IPv6 extension headers */
	size_t tot;			/* the datagram: hlen + transport */
	uint8_t proto;			/* the transport: IPPROTO_UDP / IPPROTO_TCP / other */
};

/*
 * The IP header at p (avail bytes captured from it), of the link's ethertype
 * (0x0800 or 0x86dd). 0, or -1 with why (static text) for what the replay
 * copies: short or malformed headers, fragments, IPv6 extension headers it
 * does not walk (at most 8 of hop-by-hop, routing with no segment left,
 * destination options), jumbograms.
 */
int replay_ip_parse(unsigned ethertype, const uint8_t *p, size_t avail,
		    struct replay_ip *out, const char **why);

/*
 * Write the rebuilt header at out (already a copy of the original's hlen
 * bytes): the new addresses (of the same family), the new datagram length
 * tot, and for IPv4 the header checksum.
 */
void replay_ip_write(uint8_t *out, const struct replay_ip *orig,
		     const struct sipalg_addr *src, const struct sipalg_addr *dst, size_t tot);

/* The transport checksum over the pseudo header of (src, dst) and l4 (its
 * checksum field as is): 0 when l4 carries a right one. */
uint16_t replay_ip_l4_checksum(const struct sipalg_addr *src, const struct sipalg_addr *dst,
			       uint8_t proto, const uint8_t *l4, size_t len);

#endif
