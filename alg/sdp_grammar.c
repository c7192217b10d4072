/*
 * sdp_grammar.c - the strict SDP grammar an SDP must meet before any of its
 * bytes changes (RFC 4566 section 9, the parts our rewrites rely on).
 *
 * It replaces libosip2's sdp_message_parse() as the gate, and accepts a
 * subset of what that accepted: the differential fuzzer
 * (tests/fuzz/fuzz_sdp_grammar.c) checks every input this grammar takes
 * against libosip2, and the recorded digests (tests/alg/digests) show that
 * the golden files and the corpus are decided as before. What libosip2 took
 * and this refuses (a doubled space, a tab between fields, six o= fields
 * plus more, a non-numeric m= port, a field name of two letters, a blank
 * line between fields) is left untouched.
 * Why not libosip2: it allocated and freed every line (11k instructions of
 * an outbound INVITE's 39k) to judge lines we then read ourselves anyway.
 *
 * The attribute lines we never rewrite (every a= but a=rtcp:) are skipped,
 * as they were never handed to libosip2 either.
 */
#include <string.h>

#include "sdp_grammar.h"

/* Session and media fields in the order RFC 4566 fixes; *() = repeatable. */
enum field_state {
	S_START, S_V, S_O, S_S, S_I, S_U, S_E, S_P, S_C, S_B, S_T, S_Z, S_K, S_A,
	M_M, M_I, M_C, M_B, M_K, M_A,
};

/* The state after field `type` when the previous one is `st`, or -1 when
 * that order is not allowed. */
static int next_state(int st, char type)
{
	bool media = st >= M_M;

	switch (type) {
	case 'v': return st == S_START ? S_V : -1;
	case 'o': return st == S_V ? S_O : -1;
	case 's': return st == S_O ? S_S : -1;
	case 'i':
		if (media)
			return st == M_M ? M_I : -1;
		return st == S_S ? S_I : -1;
	case 'u': return st == S_S || st == S_I ? S_U : -1;
	case 'e': return st >= S_S && st <= S_E ? S_E : -1;
	case 'p': return st >= S_S && st <= S_P ? S_P : -1;
	case 'c':
		if (media)
			return st >= M_M && st <= M_C ? M_C : -1;
		return st >= S_S && st <= S_P ? S_C : -1;
	case 'b':
		if (media)
			return st >= M_M && st <= M_B ? M_B : -1;
		return st >= S_S && st <= S_B ? S_B : -1;
	case 't': return (st >= S_S && st <= S_B) || st == S_T ? S_T : -1;
	case 'r': return st == S_T ? S_T : -1;
	case 'z': return st == S_T ? S_Z : -1;
	case 'k':
		if (media)
			return st >= M_M && st <= M_B ? M_K : -1;
		return st == S_T || st == S_Z ? S_K : -1;
	case 'a':
		if (media)
			return st >= M_M ? M_A : -1;
		return st >= S_T && st <= S_A ? S_A : -1;
	case 'm': return st >= S_T ? M_M : -1;
	default: return -1;
	}
}

/* Bytes a value may hold: no NUL, CR, LF (RFC 4566 byte-string); a field
 * list also no HT (fields are separated by exactly one SP). */
static bool clean(const char *s, size_t n, bool fields)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0' || c == '\r' || c == '\n' || (fields && c == '\t'))
			return false;
	}
	return true;
}

/* Fields separated by single spaces, none empty; a trailing SP is allowed
 * when trailing_sp (m= lines of real phones end in one). The count, or -1. */
