/*
 * unit_test.c - the engine's API edges: stream framing, apply, limits,
 * defaults, callback contract, first use from several threads at once.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "sipalg.h"
#include "test_util.h"
#include "text.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { failures++; \
	printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static long len_of(const char *s)
{
	return sipalg_message_length((const uint8_t *)s, strlen(s));
}

static void test_framing(void)
{
	const char *msg = "OPTIONS sip:a@b SIP/2.0\r\nl: 4\r\nVia: x\r\n\r\nbody";
	char two[256];

	CHECK(len_of(msg) == (long)strlen(msg));
	snprintf(two, sizeof(two), "%s%s", msg, msg);
	CHECK(len_of(two) == (long)strlen(msg));
	CHECK(sipalg_message_length((const uint8_t *)msg, strlen(msg) - 1) == 0);	/* body short */
	CHECK(sipalg_message_length((const uint8_t *)msg, 20) == 0);	/* headers short */
	CHECK(len_of("SIP/2.0 200 OK\nContent-Length: 0\n\n") == 34);	/* bare LF */
	CHECK(len_of("\r\n\r\nOPTIONS") == 4);	/* keep-alive CRLFs */
	CHECK(len_of("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n") == -1);	/* no length */
	CHECK(len_of("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n") == -1);
	CHECK(len_of("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nxx") == -1);
	CHECK(len_of("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == -1);
	CHECK(len_of("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999\r\n\r\n") == -1);
	CHECK(sipalg_message_length(NULL, 0) == 0);
}

static void test_apply_and_strings(void)
{
	struct sipalg_switches sw;
	static struct sipalg_result res;
	uint8_t out[8];
	const uint8_t in[] = "0123456789";
	unsigned k;

	sipalg_switches_default(&sw);
	CHECK(sw.enabled && sw.request_uri && sw.via && sw.contact && sw.record_route &&
	      sw.route && !sw.from_to && sw.sdp_origin && sw.sdp_connection &&
	      sw.sdp_media_port && sw.sdp_rtcp);
	memset(&res, 0, sizeof(res));
	res.status = SIPALG_OK;
	CHECK(sipalg_apply(in, 10, &res, out, sizeof(out)) == -1);	/* does not fit */
	CHECK(sipalg_apply(in, 8, &res, out, sizeof(out)) == 8 && memcmp(out, in, 8) == 0);
	res.n_edits = 2;
	res.edits[0] = (struct sipalg_edit){ .off = 5, .len = 1, .text = "X" };
	res.edits[1] = (struct sipalg_edit){ .off = 2, .len = 1, .text = "Y" };
	CHECK(sipalg_apply(in, 5, &res, out, sizeof(out)) == -1);	/* unsorted/out of range */
	res.edits[0] = (struct sipalg_edit){ .off = 1, .len = 2, .text = "" };
	res.edits[1] = (struct sipalg_edit){ .off = 4, .len = 0, .text = "ab" };
	CHECK(sipalg_apply(in, 6, &res, out, sizeof(out)) == 6 && memcmp(out, "03ab45", 6) == 0);
	for (k = 0; k < SIPALG_EDIT_KIND_MAX; k++)
		CHECK(strcmp(sipalg_edit_kind_str((enum sipalg_edit_kind)k), "?") != 0);
	for (k = SIPALG_OK; k <= SIPALG_TOO_BIG; k++)
		CHECK(strcmp(sipalg_status_str((enum sipalg_status)k), "?") != 0);
}

static struct sipalg_ctx base_ctx(struct sipalg_switches *sw)
{
	struct sipalg_ctx ctx = { .transport = SIPALG_UDP, .dir = SIPALG_OUTBOUND, .sw = sw };

	sipalg_switches_default(sw);
	tu_parse_addr("192.168.1.10:5060", &ctx.binding.inside);
	tu_parse_addr("203.0.113.1:40000", &ctx.binding.public);
	return ctx;
}

static unsigned seen_media;
static int check_facts_first(void *arg, enum sipalg_dir dir, const struct sipalg_facts *f,
			     unsigned idx, const struct sipalg_media *m,
			     struct sipalg_addr *out, uint16_t *out_rtcp)
{
	(void)arg; (void)dir; (void)out;
	seen_media = f->n_media;	/* every stream is reported before the first call */
	*out_rtcp = 1;
	return idx == 0 && m == &f->media[0] ? 0 : -1;
}

static void test_limits(void)
{
	struct sipalg_switches sw;
	struct sipalg_ctx ctx = base_ctx(&sw);
	static struct sipalg_result res;
	static char big[SIPALG_MAX_MSG + 2];
	size_t n = 0;
	int i;

	CHECK(sipalg_process((const uint8_t *)"x", 1, NULL, &res) == SIPALG_UNPARSABLE);
	memset(big, 'a', sizeof(big));
	CHECK(sipalg_process((const uint8_t *)big, SIPALG_MAX_MSG + 1, &ctx, &res) == SIPALG_TOO_BIG);
	CHECK(sipalg_process((const uint8_t *)"", 0, &ctx, &res) == SIPALG_NOT_SIP);

	/* 300 Vias naming the inside host: more edits than the plan holds. */
	n = (size_t)snprintf(big, sizeof(big), "OPTIONS sip:x@y SIP/2.0\r\n");
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
				      "Via: SIP/2.0/UDP 192.168.1.10;branch=z9hG4bK%d\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "Content-Length: 0\r\n\r\n");
	CHECK(sipalg_process((const uint8_t *)big, n, &ctx, &res) == SIPALG_TOO_BIG);
	CHECK(res.n_edits == 0);

	/* 17 m-lines: more than SIPALG_MAX_MEDIA streams can be reported. */
	n = (size_t)snprintf(big, sizeof(big),
		"INVITE sip:x@y SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n"
		"v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\n");
	for (i = 0; i < 17; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "m=audio %d RTP/AVP 0\r\n", 8000 + 2 * i);
	CHECK(sipalg_process((const uint8_t *)big, n, &ctx, &res) == SIPALG_TOO_BIG);

	/* Callback contract: all facts first; a refused stream keeps its port. */
	n = (size_t)snprintf(big, sizeof(big),
		"INVITE sip:x@y SIP/2.0\r\nContent-Type: application/sdp\r\n\r\n"
		"v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\n"
		"m=audio 8000 RTP/AVP 0\r\nm=audio 8002 RTP/AVP 0\r\n");
	ctx.map_media = check_facts_first;
	CHECK(sipalg_process((const uint8_t *)big, n, &ctx, &res) == SIPALG_OK);
	CHECK(seen_media == 2);
	CHECK(res.facts.n_media == 2);
}

static void *race(void *arg)
{
	struct sipalg_switches sw;
	struct sipalg_ctx ctx = base_ctx(&sw);
	struct sipalg_result *res = malloc(sizeof(*res));
	const char *m = "REGISTER sip:e SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10\r\n"
			"Contact: <sip:a@192.168.1.10>\r\nContent-Length: 0\r\n\r\n";
	int i, ok = 1;

	(void)arg;
	for (i = 0; i < 200; i++)
		ok &= sipalg_process((const uint8_t *)m, strlen(m), &ctx, res) == SIPALG_OK &&
		      res->n_edits == 2;
	free(res);
	return ok ? arg : NULL;
}

static void test_threads(void)
{
	pthread_t t[4];
	int i, tag = 1;
	void *r;

	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, race, &tag) == 0);
	for (i = 0; i < 4; i++) {
		CHECK(pthread_join(t[i], &r) == 0);
		CHECK(r == &tag);
	}
}

