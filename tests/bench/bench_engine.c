/*
 * bench_engine.c - cost of the engine per message (sipalg_process +
 * sipalg_apply), for the messages a gateway sees most:
 *   invite-out : INVITE with SDP, outbound, every default switch on, media map
 *   200ok-in   : 200 OK to that INVITE, inbound (our Via with received/rport,
 *                the far end's SDP: facts only)
 *   200reg-in  : 200 OK to REGISTER, inbound (Via + Contact rewritten)
 *   invite-in  : INVITE from the far side, inbound (Request-URI rewritten,
 *                the far end's SDP: facts only)
 * Usage: bench_engine [ITERATIONS [CASE]]   (default 200000, every case;
 *        prints CPU ns/message; one CASE is what callgrind wants)
 * Timings mean something only in a Release build without sanitizers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sipalg.h"
#include "test_util.h"

static const char invite[] =
	"INVITE sip:bob@198.51.100.5 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@192.168.1.10\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@192.168.1.10:5060>\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, UPDATE\r\n"
	"User-Agent: baresip v3.24.0 (x86_64/Linux)\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 236\r\n"
	"\r\n"
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 192.168.1.10\r\n"
	"s=-\r\n"
	"c=IN IP4 192.168.1.10\r\n"
	"t=0 0\r\n"
	"m=audio 8000 RTP/AVP 9 0 8 101\r\n"
	"a=rtpmap:9 G722/8000\r\n"
	"a=rtpmap:0 PCMU/8000\r\n"
	"a=rtpmap:8 PCMA/8000\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=sendrecv\r\n";

static const char ok_invite[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK776asdhds;rport=40000;received=203.0.113.1\r\n"
	"To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@192.168.1.10\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:bob@198.51.100.9:5060>\r\n"
	"Record-Route: <sip:198.51.100.5;lr>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 126\r\n"
	"\r\n"
	"v=0\r\n"
	"o=bob 2808844564 2808844564 IN IP4 198.51.100.9\r\n"
	"s=-\r\n"
	"c=IN IP4 198.51.100.9\r\n"
	"t=0 0\r\n"
	"m=audio 30000 RTP/AVP 0\r\n"
	"a=sendrecv\r\n";

static const char ok_register[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKr2;received=203.0.113.1;rport=40000\r\n"
	"From: <sip:alice@example.com>;tag=reg1\r\n"
	"To: <sip:alice@example.com>;tag=srv1\r\n"
	"Call-ID: reg-1@192.168.1.10\r\n"
	"CSeq: 2 REGISTER\r\n"
	"Contact: <sip:alice@203.0.113.1:40000>;expires=3600\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char invite_in[] =
	"INVITE sip:alice@203.0.113.1:40000 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.5:5060;branch=z9hG4bKpx1;rport\r\n"
	"Via: SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bKua1;received=198.51.100.9\r\n"
	"Record-Route: <sip:198.51.100.5;lr>\r\n"
	"Max-Forwards: 69\r\n"
	"From: Bob <sip:bob@example.com>;tag=b77\r\n"
	"To: Alice <sip:alice@example.com>\r\n"
	"Call-ID: 3848276298220188511@198.51.100.9\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:bob@198.51.100.9:5060>\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 165\r\n"
	"\r\n"
	"v=0\r\n"
	"o=bob 2808844564 2808844564 IN IP4 198.51.100.9\r\n"
	"s=-\r\n"
	"c=IN IP4 198.51.100.9\r\n"
	"t=0 0\r\n"
	"m=audio 30000 RTP/AVP 0 101\r\n"
	"a=rtpmap:101 telephone-event/8000\r\n"
	"a=sendrecv\r\n";

static int bench_map(void *arg, enum sipalg_dir dir, const struct sipalg_facts *msg,
		     unsigned idx, const struct sipalg_media *m,
		     struct sipalg_addr *out, uint16_t *out_rtcp)
{
	(void)arg; (void)dir; (void)msg; (void)idx;
	out->port = (uint16_t)(m->addr.port + 2000);
	*out_rtcp = (uint16_t)(out->port + 1);
	return 0;
}

/* CPU time of this thread: the machine is shared, wall time would measure
 * the neighbours too. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int bench(const char *name, const char *msg, enum sipalg_dir dir, long iters,
		 unsigned want_edits)
{
	static struct sipalg_result res;
	static uint8_t out[SIPALG_MAX_MSG];
	struct sipalg_switches sw;
	struct sipalg_ctx ctx = { .transport = SIPALG_UDP, .dir = dir, .sw = &sw,
				  .map_media = bench_map };
	size_t len = strlen(msg);
	double t0, t1;
	long i, total = 0;

	sipalg_switches_default(&sw);
	tu_parse_addr("192.168.1.10:5060", &ctx.binding.inside);
	tu_parse_addr("203.0.113.1:40000", &ctx.binding.public);
	tu_parse_addr("198.51.100.5:5060", &ctx.binding.remote);
	/* One checked run first: the bench must measure the real work. */
	if (sipalg_process((const uint8_t *)msg, len, &ctx, &res) != SIPALG_OK ||
	    res.n_edits != want_edits) {
		printf("%-10s: unexpected result %s, %u edits\n", name,
		       sipalg_status_str(res.status), res.n_edits);
		return 1;
	}
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		sipalg_process((const uint8_t *)msg, len, &ctx, &res);
		total += sipalg_apply((const uint8_t *)msg, len, &res, out, sizeof(out));
	}
	t1 = now_ns();
	printf("%-10s: %4zu bytes, %2u edits, %8.0f ns CPU/message (%ld iterations, %ld bytes out)\n",
	       name, len, res.n_edits, (t1 - t0) / (double)iters, iters, total);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name, *msg;
		enum sipalg_dir dir;
		unsigned edits;
	} cases[] = {
		{ "invite-out", invite, SIPALG_OUTBOUND, 6 },
		{ "200ok-in", ok_invite, SIPALG_INBOUND, 2 },
		{ "200reg-in", ok_register, SIPALG_INBOUND, 3 },
		{ "invite-in", invite_in, SIPALG_INBOUND, 1 },
	};
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	const char *only = argc > 2 ? argv[2] : NULL;
	int rc = 0, ran = 0;
	size_t i;

	if (iters <= 0)
		iters = 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (only && strcmp(only, cases[i].name) != 0)
			continue;
		rc |= bench(cases[i].name, cases[i].msg, cases[i].dir, iters, cases[i].edits);
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "no case named %s\n", only);
		return 2;
	}
	return rc;
}
