/*
 * test_replay.c - the offline replay against hand-made captures.
 *
 * One call through a NAT (inside 192.168.1.0/24, public 198.51.100.1, proxy
 * 203.0.113.5, far phone 203.0.113.77), plus the packets the tool must leave
 * alone, written under four link types. The output is read back and checked
 * with the tests' own parser and checksum code (pcap_util.c, sip_check.c).
 *
 *   test_replay                 run the checks
 *   test_replay --sample FILE   write the sample capture (Ethernet) for the CLI test
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test_check.h"
#include "pcap_util.h"
#include "replay.h"
#include "sip_check.h"


#define A	"192.168.1.10"
#define B	"192.168.1.11"
#define PUB	"198.51.100.1"
#define PROXY	"203.0.113.5"
#define FAR	"203.0.113.77"

#define SDP_A                                                                  \
	"v=0\r\n"                                                              \
	"o=alice 2890844526 2890844526 IN IP4 " A "\r\n"                       \
	"s=-\r\n"                                                              \
	"c=IN IP4 " A "\r\n"                                                   \
	"t=0 0\r\n"                                                            \
	"m=audio 4000 RTP/AVP 0\r\n"                                           \
	"a=rtcp:4001 IN IP4 " A "\r\n"                                         \
	"a=sendrecv\r\n"

#define SDP_FAR                                                                \
	"v=0\r\n"                                                              \
	"o=bob 1 1 IN IP4 " FAR "\r\n"                                         \
	"s=-\r\n"                                                              \
	"c=IN IP4 " FAR "\r\n"                                                 \
	"t=0 0\r\n"                                                            \
	"m=audio 30000 RTP/AVP 0\r\n"

/* Index names of the scenario packets. */
enum {
	P_REG_A, P_REG_A_OK, P_REG_B, P_REG_B_OK, P_INVITE, P_TRYING, P_OK,
	P_ACK, P_RTP_OUT, P_RTP_IN, P_RTCP_OUT, P_BYE, P_NONSIP, P_BADSUM,
	P_FRAG, P_INSIDE, P_ARP, P_TCP_SAME, P_TCP_GROW, P_INVITE_IN,
	P_TCP_GROW2, P_TCP_GROW_OK, P_SPLIT1, P_SPLIT2, P_SPLIT3, P_COUNT
};

static struct pkt_spec specs[P_COUNT];
static char *texts[P_COUNT];

#define SPEC(s, sp, d, dp, pr, pl) \
	(struct pkt_spec){ .src = s, .sport = sp, .dst = d, .dport = dp, .proto = pr, .payload = pl }

