/* host_table.c - per inside host: dialogs and public pairs held, for the
 * per-host caps (one phone's flood or 8-stream INVITEs must not take the
 * table or the pool from the others). An entry lives while it holds any. */
#include "rtp_internal.h"

static unsigned host_hash(const struct sipalg_addr *ip, unsigned n_buckets)
{
	uint32_t h = sipalg_addr_hash(ip) * 2654435761u;

	return (h ^ (h >> 16)) & (n_buckets - 1);
}

struct rtp_host *host_get(struct rtp_table *t, const struct sipalg_addr *ip)
{
	unsigned b = host_hash(ip, t->n_buckets);
	struct rtp_host *h;

	for (h = t->host_bucket[b]; h; h = h->next)
		if (sipalg_addr_same_ip(&h->ip, ip))
			return h;
	h = rtp_zalloc(t, sizeof(*h));
	if (!h)
		return NULL;
	sipalg_addr_set_ip(&h->ip, ip);
	h->next = t->host_bucket[b];
	t->host_bucket[b] = h;
	return h;
}

void host_put_if_idle(struct rtp_table *t, struct rtp_host *h)
{
	struct rtp_host **pp;

	if (!h || h->dialogs || h->pairs)
		return;
	pp = &t->host_bucket[host_hash(&h->ip, t->n_buckets)];
	while (*pp && *pp != h)
		pp = &(*pp)->next;
	if (*pp)
		*pp = h->next;
	rtp_mfree(t, h, sizeof(*h));
}

bool host_pair_take(struct rtp_table *t, struct rtp_dialog *d)
{
	if (d->host->pairs >= t->cfg.max_pairs_per_host) {
		t->stats.host_pairs_refused++;
		return false;
	}
	d->host->pairs++;
	return true;
}

void host_pair_return(struct rtp_table *t, struct rtp_dialog *d)
{
	(void)t;
	if (d->host->pairs)
		d->host->pairs--;
}
