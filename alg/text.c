/* text.c - bounded helpers for the byte-level scanning the engine does. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "alg_internal.h"

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

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || lower(s[i]) != lower(lit[i]))
			return false;
	return lit[n] == '\0';
}

/* inet_pton accepts only the strict dotted-quad form, so "010.0.0.1" or
 * "10.1" never compare equal to 10.0.0.1: only what a peer would route. */
bool alg_ipv4_parse(const char *s, size_t n, struct in_addr *out)
{
	char buf[INET_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, out) == 1;
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

void alg_format_hostport(char *buf, size_t cap, struct in_addr ip,
			 bool had_port, uint16_t port)
{
	char ipt[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, ipt, sizeof(ipt));
	/* A port is written when the original had one, or when leaving it out
	 * would mean 5060 but the new port is something else. */
	if (had_port || port != SIPALG_DEFAULT_PORT)
		snprintf(buf, cap, "%s:%u", ipt, (unsigned)port);
	else
		snprintf(buf, cap, "%s", ipt);
}

bool alg_copy_value(const struct alg_plan *p, struct alg_span sp, char *buf, size_t cap)
{
	size_t i;

	if (sp.len >= cap)
		return false;
	for (i = 0; i < sp.len; i++) {
		char c = p->msg[sp.off + i];
		buf[i] = (c == '\r' || c == '\n') ? ' ' : c;
	}
	buf[sp.len] = '\0';
	return true;
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
