/*
 * observe.h - [general] mode = observe: every message goes through the
 * engine as usual, and what it would change is logged (info) instead of
 * done. The packet passes byte for byte; no pinhole is opened (no
 * expectation, no NFQA_EXP) and no conntrack timeout is touched.
 *
 * For operators who want to see what sipalgd does before they trust it with
 * calls. A line per planned change and per pinhole, each naming the message
 * (method, or status and CSeq method) and its Call-ID.
 */
#ifndef SIPALGD_NAT_OBSERVE_H
#define SIPALGD_NAT_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nat_path;
struct nat_flow;

/*
 * One whole message: the engine's plan logged through p->log_info, msg
 * copied to out untouched. Counts p->c.observed*. Returns len, or -1 when
 * out is too small.
 */
long nat_observe_one(struct nat_path *p, const struct nat_flow *flow, bool tcp,
		     const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

#endif
