/*
 * scan.c - the bounded line scanner: start line, header lines (CRLF or bare
 * LF, folding, compact names), comma-separated elements and their
 * parameters. It only finds spans; libosip2 judges the values we rewrite.
 */
#include <string.h>

#include "scan.h"
#include "text.h"


static bool is_token_char(char c)
{
	return alg_token_char[(unsigned char)c];
}

/* End of the line starting at pos: offset of its LF, or len if none. */
static size_t line_end(const struct alg_plan *p, size_t pos)
{
	const char *lf = memchr(p->msg + pos, '\n', p->len - pos);

	return lf ? (size_t)(lf - p->msg) : p->len;
}

/* Length of the line content without its CR (if any). */
static size_t content_end(const struct alg_plan *p, size_t pos, size_t lf)
{
	return (lf > pos && p->msg[lf - 1] == '\r') ? lf - 1 : lf;
}

static bool has_sip_version(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i++)
		if (alg_ieq(s + i, 4, "SIP/"))
			return true;
	return false;
}

static int scan_response(struct alg_plan *p, struct alg_start *st, const char *l, size_t n)
{
	uint32_t code;

	if (n < 8 || !alg_ieq(l, 8, "SIP/2.0 "))
		return alg_fail(p, SIPALG_UNPARSABLE, "unsupported SIP version");
	/* Status-Code = 3DIGIT, then SP Reason-Phrase (tolerate a missing SP). */
	if (n < 11 || !alg_uint_parse(l + 8, 3, 699, &code) || code < 100 ||
	    (n > 11 && l[11] != ' '))
		return alg_fail(p, SIPALG_UNPARSABLE, "bad status code");
	st->is_request = false;
	st->status = (int)code;
	return 0;
}

static int scan_request(struct alg_plan *p, struct alg_start *st, size_t off, size_t n)
{
	const char *l = p->msg + off;
	const char *sp1 = memchr(l, ' ', n);
	size_t m, last, i;

	for (last = n; last > 0 && l[last - 1] != ' '; last--)
		;
	if (!sp1 || last == 0 || !alg_ieq(l + last, n - last, "SIP/2.0")) {
		if (has_sip_version(l, n))
			return alg_fail(p, SIPALG_UNPARSABLE, "bad request line");
		return alg_fail(p, SIPALG_NOT_SIP, "no SIP start line");
	}
	m = (size_t)(sp1 - l);
	if (m == 0)
		return alg_fail(p, SIPALG_UNPARSABLE, "empty method");
	for (i = 0; i < m; i++)
		if (!is_token_char(l[i]))
			return alg_fail(p, SIPALG_NOT_SIP, "method is not a token");
	/* Exactly one SP on each side of the Request-URI (RFC 3261 25.1). */
	if (last - 1 <= m + 1)
		return alg_fail(p, SIPALG_UNPARSABLE, "empty Request-URI");
	for (i = m + 1; i < last - 1; i++)
		if (l[i] == ' ' || l[i] == '\t')
			return alg_fail(p, SIPALG_UNPARSABLE, "whitespace in Request-URI");
	/* absoluteURI starts with a scheme: ALPHA *( ALPHA / DIGIT / + - . ) ":" */
	if (!((l[m + 1] | 0x20) >= 'a' && (l[m + 1] | 0x20) <= 'z') ||
	    !memchr(l + m + 1, ':', last - 1 - (m + 1)))
		return alg_fail(p, SIPALG_UNPARSABLE, "Request-URI has no scheme");
	/* RFC 3261 19.1.1: headers ("?...") are not allowed in a Request-URI.
	 * The user part may hold '?': look after its '@' only. */
	{
		size_t u = m + 1, k;

		for (k = m + 1; k < last - 1; k++)
			if (l[k] == '@')
				u = k;
		if (memchr(l + u, '?', last - 1 - u))
			return alg_fail(p, SIPALG_UNPARSABLE, "Request-URI with headers");
	}
	st->is_request = true;
	st->method = (struct alg_span){ off, m };
	st->uri = (struct alg_span){ off + m + 1, last - 1 - (m + 1) };
	return 0;
}

