/* packet_path.c - one queued SIP packet, top to bottom; see packet_path.h. */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "binding.h"
#include "packet_path.h"
#include "path_internal.h"
#include "splice.h"
#include "observe.h"
#include "table_lock.h"

#define OUT_CAP (SIPALG_MAX_MSG + 1)

int nat_path_init(struct nat_path *p)
{
	p->ctobj = nfct_new();
	p->ctempty = nfct_new();
	p->res = malloc(sizeof(*p->res));
	p->payload_out = malloc(OUT_CAP);
	p->packet_out = malloc(NAT_PKT_CAP);
	nat_tcp_limits_default(&p->tcp_limits);
	p->tcp_streams = nat_tcp_new(&p->tcp_limits);
	if (!p->ctobj || !p->ctempty || !p->res || !p->payload_out || !p->packet_out ||
	    !p->tcp_streams) {
		nat_path_free(p);
		return -1;
	}
	return 0;
}

void nat_path_free(struct nat_path *p)
{
	if (p->ctobj)
		nfct_destroy(p->ctobj);
	if (p->ctempty)
		nfct_destroy(p->ctempty);
	free(p->res);
	free(p->payload_out);
	free(p->packet_out);
	free(p->run_out);
	nat_tcp_free(p->tcp_streams);
	p->tcp_streams = NULL;
	p->run_out = NULL;
	p->ctobj = p->ctempty = NULL;
	p->res = NULL;
	p->payload_out = p->packet_out = NULL;
}

/*
 * The packet's NAT binding: from the conntrack the queue attached, else by
 * asking ctnetlink, else (a first packet, not confirmed yet) from the mark our
 * degraded-mode rule set to the original source, keeping the port.
 */
static int flow_from_attached_ct(struct nat_path *p, const struct nat_packet *pkt,
				 struct nat_flow *flow)
{
	(void)p;
	if (!pkt->ct || !pkt->has_ctinfo || !pkt->data || !pkt->len)
		return -1;
	/* NFQA_CT's tuples are in the packet's family, read in place (binding.h) */
	return nat_flow_from_ct_attrs(pkt->ct, pkt->ct_len, nat_ctinfo_is_reply(pkt->ctinfo), flow);
}

int nat_path_find_flow(struct nat_path *p, const struct nat_packet *pkt,
		     const struct nat_l4 *l4, struct nat_flow *flow)
{
	bool reply;

	if (flow_from_attached_ct(p, pkt, flow) == 0)
		return 0;
	if (p->ct && nat_ct_lookup(p->ct, l4, p->ctobj, &reply) == 0 &&
	    nat_flow_from_ct(p->ctobj, reply, flow) == 0)
		return 0;
	/* the mark holds an IPv4 address; IPv6 has no such rule (rules.c) */
	if (l4->family == AF_INET && pkt->mark && pkt->mark != l4->saddr) {
		memset(flow, 0, sizeof(*flow));
		flow->binding.inside.ip.s_addr = pkt->mark;
		flow->binding.inside.port = l4->sport;
		flow->binding.public.ip.s_addr = l4->saddr;
		flow->binding.public.port = l4->sport;
		flow->binding.remote.ip.s_addr = l4->daddr;
		flow->binding.remote.port = l4->dport;
		flow->dir = SIPALG_OUTBOUND;
		flow->natted = true;	/* the mark is the source before SNAT */
		flow->master.src = flow->binding.inside;
		flow->master.dst = flow->binding.remote;
		flow->master.l4proto = l4->proto;
		p->c.binding_from_mark++;
		return 0;
	}
	return -1;
}

