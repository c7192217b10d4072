/*
 * text.h - bounded byte-level helpers (text.c): comparisons, number parsing
 * and formatting. They know nothing of messages or plans: the leaf of alg/.
 */
#ifndef ALG_TEXT_H
#define ALG_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* A piece of the message: offsets are relative to the start of the message
 * the caller passed to sipalg_process(); spans never leave [0, len). */
struct alg_span {
	size_t off;
	size_t len;
};

bool alg_is_lws(char c);		/* SP, HT, CR, LF */
bool alg_ieq(const char *s, size_t n, const char *lit);	/* case-insensitive, whole */
bool alg_ipv4_parse(const char *s, size_t n, struct in_addr *out);
bool alg_port_parse(const char *s, size_t n, uint16_t *out);
bool alg_uint_parse(const char *s, size_t n, uint32_t max, uint32_t *out);
/* Dotted quad / decimal port into buf (16 / 6 bytes incl. NUL); length. */
size_t alg_format_ipv4(char *buf, struct in_addr ip);
size_t alg_format_port(char *buf, uint16_t port);
/* Trim LWS on both sides. */
struct alg_span alg_trim(const char *msg, struct alg_span sp);

/* RFC 3261 token characters (alg_token_char[(unsigned char)c]). */
extern const bool alg_token_char[256];

#endif
