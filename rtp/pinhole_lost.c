/*
 * pinhole_lost.c - rtp_expect_lost (rtp.h): a create that was answered 0 but
 * failed later. The table stays the one owner of what exists: the pinhole
 * that asked for the expectation is found and marked not live.
 */
#include "rtp_internal.h"

struct lost {
	const struct rtp_expect *e;
	bool found;
};

static bool side_forget(struct rtp_side *s, const struct rtp_expect *e)
{
	int h;

	if (!s || !s->active)
		return false;
	if (!master_same(&s->master, &e->master))
		return false;
	for (h = 0; h < HOLE_MAX; h++) {
		struct rtp_pinhole *ph = &s->hole[h];

		if (ph->live && hole_same(&ph->e, e)) {
			ph->live = false;
			return true;
		}
	}
	return false;
}

static bool dialog_forget(struct rtp_dialog *d, const struct rtp_expect *e)
{
	unsigned i;

	for (i = 0; i < d->n_streams; i++) {
		struct rtp_stream *st = d->streams[i];	/* NULL until used */

		if (st && (side_forget(&st->cur, e) || (st->prev && side_forget(st->prev, e))))
			return true;
	}
	return false;
}

static void forget_cb(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	struct lost *l = arg;

	(void)t;
	if (!l->found)
		l->found = dialog_forget(d, l->e);
}

void rtp_expect_lost(struct rtp_table *t, const struct rtp_expect *e, int err)
{
	struct lost l = { .e = e };
	struct rtp_dialog *owner;

	if (!t || !e)
		return;
	/* Inbound pinholes go to one of our public pairs: its owner holds them.
	 * Siblings (far destination) need the walk; they are rare here. */
	owner = port_pool_owner(t->pool, e->dst.port);
	if (owner)
		l.found = dialog_forget(owner, e);
	if (!l.found)
		dialog_foreach(t, forget_cb, &l);
	if (!l.found)
		return;		/* the call is gone or moved on: nothing claims it */
	if (t->stats.expect_created)
		t->stats.expect_created--;
	t->stats.expect_failed++;
	t->stats.last_error = err;
}
