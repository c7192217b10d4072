/* verdict.c - batched NFQUEUE verdicts; see verdict.h. */
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "verdict.h"

/* Headroom for one message without payload: nlmsghdr, nfgenmsg, attrs. */
#define VERDICT_OVERHEAD 128
#define VERDICT_EXTRA_MAX 640	/* room for put_extra: one NFQA_EXP */

int nat_verdicts_init(struct nat_verdicts *v, uint16_t queue, size_t cap,
		      nat_send_fn send, void *send_arg)
{
	*v = (struct nat_verdicts){ .cap = cap, .queue = queue,
				    .send = send, .send_arg = send_arg };
	if (cap < 65535 + VERDICT_OVERHEAD)
		return -EINVAL;
	v->buf = calloc(1, cap);
	return v->buf ? 0 : -ENOMEM;
}

void nat_verdicts_free(struct nat_verdicts *v)
{
	free(v->buf);
	v->buf = NULL;
}

static int send_buffer(struct nat_verdicts *v)
{
	int err;

	if (!v->used)
		return 0;
	err = v->send(v->send_arg, v->buf, v->used);
	if (err == -EINTR || err == -EAGAIN || err == -ENOBUFS)
		err = v->send(v->send_arg, v->buf, v->used);	/* once more: packets wait on these */
	v->sends++;
	if (err)
		v->send_errors++;
	v->used = 0;
	return err;
}

/* Make room for need bytes, sending what is buffered if necessary. */
static int reserve(struct nat_verdicts *v, size_t need)
{
	if (v->cap - v->used >= need)
		return 0;
	return send_buffer(v);
}

static struct nlmsghdr *put_msg(struct nat_verdicts *v, int type)
{
	return nfq_nlmsg_put((char *)v->buf + v->used, type, v->queue);
}

static void commit_msg(struct nat_verdicts *v, struct nlmsghdr *nlh)
{
	v->used += MNL_ALIGN(nlh->nlmsg_len);
}

static int write_pending_accept(struct nat_verdicts *v)
{
	struct nlmsghdr *nlh;
	int err;

	if (!v->accept_pending)
		return 0;
	err = reserve(v, VERDICT_OVERHEAD);
	nlh = put_msg(v, NFQNL_MSG_VERDICT_BATCH);
	nfq_nlmsg_verdict_put(nlh, (int)v->accept_id, NF_ACCEPT);
	commit_msg(v, nlh);
	v->batch_msgs++;
	v->accept_pending = false;
	return err;
}

/*
 * Start packet id's own NFQNL_MSG_VERDICT (accept) with room for room more
 * bytes of attributes; pending batch accepts are written first, so order is
 * kept. *err gets the first send error (the message is built regardless).
 */
static struct nlmsghdr *begin_single(struct nat_verdicts *v, uint32_t id, size_t room, int *err)
{
	struct nlmsghdr *nlh;
	int err2;

	*err = write_pending_accept(v);
	err2 = reserve(v, VERDICT_OVERHEAD + room);
	if (!*err)
		*err = err2;
	nlh = put_msg(v, NFQNL_MSG_VERDICT);
	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	return nlh;
}

static int accept_one(struct nat_verdicts *v, uint32_t id)
{
	int err;
	struct nlmsghdr *nlh = begin_single(v, id, 0, &err);

	commit_msg(v, nlh);
	v->single_msgs++;
	return err;
}

/* Packet id's own attributes (verdict.h: put_extra). */
static bool extra_for(const struct nat_verdicts *v, uint32_t id)
{
	return v->extra_pending && v->extra_id == id && v->put_extra;
}

static void put_extra(struct nat_verdicts *v, struct nlmsghdr *nlh)
{
	v->extra_pending = false;
	if (v->put_extra(v->extra_arg, nlh, v->cap - v->used) == 0)
		v->extra_msgs++;
}

int nat_verdict_accept(struct nat_verdicts *v, uint32_t id)
{
	if (extra_for(v, id))
		return nat_verdict_accept_ct(v, id, 0);
	if (v->held)
		return accept_one(v, id);
	v->accept_pending = true;
	v->accept_id = id;
	return 0;
}

static void put_ct_nest(struct nlmsghdr *nlh, uint32_t ct_timeout)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, NFQA_CT);

	if (ct_timeout)
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(ct_timeout));
	mnl_attr_nest_end(nlh, nest);
}

int nat_verdict_accept_ct(struct nat_verdicts *v, uint32_t id, uint32_t ct_timeout)
{
	bool extra = extra_for(v, id);
	int err;
	struct nlmsghdr *nlh = begin_single(v, id, extra ? VERDICT_EXTRA_MAX : 0, &err);

	put_ct_nest(nlh, ct_timeout);
	if (extra)
		put_extra(v, nlh);
	commit_msg(v, nlh);
	v->ct_msgs++;
	return err;
}

int nat_verdict_payload(struct nat_verdicts *v, uint32_t id,
			const void *pkt, size_t len, bool attach_ct,
			uint32_t ct_timeout)
{
	bool extra = extra_for(v, id);
	struct nlmsghdr *nlh;
	int err;

	if (len > 65535)
		return -EINVAL;
	nlh = begin_single(v, id, MNL_ALIGN(len) + (extra ? VERDICT_EXTRA_MAX : 0), &err);
	nfq_nlmsg_verdict_put_pkt(nlh, pkt, (uint32_t)len);
	if (attach_ct || ct_timeout || extra)
		put_ct_nest(nlh, ct_timeout);
	if (extra)
		put_extra(v, nlh);
	commit_msg(v, nlh);
	v->payload_msgs++;
	return err;
}

void nat_verdict_hold(struct nat_verdicts *v)
{
	v->held++;
}

void nat_verdict_unhold(struct nat_verdicts *v)
{
	if (v->held)
		v->held--;
}

int nat_verdicts_flush(struct nat_verdicts *v)
{
	int err = write_pending_accept(v);
	int err2 = send_buffer(v);

	return err ? err : err2;
}
