/*
 * local_addrs.h - the gateway's own IPv4 addresses and connected subnets, for
 * rtp/'s far media address policy (rtp_table_set_local): which far addresses
 * are the gateway itself or the inside. rtp/ opens no sockets; the daemon
 * reads them (getifaddrs) at start, on SIGHUP, on every address event
 * (addr_watch.h) and once a minute in case events were lost.
 */
#ifndef SIPALGD_LOCAL_ADDRS_H
#define SIPALGD_LOCAL_ADDRS_H

#include <time.h>

#include "rtp.h"

/* Fill out[0..max-1]; returns how many, or -1 (errno) when getifaddrs fails. */
int local_addrs_read(struct rtp_local_addr *out, unsigned max);

/* Read and hand them to t. force: now; else at most every 60 s (timer tick).
 * A failed read keeps the previous table. */
void local_addrs_refresh(struct rtp_table *t, time_t now, int force);

#endif
