/*
 * replay_sip.c - the SIP step of the replay: the engine on a UDP payload or
 * on each message a TCP direction completes, and the -v notes on what it
 * planned (edits, pinholes, switched-off rewrites) or why nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>

#include "replay_state.h"

static void verbose_edits(struct replay *r, const uint8_t *msg)
{
	const struct sipalg_result *res = &r->res;

	for (unsigned i = 0; i < res->n_edits; i++) {
		const struct sipalg_edit *e = &res->edits[i];

		vadd(&r->notes, "%s %s ", i ? "," : "", sipalg_edit_kind_str(e->kind));
		vadd_text(&r->notes, msg + e->off, e->len);
		vadd(&r->notes, " -> ");
		vadd_text(&r->notes, (const uint8_t *)e->text, strlen(e->text));
	}
}

/* Rewrites left alone by configuration, so -v readers do not wonder. */
static void verbose_switched_off(struct replay *r)
{
	const struct sipalg_switches *sw = &r->cfg->sw;
	const struct {
		bool on;
		enum sipalg_edit_kind kind;
	} kinds[] = {
		{ sw->request_uri, SIPALG_EDIT_REQUEST_URI },
		{ sw->via, SIPALG_EDIT_VIA },
		{ sw->contact, SIPALG_EDIT_CONTACT },
		{ sw->record_route, SIPALG_EDIT_RECORD_ROUTE },
		{ sw->route, SIPALG_EDIT_ROUTE },
		{ sw->from_to, SIPALG_EDIT_FROM_TO },
		{ sw->sdp_origin, SIPALG_EDIT_SDP_ORIGIN },
		{ sw->sdp_connection, SIPALG_EDIT_SDP_CONNECTION },
		{ sw->sdp_media_port, SIPALG_EDIT_SDP_MEDIA_PORT },
		{ sw->sdp_rtcp, SIPALG_EDIT_SDP_RTCP },
	};
	bool first = true;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].on)
			continue;
		vadd(&r->notes, "%s%s", first ? " (switched off: " : ", ",
		     sipalg_edit_kind_str(kinds[i].kind));
		first = false;
	}
	if (!first)
		vadd(&r->notes, ")");
}

/*
 * Run the engine on one SIP message and say under -v what it planned or why
 * nothing. True when r->res holds edits to apply.
 */
static bool plan_sip(struct replay *r, const uint8_t *msg, size_t len, bool tcp,
		     enum sipalg_dir dir, const struct sipalg_binding *b)
{
	struct sipalg_ctx ctx = {
		.transport = tcp ? SIPALG_TCP : SIPALG_UDP,
		.dir = dir,
		.binding = *b,
		.sw = &r->cfg->sw,
		.map_media = replay_map_media,
		.map_arg = r,
	};
	struct sipalg_result *res = &r->res;

	r->media.n = 0;
	r->media.s[0] = '\0';
	sipalg_process(msg, len, &ctx, res);
	if (res->status != SIPALG_NOT_SIP)
		r->sip_seen = true;
	if (res->status != SIPALG_OK) {
		vadd(&r->notes, " | SIP %s: %s", sipalg_status_str(res->status),
		     res->reason ? res->reason : "left alone");
		return false;
	}
	if (res->facts.is_request)
		vadd(&r->notes, " | SIP %s", res->facts.method);
	else
		vadd(&r->notes, " | SIP %d (%s)", res->facts.status_code, res->facts.method);
	if (res->n_edits == 0) {
		vadd(&r->notes, ": nothing to rewrite%s", r->media.s);
		verbose_switched_off(r);
		return false;
	}
	vadd(&r->notes, ":");
	verbose_edits(r, msg);
	vadd(&r->notes, "%s", r->media.s);
	verbose_switched_off(r);
	return true;
}

/* A UDP datagram's SIP payload: the new length (plen when left as is). */
size_t replay_rewrite_udp_sip(struct replay *r, const uint8_t *payload, size_t plen,
			      enum sipalg_dir dir, const struct sipalg_binding *b,
			      size_t room, const uint8_t **newp)
{
	long n;

	*newp = payload;
	if (!plan_sip(r, payload, plen, false, dir, b))
		return plen;
	if ((long)plen + r->res.delta > (long)room) {
		vadd(&r->notes, " [rewritten packet would exceed 65535 bytes: payload left]");
		return plen;
	}
	n = sipalg_apply(payload, plen, &r->res, r->sip_out, sizeof(r->sip_out));
	if (n < 0) {
		vadd(&r->notes, " [rewrite does not fit: payload left]");
		return plen;
	}
	*newp = r->sip_out;
	return (size_t)n;
}

