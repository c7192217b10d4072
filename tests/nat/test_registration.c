/* nat_registration: flows with a live registration. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>

#include "registration.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static unsigned n_calls;
static uint16_t called_port[8192];
static int fail_port;	/* the raise for this source port fails */

static int count_raise(void *arg, const struct rtp_master *m, unsigned timeout)
{
	(void)arg;
	(void)timeout;
	if (n_calls < 8192)
		called_port[n_calls] = m->src.port;
	n_calls++;
	return m->src.port == fail_port ? -1 : 0;
}

/* Many phones: every flow found again, dirty flushes bounded and fair. */
static void many_flows(void)
{
	enum { N = 5000 };
	struct nat_reg_table *t = nat_reg_new(N);
	struct rtp_master m = { .dst = { .ip = { inet_addr("203.0.113.2") }, .port = 5060 }, .l4proto = 17 };
	struct nat_reg_flush_stats st;
	unsigned seen_once = 0;

	for (unsigned i = 0; i < N; i++) {
		m.src.ip.s_addr = htonl(0xc0a80000u + i / 4);	/* 192.168.x.y, 4 ports each */
		m.src.port = (uint16_t)(5060 + i % 4);
		CHECK(nat_reg_note(t, &m, 600 + (int)i, 1000) == 0);
	}
	CHECK(nat_reg_count(t) == N);
	for (unsigned i = 0; i < N; i++) {
		m.src.ip.s_addr = htonl(0xc0a80000u + i / 4);
		m.src.port = (uint16_t)(5060 + i % 4);
		CHECK(nat_reg_remaining(t, &m, 1000) == 600 + (long)i);
		nat_reg_mark_dirty(t, &m);
		nat_reg_mark_dirty(t, &m);	/* twice: still one raise */
	}
	CHECK(nat_reg_dirty_count(t) == N);
	/* budget 2000 a tick: 3 ticks, each flow raised exactly once */
	nat_reg_flush_dirty(t, 1001, 0, 2000, count_raise, NULL, &st);
	CHECK(st.raised == 2000 && st.left == N - 2000);
	nat_reg_flush_dirty(t, 1002, 0, 2000, count_raise, NULL, &st);
	nat_reg_flush_dirty(t, 1003, 0, 2000, count_raise, NULL, &st);
	CHECK(n_calls == N && st.raised == N - 4000 && st.left == 0);
	for (unsigned i = 0; i < N && i < 8192; i++)
		seen_once += called_port[i] == 5060 + i % 4;	/* oldest mark first */
	CHECK(seen_once == N);
	/* half of them unregister: the rest still found, slots reused */
	for (unsigned i = 0; i < N; i += 2) {
		m.src.ip.s_addr = htonl(0xc0a80000u + i / 4);
		m.src.port = (uint16_t)(5060 + i % 4);
		CHECK(nat_reg_note(t, &m, 0, 1004) == 0);
	}
	CHECK(nat_reg_count(t) == N / 2);
	m.src.ip.s_addr = htonl(0xc0a80000u + 1 / 4);
	m.src.port = 5061;
	CHECK(nat_reg_remaining(t, &m, 1004) == 601 - 4);
	m.src.ip.s_addr = inet_addr("10.0.0.1");
	for (unsigned i = 0; i < N / 2; i++) {
		m.src.port = (uint16_t)(1000 + i);
		CHECK(nat_reg_note(t, &m, 60, 1004) == 0);
	}
	CHECK(nat_reg_count(t) == N && nat_reg_note(t, &m, 60, 1004) == 0);	/* refresh: no slot */
	m.src.port = 999;
	CHECK(nat_reg_note(t, &m, 60, 1004) == -1);	/* full */
	nat_reg_expire(t, 1064);	/* the 10.0.0.1 flows end */
	CHECK(nat_reg_count(t) == N / 2);
	nat_reg_free(t);
}


int main(void)
{
	struct nat_reg_table *t = nat_reg_new(2);
	struct rtp_master a = { .src = { .ip = { inet_addr("192.168.1.10") }, .port = 5060 },
				.dst = { .ip = { inet_addr("203.0.113.2") }, .port = 5060 }, .l4proto = 17 };
	struct rtp_master b = a, c = a;

	b.src.port = 5062;
	c.l4proto = 6;
	CHECK(nat_reg_remaining(t, &a, 1000) == -1);
	CHECK(nat_reg_note(t, &a, 3600, 1000) == 0);
	CHECK(nat_reg_remaining(t, &a, 1000) == 3600);
	CHECK(nat_reg_remaining(t, &a, 4000) == 600);
	CHECK(nat_reg_remaining(t, &b, 1000) == -1);	/* another phone's flow */
	CHECK(nat_reg_note(t, &a, 60, 2000) == 0);	/* refresh shortens */
	CHECK(nat_reg_remaining(t, &a, 2000) == 60 && nat_reg_count(t) == 1);
	CHECK(nat_reg_note(t, &b, 100, 2000) == 0);
	CHECK(nat_reg_note(t, &c, 100, 2000) == -1);	/* full: refused, not overwritten */
	CHECK(nat_reg_remaining(t, &c, 2000) == -1);
	nat_reg_expire(t, 2061);
	CHECK(nat_reg_count(t) == 1 && nat_reg_remaining(t, &b, 2061) == 39);
	CHECK(nat_reg_note(t, &b, 0, 2062) == 0);	/* expires=0: unregistered */
	CHECK(nat_reg_count(t) == 0);

	/* timeout for the conntrack: left + slack, capped */
	CHECK(nat_reg_ct_timeout(t, &a, 3000, 0) == 0);
	CHECK(nat_reg_note(t, &a, 3600, 3000) == 0);
	CHECK(nat_reg_ct_timeout(t, &a, 3000, 0) == 3600 + NAT_REG_SLACK_S);
	CHECK(nat_reg_ct_timeout(t, &a, 3000, 1000) == 1000);
	CHECK(nat_reg_ct_timeout(t, &a, 6600, 0) == 0);	/* expired */

	/* dirty: unknown flows are not marked; a failed raise is counted, not retried */
	struct nat_reg_flush_stats st;
	nat_reg_mark_dirty(t, &b);
	CHECK(nat_reg_dirty_count(t) == 0);
	nat_reg_mark_dirty(t, &a);
	fail_port = 5060;
	nat_reg_flush_dirty(t, 3001, 0, 10, count_raise, NULL, &st);
	CHECK(n_calls == 1 && st.failed == 1 && st.raised == 0 && nat_reg_dirty_count(t) == 0);
	fail_port = 0;
	/* unregistered while dirty: its queued mark is dropped; the slot's new owner is raised */
	nat_reg_mark_dirty(t, &a);
	CHECK(nat_reg_note(t, &a, 0, 3002) == 0 && nat_reg_dirty_count(t) == 0);
	CHECK(nat_reg_note(t, &b, 100, 3002) == 0);
	nat_reg_mark_dirty(t, &b);
	nat_reg_flush_dirty(t, 3002, 0, 10, count_raise, NULL, &st);
	CHECK(n_calls == 2 && called_port[1] == 5062 && st.raised == 1);
	/* budget 0: nothing, the mark waits */
	nat_reg_mark_dirty(t, &b);
	nat_reg_flush_dirty(t, 3003, 0, 0, count_raise, NULL, &st);
	CHECK(n_calls == 2 && st.left == 1);
	nat_reg_flush_dirty(t, 3004, 0, 1, count_raise, NULL, &st);
	CHECK(n_calls == 3 && st.left == 0);
	nat_reg_free(t);
	n_calls = 0;

	many_flows();

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
