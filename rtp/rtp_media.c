/*
 * rtp_media.c - what each SIP message does to a call's media:
 * rtp_map_media (while the engine rewrites the SDP, before the packet leaves)
 * and rtp_after_message (offer/answer bookkeeping, hold, re-INVITE, the end).
 */
#include "rtp_internal.h"

#include <string.h>
#include <strings.h>

/* Outbound packets travel in the master's original direction when the inside
 * phone opened the signalling flow, in the reply direction when the far side did. */
static int outbound_dir(const struct rtp_msg *mc)
{
	return addr_eq(&mc->master.src, &mc->binding.inside) ? RTP_DIR_ORIGINAL
							     : RTP_DIR_REPLY;
}

static bool method_is(const struct sipalg_facts *f, const char *m)
{
	return !strcasecmp(f->method, m);
}

static struct rtp_dialog *lookup(struct rtp_msg *mc, const struct sipalg_facts *f)
{
	return dialog_find(mc->table, f->call_id, f->from_tag, f->to_tag,
			   &mc->binding.inside);
}

/* A retransmission of the last message that carried an SDP this way: its
 * pinholes were just (re)sent, and re-sending them costs a ctnetlink round
 * trip of up to eight requests per stream while a storm of copies is queued.
 * Any change it still carries is applied: side_sync without refresh compares. */
static bool sdp_copy(const struct rtp_dialog *d, bool inbound,
		     const struct sipalg_facts *f, time_t now)
{
	const struct rtp_sdp_key *k = &d->last_sdp[inbound];

	return k->valid && k->is_request == f->is_request &&
	       k->status_code == f->status_code && k->cseq == f->cseq &&
	       !strcasecmp(k->method, f->method) &&
	       now >= k->at && now - k->at <= RTP_RETRANSMIT_WINDOW;
}

static void sdp_remember(struct rtp_dialog *d, bool inbound,
			 const struct sipalg_facts *f, time_t now)
{
	struct rtp_sdp_key *k = &d->last_sdp[inbound];

	k->valid = true;
	k->is_request = f->is_request;
	k->status_code = f->status_code;
	k->cseq = f->cseq;
	k->at = now;
	/* A method too long to keep is never taken for a copy: its pinholes
	 * are simply re-sent. */
	k->valid = strlen(f->method) < sizeof(k->method);
	if (k->valid)
		memcpy(k->method, f->method, strlen(f->method) + 1);
}

/* Open a new side for the phone's stream: its public pair and inbound pinholes.
 * A routed flow (no_nat) takes no pair: the far side reaches the phone's own
 * ports, and nothing counts against max_pairs_per_host. */
static bool side_open(struct rtp_table *t, struct rtp_msg *mc, struct rtp_dialog *d,
		      struct rtp_side *s, const struct sipalg_addr *inside,
		      const struct sipalg_media *m)
{
	uint16_t port = inside->port;

	if (!mc->no_nat) {
		if (!host_pair_take(t, d))
			return false;
		port = port_pool_alloc(t->pool, inside->port, d);
		if (!port) {
			host_pair_return(t, d);
			t->stats.ports_exhausted++;
			return false;
		}
	}
	memset(s, 0, sizeof(*s));
	s->active = true;
	s->pooled = !mc->no_nat;
	s->no_nat = mc->no_nat;
	s->inside = *inside;
	s->inside_rtcp = m->rtcp_port ? m->rtcp_port : (uint16_t)(inside->port + 1);
	s->rtcp_mux = m->rtcp_mux;
	sipalg_addr_set_ip(&s->public, &mc->binding.public);	/* no NAT: the inside address */
	s->public.port = port;
	s->public_rtcp = mc->no_nat ? s->inside_rtcp : (uint16_t)(port + 1);
	s->master = mc->master;
	s->out_dir = outbound_dir(mc);
	s->class = t->cfg.expect_class + t->next_class++ % t->cfg.expect_classes;
	t->stats.ports_in_use = port_pool_in_use(t->pool);
	return true;
}

/* The phone's ports a pinhole may lead to: none below min_inside_port (an
 * SDP must not open a path to the host's ssh or DNS), and an RTCP port
 * (RTP + 1 or a=rtcp) that exists - m=65535 would wrap to 0. */
static bool inside_ports_ok(const struct rtp_table *t, const struct sipalg_media *m)
{
	unsigned rtcp = m->rtcp_explicit ? m->rtcp_port : m->addr.port + 1u;

	return m->addr.port >= t->cfg.min_inside_port && rtcp >= t->cfg.min_inside_port &&
	       rtcp <= 65535;
}

/* A re-offer moved the phone's port once the call was up: the old side is
 * kept (allocated only now) until the offer is answered. */
