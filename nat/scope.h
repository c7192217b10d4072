/*
 * scope.h - where the ALG applies: [netfilter] interfaces and exclude.
 *
 * Router ALGs are hated for touching VPN and tunnel traffic. Two layers keep
 * sipalgd off it:
 *  - the rules (rules.c) do not queue what is out of scope at all: flows that
 *    enter or leave an excluded interface, or come from or go to an excluded
 *    subnet; with `interfaces` set, only flows crossing one of those;
 *  - the packet path (packet_path.c) passes byte for byte any flow the
 *    conntrack shows was not NATed (its reply tuple is the inverse of its
 *    original: no SNAT, no DNAT), and any flow with an end in an excluded
 *    subnet (the operator's own rules may queue more than ours would).
 *    Such a flow gets no pinholes either, unless no_nat_pinholes asks for
 *    them: then the engine and the pinhole layer run on it as usual (no
 *    pool port, no NAT on the expectations: rtp.h rtp_msg.no_nat), and the
 *    message still leaves as it came.
 * Pure: no sockets, no kernel.
 */
#ifndef SIPALGD_NAT_SCOPE_H
#define SIPALGD_NAT_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define NAT_SCOPE_MAX	16	/* interfaces, excluded interfaces, excluded subnets: each */
#define NAT_IFNAME_MAX	16	/* IFNAMSIZ, with the NUL */

struct nat_scope_net {
	bool v6;		/* net6 (prefix 0..128), else net (0..32) */
	struct in_addr net;	/* network order, host bits cleared */
	struct in6_addr net6;
	uint8_t prefix;
};

struct nat_scope {
	/* interfaces: "" none = every interface (NAT decides); "ppp+" = prefix */
	char ifaces[NAT_SCOPE_MAX][NAT_IFNAME_MAX];
	unsigned n_ifaces;
	char ex_ifaces[NAT_SCOPE_MAX][NAT_IFNAME_MAX];
	unsigned n_ex_ifaces;
	struct nat_scope_net ex_nets[NAT_SCOPE_MAX];
	unsigned n_ex_nets;
	/* no_nat_pinholes: a flow without NAT still gets its media pinholes
	 * (to the phone's own ports, no NAT on them) for a stateful firewall;
	 * its packets still pass byte for byte */
	bool no_nat_pinholes;
};

/* "wan0, ppp+": interface names (nft wildcard: a trailing +). 0, or -1 with why. */
int nat_scope_parse_ifaces(const char *v, struct nat_scope *s, char *why, size_t n);

/* "tun0, wg+, 10.8.0.0/24, 172.16.5.1, fd00:8::/64": interfaces and subnets of
 * either family (an item with a ':' is IPv6). 0 or -1 with why. */
int nat_scope_parse_exclude(const char *v, struct nat_scope *s, char *why, size_t n);

/* Is a (network order) inside an excluded IPv4 subnet? */
bool nat_scope_excluded_addr(const struct nat_scope *s, struct in_addr a);

/* Is a inside an excluded IPv6 subnet? */
bool nat_scope_excluded_addr6(const struct nat_scope *s, const struct in6_addr *a);

/* "10.8.0.0/24" or "fd00:8::/64" into buf (>= INET6_ADDRSTRLEN + 4). */
void nat_scope_net_text(const struct nat_scope_net *n, char *buf, size_t cap);

/* Scope is the default (no interfaces, nothing excluded): the rules stay as they were. */
bool nat_scope_is_default(const struct nat_scope *s);

/*
 * The nft statements that return (do not help) out-of-scope packets, one per
 * line, each starting with two tabs, for the top of a chain of table ip
 * sipalgd (v6: of table ip6 sipalgd; each table gets the excluded subnets
 * of its own family, the interfaces apply to both). postrouting: oifname/iifname
 * are both known (degraded mode's queue chain); otherwise (prerouting,
 * before routing) the outgoing interface is the route's: `fib daddr
 * oifname`. 0, or -1 if cap is too small.
 */
int nat_scope_nft(const struct nat_scope *s, bool postrouting, bool v6, char *buf, size_t cap);

#endif
