/* scope.c - where the ALG applies; see scope.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scope.h"

/* Copy the next comma-separated item of *p into item (trimmed). 1, 0 at the end, -1 too long. */
static int next_item(const char **p, char *item, size_t cap)
{
	const char *s = *p, *e;
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return 0;
	e = strchr(s, ',');
	if (!e)
		e = s + strlen(s);
	*p = *e ? e + 1 : e;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	len = (size_t)(e - s);
	if (len >= cap)
		return -1;
	memcpy(item, s, len);
	item[len] = '\0';
	return 1;
}

/* An interface name as nft takes it: a trailing + or * is a prefix wildcard (written *). */
static int parse_ifname(const char *v, char *out, char *why, size_t n)
{
	size_t len = strlen(v);

	if (len == 0 || len >= NAT_IFNAME_MAX) {
		snprintf(why, n, "bad interface name '%s' (expected 1..%d characters)", v,
			 NAT_IFNAME_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		bool wild = i == len - 1 && (c == '+' || c == '*') && len > 1;

		if (!wild && !isalnum(c) && c != '-' && c != '_' && c != '.' && c != '@') {
			snprintf(why, n, "bad interface name '%s': '%c' (expected letters, digits, - _ . and a trailing + for a prefix)", v, c);
			return -1;
		}
	}
	memcpy(out, v, len + 1);
	if (out[len - 1] == '+')
		out[len - 1] = '*';
	return 0;
}

/* Clear the bits past prefix of an address of len bytes; were any set? */
static bool clear_host_bits(uint8_t *a, size_t len, unsigned prefix)
{
	bool had = false;

	for (size_t i = 0; i < len; i++) {
		unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
		uint8_t mask = keep ? (uint8_t)(0xff << (8 - keep)) : 0;

		had |= (a[i] & ~mask) != 0;
		a[i] &= mask;
	}
	return had;
}

/* Does a (len bytes) lie in net/prefix? */
static bool in_net(const uint8_t *a, const uint8_t *net, size_t len, unsigned prefix)
{
	uint8_t c[16];

	memcpy(c, a, len);
	clear_host_bits(c, len, prefix);
	return memcmp(c, net, len) == 0;
}

void nat_scope_net_text(const struct nat_scope_net *n, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(n->v6 ? AF_INET6 : AF_INET, n->v6 ? (const void *)&n->net6 : (const void *)&n->net,
		  a, sizeof(a));
	snprintf(buf, cap, "%s/%u", a, n->prefix);
}

/* "10.8.0.0/24", "10.8.0.5" (a /32), "fd00:8::/64", "fd00:8::1" (a /128). Host bits
 * must be clear: a typo otherwise. */
static int parse_net(const char *v, struct nat_scope_net *out, char *why, size_t n)
{
	char addr[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	bool v6 = memchr(v, ':', alen) != NULL;
	unsigned long max = v6 ? 128 : 32, prefix = max;
	uint8_t *bytes = v6 ? out->net6.s6_addr : (uint8_t *)&out->net.s_addr;
	char *end;

	memset(out, 0, sizeof(*out));
	out->v6 = v6;
	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, v, alen);
	addr[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bytes) != 1)
		goto bad;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]))
			goto bad;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end || prefix > max)
			goto bad;
	}
	out->prefix = (uint8_t)prefix;
	if (clear_host_bits(bytes, v6 ? 16 : 4, (unsigned)prefix)) {
		nat_scope_net_text(out, text, sizeof(text));
		snprintf(why, n, "'%s' has host bits set (expected a network address, e.g. %s)", v, text);
		return -1;
	}
	return 0;
bad:
	snprintf(why, n, "bad subnet '%s' (expected an address or address/prefix, e.g. 10.8.0.0/24 or fd00:8::/64)", v);
	return -1;
}

/* An IPv4 subnet, or anything with a ':' (no interface name has one): an IPv6 one */
static bool looks_like_addr(const char *v)
{
	return (isdigit((unsigned char)v[0]) && strspn(v, "0123456789./") == strlen(v)) ||
	       strchr(v, ':') != NULL;
}

int nat_scope_parse_ifaces(const char *v, struct nat_scope *s, char *why, size_t n)
{
	char item[64];
	unsigned count = 0;
	int r;

	while ((r = next_item(&v, item, sizeof(item))) != 0) {
		if (r < 0) {
			snprintf(why, n, "an item is too long (expected interface names)");
			return -1;
		}
		if (count == NAT_SCOPE_MAX) {
			snprintf(why, n, "more than %d interfaces", NAT_SCOPE_MAX);
			return -1;
		}
		if (parse_ifname(item, s->ifaces[count], why, n) < 0)
			return -1;
		count++;
	}
	s->n_ifaces = count;
	return 0;
}

