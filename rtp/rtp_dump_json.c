/*
 * rtp_dump_json.c - rtp_table_dump's header and detail as JSON, for
 * `sipalgd status --json` (docs/status.schema.json, "media").
 * The caller's string writer escapes Call-IDs and tags (untrusted bytes):
 * one escaper for the whole report.
 */
#include "rtp_internal.h"

#include <arpa/inet.h>

static void ep(FILE *out, const char *key, const struct sipalg_addr *a)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = sipalg_addr_is_v6(a);

	inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&a->ip6 : (const void *)&a->ip,
		  ip, sizeof(ip));
	fprintf(out, "\"%s\":{\"ip\":\"%s\",\"port\":%u}", key, ip, a->port);
}

static const char *const hole_json[HOLE_MAX] = { "in-rtp", "in-rtcp", "out-rtp", "out-rtcp" };

static void side_json(FILE *out, const char *key, const struct rtp_side *s)
{
	bool first = true;

	if (!s || !s->active) {
		fprintf(out, "\"%s\":null", key);
		return;
	}
	fprintf(out, "\"%s\":{", key);
	ep(out, "inside", &s->inside);
	fprintf(out, ",\"inside_rtcp\":%u,", s->inside_rtcp);
	ep(out, "public", &s->public);
	fprintf(out, ",\"public_rtcp\":%u,\"rtcp_mux\":%s,\"pinholes\":[", s->public_rtcp,
		s->rtcp_mux ? "true" : "false");
	for (int h = 0; h < HOLE_MAX; h++) {
		const struct rtp_hole_expect *e = &s->hole[h].e;

		if (!s->hole[h].live)
			continue;
		fprintf(out, "%s{\"kind\":\"%s\",", first ? "" : ",", hole_json[h]);
		first = false;
		if (e->src_any_addr)
			fputs("\"src\":null", out);
		else
			ep(out, "src", &e->src);
		fprintf(out, ",\"src_any_port\":%s,", e->src_any_port ? "true" : "false");
		ep(out, "dst", &e->dst);
		fputc(',', out);
		ep(out, "nat_to", &e->nat_to);
		fputc('}', out);
	}
	fputs("]}", out);
}

struct json_ctx {
	FILE *out;
	time_t now;
	bool first;
	void (*str)(FILE *out, const char *s);
};

static void dialog_json(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	struct json_ctx *jc = arg;
	FILE *out = jc->out;
	bool first = true;

	(void)t;
	fputs(jc->first ? "{\"call_id\":" : ",{\"call_id\":", out);
	jc->first = false;
	jc->str(out, d->call_id);
	fputs(",\"tag\":", out);
	jc->str(out, d->tag);
	fputc(',', out);
	ep(out, "phone", &d->inside_sig);
	fprintf(out, ",\"state\":\"%s\",\"idle_s\":%ld,\"streams\":[",
		d->confirmed ? "confirmed" : "early", (long)(jc->now - d->last_seen));
	for (unsigned i = 0; i < d->n_streams; i++) {
		const struct rtp_stream *st = d->streams[i];

		if (!st || (!st->cur.active && !st->has_far))
			continue;
		fprintf(out, "%s{\"index\":%u,", first ? "" : ",", i);
		first = false;
		if (st->has_far)
			ep(out, "far", &st->far);
		else
			fputs("\"far\":null", out);
		fputc(',', out);
		side_json(out, "now", &st->cur);
		fputc(',', out);
		side_json(out, "prev", st->prev);
		fputc('}', out);
	}
	fputs("]}", out);
}

void rtp_table_media_json(const struct rtp_table *t, FILE *out)
{
	const struct rtp_stats *s = &t->stats;

	fprintf(out, "{\"dialogs_live\":%u,\"port_pairs_in_use\":%u,\"port_pairs_capacity\":%u,"
		"\"port_min\":%u,\"port_max\":%u,\"expectations_enabled\":%s,"
		"\"streams_refused\":%llu}",
		s->dialogs_live, s->ports_in_use, port_pool_capacity(t->pool),
		t->cfg.port_min, t->cfg.port_max, t->cfg.expectations ? "true" : "false",
		(unsigned long long)s->streams_refused);
}

void rtp_table_dialogs_json(const struct rtp_table *t, FILE *out,
			    void (*json_string)(FILE *out, const char *s))
{
	struct json_ctx jc = { out, time(NULL), true, json_string };

	fputc('[', out);
	dialog_foreach((struct rtp_table *)t, dialog_json, &jc);
	fputc(']', out);
}
