/*
 * plan.c - the edit-plan helpers every rewriting file shares: the first
 * failure, the edit list, and the tests of a token against the address
 * being replaced. Kept out of engine.c so that alg/ is a tree: headers.c
 * and sdp.c use these, and engine.c uses them.
 */
#include <string.h>

#include "addr.h"
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

static bool is_ip6_char(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ||
	       c == ':' || c == '.';
}

/* Every maximal run of hex digits, ':' and '.' with two colons or more is
 * a candidate literal (SIP delimits one with '[' ']', '=', ';', '@', SP):
 * parsed, then compared. */
static bool mentions_ip6(const struct alg_plan *p, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		unsigned colons = 0;

		while (j < n && is_ip6_char(s[j]))
			colons += s[j++] == ':';
		if (colons >= 2 && alg_is_from_ip(p, s + i, j - i))
			return true;
		i = j + 1;
	}
	return false;
}

/* memchr on the first digit then memcmp: for a short needle in a short
 * value this beats glibc memmem's set-up cost. */
bool alg_mentions_from_ip(const struct alg_plan *p, struct alg_span sp)
{
	const char *s = p->msg + sp.off, *end = s + sp.len;
	size_t n = p->from_ip_len;

	if (p->v6)
		return mentions_ip6(p, s, sp.len);

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
	struct sipalg_addr a;

	if (p->v6)
		return alg_addr_parse(AF_INET6, s, n, &a) && sipalg_addr_same_ip(&a, &p->from);
	return n && n == p->from_ip_len && memcmp(s, p->from_ip, n) == 0;
}

int alg_edit_addr(struct alg_plan *p, size_t off, size_t len, const struct sipalg_addr *addr,
		  bool bracket, enum sipalg_edit_kind kind)
{
	char text[ALG_ADDR_TEXT_MAX];
	struct sipalg_addr old;

	if (sipalg_addr_is_v6(addr) &&
	    alg_addr_parse(AF_INET6, p->msg + off, len, &old) && sipalg_addr_same_ip(&old, addr))
		return 0;
	alg_format_addr(text, addr, bracket && sipalg_addr_is_v6(addr));
	return alg_edit_add(p, off, len, text, kind);
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
