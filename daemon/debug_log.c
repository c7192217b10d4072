/* debug_log.c - the debug lines of the packet path, rate-bounded; see debug_log.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "debug_log.h"
#include "log.h"

static _Thread_local double tokens = DEBUG_BURST;	/* a budget per queue worker */
static _Thread_local uint64_t last_ms, suppressed;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One line may go now (token bucket); says once what was held back. */
static bool take(void)
{
	uint64_t now = mono_ms();

	if (last_ms) {
		tokens += (double)(now - last_ms) * DEBUG_PER_S / 1000.0;
		if (tokens > DEBUG_BURST)
			tokens = DEBUG_BURST;
	}
	last_ms = now;
	if (tokens < 1) {
		suppressed++;
		return false;
	}
	tokens -= 1;
	if (suppressed) {
		log_debug("%llu debug lines suppressed (at most %d at once, %d/s after)",
			  (unsigned long long)suppressed, DEBUG_BURST, DEBUG_PER_S);
		suppressed = 0;
	}
	return true;
}

static const char *ep(const struct sipalg_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = sipalg_addr_is_v6(a);

	inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&a->ip6 : (const void *)&a->ip,
		  ip, sizeof(ip));
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

/* Call-IDs come from the wire: no control bytes into the log. */
static void printable(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < cap; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

void debug_log_rewrite(void *arg, const struct nat_flow *flow, bool tcp,
		       const struct sipalg_result *res)
{
	const struct sipalg_facts *f = &res->facts;
	unsigned kinds[SIPALG_EDIT_KIND_MAX] = { 0 };
	char what[512], msg[64], callid[128], method[32], a[64], b[64];
	size_t w = 0;

	(void)arg;
	if (log_getlevel() < LOG_DEBUG || !take())
		return;
	for (unsigned i = 0; i < res->n_edits; i++)
		if (res->edits[i].kind < SIPALG_EDIT_KIND_MAX)
			kinds[res->edits[i].kind]++;
	what[0] = '\0';
	for (int k = 0; k < SIPALG_EDIT_KIND_MAX && w < sizeof(what); k++)
		if (kinds[k])
			w += (size_t)snprintf(what + w, sizeof(what) - w, "%s%s %u", w ? ", " : "",
					      sipalg_edit_kind_str((enum sipalg_edit_kind)k), kinds[k]);
	printable(method, sizeof(method), f->method);
	printable(callid, sizeof(callid), f->call_id[0] ? f->call_id : "(none)");
	if (f->is_request)
		snprintf(msg, sizeof(msg), "%s", method);
	else
		snprintf(msg, sizeof(msg), "%d (%s)", f->status_code, method);
	log_debug("rewrote %s %s call-id %s, %s %s -> %s: %s; %+ld bytes",
		  flow->dir == SIPALG_INBOUND ? "in" : "out", msg, callid, tcp ? "tcp" : "udp",
		  ep(&flow->master.src, a, sizeof(a)), ep(&flow->master.dst, b, sizeof(b)),
		  what, res->delta);
}

void debug_log_pinhole(void *arg, bool create, const struct rtp_expect *e, int err,
		       const char *why)
{
	char src[72], dst[64], to[64], m1[64], m2[64], reason[200];

	(void)arg;
	if (log_getlevel() < LOG_DEBUG || !take())
		return;
	if (e->src_any_addr) {
		snprintf(src, sizeof(src), "any");
	} else {
		char ip[64];

		ep(&e->src, ip, sizeof(ip));	/* "[v6]:port" or "v4:port" */
		if (e->src_any_port)
			snprintf(src, sizeof(src), "%.*s:any", (int)(strrchr(ip, ':') - ip), ip);
		else
			snprintf(src, sizeof(src), "%s", ip);
	}
	if (!create && err == -ENOENT)
		err = 0;	/* the media arrived, or the kernel timed it out: nothing to remove */
	printable(reason, sizeof(reason), why);
	log_debug("pinhole %s%s%s: udp %s -> %s nat-to %s, master %s -> %s, %s%s%s",
		  create ? "create" : "remove", err ? " failed: " : "", err ? strerror(-err) : "",
		  src, ep(&e->dst, dst, sizeof(dst)),
		  e->nat ? ep(&e->nat_to, to, sizeof(to)) : "none",
		  ep(&e->master.src, m1, sizeof(m1)), ep(&e->master.dst, m2, sizeof(m2)),
		  reason, e->fn ? ", fn " : "", e->fn ? e->fn : "");
}
