/*
 * tcp_stream.h - where each SIP message starts in a TCP stream, and the
 * segments of a message that is not complete yet.
 *
 * One stream per helped connection and direction. Its position is learnt
 * from the SYN (the first payload byte is ISN + 1) and advanced only by whole
 * messages (RFC 3261 18.3 framing: Content-Length; RFC 5626 CRLF keep-alives
 * count as messages of their own). A segment is parsed only as part of the
 * bytes that follow that position: a segment that merely *starts* with
 * "INVITE" is never a message start (NAT Slipstreaming, shared/DESIGN.md
 * fact 10). A stream whose position is lost - no SYN seen (the daemon started
 * mid-connection), bytes that are not SIP, a gap or an overlap it cannot
 * reconcile, a message over SIPALG_MAX_MSG, a bound exceeded - is "lost": its
 * segments pass unchanged from then on and it is never parsed again.
 *
 * Segments that begin or continue a message are held (their packet copied,
 * their verdict deferred) until a run of them ends on a message boundary;
 * the caller then rewrites the messages of that run and cuts the result
 * back into the same segments. No netfilter here: packets are bytes, the
 * caller owns verdicts.
 */
#ifndef SIPALGD_NAT_TCP_STREAM_H
#define SIPALGD_NAT_TCP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp.h"
#include "sipalg.h"

struct nat_tcp_limits {
	size_t stream_bytes;	/* packet bytes held per stream */
	size_t total_bytes;	/* packet bytes held by all streams */
	unsigned hold_ms;	/* how long a segment may wait for the rest */
	unsigned max_streams;	/* streams tracked at once */
	unsigned idle_s;	/* a stream with no packet for this long is freed */
};

void nat_tcp_limits_default(struct nat_tcp_limits *l);

/* A held segment: its packet (owned), where its payload is, its queue id(s). */
#define NAT_TCP_DUPS 4		/* copies of one held segment waiting at once */
struct nat_tcp_seg {
	struct nat_tcp_seg *next;	/* by sequence number */
	uint32_t seq;
	uint32_t len;			/* payload bytes */
	uint8_t *pkt;			/* the whole IP packet */
	size_t pkt_len, payload_off;
	uint32_t ids[NAT_TCP_DUPS];	/* the first copy and identical retransmits */
	unsigned n_ids;
	uint64_t deadline_ms;
};

/* Identifies a stream: the connection's original tuple, and the direction. */
struct nat_tcp_key {
	struct rtp_master master;
	enum sipalg_dir dir;
};

struct nat_tcp_counters {
	uint64_t streams_created, streams_freed;
	uint64_t lost;			/* streams whose position was lost */
	uint64_t lost_no_syn, lost_not_sip, lost_gap, lost_overlap;
	uint64_t lost_too_big, lost_bounds, lost_timeout;
	uint64_t lost_peer_not_sip;	/* the other direction of a connection that is not SIP */
	uint64_t passed_lost;		/* segments passed because their stream is lost */
	uint64_t held;			/* segments held at least once */
	uint64_t runs;			/* runs released for rewriting */
	uint64_t multi_segment_runs;	/* of them, spanning more than one segment */
	uint64_t retransmits_replayed;	/* a retransmit given its first copy's bytes */
	uint64_t retransmits_passed;	/* old data passed as it came (unchanged the first time,
					 * or no longer cached) */
	uint64_t retransmits_resequenced;	/* old data given the sequence number seqadj
						 * would have got wrong */
	uint64_t no_state;		/* tracking refused: table full */
};

struct nat_tcp_table;
struct nat_tcp_stream;

struct nat_tcp_table *nat_tcp_new(const struct nat_tcp_limits *lim);
/* Frees every stream; held segments must have been released first. */
void nat_tcp_free(struct nat_tcp_table *t);
void nat_tcp_set_limits(struct nat_tcp_table *t, const struct nat_tcp_limits *lim);
const struct nat_tcp_counters *nat_tcp_counters(const struct nat_tcp_table *t);
unsigned nat_tcp_count(const struct nat_tcp_table *t);
size_t nat_tcp_held_bytes(const struct nat_tcp_table *t);

/* What to do with one TCP packet of a helped flow. */
enum nat_tcp_verdict {
	NAT_TCP_PASS,		/* give it its verdict now, unchanged */
	NAT_TCP_REPLAY,		/* a retransmit: give it *replay (its first copy's payload) */
	NAT_TCP_HELD,		/* copied and held: its verdict comes with a later release */
};

