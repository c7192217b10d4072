/* dialog_table.c - dialogs by Call-ID + tag + inside phone, in a chained hash. */
#include "rtp_internal.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over the Call-ID and the phone's IP: the tag is left out of the hash
 * because an in-dialog request from the far side carries it as To-tag. */
static unsigned dialog_hash(const char *call_id, const struct sipalg_addr *sig,
			    unsigned n_buckets)
{
	uint32_t h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)call_id; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ sig->ip.s_addr) * 16777619u;
	return h & (n_buckets - 1);
}

struct rtp_dialog *dialog_find(struct rtp_table *t, const char *call_id,
			       const char *from_tag, const char *to_tag,
			       const struct sipalg_addr *inside_sig)
{
	struct rtp_dialog *d;

	d = t->bucket[dialog_hash(call_id, inside_sig, t->n_buckets)];
	for (; d; d = d->next) {
		if (strcmp(d->call_id, call_id) || d->inside_sig.ip.s_addr != inside_sig->ip.s_addr)
			continue;
		/* The caller's requests (and their responses) carry the tag as
		 * From-tag, the callee's requests as To-tag. */
		if (!strcmp(d->tag, from_tag) || (to_tag[0] && !strcmp(d->tag, to_tag)))
			return d;
	}
	return NULL;
}

struct rtp_dialog *dialog_create(struct rtp_table *t, const char *call_id,
				 const char *from_tag,
				 const struct sipalg_addr *inside_sig, time_t now)
{
	struct rtp_dialog *d;
	unsigned b;

	if (t->stats.dialogs_live >= t->cfg.max_dialogs) {
		t->stats.dialogs_refused++;
		return NULL;
	}
	if (strlen(call_id) >= sizeof(d->call_id) || strlen(from_tag) >= sizeof(d->tag))
		return NULL;
	/* Streams are the bulk of a dialog: only max_streams of them. */
	d = calloc(1, sizeof(*d) + t->cfg.max_streams * sizeof(d->streams[0]));
	if (!d) {
		t->stats.dialogs_refused++;
		return NULL;
	}
	strcpy(d->call_id, call_id);
	strcpy(d->tag, from_tag);
	d->inside_sig = *inside_sig;
	d->cap = t->cfg.max_streams;
	d->created = d->last_seen = now;
	b = dialog_hash(call_id, inside_sig, t->n_buckets);
	d->next = t->bucket[b];
	t->bucket[b] = d;
	t->stats.dialogs_created++;
	t->stats.dialogs_live++;
	return d;
}

void dialog_remove(struct rtp_table *t, struct rtp_dialog *d)
{
	struct rtp_dialog **pp;
	unsigned i;

	for (i = 0; i < d->n_streams; i++)
		stream_close(t, &d->streams[i]);
	pp = &t->bucket[dialog_hash(d->call_id, &d->inside_sig, t->n_buckets)];
	while (*pp && *pp != d)
		pp = &(*pp)->next;
	if (*pp)
		*pp = d->next;
	t->stats.dialogs_removed++;
	t->stats.dialogs_live--;
	free(d);
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
