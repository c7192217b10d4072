/*
 * status_report.h - what `sipalgd status [--json]` shows, rendered from the
 * daemon's state (run.c fills struct status_src; nothing here is changed).
 * One pass of rep_*() calls (report_fmt.h) gives the text and the JSON
 * (docs/status.schema.json), so the two list the same numbers.
 */
#ifndef SIPALGD_STATUS_REPORT_H
#define SIPALGD_STATUS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "expect_nl.h"
#include "nfqueue.h"
#include "packet_path.h"
#include "registration.h"
#include "rtp.h"
#include "status_conn.h"
#include "verdict.h"
#include "worker.h"

struct status_src {
	const struct sipalgd_config *cfg;
	bool degraded;
	const char *degraded_text;	/* the mode line in degraded mode */
	time_t started;
	const struct nat_queue *q;
	const struct nat_verdicts *verdicts;
	const struct nat_path *path;
	const struct nat_reg_table *regs;
	uint64_t reg_backlog_ticks;
	bool addrs_watched;		/* rtnetlink address events */
	uint64_t addrs_lost, addr_dialogs_flushed, addr_flows_flushed;
	const struct rtp_table *rtp;	/* NULL: degraded mode */
	struct rtp_nl *rtpnl;
	const struct status_srv *status;
	/* workers > 1 (worker.h): the "[workers]" section; path then holds every
	 * worker's counters summed, queue0 the main thread's own */
	const struct worker_set *workers;
	const struct nat_counters *queue0;
};

void status_report(const struct status_src *src, FILE *out, bool json);

#endif
