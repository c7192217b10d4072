/*
 * test_replay_v6.c - the offline replay on IPv6 captures.
 *
 * Inside 2001:db8:1::/64 (phone A 2001:db8:1::10), proxy 2001:db8:2::5, far
 * phone 2001:db8:2::77. Routed (no --public6): every packet crosses byte for
 * byte, and -v names the pinhole the SDP needs. NAT66 (--public6
 * 2001:db8:ff::1): the IPv4 rewrites with [v6] literals and IN IP6, the
 * media on the pool, checksums over the IPv6 pseudo header. Fragments and
 * an IPv4 packet with no IPv4 network given are copied. The output is read
 * back with the tests' own parser (pcap_util.c), under three link types.
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


#define A	"2001:db8:1::10"
#define PUB6	"2001:db8:ff::1"
#define PROXY	"2001:db8:2::5"
#define FAR	"2001:db8:2::77"


#define SDP_A                                                                  \
	"v=0\r\n"                                                              \
	"o=alice 1 1 IN IP6 " A "\r\n"                                         \
	"s=-\r\n"                                                              \
	"c=IN IP6 " A "\r\n"                                                   \
	"t=0 0\r\n"                                                            \
	"m=audio 4000 RTP/AVP 0\r\n"                                           \
	"a=rtcp:4001 IN IP6 " A "\r\n"

#define SDP_FAR                                                                \
	"v=0\r\n"                                                              \
	"o=bob 1 1 IN IP6 " FAR "\r\n"                                         \
	"s=-\r\n"                                                              \
	"c=IN IP6 " FAR "\r\n"                                                 \
	"t=0 0\r\n"                                                            \
	"m=audio 30000 RTP/AVP 0\r\n"

enum { P_INVITE, P_INVITE_HBH, P_OK, P_RTP_OUT, P_FRAG, P_V4, P_COUNT };

static struct pkt_spec specs[P_COUNT];
static char *invite, *ok;

static void build(bool nat66)
{
	static const char *rtp = "\x80\x00\x00\x01rtp-payload";

	free(invite);
	free(ok);
	invite = sip_test_message("INVITE sip:bob@example.org SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP [" A "]:5060;branch=z9hG4bKv61;rport\r\n"
		     "From: <sip:alice@example.org>;tag=a1\r\n"
		     "To: <sip:bob@example.org>\r\n"
		     "Call-ID: v6call@example.org\r\n"
		     "CSeq: 1 INVITE\r\n"
		     "Contact: <sip:alice@[" A "]:5060>\r\n"
		     "Content-Type: application/sdp\r\n", SDP_A);
	{	/* the 200 OK comes to the public address under NAT66, to A when routed */
		char head[1024];

		snprintf(head, sizeof(head),
			 "SIP/2.0 200 OK\r\n"
			 "Via: SIP/2.0/UDP [%s]:5060;branch=z9hG4bKv61;rport=5060\r\n"
			 "From: <sip:alice@example.org>;tag=a1\r\n"
			 "To: <sip:bob@example.org>;tag=b1\r\n"
			 "Call-ID: v6call@example.org\r\n"
			 "CSeq: 1 INVITE\r\n"
			 "Contact: <sip:bob@[" FAR "]:5060>\r\n"
			 "Content-Type: application/sdp\r\n", nat66 ? PUB6 : A);
		ok = sip_test_message(head, SDP_FAR);
	}
	specs[P_INVITE] = (struct pkt_spec){ .src = A, .sport = 5060, .dst = PROXY, .dport = 5060,
					     .payload = invite };
	specs[P_INVITE_HBH] = specs[P_INVITE];
	specs[P_INVITE_HBH].hopopts = true;
	specs[P_OK] = (struct pkt_spec){ .src = PROXY, .sport = 5060, .dst = nat66 ? PUB6 : A,
					 .dport = 5060, .payload = ok };
	specs[P_RTP_OUT] = (struct pkt_spec){ .src = A, .sport = 4000, .dst = FAR, .dport = 30000,
					      .payload = rtp };
	specs[P_FRAG] = specs[P_INVITE];
	specs[P_FRAG].fragment = true;
	specs[P_V4] = (struct pkt_spec){ .src = "192.168.1.10", .sport = 5060, .dst = "203.0.113.5",
					 .dport = 5060, .payload = invite };
}

