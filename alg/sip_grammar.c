/*
 * sip_grammar.c - strict RFC 3261 grammar for the header values we rewrite.
 *
 * It replaces libosip2's osip_via_parse() as the gate of a Via rewrite and
 * accepts a subset of what that accepted with the same host and port: the
 * differential fuzzer (tests/fuzz/fuzz_sip_grammar.c) checks that for every
 * input the grammar takes, and the recorded digests (tests/alg/digests) show
 * the golden files and the corpus decided as before. libosip2 cost an
 * allocation per parameter to parse and free them (10k instructions of a
 * 200 OK's 21k), to read a host and port the grammar finds itself.
 */
#include <string.h>

#include "sip_grammar.h"
#include "text.h"

/* White space: SP, and CR/LF of a folded line. Not HT: libosip2 looks for
 * SP between the parts of a Via (sent-protocol HT sent-by it refused). */
static bool is_ws(char c)
{
	return c == ' ' || c == '\r' || c == '\n';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}


static bool is_token(char c)
{
	return alg_token_char[(unsigned char)c];
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static size_t sws(const char *s, size_t n, size_t i)
{
	while (i < n && is_ws(s[i]))
		i++;
	return i;
}

static size_t token(const char *s, size_t n, size_t i)
{
	while (i < n && is_token(s[i]))
		i++;
	return i;
}

/* IPv6 reference "[" hex/":"/"." "]": the index after it, or start on failure. */
static size_t ipv6_reference(const char *s, size_t n, size_t i)
{
	size_t j = i + 1;

	if (i >= n || s[i] != '[')
		return i;
	while (j < n && (is_hex(s[j]) || s[j] == ':' || s[j] == '.'))
		j++;
	if (j == i + 1 || j >= n || s[j] != ']')
		return i;
	return j + 1;
}

/* host = hostname / IPv4address / IPv6reference: letters, digits, '-', '.'
 * and '_' (seen in real host names), starting with a letter or digit. */
static size_t host(const char *s, size_t n, size_t i)
{
	size_t j;

	if (i < n && s[i] == '[')
		return ipv6_reference(s, n, i);
	if (i >= n || !is_alnum(s[i]))
		return i;
	for (j = i; j < n && (is_alnum(s[j]) || s[j] == '-' || s[j] == '.' || s[j] == '_'); j++)
		;
	return j;
}

/* host [ COLON port ] at s[i]; COLON = SWS ":" SWS when lws_colon. */
static bool hostport(const char *s, size_t n, size_t i, bool lws_colon, struct alg_hostport *hp)
{
	size_t j = host(s, n, i), k;

	memset(hp, 0, sizeof(*hp));
	if (j == i)
		return false;
	hp->host_off = i;
	hp->host_len = j - i;
	hp->end = j;
	k = lws_colon ? sws(s, n, j) : j;
	if (k < n && s[k] == ':') {
		k = lws_colon ? sws(s, n, k + 1) : k + 1;
		hp->port_off = k;
		while (k < n && is_digit(s[k]))
			k++;
		hp->port_len = k - hp->port_off;
		/* 1 to 5 digits: libosip2 refuses longer ones */
		if (hp->port_len == 0 || hp->port_len > 5)
			return false;
		hp->has_port = true;
		hp->end = k;
	}
	return true;
}

/* A via-params value, possibly empty: any visible characters but ';' ','
 * and '"'. Loose on purpose: phones put addresses with ports and '@' in
 * branch= and received= (libosip2 took them), and we rewrite no value of
 * another grammar than a dotted quad or a port, each checked where it is
 * used; quotes, parentheses and angle brackets are refused: readers split
 * quoted ';' differently, libosip2 takes '(' for the start of a comment, and
 * our parameter scanner jumps over <...>. */
static size_t via_value(const char *s, size_t n, size_t i)
{
	while (i < n && (unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f &&
	       s[i] != ';' && s[i] != ',' && s[i] != '"' && s[i] != '(' && s[i] != ')' &&
	       s[i] != '<' && s[i] != '>')
		i++;
	return i;
}

/* Which of received/rport/maddr s[0,n) names (any case), or -1. */
static int via_param_kind(const char *s, size_t n)
{
	static const char *const names[ALG_VIA_NPARAMS] = { "received", "rport", "maddr" };
	int k;

	for (k = 0; k < ALG_VIA_NPARAMS; k++) {
		size_t i;

		if (strlen(names[k]) != n)
			continue;
		for (i = 0; i < n && (s[i] | 0x20) == names[k][i]; i++)
			;
		if (i == n)
			return k;
	}
	return -1;
}

bool alg_via_grammar(const char *s, size_t n, struct alg_hostport *hp,
		     struct alg_via_params *vp)
{
	size_t i = 0, j;
	int part;

	vp->found = 0;
	/* sent-protocol = protocol-name SLASH protocol-version SLASH transport */
	for (part = 0; part < 3; part++) {
		j = token(s, n, i);
		if (j == i)
			return false;
		i = sws(s, n, j);
		if (part < 2) {
			if (i >= n || s[i] != '/')
				return false;
			i = sws(s, n, i + 1);
		} else if (i == j) {
			return false;		/* LWS before sent-by */
		}
	}
	if (!hostport(s, n, i, true, hp))
		return false;
	i = sws(s, n, hp->end);
	while (i < n) {			/* *( SEMI via-params ) */
		size_t voff, vend;
		int kind;

		if (s[i] != ';')
			return false;
		i = sws(s, n, i + 1);
		j = token(s, n, i);
		if (j == i)
			return false;
		kind = via_param_kind(s + i, j - i);
		i = sws(s, n, j);
		voff = i;
		vend = i;
		if (i < n && s[i] == '=') {
			i = sws(s, n, i + 1);
			j = via_value(s, n, i);
			/* an empty value only at the end (libosip2 took "branch=" last
			 * but not "branch=;rport") */
			if (j == i && j < n)
				return false;
			voff = i;
			vend = j;
			i = sws(s, n, j);
		}
		if (kind >= 0 && !(vp->found & (1u << kind))) {
			vp->found |= 1u << kind;
			vp->off[kind] = voff;
			vp->len[kind] = vend - voff;
		}
	}
	return true;
}

/* user / password characters we take without a second opinion: unreserved,
 * %HH escapes and the user-unreserved ones but ';' '?' '/' (RFC 3261 25.1). */
static bool is_user_char(char c)
{
	return is_alnum(c) || (c && strchr("-_.!~*'()%&=+$,", c));
}

/* uri-parameter characters: unreserved, %HH and param-unreserved. */
static bool is_param_char(char c)
{
	return is_alnum(c) || (c && strchr("-_.!~*'()%[]/:&+$", c));
}

static bool escapes_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '%' && (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2])))
			return false;
	return true;
}

