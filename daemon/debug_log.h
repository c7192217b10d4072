/*
 * debug_log.h - log_level = debug: one line per rewritten SIP message (who,
 * which message, what changed) and one per pinhole created or removed (the
 * tuple, the NAT target, why).
 *
 * A SIP flood must not fill the disk: these lines share one token bucket,
 * DEBUG_BURST lines at once and DEBUG_PER_S a second after that (about
 * 12 KB/s of log at most); what the bucket refuses is counted and said in one
 * line when lines flow again. At other levels the hooks return at once.
 */
#ifndef SIPALGD_DEBUG_LOG_H
#define SIPALGD_DEBUG_LOG_H

#include <stdbool.h>

#include "binding.h"
#include "rtp.h"
#include "sipalg.h"

#define DEBUG_BURST	500
#define DEBUG_PER_S	50

/* nat_path's on_rewrite hook (arg unused). */
void debug_log_rewrite(void *arg, const struct nat_flow *flow, bool tcp,
		       const struct sipalg_result *res);
/* rtp_table_set_log's hook (arg unused). */
void debug_log_pinhole(void *arg, bool create, const struct rtp_expect *e, int err,
		       const char *why);

#endif
