/*
 * nfq_null.c - the floor of any NFQUEUE ALG: sipalgd's own queue and verdict
 * layers (nat/nfqueue.c, nat/verdict.c) accepting every packet unread, with
 * the same drain size (64) and batched verdicts. throughput.sh's "queue" row:
 * what a userspace helper costs before it parses a byte, against the
 * kernel's helper doing its whole job in the sender's own softirq.
 *
 *   nfq_null QUEUE SECONDS     serve queue QUEUE (whole packets copied, as
 *                              sipalgd asks) for SECONDS, then print the count
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nfqueue.h"
#include "verdict.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void accept_all(void *arg, const struct nat_packet *pkt)
{
	nat_verdict_accept(arg, pkt->id);
}

int main(int argc, char **argv)
{
	struct nat_verdicts v;
	struct nat_queue *q;
	char err[256];
	unsigned long total = 0;
	time_t end;

	if (argc != 3) {
		fprintf(stderr, "usage: nfq_null QUEUE SECONDS\n");
		return 2;
	}
	/* sipalgd's own queue settings: 8192 packets, 8 MB buffer, conntrack, fail-closed */
	q = nat_queue_open((uint16_t)atoi(argv[1]), 8192, 8u << 20, true, false, err, sizeof(err));
	if (!q || nat_verdicts_init(&v, nat_queue_num(q), 1u << 20, nat_queue_send, q) < 0) {
		fprintf(stderr, "nfq_null: %s\n", q ? "verdict buffer" : err);
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	end = time(NULL) + atoi(argv[2]);
	printf("ready\n");
	fflush(stdout);
	while (!stop && time(NULL) < end) {
		struct pollfd p = { .fd = nat_queue_fd(q), .events = POLLIN };
		int n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = nat_queue_drain(q, 64, accept_all, &v);
		if (n < 0)
			break;
		total += (unsigned)n;
		nat_verdicts_flush(&v);
	}
	printf("accepted %lu\n", total);
	nat_verdicts_free(&v);
	nat_queue_close(q);
	return 0;
}