static void build_scenario(void)
{
	texts[P_REG_A] = sip_test_message(
		"REGISTER sip:" PROXY " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " A ":5060;branch=z9hG4bKr1;rport\r\n"
		"From: <sip:alice@example.org>;tag=a1\r\n"
		"To: <sip:alice@example.org>\r\n"
		"Call-ID: reg-a@" A "\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:alice@" A ":5060>\r\n"
		"Expires: 3600\r\n", "");
	texts[P_REG_A_OK] = sip_test_message(
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP " PUB ":5060;branch=z9hG4bKr1;rport=5060;received=" PUB "\r\n"
		"From: <sip:alice@example.org>;tag=a1\r\n"
		"To: <sip:alice@example.org>;tag=s1\r\n"
		"Call-ID: reg-a@" A "\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:alice@" PUB ":5060>;expires=3600\r\n", "");
	texts[P_REG_B] = sip_test_message(
		"REGISTER sip:" PROXY " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " B ":5060;branch=z9hG4bKr2;rport\r\n"
		"From: <sip:bob2@example.org>;tag=b1\r\n"
		"To: <sip:bob2@example.org>\r\n"
		"Call-ID: reg-b@" B "\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:bob2@" B ":5060>\r\n", "");
	texts[P_REG_B_OK] = sip_test_message(
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP " PUB ":5061;branch=z9hG4bKr2;rport=5061;received=" PUB "\r\n"
		"From: <sip:bob2@example.org>;tag=b1\r\n"
		"To: <sip:bob2@example.org>;tag=s2\r\n"
		"Call-ID: reg-b@" B "\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:bob2@" PUB ":5061>;expires=3600\r\n", "");
	texts[P_INVITE] = sip_test_message(
		"INVITE sip:bob@example.org SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " A ":5060;branch=z9hG4bKi1;rport\r\n"
		"From: <sip:alice@example.org>;tag=a2\r\n"
		"To: <sip:bob@example.org>\r\n"
		"Call-ID: call-1@" A "\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:alice@" A ":5060>\r\n"
		"Content-Type: application/sdp\r\n", SDP_A);
	texts[P_TRYING] = sip_test_message(
		"SIP/2.0 100 Trying\r\n"
		"Via: SIP/2.0/UDP " A ":5060;branch=z9hG4bKi1;rport=5060;received=" PUB "\r\n"
		"From: <sip:alice@example.org>;tag=a2\r\n"
		"To: <sip:bob@example.org>\r\n"
		"Call-ID: call-1@" A "\r\n"
		"CSeq: 1 INVITE\r\n", "");
	texts[P_OK] = sip_test_message(
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP " A ":5060;branch=z9hG4bKi1;rport=5060;received=" PUB "\r\n"
		"From: <sip:alice@example.org>;tag=a2\r\n"
		"To: <sip:bob@example.org>;tag=b9\r\n"
		"Call-ID: call-1@" A "\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:bob@" FAR ":5060>\r\n"
		"Content-Type: application/sdp\r\n", SDP_FAR);
	texts[P_ACK] = sip_test_message(
		"ACK sip:bob@" FAR ":5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " A ":5060;branch=z9hG4bKa1;rport\r\n"
		"From: <sip:alice@example.org>;tag=a2\r\n"
		"To: <sip:bob@example.org>;tag=b9\r\n"
		"Call-ID: call-1@" A "\r\n"
		"CSeq: 1 ACK\r\n", "");
	texts[P_BYE] = sip_test_message(
		"BYE sip:bob@" FAR ":5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " A ":5060;branch=z9hG4bKb1;rport\r\n"
		"From: <sip:alice@example.org>;tag=a2\r\n"
		"To: <sip:bob@example.org>;tag=b9\r\n"
		"Call-ID: call-1@" A "\r\n"
		"CSeq: 2 BYE\r\n", "");
	texts[P_BADSUM] = sip_test_message(
		"OPTIONS sip:" PROXY " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " A ":5060;branch=z9hG4bKo1;rport\r\n"
		"From: <sip:alice@example.org>;tag=a3\r\n"
		"To: <sip:" PROXY ">\r\n"
		"Call-ID: opt-1@" A "\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Contact: <sip:alice@" A ":5060>\r\n", "");
	/* "192.168.1.10" and "198.51.100.1" have the same length: no TCP resize. */
	texts[P_TCP_SAME] = sip_test_message(
		"REGISTER sip:" PROXY ";transport=tcp SIP/2.0\r\n"
		"Via: SIP/2.0/TCP " A ":5070;branch=z9hG4bKt1\r\n"
		"From: <sip:alice@example.org>;tag=t1\r\n"
		"To: <sip:alice@example.org>\r\n"
		"Call-ID: tcp-1@" A "\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:alice@" A ":5070;transport=tcp>\r\n", "");
	/* "192.168.1.9" is one character shorter than the public address. */
	texts[P_TCP_GROW] = sip_test_message(
		"REGISTER sip:" PROXY ";transport=tcp SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 192.168.1.9:5071;branch=z9hG4bKt2\r\n"
		"From: <sip:carol@example.org>;tag=t2\r\n"
		"To: <sip:carol@example.org>\r\n"
		"Call-ID: tcp-2@192.168.1.9\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: <sip:carol@192.168.1.9:5071;transport=tcp>\r\n", "");
	texts[P_TCP_GROW2] = sip_test_message(
		"OPTIONS sip:" PROXY ";transport=tcp SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 192.168.1.9:5071;branch=z9hG4bKt3\r\n"
		"From: <sip:carol@example.org>;tag=t3\r\n"
		"To: <sip:" PROXY ">\r\n"
		"Call-ID: tcp-3@192.168.1.9\r\n"
		"CSeq: 2 OPTIONS\r\n", "");
	texts[P_TCP_GROW_OK] = sip_test_message(
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/TCP 192.168.1.9:5071;branch=z9hG4bKt2\r\n"
		"From: <sip:carol@example.org>;tag=t2\r\n"
		"To: <sip:carol@example.org>;tag=p1\r\n"
		"Call-ID: tcp-2@192.168.1.9\r\n"
		"CSeq: 1 REGISTER\r\n", "");
	/* An INVITE over TCP in two segments, cut inside the Contact address. */
	texts[P_SPLIT1] = sip_test_message(
		"INVITE sip:bob@example.org;transport=tcp SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 192.168.1.12:5080;branch=z9hG4bKs1\r\n"
		"From: <sip:dave@example.org>;tag=d1\r\n"
		"To: <sip:bob@example.org>\r\n"
		"Call-ID: split-1@192.168.1.12\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:dave@192.168.1.12:5080;transport=tcp>\r\n"
		"Content-Type: application/sdp\r\n",
		"v=0\r\no=dave 1 1 IN IP4 192.168.1.12\r\ns=-\r\nc=IN IP4 192.168.1.12\r\n"
		"t=0 0\r\nm=audio 12000 RTP/AVP 0\r\n");
	texts[P_SPLIT3] = sip_test_message(
		"BYE sip:bob@" FAR ";transport=tcp SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 192.168.1.12:5080;branch=z9hG4bKs2\r\n"
		"From: <sip:dave@example.org>;tag=d1\r\n"
		"To: <sip:bob@example.org>;tag=b2\r\n"
		"Call-ID: split-1@192.168.1.12\r\n"
		"CSeq: 2 BYE\r\n", "");
	texts[P_INVITE_IN] = sip_test_message(
		"INVITE sip:alice@" PUB ":5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP " PROXY ":5060;branch=z9hG4bKin1\r\n"
		"From: <sip:bob@example.org>;tag=x1\r\n"
		"To: <sip:alice@example.org>\r\n"
		"Call-ID: call-in@" PROXY "\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:bob@" FAR ":5060>\r\n"
		"Content-Type: application/sdp\r\n", SDP_FAR);

	specs[P_REG_A] = SPEC(A, 5060, PROXY, 5060, 0, texts[P_REG_A]);
	/* Captured on the inside: already addressed to the phone. */
	specs[P_REG_A_OK] = SPEC(PROXY, 5060, A, 5060, 0, texts[P_REG_A_OK]);
	specs[P_REG_B] = SPEC(B, 5060, PROXY, 5060, 0, texts[P_REG_B]);
	/* As seen on the WAN side: to the public address, B's clashing port. */
	specs[P_REG_B_OK] = SPEC(PROXY, 5060, PUB, 5061, 0, texts[P_REG_B_OK]);
	specs[P_INVITE] = SPEC(A, 5060, PROXY, 5060, 0, texts[P_INVITE]);
	specs[P_TRYING] = SPEC(PROXY, 5060, A, 5060, 0, texts[P_TRYING]);
	specs[P_OK] = SPEC(PROXY, 5060, A, 5060, 0, texts[P_OK]);
	specs[P_ACK] = SPEC(A, 5060, PROXY, 5060, 0, texts[P_ACK]);
	specs[P_RTP_OUT] = SPEC(A, 4000, FAR, 30000, 0, "\x80rtp 192.168.1.10 payload");
	specs[P_RTP_IN] = SPEC(FAR, 30000, PUB, 10000, 0, "\x80rtp from far");
	specs[P_RTCP_OUT] = SPEC(A, 4001, FAR, 30001, 0, "\x81rtcp");
	specs[P_BYE] = SPEC(A, 5060, PROXY, 5060, 0, texts[P_BYE]);
	specs[P_NONSIP] = SPEC(A, 40000, "203.0.113.9", 9999, 0, "Via: " A " is not SIP here");
	specs[P_NONSIP].zero_csum = true;
	specs[P_BADSUM] = SPEC(A, 5060, PROXY, 5060, 0, texts[P_BADSUM]);
	specs[P_BADSUM].bad_csum = true;
	specs[P_FRAG] = SPEC(A, 5060, PROXY, 5060, 0, texts[P_INVITE]);
	specs[P_FRAG].fragment = true;
	specs[P_INSIDE] = SPEC(A, 5060, B, 5060, 0, texts[P_INVITE]);
	specs[P_ARP].arp = true;
	specs[P_TCP_SAME] = SPEC(A, 5070, PROXY, 5060, IPPROTO_TCP, texts[P_TCP_SAME]);
	specs[P_TCP_GROW] = SPEC("192.168.1.9", 5071, PROXY, 5060, IPPROTO_TCP, texts[P_TCP_GROW]);
	specs[P_INVITE_IN] = SPEC(PROXY, 5060, PUB, 5060, 0, texts[P_INVITE_IN]);
	/* The next segment of carol's connection: its seq must move by the resize. */
	specs[P_TCP_GROW2] = SPEC("192.168.1.9", 5071, PROXY, 5060, IPPROTO_TCP, texts[P_TCP_GROW2]);
	specs[P_TCP_GROW2].seq = 1 + (uint32_t)strlen(texts[P_TCP_GROW]);
	/* The proxy's answer on it: its own seq space, untouched. */
	specs[P_TCP_GROW_OK] = SPEC(PROXY, 5060, "192.168.1.9", 5071, IPPROTO_TCP, texts[P_TCP_GROW_OK]);
	specs[P_TCP_GROW_OK].seq = 5000;
	/* The split INVITE: its first part ends inside "192.168.1.12" of Contact. */
	{
		const char *cut = strstr(texts[P_SPLIT1], "Contact: <sip:dave@192.16") +
				  strlen("Contact: <sip:dave@192.16");
		size_t first = (size_t)(cut - texts[P_SPLIT1]);

		texts[P_SPLIT2] = strdup(cut);
		texts[P_SPLIT1][first] = '\0';
		specs[P_SPLIT1] = SPEC("192.168.1.12", 5080, PROXY, 5060, IPPROTO_TCP, texts[P_SPLIT1]);
		specs[P_SPLIT1].seq = 1000;
		specs[P_SPLIT2] = SPEC("192.168.1.12", 5080, PROXY, 5060, IPPROTO_TCP, texts[P_SPLIT2]);
		specs[P_SPLIT2].seq = 1000 + (uint32_t)first;
		specs[P_SPLIT3] = SPEC("192.168.1.12", 5080, PROXY, 5060, IPPROTO_TCP, texts[P_SPLIT3]);
		specs[P_SPLIT3].seq = specs[P_SPLIT2].seq + (uint32_t)strlen(texts[P_SPLIT2]);
	}
	/* Ethernet captures on a trunk port carry 802.1Q tags. */
	specs[P_BYE].vlan = true;
}

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static bool is(struct in_addr a, const char *s)
{
	return a.s_addr == ip(s).s_addr;
}

