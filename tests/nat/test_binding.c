/* nat_binding: NAT binding and direction from hand-built conntrack objects. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>

#include "binding.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void set_tuple(struct nf_conntrack *ct, int src, int dst, int sport, int dport,
		      const char *a, const char *b, uint16_t pa, uint16_t pb)
{
	nfct_set_attr_u32(ct, src, inet_addr(a));
	nfct_set_attr_u32(ct, dst, inet_addr(b));
	nfct_set_attr_u16(ct, sport, htons(pa));
	nfct_set_attr_u16(ct, dport, htons(pb));
}

static struct nf_conntrack *make_ct(const char *o_src, uint16_t o_sp, const char *o_dst, uint16_t o_dp,
				    const char *r_src, uint16_t r_sp, const char *r_dst, uint16_t r_dp,
				    uint32_t status)
{
	struct nf_conntrack *ct = nfct_new();

	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, IPPROTO_UDP);
	set_tuple(ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST,
		  o_src, o_dst, o_sp, o_dp);
	set_tuple(ct, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST, ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST,
		  r_src, r_dst, r_sp, r_dp);
	nfct_set_attr_u32(ct, ATTR_STATUS, status);
	return ct;
}

/* An IPv4 address in full: the engine reads the family (a stale one made it skip
 * the rewrite of whole messages, at random). */
static int is(const struct sipalg_addr *a, const char *ip, uint16_t port)
{
	return a->family == AF_INET && a->ip.s_addr == inet_addr(ip) && a->port == port;
}

/* Leave the stack below us dirty, so that a field the code under test forgets
 * to set reads as 0xa5 bytes rather than whatever happened to be there. */
static void __attribute__((noinline)) dirty_stack(void)
{
	volatile unsigned char junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0xa5;
}

/*
 * nat_flow_from_ct_attrs() on the attributes ct serialises to (what a queued
 * packet's NFQA_CT carries) must give what nat_flow_from_ct() gives on ct,
 * field for field, refusals included; and every cut of those attributes is
 * refused or read, never read past.
 */
static unsigned attr_checks;

static void same_from_attrs(const struct nf_conntrack *ct, bool reply, int want_rc,
			    const struct nat_flow *want)
{
	static char buf[8192];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nat_flow f;
	const void *attrs;
	size_t len;

	struct nf_conntrack *c = nfct_clone(ct);

	/* the library builds a reply tuple only with its own l3/l4 protocol
	 * (ct_fixture.c); it adds IPS_CONFIRMED, which no NAT question reads */
	if (nfct_attr_is_set(c, ATTR_L3PROTO))
		nfct_set_attr_u8(c, ATTR_REPL_L3PROTO, nfct_get_attr_u8(c, ATTR_L3PROTO));
	if (nfct_attr_is_set(c, ATTR_L4PROTO))
		nfct_set_attr_u8(c, ATTR_REPL_L4PROTO, nfct_get_attr_u8(c, ATTR_L4PROTO));
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	(void)nfct_nlmsg_build(nlh, c);	/* its -1 is about creation needs, not the tuples */
	nfct_destroy(c);
	attrs = mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(sizeof(struct nfgenmsg));
	memset(&f, 0xa5, sizeof(f));
	/* a refusal of the library object (an IPv6 ct with IPv4 addresses) has
	 * no NFQA_CT twin: the kernel writes each tuple in its own family */
	if (want_rc == 0) {
		CHECK(nat_flow_from_ct_attrs(attrs, len, reply, &f) == 0);
		CHECK(memcmp(&f, want, sizeof(f)) == 0);
		attr_checks++;
	}
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);	/* ASan: any read past the cut */

		memcpy(copy, attrs, cut);
		(void)nat_flow_from_ct_attrs(copy, cut, reply, &f);
		free(copy);
	}
}

static int from_ct(const struct nf_conntrack *ct, bool reply, struct nat_flow *f)
{
	int rc;

	dirty_stack();
	rc = nat_flow_from_ct(ct, reply, f);
	same_from_attrs(ct, reply, rc, f);
	return rc;
}

static struct nf_conntrack *make_ct6(const char *o_src, uint16_t o_sp, const char *o_dst,
				     uint16_t o_dp, const char *r_src, uint16_t r_sp,
				     const char *r_dst, uint16_t r_dp, uint32_t status)
{
	struct nf_conntrack *ct = nfct_new();
	struct in6_addr a;

	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, IPPROTO_UDP);
	inet_pton(AF_INET6, o_src, &a);
	nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, &a);
	inet_pton(AF_INET6, o_dst, &a);
	nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, &a);
	inet_pton(AF_INET6, r_src, &a);
	nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, &a);
	inet_pton(AF_INET6, r_dst, &a);
	nfct_set_attr(ct, ATTR_REPL_IPV6_DST, &a);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(o_sp));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(o_dp));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(r_sp));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(r_dp));
	nfct_set_attr_u32(ct, ATTR_STATUS, status);
	return ct;
}

static int is6(const struct sipalg_addr *a, const char *ip, uint16_t port)
{
	struct in6_addr x;

	inet_pton(AF_INET6, ip, &x);
	return sipalg_addr_is_v6(a) && !memcmp(&a->ip6, &x, 16) && a->port == port;
}

/* IPv6 (issue 11): routed, NAT66 and a phone whose addresses share the first
 * 32 bits with its peer (no IPv4 word of the address may decide anything). */
