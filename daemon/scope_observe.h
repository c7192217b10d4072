/*
 * scope_observe.h - the daemon's side of mode = observe (nat/observe.h) and
 * of [netfilter] interfaces / exclude (nat/scope.h): hand them to the packet
 * path, say them in the log and in the status.
 */
#ifndef SIPALGD_SCOPE_OBSERVE_H
#define SIPALGD_SCOPE_OBSERVE_H

#include <stdio.h>

#include "config.h"
#include "packet_path.h"
#include "report_fmt.h"

/* At start and on every reload: p reads cfg's scope and mode from now on (logged once). */
void scope_observe_apply(struct nat_path *p, const struct sipalgd_config *cfg);

/* The status section (text or JSON, report_fmt.h): the mode and the counters of both. */
void scope_observe_status(struct rep *r, const struct nat_counters *c,
			  const struct sipalgd_config *cfg);

#endif
