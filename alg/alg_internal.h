/*
 * alg_internal.h - what the engine's files share; not part of the API.
 *
 * Every offset is relative to the start of the message the caller passed to
 * sipalg_process(); spans never leave [0, len).
 */
#ifndef ALG_INTERNAL_H
#define ALG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipalg.h"

/* Longest header element (one Via, one Contact...) copied for libosip2. */
#define ALG_ELEM_MAX 4096

struct alg_span {
	size_t off;
	size_t len;
};

/* Working state of one sipalg_process() call (lives on its stack). */
struct alg_plan {
	const char *msg;		/* the message, as chars */
	size_t len;
	const struct sipalg_ctx *ctx;
	const struct sipalg_switches *sw;
	struct sipalg_result *res;
	bool plan;			/* false: gather facts only (disabled) */
	struct sipalg_addr from;	/* address being replaced */
	struct sipalg_addr to;		/* its replacement */
	uint16_t from_alt_port;		/* another port that names from (listen_port), 0 = none */
	bool seen_via;			/* the topmost Via was looked at */
	char from_ip[16];		/* from.ip as dotted text, for cheap pre-filters */
	size_t from_ip_len;
	enum sipalg_status fail;	/* SIPALG_OK while nothing went wrong */
	const char *reason;
};

/* Record a failure (first one wins); always returns -1. */
int alg_fail(struct alg_plan *p, enum sipalg_status st, const char *reason);

/* Queue an edit replacing msg[off, off+len) by text (nothing when text equals
 * those bytes); -1 (TOO_BIG) when full. */
int alg_edit_add(struct alg_plan *p, size_t off, size_t len, const char *text,
		 enum sipalg_edit_kind kind);

/* Does msg[sp] contain the dotted text of the address being replaced? */
bool alg_mentions_from_ip(const struct alg_plan *p, struct alg_span sp);

/* Is s[0,n) exactly the address being replaced (strict dotted quad)? */
bool alg_is_from_ip(const struct alg_plan *p, const char *s, size_t n);

/* Lazily run libosip2's parser_init() exactly once per process. */
void alg_osip_init_once(void);

/* ---- text.c: small bounded text helpers ---- */
bool alg_is_lws(char c);		/* SP, HT, CR, LF */
bool alg_ieq(const char *s, size_t n, const char *lit);	/* case-insensitive, whole */
bool alg_ipv4_parse(const char *s, size_t n, struct in_addr *out);
bool alg_port_parse(const char *s, size_t n, uint16_t *out);
bool alg_uint_parse(const char *s, size_t n, uint32_t max, uint32_t *out);
/* Dotted quad / decimal port into buf (16 / 6 bytes incl. NUL); length. */
size_t alg_format_ipv4(char *buf, struct in_addr ip);
size_t alg_format_port(char *buf, uint16_t port);
/* "a.b.c.d" or "a.b.c.d:port" into buf (cap >= 22); a port is written when
 * the original had one or the new port is not 5060. */
void alg_format_hostport(char *buf, size_t cap, struct in_addr ip,
			 bool had_port, uint16_t port);
/* Copy msg[sp] into buf (cap bytes incl. NUL), CR/LF turned into spaces so
 * that folded values parse and offsets stay 1:1. False if too long. */
bool alg_copy_value(const struct alg_plan *p, struct alg_span sp, char *buf, size_t cap);
/* Trim LWS on both sides. */
struct alg_span alg_trim(const char *msg, struct alg_span sp);

/* ---- scan.c: start line, headers, multi-value elements ---- */
enum alg_hdr_kind {
	ALG_H_OTHER, ALG_H_VIA, ALG_H_CONTACT, ALG_H_FROM, ALG_H_TO,
	ALG_H_ROUTE, ALG_H_RECORD_ROUTE, ALG_H_CONTENT_LENGTH,
	ALG_H_CONTENT_TYPE, ALG_H_CALL_ID, ALG_H_CSEQ, ALG_H_EXPIRES,
};

struct alg_start {
	bool is_request;
	struct alg_span method;		/* requests */
	struct alg_span uri;		/* requests */
	int status;			/* responses */
	size_t line_off;		/* after skipped leading CRLFs */
	size_t next;			/* first byte after the start line */
};

/* 0 = SIP start line, else fills p->fail (NOT_SIP or UNPARSABLE) and -1. */
int alg_scan_start(struct alg_plan *p, struct alg_start *st);

struct alg_hdr {
	enum alg_hdr_kind kind;
	struct alg_span name;
	struct alg_span value;		/* trimmed; may contain folded CRLF+WS */
};

struct alg_hdr_iter {
	size_t pos;
	size_t body_off;		/* set when the empty line is reached */
};

/* 1 = a header in *h, 0 = end of headers (it->body_off set), -1 = malformed. */
int alg_hdr_next(struct alg_plan *p, struct alg_hdr_iter *it, struct alg_hdr *h);

/* Next comma-separated element of value (quotes and <...> respected, LWS
 * trimmed, empty elements skipped). 1 = *elem set, 0 = done, -1 = malformed. */
int alg_elem_next(const struct alg_plan *p, struct alg_span value, size_t *pos,
		  struct alg_span *elem);

/* Header parameter name (";name=value") of an element, after its URI: the
 * parameters that follow '>' or, without angle brackets, the first ';'.
 * *val is the (unquoted-as-is) value span; len 0 when it has no value. */
bool alg_elem_param(const struct alg_plan *p, struct alg_span elem,
		    const char *name, struct alg_span *val);
/* The first occurrence of each of names[0..n-1] (n <= 32) in one pass: bit k
 * of the result set when names[k] was found, its value in vals[k]. */
unsigned alg_elem_params(const struct alg_plan *p, struct alg_span elem,
			 const char *const *names, struct alg_span *vals, unsigned n);

/* ---- headers.c: the rewrites of the header section ---- */
int alg_rewrite_request_uri(struct alg_plan *p, struct alg_span uri);
int alg_rewrite_via(struct alg_plan *p, struct alg_span elem);
int alg_rewrite_uri_header(struct alg_plan *p, struct alg_span elem,
			   enum alg_hdr_kind kind);

/* ---- body.c / sdp.c ---- */
/* Rewrite/report the body msg[body] given the Content-Type value. */
int alg_body_process(struct alg_plan *p, struct alg_span ctype, struct alg_span body);
int alg_sdp_process(struct alg_plan *p, struct alg_span sdp);

#endif