/* sip-uri at s[i, end): the index after it, or 0 on anything outside the
 * fast path. In angle brackets the URI runs to end and may carry
 * uri-params; bare (an addr-spec), ';' starts the header params, so the URI
 * has none. */
static size_t sip_uri(const char *s, size_t i, size_t end, bool in_angle,
		      struct alg_hostport *hp)
{
	size_t j, at = 0, k;

	if (end - i >= 4 && (s[i] | 0x20) == 's' && (s[i + 1] | 0x20) == 'i' &&
	    (s[i + 2] | 0x20) == 'p' && s[i + 3] == ':')
		i += 4;
	else if (end - i >= 5 && (s[i] | 0x20) == 's' && (s[i + 1] | 0x20) == 'i' &&
		 (s[i + 2] | 0x20) == 'p' && (s[i + 3] | 0x20) == 's' && s[i + 4] == ':')
		i += 5;
	else
		return 0;
	/* userinfo: only user/password characters up to the one '@' */
	for (j = i; j < end && (is_user_char(s[j]) || s[j] == ':'); j++)
		;
	if (j < end && s[j] == '@') {
		const char *colon = memchr(s + i, ':', j - i);

		/* user [ ":" password ], both non-empty, one colon */
		if (j == i || !escapes_ok(s + i, j - i) || s[i] == ':' ||
		    (colon && (colon == s + j - 1 ||
			       memchr(colon + 1, ':', (size_t)(s + j - colon - 1)))))
			return 0;
		at = j + 1;
	}
	if (at)
		i = at;
	/* one-letter hosts aside: libosip2 misreads "<sip:r>" (no address is) */
	if (!hostport(s, end, i, false, hp) || hp->host_len < 2)
		return 0;
	/* a host that runs on into user characters is not the host: no '@' seen */
	j = hp->end;
	if (!in_angle)
		return j;
	while (j < end && s[j] == ';') {	/* uri-parameters */
		k = j + 1;
		while (k < end && (is_param_char(s[k]) || s[k] == '='))
			k++;
		if (k == j + 1 || !escapes_ok(s + j + 1, k - j - 1))
			return 0;
		j = k;
	}
	return j;
}

