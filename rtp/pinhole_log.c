/*
 * pinhole_log.c - the debug observer of kernel pinhole work (rtp.h
 * rtp_table_set_log). The entry points name why they act (rtp_why); batch_run
 * reports each create/delete with that reason. Nothing is formatted while no
 * observer is set: the packet path pays one branch.
 */
#include <stdarg.h>

#include "rtp_internal.h"

void rtp_table_set_log(struct rtp_table *t, rtp_pinhole_log_fn fn, void *arg)
{
	t->log_fn = fn;
	t->log_arg = arg;
	t->why[0] = '\0';
}

void rtp_why(struct rtp_table *t, const char *fmt, ...)
{
	va_list ap;

	if (!t->log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
}

void rtp_log_ops(struct rtp_table *t, const struct rtp_expect_op *ops, unsigned n)
{
	if (!t->log_fn)
		return;
	for (unsigned i = 0; i < n; i++)
		t->log_fn(t->log_arg, ops[i].create, ops[i].e, ops[i].err,
			  t->why[0] ? t->why : "unknown");
}
