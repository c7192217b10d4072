/*
 * expect_nl.h - struct rtp_kernel_ops over ctnetlink: create and delete
 * conntrack expectations with NAT.
 *
 * libnetfilter_conntrack 1.0.9 (Debian 12) serialises an expectation's
 * master, tuple, mask, timeout, flags, zone and helper name but silently drops
 * its NAT tuple/direction, expect function and class (DESIGN.md fact 5).
 * So every attribute is put with libmnl, straight into the message: tuple,
 * master, mask, timeout and zone exactly as nfexp_nlmsg_build() wrote them
 * (rtp_expect_bytes compares the bytes), then CTA_EXPECT_NAT { DIR, TUPLE },
 * CTA_EXPECT_FN, CTA_EXPECT_CLASS. No library object per request.
 */
#ifndef SIPALGD_RTP_EXPECT_NL_H
#define SIPALGD_RTP_EXPECT_NL_H

#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

#define RTP_NL_MSG_MAX 1024	/* one expectation message fits easily */

struct rtp_nl_stats {
	uint64_t created, create_failed, deleted, delete_failed;
	uint64_t answers_lost;	/* batches whose error answers overran the socket */
	int last_error;		/* -errno of the last failure, 0 if none */
};

struct rtp_nl;

/* A ctnetlink socket; NULL with *err = -errno on failure. */
struct rtp_nl *rtp_nl_open(int *err);
void rtp_nl_close(struct rtp_nl *nl);
const struct rtp_nl_stats *rtp_nl_stats(const struct rtp_nl *nl);

/* The ops for rtp_table_new(); their arg is the struct rtp_nl *. */
extern const struct rtp_kernel_ops rtp_nl_ops;

/*
 * The expectation requests go without NLM_F_ACK: the kernel answers only the
 * ones that failed. nfnetlink runs a datagram's messages inside the sendto
 * (netlink_unicast_kernel -> nfnetlink_rcv -> netlink_rcv_skb, which answers
 * a message without NLM_F_ACK only when it failed), so once sendto returns
 * every answer is in the socket already: this reads until EAGAIN and never
 * waits. errs[i] (seq0 + i) is 0 unless an error names it; others' messages
 * and older requests' answers are skipped. -ENOBUFS: answers were lost (the
 * receive buffer overran), which ones is unknown. Per request this saves the
 * ACK's skb and a poll and a recv (and, on a clock without vDSO, a
 * clock_gettime) - most of a new call's system calls.
 */
int rtp_nl_collect_errors(int fd, uint32_t portid, uint32_t seq0, unsigned n, int *errs);

/*
 * Message builders, public so tests can check the bytes without a kernel.
 * buf needs RTP_NL_MSG_MAX bytes. Return the message length or -errno.
 */
long rtp_nl_build_new(void *buf, size_t cap, const struct rtp_expect *e, uint32_t seq);
long rtp_nl_build_delete(void *buf, size_t cap, const struct rtp_expect *e, uint32_t seq);

/*
 * The attributes of an IPCTNL_MSG_EXP_NEW for e (master, tuple, mask,
 * timeout, zone, CTA_EXPECT_NAT, CTA_EXPECT_FN, CTA_EXPECT_CLASS), appended
 * at nlh's tail - also inside an open nest: nat/verdict_exp.c puts them in a
 * verdict's NFQA_EXP. cap: bytes from nlh that may be written; needs
 * nlh->nlmsg_len + RTP_NL_ATTRS_MAX. 0 or -errno.
 */
struct nlmsghdr;
#define RTP_NL_ATTRS_MAX 512	/* one expectation's attributes, with room */
int rtp_nl_put_new_attrs(struct nlmsghdr *nlh, size_t cap, const struct rtp_expect *e);

/*
 * Restart recovery: the kernel's expectations whose master carries helper
 * (CTA_EXPECT_HELP_NAME), IPCTNL_MSG_EXP_GET with NLM_F_DUMP on a socket of
 * its own, at most max into out; waits at most wait_ms in all. fn is set to
 * "sip" or "nat-follow-master" when the kernel names one of them, else NULL.
 * Returns how many were kept (*seen: how many of the helper, kept or not),
 * or -errno.
 */
#define RTP_NL_DUMP_WAIT_MS 2000
long rtp_nl_expect_dump(const char *helper, struct rtp_expect *out, unsigned max,
			unsigned *seen, int wait_ms);
/* One dump message's expectation (tests build one from their own bytes):
 * 1 when it is helper's and parsed, 0 another helper's, -1 malformed. */
int rtp_nl_parse_expect(const struct nlmsghdr *nlh, const char *helper, struct rtp_expect *e);

#endif
