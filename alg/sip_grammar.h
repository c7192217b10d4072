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

/* The Via parameters we rewrite, as the grammar read them: the first of
 * each name (any case); bit k of found set when VIA_P_k is there, its value
 * at off[k] (len[k] 0 when it has none). */
enum { ALG_VIA_RECEIVED, ALG_VIA_RPORT, ALG_VIA_MADDR, ALG_VIA_NPARAMS };
struct alg_via_params {
	unsigned found;
	size_t off[ALG_VIA_NPARAMS], len[ALG_VIA_NPARAMS];
};

/*
 * One via-parm (one element of a Via header, trimmed):
 *   sent-protocol LWS sent-by *( SEMI via-params )
 * with token parameter names and unquoted values (no "()<>"). True, *hp =
 * sent-by and *vp = received/rport/maddr when s[0,n) meets it.
 */
bool alg_via_grammar(const char *s, size_t n, struct alg_hostport *hp,
		     struct alg_via_params *vp);

/*
 * A fast path for one element of a URI header (Contact, From, To, Route,
 * Record-Route) in its common forms only:
 *   [ display-name ] "<" sip-uri ">" *( SEMI param )  or  sip-uri *( SEMI param )
 * display-name a quoted string without escapes or tokens; sip-uri "sip:" or
 * "sips:" [ user [ ":" password ] "@" ] host [ ":" port ] *( ";" uri-param )
 * with plain characters (no '?' headers, no escapes outside %HH); params
 * token [ "=" ( token / host / quoted string ) ]. True and *hp = the URI's
 * host[:port] when s[0,n) is such an element. False says nothing: the
 * caller judges the element the slow way (libosip2), as before.
 */
bool alg_uri_elem_fast(const char *s, size_t n, struct alg_hostport *hp);

/* The same fast path for a bare sip-uri with uri-params (a Request-URI). */
bool alg_sip_uri_fast(const char *s, size_t n, struct alg_hostport *hp);

#endif
