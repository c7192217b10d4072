/*
 * replay_vline.h - the replay's -v output: one bounded line of text per
 * packet, built in pieces (addresses, NAT notes, SIP edits).
 */
#ifndef SIPALGD_REPLAY_VLINE_H
#define SIPALGD_REPLAY_VLINE_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "log.h"

struct vline {
	char s[8192];
	size_t n;
};

/* Append printf-style; silently cut at the line's end. */
void vadd(struct vline *v, const char *fmt, ...) SIPALGD_PRINTF(2, 3);
/* Bytes as quoted printable text (a capture may hold anything), cut at 92. */
void vadd_text(struct vline *v, const uint8_t *p, size_t len);
#include "sipalg.h"

#define VLINE_ADDR_MAX	INET6_ADDRSTRLEN

/* Either family's text into buf (VLINE_ADDR_MAX bytes); returns buf. */
const char *vline_addr(const struct sipalg_addr *a, char *buf);

#endif
