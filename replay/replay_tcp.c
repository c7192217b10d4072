/*
 * replay_tcp.c - SIP over TCP in the replay: flows, the per-direction plans
 * of pass 1 and the bytes of each segment through them in pass 2
 * (see replay_tcp.h).
 */
#include "replay_tcp.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "replay_nat.h"

static bool same_addr(const struct sipalg_addr *a, const struct sipalg_addr *b)
{
	return sipalg_addr_same_ip(a, b) && a->port == b->port;
}

/* The flow's slot (existing or new), or NULL when the table is full. */
struct tcp_flow *replay_tcp_flow_get(struct tcp_flow *t, const struct sipalg_binding *b)
{
	size_t h = replay_nat_hash(IPPROTO_TCP, &b->inside, b->inside.port) ^
		   replay_nat_hash(IPPROTO_TCP, &b->remote, b->remote.port);

	for (size_t k = 0; k < TCP_FLOWS; k++) {
		struct tcp_flow *f = &t[(h + k) % TCP_FLOWS];

		if (!f->used) {
			f->used = true;
			f->inside = b->inside;
			f->remote = b->remote;
			return f;
		}
		if (same_addr(&f->inside, &b->inside) && same_addr(&f->remote, &b->remote))
			return f;
	}
	return NULL;
}

/* Between the passes: forget the streams, keep the plans. */
void replay_tcp_rewind(struct tcp_flow *t)
{
	for (size_t i = 0; i < TCP_FLOWS; i++) {
		for (int d = 0; d < 2 && t[i].used; d++) {
			struct tcp_dir *td = &t[i].dir[d];

			td->isn_known = td->broken = false;
			td->next = td->buf_start = 0;
			td->buflen = 0;
		}
		t[i].used = false;
	}
}

void replay_tcp_free(struct tcp_flow *t)
{
	for (size_t i = 0; t && i < TCP_FLOWS; i++) {
		for (int d = 0; d < 2; d++) {
			struct tcp_dir *td = &t[i].dir[d];

			for (unsigned k = 0; k < td->n_plans; k++)
				free(td->plans[k].edits);
			free(td->plans);
			free(td->buf);
		}
	}
	free(t);
}

int replay_tcp_add_plan(struct tcp_dir *d, uint32_t start, uint32_t len,
			const struct sipalg_result *res)
{
	struct tcp_plan *p;

	if (d->n_plans == d->cap_plans) {
		unsigned cap = d->cap_plans ? 2 * d->cap_plans : 8;
		struct tcp_plan *bigger = realloc(d->plans, cap * sizeof(*bigger));

		if (!bigger)
			return -1;
		d->plans = bigger;
		d->cap_plans = cap;
	}
	p = &d->plans[d->n_plans];
	p->edits = malloc(res->n_edits * sizeof(*p->edits));
	if (!p->edits)
		return -1;
	memcpy(p->edits, res->edits, res->n_edits * sizeof(*p->edits));
	p->start = start;
	p->len = len;
	p->n_edits = res->n_edits;
	d->n_plans++;
	return 0;
}

/* Output bytes for the original stream bytes [0, a): where a segment starts. */
uint32_t replay_tcp_emitted_before(const struct tcp_dir *d, uint32_t a)
{
	int64_t n = a;

	for (unsigned k = 0; k < d->n_plans && d->plans[k].start < a; k++) {
		const struct tcp_plan *p = &d->plans[k];

		for (unsigned i = 0; i < p->n_edits; i++) {
			uint32_t s = p->start + (uint32_t)p->edits[i].off;
			size_t cut;

			if (s >= a)
				break;
			cut = p->edits[i].len < a - s ? p->edits[i].len : a - s;
			n += (int64_t)strlen(p->edits[i].text) - (int64_t)cut;
		}
	}
	return (uint32_t)n;
}

/* The segment's new payload: its original bytes [a, a+len) through the plans. */
size_t replay_tcp_emit(const struct tcp_dir *d, uint32_t a, const uint8_t *orig,
		       size_t len, uint8_t *out, size_t cap)
{
	uint32_t b = a + (uint32_t)len, pos = a;
	size_t n = 0;

	for (unsigned k = 0; k < d->n_plans && d->plans[k].start < b; k++) {
		const struct tcp_plan *p = &d->plans[k];

		if (p->start + p->len <= a)
			continue;
		for (unsigned i = 0; i < p->n_edits; i++) {
			const struct sipalg_edit *e = &p->edits[i];
			uint32_t s = p->start + (uint32_t)e->off, end = s + (uint32_t)e->len;
			size_t tl = strlen(e->text);

			if (s >= b)
				break;
			if (s < a) {	/* began in an earlier segment: its rest is gone */
				if (end > pos)
					pos = end < b ? end : b;
				continue;
			}
			if (n + (s - pos) + tl > cap)
				return (size_t)-1;
			memcpy(out + n, orig + (pos - a), s - pos);
			n += s - pos;
			memcpy(out + n, e->text, tl);
			n += tl;
			pos = end < b ? end : b;
		}
	}
	if (n + (b - pos) > cap)
		return (size_t)-1;
	memcpy(out + n, orig + (pos - a), b - pos);
	return n + (b - pos);
}