static void keep_prev(struct rtp_table *t, struct rtp_stream *st)
{
	struct rtp_side *keep = st->prev ? st->prev : rtp_zalloc(t, sizeof(*keep));

	if (!keep) {
		side_close(t, &st->cur);	/* no rollback possible, nothing leaks */
		return;
	}
	side_close(t, keep);
	*keep = st->cur;
	st->prev = keep;
}

/* The phone's stream leaves: pick (or keep) its public pair and open the
 * inbound pinholes now, before the SDP reaches the far side. -1 leaves the
 * stream as it is (the phone's own port): when no pinhole can be had, a
 * public port with nothing behind it would be the one wrong answer. */
static int map_outbound(struct rtp_msg *mc, const struct sipalg_facts *f,
			unsigned idx, const struct sipalg_media *m,
			struct sipalg_addr *out, uint16_t *out_rtcp)
{
	struct rtp_table *t = mc->table;
	struct rtp_dialog *d;
	struct rtp_stream *st;
	struct sipalg_addr inside = m->addr;

	if (m->disabled)
		return -1;	/* port 0 stays 0 */
	if (!t->cfg.expectations) {
		/* No pinholes: the address is NATed, the port kept - the same
		 * as running without a media mapping. */
		sipalg_addr_set_ip(out, &mc->binding.public);
		out->port = m->addr.port;
		*out_rtcp = m->rtcp_port;
		return 0;
	}
	if (idx >= t->cfg.max_streams) {
		t->stats.streams_refused++;
		return -1;
	}
	if (!inside_ports_ok(t, m)) {
		t->stats.port_refused++;
		return -1;
	}
	d = lookup(mc, f);
	if (!d)
		d = dialog_create(t, f->call_id, f->from_tag, &mc->binding.inside, mc->now);
	if (!d)
		return -1;
	d->last_seen = mc->now;
	if (idx >= d->cap) {
		/* max_streams was raised after this dialog began */
		t->stats.streams_refused++;
		return -1;
	}
	st = dialog_stream(t, d, idx, true);
	if (!st)
		return -1;

	/* c=0.0.0.0 (RFC 2543 hold) keeps the address the stream had. */
	if (sipalg_addr_is_any(&inside))
		sipalg_addr_set_ip(&inside, st->cur.active ? &st->cur.inside : &mc->binding.inside);

	/* A new public address (the WAN was re-addressed, the flow re-NATed):
	 * the old pair names an address the gateway may no longer have, so the
	 * stream moves as if the phone had changed its port. */
	/* After a restart, the pair the kernel still holds for this phone's
	 * port (an orphan) is this call's: a hold/resume keeps its ports. */
	if (!st->cur.active && t->n_orphans && !mc->no_nat)
		orphan_adopt(t, d, st, &inside, &mc->master, outbound_dir(mc));
	if (!st->cur.active || !addr_eq(&st->cur.inside, &inside) ||
	    !sipalg_addr_same_ip(&st->cur.public, &mc->binding.public)) {
		struct rtp_side fresh;

		if (!side_open(t, mc, d, &fresh, &inside, m))
			return -1;
		if (st->cur.active) {
			/* A re-offer moved the phone's port. Once the call is up,
			 * keep the old pair until the offer is answered: a 491
			 * or 488 leaves the media where it was. */
			if (d->confirmed)
				keep_prev(t, st);
			else
				side_close(t, &st->cur);
		}
		st->cur = fresh;
	} else {
		st->cur.rtcp_mux = m->rtcp_mux;
	}
	side_sync(t, st, &st->cur, !sdp_copy(d, false, f, mc->now));
	if (!st->cur.hole[HOLE_IN_RTP].live) {
		/* The kernel refused the pinhole (EMFILE at nf_conntrack_expect_max,
		 * ENOMEM...): give the pair back, the SDP keeps the phone's port. */
		t->stats.unmapped_no_pinhole++;
		side_close(t, &st->cur);
		return -1;
	}
	*out = st->cur.public;
	*out_rtcp = st->cur.public_rtcp;
	return 0;
}

/*
 * Hairpin: an SDP arriving from outside names one of our public pairs - it is
 * another inside phone's stream. Mapped only to a pair that a live stream
 * announces AND that belongs to another leg of this same call (same Call-ID,
 * another inside phone): anyone who can send as the provider could otherwise
 * aim this call's media at an unrelated call's phone. NULL: not a hairpin we
 * take.
 */
