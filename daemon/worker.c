/*
 * worker.c - the extra queue workers; see worker.h and docs/workers.md.
 *
 * A worker's loop is run.c's on_queue + on_tcp_deadline for its own queue:
 * drain, flush the verdicts, send the drain's deferred pinholes, free held
 * TCP segments whose wait is over. Signals stay blocked in these threads
 * (they inherit the main thread's mask): only the main thread acts on them.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "clock_ms.h"
#include "config.h"
#include "cthelper.h"
#include "ct_query.h"
#include "exp_thread.h"
#include "expect_nl.h"
#include "log.h"
#include "nfqueue.h"
#include "verdict.h"
#include "worker.h"

#define W_DRAIN_MAX	64		/* as run.c's DRAIN_MAX: per wake-up and verdict flush */
#define W_VERDICT_BUF	(512 * 1024)

struct worker {
	unsigned idx;			/* 1.. (0 is the main thread's queue) */
	uint16_t queue_num;
	struct nat_queue *q;
	struct nat_verdicts verdicts;
	struct nat_ct *ct;
	struct rtp_nl *rtpnl;
	struct nat_exp exp;
	struct nat_path path;
	pthread_t thread;
	bool started;
	struct worker_set *ws;
};

struct worker_set {
	unsigned n;
	pthread_rwlock_t gate;		/* workers read-hold it per drain; pause = write */
	int stop_fd;			/* eventfd: wakes every worker to exit */
	atomic_bool stop;
	struct worker w[];
};

/* The main path's settings and shared tables; this worker's own sockets. */
static void copy_settings(struct worker *w, const struct nat_path *t)
{
	struct nat_path *p = &w->path;

	if (p->tcp && !t->tcp) {	/* what waits for its message's rest goes now */
		nat_path_release_all(p);
		nat_verdicts_flush(&w->verdicts);
	}
	p->sw = t->sw;
	p->rtp = t->rtp;
	p->udp = t->udp;
	p->tcp = t->tcp;
	p->registration_timeout = t->registration_timeout;
	p->registration_timeout_max = t->registration_timeout_max;
	p->regs = t->regs;
	p->observe = t->observe;
	p->scope = t->scope;
	p->log_info = t->log_info;
	p->on_rewrite = t->on_rewrite;
	p->on_rewrite_arg = t->on_rewrite_arg;
	nat_path_tcp_limits(p, &t->tcp_limits);
}

static void after_drain(struct worker *w)
{
	if (nat_verdicts_flush(&w->verdicts) < 0)
		log_warn("queue %u verdicts", w->queue_num);
	/* the flush confirmed the drain's new flows: their deferred pinholes now */
	if (w->path.exp)
		nat_exp_after_flush(w->path.exp);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct worker_set *ws = w->ws;
	uint64_t deadline = 0;
	struct pollfd pfd[2] = {
		{ .fd = nat_queue_fd(w->q), .events = POLLIN },
		{ .fd = ws->stop_fd, .events = POLLIN },
	};

	nat_exp_set_thread(w->path.exp ? w->path.exp : &w->exp);
	while (!atomic_load(&ws->stop)) {
		int tmo = -1;

		if (deadline) {
			uint64_t now = clock_ms();

			tmo = deadline > now ? (int)(deadline - now) : 0;
		}
		/* at least once a second: idle TCP streams are freed by the tick */
		if (tmo < 0 || tmo > 1000)
			tmo = 1000;
		if (poll(pfd, 2, tmo) < 0 && errno != EINTR) {
			log_warn("queue %u: poll", w->queue_num);
			break;
		}
		if (atomic_load(&ws->stop))
			break;
		pthread_rwlock_rdlock(&ws->gate);
		if (pfd[0].revents & (POLLIN | POLLERR)) {
			w->path.now = time(NULL);
			w->path.now_ms = clock_ms();
			if (nat_queue_drain(w->q, W_DRAIN_MAX, nat_path_packet, &w->path) < 0)
				log_warn("queue %u receive", w->queue_num);
			after_drain(w);
		}
		w->path.now_ms = clock_ms();
		deadline = nat_path_tick(&w->path, w->path.now_ms);
		after_drain(w);
		pthread_rwlock_unlock(&ws->gate);
	}
	return NULL;
}

