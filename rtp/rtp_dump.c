/* rtp_dump.c - the status view: live dialogs, their streams and pinholes. */
#include "rtp_internal.h"

#include <arpa/inet.h>

static const char *addr_str(const struct sipalg_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = sipalg_addr_is_v6(a);

	inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&a->ip6 : (const void *)&a->ip,
		  ip, sizeof(ip));
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

static const char *const hole_name[HOLE_MAX] = { "in-rtp", "in-rtcp", "out-rtp", "out-rtcp" };

static void dump_side(FILE *out, const char *what, const struct rtp_side *s)
{
	char a[64], b[64], c[64];
	int h;

	if (!s->active)
		return;
	fprintf(out, "    %s inside %s rtcp %u -> public %s rtcp %u%s\n", what,
		addr_str(&s->inside, a, sizeof(a)), s->inside_rtcp,
		addr_str(&s->public, b, sizeof(b)), s->public_rtcp,
		s->rtcp_mux ? " rtcp-mux" : "");
	for (h = 0; h < HOLE_MAX; h++) {
		const struct rtp_hole_expect *e = &s->hole[h].e;

		if (!s->hole[h].live)
			continue;
		fprintf(out, "      %-8s src %s%s dst %s nat-to %s\n", hole_name[h],
			e->src_any_addr ? "any" : addr_str(&e->src, a, sizeof(a)),
			e->src_any_addr ? "" : (e->src_any_port ? " (any port)" : ""),
			addr_str(&e->dst, b, sizeof(b)), addr_str(&e->nat_to, c, sizeof(c)));
	}
}

struct dump_ctx {
	FILE *out;
	time_t now;
};

static void dump_dialog(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	struct dump_ctx *dc = arg;
	char a[64];
	unsigned i;

	(void)t;
	fprintf(dc->out, "  call-id %s tag %s phone %s %s, idle %lds\n", d->call_id,
		d->tag, addr_str(&d->inside_sig, a, sizeof(a)),
		d->confirmed ? "confirmed" : "early",
		(long)(dc->now - d->last_seen));
	for (i = 0; i < d->n_streams; i++) {
		const struct rtp_stream *st = d->streams[i];

		if (!st || (!st->cur.active && !st->has_far))
			continue;
		fprintf(dc->out, "   stream %u far %s\n", i,
			st->has_far ? addr_str(&st->far, a, sizeof(a)) : "(unknown)");
		dump_side(dc->out, "now ", &st->cur);
		if (st->prev)
			dump_side(dc->out, "prev", st->prev);
	}
}

void rtp_table_dump(const struct rtp_table *t, FILE *out)
{
	const struct rtp_stats *s = &t->stats;
	struct dump_ctx dc = { out, time(NULL) };

	fprintf(out, "media: %u dialogs, %u port pairs in use of %u (%u-%u)\n",
		s->dialogs_live, s->ports_in_use, port_pool_capacity(t->pool),
		t->cfg.port_min, t->cfg.port_max);
	fprintf(out, "expectations: created %llu failed %llu removed %llu delete-failed %llu%s\n",
		(unsigned long long)s->expect_created, (unsigned long long)s->expect_failed,
		(unsigned long long)s->expect_removed,
		(unsigned long long)s->expect_delete_failed,
		t->cfg.expectations ? "" : " (expectations switched off)");
	fprintf(out, "dialogs: created %llu removed %llu refused %llu; ports exhausted %llu;"
		" streams refused %llu; retransmitted SDPs %llu\n",
		(unsigned long long)s->dialogs_created, (unsigned long long)s->dialogs_removed,
		(unsigned long long)s->dialogs_refused, (unsigned long long)s->ports_exhausted,
		(unsigned long long)s->streams_refused, (unsigned long long)s->retransmits_seen);
	/* dialog_foreach takes a mutable table because fn may remove; dumping does not. */
	dialog_foreach((struct rtp_table *)t, dump_dialog, &dc);
}
