/*
 * replay.h - offline replay: a capture taken on the inside of the NAT in, the
 * same packets as the gateway with sipalgd would have made them out.
 *
 *   sipalgd --replay IN.pcap --out OUT.pcap --inside CIDR [--inside CIDR6]
 *           --public ADDR [--public6 ADDR6] [-v] [-c FILE]
 *
 * Packets from the inside CIDR leave as on the WAN side: source NATed to the
 * public address (ports kept unless two inside flows would share one), SIP
 * rewritten OUTBOUND. Packets to an inside host or to the public address come
 * out as they reach the inside: DNAT back through the same NAT table, SIP
 * rewritten INBOUND. SDP media ports are mapped as the pinhole pool would
 * (rtp port_min..port_max, inside port kept when free), and the media flows
 * themselves are NATed to those ports. SIP over TCP is reassembled per
 * direction (two passes over the capture: plan, then write), rewritten, and
 * cut back into the original segments; later sequence numbers of that
 * direction move by the bytes added. Ethernet (with VLAN tags), Linux
 * cooked v1/v2, raw IP and BSD loopback captures are understood; pcapng is
 * read, classic pcap written. See README.md.
 *
 * IPv6: packets of an inside IPv6 prefix are routed, not NATed (what a
 * dual-stack gateway does): they cross byte for byte, and -v says which
 * pinholes their SDP would need. Only with --public6 is NAT66 modelled, as
 * for IPv4 (the same NAT table, its own port space).
 */
#ifndef SIPALGD_REPLAY_H
#define SIPALGD_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include "config.h"

struct replay_opts {
	const char *in_path;
	const char *out_path;
	bool has_inside4;		/* IPv4 modelled: inside_net/mask, public_ip */
	struct in_addr inside_net;	/* network byte order, already masked */
	struct in_addr inside_mask;
	struct in_addr public_ip;
	bool has_inside6;		/* IPv6 modelled: inside6_net/bits */
	struct in6_addr inside6_net;	/* already masked */
	unsigned inside6_bits;
	bool has_public6;		/* NAT66 to public6; else IPv6 is routed */
	struct in6_addr public6;
	bool verbose;			/* one line per packet to vout */
	FILE *vout;			/* NULL = stdout */
	const struct sipalgd_config *cfg;	/* switches, SIP ports, media range */
};

struct replay_stats {
	uint64_t packets;		/* read = written */
	uint64_t sip_rewritten;		/* SIP payload changed */
	uint64_t sip_unchanged;		/* SIP seen, nothing to change or left alone */
	uint64_t nat_only;		/* addresses/ports changed, payload not */
	uint64_t copied;		/* written byte for byte */
};

/* "192.168.1.0/24" (or a bare address = /32). 0, or -1 if malformed. */
int replay_parse_cidr(const char *s, struct in_addr *net, struct in_addr *mask);
/* "2001:db8:1::/64" (or a bare address = /128). 0, or -1 if malformed. */
int replay_parse_cidr6(const char *s, struct in6_addr *net, unsigned *bits);

/*
 * Run the replay. Returns 0, or -1 on an I/O error (message in err): a packet
 * the tool chose to leave alone is not an error.
 */
int replay_run(const struct replay_opts *o, struct replay_stats *st,
	       char *err, size_t errlen);

#endif
