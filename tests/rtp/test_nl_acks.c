/* test_nl_acks.c - rtp_nl_collect_errors: the requests go without NLM_F_ACK,
 * so only failures are answered; errors are matched to their requests by seq
 * and portid, silence is success, and the read never waits. The "kernel" is
 * the other end of a datagram socketpair (tests/rtp/kernel_check.sh shows a
 * real kernel's ENOENT coming back this way). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "check.h"
#include "expect_nl.h"

#define PORTID 4242

/* One NLMSG_ERROR datagram, as the kernel answers a failed request. */
static void send_err(int fd, uint32_t portid, uint32_t seq, int error)
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

static void test_failures_matched(void)
{
	int sv[2], errs[4] = { 99, 99, 99, 99 };

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	send_err(sv[1], PORTID, 7, -EBUSY);	/* an older batch's: skipped */
	send_err(sv[1], PORTID + 1, 101, -1);	/* someone else's: skipped */
	send_err(sv[1], PORTID, 103, -EEXIST);	/* out of order */
	send_err(sv[1], PORTID, 101, -ENOENT);
	CHECK_EQ(rtp_nl_collect_errors(sv[0], PORTID, 100, 4, errs), 0);
	CHECK_EQ(errs[0], 0);	/* nothing answered: created */
	CHECK_EQ(errs[1], -ENOENT);
	CHECK_EQ(errs[2], 0);
	CHECK_EQ(errs[3], -EEXIST);
	/* the socket is empty again: the next batch sees only its own */
	CHECK_EQ(rtp_nl_collect_errors(sv[0], PORTID, 104, 1, errs), 0);
	CHECK_EQ(errs[0], 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_never_waits(void)
{
	int sv[2], errs[2] = { 99, 99 };
	struct timespec t0, t1;

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	/* a blocking socket with nothing in it: the read still returns at once */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(rtp_nl_collect_errors(sv[0], PORTID, 200, 2, errs), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ms(&t0, &t1) < 100);
	CHECK(errs[0] == 0 && errs[1] == 0);
	/* a flood of foreign messages is read a bounded number of times */
	for (int i = 0; i < 200; i++)
		send_err(sv[1], PORTID + 1, 300, -1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(rtp_nl_collect_errors(sv[0], PORTID, 300, 1, errs), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ms(&t0, &t1) < 100);
	CHECK_EQ(errs[0], 0);
	close(sv[0]);
	close(sv[1]);
}

static void test_socket_error(void)
{
	int errs[1] = { 99 };

	CHECK_EQ(rtp_nl_collect_errors(-1, PORTID, 0, 1, errs), -EBADF);
}

int main(void)
{
	RUN(test_failures_matched);
	RUN(test_never_waits);
	RUN(test_socket_error);
	return CHECK_DONE();
}
