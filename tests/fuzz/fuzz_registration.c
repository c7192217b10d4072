/*
 * fuzz_registration.c - libFuzzer harness for nat/registration.c against a
 * model. The packet path reaches this table with at most four UDP flows;
 * here 32 flows (hash chains, a full table, slot reuse while a slot is still
 * in the dirty ring, expiry between ticks) run in any order.
 *
 * Input: byte 0 = capacity - 1 (mod 40), then 3-byte operations:
 *   op   bits 0-2 what, bits 3-7 which flow (0..31)
 *   a, b arguments
 * Invariants, abort on violation: note() fails only when the table is full
 * and the flow is new; count, remaining and ct_timeout equal the model's;
 * a flush calls the raise function only for registered dirty flows, with the
 * model's timeout, at most budget times, never twice for one flow in one
 * second, and its stats add up; a flush with budget >= capacity in a new
 * second raises every dirty live flow and leaves none dirty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "registration.h"

#define FLOWS 32
#define FAIL(...) do { fprintf(stderr, "fuzz_registration: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static struct model {
	bool present, dirty;
	time_t until, raised;
	unsigned calls;		/* in the current flush */
} mo[FLOWS];
static struct rtp_master flows[FLOWS];
static unsigned cap, n_present;
static bool dirty_exact;	/* the model's dirty flags are exact (no partial flush since) */
static time_t now, flush_max_now;
static unsigned flush_max;	/* the max of the current flush */
static unsigned calls;

static void init_flows(void)
{
	for (unsigned i = 0; i < FLOWS; i++) {
		char ip[32];

		memset(&flows[i], 0, sizeof(flows[i]));
		snprintf(ip, sizeof(ip), "192.168.%u.%u", i / 8, i % 8 + 1);
		inet_pton(AF_INET, ip, &flows[i].src.ip);
		inet_pton(AF_INET, "203.0.113.2", &flows[i].dst.ip);
		flows[i].src.port = (uint16_t)(5060 + i % 3);
		flows[i].dst.port = 5060;
		flows[i].l4proto = IPPROTO_UDP;
		flows[i].zone = (uint16_t)(i >= 24);	/* same tuple as i - 24 but another zone */
		if (i >= 24)
			flows[i].src = flows[i - 24].src;
	}
}

static int which(const struct rtp_master *m)
{
	for (int i = 0; i < FLOWS; i++)
		if (!memcmp(&flows[i].src, &m->src, sizeof(m->src)) &&
		    !memcmp(&flows[i].dst, &m->dst, sizeof(m->dst)) &&
		    flows[i].l4proto == m->l4proto && flows[i].zone == m->zone)
			return i;
	return -1;
}

static unsigned model_timeout(unsigned i, time_t t, unsigned max)
{
	unsigned long left;

	if (!mo[i].present || mo[i].until <= t)
		return 0;
	left = (unsigned long)(mo[i].until - t) + NAT_REG_SLACK_S;
	return (unsigned)(max && left > max ? max : left);
}

static int raise_fn(void *arg, const struct rtp_master *m, unsigned timeout)
{
	int i = which(m);

	(void)arg;
	if (i < 0)
		FAIL("raise for a flow never noted");
	if (!mo[i].present || (dirty_exact && !mo[i].dirty))
		FAIL("raise for flow %d: %s", i, mo[i].present ? "not dirty" : "not registered");
	if (mo[i].raised == now)
		FAIL("flow %d raised twice in second %ld", i, (long)now);
	if (timeout != model_timeout((unsigned)i, now, flush_max))
		FAIL("flow %d raised to %u, model %u", i, timeout, model_timeout((unsigned)i, now, flush_max));
	mo[i].raised = now;
	mo[i].dirty = false;
	mo[i].calls++;
	calls++;
	return timeout % 3 ? 0 : -1;
}