static int open_worker(struct worker *w, const struct worker_conf *c, char *err, size_t errlen)
{
	size_t vcap;
	int e = 0;

	w->q = nat_queue_open(w->queue_num, c->queue_maxlen, c->rcvbuf, true, c->fail_open,
			      err, errlen);
	if (!w->q)
		return -1;
	vcap = nat_queue_send_max(w->q);
	if (vcap > W_VERDICT_BUF)
		vcap = W_VERDICT_BUF;
	if (nat_verdicts_init(&w->verdicts, w->queue_num, vcap, nat_queue_send, w->q) < 0) {
		snprintf(err, errlen, "queue %u: verdict buffer of %zu bytes", w->queue_num, vcap);
		return -1;
	}
	w->ct = nat_ct_open();
	if (!w->ct) {
		snprintf(err, errlen, "queue %u: ctnetlink socket: %s", w->queue_num, strerror(errno));
		return -1;
	}
	if (nat_path_init(&w->path) < 0) {
		snprintf(err, errlen, "queue %u: out of memory", w->queue_num);
		return -1;
	}
	copy_settings(w, c->tmpl);
	w->path.ct = w->ct;
	w->path.verdicts = &w->verdicts;
	w->path.ct_in_verdict = nat_queue_has_ct(w->q);
	if (c->pinholes) {
		w->rtpnl = rtp_nl_open(&e);
		if (!w->rtpnl) {
			snprintf(err, errlen, "queue %u: ctnetlink socket for expectations: %s",
				 w->queue_num, strerror(-e));
			return -1;
		}
		nat_exp_init(&w->exp, &rtp_nl_ops, w->rtpnl, &w->verdicts);
		w->exp.rtp = c->tmpl->rtp;
		/* NFQA_EXP needs NFQA_CT, as for queue 0 (run.c) */
		w->path.exp = w->path.ct_in_verdict ? &w->exp : NULL;
	}
	return 0;
}

static void close_worker(struct worker *w)
{
	if (w->q && w->path.tcp_streams)
		nat_path_release_all(&w->path);	/* held segments leave as they came */
	if (w->q)
		nat_verdicts_flush(&w->verdicts);
	if (w->path.exp)
		nat_exp_after_flush(w->path.exp);
	if (w->rtpnl)
		rtp_nl_close(w->rtpnl);
	nat_path_free(&w->path);
	if (w->ct)
		nat_ct_close(w->ct);
	nat_verdicts_free(&w->verdicts);
	if (w->q)
		nat_queue_close(w->q);
}

struct worker_set *workers_start(const struct worker_conf *c, char *err, size_t errlen)
{
	struct worker_set *ws = calloc(1, sizeof(*ws) + c->n * sizeof(ws->w[0]));
	pthread_rwlockattr_t a;

	if (!ws) {
		snprintf(err, errlen, "workers: out of memory");
		return NULL;
	}
	ws->n = c->n;
	ws->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_rwlockattr_init(&a);
	/* a pause (status, reload) must not wait behind a stream of drains */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ws->gate, &a);
	pthread_rwlockattr_destroy(&a);
	if (ws->stop_fd < 0) {
		snprintf(err, errlen, "workers: eventfd: %s", strerror(errno));
		goto fail;
	}
	for (unsigned i = 0; i < c->n; i++) {
		struct worker *w = &ws->w[i];

		w->ws = ws;
		w->idx = i + 1;
		w->queue_num = (uint16_t)(c->first_queue + i);
		if (open_worker(w, c, err, errlen) < 0)
			goto fail;
	}
	return ws;
fail:
	workers_stop(ws);
	return NULL;
}

int workers_run(struct worker_set *ws, char *err, size_t errlen)
{
	for (unsigned i = 0; ws && i < ws->n; i++) {
		int e = pthread_create(&ws->w[i].thread, NULL, worker_main, &ws->w[i]);

		if (e) {
			snprintf(err, errlen, "workers: thread for queue %u: %s",
				 ws->w[i].queue_num, strerror(e));
			return -1;
		}
		ws->w[i].started = true;
	}
	return 0;
}

void workers_pause(struct worker_set *ws)
{
	if (ws)
		pthread_rwlock_wrlock(&ws->gate);
}

void workers_resume(struct worker_set *ws)
{
	if (ws)
		pthread_rwlock_unlock(&ws->gate);
}

void workers_sync(struct worker_set *ws, const struct nat_path *tmpl, bool fail_open)
{
	if (!ws)
		return;
	for (unsigned i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];

		copy_settings(w, tmpl);
		if (nat_queue_fail_open(w->q) != fail_open &&
		    nat_queue_set_fail_open(w->q, fail_open) < 0)
			log_warn("reload: queue %u: overload not applied", w->queue_num);
	}
}

void workers_stop(struct worker_set *ws)
{
	uint64_t one = 1;

	if (!ws)
		return;
	atomic_store(&ws->stop, true);
	if (ws->stop_fd >= 0 && write(ws->stop_fd, &one, sizeof(one)) < 0)
		log_warn("workers: eventfd");
	for (unsigned i = 0; i < ws->n; i++)
		if (ws->w[i].started)
			pthread_join(ws->w[i].thread, NULL);
	for (unsigned i = 0; i < ws->n; i++)
		close_worker(&ws->w[i]);
	if (ws->stop_fd >= 0)
		close(ws->stop_fd);
	pthread_rwlock_destroy(&ws->gate);
	free(ws);
}

