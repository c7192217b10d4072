/*
 * pcap_util.h - the tests' own packet builder and reader: hand-made IPv4 and
 * IPv6 UDP/TCP packets under several link types written with pcap_dump, and the
 * replay's output read back with its checksums verified independently of
 * replay/replay.c.
 */
#ifndef SIPALGD_TEST_PCAP_UTIL_H
#define SIPALGD_TEST_PCAP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct pkt_spec {
	const char *src;	/* an IPv6 literal (a ':' in it) makes an IPv6 packet */
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	uint8_t proto;		/* IPPROTO_UDP (default when 0) or IPPROTO_TCP */
	const char *payload;	/* text; NULL = none */
	bool zero_csum;		/* UDP checksum 0 ("none") */
	bool bad_csum;		/* a wrong transport checksum */
	bool fragment;		/* MF set (IPv6: a fragment header) */
	bool hopopts;		/* IPv6: a hop-by-hop options header first */
	bool arp;		/* not IPv4 at all (an ARP frame, or junk) */
	uint32_t seq;		/* TCP sequence number (0 = 1) */
	bool vlan;		/* Ethernet: an 802.1Q tag before IPv4 */
};

/* Link header + IPv4 + UDP/TCP + payload into out; returns the length. */
size_t pkt_build(int dlt, const struct pkt_spec *s, uint8_t *out, size_t cap);

/* Write n packets to path with link type dlt. 0 or -1. */
int pcap_write_specs(const char *path, int dlt, const struct pkt_spec *s, size_t n);

struct pkt_view {
	uint8_t *data;		/* the whole captured frame */
	size_t caplen, len;
	bool ipv4;		/* parsed as IPv4 UDP/TCP, not a fragment */
	bool ipv6;		/* parsed as IPv6 UDP/TCP (hop-by-hop walked), not a fragment */
	struct in_addr src, dst;
	struct in6_addr src6, dst6;
	uint16_t sport, dport;
	uint8_t proto;
	uint16_t ip_len_field, udp_len_field, l4_csum_field;
	uint32_t seq, ack;		/* TCP */
	uint8_t tcp_flags;
	bool ip_csum_ok, l4_csum_ok;	/* l4_csum_ok: also true for a 0 UDP checksum over
					 * IPv4 (never over IPv6); ip_csum_ok: IPv6 has none */
	const uint8_t *payload;
	size_t plen;
};

/* Read every packet of path. Returns the count, or -1; *dlt set. free_views() after. */
long pcap_read_views(const char *path, int *dlt, struct pkt_view **views);
void free_views(struct pkt_view *v, long n);

/* Ones' complement checksum, written anew for the tests (RFC 1071). */
uint16_t test_inet_csum(const void *data, size_t len, uint32_t initial);

#endif
