/*
 * fuzz_packets.h - the packet path harness's input format and packet
 * construction, in one place: the harness (fuzz_packet_path.c) decodes with
 * it, the seed writer (write_path_seeds.c) encodes with it, and when nat/
 * changes how packets arrive (TCP stream state) only this file follows.
 *
 * An input is a 3-byte header (struct fz_setup) and then records, one per
 * queued packet:
 *   ctl    bits 0-1 flow (0..3), bit 2 reply direction of its conntrack,
 *          bit 3 TCP, bits 4-5 conntrack (enum fz_ct_mode), bit 6 flush the
 *          verdicts after this packet
 *   tcp    bit 0 SYN, 1 FIN, 2 RST, 3 PSH, 4 no ACK (UDP: ignored)
 *   seq    bits 0-1 enum fz_seq_mode, bit 2 truncated copy, bit 3 IP
 *          options, bit 4 TCP options
 *   param  amount for FZ_SEQ_GAP / FZ_SEQ_OVERLAP
 *   clock  time that passes before this packet (see fz_clock_advance_ms)
 *   len    2 bytes, big endian: payload length (cut to what is left)
 *   payload
 *
 * Flows 0-2 are masqueraded 192.168.1.x -> 203.0.113.1 (flows 0 and 2 from one
 * host), flow 3 is a port forward (203.0.113.50 calls 203.0.113.1:5070,
 * DNATed to 192.168.1.13). UDP and TCP flows of one index are two conntracks.
 * With FZ_S2_IPV6, flow 2 is routed IPv6 instead: [2001:db8:1::10]:5062 ->
 * [2001:db8:5::2]:5060, the reply tuple its inverse (no NAT66); its packets
 * are IPv6, "IP options" put a hop-by-hop header in, and it is never marked.
 */
#ifndef SIPALGD_FUZZ_PACKETS_H
#define SIPALGD_FUZZ_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

#define FZ_FLOWS 4
#define FZ_HDR_LEN 3
#define FZ_REC_HDR_LEN 7
#define FZ_MAX_PAYLOAD 65000		/* + headers stays under 64 KiB */
#define FZ_PKT_CAP (FZ_MAX_PAYLOAD + 128)

/* setup byte 0 */
#define FZ_S0_ENABLED_MASK	0x07	/* all three clear: enabled = no */
#define FZ_S0_CT_IN_VERDICT	0x08
#define FZ_S0_NO_RTP		0x10
#define FZ_S0_NO_REG_TIMEOUT	0x20
#define FZ_S0_NO_UDP		0x40
#define FZ_S0_NO_TCP		0x80
/* setup byte 1 */
#define FZ_S1_FROM_TO		0x01
#define FZ_S1_SMALL_POOL	0x02	/* 5 port pairs */
#define FZ_S1_FEW_DIALOGS	0x04	/* max_dialogs 3 */
#define FZ_S1_NO_RTCP		0x08
#define FZ_S1_WIDE_SOURCE	0x10
#define FZ_S1_FOLLOW_MASTER	0x20	/* expect_fn nat-follow-master, not sip */
#define FZ_S1_KERNEL_REFUSES	0x40	/* every expectation create fails */
#define FZ_S1_NO_VIA		0x80

/* setup byte 2: TCP stream bounds and the gateway's addresses */
#define FZ_S2_SMALL_STREAM	0x01	/* 3000 bytes held per stream */
#define FZ_S2_SMALL_TOTAL	0x02	/* 6000 bytes held in all */
#define FZ_S2_SHORT_HOLD	0x04	/* a segment waits 40 ms, not 500 */
#define FZ_S2_FEW_STREAMS	0x08	/* 2 streams tracked */
#define FZ_S2_LOCAL_ADDRS	0x10	/* rtp/ knows the gateway's addresses and subnets */
#define FZ_S2_NO_PORT_POLICY	0x20	/* min_inside_port 1: the port policy off */
#define FZ_S2_IPV6		0x40	/* flow 2 is IPv6, routed (fz_set_ipv6) */

/* ctl */
#define FZ_C_FLOW_MASK	0x03
#define FZ_C_REPLY	0x04
#define FZ_C_TCP	0x08
#define FZ_C_CT_SHIFT	4
#define FZ_C_FLUSH	0x40
/* tcp */
#define FZ_T_SYN	0x01
#define FZ_T_FIN	0x02
#define FZ_T_RST	0x04
#define FZ_T_PSH	0x08
#define FZ_T_NO_ACK	0x10
/* seq */
#define FZ_Q_MODE_MASK	0x03
#define FZ_Q_TRUNCATED	0x04
#define FZ_Q_IP_OPTS	0x08
#define FZ_Q_TCP_OPTS	0x10