static bool same_payload(const struct pkt_view *v, const struct pkt_spec *s)
{
	return v->plen == strlen(s->payload) && !memcmp(v->payload, s->payload, v->plen);
}

static int run_replay(const char *in, const char *out, const struct sipalgd_config *cfg,
		      struct replay_stats *st)
{
	struct replay_opts o = { .in_path = in, .out_path = out, .cfg = cfg };
	char err[256];
	FILE *devnull = fopen("/dev/null", "w");
	int rc;

	replay_parse_cidr("192.168.1.0/24", &o.inside_net, &o.inside_mask);
	o.has_inside4 = true;
	o.public_ip = ip(PUB);
	o.verbose = true;	/* exercise the -v path too */
	o.vout = devnull;
	rc = replay_run(&o, st, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "replay error (expected only for the missing-file test): %s\n", err);
	fclose(devnull);
	return rc;
}

/* Every packet the replay touched must have right lengths and checksums. */
static void check_wire(const char *tag, const struct pkt_view *v, long n)
{
	for (long i = 0; i < n; i++) {
		if (!v[i].ipv4)
			continue;
		CHECK(v[i].ip_csum_ok, "%s #%ld: IP header checksum wrong", tag, i);
		CHECK(v[i].l4_csum_ok, "%s #%ld: transport checksum wrong", tag, i);
		if (v[i].proto == IPPROTO_UDP)
			CHECK(v[i].udp_len_field == v[i].plen + 8,
			      "%s #%ld: UDP length %u, payload %zu", tag, i,
			      v[i].udp_len_field, v[i].plen);
		CHECK(v[i].caplen == v[i].len, "%s #%ld: caplen != len", tag, i);
	}
}

