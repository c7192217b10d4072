/*
 * fuzz_splice.c - libFuzzer harness for nat/splice.c on raw bytes. The packet
 * path harness builds only well-formed packets (as the kernel queues them);
 * here the IPv4/UDP/TCP headers are anything: bad lengths, options,
 * fragments, trailing bytes.
 *
 * Input: 2 bytes (big endian) = how many of the following bytes are the
 * packet; the rest is the new payload. Invariants, abort on violation:
 * nat_l4_locate() accepts only IPv4 UDP/TCP whose payload lies inside the
 * packet; nat_splice_payload() then yields a packet that nat_l4_locate()
 * accepts again, carrying exactly the new payload, with a right IP header
 * checksum and total length, UDP length, and a UDP/TCP checksum that verifies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "fuzz_packets.h"
#include "splice.h"

#define FAIL(...) do { fprintf(stderr, "fuzz_splice: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static uint8_t out[70000];

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct nat_l4 l4, l4b;
	const uint8_t *pkt, *payload;
	size_t plen, pl;
	long len;

	if (n < 2)
		return 0;
	plen = (size_t)d[0] << 8 | d[1];
	if (plen > n - 2)
		plen = n - 2;
	pkt = d + 2;
	payload = pkt + plen;
	pl = n - 2 - plen;
	if (nat_l4_locate(pkt, plen, &l4) < 0)
		return 0;
	if ((l4.proto != IPPROTO_UDP && l4.proto != IPPROTO_TCP) ||
	    l4.payload_off < (l4.family == AF_INET6 ? 48u : 28u) ||
	    l4.payload_off + l4.payload_len > plen)
		FAIL("located payload %zu+%zu in %zu bytes (proto %u)", l4.payload_off,
		     l4.payload_len, plen, l4.proto);
	len = nat_splice_payload(pkt, plen, &l4, payload, pl, out, sizeof(out));
	if (len < 0)
		return 0;
	if ((size_t)len != l4.payload_off + pl)
		FAIL("spliced packet %ld bytes, expected %zu", len, l4.payload_off + pl);
	if (nat_l4_locate(out, (size_t)len, &l4b) < 0)
		FAIL("spliced packet no longer locates");
	if (l4b.payload_off != l4.payload_off || l4b.payload_len != pl ||
	    memcmp(out + l4b.payload_off, payload, pl) != 0)
		FAIL("spliced packet does not carry the new payload");
	if (l4.family == AF_INET && fz_ip_csum(out, (size_t)(out[0] & 0xf) * 4) != 0)
		FAIL("IP header checksum wrong");	/* IPv6 has none */
	if (fz_l4_csum(out, (size_t)len) != 0)
		FAIL("%s checksum does not verify", l4.proto == IPPROTO_TCP ? "TCP" : "UDP");
	return 0;
}
