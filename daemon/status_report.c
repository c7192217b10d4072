/* status_report.c - the status report's content; see status_report.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_fmt.h"
#include "scope_observe.h"
#include "status_report.h"
#include "tcp_stream.h"

#define REPORT_REGS_LISTED 4096	/* registrations listed; more are counted only */

#define U(key, v) rep_u64(r, key, (uint64_t)(v))

/* What the pinhole policy refused (rtp/README.md "What an SDP may open"). */
static void report_policy(const struct rtp_stats *rs, struct rep *r)
{
	char key[40];

	rep_section(r, "policy");
	U("port_refused", rs->port_refused);
	for (int c = RTP_FAR_OK + 1; c < RTP_FAR_MAX; c++) {
		snprintf(key, sizeof(key), "far_%s", rtp_far_class_str((enum rtp_far_class)c));
		U(key, rs->far_refused[c]);
	}
	U("host_dialogs_refused", rs->host_dialogs_refused);
	U("host_pairs_refused", rs->host_pairs_refused);
	U("evicted", rs->dialogs_evicted);
	U("early_expired", rs->early_expired);
	U("unmapped_no_pinhole", rs->unmapped_no_pinhole);
	U("table_bytes", rs->mem_bytes);
}

static void report_tcp(const struct status_src *src, struct rep *r)
{
	const struct nat_tcp_counters *t = nat_tcp_counters(src->path->tcp_streams);
	const struct nat_counters *c = &src->path->c;

	rep_section(r, "tcp streams");
	U("tracked", nat_tcp_count(src->path->tcp_streams));
	U("held_bytes", nat_tcp_held_bytes(src->path->tcp_streams));
	U("created", t->streams_created);
	U("freed", t->streams_freed);
	U("segments_held", t->held);
	U("runs", t->runs);
	U("multi_segment_runs", t->multi_segment_runs);
	U("retransmits_replayed", t->retransmits_replayed);
	U("retransmits_resequenced", t->retransmits_resequenced);
	U("retransmits_passed", t->retransmits_passed);
	U("released_unchanged", c->tcp_released_unchanged);
	U("passed_untracked", t->passed_lost);
	U("not_tracked_table_full", t->no_state);
	U("lost", t->lost);
	U("lost_no_syn", t->lost_no_syn);
	U("lost_not_sip", t->lost_not_sip);
	U("lost_gap", t->lost_gap);
	U("lost_overlap", t->lost_overlap);
	U("lost_too_big", t->lost_too_big);
	U("lost_bounds", t->lost_bounds);
	U("lost_timeout", t->lost_timeout);
	U("lost_peer_not_sip", t->lost_peer_not_sip);
}

/* The kernel's own drop counters (/proc/net/netfilter/nfnetlink_queue). */
struct kernel_drops {
	bool known;
	uint64_t queue_dropped, user_dropped;
	unsigned len;
};

static void report_queue(const struct status_src *src, struct rep *r, const struct kernel_drops *k)
{
	const struct nat_queue_stats *qs = nat_queue_stats(src->q);
	bool pass = nat_queue_fail_open(src->q);

	rep_section(r, "queue");
	U("received", qs->received);
	U("receive_calls", qs->recv_calls);
	U("socket_overruns", qs->enobufs);
	U("verdict_errors", qs->verdict_errors);
	U("verdict_send_errors", src->verdicts->send_errors);
	U("verdict_sends", src->verdicts->sends);
	U("batch_verdicts", src->verdicts->batch_msgs);
	U("payload_verdicts", src->verdicts->payload_msgs);
	U("ct_accept_verdicts", src->verdicts->ct_msgs);
	U("single_accepts", src->verdicts->single_msgs);
	U("parse_errors", qs->parse_errors);
	if (k->known) {
		U("kernel_queue_dropped", k->queue_dropped);
		U("kernel_user_dropped", k->user_dropped);
		rep_text(r, "kernel_queue_len %u of %u\n", k->len, (unsigned)src->cfg->queue_maxlen);
		if (r->json) {
			U("kernel_queue_len", k->len);
			U("kernel_queue_max", src->cfg->queue_maxlen);
		}
	}
	if (r->json)
		rep_str(r, "overload", pass ? "pass" : "drop");
	else
		rep_str(r, "overload", pass
			? "pass (a full queue lets SIP through un-rewritten, uncounted)"
			: "drop (a full queue drops SIP, counted above; phones resend)");
}

static void report_first_packets(const struct nat_exp_stats *s, struct rep *r)
{
	rep_section(r, "first packets");
	U("unconfirmed_masters", s->unconfirmed);
	U("in_verdict", s->in_verdict);
	U("deferred", s->deferred);
	U("deferred_sent", s->deferred_sent);
	U("deferred_retried", s->deferred_retried);
	U("deferred_failed", s->deferred_failed);
	U("cancelled", s->cancelled);
	U("deletes_deferred", s->deletes_deferred);
	U("refused_full", s->refused_full);
	rep_i64(r, "last_error", s->last_error);
	U("batched_after_flush", s->batched);
	U("sent_at_once", s->sent_at_once);
}