int alg_scan_start(struct alg_plan *p, struct alg_start *st)
{
	size_t pos = 0, lf, end;

	memset(st, 0, sizeof(*st));
	/* RFC 3261 7.5: ignore CRLFs before the start line (keep-alives). */
	while (pos < p->len && (p->msg[pos] == '\r' || p->msg[pos] == '\n'))
		pos++;
	if (pos >= p->len)
		return alg_fail(p, SIPALG_NOT_SIP, "empty message");
	lf = line_end(p, pos);
	if (lf >= p->len)
		return alg_fail(p, SIPALG_NOT_SIP, "no complete start line");
	end = content_end(p, pos, lf);
	st->line_off = pos;
	st->next = lf + 1;
	if (end - pos >= 4 && alg_ieq(p->msg + pos, 4, "SIP/"))
		return scan_response(p, st, p->msg + pos, end - pos);
	return scan_request(p, st, pos, end - pos);
}

/* s[0,n) is lit (lower case, n bytes long) in any case. Header names come
 * capitalised ("Content-Length"): alg_ieq's per-byte case folding of both
 * sides and end-of-literal test were a tenth of a far-side INVITE's cost. */
static bool name_is(const char *s, size_t n, const char *lit)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != lit[i])
			return false;
	}
	return true;
}

/* Long and compact (RFC 3261 7.3.3) forms of the headers the engine reads;
 * dispatched on length first (so every literal below is exactly n bytes),
 * since this runs for every header line. */
static enum alg_hdr_kind hdr_kind(const char *s, size_t n)
{
	switch (n) {
	case 1:
		switch (s[0] | 0x20) {
		case 'v': return ALG_H_VIA;
		case 'm': return ALG_H_CONTACT;
		case 'f': return ALG_H_FROM;
		case 't': return ALG_H_TO;
		case 'l': return ALG_H_CONTENT_LENGTH;
		case 'c': return ALG_H_CONTENT_TYPE;
		case 'i': return ALG_H_CALL_ID;
		default: return ALG_H_OTHER;
		}
	case 2: return name_is(s, n, "to") ? ALG_H_TO : ALG_H_OTHER;
	case 3: return name_is(s, n, "via") ? ALG_H_VIA : ALG_H_OTHER;
	case 4: return name_is(s, n, "from") ? ALG_H_FROM :
		       name_is(s, n, "cseq") ? ALG_H_CSEQ : ALG_H_OTHER;
	case 5: return name_is(s, n, "route") ? ALG_H_ROUTE : ALG_H_OTHER;
	case 7: return name_is(s, n, "contact") ? ALG_H_CONTACT :
		       name_is(s, n, "call-id") ? ALG_H_CALL_ID :
		       name_is(s, n, "expires") ? ALG_H_EXPIRES : ALG_H_OTHER;
	case 12: return name_is(s, n, "record-route") ? ALG_H_RECORD_ROUTE :
			name_is(s, n, "content-type") ? ALG_H_CONTENT_TYPE : ALG_H_OTHER;
	case 14: return name_is(s, n, "content-length") ? ALG_H_CONTENT_LENGTH : ALG_H_OTHER;
	default: return ALG_H_OTHER;
	}
}

int alg_hdr_next(struct alg_plan *p, struct alg_hdr_iter *it, struct alg_hdr *h)
{
	size_t pos = it->pos, lf, end, i;

	if (pos >= p->len)
		return alg_fail(p, SIPALG_UNPARSABLE, "no empty line after the headers");
	if (p->msg[pos] == '\n' || (p->msg[pos] == '\r' && pos + 1 < p->len &&
				     p->msg[pos + 1] == '\n')) {
		it->body_off = pos + (p->msg[pos] == '\r' ? 2 : 1);
		return 0;
	}
	if (p->msg[pos] == ' ' || p->msg[pos] == '\t')
		return alg_fail(p, SIPALG_UNPARSABLE, "continuation line without a header");
	/* The header runs to the LF of its last continuation line. */
	lf = line_end(p, pos);
	while (lf + 1 < p->len && (p->msg[lf + 1] == ' ' || p->msg[lf + 1] == '\t'))
		lf = line_end(p, lf + 1);
	if (lf >= p->len)
		return alg_fail(p, SIPALG_UNPARSABLE, "no empty line after the headers");
	end = content_end(p, pos, lf);
	for (i = pos; i < end && is_token_char(p->msg[i]); i++)
		;
	if (i == pos)
		return alg_fail(p, SIPALG_UNPARSABLE, "header line without a name");
	h->name = (struct alg_span){ pos, i - pos };
	while (i < end && (p->msg[i] == ' ' || p->msg[i] == '\t'))
		i++;
	if (i >= end || p->msg[i] != ':')
		return alg_fail(p, SIPALG_UNPARSABLE, "header line without a colon");
	h->value = alg_trim(p->msg, (struct alg_span){ i + 1, end - (i + 1) });
	h->kind = hdr_kind(p->msg + pos, h->name.len);
	it->pos = lf + 1;
	return 1;
}

