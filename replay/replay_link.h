/*
 * replay_link.h - where IP (v4 or v6) starts under a capture's link header:
 * Ethernet (with VLAN tags), Linux cooked v1/v2, raw IP and BSD loopback.
 */
#ifndef SIPALGD_REPLAY_LINK_H
#define SIPALGD_REPLAY_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offset of the IP header and its ethertype (0x0800, 0x86dd), or -1 with why
 * set (static text). */
long replay_ip_offset(int dlt, const uint8_t *p, size_t caplen, unsigned *ethertype,
		      const char **why);
/* Is the link type one replay_ip_offset() understands? */
bool replay_dlt_supported(int dlt);

#endif
