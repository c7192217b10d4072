/*
 * pcap_check.c - compare a replay's output with its input capture.
 *
 *   pcap_check IN OUT INSIDE_CIDR PUBLIC strict|lax
 *
 * Always: same packet count and link type; every packet the replay changed
 * has right IP/UDP lengths and checksums, and if its SIP payload changed, a
 * right Content-Length, and only lines the ALG may rewrite differ. strict: no outbound SIP message (from PUBLIC) names
 * an inside address in Via/Contact/c=/o=. Exit 0 when all hold.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "pcap_util.h"
#include "replay.h"
#include "sip_check.h"

/* inside address:port an outbound SDP announced -> the public port it became */
struct announced {
	struct in_addr ip;
	long inside_port, public_port;
};

#define MAX_ANNOUNCED 256

int main(int argc, char **argv)
{
	struct announced ann[MAX_ANNOUNCED];
	unsigned n_ann = 0;
	long media_checked = 0;
	struct pkt_view *vi, *vo;
	struct in_addr net, mask, pub;
	int dlt_i, dlt_o, bad = 0;
	long ni, no, changed = 0, sip_out = 0;
	char what[300];
	bool strict;

	if (argc != 6 || replay_parse_cidr(argv[3], &net, &mask) < 0 ||
	    inet_pton(AF_INET, argv[4], &pub) != 1) {
		fprintf(stderr, "usage: pcap_check IN OUT INSIDE_CIDR PUBLIC strict|lax\n");
		return 2;
	}
	strict = strcmp(argv[5], "strict") == 0;
	ni = pcap_read_views(argv[1], &dlt_i, &vi);
	no = pcap_read_views(argv[2], &dlt_o, &vo);
	if (ni <= 0 || no < 0 || ni != no || dlt_i != dlt_o) {
		fprintf(stderr, "%s: %ld packets (link %d) in, %ld (link %d) out\n",
			argv[1], ni, dlt_i, no, dlt_o);
		return 1;
	}
	for (long i = 0; i < no; i++) {
		const struct pkt_view *a = &vi[i], *b = &vo[i];

		if (a->caplen == b->caplen && !memcmp(a->data, b->data, a->caplen))
			continue;
		changed++;
		if (!b->ipv4) {
			fprintf(stderr, "#%ld: changed but not a parsable IPv4 packet\n", i + 1);
			bad++;
			continue;
		}
		if (!b->ip_csum_ok || !b->l4_csum_ok ||
		    (b->proto == IPPROTO_UDP && b->udp_len_field != b->plen + 8)) {
			fprintf(stderr, "#%ld: wrong length or checksum\n", i + 1);
			bad++;
		}
		bool payload_changed = a->plen != b->plen || memcmp(a->payload, b->payload, a->plen);
		if (payload_changed &&
		    sip_check_content_length(b->payload, b->plen, what, sizeof(what)) < 0) {
			fprintf(stderr, "#%ld: %s\n", i + 1, what);
			bad++;
		}
		if (payload_changed &&
		    sip_only_alg_lines_changed(a->payload, a->plen, b->payload, b->plen,
					       what, sizeof(what)) < 0) {
			fprintf(stderr, "#%ld: %s\n", i + 1, what);
			bad++;
		}
		if (strict && b->src.s_addr == pub.s_addr && b->proto == IPPROTO_UDP &&
		    !sip_looks_like(b->payload, b->plen)) {
			for (unsigned k = 0; k < n_ann; k++) {
				if (ann[k].ip.s_addr != a->src.s_addr || ann[k].inside_port != a->sport)
					continue;
				media_checked++;
				if (b->sport != ann[k].public_port) {
					fprintf(stderr, "#%ld: media from inside port %u left from %u, "
						"the SDP announced %ld\n", i + 1, a->sport, b->sport,
						ann[k].public_port);
					bad++;
				}
			}
		}
		if (strict && b->src.s_addr == pub.s_addr && sip_looks_like(b->payload, b->plen)) {
			for (unsigned m = 0; n_ann < MAX_ANNOUNCED; m++) {
				long pin = sdp_media_port(a->payload, a->plen, m);
				long pout = sdp_media_port(b->payload, b->plen, m);
				if (pin < 0 || pout < 0)
					break;
				ann[n_ann++] = (struct announced){ a->src, pin, pout };
			}
			sip_out++;
			if (sip_find_inside_leak(b->payload, b->plen, net, mask, what, sizeof(what))) {
				fprintf(stderr, "#%ld: inside address left: %s\n", i + 1, what);
				bad++;
			}
		}
	}
	printf("%s: %ld packets, %ld changed, %ld outbound SIP and %ld media packets checked, "
	       "%d problems\n", argv[1], no, changed, sip_out, media_checked, bad);
	free_views(vi, ni);
	free_views(vo, no);
	return bad ? 1 : 0;
}
