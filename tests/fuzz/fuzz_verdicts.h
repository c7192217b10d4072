/*
 * fuzz_verdicts.h - the packet path harness's stand-in for the kernel end of
 * the queue: a nat_send_fn that parses every verdict message it is sent and
 * aborts (after saying why on stderr) on anything the kernel would not take
 * or that loses or changes a packet wrongly:
 *  - only NFQNL_MSG_VERDICT / _BATCH for our queue, always NF_ACCEPT;
 *  - each id gets exactly one verdict (a batch accepts every id up to its
 *    own that has none yet, as nfqnl_recv_verdict_batch does, and its own
 *    id must be one without);
 *  - a new payload is a valid IPv4 packet: IP header checksum, total length
 *    = the payload's length, UDP length, UDP/TCP checksum verify; addresses,
 *    ports, TCP sequence/ack/flags/options unchanged; only packets that may
 *    be rewritten get one; a TCP length change carries NFQA_CT (seqadj);
 *  - NFQA_CT holds nothing but CTA_TIMEOUT, within the configured maximum.
 */
#ifndef SIPALGD_FUZZ_VERDICTS_H
#define SIPALGD_FUZZ_VERDICTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FV_MAX_PACKETS 64

struct fv_rules {
	uint16_t queue;
	bool plain_only;		/* enabled = no: nothing but plain accepts */
	uint32_t max_ct_timeout;	/* CTA_TIMEOUT ceiling, 0 = none allowed */
};

void fv_reset(const struct fv_rules *r);
/* Packet id (1, 2, ... in order) was queued with these bytes. */
void fv_queued(uint32_t id, const uint8_t *pkt, size_t len, bool may_rewrite);
/* A nat_send_fn (verdict.h); arg unused. */
int fv_send(void *arg, const void *buf, size_t len);
/* Queued ids that have no verdict yet. */
unsigned fv_outstanding(void);
/* Did packets a and b (both with their verdicts) leave with the same L4 payload? */
bool fv_same_output(uint32_t a, uint32_t b);
/* Verdicts with a new payload so far (for the seed tests' sanity). */
unsigned fv_rewritten(void);

#endif
