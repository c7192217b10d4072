/* sip_check.c - see sip_check.h. Deliberately simple: line by line. */
#include "sip_check.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Offset of the body (after CRLFCRLF), or -1. */
static long body_offset(const uint8_t *m, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (!memcmp(m + i, "\r\n\r\n", 4))
			return (long)(i + 4);
	return -1;
}

bool sip_looks_like(const uint8_t *m, size_t len)
{
	if (len >= 8 && !memcmp(m, "SIP/2.0 ", 8))
		return true;
	for (size_t i = 0; i + 9 <= len && m[i] != '\r'; i++)
		if (!memcmp(m + i, " SIP/2.0\r", 9))
			return true;
	return false;
}

/* Iterate header lines: returns the next line [*s, *e) or false at the end. */
static bool next_line(const uint8_t *m, size_t end, size_t *pos, size_t *s, size_t *e)
{
	if (*pos >= end)
		return false;
	*s = *pos;
	while (*pos < end && m[*pos] != '\n')
		(*pos)++;
	*e = *pos;
	if (*e > *s && m[*e - 1] == '\r')
		(*e)--;
	if (*pos < end)
		(*pos)++;
	return true;
}

/* Header name of line [s, e) equals name (case-insensitive)? value starts at *v. */
static bool header_is(const uint8_t *m, size_t s, size_t e, const char *name, size_t *v)
{
	size_t n = strlen(name), i = s + n;

	if (e - s < n + 1 || strncasecmp((const char *)m + s, name, n))
		return false;
	while (i < e && (m[i] == ' ' || m[i] == '\t'))
		i++;
	if (i >= e || m[i] != ':')
		return false;
	*v = i + 1;
	return true;
}

long sip_frame_length(const uint8_t *m, size_t len)
{
	long body = body_offset(m, len);
	size_t pos = 0, s = 0, e = 0, v = 0;

	if (body < 0)
		return 0;
	next_line(m, (size_t)body, &pos, &s, &e);
	while (next_line(m, (size_t)body, &pos, &s, &e) && e > s) {
		if (header_is(m, s, e, "Content-Length", &v) || header_is(m, s, e, "l", &v)) {
			while (v < e && m[v] == ' ')
				v++;
			if (v >= e || !isdigit(m[v]))
				return -1;
			long cl = strtol((const char *)m + v, NULL, 10);
			return (size_t)body + (size_t)cl <= len ? body + cl : 0;
		}
	}
	return -1;
}

int sip_check_content_length(const uint8_t *m, size_t len, char *why, size_t n)
{
	long body = body_offset(m, len);
	size_t pos = 0, s = 0, e = 0, v = 0;
	long cl = -1;

	if (body < 0) {
		snprintf(why, n, "no end of headers");
		return -1;
	}
	next_line(m, (size_t)body, &pos, &s, &e);	/* start line */
	while (next_line(m, (size_t)body, &pos, &s, &e) && e > s) {
		if (header_is(m, s, e, "Content-Length", &v) || header_is(m, s, e, "l", &v)) {
			char num[16] = "";
			size_t k = 0;
			while (v < e && m[v] == ' ')
				v++;
			while (v < e && isdigit(m[v]) && k < sizeof(num) - 1)
				num[k++] = (char)m[v++];
			cl = k ? atol(num) : -2;
		}
	}
	if (cl == -1 && (size_t)body == len)
		return 0;	/* no header, no body: fine over UDP */
	if (cl != (long)(len - (size_t)body)) {
		snprintf(why, n, "Content-Length %ld, body %zu bytes", cl, len - (size_t)body);
		return -1;
	}
	return 0;
}

/* Any dotted quad in [s, e) inside net/mask? */
static bool names_inside(const uint8_t *m, size_t s, size_t e, struct in_addr net,
			 struct in_addr mask)
{
	for (size_t i = s; i < e; i++) {
		char cand[16];
		size_t k = 0;
		struct in_addr a;

		/* A quad inside a token (branch=...e192.168.1.2) is no address. */
		if (!isdigit(m[i]) || (i > s && (isalnum(m[i - 1]) || m[i - 1] == '.' ||
						 m[i - 1] == '-' || m[i - 1] == '_')))
			continue;
		while (i + k < e && k < 15 && (isdigit(m[i + k]) || m[i + k] == '.'))
			k++;
		memcpy(cand, m + i, k);
		cand[k] = '\0';
		if (k && cand[k - 1] == '.')
			cand[k - 1] = '\0';
		if (inet_pton(AF_INET, cand, &a) == 1 &&
		    (a.s_addr & mask.s_addr) == net.s_addr)
			return true;
	}
	return false;
}