static void ipv6(void)
{
	struct nat_flow f;
	struct nf_conntrack *ct;

	ct = make_ct6("2001:db8:1::10", 5060, "2001:db8:5::5", 5060,
		      "2001:db8:5::5", 5060, "2001:db8:1::10", 5060,
		      IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE | IPS_CONFIRMED);
	CHECK(from_ct(ct, false, &f) == 0);
	CHECK(is6(&f.binding.inside, "2001:db8:1::10", 5060));
	CHECK(is6(&f.binding.public, "2001:db8:1::10", 5060));	/* routed: its own */
	CHECK(is6(&f.binding.remote, "2001:db8:5::5", 5060));
	CHECK(is6(&f.master.src, "2001:db8:1::10", 5060) && is6(&f.master.dst, "2001:db8:5::5", 5060));
	CHECK(f.dir == SIPALG_OUTBOUND && !f.natted);
	CHECK(from_ct(ct, true, &f) == 0 && f.dir == SIPALG_INBOUND);
	nfct_destroy(ct);

	/* NAT66: the reply goes to another address - translated */
	ct = make_ct6("fd00::10", 5060, "2001:db8:5::5", 5060,
		      "2001:db8:5::5", 5060, "2001:db8:ff::1", 5060,
		      IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_CONFIRMED);
	CHECK(from_ct(ct, false, &f) == 0);
	CHECK(is6(&f.binding.inside, "fd00::10", 5060) && is6(&f.binding.public, "2001:db8:ff::1", 5060));
	CHECK(f.natted);
	nfct_destroy(ct);

	/* the addresses differ past the first 32 bits only: still translated */
	ct = make_ct6("2001:db8:1::10", 5060, "2001:db8:5::5", 5060,
		      "2001:db8:5::5", 5060, "2001:db8:1::99", 5060,
		      IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_CONFIRMED);
	CHECK(from_ct(ct, false, &f) == 0 && f.natted);
	nfct_destroy(ct);

	/* an IPv6 conntrack without its IPv6 addresses is refused */
	ct = nfct_new();
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, IPPROTO_UDP);
	set_tuple(ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST,
		  "192.168.1.10", "203.0.113.2", 5060, 5060);
	set_tuple(ct, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST, ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST,
		  "203.0.113.2", "192.168.1.10", 5060, 5060);
	CHECK(from_ct(ct, false, &f) == -1);
	nfct_destroy(ct);
}

int main(void)
{
	struct nat_flow f;
	struct nf_conntrack *ct;

	ipv6();

	/* Phone behind masquerade, port changed by SNAT. */
	ct = make_ct("192.168.1.10", 5060, "203.0.113.2", 5060,
		     "203.0.113.2", 5060, "203.0.113.1", 61000,
		     IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_CONFIRMED);
	CHECK(from_ct(ct, false, &f) == 0);
	CHECK(is(&f.binding.inside, "192.168.1.10", 5060));
	CHECK(is(&f.binding.public, "203.0.113.1", 61000));
	CHECK(is(&f.binding.remote, "203.0.113.2", 5060));
	CHECK(f.dir == SIPALG_OUTBOUND);
	CHECK(is(&f.master.src, "192.168.1.10", 5060));
	CHECK(is(&f.master.dst, "203.0.113.2", 5060));
	CHECK(f.master.l4proto == IPPROTO_UDP);
	CHECK(f.natted);
	CHECK(from_ct(ct, true, &f) == 0);
	CHECK(f.natted);
	CHECK(f.dir == SIPALG_INBOUND);
	CHECK(is(&f.binding.public, "203.0.113.1", 61000));
	nfct_destroy(ct);

	/* Port forward: the call came in from outside, DNAT only. */
	ct = make_ct("198.51.100.7", 5080, "203.0.113.1", 5060,
		     "192.168.1.20", 5060, "198.51.100.7", 5080,
		     IPS_DST_NAT | IPS_DST_NAT_DONE);
	CHECK(from_ct(ct, false, &f) == 0);
	CHECK(is(&f.binding.inside, "192.168.1.20", 5060));
	CHECK(is(&f.binding.public, "203.0.113.1", 5060));
	CHECK(is(&f.binding.remote, "198.51.100.7", 5080));
	CHECK(f.dir == SIPALG_INBOUND);
	CHECK(f.natted);
	CHECK(from_ct(ct, true, &f) == 0);
	CHECK(f.dir == SIPALG_OUTBOUND);
	nfct_destroy(ct);

	/* No NAT at all: public is the inside address, nothing to rewrite. */
	ct = make_ct("10.0.0.5", 5060, "10.0.0.9", 5060, "10.0.0.9", 5060, "10.0.0.5", 5060, 0);
	CHECK(from_ct(ct, false, &f) == 0);
	CHECK(is(&f.binding.public, "10.0.0.5", 5060) && is(&f.binding.inside, "10.0.0.5", 5060));
	CHECK(!f.natted);	/* routed (a VPN peer): scope.h leaves it alone */
	nfct_destroy(ct);

	/* SNAT that kept the address and changed only the port is still NAT. */
	ct = make_ct("10.0.0.5", 5060, "10.0.0.9", 5060, "10.0.0.9", 5060, "10.0.0.5", 61001,
		     IPS_SRC_NAT | IPS_SRC_NAT_DONE);
	CHECK(from_ct(ct, false, &f) == 0 && f.natted);
	nfct_destroy(ct);

	/* A conntrack without its reply tuple is refused, not guessed. */
	ct = nfct_new();
	nfct_set_attr_u8(ct, ATTR_ORIG_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, inet_addr("192.168.1.10"));
	CHECK(from_ct(ct, false, &f) == -1);
	nfct_destroy(ct);

	CHECK(!nat_ctinfo_is_reply(IP_CT_NEW) && !nat_ctinfo_is_reply(IP_CT_ESTABLISHED));
	CHECK(nat_ctinfo_is_reply(IP_CT_ESTABLISHED_REPLY) && nat_ctinfo_is_reply(IP_CT_RELATED_REPLY));

	/* every accepted conntrack above went through the attribute reader too */
	CHECK(attr_checks >= 8);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
