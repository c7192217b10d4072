/*
 * fuzz_replay.c - the offline replay on untrusted packets: a capture is
 * anybody's file, and the replay parses every layer of it (link, IPv4,
 * IPv6 and its extension headers, UDP, TCP, SIP, SDP).
 *
 * Input: byte 0 picks the link type (low 2 bits) and whether NAT66 is
 * modelled (bit 2); then packets, each a 2-byte big-endian length and its
 * bytes (a short tail is one last packet). Both passes run over them, as
 * replay_run does (pass 1 plans SIP over TCP, pass 2 writes).
 * Checked besides the sanitizers: the output fits the buffer it was built
 * in; a packet the replay says it copied is its input byte for byte; and
 * with no NAT66 an IPv6 packet (raw link) crosses byte for byte: a routed
 * flow is never changed.
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "replay_state.h"

#define MAX_PKTS	64

static const int dlts[4] = { DLT_RAW, DLT_EN10MB, DLT_LINUX_SLL2, DLT_NULL };

static void one_pass(struct replay *r, int dlt, const uint8_t *data, size_t size, int pass)
{
	size_t off = 1;

	r->pass = pass;
	for (int k = 0; k < MAX_PKTS && off < size; k++) {
		size_t len = size - off;
		struct pcap_pkthdr h = { 0 }, oh;
		enum replay_outcome what;

		if (len >= 2) {
			size_t want = (size_t)data[off] << 8 | data[off + 1];

			off += 2;
			len = size - off < want ? size - off : want;
		}
		h.caplen = h.len = (uint32_t)len;
		r->v.n = r->notes.n = 0;
		r->v.s[0] = r->notes.s[0] = '\0';
		r->sip_seen = false;
		what = replay_packet(r, dlt, &h, data + off, &oh, r->obuf);
		if (oh.caplen > r->obuf_size || oh.len < oh.caplen)
			abort();	/* built past its buffer, or a record that lies */
		if (what == COPIED && (oh.caplen != len || memcmp(r->obuf, data + off, len)))
			abort();	/* "copied" but changed */
		if (pass == 2 && !r->o->has_public6 && dlt == DLT_RAW && len && (data[off] >> 4) == 6 &&
		    (oh.caplen != len || memcmp(r->obuf, data + off, len)))
			abort();	/* a routed IPv6 packet changed */
		off += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sipalgd_config cfg;
	static struct replay_opts o;
	static bool ready;
	struct replay r = { 0 };
	int dlt;

	if (!ready) {
		config_default(&cfg);
		o.cfg = &cfg;
		o.has_inside4 = true;
		replay_parse_cidr("192.168.1.0/24", &o.inside_net, &o.inside_mask);
		inet_pton(AF_INET, "198.51.100.1", &o.public_ip);
		o.has_inside6 = true;
		replay_parse_cidr6("2001:db8:1::/64", &o.inside6_net, &o.inside6_bits);
		inet_pton(AF_INET6, "2001:db8:ff::1", &o.public6);
		ready = true;
	}
	if (size < 1)
		return 0;
	o.has_public6 = data[0] & 4;
	dlt = dlts[data[0] & 3];
	r.o = &o;
	r.cfg = &cfg;
	r.pool_min = cfg.rtp.port_min;
	r.pool_max = cfg.rtp.port_max;
	r.obuf_size = size + 65536;
	r.obuf = malloc(r.obuf_size);
	r.tcp = calloc(TCP_FLOWS, sizeof(*r.tcp));
	if (!r.obuf || !r.tcp || replay_nat_init(&r.nat) < 0)
		abort();
	one_pass(&r, dlt, data, size, 1);
	replay_nat_free(&r.nat);
	replay_tcp_rewind(r.tcp);
	if (replay_nat_init(&r.nat) < 0)
		abort();
	one_pass(&r, dlt, data, size, 2);
	replay_nat_free(&r.nat);
	replay_tcp_free(r.tcp);
	free(r.obuf);
	return 0;
}
