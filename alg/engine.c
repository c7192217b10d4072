/*
 * engine.c - sipalg_process(): one pass over the headers gathering facts and
 * planning header rewrites, then the body (SDP), then Content-Length.
 *
 * Disabled (switches.enabled false): the facts are still gathered (start
 * line, CSeq, Call-ID, tags, expiry, SDP streams: no allocation needed), but
 * no edit is planned and the media callback is never called; the status is
 * SIPALG_DISABLED.
 */
#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "body.h"
#include "headers.h"
#include "osip_once.h"
#include "plan.h"
#include "scan.h"
#include "text.h"

#define ALG_MAX_CL 4	/* Content-Length headers we track (all must agree) */

static void copy_text(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* CSeq: 1*DIGIT LWS Method */
static int parse_cseq(struct alg_plan *p, struct alg_span v, bool is_request)
{
	struct sipalg_facts *f = &p->res->facts;
	const char *s = p->msg + v.off;
	size_t i = 0, m;

	while (i < v.len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (!alg_uint_parse(s, i, UINT32_MAX, &f->cseq))
		return alg_fail(p, SIPALG_UNPARSABLE, "bad CSeq number");
	while (i < v.len && alg_is_lws(s[i]))
		i++;
	for (m = i; m < v.len && !alg_is_lws(s[m]); m++)
		;
	if (m == i)
		return alg_fail(p, SIPALG_UNPARSABLE, "CSeq without method");
	if (!is_request)
		copy_text(f->method, sizeof(f->method), s + i, m - i);
	return 0;
}

static void tag_of(struct alg_plan *p, struct alg_span v, char *dst, size_t cap)
{
	struct alg_span t;

	if (!dst[0] && alg_elem_param(p, v, "tag", &t))
		copy_text(dst, cap, p->msg + t.off, t.len);
}

/* Everything the header loop remembers for after it. */
struct hdr_state {
	bool seen_call_id, seen_cseq, seen_contact;
	struct alg_span ctype;
	struct alg_span first_contact;
	int expires_hdr;
	unsigned n_cl;
	struct alg_span cl[ALG_MAX_CL];
	uint32_t cl_value;
};

static int rewrite_elements(struct alg_plan *p, const struct alg_hdr *h)
{
	struct alg_span elem;
	size_t pos = 0;
	int r;

	/* Cheap pre-filter: a value that does not mention the address as text
	 * holds nothing to rewrite (inet_pton accepts only the dotted form). */
	if (!alg_mentions_from_ip(p, h->value))
		return 0;
	while ((r = alg_elem_next(p, h->value, &pos, &elem)) > 0) {
		if (h->kind == ALG_H_VIA)
			r = alg_rewrite_via(p, elem);
		else if (h->kind == ALG_H_CONTACT && alg_ieq(p->msg + elem.off, elem.len, "*"))
			r = 0;
		else
			r = alg_rewrite_uri_header(p, elem, h->kind);
		if (r < 0)
			return -1;
	}
	return r < 0 ? alg_fail(p, SIPALG_UNPARSABLE, "unbalanced quotes in a header") : 0;
}

static bool switch_for(const struct sipalg_switches *sw, enum alg_hdr_kind k)
{
	switch (k) {
	case ALG_H_VIA: return sw->via;
	case ALG_H_CONTACT: return sw->contact;
	case ALG_H_RECORD_ROUTE: return sw->record_route;
	case ALG_H_ROUTE: return sw->route;
	case ALG_H_FROM:
	case ALG_H_TO: return sw->from_to;
	default: return false;
	}
}

static int header(struct alg_plan *p, const struct alg_hdr *h, struct hdr_state *hs,
		  bool is_request)
{
	struct sipalg_facts *f = &p->res->facts;
	const char *v = p->msg + h->value.off;
	uint32_t n;

	switch (h->kind) {
	case ALG_H_CALL_ID:
		if (!hs->seen_call_id)
			copy_text(f->call_id, sizeof(f->call_id), v, h->value.len);
		hs->seen_call_id = true;
		break;
	case ALG_H_CSEQ:
		if (!hs->seen_cseq && parse_cseq(p, h->value, is_request) < 0)
			return -1;
		hs->seen_cseq = true;
		break;
	case ALG_H_FROM:
		tag_of(p, h->value, f->from_tag, sizeof(f->from_tag));
		break;
	case ALG_H_TO:
		tag_of(p, h->value, f->to_tag, sizeof(f->to_tag));
		break;
	case ALG_H_CONTACT:
		if (!hs->seen_contact) {
			size_t pos = 0;

			if (alg_elem_next(p, h->value, &pos, &hs->first_contact) > 0)
				hs->seen_contact = true;
		}
		break;
	case ALG_H_EXPIRES:
		if (hs->expires_hdr < 0 && alg_uint_parse(v, h->value.len, INT32_MAX, &n))
			hs->expires_hdr = (int)n;
		break;
	case ALG_H_CONTENT_TYPE:
		if (!hs->ctype.len)
			hs->ctype = h->value;
		break;
	case ALG_H_CONTENT_LENGTH:
		if (!alg_uint_parse(v, h->value.len, SIPALG_MAX_MSG, &n))
			return alg_fail(p, SIPALG_UNPARSABLE, "bad Content-Length");
		if (hs->n_cl >= ALG_MAX_CL || (hs->n_cl && n != hs->cl_value))
			return alg_fail(p, SIPALG_UNPARSABLE, "conflicting Content-Length headers");
		hs->cl[hs->n_cl++] = h->value;
		hs->cl_value = n;
		break;
	default:
		break;
	}
	if (p->plan && switch_for(p->sw, h->kind))
		return rewrite_elements(p, h);
	return 0;
}

static void register_expiry(struct alg_plan *p, const struct hdr_state *hs)
{
	struct sipalg_facts *f = &p->res->facts;
	struct alg_span v;
	uint32_t n;

	if (strcmp(f->method, "REGISTER") != 0)
		return;
	if (hs->seen_contact && alg_elem_param(p, hs->first_contact, "expires", &v) &&
	    alg_uint_parse(p->msg + v.off, v.len, INT32_MAX, &n))
		f->expires = (int)n;
	else
		f->expires = hs->expires_hdr;
}

/* Stable insertion sort by offset: a message has a handful of edits, found
 * mostly in order, where qsort's set-up cost more than the sort. */
static void sort_edits(struct sipalg_edit *e, unsigned n)
{
	unsigned i, j;

	for (i = 1; i < n; i++) {
		struct sipalg_edit t;

		if (e[i - 1].off <= e[i].off)
			continue;
		t = e[i];
		for (j = i; j > 0 && e[j - 1].off > t.off; j--)
			e[j] = e[j - 1];
		e[j] = t;
	}
}

/* Sort, check, then fix Content-Length for the body's change in size. */
static int finish_edits(struct alg_plan *p, const struct hdr_state *hs, struct alg_span body)
{
	struct sipalg_result *res = p->res;
	long body_delta = 0, delta = 0;
	unsigned i;

	for (i = 0; i < res->n_edits; i++)
		if (res->edits[i].off >= body.off)
			body_delta += (long)strlen(res->edits[i].text) - (long)res->edits[i].len;
	if (body_delta && hs->n_cl) {
		long newlen = (long)hs->cl_value + body_delta;
		char text[16];

		if (newlen < 0 || newlen > SIPALG_MAX_MSG)
			return alg_fail(p, SIPALG_TOO_BIG, "body too big after rewrite");
		alg_format_port(text, (uint16_t)newlen);	/* <= 65535: same digits */
		for (i = 0; i < hs->n_cl; i++)
			if (alg_edit_add(p, hs->cl[i].off, hs->cl[i].len, text,
					 SIPALG_EDIT_CONTENT_LENGTH) < 0)
				return -1;
	}
	sort_edits(res->edits, res->n_edits);
	for (i = 0; i < res->n_edits; i++) {
		const struct sipalg_edit *e = &res->edits[i];

		if ((i && e->off < res->edits[i - 1].off + res->edits[i - 1].len) ||
		    e->off + e->len > p->len)
			return alg_fail(p, SIPALG_UNPARSABLE, "overlapping edits");
		delta += (long)strlen(e->text) - (long)e->len;
	}
	if ((long)p->len + delta > SIPALG_MAX_MSG)
		return alg_fail(p, SIPALG_TOO_BIG, "message too big after rewrite");
	res->delta = delta;
	return 0;
}

static void setup(struct alg_plan *p, const uint8_t *msg, size_t len,
		  const struct sipalg_ctx *ctx, struct sipalg_result *res)
{
	memset(p, 0, sizeof(*p));
	p->msg = (const char *)msg;
	p->len = len;
	p->ctx = ctx;
	p->sw = ctx->sw;
	p->res = res;
	p->fail = SIPALG_OK;
	if (ctx->dir == SIPALG_OUTBOUND) {
		p->from = ctx->binding.inside;
		p->to = ctx->binding.public;
		p->from_alt_port = ctx->binding.listen_port;
	} else {
		p->from = ctx->binding.public;
		p->to = ctx->binding.inside;
		if (ctx->binding.listen_port)
			p->to.port = ctx->binding.listen_port;
	}
	/* An unset binding names nothing: plan no rewrites at all. */
	p->plan = ctx->sw->enabled && !sipalg_addr_is_any(&p->from);
	p->v6 = sipalg_addr_is_v6(&p->from);
	if (!p->v6)
		p->from_ip_len = alg_format_ipv4(p->from_ip, p->from.ip);
}

static int run(struct alg_plan *p)
{
	struct sipalg_facts *f = &p->res->facts;
	struct alg_start st;
	struct alg_hdr_iter it;
	struct alg_hdr h;
	struct hdr_state hs;
	struct alg_span body;
	int r;

	if (alg_scan_start(p, &st) < 0)
		return -1;
	f->is_request = st.is_request;
	f->status_code = st.status;
	if (st.is_request)
		copy_text(f->method, sizeof(f->method), p->msg + st.method.off, st.method.len);
	if (st.is_request && p->plan && p->ctx->dir == SIPALG_INBOUND && p->sw->request_uri &&
	    alg_rewrite_request_uri(p, st.uri) < 0)
		return -1;

	memset(&hs, 0, sizeof(hs));
	hs.expires_hdr = -1;
	memset(&it, 0, sizeof(it));
	it.pos = st.next;
	while ((r = alg_hdr_next(p, &it, &h)) > 0)
		if (header(p, &h, &hs, st.is_request) < 0)
			return -1;
	if (r < 0)
		return -1;
	register_expiry(p, &hs);

	/* The body is exactly Content-Length bytes; what follows in a datagram
	 * is kept as it is. Without Content-Length it is the rest. */
	body.off = it.body_off;
	body.len = p->len - it.body_off;
	if (hs.n_cl) {
		if (hs.cl_value > body.len)
			return alg_fail(p, SIPALG_TRUNCATED, "body shorter than Content-Length");
		body.len = hs.cl_value;
	}
	if (alg_body_process(p, hs.ctype, body) < 0)
		return -1;
	return p->plan ? finish_edits(p, &hs, body) : 0;
}

enum sipalg_status sipalg_process(const uint8_t *msg, size_t len,
				  const struct sipalg_ctx *ctx,
				  struct sipalg_result *res)
{
	struct alg_plan p;

	res->status = SIPALG_OK;
	res->reason = NULL;
	res->n_edits = 0;
	res->delta = 0;
	/* Everything but the media array, whose entries are cleared as streams
	 * are found: saves a 1 KB memset on every packet. */
	memset(&res->facts, 0, offsetof(struct sipalg_facts, media));
	memset(&res->facts.sdp_origin, 0, sizeof(res->facts.sdp_origin));
	memset(&res->facts.top_via, 0, sizeof(res->facts.top_via));
	res->facts.expires = -1;
	if (!ctx || !ctx->sw || (!msg && len)) {
		res->status = SIPALG_UNPARSABLE;
		res->reason = "no message or context";
		return res->status;
	}
	if (len > SIPALG_MAX_MSG) {
		res->status = SIPALG_TOO_BIG;
		res->reason = "message over 65535 bytes";
		return res->status;
	}
	alg_osip_init_once();
	setup(&p, msg, len, ctx, res);
	run(&p);
	/* Disabled wins over any parse verdict: the caller asked for nothing. */
	if (!ctx->sw->enabled) {
		res->status = SIPALG_DISABLED;
		res->reason = "ALG disabled";
		res->n_edits = 0;
		res->delta = 0;
	} else if (p.fail != SIPALG_OK) {
		res->status = p.fail;
		res->reason = p.reason;
		res->n_edits = 0;
		res->delta = 0;
	}
	return res->status;
}
