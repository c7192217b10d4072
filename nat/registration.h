/*
 * registration.h - SIP flows (UDP) that carry a live registration.
 *
 * The kernel resets a UDP conntrack's timeout to the stream timeout on every
 * packet, so each packet of such a flow needs its timeout raised again to
 * cover what is left of the granted expiry (capped by config). Two routes:
 * - helper mode: the packet's own verdict carries CTA_TIMEOUT (packet_path.c),
 *   applied after the kernel's refresh of that packet - no extra syscall;
 * - no conntrack glue: the packet marks its flow dirty and the 1 s timer
 *   re-raises each dirty flow once through ctnetlink (nat_reg_flush_dirty),
 *   at most once per flow per second and a bounded number per tick.
 * Lookups are hashed: a gateway may carry tens of thousands of phones.
 */
#ifndef SIPALGD_NAT_REGISTRATION_H
#define SIPALGD_NAT_REGISTRATION_H

#include <stdbool.h>
#include <time.h>

#include "rtp.h"

/* Beyond the expiry: the phone's refresh itself must still find the flow. */
#define NAT_REG_SLACK_S 30

struct nat_reg_table;

struct nat_reg_table *nat_reg_new(unsigned capacity);
void nat_reg_free(struct nat_reg_table *t);

/* A 200 OK to REGISTER granted expires s on flow m (0 removes it). 0, or -1 when full. */
int nat_reg_note(struct nat_reg_table *t, const struct rtp_master *m,
		 int expires, time_t now);
/* Seconds of registration left on flow m, or -1 when none is known. */
long nat_reg_remaining(const struct nat_reg_table *t, const struct rtp_master *m,
		       time_t now);
/*
 * The conntrack timeout (s) flow m should have now: what is left of the
 * registration plus NAT_REG_SLACK_S, at most max (0 = no cap); 0 when the
 * flow carries no live registration.
 */
unsigned nat_reg_ct_timeout(const struct nat_reg_table *t, const struct rtp_master *m,
			    time_t now, unsigned max);
void nat_reg_expire(struct nat_reg_table *t, time_t now);
unsigned nat_reg_count(const struct nat_reg_table *t);

/* The status list: fn for at most max flows (slot order). Returns how many. */
typedef void (*nat_reg_visit_fn)(void *arg, const struct rtp_master *m, time_t until,
				 bool dirty);
unsigned nat_reg_foreach(const struct nat_reg_table *t, unsigned max,
			 nat_reg_visit_fn fn, void *arg);

/* A packet of flow m passed without the verdict route: re-raise it from the timer. */
void nat_reg_mark_dirty(struct nat_reg_table *t, const struct rtp_master *m);
/* Flows marked dirty and not re-raised yet. */
unsigned nat_reg_dirty_count(const struct nat_reg_table *t);

/* Raise flow m's conntrack timeout to timeout s; 0 or -errno. */
typedef int (*nat_reg_raise_fn)(void *arg, const struct rtp_master *m, unsigned timeout);

struct nat_reg_flush_stats {
	unsigned raised, failed;	/* fn called: succeeded / failed */
	unsigned left;			/* still dirty after this tick (budget spent) */
};

/*
 * The timer's turn: call fn once for each dirty flow (oldest mark first), at
 * most budget times, never twice for one flow within the same second (now).
 * Flows left over wait for the next tick in their order.
 */
void nat_reg_flush_dirty(struct nat_reg_table *t, time_t now, unsigned max,
			 unsigned budget, nat_reg_raise_fn fn, void *arg,
			 struct nat_reg_flush_stats *st);

#endif