/* A 200 OK to REGISTER, inbound on a UDP flow, starts, refreshes or (expires=0) ends one. */
static void note_registration(struct nat_path *p, const struct nat_flow *flow, bool tcp,
			      const struct sipalg_result *res)
{
	const struct sipalg_facts *f = &res->facts;

	/* TCP: the kernel keeps an established flow for days on its own; lowering that
	 * to the registration would only shorten it */
	if (!p->registration_timeout || !p->regs || tcp)
		return;
	if (res->status == SIPALG_OK && !f->is_request && flow->dir == SIPALG_INBOUND &&
	    strcmp(f->method, "REGISTER") == 0 && f->status_code >= 200 &&
	    f->status_code < 300 && f->expires >= 0) {
		int rc;

		nat_table_lock();
		rc = nat_reg_note(p->regs, &flow->master, f->expires, p->now);
		nat_table_unlock();
		if (rc < 0)
			p->c.reg_table_full++;
	}
}

/* The registration table is shared by the queue workers (table_lock.h). */
static bool regs_empty(struct nat_path *p)
{
	bool empty;

	nat_table_lock();
	empty = nat_reg_count(p->regs) == 0;
	nat_table_unlock();
	return empty;
}

/*
 * This packet reset its registered flow's timeout to the UDP stream timeout
 * (the kernel refreshes before the helper hook queues it). Returns the
 * timeout (s) the packet's verdict must carry as CTA_TIMEOUT, or 0. Without
 * the verdict route (no conntrack glue, or no conntrack attached to this
 * packet) the flow is marked dirty instead: the 1 s timer re-raises it
 * through ctnetlink, once per flow however many packets it saw.
 *
 * Why the verdict works (Linux 6.1 source, the guest's kernel): udp_packet()
 * refreshes the timeout from nf_conntrack_in at PRE_ROUTING/LOCAL_OUT; our
 * userspace helper queues later, from nf_confirm at CONNTRACK_CONFIRM
 * priority. nfqnl_recv_verdict() -> nfqnl_ct_parse() -> ctnetlink_glue_parse_ct()
 * -> __nf_ct_change_timeout() sets it before nfqnl_reinject(), and nothing
 * after the confirm hook refreshes again. TCP never gets here: a refused
 * timeout change (-EPERM fixed timeout, -ETIME dying) makes the kernel drop
 * the whole NFQA_CT, seqadj included.
 */
static uint32_t registration_timeout(struct nat_path *p, const struct nat_packet *pkt,
				     const struct nat_flow *flow, bool tcp)
{
	unsigned timeout;

	if (!p->registration_timeout || !p->regs || tcp || p->observe || regs_empty(p))
		return 0;
	nat_table_lock();
	timeout = nat_reg_ct_timeout(p->regs, &flow->master, p->now,
				     p->registration_timeout_max);
	if (timeout && !(p->ct_in_verdict && pkt->ct))
		nat_reg_mark_dirty(p->regs, &flow->master);
	nat_table_unlock();
	if (!timeout)
		return 0;
	if (p->ct_in_verdict && pkt->ct) {
		p->c.reg_timeouts_in_verdict++;
		return timeout;
	}
	p->c.reg_marked_dirty++;
	return 0;
}

/*
 * IPv6 without NAT66 is routed: what a dual-stack gateway does, not a VPN
 * flow to keep off, so it is in scope - its media pinholes are the stateful
 * firewall's RELATED, nothing is rewritten - unless an end is in an excluded
 * IPv6 subnet. Interfaces are the rules' (both tables).
 */
bool nat_path_out_of_scope(const struct nat_path *p, const struct nat_flow *flow)
{
	if (sipalg_addr_is_v6(&flow->binding.inside))
		return p->scope && (nat_scope_excluded_addr6(p->scope, &flow->binding.inside.ip6) ||
				    nat_scope_excluded_addr6(p->scope, &flow->binding.remote.ip6));
	return (!flow->natted && !(p->scope && p->scope->no_nat_pinholes)) ||
	       (p->scope && (nat_scope_excluded_addr(p->scope, flow->binding.inside.ip) ||
			     nat_scope_excluded_addr(p->scope, flow->binding.remote.ip)));
}

static void accept_unchanged(struct nat_path *p, const struct nat_packet *pkt)
{
	p->c.unchanged++;
	nat_verdict_accept(p->verdicts, pkt->id);
}

