/* text.c - bounded helpers for the byte-level scanning the engine does. */
#include <arpa/inet.h>
#include <string.h>

#include "sipalg.h"
#include "text.h"

bool alg_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool alg_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	/* Most calls are misses on the first byte: reject those cheaply (the
	 * 0x20 bit is the only one case folding can change). */
	if (n && (s[0] | 0x20) != (lit[0] | 0x20))
		return false;
	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || (s[i] != lit[i] && lower(s[i]) != lower(lit[i])))
			return false;
	return lit[n] == '\0';
}

/* The strict dotted-quad form inet_pton(AF_INET) accepts, so "010.0.0.1" or
 * "10.1" never compare equal to 10.0.0.1: only what a peer would route. By
 * hand (glibc's inet_pton4 rules: 4 parts of 1-3 digits, each <= 255, no
 * leading zero), without the copy to a C string inet_pton needs; unit test
 * alg_unit holds it against inet_pton. */
bool alg_ipv4_parse(const char *s, size_t n, struct in_addr *out)
{
	uint8_t b[4] = { 0 };
	unsigned part = 0, val = 0;
	bool digit = false;
	size_t i;

	if (n == 0 || n >= INET_ADDRSTRLEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9') {
			if (digit && val == 0)
				return false;		/* leading zero */
			val = val * 10 + (unsigned)(c - '0');
			if (val > 255)
				return false;
			digit = true;
		} else if (c == '.' && digit && part < 3) {
			b[part++] = (uint8_t)val;
			val = 0;
			digit = false;
		} else {
			return false;
		}
	}
	if (!digit || part != 3)
		return false;
	b[3] = (uint8_t)val;
	memcpy(&out->s_addr, b, 4);
	return true;
}

bool alg_uint_parse(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool alg_port_parse(const char *s, size_t n, uint16_t *out)
{
	uint32_t v;

	if (!alg_uint_parse(s, n, 65535, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

/* Decimal digits of v at buf (no NUL); returns how many. */
static size_t put_uint(char *buf, unsigned v)
{
	char tmp[10];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

size_t alg_format_ipv4(char *buf, struct in_addr ip)
{
	const uint8_t *b = (const uint8_t *)&ip.s_addr;	/* network order */
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		n += put_uint(buf + n, b[i]);
	}
	buf[n] = '\0';
	return n;
}

size_t alg_format_port(char *buf, uint16_t port)
{
	size_t n = put_uint(buf, port);

	buf[n] = '\0';
	return n;
}

struct alg_span alg_trim(const char *msg, struct alg_span sp)
{
	while (sp.len && alg_is_lws(msg[sp.off])) {
		sp.off++;
		sp.len--;
	}
	while (sp.len && alg_is_lws(msg[sp.off + sp.len - 1]))
		sp.len--;
	return sp;
}

/* RFC 3261 token characters: a table, as the scanners run it for every byte. */
const bool alg_token_char[256] = {
	['-'] = 1, ['.'] = 1, ['!'] = 1, ['%'] = 1, ['*'] = 1, ['_'] = 1, ['+'] = 1,
	['`'] = 1, ['\''] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};