static const char *ep_str(const struct sipalg_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = sipalg_addr_is_v6(a);

	inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&a->ip6 : (const void *)&a->ip,
		  ip, sizeof(ip));
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

struct reg_visit {
	struct rep *r;
	time_t now;
};

static void report_one_reg(void *arg, const struct rtp_master *m, time_t until, bool dirty)
{
	struct reg_visit *v = arg;
	struct rep *r = v->r;
	char a[64], b[64];
	long left = (long)(until - v->now);

	if (!r->json) {
		rep_text(r, "  %s %s -> %s expires in %lds%s\n",
			 m->l4proto == IPPROTO_TCP ? "tcp" : "udp", ep_str(&m->src, a, sizeof(a)),
			 ep_str(&m->dst, b, sizeof(b)), left, dirty ? " (timeout raise pending)" : "");
		return;
	}
	rep_obj(r, NULL);
	rep_str(r, "transport", m->l4proto == IPPROTO_TCP ? "tcp" : "udp");
	rep_str(r, "phone", ep_str(&m->src, a, sizeof(a)));
	rep_str(r, "registrar", ep_str(&m->dst, b, sizeof(b)));
	rep_i64(r, "expires_in_s", left);
	rep_bool(r, "timeout_raise_pending", dirty, "");
	rep_end(r, '}');
}

/* Phones with a live registration (the SIP flow's original direction). */
static void report_registrations(const struct status_src *src, struct rep *r)
{
	struct reg_visit v = { r, time(NULL) };
	unsigned n = nat_reg_count(src->regs), listed;

	if (n > REPORT_REGS_LISTED)
		rep_text(r, "\nregistered flows (%u, first %d listed):\n", n, REPORT_REGS_LISTED);
	else
		rep_text(r, "\nregistered flows (%u):\n", n);
	rep_arr(r, "registrations");
	listed = nat_reg_foreach(src->regs, REPORT_REGS_LISTED, report_one_reg, &v);
	rep_end(r, ']');
	if (r->json)
		rep_bool(r, "registrations_truncated", listed < n, "");
}

static void report_mode(const struct status_src *src, struct rep *r)
{
	if (!r->json) {
		if (src->degraded)
			fprintf(r->out, "mode: %s\n", src->degraded_text);
		else
			fprintf(r->out, "mode: helper \"%s\" (nfnetlink_cthelper), queue %u\n",
				src->cfg->helper_name, src->cfg->queue_num);
		fprintf(r->out, "alg: %s\n", src->cfg->sw.enabled ? "enabled"
			: "DISABLED (enabled = no: packets pass byte for byte)");
		/* every switch applies to both: one helper per family, tables ip and ip6 */
		fprintf(r->out, "families: ipv4, ipv6 (IPv6 routed: pinholes, no rewrite)\n");
		fprintf(r->out, "uptime: %lds\n", (long)(time(NULL) - src->started));
		fprintf(r->out, "conntrack attached to queued packets: %s\n",
			nat_queue_has_ct(src->q) ? "yes" : "no (ctnetlink lookups; TCP length kept)");
		return;
	}
	rep_str(r, "mode", src->degraded ? "degraded" : "helper");
	rep_str(r, "helper", src->cfg->helper_name);
	U("queue", src->cfg->queue_num);
	rep_bool(r, "alg_enabled", src->cfg->sw.enabled, "");
	rep_str(r, "families", "ipv4,ipv6");
	rep_bool(r, "expectations_possible", !src->degraded, "");
	rep_i64(r, "uptime_s", (long long)(time(NULL) - src->started));
	rep_bool(r, "conntrack_attached", nat_queue_has_ct(src->q), "");
}

static void report_status_socket(const struct status_src *src, struct rep *r)
{
	const struct status_srv_stats *s = status_srv_stats(src->status);

	rep_section(r, "status socket");
	U("clients_now", s->clients);
	U("served", s->served);
	U("slow_readers_dropped", s->dropped_slow);
	U("refused_busy", s->refused_busy);
}

/* What the last start rebuilt from the state file and the kernel
 * (rtp/README.md "Restarts"); zeros when nothing was there. */
static void report_recovery(const struct rtp_recovery *v, const struct rtp_stats *rs,
			    struct rep *r)
{
	rep_section(r, "recovery");
	U("file_found", v->file_found);
	U("records", v->records);
	U("records_refused", v->records_refused);
	U("dialogs_restored", v->dialogs);
	U("pinholes_live", v->pinholes_live);
	U("pinholes_gone", v->pinholes_gone);
	U("conflicts", v->conflicts);
	U("kernel_expectations", v->kernel_expects);
	rep_i64(r, "kernel_error", v->kernel_error);
	U("orphans", v->orphans);
	U("orphans_refused", v->orphans_refused);
	U("kernel_ignored", v->kernel_ignored);
	U("nat_repaired", v->nat_repaired);
	U("orphans_flushed", rs->orphans_flushed);
	U("orphans_adopted", rs->orphans_adopted);
	U("usec", v->usec);
}

