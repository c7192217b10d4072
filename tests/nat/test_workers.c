/*
 * nat_workers: two queue workers' packet paths sharing one pinhole table and
 * one registration table, as daemon/worker.c runs them - each with its own
 * verdict batch, first-packet layer (nat_exp, reached through
 * nat_exp_thread_ops) and scratch; the tables under nat/table_lock.h.
 *
 * 1. A dialog split across workers (degraded mode's address hash can do it:
 *    docs/workers.md): INVITE on worker A, its 200 OK and BYE on worker B.
 *    B must find A's dialog (the answer narrows the pinholes, the BYE removes
 *    them all).
 * 2. A stress: worker A sends INVITEs and REGISTERs, worker B the answers,
 *    BYEs and 200 OKs to REGISTER, the main thread runs the timer's expiry
 *    and reads the status counters, all at once. Afterwards every packet had
 *    exactly one verdict and every dialog and pinhole is gone. Built with
 *    -fsanitize=thread (SIPALGD_TSAN=ON) a missing lock is a reported race:
 *    NAT_WORKERS_NO_LOCK=1 turns the table lock off to show it.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>

#include "ct_fixture.h"
#include "exp_thread.h"
#include "packet_path.h"
#include "registration.h"
#include "table_lock.h"

static atomic_int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

#define STRESS_DIALOGS 300

/* ---- the kernel's side: ctnetlink expectations, counted (both workers call it) ---- */
static atomic_long k_creates, k_deletes;

static int k_create(void *arg, struct rtp_expect *e)
{
	(void)arg, (void)e;
	k_creates++;
	return 0;
}

static int k_delete(void *arg, const struct rtp_expect *e)
{
	(void)arg, (void)e;
	k_deletes++;
	return 0;
}

static void k_batch(void *arg, struct rtp_expect_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ops[i].err = ops[i].create ? k_create(arg, ops[i].e) : k_delete(arg, ops[i].e);
}

static const struct rtp_kernel_ops k_ops = { k_create, k_delete, k_batch };

/* ---- one worker ---- */
struct worker {
	struct nat_verdicts verdicts;
	struct nat_exp exp;
	struct nat_path path;
	uint32_t next_id;
	unsigned long verdicts_seen, rewritten_seen;
	uint8_t pkt[4096];
	struct ct_fixture fx;
};

/* Verdicts as the kernel would parse them: one per packet, a payload when rewritten. */
static int record(void *arg, const void *buf, size_t len)
{
	struct worker *w = arg;
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct nlattr *a[NFQA_MAX + 1] = { 0 };
		struct nfqnl_msg_verdict_hdr *vh;

		if (nfq_nlmsg_parse(nlh, a) < 0 || !a[NFQA_VERDICT_HDR])
			continue;
		vh = mnl_attr_get_payload(a[NFQA_VERDICT_HDR]);
		/* a batch verdict covers every id up to its own */
		if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_VERDICT_BATCH)
			w->verdicts_seen = ntohl(vh->id);
		else {
			w->verdicts_seen++;
			w->rewritten_seen += a[NFQA_PAYLOAD] != NULL;
		}
	}
	return 0;
}

static void worker_init(struct worker *w, const struct sipalg_switches *sw, struct rtp_table *rtp,
			struct nat_reg_table *regs)
{
	memset(w, 0, sizeof(*w));
	CHECK(nat_verdicts_init(&w->verdicts, 0, 256 * 1024, record, w) == 0);
	CHECK(nat_path_init(&w->path) == 0);
	nat_exp_init(&w->exp, &k_ops, NULL, &w->verdicts);
	w->exp.rtp = rtp;
	w->path.sw = sw;
	w->path.udp = true;
	w->path.rtp = rtp;
	w->path.regs = regs;
	w->path.registration_timeout = true;
	w->path.registration_timeout_max = 3600;
	w->path.ct_in_verdict = true;
	w->path.verdicts = &w->verdicts;
	w->path.exp = &w->exp;
	w->path.now = 1000;
}

static void worker_free(struct worker *w)
{
	nat_path_free(&w->path);
	nat_verdicts_free(&w->verdicts);
}

/* One datagram of the flow 192.168.1.10:port <-> 203.0.113.2:5060 (NAT 203.0.113.1),
 * as queued at the helper hook (outbound after SNAT, inbound after de-NAT), then
 * the drain's end: verdicts flushed, deferred pinholes sent. */
