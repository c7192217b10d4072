/*
 * sip_grammar.h - strict RFC 3261 grammar for the header values we rewrite
 * (sip_grammar.c): pure text, no plan, so that the differential fuzzer can
 * hold it against libosip2. CR and LF count as white space: a folded value
 * is judged as it stands in the message, without a copy.
 */
#ifndef ALG_SIP_GRAMMAR_H
#define ALG_SIP_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>

/* Where host[:port] sits in the text judged (offsets from its start). */
struct alg_hostport {
	size_t host_off, host_len;
	size_t port_off, port_len;
	bool has_port;
	size_t end;			/* just after the token */
};

/*
 * One via-parm (one element of a Via header, trimmed):
 *   sent-protocol LWS sent-by *( SEMI via-params )
 * with token parameter names and unquoted values (no "()"). True and *hp = sent-by when
 * s[0,n) meets it.
 */
bool alg_via_grammar(const char *s, size_t n, struct alg_hostport *hp);

#endif