/* The acceptance: outbound SIP names no inside host, Content-Length right,
 * and nothing but the ALG's lines changed. */
static void check_outbound_sip(const char *tag, const struct pkt_view *v, long n)
{
	struct in_addr net, mask;
	char what[300];

	replay_parse_cidr("192.168.1.0/24", &net, &mask);
	for (long i = 0; i < n; i++) {
		if (!v[i].ipv4 || !is(v[i].src, PUB) || !sip_looks_like(v[i].payload, v[i].plen))
			continue;
		if (i == P_SPLIT1 || i == P_SPLIT2)
			continue;	/* half messages: checked joined, in check_untouched */
		CHECK(!sip_find_inside_leak(v[i].payload, v[i].plen, net, mask, what, sizeof(what)),
		      "%s #%ld: inside address left: %s", tag, i, what);
		CHECK(sip_check_content_length(v[i].payload, v[i].plen, what, sizeof(what)) == 0,
		      "%s #%ld: %s", tag, i, what);
		CHECK(sip_only_alg_lines_changed((const uint8_t *)specs[i].payload,
						 strlen(specs[i].payload), v[i].payload,
						 v[i].plen, what, sizeof(what)) == 0,
		      "%s #%ld: %s", tag, i, what);
	}
}

static void check_scenario(const char *tag, const struct pkt_view *v, long n)
{
	CHECK(n == P_COUNT, "%s: %ld packets out, %d in", tag, n, P_COUNT);
	if (n != P_COUNT)
		return;
	check_wire(tag, v, n);
	check_outbound_sip(tag, v, n);
	/* Inbound too: only the ALG's lines may differ, Content-Length stays right. */
	for (long i = 0; i < n; i++) {
		char what[300];

		if (!v[i].ipv4 || !specs[i].payload || !sip_looks_like(v[i].payload, v[i].plen) ||
		    i == P_SPLIT1 || i == P_SPLIT2)
			continue;
		CHECK(sip_only_alg_lines_changed((const uint8_t *)specs[i].payload,
						 strlen(specs[i].payload), v[i].payload,
						 v[i].plen, what, sizeof(what)) == 0,
		      "%s #%ld: %s", tag, i, what);
		CHECK(sip_check_content_length(v[i].payload, v[i].plen, what, sizeof(what)) == 0,
		      "%s #%ld: %s", tag, i, what);
	}

	/* A's REGISTER leaves from the public address, port kept. */
	CHECK(is(v[P_REG_A].src, PUB) && v[P_REG_A].sport == 5060 &&
	      is(v[P_REG_A].dst, PROXY), "%s: REGISTER A not SNATed", tag);
	CHECK(sip_header_has(v[P_REG_A].payload, v[P_REG_A].plen, "Contact", PUB ":5060"),
	      "%s: REGISTER A Contact not public", tag);
	/* Its 200 OK reaches A with the public address turned back to A's. */
	CHECK(is(v[P_REG_A_OK].dst, A) && v[P_REG_A_OK].dport == 5060,
	      "%s: 200 OK for A not delivered to A", tag);
	CHECK(sip_header_has(v[P_REG_A_OK].payload, v[P_REG_A_OK].plen, "Via", A ":5060"),
	      "%s: 200 OK for A: Via not rewritten back to the inside", tag);
	/* B clashes with A on 5060: masquerade moves it to the next free port. */
	CHECK(is(v[P_REG_B].src, PUB) && v[P_REG_B].sport == 5061,
	      "%s: REGISTER B left from port %u (expected 5061)", tag, v[P_REG_B].sport);
	CHECK(sip_header_has(v[P_REG_B].payload, v[P_REG_B].plen, "Via", PUB ":5061"),
	      "%s: REGISTER B Via does not name its public port", tag);
	CHECK(is(v[P_REG_B_OK].dst, B) && v[P_REG_B_OK].dport == 5060,
	      "%s: 200 OK to public:5061 not DNATed to B", tag);
	CHECK(sip_header_has(v[P_REG_B_OK].payload, v[P_REG_B_OK].plen, "Via", B ":5060"),
	      "%s: 200 OK for B: Via not rewritten back to B", tag);

	/* INVITE: SDP moved to the public address and a pool port. */
	long port = sdp_media_port(v[P_INVITE].payload, v[P_INVITE].plen, 0);
	CHECK(port == 10000, "%s: INVITE m= port %ld (expected 10000: 4000 is outside the pool)", tag, port);
	CHECK(sip_body_has(v[P_INVITE].payload, v[P_INVITE].plen, "a=rtcp:10001 IN IP4 " PUB),
	      "%s: INVITE a=rtcp not mapped to the RTCP pinhole", tag);
	/* The answer from outside keeps the far end's media untouched. */
	CHECK(sip_body_has(v[P_OK].payload, v[P_OK].plen, "c=IN IP4 " FAR) &&
	      sdp_media_port(v[P_OK].payload, v[P_OK].plen, 0) == 30000,
	      "%s: 200 OK SDP of the far end changed", tag);

	/* Media is symmetric: RTP/RTCP leave from the ports the SDP announced. */
	CHECK(is(v[P_RTP_OUT].src, PUB) && v[P_RTP_OUT].sport == 10000,
	      "%s: RTP left from port %u (SDP said 10000)", tag, v[P_RTP_OUT].sport);
	CHECK(same_payload(&v[P_RTP_OUT], &specs[P_RTP_OUT]), "%s: RTP payload changed", tag);
	CHECK(is(v[P_RTP_IN].dst, A) && v[P_RTP_IN].dport == 4000,
	      "%s: inbound RTP not DNATed to A:4000", tag);
	CHECK(v[P_RTCP_OUT].sport == 10001, "%s: RTCP left from %u (expected 10001)", tag,
	      v[P_RTCP_OUT].sport);

	/* The BYE (802.1Q-tagged on Ethernet) is NATed and rewritten too. */
	CHECK(is(v[P_BYE].src, PUB) &&
	      sip_header_has(v[P_BYE].payload, v[P_BYE].plen, "Via", PUB ":5060"),
	      "%s: BYE not NATed/rewritten", tag);

	/* Non-SIP UDP: only NAT; the text naming A stays; checksum 0 stays 0. */
	CHECK(is(v[P_NONSIP].src, PUB) && v[P_NONSIP].sport == 40000, "%s: non-SIP not NATed", tag);
	CHECK(same_payload(&v[P_NONSIP], &specs[P_NONSIP]), "%s: non-SIP payload changed", tag);
	CHECK(v[P_NONSIP].l4_csum_field == 0, "%s: zero UDP checksum became %#x", tag,
	      v[P_NONSIP].l4_csum_field);

	/* A wrong input checksum is recomputed right when the packet is rebuilt. */
	CHECK(v[P_BADSUM].l4_csum_ok && v[P_BADSUM].l4_csum_field != 0 && is(v[P_BADSUM].src, PUB),
	      "%s: bad-checksum OPTIONS not rebuilt", tag);
}