void status_report(const struct status_src *src, FILE *out, bool json)
{
	const struct nat_counters *c = &src->path->c;
	const struct rtp_stats *rs = src->rtp ? rtp_table_stats(src->rtp) : NULL;
	struct kernel_drops k = { 0 };
	struct rep rr, *r = &rr;

	k.known = nat_queue_kernel_drops(src->cfg->queue_num, &k.queue_dropped, &k.user_dropped,
					 &k.len) == 0;
	rep_open(r, out, json);
	report_mode(src, r);
	rep_section(r, "packets");
	U("packets", c->packets);
	U("rewritten", c->rewritten);
	U("unchanged", c->unchanged);
	U("disabled_passed", c->disabled);
	U("ipv6", c->ipv6);
	U("ipv6_routed", c->ipv6_routed);
	scope_observe_status(r, c, src->cfg);
	rep_section(r, "rewrites by kind");
	for (int i = 0; i < SIPALG_EDIT_KIND_MAX; i++)
		U(sipalg_edit_kind_str((enum sipalg_edit_kind)i), c->edits[i]);
	rep_section(r, "messages by engine status");
	for (int s = 0; s <= SIPALG_TOO_BIG; s++)
		U(sipalg_status_str((enum sipalg_status)s), c->status[s]);
	rep_section(r, "passed unchanged because");
	U("no_payload", c->no_payload);
	U("not_ipv4_udp_tcp", c->not_ipv4_l4);
	U("truncated_copy", c->truncated);
	U("no_binding", c->no_binding);
	U("binding_from_mark", c->binding_from_mark);
	U("tcp_length_change_refused", c->tcp_len_refused);
	U("internal_errors", c->internal_errors);
	if (src->path->tcp_streams)
		report_tcp(src, r);
	report_queue(src, r, &k);
	if (src->workers)
		workers_report(src->workers, r, src->cfg->queue_num, src->queue0, src->q);
	rep_section(r, "registrations");
	U("flows", nat_reg_count(src->regs));
	U("table_full", c->reg_table_full);
	U("timeouts_in_verdict", c->reg_timeouts_in_verdict);
	U("marked_dirty", c->reg_marked_dirty);
	U("dirty_now", nat_reg_dirty_count(src->regs));
	U("timeouts_set", c->reg_timeouts_set);
	U("timeout_errors", c->reg_timeout_errors);
	U("backlog_ticks", src->reg_backlog_ticks);
	rep_section(r, "addresses");
	rep_bool(r, "watched", src->addrs_watched, src->addrs_watched ? "yes (rtnetlink)" : "no (re-read every 60 s)");
	U("lost", src->addrs_lost);
	U("dialogs_flushed", src->addr_dialogs_flushed);
	U("sip_flows_flushed", src->addr_flows_flushed);
	report_status_socket(src, r);
	if (!rs) {
		rep_section(r, "expectations");
		rep_text(r, "none possible (degraded mode)\n");
	} else {
		rep_section(r, "expectations");
		U("created", rs->expect_created);
		U("failed", rs->expect_failed);
		U("removed", rs->expect_removed);
		U("delete_failed", rs->expect_delete_failed);
		U("ports_exhausted", rs->ports_exhausted);
		U("ports_in_use", rs->ports_in_use);
		rep_i64(r, "last_error", rs->last_error);
		U("sdp_retransmits", rs->retransmits_seen);
		if (src->rtpnl)
			U("netlink_answers_lost", rtp_nl_stats(src->rtpnl)->answers_lost);
		if (src->path->exp)
			report_first_packets(&src->path->exp->stats, r);
		rep_section(r, "dialogs");
		U("live", rs->dialogs_live);
		U("created", rs->dialogs_created);
		U("removed", rs->dialogs_removed);
		U("refused", rs->dialogs_refused);
		report_policy(rs, r);
		report_recovery(rtp_table_recovery(src->rtp), rs, r);
	}
	rep_counters_end(r);
	/* JSON: the queue's losses in one place, for an alert rule */
	if (json) {
		const struct nat_queue_stats *qs = nat_queue_stats(src->q);

		rep_obj(r, "queue_drops");
		U("socket_overruns", qs->enobufs);
		if (k.known) {
			U("kernel_queue_dropped", k.queue_dropped);
			U("kernel_user_dropped", k.user_dropped);
		} else {
			rep_null(r, "kernel_queue_dropped");
			rep_null(r, "kernel_user_dropped");
		}
		rep_bool(r, "overload_pass", nat_queue_fail_open(src->q), "");
		rep_end(r, '}');
	}
	if (rs && !json)
		rtp_table_dump(src->rtp, out);
	if (json) {
		rep_key(r, "media");
		if (rs)
			rtp_table_media_json(src->rtp, out);
		else
			fputs("null", out);
		rep_key(r, "dialogs");
		if (rs)
			rtp_table_dialogs_json(src->rtp, out, rep_json_string);
		else
			fputs("[]", out);
	}
	report_registrations(src, r);
	rep_close(r);
}
#undef U
