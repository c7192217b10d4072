/* test_nl_acks.c - rtp_nl_collect_acks: ACKs are matched to their requests by
 * seq and portid, and a missing ACK costs a bounded wait, not a hang. The
 * "kernel" is the other end of a datagram socketpair. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "check.h"
#include "expect_nl.h"

#define PORTID 4242

/* One NLMSG_ERROR datagram, as the kernel sends an ACK. */
static void send_ack(int fd, uint32_t portid, uint32_t seq, int error)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_pid = portid;
	nlh->nlmsg_seq = seq;
	e->error = error;
	CHECK(send(fd, buf, nlh->nlmsg_len, 0) == (ssize_t)nlh->nlmsg_len);
}

static long ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000L + (b->tv_nsec - a->tv_nsec) / 1000000L;
}

static void test_all_answered(void)
{
	int sv[2], errs[3] = { 99, 99, 99 };

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	send_ack(sv[1], PORTID, 7, 0);		/* an older batch's late ACK: skipped */
	send_ack(sv[1], PORTID + 1, 101, -1);	/* someone else's: skipped */
	send_ack(sv[1], PORTID, 102, -EEXIST);	/* out of order */
	send_ack(sv[1], PORTID, 100, 0);
	send_ack(sv[1], PORTID, 101, -ENOENT);
	CHECK_EQ(rtp_nl_collect_acks(sv[0], PORTID, 100, 3, errs, 1000), 0);
	CHECK_EQ(errs[0], 0);
	CHECK_EQ(errs[1], -ENOENT);
	CHECK_EQ(errs[2], -EEXIST);
	close(sv[0]);
	close(sv[1]);
}

static void test_missing_ack_times_out(void)
{
	int sv[2], errs[2];
	struct timespec t0, t1;

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	send_ack(sv[1], PORTID, 200, 0);	/* the second never comes */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(rtp_nl_collect_acks(sv[0], PORTID, 200, 2, errs, 150), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ms(&t0, &t1) >= 140);
	CHECK(ms(&t0, &t1) < 2000);	/* bounded: the call returns */
	/* a stream of foreign messages does not extend the wait */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 50; i++)
		send_ack(sv[1], PORTID + 1, 300, 0);
	CHECK_EQ(rtp_nl_collect_acks(sv[0], PORTID, 300, 1, errs, 100), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ms(&t0, &t1) < 2000);
	close(sv[0]);
	close(sv[1]);
}

static void test_too_many(void)
{
	int errs[1];

	CHECK_EQ(rtp_nl_collect_acks(-1, PORTID, 0, RTP_NL_ACKS_MAX + 1, errs, 10), -EINVAL);
}

int main(void)
{
	RUN(test_all_answered);
	RUN(test_missing_ack_times_out);
	RUN(test_too_many);
	return CHECK_DONE();
}