/* Packets the replay must write byte for byte. */
static void check_untouched(const char *tag, const char *in, const char *out)
{
	struct pkt_view *vi, *vo;
	int dlt_i, dlt_o;
	long ni = pcap_read_views(in, &dlt_i, &vi);
	long no = pcap_read_views(out, &dlt_o, &vo);
	static const int untouched[] = { P_FRAG, P_INSIDE, P_ARP };

	CHECK(ni == no && dlt_i == dlt_o, "%s: count/link type differ", tag);
	for (size_t k = 0; ni == no && k < sizeof(untouched) / sizeof(untouched[0]); k++) {
		int i = untouched[k];
		CHECK(vi[i].caplen == vo[i].caplen && !memcmp(vi[i].data, vo[i].data, vi[i].caplen),
		      "%s #%d: not copied byte for byte", tag, i);
	}
	/* TCP whose rewrite resizes: later segments of that direction move. */
	if (ni == no) {
		const struct pkt_view *g = &vo[P_TCP_GROW], *g2 = &vo[P_TCP_GROW2];
		const struct pkt_view *gok = &vo[P_TCP_GROW_OK];
		long grow = (long)g->plen - (long)vi[P_TCP_GROW].plen;
		char why[128];

		CHECK(is(g->src, PUB) && g->sport == 5071 && g->l4_csum_ok && g->seq == 1 &&
		      sip_header_has(g->payload, g->plen, "Via", PUB ":5071") &&
		      sip_check_content_length(g->payload, g->plen, why, sizeof(why)) == 0,
		      "%s: resizing TCP rewrite not applied", tag);
		CHECK(grow == 2, "%s: TCP REGISTER grew by %ld (expected 2: Via, Contact)", tag, grow);
		CHECK(g2->seq == vi[P_TCP_GROW2].seq + (uint32_t)grow && g2->ack == vi[P_TCP_GROW2].ack &&
		      g2->l4_csum_ok, "%s: next TCP segment seq %u (expected %u + %ld)", tag,
		      g2->seq, vi[P_TCP_GROW2].seq, grow);
		CHECK(gok->seq == 5000 && gok->ack == vi[P_TCP_GROW_OK].ack && gok->l4_csum_ok &&
		      is(gok->dst, "192.168.1.9"), "%s: peer's TCP segment changed seq/ack", tag);
		/* The split INVITE: the two output segments make one right message. */
		const struct pkt_view *s1 = &vo[P_SPLIT1], *s2 = &vo[P_SPLIT2], *s3 = &vo[P_SPLIT3];
		uint8_t whole[4096], orig[4096];
		size_t wl = s1->plen + s2->plen, ol = vi[P_SPLIT1].plen + vi[P_SPLIT2].plen;
		if (wl <= sizeof(whole) && ol <= sizeof(orig)) {
			struct in_addr net, mask;
			memcpy(whole, s1->payload, s1->plen);
			memcpy(whole + s1->plen, s2->payload, s2->plen);
			memcpy(orig, vi[P_SPLIT1].payload, vi[P_SPLIT1].plen);
			memcpy(orig + vi[P_SPLIT1].plen, vi[P_SPLIT2].payload, vi[P_SPLIT2].plen);
			replay_parse_cidr("192.168.1.0/24", &net, &mask);
			CHECK(sip_check_content_length(whole, wl, why, sizeof(why)) == 0,
			      "%s: split INVITE: %s", tag, why);
			CHECK(!sip_find_inside_leak(whole, wl, net, mask, why, sizeof(why)),
			      "%s: split INVITE: inside address left: %s", tag, why);
			CHECK(sip_only_alg_lines_changed(orig, ol, whole, wl, why, sizeof(why)) == 0,
			      "%s: split INVITE: %s", tag, why);
			CHECK(sip_header_has(whole, wl, "Contact", PUB ":5080"),
			      "%s: split INVITE: Contact cut across segments not rewritten", tag);
		}
		CHECK(s1->seq == 1000 && s2->seq == 1000 + (uint32_t)s1->plen &&
		      s3->seq == s2->seq + (uint32_t)s2->plen && s1->l4_csum_ok && s2->l4_csum_ok &&
		      s3->l4_csum_ok, "%s: split INVITE: seq %u/%u/%u after %zu+%zu bytes", tag,
		      s1->seq, s2->seq, s3->seq, s1->plen, s2->plen);
		CHECK(sip_header_has(s3->payload, s3->plen, "Via", PUB ":5080"),
		      "%s: BYE after the split INVITE not rewritten", tag);

		const struct pkt_view *t = &vo[P_TCP_SAME];
		CHECK(is(t->src, PUB) && t->l4_csum_ok &&
		      sip_header_has(t->payload, t->plen, "Via", PUB ":5070"),
		      "%s: TCP same-length rewrite not applied", tag);
		const struct pkt_view *in_inv = &vo[P_INVITE_IN];
		const char *want = "INVITE sip:alice@" A ":5060 SIP/2.0\r\n";
		CHECK(is(in_inv->dst, A) && in_inv->dport == 5060 && in_inv->plen > strlen(want) &&
		      !memcmp(in_inv->payload, want, strlen(want)),
		      "%s: inbound INVITE: Request-URI or DNAT wrong", tag);
	}
	free_views(vi, ni);
	free_views(vo, no);
}