static int fields(const char *s, size_t n, bool trailing_sp)
{
	size_t i;
	int k = 1;

	if (n == 0 || s[0] == ' ')
		return -1;
	if (trailing_sp && s[n - 1] == ' ')
		n--;
	if (n == 0 || s[n - 1] == ' ')
		return -1;
	for (i = 1; i < n; i++)
		if (s[i] == ' ') {
			if (s[i - 1] == ' ')
				return -1;
			k++;
		}
	return k;
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* m= port, the second field: 1*DIGIT ["/" 1*DIGIT]. */
static bool media_port(const char *v, size_t n)
{
	const char *s = memchr(v, ' ', n), *end, *slash;

	if (!s)
		return false;
	s++;
	end = memchr(s, ' ', n - (size_t)(s - v));
	if (!end)
		return false;
	slash = memchr(s, '/', (size_t)(end - s));
	if (slash)
		return all_digits(s, (size_t)(slash - s)) &&
		       all_digits(slash + 1, (size_t)(end - slash - 1));
	return all_digits(s, (size_t)(end - s));
}

/* c= address, the third field: addr ["/" ttl ["/" count]], digits after each '/'. */
static bool conn_addr(const char *v, size_t n)
{
	const char *a = memchr(v, ' ', n), *end = v + n, *slash;
	unsigned parts = 0;

	a = a ? memchr(a + 1, ' ', (size_t)(end - a - 1)) : NULL;
	if (!a)
		return false;
	a++;
	slash = memchr(a, '/', (size_t)(end - a));
	if (!slash)
		return a < end;
	if (slash == a)
		return false;
	while (slash) {
		const char *next = memchr(slash + 1, '/', (size_t)(end - slash - 1));
		const char *stop = next ? next : end;

		if (++parts > 2 || !all_digits(slash + 1, (size_t)(stop - slash - 1)))
			return false;
		slash = next;
	}
	return true;
}

static bool value_ok(char type, const char *v, size_t n)
{
	const char *colon;

	if (n == 0 || !clean(v, n, type == 'o' || type == 'c' || type == 't' || type == 'm'))
		return false;
	switch (type) {
	case 'o': return fields(v, n, false) == 6;
	case 'c': return fields(v, n, false) == 3 && conn_addr(v, n);
	case 't': return fields(v, n, false) == 2;
	case 'm': return fields(v, n, true) >= 4 && media_port(v, n);
	case 'a':		/* a=rtcp: (the only a= seen here) needs a value */
		return n > 5;
	case 'b':		/* bwtype ":" bandwidth */
		colon = memchr(v, ':', n);
		return colon && colon != v && colon != v + n - 1;
	case 'k':		/* method [":" key], neither empty */
		colon = memchr(v, ':', n);
		return !colon || (colon != v && colon != v + n - 1);
	default:
		return true;
	}
}

/* Attribute lines we never rewrite: every a= line except a=rtcp:. */
bool alg_sdp_untouched_attribute(const char *s, size_t n)
{
	return n >= 2 && s[0] == 'a' && s[1] == '=' &&
	       !(n >= 7 && (s[2] | 0x20) == 'r' && (s[3] | 0x20) == 't' &&
		 (s[4] | 0x20) == 'c' && (s[5] | 0x20) == 'p' && s[6] == ':');
}

bool alg_sdp_grammar_ok(const char *sdp, size_t len)
{
	size_t pos = 0;
	int st = S_START;
	bool blank_after = false;

	while (pos < len) {
		const char *s = sdp + pos;
		const char *lf = memchr(s, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - s) : len - pos;

		pos += n + (lf != NULL);
		if (n && s[n - 1] == '\r')
			n--;
		/* Blank lines only before the first field (a Cisco phone was
		 * seen to start its SDP with one) and after the last: libosip2
		 * stopped reading at a blank line inside. */
		if (n == 0) {
			blank_after = st != S_START;
			continue;
		}
		if (blank_after)
			return false;
		if (alg_sdp_untouched_attribute(s, n))
			continue;
		if (n < 2 || s[1] != '=')
			return false;
		st = next_state(st, s[0]);
		if (st < 0 || !value_ok(s[0], s + 2, n - 2))
			return false;
	}
	/* v= o= s= and at least one t= */
	return st >= S_T;
}
