/*
 * fuzz_uri_grammar.c - differential fuzzer: the fast path for URI header
 * elements (alg_uri_elem_fast, alg/sip_grammar.c) against libosip2.
 *
 * The whole input is one element of a Contact/From/To/Route/Record-Route
 * header as the engine copies it (CR/LF as spaces). The invariant: whatever
 * the fast path accepts, both osip_contact_parse() (used for Contact) and
 * osip_from_parse() (the others) accept too, with a sip/sips URL whose host
 * and port are the ones the fast path found - the check the slow path makes
 * before any rewrite. The same bytes as a Request-URI (alg_sip_uri_fast)
 * against osip_uri_parse(). FUZZ_URI_VERBOSE=1 prints the verdicts per input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>

#include "sip_grammar.h"

#define ELEM_MAX 4096

static bool same(const char *osip, const char *s, size_t n)
{
	return osip && strlen(osip) == n && strncasecmp(osip, s, n) == 0;
}

static bool url_agrees(const osip_uri_t *url, const char *buf, const struct alg_hostport *hp)
{
	const char *h = buf + hp->host_off;
	size_t hl = hp->host_len;

	if (!url || !url->scheme || (strcasecmp(url->scheme, "sip") && strcasecmp(url->scheme, "sips")))
		return false;
	if (hl >= 2 && h[0] == '[') {	/* libosip2 drops the brackets */
		h++;
		hl -= 2;
	}
	if (!same(url->host, h, hl))
		return false;
	if (hp->has_port)
		return same(url->port, buf + hp->port_off, hp->port_len);
	return url->port == NULL || url->port[0] == '\0';
}

static bool osip_agrees(const char *buf, const struct alg_hostport *hp)
{
	osip_contact_t *c = NULL;
	osip_from_t *f = NULL;
	bool ok;

	if (osip_contact_init(&c) != 0 || osip_from_init(&f) != 0)
		abort();
	ok = osip_contact_parse(c, buf) == 0 && url_agrees(c->url, buf, hp) &&
	     osip_from_parse(f, buf) == 0 && url_agrees(f->url, buf, hp);
	if (getenv("FUZZ_URI_VERBOSE"))
		fprintf(stderr, "libosip2 %s (host '%s' port '%s')\n", ok ? "agrees" : "disagrees",
			c->url && c->url->host ? c->url->host : "-",
			c->url && c->url->port ? c->url->port : "-");
	osip_contact_free(c);
	osip_from_free(f);
	return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	parser_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[ELEM_MAX + 16];
	struct alg_hostport hp;
	size_t i;
	bool fast;

	if (size + 16 >= ELEM_MAX)
		return 0;	/* the engine refuses longer elements before any parse */
	for (i = 0; i < size; i++)
		buf[i] = (data[i] == '\r' || data[i] == '\n') ? ' ' : (char)data[i];
	memset(buf + size, 0, 16);
	fast = alg_uri_elem_fast(buf, size, &hp);
	if (getenv("FUZZ_URI_VERBOSE"))
		fprintf(stderr, "fast path %s\n", fast ? "accepts" : "passes");
	if (fast && !osip_agrees(buf, &hp)) {
		fprintf(stderr, "the fast path accepts an element libosip2 refuses or reads otherwise:\n%.*s\n",
			(int)size, buf);
		abort();
	}
	/* the same bytes as a Request-URI, against osip_uri_parse() */
	if (alg_sip_uri_fast(buf, size, &hp)) {
		osip_uri_t *url = NULL;
		bool ok;

		if (osip_uri_init(&url) != 0)
			abort();
		ok = osip_uri_parse(url, buf) == 0 && url_agrees(url, buf, &hp);
		osip_uri_free(url);
		if (!ok) {
			fprintf(stderr, "the fast path accepts a Request-URI libosip2 refuses or reads otherwise:\n%.*s\n",
				(int)size, buf);
			abort();
		}
	}
	return 0;
}
