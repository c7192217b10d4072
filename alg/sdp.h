/* sdp.h - one SDP: facts and the o=/c=/m=/a=rtcp: rewrites (sdp.c). */
#ifndef ALG_SDP_H
#define ALG_SDP_H

#include "plan.h"

int alg_sdp_process(struct alg_plan *p, struct alg_span sdp);

#endif
