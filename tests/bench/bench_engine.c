/*
 * bench_engine.c - cost of the engine per message (sipalg_process +
 * sipalg_apply), for the messages a gateway sees most:
 *   invite-out : INVITE with SDP, outbound, every default switch on, media map
 *   200ok-in   : 200 OK to that INVITE, inbound (our Via with received/rport,
 *                the far end's SDP: facts only)
 *   200reg-in  : 200 OK to REGISTER, inbound (Via + Contact rewritten)
 *   invite-in  : INVITE from the far side, inbound (Request-URI rewritten,
 *                the far end's SDP: facts only)
 * Usage: bench_engine [ITERATIONS [CASE]]   (default 200000, every case)
 * Prints CPU ns/message, then instructions (Ir) per message: each case runs
 * again under callgrind (valgrind found in PATH), counting only the timed
 * loop (client requests), so the figure is exact and does not depend on the
 * machine's load. Without valgrind, or in a sanitizer build (valgrind cannot
 * run ASan), the Ir line says "skipped" and why.
 * Timings mean something only in a Release build without sanitizers.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BENCH_SANITIZED 1
#endif
#if defined(HAVE_CALLGRIND_H) && !defined(BENCH_SANITIZED)
#include <valgrind/callgrind.h>
#define BENCH_IR 1
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

extern char **environ;

/* Iterations of the callgrind run: Ir per message is exact after a few. */
#define IR_ITERS 500

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

static bool ir_child;	/* this process is the callgrind run: print nothing */

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
	CALLGRIND_START_INSTRUMENTATION;
	for (i = 0; i < iters; i++) {
		sipalg_process((const uint8_t *)msg, len, &ctx, &res);
		total += sipalg_apply((const uint8_t *)msg, len, &res, out, sizeof(out));
	}
	CALLGRIND_STOP_INSTRUMENTATION;
	t1 = now_ns();
	if (ir_child)
		return 0;
	printf("%-10s: %4zu bytes, %2u edits, %8.0f ns CPU/message (%ld iterations, %ld bytes out)\n",
	       name, len, res.n_edits, (t1 - t0) / (double)iters, iters, total);
	return 0;
}

#ifdef BENCH_IR
/* Run this binary on one case under callgrind, instrumentation off until the
 * loop starts; its "Collected : N" line on stderr is the loop's Ir. */
static long ir_of(const char *self, const char *name, long iters)
{
	char it[24], *argv[12], line[512];
	int fd[2], status, n = 0;
	long ir = -1;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	FILE *f;

	snprintf(it, sizeof(it), "%ld", iters);
	argv[n++] = "valgrind";
	argv[n++] = "--tool=callgrind";
	argv[n++] = "--instr-atstart=no";
	argv[n++] = "--callgrind-out-file=/dev/null";
	argv[n++] = (char *)self;
	argv[n++] = "--ir-child";
	argv[n++] = it;
	argv[n++] = (char *)name;
	argv[n] = NULL;
	if (pipe(fd) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "valgrind", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	f = fdopen(fd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		const char *c = strstr(line, "Collected : ");

		if (c)
			ir = atol(c + 12);
	}
	if (f)
		fclose(f);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return ir;
}

/* valgrind in PATH? (posix_spawnp would say so only by failing later.) */
static bool have_valgrind(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n && n < sizeof(buf) - 10) {
			memcpy(buf, path, n);
			memcpy(buf + n, "/valgrind", 10);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n + (path[n] == ':');
	}
	return false;
}
#endif

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
	long iters;
	const char *only;
	int rc = 0, ran = 0;
	size_t i;

	if (argc > 1 && strcmp(argv[1], "--ir-child") == 0) {
		ir_child = true;
		argv++;
		argc--;
	}
	iters = argc > 1 ? atol(argv[1]) : 200000;
	only = argc > 2 ? argv[2] : NULL;

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
	if (ir_child || rc)
		return rc;
#ifdef BENCH_IR
	if (!have_valgrind()) {
		printf("Ir/message: skipped (valgrind not found in PATH)\n");
		return rc;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long ir;

		if (only && strcmp(only, cases[i].name) != 0)
			continue;
		ir = ir_of(argv[0], cases[i].name, IR_ITERS);
		if (ir < 0) {
			printf("%-10s: Ir/message: callgrind run failed\n", cases[i].name);
			rc = 1;
		} else {
			printf("%-10s: %8.0f Ir/message (callgrind, %d iterations)\n",
			       cases[i].name, (double)ir / IR_ITERS, IR_ITERS);
		}
	}
#elif defined(BENCH_SANITIZED)
	printf("Ir/message: skipped (sanitizer build: valgrind cannot run it)\n");
#else
	printf("Ir/message: skipped (built without valgrind/callgrind.h)\n");
#endif
	return rc;
}