static char tmpdir[64];

static void path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static int run(const char *in, const char *out, const char *vfile, bool nat66,
	       struct replay_stats *st)
{
	static struct sipalgd_config cfg;
	struct replay_opts o = { .in_path = in, .out_path = out, .cfg = &cfg, .verbose = true };
	char err[256];
	int rc;

	config_default(&cfg);
	replay_parse_cidr6("2001:db8:1::/64", &o.inside6_net, &o.inside6_bits);
	o.has_inside6 = true;
	if (nat66) {
		inet_pton(AF_INET6, PUB6, &o.public6);
		o.has_public6 = true;
	}
	o.vout = fopen(vfile, "w");
	rc = replay_run(&o, st, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "replay: %s\n", err);
	fclose(o.vout);
	return rc;
}

static bool is6(const struct in6_addr *a, const char *s)
{
	struct in6_addr b;

	return inet_pton(AF_INET6, s, &b) == 1 && !memcmp(a, &b, sizeof(b));
}

static char *slurp(const char *file)
{
	static char buf[65536];
	FILE *f = fopen(file, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Every packet the same bytes as its input. */
static void check_same(const char *tag, const char *in, const char *out)
{
	struct pkt_view *a, *b;
	int d1, d2;
	long n = pcap_read_views(in, &d1, &a), m = pcap_read_views(out, &d2, &b);

	CHECK(n == P_COUNT && m == n, "%s: %ld in, %ld out", tag, n, m);
	for (long i = 0; i < n && i < m; i++)
		CHECK(a[i].caplen == b[i].caplen && !memcmp(a[i].data, b[i].data, a[i].caplen),
		      "%s: packet %ld changed on a routed flow", tag, i + 1);
	if (n > 0)
		CHECK(a[0].ipv6 && a[P_INVITE_HBH].ipv6 && !a[P_FRAG].ipv6,
		      "%s: the checker parses the input as meant", tag);
	free_views(a, n > 0 ? n : 0);
	free_views(b, m > 0 ? m : 0);
}

static void test_routed(int dlt, const char *name)
{
	char in[96], out[96], vf[96], tag[64];
	struct replay_stats st;
	const char *v;

	snprintf(tag, sizeof(tag), "routed/%s", name);
	path(in, sizeof(in), "r-in.pcap");
	path(out, sizeof(out), "r-out.pcap");
	path(vf, sizeof(vf), "r-v.txt");
	build(false);
	CHECK(pcap_write_specs(in, dlt, specs, P_COUNT) == 0, "%s: write", tag);
	CHECK(run(in, out, vf, false, &st) == 0, "%s: replay failed", tag);
	CHECK(st.packets == P_COUNT && st.sip_rewritten == 0 && st.nat_only == 0,
	      "%s: %llu packets, %llu rewritten, %llu NAT only", tag,
	      (unsigned long long)st.packets, (unsigned long long)st.sip_rewritten,
	      (unsigned long long)st.nat_only);
	CHECK(st.sip_unchanged == 3, "%s: %llu SIP seen unchanged (want INVITE x2, 200)", tag,
	      (unsigned long long)st.sip_unchanged);
	check_same(tag, in, out);
	v = slurp(vf);
	CHECK(strstr(v, "1 out udp [" A "]:5060 > [" PROXY "]:5060") != NULL,
	      "%s: -v names the IPv6 flow:\n%s", tag, v);
	CHECK(strstr(v, "routed, pinhole to [" A "]:4000") != NULL,
	      "%s: -v names the pinhole the SDP needs", tag);
	CHECK(strstr(v, "\n2 out udp [" A "]") != NULL, "%s: hop-by-hop header walked", tag);
	CHECK(strstr(v, "IPv6 fragment: copied unchanged") != NULL, "%s: fragment copied", tag);
	CHECK(strstr(v, "IPv4, no inside IPv4 network given: copied") != NULL,
	      "%s: IPv4 without --inside v4 copied", tag);
}

static void test_nat66(int dlt, const char *name)
{
	char in[96], out[96], vf[96], tag[64], why[256];
	struct replay_stats st;
	struct pkt_view *v;
	int d;
	long n, port;

	snprintf(tag, sizeof(tag), "nat66/%s", name);
	path(in, sizeof(in), "n-in.pcap");
	path(out, sizeof(out), "n-out.pcap");
	path(vf, sizeof(vf), "n-v.txt");
	build(true);
	CHECK(pcap_write_specs(in, dlt, specs, P_COUNT) == 0, "%s: write", tag);
	CHECK(run(in, out, vf, true, &st) == 0, "%s: replay failed", tag);
	CHECK(st.sip_rewritten == 3, "%s: %llu rewritten (want INVITE x2, 200)", tag,
	      (unsigned long long)st.sip_rewritten);
	n = pcap_read_views(out, &d, &v);
	CHECK(n == P_COUNT && d == dlt, "%s: %ld packets out", tag, n);
	if (n != P_COUNT) {
		free_views(v, n > 0 ? n : 0);
		return;
	}
	for (long i = 0; i < n; i++) {
		if (!v[i].ipv6)
			continue;
		CHECK(v[i].l4_csum_ok && v[i].l4_csum_field != 0,
		      "%s: packet %ld: UDP checksum over the IPv6 pseudo header", tag, i + 1);
		CHECK(v[i].udp_len_field == v[i].plen + 8, "%s: packet %ld: UDP length", tag, i + 1);
	}
	for (int k = P_INVITE; k <= P_INVITE_HBH; k++) {
		const struct pkt_view *x = &v[k];

		CHECK(x->ipv6 && is6(&x->src6, PUB6) && x->sport == 5060,
		      "%s: INVITE %d leaves from [" PUB6 "]:5060", tag, k);
		CHECK(sip_header_has(x->payload, x->plen, "Via", "[" PUB6 "]:5060") &&
		      sip_header_has(x->payload, x->plen, "Contact", "[" PUB6 "]:5060") &&
		      sip_body_has(x->payload, x->plen, "c=IN IP6 " PUB6 "\r\n") &&
		      sip_body_has(x->payload, x->plen, "IN IP6 " PUB6 "\r\n") &&
		      !sip_body_has(x->payload, x->plen, A),
		      "%s: INVITE %d rewritten to the public address", tag, k);
		CHECK(sip_check_content_length(x->payload, x->plen, why, sizeof(why)) == 0,
		      "%s: INVITE %d: %s", tag, k, why);
	}
	port = sdp_media_port(v[P_INVITE].payload, v[P_INVITE].plen, 0);
	CHECK(port >= 10000 && port <= 20000, "%s: m= port %ld from the pool", tag, port);
	CHECK(v[P_OK].ipv6 && is6(&v[P_OK].dst6, A) && v[P_OK].dport == 5060 &&
	      sip_header_has(v[P_OK].payload, v[P_OK].plen, "Via", "[" A "]:5060") &&
	      sip_body_has(v[P_OK].payload, v[P_OK].plen, "c=IN IP6 " FAR),
	      "%s: the 200 OK reaches A with its Via back and the far SDP kept", tag);
	CHECK(v[P_RTP_OUT].ipv6 && is6(&v[P_RTP_OUT].src6, PUB6) && v[P_RTP_OUT].sport == port,
	      "%s: RTP leaves from the announced port %ld (got %u)", tag, port, v[P_RTP_OUT].sport);
	free_views(v, n);
}

int main(void)
{
	static const struct {
		int dlt;
		const char *name;
	} dlts[] = { { DLT_EN10MB, "en10mb" }, { DLT_LINUX_SLL2, "sll2" }, { DLT_RAW, "raw" } };
	struct in6_addr net;
	unsigned bits;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/replay6.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	CHECK(replay_parse_cidr6("2001:db8:1:0:ffff::/64", &net, &bits) == 0 && bits == 64 &&
	      is6(&net, "2001:db8:1::"), "cidr6 masks the host part");
	CHECK(replay_parse_cidr6("2001:db8::/129", &net, &bits) < 0 &&
	      replay_parse_cidr6("2001:db8::/", &net, &bits) < 0 &&
	      replay_parse_cidr6("192.168.1.0/24", &net, &bits) < 0, "cidr6 refuses bad input");
	for (size_t i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		test_routed(dlts[i].dlt, dlts[i].name);
		test_nat66(dlts[i].dlt, dlts[i].name);
	}
	free(invite);
	free(ok);
	if (!failures) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "note: %s left\n", tmpdir);
	} else {
		fprintf(stderr, "work files kept in %s\n", tmpdir);
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
	return failures != 0;
}
