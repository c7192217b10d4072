/*
 * ct_fixture.h - the NFQA_CT attributes nfqueue attaches to a queued packet,
 * built with libnetfilter_conntrack, for the test network's masqueraded flow
 *   192.168.1.10:PORT -> 203.0.113.2:5060, NATed to 203.0.113.1:PORT.
 */
#ifndef SIPALGD_TEST_CT_FIXTURE_H
#define SIPALGD_TEST_CT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

struct ct_fixture {
	char buf[4096];
	const void *attrs;	/* into buf */
	size_t len;
};

/* proto: IPPROTO_UDP or IPPROTO_TCP; port: the phone's (kept by the NAT). */
void ct_fixture_build(struct ct_fixture *f, uint8_t proto, uint16_t port);

#endif