static void queue_msg(struct worker *w, uint16_t port, bool inbound, const char *msg)
{
	size_t plen = strlen(msg);
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP };
	struct udphdr u = { .len = htons((uint16_t)(8 + plen)) };
	struct nat_packet np = { .id = ++w->next_id, .data = w->pkt, .has_ctinfo = true,
				 .ctinfo = inbound ? IP_CT_ESTABLISHED_REPLY : IP_CT_ESTABLISHED };

	ip.tot_len = htons((uint16_t)(28 + plen));
	ip.saddr = inet_addr(inbound ? "203.0.113.2" : "203.0.113.1");
	ip.daddr = inet_addr(inbound ? "192.168.1.10" : "203.0.113.2");
	u.source = htons(inbound ? 5060 : port);
	u.dest = htons(inbound ? port : 5060);
	memcpy(w->pkt, &ip, 20);
	memcpy(w->pkt + 20, &u, 8);
	memcpy(w->pkt + 28, msg, plen);
	np.len = 28 + plen;
	ct_fixture_build(&w->fx, IPPROTO_UDP, port);
	np.ct = w->fx.attrs;
	np.ct_len = w->fx.len;
	nat_path_packet(&w->path, &np);
	nat_verdicts_flush(&w->verdicts);
	nat_exp_after_flush(&w->exp);
}

/* ---- the messages of dialog i ---- */
static const char *sdp_msg(char *m, size_t cap, const char *head, const char *c_addr, unsigned port)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
			 "t=0 0\r\nm=audio %u RTP/AVP 0\r\n", c_addr, c_addr, port);

	snprintf(m, cap, "%sContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		 head, n, body);
	return m;
}

static const char *invite(char *m, size_t cap, unsigned i)
{
	char head[512];

	snprintf(head, sizeof(head),
		 "INVITE sip:b@203.0.113.2 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-i%u\r\n"
		 "From: <sip:a@example.com>;tag=a%u\r\nTo: <sip:b@example.com>\r\n"
		 "Call-ID: d%u@pc\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:a@192.168.1.10:5060>\r\n", i, i, i);
	return sdp_msg(m, cap, head, "192.168.1.10", 4000 + 2 * (i % 1000));
}

static const char *answer(char *m, size_t cap, unsigned i)
{
	char head[512];

	snprintf(head, sizeof(head),
		 "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-i%u\r\n"
		 "From: <sip:a@example.com>;tag=a%u\r\nTo: <sip:b@example.com>;tag=b%u\r\n"
		 "Call-ID: d%u@pc\r\nCSeq: 1 INVITE\r\n"
		 "Contact: <sip:b@203.0.113.2:5060>\r\n", i, i, i, i);
	return sdp_msg(m, cap, head, "203.0.113.2", 30000 + 2 * (i % 1000));
}

static const char *bye(char *m, size_t cap, unsigned i)
{
	snprintf(m, cap,
		 "BYE sip:a@203.0.113.1:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.2:5060;branch=z9hG4bK-b%u\r\n"
		 "From: <sip:b@example.com>;tag=b%u\r\nTo: <sip:a@example.com>;tag=a%u\r\n"
		 "Call-ID: d%u@pc\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", i, i, i, i);
	return m;
}

static const char *reg_ok(char *m, size_t cap, uint16_t port)
{
	snprintf(m, cap,
		 "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/UDP 203.0.113.1:%u;branch=z9hG4bK-r;rport=%u\r\n"
		 "From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>;tag=9\r\n"
		 "Call-ID: reg-%u@pc\r\nCSeq: 1 REGISTER\r\n"
		 "Contact: <sip:a@203.0.113.1:%u>;expires=600\r\nContent-Length: 0\r\n\r\n",
		 port, port, port, port);
	return m;
}

/* ---- the stress ---- */
static struct worker wa, wb;
static struct rtp_table *rtp;
static struct nat_reg_table *regs;
static atomic_bool done_a, done_b;

static void *run_a(void *arg)
{
	char m[2048];

	(void)arg;
	nat_exp_set_thread(&wa.exp);
	for (unsigned i = 1; i <= STRESS_DIALOGS; i++)
		queue_msg(&wa, 5060, false, invite(m, sizeof(m), i));
	done_a = true;
	return NULL;
}

static void *run_b(void *arg)
{
	char m[2048];

	(void)arg;
	nat_exp_set_thread(&wb.exp);
	for (unsigned i = 1; i <= STRESS_DIALOGS; i++) {
		queue_msg(&wb, 5060, true, answer(m, sizeof(m), i));
		queue_msg(&wb, 5060, true, bye(m, sizeof(m), i));
		queue_msg(&wb, (uint16_t)(20000 + i), true, reg_ok(m, sizeof(m), (uint16_t)(20000 + i)));
	}
	done_b = true;
	return NULL;
}

