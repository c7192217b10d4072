/*
 * orphans.c - pinholes only the kernel knew after a restart (no state file,
 * an older one, or a conntrackd failover whose file is on the other gateway).
 *
 * Each public pair is one dialog with an empty Call-ID (never a message's)
 * and the tag "orphan <port>", one stream, and the kernel's expectations as
 * its live pinholes: the pool holds the pair, the host caps count it, it
 * expires after dialog_timeout like any answered call, and:
 *  - a BYE/CANCEL of a dialog the table does not know ends the orphans on
 *    its master flow (the kernel helper flushes a flow's expectations on BYE);
 *  - a new dialog's SDP from the same inside host announcing the orphan's
 *    inside address:port takes the pair over (hold/resume keeps the ports).
 */
#include "rtp_internal.h"

#include <stdio.h>
#include <string.h>

struct flush_arg {
	const struct rtp_master *m;
	unsigned n;
};

static void flush_one(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	struct flush_arg *a = arg;
	const struct rtp_stream *st = d->streams[0];

	if (!dialog_is_orphan(d) || !st || !master_same(&st->cur.master, a->m))
		return;
	a->n++;
	dialog_remove(t, d);
}

unsigned orphans_flush_master(struct rtp_table *t, const struct rtp_master *m)
{
	struct flush_arg a = { .m = m };

	rtp_why(t, "BYE/CANCEL of a dialog from before the restart: its flow's orphans");
	dialog_foreach(t, flush_one, &a);
	t->stats.orphans_flushed += a.n;
	return a.n;
}

struct adopt_arg {
	struct in_addr host;
	const struct sipalg_addr *inside;
	struct rtp_dialog *found;
};

static void find_one(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	struct adopt_arg *a = arg;
	const struct rtp_stream *st = d->streams[0];

	(void)t;
	if (!a->found && dialog_is_orphan(d) && st && st->cur.active &&
	    d->inside_sig.ip.s_addr == a->host.s_addr && addr_eq(&st->cur.inside, a->inside))
		a->found = d;
}

bool orphan_adopt(struct rtp_table *t, struct rtp_dialog *d, struct rtp_stream *st,
		  const struct sipalg_addr *inside, const struct rtp_master *m, int out_dir)
{
	struct adopt_arg a = { .host = d->inside_sig.ip, .inside = inside };
	struct rtp_stream *os;

	dialog_foreach(t, find_one, &a);
	if (!a.found)
		return false;
	os = a.found->streams[0];
	/* The pair and its live pinholes move; the orphan leaves with nothing
	 * to delete or release. Same inside host, same rtp_host: its pair
	 * count stays. */
	st->cur = os->cur;
	if (!st->has_far && os->has_far) {	/* the new dialog's own far SDP wins */
		st->has_far = true;
		st->far = os->far;
		st->far_rtcp = os->far_rtcp;
		st->far_mux = os->far_mux;
	}
	port_pool_release(t->pool, st->cur.public.port);
	port_pool_take(t->pool, st->cur.public.port, d);
	memset(&os->cur, 0, sizeof(os->cur));
	dialog_remove(t, a.found);
	/* Pinholes hang on their side's master: on another signalling flow
	 * they are deleted under the old one, and the new dialog's side_sync
	 * creates them on its own. */
	if (!master_same(&st->cur.master, m))
		side_delete_holes(t, &st->cur);
	st->cur.master = *m;
	st->cur.out_dir = out_dir;
	t->stats.orphans_adopted++;
	return true;
}
