/*
 * body.c - find the SDP in a body: the whole body for application/sdp, or
 * each application/sdp part of a multipart body (one level, RFC 2046).
 */
#include <string.h>

#include "body.h"
#include "plan.h"
#include "scan.h"
#include "sdp.h"
#include "text.h"

/* "type/subtype" at the start of a Content-Type value, case-insensitive. */
static bool media_type_is(const char *s, size_t n, const char *type, const char *sub)
{
	size_t i = 0, start;

	while (i < n && alg_is_lws(s[i]))
		i++;
	start = i;
	while (i < n && s[i] != '/' && !alg_is_lws(s[i]))
		i++;
	if (!alg_ieq(s + start, i - start, type))
		return false;
	while (i < n && alg_is_lws(s[i]))
		i++;
	if (i >= n || s[i] != '/')
		return false;
	i++;
	while (i < n && alg_is_lws(s[i]))
		i++;
	start = i;
	while (i < n && s[i] != ';' && !alg_is_lws(s[i]))
		i++;
	return sub ? alg_ieq(s + start, i - start, sub) : true;
}

/* The boundary parameter of a multipart Content-Type. Found by our
 * parameter scanner, not libosip2: the Content-Type is never rewritten, and
 * parsing it cost every multipart message (even with the ALG off) a
 * libosip2 parse for a value we only read. */
static bool multipart_boundary(const struct alg_plan *p, struct alg_span ctype,
			       char *out, size_t cap)
{
	struct alg_span v;
	const char *s;
	size_t n;

	if (!alg_elem_param(p, ctype, "boundary", &v))
		return false;
	s = p->msg + v.off;
	n = v.len;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	/* RFC 2046: 1 to 70 characters. */
	if (n < 1 || n > 70 || n >= cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* Next "--boundary" at a line start in [from, end); returns its offset or end. */
static size_t find_delim(const struct alg_plan *p, size_t from, size_t end,
			 const char *b, size_t blen)
{
	size_t i = from;

	while (i + 2 + blen <= end) {
		const char *hit = memmem(p->msg + i, end - i, "--", 2);
		size_t at;

		if (!hit)
			break;
		at = (size_t)(hit - p->msg);
		if (at + 2 + blen <= end && memcmp(p->msg + at + 2, b, blen) == 0 &&
		    (at == from || p->msg[at - 1] == '\n'))
			return at;
		i = at + 1;
	}
	return end;
}

/* Is the part whose headers are msg[h] an application/sdp part? */
static bool part_is_sdp(const struct alg_plan *p, struct alg_span h)
{
	size_t pos = h.off, end = h.off + h.len;

	while (pos < end) {
		const char *lf = memchr(p->msg + pos, '\n', end - pos);
		size_t stop = lf ? (size_t)(lf - p->msg) : end;
		const char *colon = memchr(p->msg + pos, ':', stop - pos);

		if (colon) {
			struct alg_span name = alg_trim(p->msg,
				(struct alg_span){ pos, (size_t)(colon - (p->msg + pos)) });
			size_t v = (size_t)(colon - p->msg) + 1;

			if (alg_ieq(p->msg + name.off, name.len, "content-type"))
				return media_type_is(p->msg + v, stop - v, "application", "sdp");
		}
		pos = stop + 1;
	}
	return false;
}

static int multipart(struct alg_plan *p, struct alg_span ctype, struct alg_span body)
{
	char b[72];
	size_t blen, end = body.off + body.len, d;

	if (!multipart_boundary(p, ctype, b, sizeof(b)))
		return 0;	/* no usable boundary: nothing we can find an SDP in */
	blen = strlen(b);
	d = find_delim(p, body.off, end, b, blen);
	while (d < end) {
		size_t after = d + 2 + blen, hdr_end, next, part_end;
		const char *lf;
		const char *blank;

		if (after + 2 <= end && p->msg[after] == '-' && p->msg[after + 1] == '-')
			break;	/* close-delimiter */
		lf = memchr(p->msg + after, '\n', end - after);
		if (!lf)
			break;
		after = (size_t)(lf - p->msg) + 1;
		/* Part headers end at the first empty line (CRLF or LF). */
		hdr_end = after;
		blank = NULL;
		while (hdr_end < end) {
			if (p->msg[hdr_end] == '\n') {
				blank = p->msg + hdr_end + 1;
				break;
			}
			if (p->msg[hdr_end] == '\r' && hdr_end + 1 < end && p->msg[hdr_end + 1] == '\n') {
				blank = p->msg + hdr_end + 2;
				break;
			}
			lf = memchr(p->msg + hdr_end, '\n', end - hdr_end);
			if (!lf)
				break;
			hdr_end = (size_t)(lf - p->msg) + 1;
		}
		if (!blank)
			break;
		next = find_delim(p, (size_t)(blank - p->msg), end, b, blen);
		/* The CRLF before a delimiter belongs to the delimiter. */
		part_end = next;
		if (part_end > (size_t)(blank - p->msg) && p->msg[part_end - 1] == '\n')
			part_end--;
		if (part_end > (size_t)(blank - p->msg) && p->msg[part_end - 1] == '\r')
			part_end--;
		if (part_is_sdp(p, (struct alg_span){ after, hdr_end - after })) {
			size_t so = (size_t)(blank - p->msg);

			if (part_end > so &&
			    alg_sdp_process(p, (struct alg_span){ so, part_end - so }) < 0)
				return -1;
		}
		d = next;
	}
	return 0;
}

int alg_body_process(struct alg_plan *p, struct alg_span ctype, struct alg_span body)
{
	const char *s = p->msg + ctype.off;

	if (body.len == 0 || ctype.len == 0)
		return 0;
	if (media_type_is(s, ctype.len, "application", "sdp"))
		return alg_sdp_process(p, body);
	if (media_type_is(s, ctype.len, "multipart", NULL))
		return multipart(p, ctype, body);
	return 0;
}
