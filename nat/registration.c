/* registration.c - flows with a live registration; see registration.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registration.h"

#define NONE UINT32_MAX

/*
 * Slots are stable (a free list, no swap-remove): the dirty queue holds slot
 * numbers, and a slot is in the queue at most once (queued), whoever holds it.
 */
struct reg_slot {
	struct rtp_master m;
	time_t until;		/* registration expiry */
	time_t raised;		/* last timer raise (second), 0 = never */
	uint32_t next;		/* hash chain, or free list */
	bool used, dirty, queued;
};

struct nat_reg_table {
	unsigned cap, n, n_dirty;
	uint32_t nbuckets;	/* power of two */
	uint32_t *bucket;
	uint32_t free_head;
	/* ring of slot numbers marked dirty, oldest first */
	uint32_t *ring;
	unsigned ring_head, ring_len;
	struct reg_slot s[];
};

struct nat_reg_table *nat_reg_new(unsigned capacity)
{
	struct nat_reg_table *t;
	uint32_t nb = 16;

	if (capacity == 0 || capacity > (1u << 24))
		return NULL;
	t = calloc(1, sizeof(*t) + capacity * sizeof(t->s[0]));
	if (!t)
		return NULL;
	while (nb < capacity)
		nb <<= 1;
	t->cap = capacity;
	t->nbuckets = nb;
	t->bucket = malloc(nb * sizeof(t->bucket[0]));
	t->ring = malloc(capacity * sizeof(t->ring[0]));
	if (!t->bucket || !t->ring) {
		nat_reg_free(t);
		return NULL;
	}
	memset(t->bucket, 0xff, nb * sizeof(t->bucket[0]));	/* all NONE */
	for (unsigned i = 0; i < capacity; i++)
		t->s[i].next = i + 1 < capacity ? i + 1 : NONE;
	t->free_head = 0;
	return t;
}

void nat_reg_free(struct nat_reg_table *t)
{
	if (!t)
		return;
	free(t->bucket);
	free(t->ring);
	free(t);
}

static bool same_flow(const struct rtp_master *a, const struct rtp_master *b)
{
	return sipalg_addr_same_ip(&a->src, &b->src) && a->src.port == b->src.port &&
	       sipalg_addr_same_ip(&a->dst, &b->dst) && a->dst.port == b->dst.port &&
	       a->l4proto == b->l4proto && a->zone == b->zone;
}

static uint32_t hash_flow(const struct nat_reg_table *t, const struct rtp_master *m)
{
	/* multiplicative mixing of the tuple; phones differ mostly in address/port */
	uint64_t h = sipalg_addr_hash(&m->src);

	h = h * 0x9e3779b97f4a7c15ull ^ sipalg_addr_hash(&m->dst);
	h = h * 0x9e3779b97f4a7c15ull ^ ((uint64_t)m->src.port << 16 | m->dst.port);
	h = h * 0x9e3779b97f4a7c15ull ^ ((uint64_t)m->l4proto << 16 | m->zone);
	h *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32) & (t->nbuckets - 1);
}

static uint32_t find(const struct nat_reg_table *t, const struct rtp_master *m,
		     uint32_t **link_out)
{
	uint32_t *link = &t->bucket[hash_flow(t, m)];

	for (; *link != NONE; link = &((struct nat_reg_table *)t)->s[*link].next)
		if (same_flow(&t->s[*link].m, m)) {
			if (link_out)
				*link_out = link;
			return *link;
		}
	return NONE;
}

static void remove_at(struct nat_reg_table *t, uint32_t *link)
{
	uint32_t i = *link;
	struct reg_slot *s = &t->s[i];

	*link = s->next;
	if (s->dirty)
		t->n_dirty--;
	s->used = s->dirty = false;	/* queued stays: the ring still names the slot */
	s->next = t->free_head;
	t->free_head = i;
	t->n--;
}

int nat_reg_note(struct nat_reg_table *t, const struct rtp_master *m,
		 int expires, time_t now)
{
	uint32_t *link, i = find(t, m, &link);
	struct reg_slot *s;

	if (expires <= 0) {
		if (i != NONE)
			remove_at(t, link);
		return 0;
	}
	if (i == NONE) {
		uint32_t b;

		if (t->free_head == NONE)
			return -1;
		i = t->free_head;
		s = &t->s[i];
		t->free_head = s->next;
		b = hash_flow(t, m);
		s->m = *m;
		s->raised = 0;
		s->used = true;
		s->next = t->bucket[b];
		t->bucket[b] = i;
		t->n++;
	}
	t->s[i].until = now + expires;
	return 0;
}