/* A header parameter value: token, host (IPv6 reference), or a quoted
 * string without escapes. The index after it, or 0. */
static size_t param_value(const char *s, size_t n, size_t i)
{
	size_t j;

	if (i < n && s[i] == '"') {
		for (j = i + 1; j < n && s[j] != '"'; j++)
			if (s[j] == '\\' || s[j] == '\r' || s[j] == '\n' || s[j] == '\0')
				return 0;
		return j < n ? j + 1 : 0;
	}
	if (i < n && s[i] == '[') {
		j = ipv6_reference(s, n, i);
		return j == i ? 0 : j;
	}
	j = token(s, n, i);
	return j == i ? 0 : j;
}

bool alg_uri_elem_fast(const char *s, size_t n, struct alg_hostport *hp)
{
	size_t i = 0, j;

	if (n && s[0] == '"') {			/* quoted display name, no escapes */
		for (i = 1; i < n && s[i] != '"'; i++)
			if (s[i] == '\\' || s[i] == '\0')
				return false;
		if (i >= n)
			return false;
		i = sws(s, n, i + 1);
		if (i >= n || s[i] != '<')
			return false;
	} else {				/* tokens, then '<'; or a bare URI */
		j = i;
		/* no '*': libosip2 takes a Contact that starts with it for "*" */
		while (j < n && ((is_token(s[j]) && s[j] != '*') || s[j] == ' '))
			j++;
		if (j < n && s[j] == '<')
			i = j;
	}
	if (i < n && s[i] == '<') {
		const char *gt = memchr(s + i, '>', n - i);

		if (!gt)
			return false;
		j = (size_t)(gt - s);
		if (sip_uri(s, i + 1, j, true, hp) != j)
			return false;
		i = j + 1;
	} else {
		/* a bare addr-spec with white space anywhere is libosip2's: it
		 * misread "sip:68:5060" followed by folded spaces */
		if (memchr(s, ' ', n) || memchr(s, '\t', n))
			return false;
		j = sip_uri(s, 0, n, false, hp);
		if (!j)
			return false;
		i = j;
	}
	i = sws(s, n, i);
	while (i < n) {				/* *( SEMI generic-param ) */
		if (s[i] != ';')
			return false;
		i = sws(s, n, i + 1);
		j = token(s, n, i);
		if (j == i)
			return false;
		i = sws(s, n, j);
		if (i < n && s[i] == '=') {
			i = sws(s, n, i + 1);
			j = param_value(s, n, i);
			if (!j)
				return false;
			i = sws(s, n, j);
		}
	}
	return true;
}

bool alg_sip_uri_fast(const char *s, size_t n, struct alg_hostport *hp)
{
	return n && sip_uri(s, 0, n, true, hp) == n;
}
