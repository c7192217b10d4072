/* splice.c - payload location and replacement; see splice.h. */
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <libnetfilter_queue/pktbuff.h>
#include <libnetfilter_queue/libnetfilter_queue_ipv4.h>
#include <libnetfilter_queue/libnetfilter_queue_tcp.h>
#include <libnetfilter_queue/libnetfilter_queue_udp.h>

#include "splice.h"

int nat_l4_locate(const uint8_t *pkt, size_t len, struct nat_l4 *out)
{
	struct iphdr ip;
	size_t ihl, tot, l4off, hlen;

	if (len < sizeof(ip))
		return -1;
	memcpy(&ip, pkt, sizeof(ip));	/* queued data need not be aligned */
	ihl = (size_t)ip.ihl * 4;
	tot = ntohs(ip.tot_len);
	if (ip.version != 4 || ihl < sizeof(ip) || tot < ihl || tot > len)
		return -1;
	if (ntohs(ip.frag_off) & (IP_MF | IP_OFFMASK))
		return -1;	/* conntrack reassembles; a fragment here is not ours */
	l4off = ihl;
	out->proto = ip.protocol;
	out->saddr = ip.saddr;
	out->daddr = ip.daddr;
	if (ip.protocol == IPPROTO_UDP) {
		struct udphdr uh;

		if (tot - l4off < sizeof(uh))
			return -1;
		memcpy(&uh, pkt + l4off, sizeof(uh));
		if (ntohs(uh.len) != tot - l4off)
			return -1;
		hlen = sizeof(uh);
		out->sport = ntohs(uh.source);
		out->dport = ntohs(uh.dest);
	} else if (ip.protocol == IPPROTO_TCP) {
		struct tcphdr th;

		if (tot - l4off < sizeof(th))
			return -1;
		memcpy(&th, pkt + l4off, sizeof(th));
		hlen = (size_t)th.doff * 4;
		if (hlen < sizeof(th) || hlen > tot - l4off)
			return -1;
		out->sport = ntohs(th.source);
		out->dport = ntohs(th.dest);
	} else {
		return -1;
	}
	out->payload_off = l4off + hlen;
	out->payload_len = tot - out->payload_off;
	return 0;
}

long nat_splice_payload(const uint8_t *pkt, size_t len, const struct nat_l4 *l4,
			const uint8_t *payload, size_t plen,
			uint8_t *out, size_t cap)
{
	size_t extra = plen > l4->payload_len ? plen - l4->payload_len : 0;
	size_t newlen = l4->payload_off + plen;
	struct pkt_buff *pb;
	struct iphdr *iph;
	long ret = -1;
	int ok;

	if (newlen > 65535 || newlen > cap || l4->payload_off + l4->payload_len > len)
		return -1;
	/* pktb_alloc copies pkt: the queued original stays intact on failure. */
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
		/* RFC 768: a sum that comes out 0 is sent as all ones; 0 means "no
		 * checksum". libnetfilter_queue 1.0.5 leaves it 0 (fuzz_packet_path
		 * found it: once in 65536 rewritten datagrams). */
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