enum fz_ct_mode {
	FZ_CT_ATTACHED,		/* NFQA_CT of a confirmed, established flow */
	FZ_CT_NEW,		/* first packet: unconfirmed conntrack, IP_CT_NEW */
	FZ_CT_MARK,		/* no conntrack; degraded mode's mark (first packets;
				 * the harness drops it when pinholes are on: degraded
				 * mode has none, helper mode marks nothing) */
	FZ_CT_NONE,		/* no conntrack, no mark */
};

enum fz_seq_mode {
	FZ_SEQ_NEXT,		/* in order */
	FZ_SEQ_RETRANSMIT,	/* from the start of the direction's last segment */
	FZ_SEQ_GAP,		/* param * 61 bytes past the next expected one */
	FZ_SEQ_OVERLAP,		/* param bytes before it */
};

struct fz_setup {
	uint8_t b0, b1, b2;
};

struct fz_record {
	unsigned flow;
	bool reply, tcp, flush, truncated, ip_opts, tcp_opts;
	enum fz_ct_mode ct;
	uint8_t tcp_flags;
	enum fz_seq_mode seq_mode;
	uint8_t param;
	uint8_t clock;
	const uint8_t *payload;
	size_t len;
};

/* ---- decoding ---- */
struct fz_reader {
	const uint8_t *d;
	size_t n, off;
};

/* 0, or -1 when the input is shorter than the header. */
int fz_read_setup(struct fz_reader *r, const uint8_t *d, size_t n, struct fz_setup *s);
/* 1 with *rec filled (payload points into the input), 0 at the end. */
int fz_read_record(struct fz_reader *r, struct fz_record *rec);
/* Milliseconds a clock byte stands for: 0-199 ms as is, then minutes. */
uint64_t fz_clock_advance_ms(uint8_t clock);

/* ---- encoding (the seed writer) ---- */
/* Appends to buf (capacity cap) at *used; returns 0 or -1 when full. */
int fz_put_setup(uint8_t *buf, size_t cap, size_t *used, struct fz_setup s);
int fz_put_record(uint8_t *buf, size_t cap, size_t *used, const struct fz_record *rec);

/* ---- the flows and their packets ---- */
/* The conntrack of flow f: original tuple (= the expectation master) and reply tuple. */
struct fz_flow {
	struct sipalg_addr orig_src, orig_dst, repl_src, repl_dst;
	bool dnat;			/* port forward, else masquerade */
};

void fz_flow_get(unsigned f, struct fz_flow *out);
/* Flow 2 IPv6 (routed) or the IPv4 one, for the inputs that follow. */
void fz_set_ipv6(bool on);
/* The rtp_master an expectation on flow f (UDP or TCP) must name. */
void fz_flow_master(unsigned f, bool tcp, struct rtp_master *m);

/* TCP sequence state of the 2 x FZ_FLOWS directions of the TCP flows (and
 * the IP id counter: per input, so that a crash replays byte for byte). */
struct fz_tcp_state {
	uint32_t next[FZ_FLOWS][2];	/* next sequence number per direction */
	uint32_t last[FZ_FLOWS][2];	/* start of the last segment */
	uint16_t ip_id;
};

void fz_tcp_reset(struct fz_tcp_state *st);

/* A queued packet as nfqueue.c hands it over, minus the id. */
struct fz_packet {
	uint8_t data[FZ_PKT_CAP];
	size_t len;
	const void *ct;			/* NFQA_CT payload or NULL */
	size_t ct_len;
	bool has_ctinfo;
	uint32_t ctinfo;
	uint32_t mark;
};

/*
 * Build rec as the helper hook would queue it (after all NAT): a valid IPv4
 * or IPv6 packet (header and UDP/TCP checksums right), the flow's NFQA_CT
 * attributes, ctinfo and mark. Advances st for TCP. 0, or -1 on bad input.
 */
int fz_build(const struct fz_record *rec, struct fz_tcp_state *st, struct fz_packet *out);

/* Internet checksum helpers for the checker: 0 when the sum verifies. */
uint16_t fz_ip_csum(const uint8_t *hdr, size_t len);
uint16_t fz_l4_csum(const uint8_t *ip, size_t len);

#endif