/* alg_ipv4_parse() is inet_pton(AF_INET) without the copy: the same verdict
 * and address on every string, checked on the edge cases and on 200000
 * random strings over "0123456789." (and a stray byte), lengths 0 to 17. */
static void test_ipv4_parse(void)
{
	static const char *const edge[] = {
		"0.0.0.0", "255.255.255.255", "256.0.0.1", "01.2.3.4", "1.2.3.04", "1.2.3",
		"1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4 ", "1.2.3.0", "10.0.0.00", "",
		"1.2.3.4/8", "999.1.1.1", "1.2.3.255", "1.2.3.2555",
	};
	static const char alphabet[] = "0123456789....x";
	unsigned long seed = 12345;
	unsigned i, bad = 0;

	for (i = 0; i < sizeof(edge) / sizeof(edge[0]) + 200000; i++) {
		char buf[20];
		struct in_addr a = { 0 }, b = { 0 };
		size_t n, k;
		bool mine, libc;

		if (i < sizeof(edge) / sizeof(edge[0])) {
			n = strlen(edge[i]);
			memcpy(buf, edge[i], n + 1);
		} else {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			n = (seed >> 33) % 18;
			for (k = 0; k < n; k++) {
				seed = seed * 6364136223846793005UL + 1442695040888963407UL;
				buf[k] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
			}
			buf[n] = '\0';
		}
		mine = alg_ipv4_parse(buf, n, &a);
		libc = inet_pton(AF_INET, buf, &b) == 1;
		if (mine != libc || (mine && a.s_addr != b.s_addr)) {
			if (bad++ < 5)
				printf("FAIL ipv4 '%s': alg_ipv4_parse %d, inet_pton %d\n", buf, mine, libc);
		}
	}
	CHECK(bad == 0);
}

