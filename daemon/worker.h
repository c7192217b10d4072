/*
 * worker.h - queues queue_num+1 .. queue_num+N-1, one thread each
 * ([netfilter] workers = N; docs/workers.md). Queue queue_num stays the main
 * thread's, in run.c's loop as with one worker, so workers = 1 starts no thread.
 *
 * A worker owns what its queue needs: the nfqueue socket, the verdict batch,
 * the engine scratch and TCP streams (struct nat_path), the first-packet
 * layer (struct nat_exp) and its ctnetlink sockets. It shares the pinhole and
 * registration tables, under nat/table_lock.h. The configuration its path
 * copies from the main thread's changes only while every worker is paused
 * (workers_pause: a worker holds its read lock for one drain).
 */
#ifndef SIPALGD_WORKER_H
#define SIPALGD_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "packet_path.h"
#include "report_fmt.h"

struct worker_set;
struct nat_helper_conf;

/* [netfilter] workers: 0 = the online CPUs (at most SIPALGD_WORKERS_MAX). */
unsigned workers_count(unsigned configured);

/* ", 2 workers (queues 7-8)"-style text for the start line; "" for one. */
const char *workers_text(unsigned n);

/*
 * Helper mode: helpers "<name>-1" .. "<name>-<n-1>" on queues queue_num+1 ..
 * (helper 0 is run.c's). *done counts those registered, for
 * workers_disable_helpers(). 0, or -1 with err.
 */
int workers_register_helpers(const struct nat_helper_conf *h0, unsigned n, unsigned *done,
			     char *err, size_t errlen);
void workers_disable_helpers(const struct nat_helper_conf *h0, unsigned done);

struct worker_conf {
	uint16_t first_queue;		/* queue_num + 1 */
	unsigned n;			/* extra workers: workers - 1 */
	uint32_t queue_maxlen, rcvbuf;
	bool fail_open;
	bool pinholes;			/* helper mode with expectations: own nat_exp */
	const struct nat_path *tmpl;	/* the main thread's path: settings, shared tables */
};

/*
 * Opens the queues (before the rules exist, so no packet meets an unbound
 * queue). NULL (err says why) on failure.
 */
struct worker_set *workers_start(const struct worker_conf *c, char *err, size_t errlen);

/* Starts the threads: after daemon() (a fork keeps only the calling thread). 0 or -1. */
int workers_run(struct worker_set *ws, char *err, size_t errlen);

/* Wait until no worker is inside a drain, and keep them out (NULL: no-op). */
void workers_pause(struct worker_set *ws);
void workers_resume(struct worker_set *ws);

/* Paused: copy the main path's settings again (reload), and the overload policy. */
void workers_sync(struct worker_set *ws, const struct nat_path *tmpl, bool fail_open);

/* Join the threads; held TCP segments pass, verdicts flushed, sockets closed. */
void workers_stop(struct worker_set *ws);

/* Paused: add every worker's packet counters to c. */
void workers_add_counters(const struct worker_set *ws, struct nat_counters *c);

/* Paused: the "[workers]" section; main = queue 0's counters and queue. */
void workers_report(const struct worker_set *ws, struct rep *r, uint16_t queue0,
		    const struct nat_counters *main, const struct nat_queue *q0);

#endif