/* Append a segment's new bytes to the direction's message buffer. */
static bool tcp_append(struct replay *r, struct tcp_dir *d, const uint8_t *p, size_t n)
{
	if (!d->buf && !(d->buf = malloc(SIPALG_MAX_MSG)))
		return false;
	if (d->buflen + n > SIPALG_MAX_MSG) {
		vadd(&r->notes, " | TCP: SIP message over %d bytes: stream no longer rewritten",
		     SIPALG_MAX_MSG);
		return false;
	}
	memcpy(d->buf + d->buflen, p, n);
	d->buflen += n;
	return true;
}

/* Run the engine on every message the buffer now holds whole. */
static void tcp_messages(struct replay *r, struct tcp_dir *d, enum sipalg_dir dir,
			 const struct sipalg_binding *b)
{
	for (;;) {
		size_t skip = 0;
		long len;

		/* CRLF keepalives (RFC 5626) between messages pass as they are. */
		while (skip < d->buflen && (d->buf[skip] == '\r' || d->buf[skip] == '\n'))
			skip++;
		memmove(d->buf, d->buf + skip, d->buflen - skip);
		d->buflen -= skip;
		d->buf_start += (uint32_t)skip;
		if (d->buflen == 0)
			return;
		len = sipalg_message_length(d->buf, d->buflen);
		if (len == 0)
			return;	/* more to come */
		if (len < 0) {
			vadd(&r->notes, " | TCP stream is not SIP framed (no Content-Length?): "
			     "no longer rewritten");
			d->broken = true;
			return;
		}
		if (plan_sip(r, d->buf, (size_t)len, true, dir, b) && r->pass == 1 &&
		    replay_tcp_add_plan(d, d->buf_start, (uint32_t)len, &r->res) < 0)
			vadd(&r->notes, " [out of memory: message left]");
		memmove(d->buf, d->buf + len, d->buflen - (size_t)len);
		d->buflen -= (size_t)len;
		d->buf_start += (uint32_t)len;
	}
}

/*
 * One TCP segment of a helped flow: reassemble (sip: on a SIP port), write
 * its payload through the plans into out and its sequence number to
 * *seq_out. Returns the new payload length.
 */
size_t replay_tcp_segment(struct replay *r, struct tcp_flow *f, enum sipalg_dir dir,
			  const struct sipalg_binding *b, bool sip, uint8_t flags,
			  uint32_t seq, const uint8_t *payload, size_t plen,
			  uint8_t *out, size_t cap, uint32_t *seq_out)
{
	struct tcp_dir *d = &f->dir[dir];
	uint32_t a;
	size_t n;

	*seq_out = seq;
	if (flags & TH_SYN) {
		d->isn = seq + 1;
		d->isn_known = true;
		d->next = 0;
	} else if (!d->isn_known) {
		d->isn = seq;	/* the capture began mid-connection */
		d->isn_known = true;
		d->next = 0;
	}
	a = seq - d->isn;
	if ((int32_t)a < 0 || (flags & TH_SYN)) {
		memcpy(out, payload, plen);
		return plen;
	}
	*seq_out = d->isn + replay_tcp_emitted_before(d, a);
	if (sip && plen > 0 && !d->broken) {
		uint32_t end = a + (uint32_t)plen;

		if ((int32_t)(a - d->next) > 0) {
			vadd(&r->notes, " | TCP gap (capture loss?): stream no longer rewritten");
			d->broken = true;
		} else if ((int32_t)(end - d->next) > 0) {	/* new bytes (maybe after a resent part) */
			if (!tcp_append(r, d, payload + (d->next - a), end - d->next))
				d->broken = true;
			d->next = end;
			if (!d->broken)
				tcp_messages(r, d, dir, b);
		}
	}
	n = replay_tcp_emit(d, a, payload, plen, out, cap);
	if (n == (size_t)-1) {
		vadd(&r->notes, " [rewritten segment would not fit: payload left]");
		memcpy(out, payload, plen);
		return plen;
	}
	return n;
}
