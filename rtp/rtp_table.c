/* rtp_table.c - the table's life: defaults, create, reconfigure, expire, free. */
#include "rtp_internal.h"

#include <stdlib.h>
#include <string.h>

void rtp_config_default(struct rtp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->expectations = true;
	cfg->rtcp = true;
	cfg->wide_source = false;
	cfg->port_min = 10000;
	cfg->port_max = 20000;
	/* Long enough for a phone to ring out; each SDP of the dialog restarts it. */
	cfg->expect_timeout = 300;
	/* The kernel's sip_timeout; any in-dialog message (session refresh) restarts it. */
	cfg->dialog_timeout = 3600;
	cfg->max_dialogs = 4096;
	cfg->max_streams = 8;
	strcpy(cfg->expect_fn, "sip");
	cfg->expect_class = 1;		/* SIP_EXPECT_AUDIO: "sip" pairs only class != 0 */
	cfg->expect_classes = 3;	/* 1..3: nat/ registers the kernel SIP helper's 4 classes */
	/* Below 1024 live a host's services (ssh, DNS, printing), never RTP;
	 * the kernel's own helper refuses them too. */
	cfg->min_inside_port = 1024;
	/* RFC 3261 Timer C (> 3 min): a ringing call longer than that is gone. */
	cfg->early_timeout = 180;
	/* A phone has a handful of calls; 64 leaves room for a small PBX, and
	 * one flooded phone holds at most 64 of max_dialogs' 4096. */
	cfg->max_dialogs_per_host = 256;
	/* 64 calls x 2 streams x (pair + a re-offer's pending pair): 256 of
	 * the default pool's 5000, so one host cannot drain it. */
	cfg->max_pairs_per_host = 512;
}

static bool config_valid(const struct rtp_config *cfg)
{
	return cfg->port_min <= cfg->port_max && cfg->max_dialogs > 0 &&
	       cfg->max_dialogs_per_host > 0 &&
	       cfg->expect_classes >= 1 && cfg->expect_classes <= 16 &&
	       memchr(cfg->expect_fn, 0, sizeof(cfg->expect_fn)) != NULL;
}

static unsigned buckets_for(unsigned max_dialogs)
{
	unsigned n = 64;

	while (n < max_dialogs && n < (1u << 20))
		n <<= 1;
	return n;
}

struct rtp_table *rtp_table_new(const struct rtp_config *cfg,
				const struct rtp_kernel_ops *ops, void *ops_arg)
{
	struct rtp_table *t;

	if (!cfg || !ops || !ops->expect_create || !ops->expect_delete ||
	    !config_valid(cfg))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (t->cfg.max_streams > SIPALG_MAX_MEDIA)
		t->cfg.max_streams = SIPALG_MAX_MEDIA;
	t->ops = ops;
	t->ops_arg = ops_arg;
	t->pool = port_pool_new(cfg->port_min, cfg->port_max);
	t->n_buckets = buckets_for(cfg->max_dialogs);
	t->bucket = calloc(t->n_buckets, sizeof(*t->bucket));
	t->host_bucket = calloc(t->n_buckets, sizeof(*t->host_bucket));
	if (!t->pool || !t->bucket || !t->host_bucket) {
		port_pool_free(t->pool);
		free(t->bucket);
		free(t->host_bucket);
		free(t);
		return NULL;
	}
	return t;
}

static void remove_one(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	(void)arg;
	dialog_remove(t, d);
}

void rtp_table_free(struct rtp_table *t)
{
	if (!t)
		return;
	rtp_why(t, "shutdown");
	dialog_foreach(t, remove_one, NULL);
	port_pool_free(t->pool);
	free(t->bucket);
	free(t->host_bucket);	/* every host went with its last dialog */
	free(t);
}

/* Re-enter a live dialog's pairs into a new pool; pairs outside the new range
 * stay with their stream until it ends (the pool ignores their release). */
static void retake_ports(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	struct port_pool *np = arg;
	unsigned i;

	for (i = 0; i < d->n_streams; i++) {
		struct rtp_stream *st = d->streams[i];
		struct rtp_side *sides[2] = { st ? &st->cur : NULL, st ? st->prev : NULL };
		int k;

		for (k = 0; k < 2; k++) {
			struct rtp_side *s = sides[k];

			if (!s || !s->active || !s->pooled)
				continue;
			s->pooled = port_pool_take(np, s->public.port, d);
			if (!s->pooled)
				host_pair_return(t, d);	/* outside the new range */
		}
	}
}

static void flush_one(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	(*(unsigned *)arg)++;
	dialog_remove(t, d);
}

unsigned rtp_table_flush(struct rtp_table *t)
{
	unsigned n = 0;

	if (t) {
		rtp_why(t, "flush: ALG or expectations switched off");
		dialog_foreach(t, flush_one, &n);
	}
	return n;
}

struct by_public {
	uint32_t ip;
	unsigned n;
};

static bool side_on(const struct rtp_side *s, uint32_t ip)
{
	return s && s->active && !sipalg_addr_is_v6(&s->public) && s->public.ip.s_addr == ip;
}

static void flush_public_one(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	struct by_public *b = arg;
	unsigned i;

	for (i = 0; i < d->n_streams; i++) {
		const struct rtp_stream *st = d->streams[i];

		if (st && (side_on(&st->cur, b->ip) || side_on(st->prev, b->ip))) {
			b->n++;
			dialog_remove(t, d);
			return;
		}
	}
}

unsigned rtp_table_flush_public(struct rtp_table *t, uint32_t ip)
{
	struct by_public b = { .ip = ip };

	if (t) {
		rtp_why(t, "public address lost");
		dialog_foreach(t, flush_public_one, &b);
	}
	return b.n;
}

int rtp_table_reconfigure(struct rtp_table *t, const struct rtp_config *cfg)
{
	struct port_pool *np;

	if (!config_valid(cfg))
		return -1;
	/* Switched off, the table no longer sees the calls end (BYE, CANCEL):
	 * what it holds would stay until dialog_timeout. Removed now, with
	 * their pinholes and ports, while the kernel ops still run. */
	if (t->cfg.expectations && !cfg->expectations)
		rtp_table_flush(t);
	if (cfg->port_min != t->cfg.port_min || cfg->port_max != t->cfg.port_max) {
		np = port_pool_new(cfg->port_min, cfg->port_max);
		if (!np)
			return -1;
		dialog_foreach(t, retake_ports, np);
		port_pool_free(t->pool);
		t->pool = np;
		t->stats.ports_in_use = port_pool_in_use(np);
	}
	/* The hash size stays: max_dialogs only limits how many are admitted. */
	t->cfg = *cfg;
	if (t->cfg.max_streams > SIPALG_MAX_MEDIA)
		t->cfg.max_streams = SIPALG_MAX_MEDIA;
	return 0;
}

static void expire_one(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	time_t now = *(const time_t *)arg;

	/* An early dialog (no 2xx) ends with Timer C: a flood of INVITEs that
	 * are never answered holds its places minutes, not dialog_timeout. */
	if (!d->confirmed && now - d->last_seen >= (time_t)t->cfg.early_timeout) {
		t->stats.early_expired++;
		dialog_remove(t, d);
	} else if (now - d->last_seen >= (time_t)t->cfg.dialog_timeout) {
		dialog_remove(t, d);
	}
}

void rtp_expire(struct rtp_table *t, time_t now)
{
	rtp_why(t, "dialog timeout");
	dialog_foreach(t, expire_one, &now);
}

const struct rtp_stats *rtp_table_stats(const struct rtp_table *t)
{
	return &t->stats;
}
