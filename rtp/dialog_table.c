/* dialog_table.c - dialogs by Call-ID + tag + inside phone, in a chained hash;
 * early dialogs in creation order for eviction at a cap. */
#include "rtp_internal.h"

#include <stdlib.h>
#include <string.h>

void *rtp_zalloc(struct rtp_table *t, size_t n)
{
	void *p = calloc(1, n);

	if (p)
		t->stats.mem_bytes += n;
	return p;
}

void rtp_mfree(struct rtp_table *t, void *p, size_t n)
{
	if (!p)
		return;
	t->stats.mem_bytes -= n;
	free(p);
}

/* FNV-1a over the Call-ID and the phone's IP: the tag is left out of the hash
 * because an in-dialog request from the far side carries it as To-tag. */
static unsigned dialog_hash(const char *call_id, const struct sipalg_addr *sig,
			    unsigned n_buckets)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)call_id; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ sipalg_addr_hash(sig)) * 16777619u;
	return h & (n_buckets - 1);
}

struct rtp_dialog *dialog_find(struct rtp_table *t, const char *call_id,
			       const char *from_tag, const char *to_tag,
			       const struct sipalg_addr *inside_sig)
{
	struct rtp_dialog *d;

	d = t->bucket[dialog_hash(call_id, inside_sig, t->n_buckets)];
	for (; d; d = d->next) {
		if (strcmp(d->call_id, call_id) ||
		    !sipalg_addr_same_ip(&d->inside_sig, inside_sig))
			continue;
		/* The caller's requests (and their responses) carry the tag as
		 * From-tag, the callee's requests as To-tag. */
		if (!strcmp(d->tag, from_tag) || (to_tag[0] && !strcmp(d->tag, to_tag)))
			return d;
	}
	return NULL;
}

static void early_link(struct rtp_table *t, struct rtp_dialog *d)
{
	struct rtp_host *h = d->host;

	d->early_prev = t->early_tail;
	d->early_next = NULL;
	if (t->early_tail)
		t->early_tail->early_next = d;
	else
		t->early_head = d;
	t->early_tail = d;
	d->host_prev = h->early_tail;
	d->host_next = NULL;
	if (h->early_tail)
		h->early_tail->host_next = d;
	else
		h->early_head = d;
	h->early_tail = d;
}

static void early_unlink(struct rtp_table *t, struct rtp_dialog *d)
{
	struct rtp_host *h = d->host;

	if (d->confirmed)
		return;	/* never linked, or already out */
	if (d->early_prev)
		d->early_prev->early_next = d->early_next;
	else
		t->early_head = d->early_next;
	if (d->early_next)
		d->early_next->early_prev = d->early_prev;
	else
		t->early_tail = d->early_prev;
	if (d->host_prev)
		d->host_prev->host_next = d->host_next;
	else
		h->early_head = d->host_next;
	if (d->host_next)
		d->host_next->host_prev = d->host_prev;
	else
		h->early_tail = d->host_prev;
	d->early_prev = d->early_next = d->host_prev = d->host_next = NULL;
}

void dialog_confirm(struct rtp_table *t, struct rtp_dialog *d)
{
	early_unlink(t, d);
	d->confirmed = true;
	t->changes++;
}

/* Make room for one more dialog of host h (already counted in h->dialogs,
 * which keeps h alive): at a cap, the oldest early dialog goes (a ringing
 * call that never got its answer, or a flood's); confirmed calls never do. */
static bool make_room(struct rtp_table *t, struct rtp_host *h)
{
	if (h->dialogs > t->cfg.max_dialogs_per_host) {
		if (!h->early_head) {
			t->stats.host_dialogs_refused++;
			return false;
		}
		t->stats.dialogs_evicted++;
		dialog_remove(t, h->early_head);
	}
	if (t->stats.dialogs_live >= t->cfg.max_dialogs) {
		if (!t->early_head) {
			t->stats.dialogs_refused++;
			return false;
		}
		t->stats.dialogs_evicted++;
		dialog_remove(t, t->early_head);
	}
	return true;
}

struct rtp_dialog *dialog_create(struct rtp_table *t, const char *call_id,
				 const char *from_tag,
				 const struct sipalg_addr *inside_sig, time_t now)
{
	size_t lc = strlen(call_id) + 1, lt = strlen(from_tag) + 1, head, bytes;
	struct rtp_host *h;
	struct rtp_dialog *d;
	char *str;
	unsigned b;

	if (lc > 256 || lt > 128)
		return NULL;	/* the engine's own field sizes; never reached */
	h = host_get(t, inside_sig);
	if (!h) {
		t->stats.dialogs_refused++;
		return NULL;
	}
	h->dialogs++;	/* the new one's place; it also keeps h through evictions */
	if (!make_room(t, h)) {
		h->dialogs--;
		host_put_if_idle(t, h);
		return NULL;
	}
	head = sizeof(*d) + t->cfg.max_streams * sizeof(d->streams[0]);
	bytes = head + lc + lt;
	d = rtp_zalloc(t, bytes);
	if (!d) {
		h->dialogs--;
		host_put_if_idle(t, h);
		t->stats.dialogs_refused++;
		return NULL;
	}
	d->bytes = bytes;
	str = (char *)d + head;
	memcpy(str, call_id, lc);
	memcpy(str + lc, from_tag, lt);
	d->call_id = str;
	d->tag = str + lc;
	d->inside_sig = *inside_sig;
	d->cap = t->cfg.max_streams;
	d->created = d->last_seen = now;
	d->host = h;
	early_link(t, d);
	b = dialog_hash(call_id, inside_sig, t->n_buckets);
	d->next = t->bucket[b];
	t->bucket[b] = d;
	t->stats.dialogs_created++;
	t->stats.dialogs_live++;
	t->changes++;
	return d;
}

struct rtp_stream *dialog_stream(struct rtp_table *t, struct rtp_dialog *d,
				 unsigned idx, bool create)
{
	if (idx >= d->cap)
		return NULL;
	if (!d->streams[idx] && create)
		d->streams[idx] = rtp_zalloc(t, sizeof(struct rtp_stream));
	if (d->streams[idx] && idx >= d->n_streams)
		d->n_streams = idx + 1;
	return d->streams[idx];
}

void dialog_remove(struct rtp_table *t, struct rtp_dialog *d)
{
	struct rtp_dialog **pp;
	struct rtp_host *h = d->host;
	unsigned i;

	for (i = 0; i < d->n_streams; i++) {
		if (!d->streams[i])
			continue;
		stream_close(t, d->streams[i]);
		rtp_mfree(t, d->streams[i], sizeof(struct rtp_stream));
	}
	pp = &t->bucket[dialog_hash(d->call_id, &d->inside_sig, t->n_buckets)];
	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	early_unlink(t, d);
	h->dialogs--;
	host_put_if_idle(t, h);
	t->stats.dialogs_removed++;
	t->stats.dialogs_live--;
	t->changes++;
	if (dialog_is_orphan(d))
		t->n_orphans--;
	rtp_mfree(t, d, d->bytes);
}

void dialog_foreach(struct rtp_table *t,
		    void (*fn)(struct rtp_table *, struct rtp_dialog *, void *),
		    void *arg)
{
	unsigned b;

	for (b = 0; b < t->n_buckets; b++) {
		struct rtp_dialog *d = t->bucket[b], *next;

		for (; d; d = next) {
			next = d->next;
			fn(t, d, arg);
		}
	}
}
