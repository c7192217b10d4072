/* exp_thread.c - see exp_thread.h. */
#include "exp_thread.h"

static _Thread_local struct nat_exp *thread_exp;

void nat_exp_set_thread(struct nat_exp *x)
{
	thread_exp = x;
}

static void *target(void *arg)
{
	return thread_exp ? thread_exp : arg;
}

static int thread_create(void *arg, struct rtp_expect *e)
{
	return nat_exp_ops.expect_create(target(arg), e);
}

static int thread_delete(void *arg, const struct rtp_expect *e)
{
	return nat_exp_ops.expect_delete(target(arg), e);
}

static void thread_batch(void *arg, struct rtp_expect_op *ops, unsigned n)
{
	nat_exp_ops.expect_batch(target(arg), ops, n);
}

const struct rtp_kernel_ops nat_exp_thread_ops = {
	.expect_create = thread_create,
	.expect_delete = thread_delete,
	.expect_batch = thread_batch,
};