/* IPv6 literals: parsed as addresses (every spelling of one address is that
 * address), bracketed only where a host is; zones, over-long tokens, a NUL
 * inside and the other family never parse; the text written is RFC 5952's. */
static void test_ip6(void)
{
	struct sipalg_addr a, b, v4 = { .ip = { htonl(0xc0a8010a) }, .port = 5060 };
	char buf[ALG_ADDR_TEXT_MAX + 8];

	CHECK(alg_addr_parse(AF_INET6, "2001:db8::1", 11, &a) && sipalg_addr_is_v6(&a));
	CHECK(alg_addr_parse(AF_INET6, "[2001:DB8:0:0:0:0:0:01]", 23, &b));
	CHECK(sipalg_addr_same_ip(&a, &b));
	CHECK(!alg_addr_parse(AF_INET6, "[2001:db8::1", 12, &b));
	CHECK(!alg_addr_parse(AF_INET6, "fe80::1%eth0", 12, &b));
	CHECK(!alg_addr_parse(AF_INET6, "2001:db8::1\0::2", 14, &b));
	CHECK(!alg_addr_parse(AF_INET6, "1.2.3.4", 7, &b));
	CHECK(!alg_addr_parse(AF_INET6, "0000:0000:0000:0000:0000:0000:0000:0000:0000:0001", 49, &b));
	CHECK(!alg_addr_parse(AF_INET, "2001:db8::1", 11, &b));
	CHECK(alg_addr_parse(AF_INET6, "::ffff:192.168.1.10", 19, &b));
	CHECK(!sipalg_addr_same_ip(&b, &v4));	/* a mapped address is IPv6 */
	CHECK(alg_format_addr(buf, &b, true) == 21 && !strcmp(buf, "[::ffff:192.168.1.10]"));
	CHECK(alg_format_addr(buf, &a, false) == 11 && !strcmp(buf, "2001:db8::1"));
	alg_format_hostport(buf, sizeof(buf), &a, NULL, 0, false, 5060);
	CHECK(!strcmp(buf, "[2001:db8::1]"));
	alg_format_hostport(buf, sizeof(buf), &a, "[2001:DB8::1]", 13, false, 40000);
	CHECK(!strcmp(buf, "[2001:DB8::1]:40000"));
	alg_format_hostport(buf, sizeof(buf), &v4, NULL, 0, true, 5060);
	CHECK(!strcmp(buf, "192.168.1.10:5060"));
	CHECK(alg_addr_parse(AF_INET6, "::", 2, &b) && sipalg_addr_is_any(&b));
	CHECK(!sipalg_addr_is_any(&a) && !sipalg_addr_is_any(&v4));
}

int main(void)
{
	test_ipv4_parse();
	test_ip6();
	test_framing();
	test_apply_and_strings();
	test_limits();
	test_threads();
	printf("%s\n", failures ? "FAILED" : "all unit checks passed");
	return failures ? 1 : 0;
}