/*
 * An empty UDP datagram (a NAT keepalive some phones send) refreshed its flow
 * too. Only the verdict route is worth it here: a ctnetlink lookup for a
 * packet we never rewrite is what this avoids.
 */
static uint32_t empty_datagram_timeout(struct nat_path *p, const struct nat_packet *pkt,
				       const struct nat_l4 *l4)
{
	struct nat_flow flow;

	if (l4->proto != IPPROTO_UDP || !p->ct_in_verdict || !p->registration_timeout ||
	    !p->regs || regs_empty(p) || flow_from_attached_ct(p, pkt, &flow) < 0)
		return 0;
	return registration_timeout(p, pkt, &flow, false);
}

/* Unchanged, but a registered flow's timeout rides along: its own verdict, not the batch. */
static void accept_unchanged_ct(struct nat_path *p, const struct nat_packet *pkt,
				uint32_t ct_timeout)
{
	if (!ct_timeout) {
		accept_unchanged(p, pkt);
		return;
	}
	p->c.unchanged++;
	nat_verdict_accept_ct(p->verdicts, pkt->id, ct_timeout);
}


/*
 * The pinhole table is shared by the queue workers (table_lock.h): a message
 * holds the lock from its first media line to the end of its pinhole step,
 * so no other worker's message on the same dialog comes in between.
 */
struct locked_msg {
	struct rtp_msg *mc;
	bool locked;
};

static int map_media_locked(void *arg, enum sipalg_dir dir, const struct sipalg_facts *msg,
			    unsigned idx, const struct sipalg_media *m, struct sipalg_addr *out,
			    uint16_t *out_rtcp)
{
	struct locked_msg *lm = arg;

	if (!lm->locked)
		nat_table_lock();
	lm->locked = true;
	return rtp_map_media(lm->mc, dir, msg, idx, m, out, out_rtcp);
}

/*
 * One message: engine (with the pinhole layer mapping media ports), pinholes,
 * registration, then the edits spliced into out. Returns the bytes written
 * to out, or -1 if they do not fit.
 */
long nat_path_rewrite_one(struct nat_path *p, const struct nat_flow *flow, bool tcp,
			const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
			struct nat_edit_tally *tally)
{
	struct sipalg_result *res = p->res;
	struct rtp_msg mc = { .table = p->rtp, .master = flow->master,
			      .binding = flow->binding, .dir = flow->dir, .now = p->now,
			      .no_nat = !flow->natted };
	struct locked_msg lm = { .mc = &mc };
	struct sipalg_ctx ctx = { .transport = tcp ? SIPALG_TCP : SIPALG_UDP,
				  .dir = flow->dir, .binding = flow->binding, .sw = p->sw,
				  .map_media = p->rtp ? map_media_locked : NULL, .map_arg = &lm };
	enum sipalg_status st;
	long n;

	if (p->observe)	/* the plan logged, nothing opened, the message as it came */
		return nat_observe_one(p, flow, tcp, msg, len, out, cap);
	st = sipalg_process(msg, len, &ctx, res);
	if ((unsigned)st <= SIPALG_TOO_BIG)
		p->c.status[st]++;
	/* pinholes: before the verdict, so they exist when the SDP leaves */
	if (st == SIPALG_OK && p->rtp) {
		if (!lm.locked)
			nat_table_lock();
		lm.locked = true;
		rtp_after_message(&mc, res);
	}
	if (lm.locked)
		nat_table_unlock();
	note_registration(p, flow, tcp, res);
	/* no NAT (no_nat_pinholes, routed IPv6): the pinholes only, never the bytes */
	if (!flow->natted && sipalg_addr_is_v6(&flow->binding.inside))
		p->c.ipv6_routed++;
	if (st != SIPALG_OK || res->n_edits == 0 || !flow->natted) {
		if (cap < len)
			return -1;
		memcpy(out, msg, len);
		return (long)len;
	}
	for (unsigned i = 0; i < res->n_edits; i++)
		if (res->edits[i].kind < SIPALG_EDIT_KIND_MAX)
			tally->kind[res->edits[i].kind]++;
	tally->total += res->n_edits;
	n = sipalg_apply(msg, len, res, out, cap);
	if (n >= 0 && p->on_rewrite)
		p->on_rewrite(p->on_rewrite_arg, flow, tcp, res);
	return n;
}