struct nat_tcp_replay {
	const uint8_t *payload;		/* NULL: the packet's own payload */
	size_t len;
	/*
	 * Add this to the packet's sequence number. The kernel's seqadj keeps
	 * one correction point per direction, so it would shift old data by
	 * the offset before our *last* length change, not by the changes that
	 * really came before it; we know every change, and compensate.
	 */
	int32_t seq_fix;
};

/*
 * Account one packet (flags and sequence number from its TCP header, its
 * payload length) at now_ms. A SYN sets the position; RST frees the stream
 * (held segments are released first, unchanged); after a FIN it lingers
 * 60 s for retransmits, then the idle scan frees it.
 * Returns what to do with it. *released collects, in order, segments that
 * this packet caused to be released unchanged (lost position): the caller
 * gives each id its verdict as it came, then frees them with
 * nat_tcp_seg_free().
 */
enum nat_tcp_verdict nat_tcp_packet(struct nat_tcp_table *t, const struct nat_tcp_key *key,
				    const uint8_t *pkt, size_t pkt_len, size_t payload_off,
				    uint32_t seq, uint8_t flags, uint32_t id, uint64_t now_ms,
				    struct nat_tcp_replay *replay, struct nat_tcp_seg **released);

/*
 * The run of held segments of key's stream that starts at its position and
 * ends on a message boundary, if there is one: *run gets the segments (in
 * order, taken off the stream), *bytes the contiguous payload of their
 * messages (valid until the next call on the table) and *len its length.
 * Messages are whole within it; framing errors make the stream lost, and
 * then its segments come back in *released as above. Returns 1 when a run
 * was taken, 0 when none is ready.
 */
int nat_tcp_take_run(struct nat_tcp_table *t, const struct nat_tcp_key *key,
		     struct nat_tcp_seg **run, const uint8_t **bytes, size_t *len,
		     struct nat_tcp_seg **released);

/*
 * After a run was rewritten: remember what each segment was given, so that
 * a retransmit of it gets the same bytes. Only segments whose payload
 * changed need to be remembered; out_len == orig len and equal bytes
 * may be skipped by the caller.
 */
void nat_tcp_remember(struct nat_tcp_table *t, const struct nat_tcp_key *key,
		      uint32_t seq, uint32_t orig_len, const uint8_t *out, size_t out_len);

/*
 * The port the connection's inside host names as its own in Via and
 * Contact (sipalg_binding.listen_port), kept with the connection's outbound
 * stream for the messages of both directions; 0 = none known.
 */
uint16_t nat_tcp_listen_port(const struct nat_tcp_table *t, const struct rtp_master *m);
void nat_tcp_set_listen_port(struct nat_tcp_table *t, const struct rtp_master *m, uint16_t port);

/*
 * How large a segment of key's stream may grow when a rewrite lengthens it:
 * the largest payload its sender has sent (its segment size, bounded by the
 * path's), at least 536 bytes. A segment grown past the path MTU would be
 * dropped by the gateway itself (DF), and the sender's re-cut retransmit
 * could not be given the bytes of the first copy.
 */
uint32_t nat_tcp_segment_cap(const struct nat_tcp_table *t, const struct nat_tcp_key *key);

/*
 * Cut a run's rewritten bytes (out_total) back into its n segments of
 * in[] payload bytes: out[i] bytes each. Segments keep their lengths where
 * they can, so that as few as possible change length (each change is a
 * seqadj step, and retransmits before the kernel's last step get its old
 * offset): growth goes to the last segments first, up to cap each, and
 * what does not fit goes to the last one; shrinking takes from the last
 * segments first, leaving each at least one byte. Returns 0, or -1 when
 * out_total < n.
 */
int nat_tcp_cut(const uint32_t *in, unsigned n, size_t out_total, uint32_t cap, uint32_t *out);

/*
 * Timers: streams whose oldest held segment waited longer than hold_ms are
 * lost (their segments come back in *released, unchanged); idle streams are
 * freed. Returns the next deadline in ms (0 = none held).
 */
uint64_t nat_tcp_expire(struct nat_tcp_table *t, uint64_t now_ms, struct nat_tcp_seg **released);
uint64_t nat_tcp_next_deadline(const struct nat_tcp_table *t);

/* Release everything held and forget every stream (shutdown, TCP switched off). */
void nat_tcp_release_all(struct nat_tcp_table *t, struct nat_tcp_seg **released);

void nat_tcp_seg_free(struct nat_tcp_seg *s);
/* Free a list of segments linked by ->next. */
void nat_tcp_segs_free(struct nat_tcp_seg *s);

#endif
