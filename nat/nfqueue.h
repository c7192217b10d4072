/*
 * nfqueue.h - one NFQUEUE over libmnl + libnetfilter_queue's nlmsg API:
 * bind, configure (copy whole packets, conntrack attached, fail-open, queue
 * length, big receive buffer), drain the socket, hand each packet on.
 */
#ifndef SIPALGD_NAT_NFQUEUE_H
#define SIPALGD_NAT_NFQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nat_packet {
	uint32_t id;
	uint8_t hook;			/* NF_INET_* the packet was queued at */
	const uint8_t *data;		/* IP packet */
	size_t len;
	bool truncated;			/* NFQA_CAP_LEN > len: never mangle */
	const void *ct;			/* NFQA_CT payload (ctnetlink attrs), or NULL */
	size_t ct_len;
	bool has_ctinfo;
	uint32_t ctinfo;		/* enum ip_conntrack_info */
	uint32_t mark;
};

struct nat_queue_stats {
	uint64_t received;		/* packet messages */
	uint64_t recv_calls;		/* recvmmsg calls that brought any */
	uint64_t enobufs;		/* socket overruns: messages lost */
	uint64_t verdict_errors;	/* NLMSG_ERROR answers to our verdicts */
	uint64_t parse_errors;
};

struct nat_queue;

typedef void (*nat_packet_fn)(void *arg, const struct nat_packet *pkt);

/*
 * Open, bind and configure queue num. want_ct asks for NFQA_CFG_F_CONNTRACK;
 * a kernel without the conntrack glue refuses it, and then the queue runs
 * without (nat_queue_has_ct() says which). fail_open: what a full queue does
 * with a packet (true: passes it un-rewritten; false: drops it, counted by
 * the kernel). err gets a message on failure.
 */
struct nat_queue *nat_queue_open(uint16_t num, uint32_t maxlen, uint32_t rcvbuf,
				 bool want_ct, bool fail_open, char *err, size_t errlen);
/* Change fail_open on a live queue (SIGHUP); 0 or -errno of the send. */
int nat_queue_set_fail_open(struct nat_queue *q, bool fail_open);
bool nat_queue_fail_open(const struct nat_queue *q);
void nat_queue_close(struct nat_queue *q);
int nat_queue_fd(const struct nat_queue *q);
bool nat_queue_has_ct(const struct nat_queue *q);
uint16_t nat_queue_num(const struct nat_queue *q);

/*
 * Read every message waiting (up to max_msgs), call fn for each packet in
 * order. fn must give each packet a verdict (through nat_queue_send). Returns
 * the number of packets, or -1 on a socket error other than EAGAIN.
 */
int nat_queue_drain(struct nat_queue *q, unsigned max_msgs,
		    nat_packet_fn fn, void *arg);

/* A nat_send_fn (verdict.h) over this queue's socket; arg = the queue. */
int nat_queue_send(void *q, const void *buf, size_t len);

/* The send buffer nat_queue_open asks for (SO_SNDBUFFORCE), and the largest
 * sendto the socket takes - a verdict buffer must not be larger. */
#define NAT_QUEUE_SNDBUF (1 << 20)
size_t nat_queue_send_max(const struct nat_queue *q);

const struct nat_queue_stats *nat_queue_stats(const struct nat_queue *q);

/*
 * Kernel counters of queue num from /proc/net/netfilter/nfnetlink_queue:
 * packets the kernel dropped (queue full) and could not deliver to us, and
 * how many wait now. Fail-open passes (queue full) are counted nowhere by the
 * kernel: a queue_len near queue_maxlen is the warning sign.
 * Returns 0, or -1 when the queue is not listed.
 */
int nat_queue_kernel_drops(uint16_t num, uint64_t *queue_dropped,
			   uint64_t *user_dropped, unsigned *queue_len);

#endif