static void check_all(const struct nat_reg_table *t)
{
	if (nat_reg_count(t) != n_present)
		FAIL("count %u, model %u", nat_reg_count(t), n_present);
	for (unsigned i = 0; i < FLOWS; i++) {
		long want = mo[i].present && mo[i].until > now ? (long)(mo[i].until - now) : -1;

		if (nat_reg_remaining(t, &flows[i], now) != want)
			FAIL("flow %u: remaining %ld, model %ld", i, nat_reg_remaining(t, &flows[i], now), want);
		if (nat_reg_ct_timeout(t, &flows[i], now, 0) != model_timeout(i, now, 0))
			FAIL("flow %u: ct_timeout differs from the model", i);
	}
	if (dirty_exact) {
		unsigned d = 0;

		for (unsigned i = 0; i < FLOWS; i++)
			d += mo[i].present && mo[i].dirty;
		if (nat_reg_dirty_count(t) != d)
			FAIL("dirty count %u, model %u", nat_reg_dirty_count(t), d);
	}
}

static void flush(struct nat_reg_table *t, unsigned budget, unsigned max)
{
	struct nat_reg_flush_stats st;
	bool full = budget >= cap && now > flush_max_now;
	bool was_exact = dirty_exact;

	for (unsigned i = 0; i < FLOWS; i++)
		mo[i].calls = 0;
	calls = 0;
	flush_max = max;
	nat_reg_flush_dirty(t, now, max, budget, raise_fn, NULL, &st);
	if (now > flush_max_now)
		flush_max_now = now;
	if (calls > budget || st.raised + st.failed != calls || st.left != nat_reg_dirty_count(t))
		FAIL("flush: %u calls, budget %u, stats %u+%u left %u (dirty %u)", calls, budget,
		     st.raised, st.failed, st.left, nat_reg_dirty_count(t));
	if (full) {
		for (unsigned i = 0; i < FLOWS; i++) {
			if (was_exact && mo[i].present && mo[i].dirty && mo[i].until > now)
				FAIL("full flush skipped dirty flow %u", i);
			mo[i].dirty = false;	/* expired dirty flows are dropped silently */
		}
		if (nat_reg_dirty_count(t) != 0)
			FAIL("full flush left %u dirty", nat_reg_dirty_count(t));
		dirty_exact = true;
	} else {
		dirty_exact = false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct nat_reg_table *t;

	if (n < 1)
		return 0;
	if (!flows[0].l4proto)
		init_flows();
	cap = 1u + d[0] % 40u;
	t = nat_reg_new(cap);
	if (!t)
		abort();
	memset(mo, 0, sizeof(mo));
	n_present = 0;
	dirty_exact = true;
	now = 1000;
	flush_max_now = 0;
	for (size_t off = 1; off + 3 <= n && off < 1 + 3 * 4096; off += 3) {
		unsigned op = d[off] & 7, i = d[off] >> 3;
		uint8_t a = d[off + 1], b = d[off + 2];

		switch (op) {
		case 0: {	/* a 200 OK to REGISTER: expires a*256+b, top bit negative */
			int expires = (a & 0x80) ? -(int)b : (int)((a << 8) | b);
			int rc = nat_reg_note(t, &flows[i], expires, now);
			bool full = n_present == cap && !mo[i].present;

			if (expires <= 0) {
				if (rc != 0)
					FAIL("removal returned %d", rc);
				if (mo[i].present)
					n_present--;
				mo[i].present = mo[i].dirty = false;
				break;
			}
			if (rc != (full ? -1 : 0))
				FAIL("note flow %u returned %d with %u/%u used", i, rc, n_present, cap);
			if (rc == 0) {
				if (!mo[i].present) {
					n_present++;
					mo[i].dirty = false;
					mo[i].raised = 0;
				}
				mo[i].present = true;
				mo[i].until = now + expires;
			}
			break;
		}
		case 1:
			if (nat_reg_ct_timeout(t, &flows[i], now, a * 60u) != model_timeout(i, now, a * 60u))
				FAIL("flow %u: ct_timeout with max %u", i, a * 60u);
			break;
		case 2:
			nat_reg_mark_dirty(t, &flows[i]);
			if (mo[i].present)
				mo[i].dirty = true;
			break;
		case 3:
			flush(t, a % (cap + 2), b * 60u);
			break;
		case 4:
			nat_reg_expire(t, now);
			for (unsigned j = 0; j < FLOWS; j++)
				if (mo[j].present && mo[j].until <= now) {
					mo[j].present = mo[j].dirty = false;
					n_present--;
				}
			break;
		case 5:
			now += a;
			break;
		case 6:
			now++;
			flush(t, cap, 0);
			break;
		default:
			check_all(t);
			break;
		}
	}
	check_all(t);
	nat_reg_free(t);
	return 0;
}
