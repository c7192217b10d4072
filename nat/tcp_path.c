/*
 * tcp_path.c - one queued TCP packet of a helped flow: stream position and
 * reassembly (tcp_stream.c), then each run of whole messages rewritten once
 * and cut back into the segments it came in.
 *
 * Verdict order: segments released unchanged go first, then the packet at
 * hand (or the run it completed), in sequence order. A segment whose length
 * changes gets NFQA_CT in its verdict: the kernel's conntrack glue then
 * records the change (nf_ct_seqadj_set at the segment's sequence number) and
 * shifts every later sequence and acknowledgement number of the connection.
 */
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "path_internal.h"

static void accept_ids(struct nat_path *p, const struct nat_tcp_seg *g)
{
	for (unsigned i = 0; i < g->n_ids; i++) {
		nat_verdict_unhold(p->verdicts);
		nat_verdict_accept(p->verdicts, g->ids[i]);
		p->c.unchanged++;
	}
}

/* Segments of a lost stream: each passes as it came, in order. */
static void pass_released(struct nat_path *p, struct nat_tcp_seg *list)
{
	for (struct nat_tcp_seg *g = list; g; g = g->next) {
		accept_ids(p, g);
		p->c.tcp_released_unchanged += g->n_ids;
	}
	nat_tcp_segs_free(list);
}

/* Packet pkt (len) with its payload replaced, as a verdict for id. 0 or -1. */
static int send_spliced(struct nat_path *p, uint32_t id, const uint8_t *pkt, size_t len,
			const uint8_t *payload, size_t plen, bool length_changed)
{
	struct nat_l4 l4;
	long n;

	if (nat_l4_locate(pkt, len, &l4) < 0)
		return -1;
	n = nat_splice_payload(pkt, len, &l4, payload, plen, p->packet_out, NAT_PKT_CAP);
	if (n < 0)
		return -1;
	nat_verdict_payload(p->verdicts, id, p->packet_out, (size_t)n, length_changed, 0);
	p->c.rewritten++;
	return 0;
}

/*
 * A retransmit: its first copy's payload (or its own) at the sequence number
 * the receiver expects. The header is patched in a copy (payload_out is free
 * between packets), then spliced, so the checksum covers the new number.
 */
static int send_replay(struct nat_path *p, const struct nat_packet *pkt, const struct nat_l4 *l4,
		       const struct nat_tcp_replay *r)
{
	const uint8_t *pl = r->payload ? r->payload : pkt->data + l4->payload_off;
	const uint8_t *src = pkt->data;

	if (r->seq_fix) {
		uint8_t *copy = p->payload_out;
		size_t thoff = l4->l4_off;	/* IPv6: past its extension headers */
		uint32_t seq;

		if (pkt->len > SIPALG_MAX_MSG + 1 || thoff + 8 > pkt->len)
			return -1;
		memcpy(copy, pkt->data, pkt->len);
		memcpy(&seq, copy + thoff + 4, 4);
		seq = htonl(ntohl(seq) + (uint32_t)r->seq_fix);
		memcpy(copy + thoff + 4, &seq, 4);
		src = copy;
		if (!r->payload)
			pl = copy + l4->payload_off;
	}
	return send_spliced(p, pkt->id, src, pkt->len, pl, r->len, r->len != l4->payload_len);
}

static int run_out_fit(struct nat_path *p, size_t need)
{
	uint8_t *n;

	if (need <= p->run_out_cap)
		return 0;
	n = realloc(p->run_out, need);
	if (!n)
		return -1;
	p->run_out = n;
	p->run_out_cap = need;
	return 0;
}

/*
 * The inside host's own port, as its topmost Via names it on this
 * connection (a TCP phone's 5060 while the connection leaves from an
 * ephemeral port): kept for the inbound messages, which must name it again.
 */
static void learn_listen_port(struct nat_path *p, struct nat_flow *flow)
{
	const struct sipalg_addr *v = &p->res->facts.top_via;
	const struct sipalg_addr *in = &flow->binding.inside;

	if (flow->dir != SIPALG_OUTBOUND || p->res->status != SIPALG_OK ||
	    !sipalg_addr_same_ip(v, in) || !v->port || v->port == in->port ||
	    v->port == flow->binding.listen_port)
		return;
	flow->binding.listen_port = v->port;
	nat_tcp_set_listen_port(p->tcp_streams, &flow->master, v->port);
}

/* The messages of a run, rewritten one by one into p->run_out. Length, or -1. */
static long rewrite_run(struct nat_path *p, const struct nat_flow *conn, const uint8_t *bytes,
			size_t len, struct nat_edit_tally *tally)
{
	size_t off = 0, used = 0;
	struct nat_flow flow = *conn;

	flow.binding.listen_port = nat_tcp_listen_port(p->tcp_streams, &conn->master);

	while (off < len) {
		long m = sipalg_message_length(bytes + off, len - off);
		long n;

		/* the run holds whole messages only (nat_tcp_take_run) */
		if (m <= 0 || (size_t)m > len - off)
			return -1;
		/* room for the message with every edit it may plan */
		if (run_out_fit(p, used + (size_t)m + SIPALG_MAX_MSG + 1) < 0)
			return -1;
		n = nat_path_rewrite_one(p, &flow, true, bytes + off, (size_t)m, p->run_out + used,
					 p->run_out_cap - used, tally);
		if (n < 0)
			return -1;
		learn_listen_port(p, &flow);
		used += (size_t)n;
		off += (size_t)m;
	}
	return (long)used;
}

