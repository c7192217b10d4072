/*
 * ct_query.h - ctnetlink questions the packet path asks: the conntrack of a
 * packet that came without one (queue without conntrack glue), and raising a
 * SIP flow's timeout to cover a registration.
 */
#ifndef SIPALGD_NAT_CT_QUERY_H
#define SIPALGD_NAT_CT_QUERY_H

#include <stdbool.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "rtp.h"
#include "splice.h"

struct nat_ct;

struct nat_ct *nat_ct_open(void);
void nat_ct_close(struct nat_ct *h);

/*
 * Find the conntrack of a packet seen after all NAT (its tuple is then the
 * inverse of the other direction's tuple). On success fills out and
 * *reply_dir and returns 0; -1 if there is none yet (an unconfirmed first
 * packet) or on error.
 */
int nat_ct_lookup(struct nat_ct *h, const struct nat_l4 *l4,
		  struct nf_conntrack *out, bool *reply_dir);

/* Set the timeout (s) of the conntrack whose original tuple is m. 0 / -errno. */
int nat_ct_set_timeout(struct nat_ct *h, const struct rtp_master *m, unsigned timeout);

#endif
