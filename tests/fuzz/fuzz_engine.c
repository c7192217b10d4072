/*
 * fuzz_engine.c - libFuzzer harness for the engine (built from the very
 * sources of libsipalg, with -fsanitize=fuzzer,address,undefined).
 *
 * The whole input is the message, so that seed files stay valid SIP. The
 * switches, direction, transport and media-map behaviour come from the first
 * bytes (hashed, not consumed); the binding is the message's first IPv4
 * literal so that rewrites actually happen. Every input also runs with
 * everything on in both directions, and against its first IPv6 literal as
 * a NAT66 binding and as a routed one (inside = public). Invariants checked
 * on each run: no edits unless OK; edits sorted, in range, non-overlapping;
 * the applied output has length len + delta; no edits means output ==
 * input; a routed IPv6 binding over UDP without a media map plans no edit.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sipalg.h"

static uint8_t out[SIPALG_MAX_MSG * 2];
static struct sipalg_result res, res2;

static int fuzz_map(void *arg, enum sipalg_dir dir, const struct sipalg_facts *msg,
		    unsigned idx, const struct sipalg_media *m,
		    struct sipalg_addr *o, uint16_t *o_rtcp)
{
	unsigned mode = *(const unsigned *)arg;

	(void)dir;
	if (idx >= msg->n_media || m != &msg->media[idx])
		abort();	/* the callback contract */
	if ((mode + idx) % 3 == 0)
		return -1;
	o->port = (uint16_t)(m->addr.port * 7 + mode);
	*o_rtcp = (uint16_t)(o->port + 1);
	return 0;
}

static void first_ipv4(const uint8_t *d, size_t n, struct in_addr *ip)
{
	size_t i, j;

	for (i = 0; i < n && i < 4096; i++) {
		char buf[16];

		if (d[i] < '0' || d[i] > '9')
			continue;
		for (j = i; j < n && j - i < 15 && ((d[j] >= '0' && d[j] <= '9') || d[j] == '.'); j++)
			;
		memcpy(buf, d + i, j - i);
		buf[j - i] = '\0';
		if (inet_pton(AF_INET, buf, ip) == 1)
			return;
		i = j;
	}
	inet_pton(AF_INET, "192.0.2.1", ip);
}

/* The first "[...]" or "IP6 " literal that parses, else 2001:db8::5. */
static void first_ipv6(const uint8_t *d, size_t n, struct in6_addr *ip)
{
	size_t i, j, k;

	for (i = 0; i + 4 < n && i < 4096; i++) {
		char buf[INET6_ADDRSTRLEN];

		if (d[i] == '[')
			k = i + 1;
		else if (!memcmp(d + i, "IP6 ", 4))
			k = i + 4;
		else
			continue;
		for (j = k; j < n && j - k < sizeof(buf) - 1 &&
			    (d[j] == ':' || d[j] == '.' || (d[j] >= '0' && d[j] <= '9') ||
			     ((d[j] | 0x20) >= 'a' && (d[j] | 0x20) <= 'f')); j++)
			;
		memcpy(buf, d + k, j - k);
		buf[j - k] = '\0';
		if (inet_pton(AF_INET6, buf, ip) == 1)
			return;
	}
	inet_pton(AF_INET6, "2001:db8::5", ip);
}