static void release_run(struct nat_path *p, const struct nat_flow *flow,
			const struct nat_tcp_key *key, struct nat_tcp_seg *run,
			const uint8_t *bytes, size_t len)
{
	struct nat_edit_tally tally = { 0 };
	uint32_t *in = NULL, *out = NULL;
	unsigned n = 0, i = 0;
	size_t pos = 0;
	long total;
	const uint8_t *o;

	for (struct nat_tcp_seg *g = run; g; g = g->next)
		n++;
	total = rewrite_run(p, flow, bytes, len, &tally);
	if (total < 0) {
		p->c.internal_errors++;
		goto unchanged;
	}
	if ((size_t)total == len && memcmp(p->run_out, bytes, len) == 0)
		goto unchanged;
	if ((size_t)total != len && !p->ct_in_verdict) {
		/* no conntrack glue: the kernel could not shift sequence numbers */
		p->c.tcp_len_refused++;
		goto unchanged;
	}
	in = malloc(n * sizeof(*in));
	out = malloc(n * sizeof(*out));
	if (!in || !out) {
		p->c.internal_errors++;
		goto unchanged;
	}
	for (struct nat_tcp_seg *g = run; g; g = g->next)
		in[i++] = g->len;
	if (nat_tcp_cut(in, n, (size_t)total, nat_tcp_segment_cap(p->tcp_streams, key), out) < 0) {
		p->c.internal_errors++;
		goto unchanged;
	}
	o = p->run_out;
	i = 0;
	for (struct nat_tcp_seg *g = run; g; g = g->next, i++) {
		const uint8_t *mine = o + pos;
		bool same = out[i] == g->len && memcmp(mine, g->pkt + g->payload_off, g->len) == 0;

		pos += out[i];
		if (same) {
			accept_ids(p, g);
			continue;
		}
		nat_tcp_remember(p->tcp_streams, key, g->seq, g->len, mine, out[i]);
		for (unsigned d = 0; d < g->n_ids; d++) {
			nat_verdict_unhold(p->verdicts);
			if (send_spliced(p, g->ids[d], g->pkt, g->pkt_len, mine, out[i],
					 out[i] != g->len) < 0) {
				p->c.internal_errors++;
				nat_verdict_accept(p->verdicts, g->ids[d]);
				p->c.unchanged++;
			}
		}
	}
	for (int k = 0; k < SIPALG_EDIT_KIND_MAX; k++)
		p->c.edits[k] += tally.kind[k];
	free(in);
	free(out);
	nat_tcp_segs_free(run);
	return;
unchanged:
	free(in);
	free(out);
	for (struct nat_tcp_seg *g = run; g; g = g->next)
		accept_ids(p, g);
	nat_tcp_segs_free(run);
}

void nat_tcp_path_packet(struct nat_path *p, const struct nat_packet *pkt,
			 const struct nat_l4 *l4)
{
	const uint8_t *ip = pkt->data;
	const struct tcphdr *th = (const struct tcphdr *)(ip + l4->l4_off);
	uint8_t flags = ((const uint8_t *)th)[13];
	struct nat_tcp_seg *released = NULL, *run;
	struct nat_tcp_replay replay;
	struct nat_tcp_key key;
	struct nat_flow flow;
	enum nat_tcp_verdict v;
	const uint8_t *bytes;
	size_t len;

	/* a bare ACK changes no stream: no binding lookup for it */
	if (l4->payload_len == 0 && !(flags & (TH_SYN | TH_FIN | TH_RST))) {
		p->c.no_payload++;
		p->c.unchanged++;
		nat_verdict_accept(p->verdicts, pkt->id);
		return;
	}
	if (nat_path_find_flow(p, pkt, l4, &flow) < 0) {
		p->c.no_binding++;
		p->c.unchanged++;
		nat_verdict_accept(p->verdicts, pkt->id);
		return;
	}
	if (nat_path_out_of_scope(p, &flow)) {	/* no stream state: never rewritten */
		p->c.out_of_scope++;
		p->c.unchanged++;
		nat_verdict_accept(p->verdicts, pkt->id);
		return;
	}
	key = (struct nat_tcp_key){ .master = flow.master, .dir = flow.dir };
	v = nat_tcp_packet(p->tcp_streams, &key, ip, pkt->len, l4->payload_off, ntohl(th->th_seq),
			   flags, pkt->id, p->now_ms, &replay, &released);
	pass_released(p, released);
	released = NULL;
	switch (v) {
	case NAT_TCP_PASS:
		if (l4->payload_len == 0)
			p->c.no_payload++;
		p->c.unchanged++;
		nat_verdict_accept(p->verdicts, pkt->id);
		return;
	case NAT_TCP_REPLAY:
		if (send_replay(p, pkt, l4, &replay) < 0) {
			p->c.internal_errors++;
			p->c.unchanged++;
			nat_verdict_accept(p->verdicts, pkt->id);
		}
		return;
	case NAT_TCP_HELD:
		nat_verdict_hold(p->verdicts);
		break;
	}
	while (nat_tcp_take_run(p->tcp_streams, &key, &run, &bytes, &len, &released) == 1)
		release_run(p, &flow, &key, run, bytes, len);
	pass_released(p, released);
}

uint64_t nat_path_tick(struct nat_path *p, uint64_t now_ms)
{
	struct nat_tcp_seg *released = NULL;
	uint64_t next;

	if (!p->tcp_streams)
		return 0;
	next = nat_tcp_expire(p->tcp_streams, now_ms, &released);
	pass_released(p, released);
	return next;
}

void nat_path_release_all(struct nat_path *p)
{
	struct nat_tcp_seg *released = NULL;

	if (!p->tcp_streams)
		return;
	nat_tcp_release_all(p->tcp_streams, &released);
	pass_released(p, released);
}

void nat_path_tcp_limits(struct nat_path *p, const struct nat_tcp_limits *lim)
{
	p->tcp_limits = *lim;
	if (p->tcp_streams)
		nat_tcp_set_limits(p->tcp_streams, lim);
}
