/*
 * pcap_check.c - compare a replay's output with its input capture.
 *
 *   pcap_check IN OUT INSIDE_CIDR PUBLIC strict|lax
 *   pcap_check IN OUT INSIDE_CIDR6 - routed
 *
 * Always: same packet count and link type; every packet the replay changed
 * has right IP/UDP lengths and checksums; every SIP message whose bytes
 * changed (a UDP datagram, or a message of a reassembled TCP stream) has a
 * right Content-Length and differs only in lines the ALG may rewrite.
 * strict: no outbound SIP message (from PUBLIC) names an inside address in
 * Via/Contact/c=/o=, and media is symmetric: each outbound packet from an
 * inside address:port that an SDP announced leaves from the public port the
 * rewritten SDP names. routed (an IPv6 inside prefix, no NAT66): every
 * packet out is the one in, byte for byte. Exit 0 when all hold.
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_util.h"
#include "replay.h"
#include "sip_check.h"

static struct in_addr net, mask, pub;
static bool strict;
static int bad;
static long sip_checked, media_checked;

/* inside address:port an outbound SDP announced -> the public port it became */
static struct announced {
	struct in_addr ip;
	long inside_port, public_port;
} ann[256];
static unsigned n_ann;

/* One SIP message, before and after; outbound = it left from PUBLIC. */
static void check_message(const char *where, struct in_addr inside_src, bool outbound,
			  const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	char what[300];
	bool changed = alen != blen || memcmp(a, b, alen);

	if (changed && sip_check_content_length(b, blen, what, sizeof(what)) < 0) {
		fprintf(stderr, "%s: %s\n", where, what);
		bad++;
	}
	if (changed && sip_only_alg_lines_changed(a, alen, b, blen, what, sizeof(what)) < 0) {
		fprintf(stderr, "%s: %s\n", where, what);
		bad++;
	}
	if (!strict || !outbound)
		return;
	sip_checked++;
	if (sip_find_inside_leak(b, blen, net, mask, what, sizeof(what))) {
		fprintf(stderr, "%s: inside address left: %s\n", where, what);
		bad++;
	}
	for (unsigned m = 0; n_ann < sizeof(ann) / sizeof(ann[0]); m++) {
		long pin = sdp_media_port(a, alen, m), pout = sdp_media_port(b, blen, m);
		if (pin < 0 || pout < 0)
			break;
		ann[n_ann++] = (struct announced){ inside_src, pin, pout };
	}
}

/* ---- TCP: each direction reassembled, before and after ---- */

struct half {
	uint8_t *buf;
	size_t len;
	uint32_t next;
	bool init;
};

static struct stream {
	struct in_addr src, dst;	/* of the input packets */
	uint16_t sport, dport;
	bool outbound, broken;
	struct half in, out;
} streams[256];
static unsigned n_streams;

static bool half_add(struct half *h, const struct pkt_view *v)
{
	uint32_t seq = v->seq;

	if (v->tcp_flags & TH_SYN) {	/* data starts after the SYN's sequence number */
		h->next = seq + 1;
		h->init = true;
		return true;
	}
	if (!h->init) {
		h->next = seq;
		h->init = true;
	}
	if (v->plen == 0)
		return true;
	if ((int32_t)(seq - h->next) > 0)
		return false;	/* gap */
	if ((int32_t)(seq + (uint32_t)v->plen - h->next) <= 0)
		return true;	/* all seen before */
	size_t skip = h->next - seq, n = v->plen - skip;
	uint8_t *bigger = realloc(h->buf, h->len + n);
	if (!bigger)
		return false;
	h->buf = bigger;
	memcpy(h->buf + h->len, v->payload + skip, n);
	h->len += n;
	h->next = seq + (uint32_t)v->plen;
	return true;
}