static const struct rtp_side *hairpin_target(struct rtp_msg *mc, const struct sipalg_facts *f,
					     const struct sipalg_addr *a)
{
	const struct rtp_dialog *owner;
	unsigned i;

	/* a routed flow has no pool: its "public" address is the phone's own */
	if (mc->no_nat || !sipalg_addr_same_ip(a, &mc->binding.public))
		return NULL;
	owner = port_pool_owner(mc->table->pool, a->port);
	if (!owner || strcmp(owner->call_id, f->call_id) ||
	    sipalg_addr_same_ip(&owner->inside_sig, &mc->binding.inside))
		return NULL;
	for (i = 0; i < owner->n_streams; i++) {
		const struct rtp_stream *st = owner->streams[i];

		if (!st)
			continue;
		if (st->cur.active && addr_eq(&st->cur.public, a))
			return &st->cur;
		if (st->prev && st->prev->active && addr_eq(&st->prev->public, a))
			return st->prev;
	}
	return NULL;
}

static int map_inbound(struct rtp_msg *mc, const struct sipalg_facts *f,
		       const struct sipalg_media *m,
		       struct sipalg_addr *out, uint16_t *out_rtcp)
{
	const struct rtp_side *s;

	if (m->disabled || !(s = hairpin_target(mc, f, &m->addr)))
		return -1;	/* left as it came: the far side's address */
	*out = s->inside;
	*out_rtcp = s->inside_rtcp;
	return 0;
}

/* For the debug log: the message that makes the pinhole work that follows. */
static void note_why(struct rtp_table *t, bool inbound, const struct sipalg_facts *f)
{
	if (f->is_request)
		rtp_why(t, "%s %s call-id %s", inbound ? "in" : "out", f->method, f->call_id);
	else
		rtp_why(t, "%s %d (%s) call-id %s", inbound ? "in" : "out", f->status_code,
			f->method, f->call_id);
}

int rtp_map_media(void *arg, enum sipalg_dir dir,
		  const struct sipalg_facts *msg, unsigned idx,
		  const struct sipalg_media *m,
		  struct sipalg_addr *out, uint16_t *out_rtcp)
{
	struct rtp_msg *mc = arg;

	if (!mc || !mc->table || !msg || !m || !out || !out_rtcp)
		return -1;
	note_why(mc->table, dir == SIPALG_INBOUND, msg);
	if (dir == SIPALG_OUTBOUND)
		return map_outbound(mc, msg, idx, m, out, out_rtcp);
	return map_inbound(mc, msg, m, out, out_rtcp);
}

/* The far media address an inbound SDP names, if pinholes may point at it:
 * the hairpin target's inside address, or a far address far_classify takes. */
static bool far_usable(struct rtp_msg *mc, const struct sipalg_facts *f,
		       const struct sipalg_media *m, struct sipalg_addr *far, uint16_t *far_rtcp)
{
	struct rtp_table *t = mc->table;
	const struct rtp_side *s = hairpin_target(mc, f, &m->addr);
	enum rtp_far_class c;
	unsigned rtcp;

	if (s) {
		*far = s->inside;
		*far_rtcp = s->inside_rtcp;
		return true;
	}
	c = far_classify(t, &m->addr, &mc->binding.public);
	if (c == RTP_FAR_OWN && !mc->no_nat && sipalg_addr_same_ip(&m->addr, &mc->binding.public) &&
	    port_pool_owner(t->pool, m->addr.port))
		c = RTP_FAR_HAIRPIN;	/* a pool port, but not this call's */
	if (c != RTP_FAR_OK) {
		t->stats.far_refused[c]++;
		return false;
	}
	*far = m->addr;
	/* 0 = no far RTCP port (m=65535 without a=rtcp would wrap). */
	rtcp = m->rtcp_explicit ? m->rtcp_port : m->addr.port + 1u;
	*far_rtcp = rtcp <= 65535 ? (uint16_t)rtcp : 0;
	return true;
}

/* An inbound SDP names the far side's media: remember it, narrow the pinholes,
 * add the siblings that make the phone's own media symmetric. A far address
 * the policy refuses leaves the stream's far state as it was. */
static void learn_far(struct rtp_msg *mc, struct rtp_dialog *d,
		      const struct sipalg_facts *f)
{
	struct rtp_table *t = mc->table;
	unsigned i, n = f->n_media < d->cap ? f->n_media : d->cap;
	bool refresh = !sdp_copy(d, true, f, mc->now);

	for (i = 0; i < n; i++) {
		const struct sipalg_media *m = &f->media[i];
		struct rtp_stream *st = dialog_stream(t, d, i, !m->disabled);
		struct sipalg_addr far;
		uint16_t far_rtcp;

		if (!st)
			continue;
		if (m->disabled) {
			/* Stream refused or removed (m= port 0). */
			stream_close(t, st);
			continue;
		}
		/* A pinhole's tuple has its master's family: a far address of
		 * the other one (a dual-stack SDP, ANAT/ICE candidates aside) is
		 * no far address for this flow's pinholes. */
		if (!m->hold_zero_addr &&
		    sipalg_addr_is_v6(&m->addr) == sipalg_addr_is_v6(&mc->master.src) &&
		    !sipalg_addr_is_any(&m->addr) && far_usable(mc, f, m, &far, &far_rtcp)) {
			st->has_far = true;
			st->far = far;
			st->far_rtcp = far_rtcp;
			st->far_mux = m->rtcp_mux;
			t->changes++;
		}
		/* Hold (sendonly/inactive/0.0.0.0) keeps the pinholes; sending
		 * them again restarts their timers and re-opens the ones media
		 * had consumed, so audio returns on resume. */
		side_sync(t, st, &st->cur, refresh);
	}
}

