/*
 * sip_flood.c - load for the gateway throughput benchmark (throughput.sh).
 *
 *   sip_flood send SRC_IP SRC_PORT DST_IP DST_PORT FILE COUNT [PPS [new-calls]]
 *       send FILE (one SIP message) COUNT times from SRC to DST, 64 per sendmmsg,
 *       paced to PPS when given (0 = as fast as the socket takes them); prints
 *       "sent N in S s". Copies are identical (a retransmission storm) unless
 *       "new-calls": then the first 8 characters of the Call-ID are each copy's
 *       number in hex, so every copy starts a call of its own.
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

static int do_send(char **argv)
{
	static char msg[2048], copies[BATCH][2048];
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[5])) };
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	unsigned long count = strtoul(argv[7], NULL, 10), sent = 0;
	double pps = argv[8] ? atof(argv[8]) : 0, t0;
	int new_calls = argv[8] && argv[9] && !strcmp(argv[9], "new-calls");
	char *cid = NULL;
	FILE *f = fopen(argv[6], "rb");
	size_t len;
	int fd = bound_socket(argv[2], argv[3]);

	if (!f || inet_pton(AF_INET, argv[4], &dst.sin_addr) != 1) {
		perror("message file/destination");
		return 2;
	}
	len = fread(msg, 1, sizeof(msg), f);
	fclose(f);
	if (len == sizeof(msg)) {
		fprintf(stderr, "message file: over %zu bytes\n", sizeof(msg) - 1);
		return 2;
	}
	if (new_calls) {
		cid = memmem(msg, len, "\r\nCall-ID: ", 11);
		if (!cid || (size_t)(cid - msg) + 11 + 8 > len) {
			fprintf(stderr, "new-calls: no Call-ID of 8+ characters in the message\n");
			return 2;
		}
	}
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < BATCH; i++) {
		memcpy(copies[i], msg, len);
		iov[i].iov_base = new_calls ? copies[i] : msg;
		iov[i].iov_len = len;
		mm[i].msg_hdr.msg_name = &dst;
		mm[i].msg_hdr.msg_namelen = sizeof(dst);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	while (sent < count) {
		unsigned n = count - sent < BATCH ? (unsigned)(count - sent) : BATCH;
		int r;

		if (pps > 0) {	/* pace: never ahead of the schedule */
			double due = t0 + (double)sent / pps;

			while (now() < due)
				;
			n = n > 8 ? 8 : n;
		}
		for (unsigned i = 0; new_calls && i < n; i++) {
			char id[9];

			snprintf(id, sizeof(id), "%08lx", (sent + i) & 0xffffffffUL);
			memcpy(copies[i] + (cid - msg) + 11, id, 8);
		}
		r = sendmmsg(fd, mm, n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR)
				continue;
			perror("sendmmsg");
			return 1;
		}
		sent += (unsigned)r;
	}
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