static void tcp_add(const struct pkt_view *a, const struct pkt_view *b)
{
	struct stream *s = NULL;

	for (unsigned i = 0; i < n_streams; i++)
		if (streams[i].src.s_addr == a->src.s_addr && streams[i].dst.s_addr == a->dst.s_addr &&
		    streams[i].sport == a->sport && streams[i].dport == a->dport)
			s = &streams[i];
	if (!s) {
		if (n_streams == sizeof(streams) / sizeof(streams[0]))
			return;
		s = &streams[n_streams++];
		*s = (struct stream){ .src = a->src, .dst = a->dst, .sport = a->sport,
				      .dport = a->dport, .outbound = b->src.s_addr == pub.s_addr };
	}
	if (!s->broken && (!half_add(&s->in, a) || !half_add(&s->out, b)))
		s->broken = true;
}

static size_t skip_crlf(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

static void tcp_check_streams(void)
{
	for (unsigned i = 0; i < n_streams; i++) {
		struct stream *s = &streams[i];
		size_t pa = 0, pb = 0;
		unsigned k = 0;
		char where[96];

		while (!s->broken && s->in.buf && s->out.buf) {
			pa += skip_crlf(s->in.buf + pa, s->in.len - pa);
			pb += skip_crlf(s->out.buf + pb, s->out.len - pb);
			long la = sip_frame_length(s->in.buf + pa, s->in.len - pa);
			long lb = sip_frame_length(s->out.buf + pb, s->out.len - pb);
			if (la <= 0)
				break;	/* not SIP, or the capture ends mid-message */
			snprintf(where, sizeof(where), "tcp stream %u message %u", i + 1, ++k);
			if (lb <= 0) {
				fprintf(stderr, "%s: broken framing after the replay\n", where);
				bad++;
				break;
			}
			if (sip_looks_like(s->in.buf + pa, (size_t)la))
				check_message(where, s->src, s->outbound, s->in.buf + pa,
					      (size_t)la, s->out.buf + pb, (size_t)lb);
			pa += (size_t)la;
			pb += (size_t)lb;
		}
		free(s->in.buf);
		free(s->out.buf);
	}
}

int main(int argc, char **argv)
{
	struct pkt_view *vi, *vo;
	int dlt_i, dlt_o;
	long ni, no, changed = 0;

	bool routed = argc == 6 && strcmp(argv[5], "routed") == 0;

	if (argc != 6 || (!routed && (replay_parse_cidr(argv[3], &net, &mask) < 0 ||
				      inet_pton(AF_INET, argv[4], &pub) != 1))) {
		fprintf(stderr, "usage: pcap_check IN OUT INSIDE_CIDR PUBLIC strict|lax\n"
				"       pcap_check IN OUT INSIDE_CIDR6 - routed\n");
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
		char where[32];

		if (a->caplen == b->caplen && !memcmp(a->data, b->data, a->caplen))
			continue;
		changed++;
		snprintf(where, sizeof(where), "#%ld", i + 1);
		if (routed) {
			fprintf(stderr, "%s: changed, on a routed capture\n", where);
			bad++;
			continue;
		}
		if (!b->ipv4 || !a->ipv4) {
			fprintf(stderr, "%s: changed but not a parsable IPv4 packet\n", where);
			bad++;
			continue;
		}
		if (!b->ip_csum_ok || !b->l4_csum_ok ||
		    (b->proto == IPPROTO_UDP && b->udp_len_field != b->plen + 8)) {
			fprintf(stderr, "%s: wrong length or checksum\n", where);
			bad++;
		}
		if (b->proto == IPPROTO_TCP)
			tcp_add(a, b);
		else if (sip_looks_like(a->payload, a->plen))
			check_message(where, a->src, b->src.s_addr == pub.s_addr,
				      a->payload, a->plen, b->payload, b->plen);
	}
	tcp_check_streams();

	/* Media leaves from the ports the (rewritten) SDP announced. */
	for (long i = 0; strict && i < no; i++) {
		const struct pkt_view *a = &vi[i], *b = &vo[i];

		if (!b->ipv4 || b->proto != IPPROTO_UDP || b->src.s_addr != pub.s_addr ||
		    sip_looks_like(a->payload, a->plen))
			continue;
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
	printf("%s: %ld packets, %ld changed, %ld outbound SIP messages and %ld media packets "
	       "checked, %d problems\n", argv[1], no, changed, sip_checked, media_checked, bad);
	free_views(vi, ni);
	free_views(vo, no);
	return bad ? 1 : 0;
}