static char tmpdir[64];

static void path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static void test_link_types(void)
{
	static const struct {
		int dlt;
		const char *name;
	} dlts[] = {
		{ DLT_EN10MB, "ethernet" }, { DLT_LINUX_SLL, "sll" },
		{ DLT_LINUX_SLL2, "sll2" }, { DLT_RAW, "raw" },
	};
	struct sipalgd_config cfg;

	config_default(&cfg);
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		char in[128], out[128];
		struct replay_stats st;
		struct pkt_view *v;
		int dlt;
		long n;

		path(in, sizeof(in), "in.pcap");
		path(out, sizeof(out), "out.pcap");
		CHECK(pcap_write_specs(in, dlts[i].dlt, specs, P_COUNT) == 0, "write %s", in);
		CHECK(run_replay(in, out, &cfg, &st) == 0, "%s: replay failed", dlts[i].name);
		CHECK(st.packets == P_COUNT, "%s: stats say %llu packets", dlts[i].name,
		      (unsigned long long)st.packets);
		n = pcap_read_views(out, &dlt, &v);
		CHECK(dlt == dlts[i].dlt, "%s: link type %d out", dlts[i].name, dlt);
		check_scenario(dlts[i].name, v, n);
		free_views(v, n);
		check_untouched(dlts[i].name, in, out);
	}
}

