/* registration.c - flows with a live registration; see registration.h. */
#include <stdlib.h>
#include <string.h>

#include "registration.h"

struct reg_entry {
	struct rtp_master m;
	time_t until;
};

struct nat_reg_table {
	unsigned cap, n;
	struct reg_entry e[];
};

struct nat_reg_table *nat_reg_new(unsigned capacity)
{
	struct nat_reg_table *t = calloc(1, sizeof(*t) + capacity * sizeof(t->e[0]));

	if (t)
		t->cap = capacity;
	return t;
}

void nat_reg_free(struct nat_reg_table *t)
{
	free(t);
}

static bool same_flow(const struct rtp_master *a, const struct rtp_master *b)
{
	return a->src.ip.s_addr == b->src.ip.s_addr && a->src.port == b->src.port &&
	       a->dst.ip.s_addr == b->dst.ip.s_addr && a->dst.port == b->dst.port &&
	       a->l4proto == b->l4proto && a->zone == b->zone;
}

/* Linear: one entry per phone's signalling flow; a few hundred at most. */
static struct reg_entry *find(const struct nat_reg_table *t, const struct rtp_master *m)
{
	for (unsigned i = 0; i < t->n; i++)
		if (same_flow(&t->e[i].m, m))
			return (struct reg_entry *)&t->e[i];
	return NULL;
}

int nat_reg_note(struct nat_reg_table *t, const struct rtp_master *m,
		 int expires, time_t now)
{
	struct reg_entry *e = find(t, m);

	if (expires <= 0) {
		if (e)
			*e = t->e[--t->n];
		return 0;
	}
	if (!e) {
		if (t->n == t->cap)
			return -1;
		e = &t->e[t->n++];
		e->m = *m;
	}
	e->until = now + expires;
	return 0;
}

long nat_reg_remaining(const struct nat_reg_table *t, const struct rtp_master *m,
		       time_t now)
{
	const struct reg_entry *e = t->n ? find(t, m) : NULL;

	if (!e || e->until <= now)
		return -1;
	return (long)(e->until - now);
}

void nat_reg_expire(struct nat_reg_table *t, time_t now)
{
	for (unsigned i = 0; i < t->n;) {
		if (t->e[i].until <= now)
			t->e[i] = t->e[--t->n];
		else
			i++;
	}
}

unsigned nat_reg_count(const struct nat_reg_table *t)
{
	return t->n;
}