void workers_add_counters(const struct worker_set *ws, struct nat_counters *c)
{
	uint64_t *sum = (uint64_t *)c;

	_Static_assert(sizeof(*c) % sizeof(uint64_t) == 0, "nat_counters: uint64_t only");
	if (!ws)
		return;
	for (unsigned i = 0; i < ws->n; i++) {
		const uint64_t *add = (const uint64_t *)&ws->w[i].path.c;

		for (size_t k = 0; k < sizeof(*c) / sizeof(uint64_t); k++)
			sum[k] += add[k];
	}
}

/* One queue's line: what it got, what it rewrote, what the kernel lost. */
static void report_one(struct rep *r, uint16_t num, const struct nat_counters *c,
		       const struct nat_queue *q)
{
	char key[48];
	uint64_t qd = 0, ud = 0;
	unsigned len = 0;
	bool known = nat_queue_kernel_drops(num, &qd, &ud, &len) == 0;

#define K(name, v) do { snprintf(key, sizeof(key), "queue%u_" name, (unsigned)num); \
			rep_u64(r, key, (uint64_t)(v)); } while (0)
	K("packets", c->packets);
	K("rewritten", c->rewritten);
	K("received", nat_queue_stats(q)->received);
	K("socket_overruns", nat_queue_stats(q)->enobufs);
	if (known) {
		K("kernel_queue_dropped", qd);
		K("kernel_user_dropped", ud);
	}
#undef K
}

void workers_report(const struct worker_set *ws, struct rep *r, uint16_t queue0,
		    const struct nat_counters *main, const struct nat_queue *q0)
{
	rep_section(r, "workers");
	rep_u64(r, "workers", ws ? ws->n + 1 : 1);
	report_one(r, queue0, main, q0);
	for (unsigned i = 0; ws && i < ws->n; i++)
		report_one(r, ws->w[i].queue_num, &ws->w[i].path.c, ws->w[i].q);
}

unsigned workers_count(unsigned configured)
{
	long cpus;

	if (configured)
		return configured;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus > SIPALGD_WORKERS_MAX ? SIPALGD_WORKERS_MAX : (unsigned)cpus;
}

const char *workers_text(unsigned n)
{
	static char buf[64];

	if (n <= 1)
		return "";
	snprintf(buf, sizeof(buf), " (+%u more: %u queue workers)", n - 1, n);
	return buf;
}

/* Helper i: "<name>-<i>" on queue queue_num + i; -1 when the name is too long. */
static int extra_helper(const struct nat_helper_conf *h0, unsigned i,
			char name[SIPALGD_HELPER_NAME_MAX], struct nat_helper_conf *h)
{
	int len = snprintf(name, SIPALGD_HELPER_NAME_MAX, "%s-%u", h0->name, i);

	*h = *h0;
	h->name = name;
	h->queue_num = (uint16_t)(h0->queue_num + i);
	return len < 0 || len >= SIPALGD_HELPER_NAME_MAX ? -1 : 0;
}

int workers_register_helpers(const struct nat_helper_conf *h0, unsigned n, unsigned *done,
			     char *err, size_t errlen)
{
	char name[SIPALGD_HELPER_NAME_MAX];
	struct nat_helper_conf h;

	*done = 0;
	for (unsigned i = 1; i < n; i++) {
		if (extra_helper(h0, i, name, &h) < 0) {
			snprintf(err, errlen, "[netfilter] helper \"%s\" with workers = %u: \"%s-%u\" "
				 "is longer than the kernel's %d characters (expected a shorter helper name)",
				 h0->name, n, h0->name, i, SIPALGD_HELPER_NAME_MAX - 1);
			return -1;
		}
		if (nat_helper_register(&h, err, errlen) < 0)
			return -1;
		*done = i;
	}
	if (n > 1)
		log_info("conntrack helpers \"%s-1\" .. \"%s-%u\" registered, queues %u-%u",
			 h0->name, h0->name, n - 1, h0->queue_num + 1u, h0->queue_num + n - 1u);
	return 0;
}

void workers_disable_helpers(const struct nat_helper_conf *h0, unsigned done)
{
	char name[SIPALGD_HELPER_NAME_MAX], err[256];
	struct nat_helper_conf h;

	for (unsigned i = 1; i <= done; i++) {
		extra_helper(h0, i, name, &h);
		if (nat_helper_disable(&h, err, sizeof(err)) < 0)
			log_warnx("%s", err);
	}
}
