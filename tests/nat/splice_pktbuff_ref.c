/*
 * splice_pktbuff_ref.c - the payload splice as nat/splice.c did it before it
 * wrote in place: libnetfilter_queue's pktbuff (allocate, copy, mangle with
 * its own checksum code, copy out, free). Kept only as the reference that
 * test_splice.c holds the in-place splice against, byte for byte.
 */
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <libnetfilter_queue/pktbuff.h>
#include <libnetfilter_queue/libnetfilter_queue_ipv4.h>
#include <libnetfilter_queue/libnetfilter_queue_tcp.h>
#include <libnetfilter_queue/libnetfilter_queue_udp.h>

#include "splice.h"

long splice_pktbuff_ref(const uint8_t *pkt, size_t len, const struct nat_l4 *l4,
			const uint8_t *payload, size_t plen, uint8_t *out, size_t cap);

long splice_pktbuff_ref(const uint8_t *pkt, size_t len, const struct nat_l4 *l4,
			const uint8_t *payload, size_t plen, uint8_t *out, size_t cap)
{
	size_t extra = plen > l4->payload_len ? plen - l4->payload_len : 0;
	size_t newlen = l4->payload_off + plen;
	struct pkt_buff *pb;
	struct iphdr *iph;
	long ret = -1;
	int ok;

	if (newlen > 65535 || newlen > cap || l4->payload_off + l4->payload_len > len)
		return -1;
	pb = pktb_alloc(AF_INET, (void *)pkt, l4->payload_off + l4->payload_len, extra);
	if (!pb)
		return -1;
	iph = nfq_ip_get_hdr(pb);
	if (!iph || nfq_ip_set_transport_header(pb, iph) < 0)
		goto out;
	if (l4->proto == IPPROTO_UDP) {
		if (!nfq_udp_get_hdr(pb))
			goto out;
		ok = nfq_udp_mangle_ipv4(pb, 0, (unsigned)l4->payload_len,
					 (const char *)payload, (unsigned)plen);
		if (ok) {
			struct udphdr *uh = nfq_udp_get_hdr(pb);

			if (uh && uh->check == 0)
				uh->check = 0xffff;
		}
	} else {
		if (!nfq_tcp_get_hdr(pb))
			goto out;
		ok = nfq_tcp_mangle_ipv4(pb, 0, (unsigned)l4->payload_len,
					 (const char *)payload, (unsigned)plen);
	}
	if (ok && pktb_len(pb) == newlen) {
		memcpy(out, pktb_data(pb), newlen);
		ret = (long)newlen;
	}
out:
	pktb_free(pb);
	return ret;
}
