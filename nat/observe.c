/* observe.c - mode = observe: log the plan, change nothing; see observe.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "binding.h"
#include "observe.h"
#include "packet_path.h"

struct observe_msg {
	struct nat_path *p;
	char what[48];		/* "INVITE", "200 INVITE" */
	char call_id[96];
	unsigned pinholes;
};

static const char *addr_str(const struct sipalg_addr *a, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	if (sipalg_addr_is_v6(a)) {
		inet_ntop(AF_INET6, &a->ip6, ip, sizeof(ip));
		snprintf(buf, n, "[%s]:%u", ip, a->port);
	} else {
		inet_ntop(AF_INET, &a->ip, ip, sizeof(ip));
		snprintf(buf, n, "%s:%u", ip, a->port);
	}
	return buf;
}

/* A log-safe copy of bytes: printable ASCII, the rest as '.', at most cap-1. */
static const char *printable(const uint8_t *b, size_t len, char *buf, size_t cap)
{
	size_t i;

	for (i = 0; i < len && i + 1 < cap; i++)
		buf[i] = b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' ? (char)b[i] : '.';
	buf[i] = '\0';
	return buf;
}

/* What the lines call the message: its method (a response: status and CSeq method), its Call-ID. */
static void describe(const struct sipalg_facts *f, struct observe_msg *o)
{
	char method[sizeof(f->method)];

	printable((const uint8_t *)f->method, strnlen(f->method, sizeof(f->method)), method,
		  sizeof(method));
	if (f->is_request)
		snprintf(o->what, sizeof(o->what), "%s", method);
	else
		snprintf(o->what, sizeof(o->what), "%d %s", f->status_code, method);
	printable((const uint8_t *)f->call_id, strlen(f->call_id), o->call_id, sizeof(o->call_id));
}

static const char *why_not(const struct nat_path *p)
{
	if (!p->rtp)
		return " - not possible here: no expectations (degraded mode or [media] expectations = no)";
	return "";
}

/*
 * The engine's media mapping: where the pinhole layer would take a public
 * port pair and open RTP/RTCP pinholes to the inside host, this only says
 * so. -1: the m= port stays (no pool port is taken).
 */
static int observe_map(void *arg, enum sipalg_dir dir, const struct sipalg_facts *msg,
		       unsigned idx, const struct sipalg_media *m, struct sipalg_addr *out,
		       uint16_t *out_rtcp)
{
	struct observe_msg *o = arg;
	char in[INET6_ADDRSTRLEN + 8], pub[INET6_ADDRSTRLEN];

	(void)out_rtcp;
	describe(msg, o);
	if (dir != SIPALG_OUTBOUND || m->disabled)
		return -1;	/* inbound: a hairpin to another inside phone; not modelled */
	inet_ntop(sipalg_addr_is_v6(out) ? AF_INET6 : AF_INET,
		  sipalg_addr_is_v6(out) ? (const void *)&out->ip6 : (const void *)&out->ip,
		  pub, sizeof(pub));
	addr_str(&m->addr, in, sizeof(in));
	if (m->rtcp_mux)
		o->p->log_info("observe %s [%s]: would open pinhole: %s stream %u, %s:<pool port> -> inside %s (RTP, rtcp-mux)%s",
			       o->what, o->call_id, m->type, idx, pub, in, why_not(o->p));
	else
		o->p->log_info("observe %s [%s]: would open pinholes: %s stream %u, %s:<pool port> -> inside %s (RTP), %s:<pool port + 1> -> inside port %u (RTCP)%s",
			       o->what, o->call_id, m->type, idx, pub, in, pub, m->rtcp_port,
			       why_not(o->p));
	o->p->log_info("observe %s [%s]: would change m=%s port %u to the pinhole's public port%s",
		       o->what, o->call_id, m->type, m->addr.port, why_not(o->p));
	o->pinholes++;
	return -1;
}

long nat_observe_one(struct nat_path *p, const struct nat_flow *flow, bool tcp,
		     const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
	struct sipalg_result *res = p->res;
	struct observe_msg o = { .p = p };
	struct sipalg_ctx ctx = { .transport = tcp ? SIPALG_TCP : SIPALG_UDP,
				  .dir = flow->dir, .binding = flow->binding, .sw = p->sw,
				  .map_media = p->log_info ? observe_map : NULL, .map_arg = &o };
	const struct sipalg_facts *f = &res->facts;
	char from[INET6_ADDRSTRLEN + 8], to[INET6_ADDRSTRLEN + 8], was[72], now[72];
	enum sipalg_status st;

	if (cap < len)
		return -1;
	/* the facts the mapper names are filled before its first call */
	st = sipalg_process(msg, len, &ctx, res);
	if ((unsigned)st <= SIPALG_TOO_BIG)
		p->c.status[st]++;
	memcpy(out, msg, len);
	if (st != SIPALG_OK)
		return (long)len;
	if (res->n_edits == 0 && o.pinholes == 0)
		return (long)len;
	p->c.observed++;
	p->c.observed_edits += res->n_edits;
	p->c.observed_pinholes += o.pinholes;
	if (!p->log_info)
		return (long)len;
	/* the pinhole lines came first (from the engine); the edits and a summary follow */
	describe(f, &o);
	for (unsigned i = 0; i < res->n_edits; i++) {
		const struct sipalg_edit *e = &res->edits[i];

		if (e->off > len || e->len > len - e->off)
			continue;
		p->log_info("observe %s [%s]: would change %s \"%s\" to \"%s\"", o.what, o.call_id,
			    sipalg_edit_kind_str(e->kind),
			    printable(msg + e->off, e->len, was, sizeof(was)),
			    printable((const uint8_t *)e->text, strnlen(e->text, sizeof(e->text)),
				      now, sizeof(now)));
	}
	p->log_info("observe %s [%s]: %s %s -> %s: %u change(s), %u pinhole stream(s) planned; passed unchanged (mode = observe)",
		    o.what, o.call_id, flow->dir == SIPALG_OUTBOUND ? "outbound" : "inbound",
		    addr_str(flow->dir == SIPALG_OUTBOUND ? &flow->binding.inside : &flow->binding.remote,
			     from, sizeof(from)),
		    addr_str(flow->dir == SIPALG_OUTBOUND ? &flow->binding.remote : &flow->binding.public,
			     to, sizeof(to)),
		    res->n_edits, o.pinholes);
	return (long)len;
}
