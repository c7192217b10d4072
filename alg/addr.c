/* addr.c - literals of either family: parse, compare, format (addr.h). */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "text.h"

bool alg_ip6_parse(const char *s, size_t n, struct in6_addr *out)
{
	char buf[INET6_ADDRSTRLEN];

	/* inet_pton needs a C string: a bounded copy (a longer token is no
	 * address; a NUL inside would cut it short, so refuse one). */
	if (n < 2 || n >= sizeof(buf) || memchr(s, '\0', n))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1;
}

bool alg_addr_parse(uint8_t family, const char *s, size_t n, struct sipalg_addr *out)
{
	if (family != AF_INET6) {
		if (!alg_ipv4_parse(s, n, &out->ip))
			return false;
		out->family = family;
		return true;
	}
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (!alg_ip6_parse(s, n, &out->ip6))
		return false;
	out->family = AF_INET6;
	return true;
}

size_t alg_format_addr(char *buf, const struct sipalg_addr *a, bool bracket)
{
	size_t n;

	if (!sipalg_addr_is_v6(a))
		return alg_format_ipv4(buf, a->ip);
	/* glibc's inet_ntop writes RFC 5952 text: lower case, the longest zero
	 * run as "::", a mapped IPv4 address dotted. */
	if (!inet_ntop(AF_INET6, &a->ip6, buf + bracket, INET6_ADDRSTRLEN)) {
		buf[0] = '\0';
		return 0;
	}
	n = strlen(buf + bracket) + bracket;
	if (bracket) {
		buf[0] = '[';
		buf[n++] = ']';
		buf[n] = '\0';
	}
	return n;
}

void alg_format_hostport(char *buf, size_t cap, const struct sipalg_addr *a,
			 const char *keep, size_t keep_len, bool had_port, uint16_t port)
{
	size_t n;

	if (cap < ALG_ADDR_TEXT_MAX + 6 || keep_len >= ALG_ADDR_TEXT_MAX) {
		if (cap)
			buf[0] = '\0';
		return;
	}
	if (keep_len) {
		memcpy(buf, keep, keep_len);
		n = keep_len;
	} else {
		n = alg_format_addr(buf, a, true);
	}
	/* A port is written when the original had one, or when leaving it out
	 * would mean 5060 but the new port is something else. */
	if (had_port || port != SIPALG_DEFAULT_PORT) {
		buf[n++] = ':';
		n += alg_format_port(buf + n, port);
	}
	buf[n] = '\0';
}
