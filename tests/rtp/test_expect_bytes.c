/*
 * test_expect_bytes.c - rtp/expect_nl.c puts an expectation's attributes
 * with libmnl itself; the messages must be, byte for byte, those it built
 * through libnetfilter_conntrack objects before (expect_nl_libref.c): the
 * same TLVs in the same order, padding included. Cases: an inbound pinhole
 * with NAT and any source, an outbound one with an exact source, a zone, no
 * expect function, TCP, and 2000 random expectations; creates and deletes
 * (with and without an id), into a buffer full of 0xa5 so that a byte left
 * unwritten shows.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "check.h"
#include "expect_nl.h"
#include "expect_nl_libref.h"

static unsigned long seed = 7;

static unsigned rnd(unsigned n)
{
	seed = seed * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(seed >> 33) % n;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void dump(const char *what, const uint8_t *b, long n)
{
	fprintf(stderr, "%s (%ld bytes):", what, n);
	for (long i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
	fprintf(stderr, "\n");
}

static int same(const struct rtp_expect *e, uint32_t seq)
{
	static uint8_t mine[RTP_NL_MSG_MAX], ref[RTP_NL_MSG_MAX];
	long a, b;
	int ok = 1;

	memset(mine, 0xa5, sizeof(mine));
	a = rtp_nl_build_new(mine, sizeof(mine), e, seq);
	b = libref_build_new(ref, e, seq);
	if (a < 0 || a != b || memcmp(mine, ref, (size_t)a) != 0) {
		dump("new, libmnl", mine, a);
		dump("new, library", ref, b);
		ok = 0;
	}
	memset(mine, 0xa5, sizeof(mine));
	a = rtp_nl_build_delete(mine, sizeof(mine), e, seq + 1);
	b = libref_build_delete(ref, e, seq + 1);
	if (a < 0 || a != b || memcmp(mine, ref, (size_t)a) != 0) {
		dump("delete, libmnl", mine, a);
		dump("delete, library", ref, b);
		ok = 0;
	}
	return ok;
}

static struct rtp_expect base(void)
{
	struct rtp_expect e;

	memset(&e, 0, sizeof(e));
	e.master.src.ip.s_addr = ip("192.168.1.10");
	e.master.src.port = 5060;
	e.master.dst.ip.s_addr = ip("203.0.113.5");
	e.master.dst.port = 5060;
	e.master.l4proto = IPPROTO_UDP;
	e.l4proto = IPPROTO_UDP;
	e.src_any_addr = true;
	e.src_any_port = true;
	e.dst.ip.s_addr = ip("203.0.113.1");
	e.dst.port = 12000;
	e.nat = true;
	e.nat_dir = 1;
	e.nat_to.ip.s_addr = ip("192.168.1.10");
	e.nat_to.port = 10000;
	e.fn = "nat-follow-master";
	e.timeout = 180;
	e.class = 0;
	return e;
}

int main(void)
{
	static const char *const fns[] = { "nat-follow-master", "sip", "", NULL };
	struct rtp_expect e = base();
	unsigned i, bad = 0;

	CHECK(same(&e, 100));			/* inbound pinhole, NAT, any source */
	e.src_any_addr = e.src_any_port = false;	/* outbound: exact far source */
	e.src.ip.s_addr = ip("198.51.100.9");
	e.src.port = 30000;
	e.nat_dir = 0;
	CHECK(same(&e, 200));
	e.master.zone = 7;			/* a zone */
	e.id = 0x12345678;			/* delete by id */
	CHECK(same(&e, 300));
	e.fn = NULL;				/* no expect function, no NAT */
	e.nat = false;
	e.class = 1;
	CHECK(same(&e, 400));
	e = base();				/* TCP (a SIP-over-TCP master) */
	e.master.l4proto = IPPROTO_TCP;
	CHECK(same(&e, 500));
	for (i = 0; i < 2000; i++) {
		e.master.src.ip.s_addr = (uint32_t)rnd(0xffff) << 16 | rnd(0xffff);
		e.master.dst.ip.s_addr = (uint32_t)rnd(0xffff) << 16 | rnd(0xffff);
		e.master.src.port = (uint16_t)rnd(65536);
		e.master.dst.port = (uint16_t)rnd(65536);
		e.master.l4proto = rnd(2) ? IPPROTO_UDP : IPPROTO_TCP;
		e.master.zone = rnd(4) ? 0 : (uint16_t)rnd(65536);
		e.src_any_addr = rnd(2);
		e.src_any_port = rnd(2);
		e.src.ip.s_addr = (uint32_t)rnd(0xffff) << 16 | rnd(0xffff);
		e.src.port = (uint16_t)rnd(65536);
		e.dst.ip.s_addr = (uint32_t)rnd(0xffff) << 16 | rnd(0xffff);
		e.dst.port = (uint16_t)rnd(65536);
		e.nat = rnd(2);
		e.nat_dir = (int)rnd(2);
		e.nat_to.ip.s_addr = (uint32_t)rnd(0xffff) << 16 | rnd(0xffff);
		e.nat_to.port = (uint16_t)rnd(65536);
		e.fn = fns[rnd(4)];
		e.timeout = rnd(100000);
		e.class = rnd(3);
		e.id = rnd(2) ? 0 : rnd(1u << 30) + 1;
		if (!same(&e, 1000 + 2 * i) && bad++ > 3)
			break;
	}
	CHECK(bad == 0);
	printf("rtp_expect_bytes: %s\n", check_failures ? "FAILED" : "every message as the library built it");
	return CHECK_DONE();
}