int sip_find_inside_leak(const uint8_t *m, size_t len, struct in_addr net,
			 struct in_addr mask, char *what, size_t n)
{
	static const char *const hdrs[] = { "Via", "v", "Contact", "m" };
	long body = body_offset(m, len);
	size_t hend = body < 0 ? len : (size_t)body;
	size_t pos = 0, s = 0, e = 0, v = 0;

	next_line(m, hend, &pos, &s, &e);
	while (next_line(m, hend, &pos, &s, &e) && e > s) {
		for (size_t h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++) {
			if (header_is(m, s, e, hdrs[h], &v) && names_inside(m, v, e, net, mask)) {
				snprintf(what, n, "%.*s", (int)(e - s), (const char *)m + s);
				return 1;
			}
		}
	}
	pos = hend;
	while (body >= 0 && next_line(m, len, &pos, &s, &e)) {
		if (e - s >= 2 && (m[s] == 'c' || m[s] == 'o') && m[s + 1] == '=' &&
		    names_inside(m, s + 2, e, net, mask)) {
			snprintf(what, n, "%.*s", (int)(e - s), (const char *)m + s);
			return 1;
		}
	}
	return 0;
}

long sdp_media_port(const uint8_t *m, size_t len, unsigned idx)
{
	long body = body_offset(m, len);
	size_t pos, s = 0, e = 0;
	unsigned seen = 0;

	if (body < 0)
		return -1;
	pos = (size_t)body;
	while (next_line(m, len, &pos, &s, &e)) {
		if (e - s < 2 || m[s] != 'm' || m[s + 1] != '=')
			continue;
		if (seen++ != idx)
			continue;
		size_t i = s + 2;
		while (i < e && m[i] != ' ')
			i++;
		return i < e ? strtol((const char *)m + i + 1, NULL, 10) : -1;
	}
	return -1;
}

bool sip_header_has(const uint8_t *m, size_t len, const char *name, const char *needle)
{
	long body = body_offset(m, len);
	size_t hend = body < 0 ? len : (size_t)body;
	size_t pos = 0, s = 0, e = 0, v = 0;

	next_line(m, hend, &pos, &s, &e);
	while (next_line(m, hend, &pos, &s, &e) && e > s) {
		if (header_is(m, s, e, name, &v))
			return memmem(m + v, e - v, needle, strlen(needle)) != NULL;
	}
	return false;
}

bool sip_body_has(const uint8_t *m, size_t len, const char *needle)
{
	long body = body_offset(m, len);

	return body >= 0 && memmem(m + body, len - (size_t)body, needle, strlen(needle));
}

static bool alg_line(const uint8_t *m, size_t s, size_t e, bool in_body)
{
	static const char *const hdrs[] = {
		"Via", "v", "Contact", "m", "Record-Route", "Route", "Content-Length", "l",
	};
	static const char *const sdp[] = { "o=", "c=", "m=", "a=rtcp:" };
	size_t v;

	if (in_body) {
		for (size_t i = 0; i < sizeof(sdp) / sizeof(sdp[0]); i++)
			if (e - s >= strlen(sdp[i]) && !memcmp(m + s, sdp[i], strlen(sdp[i])))
				return true;
		return false;
	}
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		if (header_is(m, s, e, hdrs[i], &v))
			return true;
	return false;
}

int sip_only_alg_lines_changed(const uint8_t *b, size_t blen,
			       const uint8_t *a, size_t alen, char *what, size_t n)
{
	size_t pb = 0, pa = 0, sb = 0, eb = 0, sa = 0, ea = 0;
	unsigned line = 0;
	bool body = false;

	for (;; line++) {
		bool hb = next_line(b, blen, &pb, &sb, &eb);
		bool ha = next_line(a, alen, &pa, &sa, &ea);

		if (!hb || !ha) {
			if (hb != ha) {
				snprintf(what, n, "line count differs after line %u", line);
				return -1;
			}
			return 0;
		}
		bool same = eb - sb == ea - sa && !memcmp(b + sb, a + sa, eb - sb);
		bool request_line = line == 0 && !(blen >= 8 && !memcmp(b, "SIP/2.0 ", 8));
		if (!same && !request_line && !alg_line(b, sb, eb, body)) {
			snprintf(what, n, "line %u changed: '%.*s' -> '%.*s'", line + 1,
				 (int)(eb - sb), (const char *)b + sb, (int)(ea - sa),
				 (const char *)a + sa);
			return -1;
		}
		if (eb == sb)
			body = true;	/* the blank line: SDP from here */
	}
}

char *sip_test_message(const char *head, const char *body)
{
	size_t n = strlen(head) + strlen(body) + 64;
	char *m = malloc(n);

	if (m)
		snprintf(m, n, "%sContent-Length: %zu\r\n\r\n%s", head, strlen(body), body);
	return m;
}