static const bool elem_special[256] = { ['"'] = 1, ['<'] = 1, ['>'] = 1, [','] = 1 };

int alg_elem_next(const struct alg_plan *p, struct alg_span value, size_t *pos,
		  struct alg_span *elem)
{
	const char *s = p->msg + value.off;
	size_t i = *pos, start;
	bool quoted = false;
	int angle = 0;

	for (;;) {
		if (i >= value.len)
			return 0;
		start = i;
		for (; i < value.len; i++) {
			char c;

			/* most bytes are none of " < > , (a table, one test a byte) */
			while (!quoted && i < value.len && !elem_special[(unsigned char)s[i]])
				i++;
			if (i >= value.len)
				break;
			c = s[i];
			if (quoted) {
				if (c == '\\' && i + 1 < value.len)
					i++;
				else if (c == '"')
					quoted = false;
			} else if (c == '"') {
				quoted = true;
			} else if (c == '<') {
				angle++;
			} else if (c == '>' && angle > 0) {
				angle--;
			} else if (c == ',' && angle == 0) {
				break;
			}
		}
		if (quoted)
			return -1;
		*elem = alg_trim(p->msg, (struct alg_span){ value.off + start, i - start });
		if (i < value.len)
			i++;	/* past the comma */
		*pos = i;
		if (elem->len)
			return 1;
	}
}

/* Offset (within elem) where the header parameters start, or elem.len. */
static size_t params_start(const char *s, size_t n)
{
	bool quoted = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (quoted) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '"')
				quoted = false;
		} else if (s[i] == '"') {
			quoted = true;
		} else if (s[i] == '<') {
			const char *gt = memchr(s + i, '>', n - i);

			if (!gt)
				return n;
			gt++;
			return (size_t)(gt - s);
		} else if (s[i] == ';') {
			return i;
		}
	}
	return n;
}

unsigned alg_elem_params(const struct alg_plan *p, struct alg_span elem,
			 const char *const *names, struct alg_span *vals, unsigned n)
{
	const char *s = p->msg + elem.off;
	size_t i = params_start(s, elem.len);
	unsigned found = 0, k;

	while (i < elem.len) {
		size_t start, stop, eq;
		bool quoted = false;
		struct alg_span nm;

		if (s[i] != ';') {
			i++;
			continue;
		}
		start = ++i;
		for (; i < elem.len; i++) {
			if (quoted) {
				if (s[i] == '\\' && i + 1 < elem.len)
					i++;
				else if (s[i] == '"')
					quoted = false;
			} else if (s[i] == '"') {
				quoted = true;
			} else if (s[i] == ';') {
				break;
			}
		}
		stop = i;
		for (eq = start; eq < stop && s[eq] != '='; eq++)
			;
		nm = alg_trim(p->msg, (struct alg_span){ elem.off + start, eq - start });
		for (k = 0; k < n; k++) {
			if (!(found & (1u << k)) && alg_ieq(p->msg + nm.off, nm.len, names[k])) {
				found |= 1u << k;
				if (eq < stop)
					vals[k] = alg_trim(p->msg, (struct alg_span){
						elem.off + eq + 1, stop - eq - 1 });
				else
					vals[k] = (struct alg_span){ elem.off + stop, 0 };
				break;
			}
		}
	}
	return found;
}

bool alg_elem_param(const struct alg_plan *p, struct alg_span elem,
		    const char *name, struct alg_span *val)
{
	return alg_elem_params(p, elem, &name, val, 1) != 0;
}
