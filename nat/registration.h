/*
 * registration.h - SIP flows that carry a live registration. The kernel
 * resets a UDP conntrack's timeout to the stream timeout on every packet, so
 * after each packet of such a flow the daemon stretches it again to cover
 * what is left of the granted expiry (capped by config).
 */
#ifndef SIPALGD_NAT_REGISTRATION_H
#define SIPALGD_NAT_REGISTRATION_H

#include <stdbool.h>
#include <time.h>

#include "rtp.h"

struct nat_reg_table;

struct nat_reg_table *nat_reg_new(unsigned capacity);
void nat_reg_free(struct nat_reg_table *t);

/* A 200 OK to REGISTER granted expires s on flow m (0 removes it). */
int nat_reg_note(struct nat_reg_table *t, const struct rtp_master *m,
		 int expires, time_t now);
/* Seconds of registration left on flow m, or -1 when none is known. */
long nat_reg_remaining(const struct nat_reg_table *t, const struct rtp_master *m,
		       time_t now);
void nat_reg_expire(struct nat_reg_table *t, time_t now);
unsigned nat_reg_count(const struct nat_reg_table *t);

#endif
