/*
 * ct_fixture.h - the NFQA_CT attributes nfqueue attaches to a queued packet,
 * built with libnetfilter_conntrack, for the test network's masqueraded flow
 *   192.168.1.10:PORT -> 203.0.113.2:5060, NATed to 203.0.113.1:PORT.
 */
#ifndef SIPALGD_TEST_CT_FIXTURE_H
#define SIPALGD_TEST_CT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_fixture {
	char buf[4096];
	const void *attrs;	/* into buf */
	size_t len;
};

/* proto: IPPROTO_UDP or IPPROTO_TCP; port: the phone's (kept by the NAT). */
void ct_fixture_build(struct ct_fixture *f, uint8_t proto, uint16_t port);

/* IPv6, routed (no NAT66): [2001:db8:1::10]:PORT -> [2001:db8:5::5]:5060,
 * the reply tuple its exact inverse; unconfirmed: a flow's first packet. */
#define CT6_PHONE "2001:db8:1::10"
#define CT6_PROXY "2001:db8:5::5"
void ct_fixture_build6(struct ct_fixture *f, uint8_t proto, uint16_t port, bool unconfirmed);

#endif
