/*
 * addr.h - addresses of either family as the engine reads and writes them
 * (addr.c): parse a literal, compare as addresses, format the text a peer
 * expects. IPv6 literals have many spellings (case, zero runs, leading
 * zeros, an embedded dotted quad), so they are compared only after parsing.
 */
#ifndef ALG_ADDR_H
#define ALG_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipalg.h"

/* Longest literal written: "[" + 45 (INET6_ADDRSTRLEN - 1) + "]" + NUL. */
#define ALG_ADDR_TEXT_MAX 48

/* Is s[0,n) an IPv6 literal (no brackets, no zone)? inet_pton's form. */
bool alg_ip6_parse(const char *s, size_t n, struct in6_addr *out);

/* Is s[0,n) a literal of family (0/AF_INET: strict dotted quad; AF_INET6:
 * with or without brackets)? Fills *out (port untouched). */
bool alg_addr_parse(uint8_t family, const char *s, size_t n, struct sipalg_addr *out);

/* a's literal into buf (ALG_ADDR_TEXT_MAX bytes); IPv6 in brackets when
 * bracket. Returns the length. */
size_t alg_format_addr(char *buf, const struct sipalg_addr *a, bool bracket);

/* host[:port] into buf (cap >= ALG_ADDR_TEXT_MAX + 6): host is a's literal
 * (IPv6 bracketed), or keep[0,keep_len) when keep_len (the original
 * spelling of the same address); a port is written when the original had
 * one or the new port is not 5060. */
void alg_format_hostport(char *buf, size_t cap, const struct sipalg_addr *a,
			 const char *keep, size_t keep_len, bool had_port, uint16_t port);

#endif