int nat_scope_parse_exclude(const char *v, struct nat_scope *s, char *why, size_t n)
{
	char item[64];
	unsigned ni = 0, nn = 0;
	int r;

	while ((r = next_item(&v, item, sizeof(item))) != 0) {
		if (r < 0) {
			snprintf(why, n, "an item is too long (expected interface names or subnets)");
			return -1;
		}
		if (looks_like_addr(item)) {
			if (nn == NAT_SCOPE_MAX) {
				snprintf(why, n, "more than %d subnets", NAT_SCOPE_MAX);
				return -1;
			}
			if (parse_net(item, &s->ex_nets[nn], why, n) < 0)
				return -1;
			nn++;
		} else {
			if (ni == NAT_SCOPE_MAX) {
				snprintf(why, n, "more than %d interfaces", NAT_SCOPE_MAX);
				return -1;
			}
			if (parse_ifname(item, s->ex_ifaces[ni], why, n) < 0)
				return -1;
			ni++;
		}
	}
	s->n_ex_ifaces = ni;
	s->n_ex_nets = nn;
	return 0;
}

bool nat_scope_excluded_addr(const struct nat_scope *s, struct in_addr a)
{
	for (unsigned i = 0; i < s->n_ex_nets; i++)
		if (!s->ex_nets[i].v6 && in_net((const uint8_t *)&a.s_addr,
						 (const uint8_t *)&s->ex_nets[i].net.s_addr, 4,
						 s->ex_nets[i].prefix))
			return true;
	return false;
}

bool nat_scope_excluded_addr6(const struct nat_scope *s, const struct in6_addr *a)
{
	for (unsigned i = 0; i < s->n_ex_nets; i++)
		if (s->ex_nets[i].v6 &&
		    in_net(a->s6_addr, s->ex_nets[i].net6.s6_addr, 16, s->ex_nets[i].prefix))
			return true;
	return false;
}

bool nat_scope_is_default(const struct nat_scope *s)
{
	return !s->n_ifaces && !s->n_ex_ifaces && !s->n_ex_nets;
}

struct out {
	char *buf;
	size_t cap, len;
	bool overflow;
};

static void put(struct out *o, const char *text)
{
	size_t l = strlen(text);

	if (o->overflow || l >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, text, l + 1);
	o->len += l;
}

static void put_ifset(struct out *o, const char names[][NAT_IFNAME_MAX], unsigned count)
{
	char q[NAT_IFNAME_MAX + 4];

	put(o, "{ ");
	for (unsigned i = 0; i < count; i++) {
		snprintf(q, sizeof(q), "%s\"%s\"", i ? ", " : "", names[i]);
		put(o, q);
	}
	put(o, " }");
}

/* the excluded subnets of one family; how many */
static unsigned count_nets(const struct nat_scope *s, bool v6)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_ex_nets; i++)
		n += s->ex_nets[i].v6 == v6;
	return n;
}

static void put_netset(struct out *o, const struct nat_scope *s, bool v6)
{
	char item[INET6_ADDRSTRLEN + 8];
	bool first = true;

	put(o, "{ ");
	for (unsigned i = 0; i < s->n_ex_nets; i++) {
		if (s->ex_nets[i].v6 != v6)
			continue;
		if (!first)
			put(o, ", ");
		first = false;
		nat_scope_net_text(&s->ex_nets[i], item, sizeof(item));
		put(o, item);
	}
	put(o, " }");
}

int nat_scope_nft(const struct nat_scope *s, bool postrouting, bool v6, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	/* before routing the packet has no output interface yet: ask the route */
	const char *oif = postrouting ? "oifname" : "fib daddr oifname";

	if (!cap)
		return -1;
	buf[0] = '\0';
	if (s->n_ex_ifaces) {
		put(&o, "\t\tiifname ");
		put_ifset(&o, s->ex_ifaces, s->n_ex_ifaces);
		put(&o, " return\n\t\t");
		put(&o, oif);
		put(&o, " ");
		put_ifset(&o, s->ex_ifaces, s->n_ex_ifaces);
		put(&o, " return\n");
	}
	if (count_nets(s, v6)) {	/* each table, its own family's subnets */
		put(&o, v6 ? "\t\tip6 saddr " : "\t\tip saddr ");
		put_netset(&o, s, v6);
		put(&o, v6 ? " return\n\t\tip6 daddr " : " return\n\t\tip daddr ");
		put_netset(&o, s, v6);
		put(&o, " return\n");
	}
	if (s->n_ifaces) {
		/* both conditions: neither end of the packet is a listed interface */
		put(&o, "\t\tiifname != ");
		put_ifset(&o, s->ifaces, s->n_ifaces);
		put(&o, " ");
		put(&o, oif);
		put(&o, " != ");
		put_ifset(&o, s->ifaces, s->n_ifaces);
		put(&o, " return\n");
	}
	return o.overflow ? -1 : 0;
}
