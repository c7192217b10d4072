/*
 * sdp_grammar.h - the strict SDP grammar (sdp_grammar.c): pure text, no
 * plan, so that the differential fuzzer can hold it against libosip2.
 */
#ifndef ALG_SDP_GRAMMAR_H
#define ALG_SDP_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>

/* Does sdp[0,len) meet the grammar (the a= lines other than a=rtcp: aside)? */
bool alg_sdp_grammar_ok(const char *sdp, size_t len);

/* Is s[0,n) (one line, no line end) an a= line other than a=rtcp:? */
bool alg_sdp_untouched_attribute(const char *s, size_t n);

#endif