void nat_path_packet(void *arg, const struct nat_packet *pkt)
{
	struct nat_path *p = arg;
	struct nat_edit_tally tally = { 0 };
	const uint8_t *payload;
	struct nat_l4 l4;
	struct nat_flow flow;
	long n, newlen;
	uint32_t ct_timeout;
	bool tcp;

	p->c.packets++;
	/* enabled = no: byte for byte, no conntrack questions, no pinholes */
	if (!p->sw->enabled) {
		p->c.disabled++;
		accept_unchanged(p, pkt);
		return;
	}
	/* receive: an IPv4 or IPv6 UDP/TCP packet with its whole payload in hand */
	if (pkt->truncated) {
		p->c.truncated++;
		accept_unchanged(p, pkt);
		return;
	}
	if (!pkt->data || nat_l4_locate(pkt->data, pkt->len, &l4) < 0 ||
	    (l4.proto == IPPROTO_TCP ? !p->tcp : !p->udp)) {
		p->c.not_ipv4_l4++;
		accept_unchanged(p, pkt);
		return;
	}
	if (l4.family == AF_INET6)
		p->c.ipv6++;
	if (l4.payload_len == 0 && l4.proto == IPPROTO_UDP) {
		p->c.no_payload++;
		accept_unchanged_ct(p, pkt, empty_datagram_timeout(p, pkt, &l4));
		return;
	}
	if (l4.proto == IPPROTO_TCP) {
		/* stream state: positions, reassembly, retransmits (tcp_path.c) */
		nat_tcp_path_packet(p, pkt, &l4);
		return;
	}
	payload = pkt->data + l4.payload_off;
	tcp = false;
	/* binding */
	if (nat_path_find_flow(p, pkt, &l4, &flow) < 0) {
		p->c.no_binding++;
		accept_unchanged(p, pkt);
		return;
	}
	if (nat_path_out_of_scope(p, &flow)) {
		p->c.out_of_scope++;
		accept_unchanged(p, pkt);
		return;
	}
	/* a flow's first packet: its pinholes ride in its verdict (verdict_exp.h) */
	if (p->exp && !p->observe)
		nat_exp_packet(p->exp, pkt, &flow.master);
	/* engine + pinholes; the datagram is one message, written in place
	 * behind the headers in packet_out (the splice then copies no payload) */
	n = nat_path_rewrite_one(p, &flow, tcp, payload, l4.payload_len,
				 p->packet_out + l4.payload_off, NAT_PKT_CAP - l4.payload_off, &tally);
	/* registration: after the messages (a 200 OK to REGISTER counts at once) */
	ct_timeout = registration_timeout(p, pkt, &flow, tcp);
	if (n < 0) {
		p->c.internal_errors++;
		accept_unchanged_ct(p, pkt, ct_timeout);
		return;
	}
	if (tally.total == 0) {
		accept_unchanged_ct(p, pkt, ct_timeout);
		return;
	}
	/* headers, lengths and one checksum pass around the payload in place */
	newlen = nat_splice_payload(pkt->data, pkt->len, &l4, p->packet_out + l4.payload_off,
				    (size_t)n, p->packet_out, NAT_PKT_CAP);
	if (newlen < 0) {
		p->c.internal_errors++;
		accept_unchanged_ct(p, pkt, ct_timeout);
		return;
	}
	/* verdict; NFQA_CT carries a registered flow's timeout */
	nat_verdict_payload(p->verdicts, pkt->id, p->packet_out, (size_t)newlen,
			    ct_timeout != 0, ct_timeout);
	p->c.rewritten++;
	for (int k = 0; k < SIPALG_EDIT_KIND_MAX; k++)
		p->c.edits[k] += tally.kind[k];
}
