/*
 * scan.h - the bounded line scanner (scan.c): start line, headers,
 * multi-value elements and their parameters. It finds spans only.
 */
#ifndef ALG_SCAN_H
#define ALG_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

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

#endif