/* The phone's own SDP went out (map ran for every stream it rewrote). */
static void note_own_sdp(struct rtp_msg *mc, struct rtp_dialog *d,
			 const struct sipalg_facts *f)
{
	unsigned i, n = f->n_media < d->n_streams ? f->n_media : d->n_streams;

	for (i = 0; i < n; i++)
		if (f->media[i].disabled && d->streams[i])
			stream_close(mc->table, d->streams[i]);
}

/* The offer that moved a port was answered: the old pair can go. */
static void commit_reoffer(struct rtp_table *t, struct rtp_dialog *d)
{
	unsigned i;

	for (i = 0; i < d->n_streams; i++) {
		struct rtp_stream *st = d->streams[i];

		if (st && st->prev) {
			side_close(t, st->prev);
			rtp_mfree(t, st->prev, sizeof(*st->prev));
			st->prev = NULL;
		}
	}
}

/* The offer that moved a port failed: media stays where it was. */
static void rollback_reoffer(struct rtp_table *t, struct rtp_dialog *d)
{
	unsigned i;

	for (i = 0; i < d->n_streams; i++) {
		struct rtp_stream *st = d->streams[i];

		if (!st || !st->prev)
			continue;
		side_close(t, &st->cur);
		st->cur = *st->prev;
		rtp_mfree(t, st->prev, sizeof(*st->prev));
		st->prev = NULL;
		if (st->cur.active)
			side_sync(t, st, &st->cur, true);
	}
}

static bool offer_answer_method(const struct sipalg_facts *f)
{
	return method_is(f, "INVITE") || method_is(f, "UPDATE") ||
	       method_is(f, "PRACK") || method_is(f, "ACK");
}

void rtp_after_message(struct rtp_msg *mc, const struct sipalg_result *res)
{
	struct rtp_table *t;
	const struct sipalg_facts *f;
	struct rtp_dialog *d;
	bool inbound;

	if (!mc || !mc->table || !res || res->status != SIPALG_OK)
		return;
	t = mc->table;
	f = &res->facts;
	inbound = mc->dir == SIPALG_INBOUND;
	if (!f->call_id[0] || !t->cfg.expectations)
		return;
	note_why(t, inbound, f);
	d = lookup(mc, f);
	if (!d && f->is_request && t->n_orphans &&
	    (method_is(f, "BYE") || method_is(f, "CANCEL"))) {
		/* A call from before a restart that left no record: end what
		 * the kernel holds on its flow, as the kernel helper does. */
		orphans_flush_master(t, &mc->master);
		return;
	}
	if (!d) {
		/* An incoming offer (or a late offer in a 2xx) starts a dialog:
		 * the phone's answer then opens pinholes already narrowed. */
		if (!inbound || !f->has_sdp || !offer_answer_method(f) ||
		    (!f->is_request && f->status_code >= 300))
			return;
		d = dialog_create(t, f->call_id, f->from_tag, &mc->binding.inside, mc->now);
		if (!d)
			return;
	}
	d->last_seen = mc->now;

	if (f->is_request) {
		if (method_is(f, "BYE") ||
		    (method_is(f, "CANCEL") && !d->confirmed)) {
			/* Only this dialog: other calls on the flow keep theirs. */
			dialog_remove(t, d);
			return;
		}
	} else if (method_is(f, "INVITE") || method_is(f, "UPDATE")) {
		if (f->status_code >= 300) {
			/* A failed initial INVITE ends the call; a failed
			 * re-INVITE/UPDATE (491, 488, 500) does not. */
			if (method_is(f, "INVITE") && !d->confirmed) {
				dialog_remove(t, d);
				return;
			}
			rollback_reoffer(t, d);
			return;
		}
		if (f->status_code >= 200) {
			if (method_is(f, "INVITE"))
				dialog_confirm(t, d);
			commit_reoffer(t, d);
		}
	}
	if (!f->has_sdp)
		return;
	if (sdp_copy(d, inbound, f, mc->now))
		t->stats.retransmits_seen++;
	if (inbound)
		learn_far(mc, d, f);
	else
		note_own_sdp(mc, d, f);
	sdp_remember(d, inbound, f, mc->now);
}
