/*
 * plan.c - the edit-plan helpers every rewriting file shares: the first
 * failure, the edit list, and the tests of a token against the address
 * being replaced. Kept out of engine.c so that alg/ is a tree: headers.c
 * and sdp.c use these, and engine.c uses them.
 */
#include <string.h>

#include "plan.h"

int alg_fail(struct alg_plan *p, enum sipalg_status st, const char *reason)
{
	if (p->fail == SIPALG_OK) {
		p->fail = st;
		p->reason = reason;
	}
	return -1;
}

int alg_edit_add(struct alg_plan *p, size_t off, size_t len, const char *text,
		 enum sipalg_edit_kind kind)
{
	struct sipalg_result *res = p->res;
	struct sipalg_edit *e;
	size_t tl;

	tl = strnlen(text, sizeof(e->text) - 1);
	/* Writing back the same bytes (a map that keeps the port, a binding NAT
	 * did not translate) is no rewrite: it must not be counted or logged. */
	if (tl == len && memcmp(p->msg + off, text, len) == 0)
		return 0;
	if (res->n_edits >= SIPALG_MAX_EDITS)
		return alg_fail(p, SIPALG_TOO_BIG, "too many edits");
	e = &res->edits[res->n_edits++];
	e->off = off;
	e->len = len;
	memcpy(e->text, text, tl);
	e->text[tl] = '\0';
	e->kind = kind;
	return 0;
}

/* memchr on the first digit then memcmp: for a short needle in a short
 * value this beats glibc memmem's set-up cost. */
bool alg_mentions_from_ip(const struct alg_plan *p, struct alg_span sp)
{
	const char *s = p->msg + sp.off, *end = s + sp.len;
	size_t n = p->from_ip_len;

	if (!n)
		return false;
	while ((size_t)(end - s) >= n) {
		const char *hit = memchr(s, p->from_ip[0], (size_t)(end - s) - n + 1);

		if (!hit)
			return false;
		if (memcmp(hit, p->from_ip, n) == 0)
			return true;
		s = hit + 1;
	}
	return false;
}

/* inet_pton takes only strict dotted quads (no leading zeros, 4 parts), in
 * which every address has exactly one spelling: comparing the text with
 * ours is the same test as parsing and comparing, without the copy. */
bool alg_is_from_ip(const struct alg_plan *p, const char *s, size_t n)
{
	return n && n == p->from_ip_len && memcmp(s, p->from_ip, n) == 0;
}

bool alg_copy_value(const struct alg_plan *p, struct alg_span sp, char *buf, size_t cap)
{
	size_t i;

	/* Keep some zero bytes after the NUL: libosip2's parsers have been seen
	 * to peek just past the terminator of malformed values. */
	if (sp.len + 16 >= cap)
		return false;
	memset(buf + sp.len, 0, 16);
	for (i = 0; i < sp.len; i++) {
		char c = p->msg[sp.off + i];
		buf[i] = (c == '\r' || c == '\n') ? ' ' : c;
	}
	buf[sp.len] = '\0';
	return true;
}
