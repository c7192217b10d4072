/*
 * addr_watch.h - the gateway's IPv4 addresses coming and going (rtnetlink,
 * RTMGRP_IPV4_IFADDR), so that a WAN re-addressing (DHCP, PPPoE) is acted on
 * at once rather than when the phones' bindings happen to expire.
 */
#ifndef SIPALGD_ADDR_WATCH_H
#define SIPALGD_ADDR_WATCH_H

#include <stdbool.h>
#include <stdint.h>

struct addr_watch;

/* One address event: addr in network order, gone = RTM_DELADDR. */
typedef void (*addr_event_fn)(void *arg, uint32_t addr, bool gone);

struct addr_watch *addr_watch_open(void);
void addr_watch_close(struct addr_watch *w);
int addr_watch_fd(const struct addr_watch *w);
/* Read what is waiting (non-blocking) and call fn for each IPv4 event.
 * Returns the number of events, or -1 when the socket failed. */
int addr_watch_read(struct addr_watch *w, addr_event_fn fn, void *arg);

#endif
