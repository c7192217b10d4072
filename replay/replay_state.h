/*
 * replay_state.h - what the replay's files share: the state of one run and
 * the steps the driver (replay.c) calls per packet.
 */
#ifndef SIPALGD_REPLAY_STATE_H
#define SIPALGD_REPLAY_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pcap/pcap.h>

#include "replay.h"
#include "replay_nat.h"
#include "replay_tcp.h"
#include "replay_vline.h"
#include "sipalg.h"

struct replay {
	const struct replay_opts *o;
	const struct sipalgd_config *cfg;
	struct replay_nat nat;
	struct vline v;			/* -v: addresses, or why copied */
	struct vline notes;		/* -v: NAT and SIP details */
	struct vline media;		/* -v: pinhole notes of this message */
	struct sipalg_result res;
	uint8_t sip_out[SIPALG_MAX_MSG];
	uint16_t pool_min, pool_max;	/* media ports, inclusive */
	struct tcp_flow *tcp;		/* TCP_FLOWS entries */
	int pass;			/* 1: plan TCP messages, 2: write */
	uint8_t *obuf;			/* the packet being rebuilt */
	size_t obuf_size;
	const char *dirstr;		/* -v: "out", "in" or "--" */
	bool sip_seen;			/* the engine found a SIP message */
	struct sipalg_addr public_addr;	/* this packet's: its family's public address */
	bool routed;			/* this packet's: IPv6 without NAT66 */
};

enum replay_outcome { COPIED, NAT_ONLY, SIP_REWRITTEN, SIP_UNCHANGED };

/* replay_packet.c: one packet in (hdr, data) -> out (ohdr, obuf). */
enum replay_outcome replay_packet(struct replay *r, int dlt,
				  const struct pcap_pkthdr *hdr, const uint8_t *data,
				  struct pcap_pkthdr *ohdr, uint8_t *obuf);

/* replay_media.c: the engine's media map, modelling the pinhole pool. */
int replay_map_media(void *arg, enum sipalg_dir dir,
		     const struct sipalg_facts *msg, unsigned idx,
		     const struct sipalg_media *m,
		     struct sipalg_addr *out, uint16_t *out_rtcp);

/* replay_sip.c: the engine on a UDP datagram's SIP payload; the new length
 * (plen when left as is), *newp the bytes to send. */
size_t replay_rewrite_udp_sip(struct replay *r, const uint8_t *payload, size_t plen,
			      enum sipalg_dir dir, const struct sipalg_binding *b,
			      size_t room, const uint8_t **newp);
/* replay_sip.c: one TCP segment of a flow crossing the NAT (sip: on a SIP
 * port and helped): reassemble, write its payload through the plans into
 * out and its sequence number to *seq_out. Returns the new payload length. */
size_t replay_tcp_segment(struct replay *r, struct tcp_flow *f, enum sipalg_dir dir,
			  const struct sipalg_binding *b, bool sip, uint8_t flags,
			  uint32_t seq, const uint8_t *payload, size_t plen,
			  uint8_t *out, size_t cap, uint32_t *seq_out);

#endif