static int write_config(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* enabled = no: SIP passes byte for byte; the NAT still happens. */
static void test_disabled(void)
{
	char in[128], out[128], conf[128], err[256];
	struct sipalgd_config cfg;
	struct replay_stats st;
	struct pkt_view *v;
	int dlt;
	long n;

	path(in, sizeof(in), "in.pcap");
	path(out, sizeof(out), "out-off.pcap");
	path(conf, sizeof(conf), "off.conf");
	write_config(conf, "[general]\nenabled = no\n");
	CHECK(config_load(conf, &cfg, err, sizeof(err)) == 0, "%s", err);
	pcap_write_specs(in, DLT_EN10MB, specs, P_COUNT);
	CHECK(run_replay(in, out, &cfg, &st) == 0, "disabled: replay failed");
	CHECK(st.sip_rewritten == 0, "disabled: %llu SIP rewritten", (unsigned long long)st.sip_rewritten);
	n = pcap_read_views(out, &dlt, &v);
	CHECK(n == P_COUNT, "disabled: count");
	for (long i = 0; i < n && n == P_COUNT; i++) {
		if (!v[i].ipv4 || !specs[i].payload)
			continue;
		CHECK(same_payload(&v[i], &specs[i]), "disabled #%ld: payload changed", i);
	}
	if (n == P_COUNT)
		CHECK(is(v[P_REG_A].src, PUB), "disabled: NAT must still apply");
	check_wire("disabled", v, n);
	free_views(v, n);
}

/* One switch off: that rewrite is left, the others still happen. */
static void test_switch_via_off(void)
{
	char in[128], out[128], conf[128], err[256];
	struct sipalgd_config cfg;
	struct replay_stats st;
	struct pkt_view *v;
	int dlt;
	long n;

	path(in, sizeof(in), "in.pcap");
	path(out, sizeof(out), "out-novia.pcap");
	path(conf, sizeof(conf), "novia.conf");
	write_config(conf, "[rewrite]\nvia = off\n");
	CHECK(config_load(conf, &cfg, err, sizeof(err)) == 0, "%s", err);
	pcap_write_specs(in, DLT_EN10MB, specs, P_COUNT);
	CHECK(run_replay(in, out, &cfg, &st) == 0, "via off: replay failed");
	n = pcap_read_views(out, &dlt, &v);
	if (n == P_COUNT) {
		const struct pkt_view *r = &v[P_REG_A];
		char why[128];
		CHECK(sip_header_has(r->payload, r->plen, "Via", A ":5060"), "via off: Via changed");
		CHECK(sip_header_has(r->payload, r->plen, "Contact", PUB ":5060"),
		      "via off: Contact not rewritten");
		CHECK(sip_check_content_length(r->payload, r->plen, why, sizeof(why)) == 0, "%s", why);
	} else {
		CHECK(0, "via off: %ld packets", n);
	}
	free_views(v, n);
}

/* The scanner itself must catch what it is meant to catch. */
static void test_checker_self(void)
{
	struct in_addr net, mask;
	char what[200];
	const char *leak = "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10:5060\r\n"
			   "Content-Length: 0\r\n\r\n";
	const char *bad_cl = "SIP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nabc";

	replay_parse_cidr("192.168.1.0/24", &net, &mask);
	CHECK(sip_find_inside_leak((const uint8_t *)leak, strlen(leak), net, mask, what, sizeof(what)) == 1,
	      "checker misses an inside Via");
	CHECK(sip_check_content_length((const uint8_t *)bad_cl, strlen(bad_cl), what, sizeof(what)) < 0,
	      "checker misses a wrong Content-Length");
	const char *before = "INVITE sip:a@1.2.3.4 SIP/2.0\r\nVia: x\r\nFrom: <sip:a@h>\r\n\r\nv=0\r\nc=IN IP4 h\r\n";
	const char *ok_after = "INVITE sip:a@5.6.7.8 SIP/2.0\r\nVia: y\r\nFrom: <sip:a@h>\r\n\r\nv=0\r\nc=IN IP4 k\r\n";
	const char *bad_after = "INVITE sip:a@1.2.3.4 SIP/2.0\r\nVia: x\r\nFrom: <sip:a@k>\r\n\r\nv=0\r\nc=IN IP4 h\r\n";
	CHECK(sip_only_alg_lines_changed((const uint8_t *)before, strlen(before),
					 (const uint8_t *)ok_after, strlen(ok_after), what, sizeof(what)) == 0,
	      "diff checker refuses ALG lines: %s", what);
	CHECK(sip_only_alg_lines_changed((const uint8_t *)before, strlen(before),
					 (const uint8_t *)bad_after, strlen(bad_after), what, sizeof(what)) < 0,
	      "diff checker misses a From change");
	CHECK(replay_parse_cidr("10.1.2.3/8", &net, &mask) == 0 && net.s_addr == htonl(0x0a000000) &&
	      mask.s_addr == htonl(0xff000000), "CIDR 10.1.2.3/8");
	CHECK(replay_parse_cidr("10.0.0.1", &net, &mask) == 0 && mask.s_addr == 0xffffffff, "bare address");
	CHECK(replay_parse_cidr("10.0.0.0/33", &net, &mask) < 0, "/33 accepted");
	CHECK(replay_parse_cidr("10.0.0/8", &net, &mask) < 0, "short address accepted");
	CHECK(replay_parse_cidr("10.0.0.0/", &net, &mask) < 0, "empty prefix accepted");
}

static void test_io_error(void)
{
	struct sipalgd_config cfg;
	struct replay_stats st;
	char out[128];

	config_default(&cfg);
	path(out, sizeof(out), "never.pcap");
	CHECK(run_replay("/nonexistent/in.pcap", out, &cfg, &st) < 0, "missing input accepted");
}

int main(int argc, char **argv)
{
	build_scenario();
	if (argc == 3 && strcmp(argv[1], "--sample") == 0)
		return pcap_write_specs(argv[2], DLT_EN10MB, specs, P_COUNT) < 0;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sipalgd-replay-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_checker_self();
	test_link_types();
	test_disabled();
	test_switch_via_off();
	test_io_error();

	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	for (int i = 0; i < P_COUNT; i++)
		free(texts[i]);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("replay: all checks passed\n");
	return 0;
}
