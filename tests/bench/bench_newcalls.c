/*
 * bench_newcalls.c - the daemon's own work for a new call's media: the
 * dialog, a public port pair, and the ctnetlink messages of its two pinholes
 * (built, not sent: the kernel's share is throughput.sh's to measure).
 *
 * Usage: bench_newcalls [CALLS [PHONE_PORT]]   (default 4000 calls, port 10000)
 * Every call comes from one phone with the same SDP port, as phones sharing a
 * default RTP port do: each looks for a free pair above the same place. Prints
 * CPU ns per call over the run; exit 1 unless every call got its dialog and
 * its pinholes. Instructions per call (deterministic on a shared machine):
 *   valgrind --tool=callgrind --toggle-collect=msg_send \
 *     build-rel/tests/bench/bench_newcalls 4000
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "expect_nl.h"
#include "scene.h"

static char nlbuf[RTP_NL_MSG_MAX];
static unsigned long built;

static int build_create(void *arg, struct rtp_expect *e)
{
	(void)arg;
	if (rtp_nl_build_new(nlbuf, sizeof(nlbuf), e, 1) < 0)
		return -1;
	built++;
	return 0;
}

static int build_delete(void *arg, const struct rtp_expect *e)
{
	(void)arg;
	return rtp_nl_build_delete(nlbuf, sizeof(nlbuf), e, 1) < 0 ? -1 : 0;
}

static const struct rtp_kernel_ops build_only = {
	.expect_create = build_create,
	.expect_delete = build_delete,
};

static struct scene sc;	/* large: not on the stack */

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned calls = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 4000;
	unsigned port = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 10000;
	struct rtp_config cfg;
	double spent = 0;
	char cid[32];
	unsigned i;

	rtp_config_default(&cfg);
	if (calls == 0 || calls > cfg.max_dialogs) {
		fprintf(stderr, "bench_newcalls: 1..%u calls (max_dialogs)\n", cfg.max_dialogs);
		return 2;
	}
	/* One phone makes every call: the per-host caps would stop it at 64. */
	cfg.max_dialogs_per_host = calls;
	cfg.max_pairs_per_host = calls;
	scene_init_ops(&sc, &cfg, &build_only);
	for (i = 0; i < calls; i++) {
		double t0;

		snprintf(cid, sizeof(cid), "%08x@bench", i);
		msg_request(&sc, "INVITE", cid, "tag", NULL, 1);
		msg_media(&sc, PHONE_A, port, 0);
		t0 = cpu_now();
		msg_send(&sc, SIPALG_OUTBOUND);
		spent += cpu_now() - t0;
	}
	printf("new-call %u calls, phone port %u: %.0f ns/call (%u dialogs, %u pairs, %lu pinholes)\n",
	       calls, port, spent / calls, rtp_table_stats(sc.t)->dialogs_live,
	       rtp_table_stats(sc.t)->ports_in_use, built);
	i = rtp_table_stats(sc.t)->dialogs_live == calls && built == 2ul * calls;
	scene_free(&sc);
	return i ? 0 : 1;
}
