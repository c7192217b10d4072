/*
 * framing.c - sipalg_message_length(): where one SIP message ends in a
 * stream (TCP). RFC 3261 18.3: on a stream, Content-Length is mandatory.
 * Leading CRLFs (RFC 5626 keep-alives) are returned as a "message" of their
 * own so that the caller can pass them on untouched.
 */
#include <string.h>

#include "plan.h"
#include "scan.h"
#include "text.h"

/* Offset just past the empty line ending the headers, or 0 if not there yet. */
static size_t headers_end(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *lf = memchr(s + i, '\n', len - i);
		size_t next;

		if (!lf)
			return 0;
		next = (size_t)(lf - s) + 1;
		if (next < len && s[next] == '\n')
			return next + 1;
		if (next + 1 < len && s[next] == '\r' && s[next + 1] == '\n')
			return next + 2;
		i = next;
	}
	return 0;
}

long sipalg_message_length(const uint8_t *buf, size_t len)
{
	const char *s = (const char *)buf;
	struct alg_plan p;
	struct sipalg_result res;	/* only .status is touched, via alg_fail */
	struct alg_start st;
	struct alg_hdr_iter it;
	struct alg_hdr h;
	size_t hend, i = 0;
	uint32_t cl = 0;
	bool have_cl = false;
	int r;

	if (!buf || len == 0)
		return 0;
	while (i < len && (s[i] == '\r' || s[i] == '\n'))
		i++;
	if (i)
		return (long)i;
	if (len > SIPALG_MAX_MSG)
		len = SIPALG_MAX_MSG;
	hend = headers_end(s, len);
	if (!hend)
		return len >= SIPALG_MAX_MSG ? -1 : 0;
	memset(&p, 0, sizeof(p));
	p.msg = s;
	p.len = hend;
	p.res = &res;
	if (alg_scan_start(&p, &st) < 0)
		return -1;
	memset(&it, 0, sizeof(it));
	it.pos = st.next;
	while ((r = alg_hdr_next(&p, &it, &h)) > 0) {
		uint32_t v;

		if (h.kind != ALG_H_CONTENT_LENGTH)
			continue;
		if (!alg_uint_parse(s + h.value.off, h.value.len, SIPALG_MAX_MSG, &v) ||
		    (have_cl && v != cl))
			return -1;
		cl = v;
		have_cl = true;
	}
	if (r < 0 || !have_cl || hend + cl > SIPALG_MAX_MSG)
		return -1;
	return hend + cl <= len ? (long)(hend + cl) : 0;
}