int main(void)
{
	struct sipalg_switches sw;
	struct rtp_config cfg;
	struct nat_exp main_exp;
	struct nat_verdicts main_verdicts;
	const struct rtp_stats *st;
	char m[2048];
	long created;
	pthread_t ta, tb;
	unsigned long ticks = 0;

	sipalg_switches_default(&sw);
	rtp_config_default(&cfg);
	cfg.max_dialogs = 100000;
	cfg.max_dialogs_per_host = 100000;
	cfg.max_pairs_per_host = 30000;
	/* the main thread's own ops target (timers), as run.c's queue 0 */
	CHECK(nat_verdicts_init(&main_verdicts, 0, 256 * 1024, record, &wa) == 0);
	nat_exp_init(&main_exp, &k_ops, NULL, &main_verdicts);
	rtp = rtp_table_new(&cfg, &nat_exp_thread_ops, &main_exp);
	regs = nat_reg_new(4096);
	CHECK(rtp && regs);
	if (!rtp || !regs)
		return 1;
	main_exp.rtp = rtp;
	nat_table_lock_enable(!getenv("NAT_WORKERS_NO_LOCK"));
	worker_init(&wa, &sw, rtp, regs);
	worker_init(&wb, &sw, rtp, regs);

	/* 1. one dialog split across workers */
	nat_exp_set_thread(&wa.exp);
	queue_msg(&wa, 5060, false, invite(m, sizeof(m), 0));
	CHECK(wa.rewritten_seen == 1);			/* c=, o=, Via, Contact public */
	CHECK(rtp_table_stats(rtp)->dialogs_live == 1);
	created = k_creates;
	CHECK(created >= 1);				/* the far's media may come in */
	nat_exp_set_thread(&wb.exp);
	queue_msg(&wb, 5060, true, answer(m, sizeof(m), 0));
	CHECK(wb.rewritten_seen == 1);			/* Via back to the phone */
	CHECK(rtp_table_stats(rtp)->dialogs_live == 1);
	CHECK(k_creates > created);			/* B knew A's dialog: the answer's pinholes */
	queue_msg(&wb, 5060, true, bye(m, sizeof(m), 0));
	st = rtp_table_stats(rtp);
	CHECK(st->dialogs_live == 0 && st->dialogs_removed == 1);
	CHECK(st->expect_removed == st->expect_created && st->ports_in_use == 0);
	CHECK(wa.verdicts_seen == 1 && wb.verdicts_seen == 2);
	nat_exp_set_thread(NULL);

	/* 2. both workers and the timer at once */
	CHECK(pthread_create(&ta, NULL, run_a, NULL) == 0);
	CHECK(pthread_create(&tb, NULL, run_b, NULL) == 0);
	while (!done_a || !done_b) {
		nat_table_lock();		/* run.c's on_timer and status */
		rtp_expire(rtp, 1000);
		nat_reg_expire(regs, 1000);
		(void)rtp_table_stats(rtp)->dialogs_live;
		(void)nat_reg_count(regs);
		nat_table_unlock();
		ticks++;
		sched_yield();
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* a BYE that overtook its INVITE left that dialog: a last BYE for each */
	nat_exp_set_thread(&wb.exp);
	for (unsigned i = 1; i <= STRESS_DIALOGS; i++)
		queue_msg(&wb, 5060, true, bye(m, sizeof(m), i));
	st = rtp_table_stats(rtp);
	fprintf(stderr, "stress: %lu timer turns; A %lu verdicts, B %lu; %lu creates, %lu deletes; "
		"dialogs created %lu removed %lu; registrations %u\n",
		ticks, wa.verdicts_seen, wb.verdicts_seen, (long)k_creates, (long)k_deletes,
		(unsigned long)st->dialogs_created, (unsigned long)st->dialogs_removed,
		nat_reg_count(regs));
	CHECK(wa.verdicts_seen == wa.next_id && wb.verdicts_seen == wb.next_id);
	CHECK(wa.path.c.packets + wb.path.c.packets == 1 + 2 + 5 * STRESS_DIALOGS);
	CHECK(wa.path.c.internal_errors == 0 && wb.path.c.internal_errors == 0);
	CHECK(st->dialogs_live == 0 && st->dialogs_created == st->dialogs_removed);
	CHECK(st->dialogs_created >= 1 + STRESS_DIALOGS);
	CHECK(st->expect_created == st->expect_removed && st->ports_in_use == 0);
	CHECK((long)st->expect_created == k_creates);	/* every pinhole reached the kernel... */
	CHECK(k_deletes >= k_creates);			/* ...and went (a delete may repeat) */
	CHECK(nat_reg_count(regs) == STRESS_DIALOGS);	/* B's 200 OKs to REGISTER, each its flow */

	worker_free(&wa);
	worker_free(&wb);
	rtp_table_free(rtp);
	nat_reg_free(regs);
	nat_verdicts_free(&main_verdicts);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", (int)failures);
	return failures ? 1 : 0;
}
