/* headers.h - the rewrites of the header section (headers.c). */
#ifndef ALG_HEADERS_H
#define ALG_HEADERS_H

#include "plan.h"
#include "scan.h"

int alg_rewrite_request_uri(struct alg_plan *p, struct alg_span uri);
int alg_rewrite_via(struct alg_plan *p, struct alg_span elem);
int alg_rewrite_uri_header(struct alg_plan *p, struct alg_span elem,
			   enum alg_hdr_kind kind);

#endif
