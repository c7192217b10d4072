/* port_pool.c - see port_pool.h. One slot per even port: its owner, and a bit
 * in a bitmap, so the search for the next free pair reads 64 slots a word.
 * Phones often share a default RTP port: every call from one of them looks
 * for the next pair above the same place, and a slot-by-slot search cost as
 * many steps as there were calls (half the table work of a new call at 4000
 * calls, under callgrind). */
#include "port_pool.h"

#include <stdlib.h>

struct port_pool {
	uint16_t first;		/* lowest even port in range */
	unsigned n_pairs;
	unsigned in_use;
	unsigned next_hint;	/* where the last search ended: spreads reuse out */
	void **owner;		/* n_pairs slots, NULL = free */
	uint64_t *used;		/* bit per slot: owner != NULL */
};

static void mark(struct port_pool *p, unsigned slot, void *owner)
{
	p->owner[slot] = owner;
	if (owner)
		p->used[slot / 64] |= 1ull << (slot % 64);
	else
		p->used[slot / 64] &= ~(1ull << (slot % 64));
}

/* First free slot in [from, to), or to when none. */
static unsigned free_in(const struct port_pool *p, unsigned from, unsigned to)
{
	while (from < to) {
		uint64_t freebits = ~p->used[from / 64] >> (from % 64);

		if (freebits) {
			unsigned slot = from + (unsigned)__builtin_ctzll(freebits);

			return slot < to ? slot : to;
		}
		from = (from / 64 + 1) * 64;
	}
	return to;
}

struct port_pool *port_pool_new(uint16_t port_min, uint16_t port_max)
{
	unsigned first = (port_min + 1u) & ~1u;
	struct port_pool *p;

	/* A pair needs first+1 <= port_max; port 0 is never handed out. */
	if (first == 0)
		first = 2;
	if (first + 1u > port_max)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->first = (uint16_t)first;
	p->n_pairs = (port_max - first + 1u) / 2;
	p->owner = calloc(p->n_pairs, sizeof(*p->owner));
	p->used = calloc((p->n_pairs + 63) / 64, sizeof(*p->used));
	if (!p->owner || !p->used) {
		free(p->owner);
		free(p->used);
		free(p);
		return NULL;
	}
	return p;
}

void port_pool_free(struct port_pool *p)
{
	if (!p)
		return;
	free(p->owner);
	free(p->used);
	free(p);
}

/* Slot index of the pair holding port, or -1 when out of range. */
static long slot_of(const struct port_pool *p, uint16_t port)
{
	unsigned i;

	if (port < p->first)
		return -1;
	i = (unsigned)(port - p->first) / 2;
	return i < p->n_pairs ? (long)i : -1;
}

static uint16_t port_of(const struct port_pool *p, unsigned slot)
{
	return (uint16_t)(p->first + 2u * slot);
}

bool port_pool_take(struct port_pool *p, uint16_t port, void *owner)
{
	long s = slot_of(p, port);

	if (s < 0 || (port & 1u) || p->owner[s] || !owner)
		return false;
	mark(p, (unsigned)s, owner);
	p->in_use++;
	return true;
}

uint16_t port_pool_alloc(struct port_pool *p, uint16_t wanted, void *owner)
{
	long s = slot_of(p, wanted);
	unsigned start, slot;

	if (!owner)
		return 0;
	if (s >= 0 && !(wanted & 1u) && !p->owner[s]) {
		mark(p, (unsigned)s, owner);
		p->in_use++;
		return wanted;
	}
	/* "Next free pair above it": from the wanted port when in range, else
	 * from where the previous search stopped; wrapping once. */
	if (s >= 0)
		start = (unsigned)s + (wanted & 1u);	/* an odd port's pair starts below it */
	else
		start = p->next_hint;
	if (start >= p->n_pairs)
		start = 0;
	slot = free_in(p, start, p->n_pairs);
	if (slot == p->n_pairs)
		slot = free_in(p, 0, start);
	if (p->owner[slot])
		return 0;	/* wrapped to where it began: all taken */
	mark(p, slot, owner);
	p->in_use++;
	p->next_hint = (slot + 1) % p->n_pairs;
	return port_of(p, slot);
}

void port_pool_release(struct port_pool *p, uint16_t port)
{
	long s = slot_of(p, port);

	if (s < 0 || !p->owner[s])
		return;
	mark(p, (unsigned)s, NULL);
	p->in_use--;
}

void *port_pool_owner(const struct port_pool *p, uint16_t port)
{
	long s = slot_of(p, port);

	return s < 0 ? NULL : p->owner[s];
}

unsigned port_pool_in_use(const struct port_pool *p)
{
	return p->in_use;
}

unsigned port_pool_capacity(const struct port_pool *p)
{
	return p->n_pairs;
}