long nat_reg_remaining(const struct nat_reg_table *t, const struct rtp_master *m,
		       time_t now)
{
	uint32_t i = t->n ? find(t, m, NULL) : NONE;

	if (i == NONE || t->s[i].until <= now)
		return -1;
	return (long)(t->s[i].until - now);
}

static unsigned ct_timeout_of(const struct reg_slot *s, time_t now, unsigned max)
{
	unsigned long left;

	if (s->until <= now)
		return 0;
	left = (unsigned long)(s->until - now) + NAT_REG_SLACK_S;
	if (max && left > max)
		left = max;
	return (unsigned)left;
}

unsigned nat_reg_ct_timeout(const struct nat_reg_table *t, const struct rtp_master *m,
			    time_t now, unsigned max)
{
	uint32_t i = t->n ? find(t, m, NULL) : NONE;

	return i == NONE ? 0 : ct_timeout_of(&t->s[i], now, max);
}

void nat_reg_expire(struct nat_reg_table *t, time_t now)
{
	for (uint32_t b = 0; b < t->nbuckets && t->n; b++) {
		uint32_t *link = &t->bucket[b];

		while (*link != NONE) {
			if (t->s[*link].until <= now)
				remove_at(t, link);	/* *link is now the next one */
			else
				link = &t->s[*link].next;
		}
	}
}

unsigned nat_reg_count(const struct nat_reg_table *t)
{
	return t->n;
}

void nat_reg_mark_dirty(struct nat_reg_table *t, const struct rtp_master *m)
{
	uint32_t i = t->n ? find(t, m, NULL) : NONE;
	struct reg_slot *s;

	if (i == NONE)
		return;
	s = &t->s[i];
	if (s->dirty)
		return;
	s->dirty = true;
	t->n_dirty++;
	if (!s->queued) {
		/* one ring place per slot at most: the ring never overflows */
		t->ring[(t->ring_head + t->ring_len) % t->cap] = i;
		t->ring_len++;
		s->queued = true;
	}
}

unsigned nat_reg_dirty_count(const struct nat_reg_table *t)
{
	return t->n_dirty;
}

void nat_reg_flush_dirty(struct nat_reg_table *t, time_t now, unsigned max,
			 unsigned budget, nat_reg_raise_fn fn, void *arg,
			 struct nat_reg_flush_stats *st)
{
	/* only what was queued when the tick began: a re-queued slot waits a tick */
	unsigned todo = t->ring_len;

	memset(st, 0, sizeof(*st));
	while (todo-- && st->raised + st->failed < budget) {
		uint32_t i = t->ring[t->ring_head];
		struct reg_slot *s = &t->s[i];
		unsigned timeout;

		t->ring_head = (t->ring_head + 1) % t->cap;
		t->ring_len--;
		s->queued = false;
		if (!s->used || !s->dirty)
			continue;	/* unregistered (or slot reused and clean) since */
		if (s->raised == now) {
			/* raised already this second: next tick */
			t->ring[(t->ring_head + t->ring_len) % t->cap] = i;
			t->ring_len++;
			s->queued = true;
			continue;
		}
		s->dirty = false;
		t->n_dirty--;
		timeout = ct_timeout_of(s, now, max);
		if (!timeout)
			continue;	/* expired: nat_reg_expire removes it */
		s->raised = now;
		if (fn(arg, &s->m, timeout) == 0)
			st->raised++;
		else
			st->failed++;
	}
	st->left = t->n_dirty;
}

unsigned nat_reg_foreach(const struct nat_reg_table *t, unsigned max,
			 nat_reg_visit_fn fn, void *arg)
{
	unsigned k = 0;

	for (unsigned i = 0; i < t->cap && k < max; i++)
		if (t->s[i].used) {
			fn(arg, &t->s[i].m, t->s[i].until, t->s[i].dirty);
			k++;
		}
	return k;
}
