/* fake_kernel.c - see fake_kernel.h. */
#include "fake_kernel.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

static bool same_tuple(const struct rtp_expect *a, const struct rtp_expect *b)
{
	return a->master.src.ip.s_addr == b->master.src.ip.s_addr &&
	       a->master.src.port == b->master.src.port &&
	       a->dst.ip.s_addr == b->dst.ip.s_addr && a->dst.port == b->dst.port &&
	       a->src_any_addr == b->src_any_addr &&
	       (a->src_any_addr || a->src.ip.s_addr == b->src.ip.s_addr) &&
	       a->src_any_port == b->src_any_port &&
	       (a->src_any_port || a->src.port == b->src.port);
}

/* Same destination, overlapping sources: the kernel's expect_clash (EBUSY). */
static bool clashes(const struct rtp_expect *a, const struct rtp_expect *b)
{
	bool src_overlap = a->src_any_addr || b->src_any_addr ||
			   a->src.ip.s_addr == b->src.ip.s_addr;
	bool port_overlap = a->src_any_port || b->src_any_port || a->src.port == b->src.port;

	return a->dst.ip.s_addr == b->dst.ip.s_addr && a->dst.port == b->dst.port &&
	       src_overlap && port_overlap;
}

static void log_call(struct fake_kernel *k, char op, const struct rtp_expect *e)
{
	if (k->n_calls < sizeof(k->calls) / sizeof(k->calls[0])) {
		k->calls[k->n_calls].op = op;
		k->calls[k->n_calls].e = *e;
		k->n_calls++;
	}
}

static int fake_create(void *arg, struct rtp_expect *e)
{
	struct fake_kernel *k = arg;
	unsigned i;

	log_call(k, 'C', e);
	if (k->fail_create)
		return k->fail_create;
	for (i = 0; i < k->n_live; i++) {
		if (same_tuple(&k->live[i], e)) {
			k->live[i] = *e;	/* refresh */
			return 0;
		}
		if (clashes(&k->live[i], e))
			return -EBUSY;
	}
	if (k->n_live == FAKE_MAX) {
		if (!k->unbounded)
			return -ENOMEM;
		k->n_unrecorded++;
		return 0;
	}
	k->live[k->n_live++] = *e;
	return 0;
}

static int fake_delete(void *arg, const struct rtp_expect *e)
{
	struct fake_kernel *k = arg;
	unsigned i;

	log_call(k, 'D', e);
	for (i = 0; i < k->n_live; i++) {
		if (same_tuple(&k->live[i], e)) {
			k->live[i] = k->live[--k->n_live];
			return 0;
		}
	}
	return -ENOENT;
}

/* One "round trip": the requests in order, like ctnetlink with one datagram. */
static void fake_batch(void *arg, struct rtp_expect_op *ops, unsigned n)
{
	struct fake_kernel *k = arg;
	unsigned i;

	k->n_batches++;
	for (i = 0; i < n; i++)
		ops[i].err = ops[i].create ? fake_create(arg, ops[i].e) : fake_delete(arg, ops[i].e);
}

const struct rtp_kernel_ops fake_ops = {
	.expect_create = fake_create,
	.expect_delete = fake_delete,
	.expect_batch = fake_batch,
};

const struct rtp_kernel_ops fake_ops_single = {
	.expect_create = fake_create,
	.expect_delete = fake_delete,
};

void fake_reset(struct fake_kernel *k)
{
	memset(k, 0, sizeof(*k));
}

/* ip of either family (the fuzzers link this file without scene.c). */
static struct sipalg_addr fake_addr(const char *ip)
{
	struct sipalg_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(ip, ':')) {
		a.family = AF_INET6;
		inet_pton(AF_INET6, ip, &a.ip6);
	} else {
		inet_pton(AF_INET, ip, &a.ip);
	}
	return a;
}

const struct rtp_expect *fake_find_dst(const struct fake_kernel *k, const char *ip,
				       unsigned port)
{
	struct sipalg_addr a = fake_addr(ip);
	unsigned i;

	for (i = 0; i < k->n_live; i++)
		if (sipalg_addr_same_ip(&k->live[i].dst, &a) && k->live[i].dst.port == port)
			return &k->live[i];
	return NULL;
}

const struct rtp_expect *fake_find_src(const struct fake_kernel *k, const char *ip,
				       unsigned port)
{
	struct sipalg_addr a = fake_addr(ip);
	unsigned i;

	for (i = 0; i < k->n_live; i++)
		if (!k->live[i].src_any_addr && !k->live[i].src_any_port &&
		    sipalg_addr_same_ip(&k->live[i].src, &a) && k->live[i].src.port == port)
			return &k->live[i];
	return NULL;
}

void fake_consume_all(struct fake_kernel *k)
{
	k->n_live = 0;
}

unsigned fake_count(const struct fake_kernel *k, char op)
{
	unsigned i, n = 0;

	for (i = 0; i < k->n_calls; i++)
		n += k->calls[i].op == op;
	return n;
}
