/*
 * replay_tcp.h - SIP over TCP in the replay.
 *
 * Each direction of a TCP flow is reassembled into SIP messages. A message is
 * complete only at its last segment, but its first bytes left earlier: so
 * the replay runs twice. Pass 1 records, per direction, every message that
 * got edits (its stream offsets and the edits); pass 2, with the same state
 * evolution, writes each segment's bytes through those plans. An edit's new
 * text goes out in the segment where the edited token starts. Later
 * sequence numbers of that direction move by what was added before them;
 * acknowledgements need no change (the gateway maps them back before they
 * reach the sender, as nf_nat_seq_adjust does). SACK blocks are not adjusted.
 */
#ifndef SIPALGD_REPLAY_TCP_H
#define SIPALGD_REPLAY_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipalg.h"

#define TCP_FLOWS	4096

struct tcp_plan {
	uint32_t start, len;		/* the original message, stream offsets */
	unsigned n_edits;
	struct sipalg_edit *edits;	/* off relative to start, sorted */
};

struct tcp_dir {
	bool isn_known;
	bool broken;			/* gap or not SIP: no more rewriting */
	uint32_t isn;			/* sequence number of stream offset 0 */
	uint32_t next;			/* stream offset expected next */
	uint8_t *buf;			/* the incomplete message, SIPALG_MAX_MSG */
	size_t buflen;
	uint32_t buf_start;
	struct tcp_plan *plans;		/* in stream order; kept for pass 2 */
	unsigned n_plans, cap_plans;
};

struct tcp_flow {
	struct sipalg_addr inside, remote;
	bool used;
	struct tcp_dir dir[2];		/* [SIPALG_OUTBOUND], [SIPALG_INBOUND] */
};

/* The flow's slot in t[TCP_FLOWS] (existing or new), or NULL when full. */
struct tcp_flow *replay_tcp_flow_get(struct tcp_flow *t, const struct sipalg_binding *b);
/* Between the passes: forget the streams, keep the plans. */
void replay_tcp_rewind(struct tcp_flow *t);
void replay_tcp_free(struct tcp_flow *t);
/* Pass 1: remember a message [start, start+len) of the stream and its edits. */
int replay_tcp_add_plan(struct tcp_dir *d, uint32_t start, uint32_t len,
			const struct sipalg_result *res);
/* Output bytes for the original stream bytes [0, a): where a segment starts. */
uint32_t replay_tcp_emitted_before(const struct tcp_dir *d, uint32_t a);
/* The segment's new payload: its original bytes [a, a+len) through the plans;
 * (size_t)-1 if it does not fit in cap. */
size_t replay_tcp_emit(const struct tcp_dir *d, uint32_t a, const uint8_t *orig,
		       size_t len, uint8_t *out, size_t cap);

#endif