static void run(const uint8_t *d, size_t n, const struct sipalg_ctx *ctx)
{
	long len;
	unsigned i;

	sipalg_process(d, n, ctx, &res);
	if (res.status != SIPALG_OK && (res.n_edits || res.delta || !res.reason))
		abort();
	for (i = 0; i < res.n_edits; i++) {
		const struct sipalg_edit *e = &res.edits[i];

		if (e->off + e->len > n || (i && e->off < res.edits[i - 1].off + res.edits[i - 1].len) ||
		    strnlen(e->text, sizeof(e->text)) == sizeof(e->text))
			abort();
	}
	len = sipalg_apply(d, n, &res, out, sizeof(out));
	if (len < 0 || len != (long)n + res.delta)
		abort();
	if (res.n_edits == 0 && (len != (long)n || (n && memcmp(out, d, n) != 0)))
		abort();
	if (res.n_edits)	/* the rewritten bytes go through the engine again */
		sipalg_process(out, (size_t)len, ctx, &res2);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sipalg_switches sw;
	struct sipalg_ctx ctx = { 0 };
	unsigned h = 2166136261u, mode, i;
	struct in_addr ip;

	if (n > SIPALG_MAX_MSG + 16)
		return 0;
	for (i = 0; i < n && i < 8; i++)
		h = (h ^ d[i]) * 16777619u;
	mode = h;
	sipalg_message_length(d, n);
	first_ipv4(d, n, &ip);

	/* Switches and the rest from the hash of the first bytes. */
	sw = (struct sipalg_switches){
		.enabled = (h & 0x7) != 0, .request_uri = h & 0x8, .via = h & 0x10,
		.contact = h & 0x20, .record_route = h & 0x40, .route = h & 0x80,
		.from_to = h & 0x100, .sdp_origin = h & 0x200, .sdp_connection = h & 0x400,
		.sdp_media_port = h & 0x800, .sdp_rtcp = h & 0x1000,
	};
	ctx.sw = &sw;
	ctx.dir = (h & 0x2000) ? SIPALG_INBOUND : SIPALG_OUTBOUND;
	ctx.transport = (h & 0x4000) ? SIPALG_TCP : SIPALG_UDP;
	ctx.map_media = (h & 0x8000) ? fuzz_map : NULL;
	ctx.map_arg = &mode;
	if (ctx.dir == SIPALG_OUTBOUND) {
		ctx.binding.inside = (struct sipalg_addr){ .ip = ip, .port = (h & 0x10000) ? 5060 : (uint16_t)(h >> 17) };
		inet_pton(AF_INET, "203.0.113.77", &ctx.binding.public.ip);
		ctx.binding.public.port = (h & 0x20000) ? 5060 : 40000;
	} else {
		ctx.binding.public = (struct sipalg_addr){ .ip = ip, .port = (h & 0x10000) ? 5060 : (uint16_t)(h >> 17) };
		inet_pton(AF_INET, "10.9.8.7", &ctx.binding.inside.ip);
		ctx.binding.inside.port = 5060;
	}
	run(d, n, &ctx);

	/* Everything on, both directions, port 5060 on the message's address. */
	sipalg_switches_default(&sw);
	sw.from_to = true;
	ctx.map_media = fuzz_map;
	ctx.dir = SIPALG_OUTBOUND;
	ctx.binding.inside = (struct sipalg_addr){ .ip = ip, .port = 5060 };
	run(d, n, &ctx);
	ctx.dir = SIPALG_INBOUND;
	ctx.binding.public = (struct sipalg_addr){ .ip = ip, .port = 5060 };
	run(d, n, &ctx);

	/* NAT66 both ways: the literal is the inside, then the public side. */
	{
		struct sipalg_addr v6 = { .family = AF_INET6, .port = 5060 };
		struct sipalg_addr other = { .family = AF_INET6, .port = 40000 };

		first_ipv6(d, n, &v6.ip6);
		inet_pton(AF_INET6, "2001:db8:ffff::77", &other.ip6);
		ctx.binding.listen_port = 0;
		ctx.dir = SIPALG_OUTBOUND;
		ctx.binding.inside = v6;
		ctx.binding.public = other;
		run(d, n, &ctx);
		ctx.dir = SIPALG_INBOUND;
		ctx.binding.inside = other;
		ctx.binding.public = v6;
		run(d, n, &ctx);
		/* Routed (no NAT66) over UDP: nothing may change, not even a
		 * spelling. (Over TCP a Via naming another port of the host is its
		 * listening port and is still planned: nat/ applies no edit to a
		 * flow that is not NATed.) */
		ctx.map_media = NULL;
		ctx.transport = SIPALG_UDP;
		ctx.binding.inside = v6;
		ctx.binding.public = v6;
		for (i = 0; i < 2; i++) {
			ctx.dir = i ? SIPALG_INBOUND : SIPALG_OUTBOUND;
			run(d, n, &ctx);
			if (res.n_edits)
				abort();
		}
	}
	return 0;
}
