/* body.h - where the SDP is in a body (body.c). */
#ifndef ALG_BODY_H
#define ALG_BODY_H

#include "plan.h"

/* Rewrite/report the body msg[body] given the Content-Type value. */
int alg_body_process(struct alg_plan *p, struct alg_span ctype, struct alg_span body);

#endif
