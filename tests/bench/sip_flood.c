/*
 * sip_flood.c - load for the gateway throughput benchmark (throughput.sh).
 *
 *   sip_flood send SRC_IP SRC_PORT DST_IP DST_PORT FILE COUNT [PPS [new-calls]]
 *       send FILE (one SIP message) COUNT times from SRC to DST, 64 per sendmmsg,
 *       paced to PPS when given (0 = as fast as the socket takes them); prints
 *       "sent N in S s". Copies are identical (a retransmission storm) unless
 *       "new-calls": then the first 8 characters of the Call-ID are each copy's
 *       number in hex, so every copy starts a call of its own.
 *       SRC_PORT and FILE may be comma lists of the same length K (at most 16):
 *       K flows, each its own socket and message, served in turn one sendmmsg
 *       batch at a time by this one process on the one schedule. COUNT and PPS
 *       are the total over the flows, so K flows load the gateway exactly like
 *       one flow does (not K processes that start apart and compete for CPUs).
 *       The pacing loop spins (a vCPU of its own) unless SIP_FLOOD_PACE=sleep:
 *       then it sleeps until each batch is due and leaves the CPU to the gateway.
 *   sip_flood recv BIND_IP PORT IDLE_MS NEEDLE
 *       count datagrams until none came for IDLE_MS (after the first); those that
 *       still contain NEEDLE (the private address) crossed un-rewritten. Prints
 *       "received N leaked M span S s" (first to last packet).
 *
 * Bounded: the receiver gives up 30 s after start without a first packet, and
 * stops at 10 million packets.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sendmmsg, recvmmsg, memmem */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bound_socket(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int one = 1, big = 8 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		perror("socket/address");
		exit(2);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("bind");
		exit(2);
	}
	return fd;
}

#define MAX_FLOWS 16

struct flow {
	int fd;
	size_t len, cid;	/* message length; offset of the Call-ID's value, or 0 */
	char copies[BATCH][2048];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
};

/* split a comma list in place; the number of items, or -1 when over max */
static int split_list(char *s, char **item, int max)
{
	int n = 0;

	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		if (n == max)
			return -1;
		item[n++] = tok;
	}
	return n;
}

static int do_send(char **argv)
{
	static struct flow flows[MAX_FLOWS];
	static char msg[2048];
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[5])) };
	unsigned long count = strtoul(argv[7], NULL, 10), sent = 0;
	double pps = argv[8] ? atof(argv[8]) : 0, t0;
	int new_calls = argv[8] && argv[9] && !strcmp(argv[9], "new-calls");
	char *ports[MAX_FLOWS], *files[MAX_FLOWS];
	int nflows = split_list(argv[3], ports, MAX_FLOWS);
	int nfiles = split_list(argv[6], files, MAX_FLOWS);
	unsigned turn = 0;
	const char *pace = getenv("SIP_FLOOD_PACE");
	int sleep_pace = pace && !strcmp(pace, "sleep");

	if (nflows < 1 || nflows != nfiles) {
		fprintf(stderr, "send: SRC_PORT and FILE: lists of the same length, 1 to %d\n", MAX_FLOWS);
		return 2;
	}
	if (inet_pton(AF_INET, argv[4], &dst.sin_addr) != 1) {
		perror("destination");
		return 2;
	}
	for (int k = 0; k < nflows; k++) {
		struct flow *fl = &flows[k];
		FILE *f = fopen(files[k], "rb");
		char *cid;

		if (!f) {
			perror(files[k]);
			return 2;
		}
		fl->len = fread(msg, 1, sizeof(msg), f);
		fclose(f);
		if (fl->len == sizeof(msg)) {
			fprintf(stderr, "%s: over %zu bytes\n", files[k], sizeof(msg) - 1);
			return 2;
		}
		if (new_calls) {
			cid = memmem(msg, fl->len, "\r\nCall-ID: ", 11);
			if (!cid || (size_t)(cid - msg) + 11 + 8 > fl->len) {
				fprintf(stderr, "new-calls: no Call-ID of 8+ characters in %s\n", files[k]);
				return 2;
			}
			fl->cid = (size_t)(cid - msg) + 11;
		}
		fl->fd = bound_socket(argv[2], ports[k]);
		for (int i = 0; i < BATCH; i++) {
			memcpy(fl->copies[i], msg, fl->len);
			/* identical copies share one buffer, as before: only new calls differ */
			fl->iov[i].iov_base = new_calls ? fl->copies[i] : fl->copies[0];
			fl->iov[i].iov_len = fl->len;
			fl->mm[i].msg_hdr.msg_name = &dst;
			fl->mm[i].msg_hdr.msg_namelen = sizeof(dst);
			fl->mm[i].msg_hdr.msg_iov = &fl->iov[i];
			fl->mm[i].msg_hdr.msg_iovlen = 1;
		}
	}
	t0 = now();
	while (sent < count) {
		unsigned n = count - sent < BATCH ? (unsigned)(count - sent) : BATCH;
		struct flow *fl = &flows[turn % (unsigned)nflows];
		int r;

		if (pps > 0) {	/* pace: never ahead of the schedule */
			double due = t0 + (double)sent / pps;

			if (sleep_pace) {	/* the CPU stays free for the gateway */
				struct timespec ts = { .tv_sec = (time_t)due,
						       .tv_nsec = (long)((due - (double)(time_t)due) * 1e9) };

				while (now() < due &&
				       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
					;
			}
			while (now() < due)
				;
			n = n > 8 ? 8 : n;
		}
		for (unsigned i = 0; new_calls && i < n; i++) {
			char id[9];

			/* numbered over all flows: no two calls share a Call-ID */
			snprintf(id, sizeof(id), "%08lx", (sent + i) & 0xffffffffUL);
			memcpy(fl->copies[i] + fl->cid, id, 8);
		}
		r = sendmmsg(fl->fd, fl->mm, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("sendmmsg");
			return 1;
		}
		sent += (unsigned)r;
		turn++;
	}
	if (nflows > 1)
		printf("sent %lu in %.3f s over %d flows\n", sent, now() - t0, nflows);
	else
		printf("sent %lu in %.3f s\n", sent, now() - t0);
	return 0;
}

static int do_recv(char **argv)
{
	static char buf[BATCH][2048];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int fd = bound_socket(argv[2], argv[3]);
	int idle_ms = atoi(argv[4]);
	const char *needle = argv[5];
	size_t nlen = strlen(needle);
	unsigned long got = 0, leaked = 0;
	double start = now(), first = 0, last = 0;

	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (got < 10000000ul) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait = got ? idle_ms : 30000 - (int)((now() - start) * 1000);
		int r;

		if (wait <= 0 || poll(&p, 1, wait) <= 0)
			break;
		r = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0)
			continue;
		last = now();
		if (!got)
			first = last;
		for (int i = 0; i < r; i++)
			if (memmem(buf[i], mm[i].msg_len, needle, nlen))
				leaked++;
		got += (unsigned)r;
	}
	printf("received %lu leaked %lu span %.3f s\n", got, leaked, got ? last - first : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 8 && argc <= 10 && !strcmp(argv[1], "send"))
		return do_send(argv);
	if (argc == 6 && !strcmp(argv[1], "recv"))
		return do_recv(argv);
	fprintf(stderr, "usage: sip_flood send SRC_IP SRC_PORT DST_IP DST_PORT FILE COUNT [PPS [new-calls]]\n"
			"       sip_flood recv BIND_IP PORT IDLE_MS NEEDLE\n");
	return 2;
}
