/*
 * fuzz_sip_grammar.c - differential fuzzer: the strict Via grammar
 * (alg/sip_grammar.c) against the libosip2 gate it replaced.
 *
 * The whole input is one Via element as the engine hands it over. The old
 * gate, rebuilt here: the element copied with CR/LF as spaces (zero padding
 * after), osip_via_parse() accepting it, and libosip2's host and port equal
 * to the sent-by our scanner located. The invariant: whatever the grammar
 * accepts, osip_via_parse() accepts too, with the host and port the grammar
 * found and the same received=/rport=/maddr= values (so a rewrite never hits
 * a token libosip2 reads as something else).
 * FUZZ_SIP_VERBOSE=1 prints both verdicts per input.
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

/* What libosip2 read of the element, against the grammar's sent-by and
 * the received=/rport=/maddr= values the engine may rewrite. */
static bool osip_agrees(const char *buf, const struct alg_hostport *hp,
			const struct alg_via_params *vp)
{
	static const char *const names[ALG_VIA_NPARAMS] = { "received", "rport", "maddr" };
	unsigned k;
	osip_via_t *via = NULL;
	const char *h = buf + hp->host_off;
	size_t hl = hp->host_len;
	bool ok;

	if (osip_via_init(&via) != 0)
		abort();
	ok = osip_via_parse(via, buf) == 0;
	if (ok && hl >= 2 && h[0] == '[') {	/* libosip2 drops the brackets */
		h++;
		hl -= 2;
	}
	ok = ok && same(via->host, h, hl);
	if (ok && hp->has_port)
		ok = same(via->port, buf + hp->port_off, hp->port_len);
	else if (ok)
		ok = via->port == NULL || via->port[0] == '\0';
	for (k = 0; ok && k < ALG_VIA_NPARAMS; k++) {
		osip_generic_param_t *gp = NULL;

		if (!(vp->found & (1u << k)) || vp->len[k] == 0)
			continue;
		ok = osip_via_param_get_byname(via, (char *)names[k], &gp) == 0 && gp &&
		     same(gp->gvalue, buf + vp->off[k], vp->len[k]);
	}
	if (getenv("FUZZ_SIP_VERBOSE"))
		fprintf(stderr, "libosip2: host '%s' port '%s'\n", via->host ? via->host : "(none)",
			via->port ? via->port : "(none)");
	osip_via_free(via);
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
	const char *s = (const char *)data;
	struct alg_hostport hp;
	struct alg_via_params vp;
	bool strict;
	size_t i;

	if (size >= ELEM_MAX)
		return 0;	/* the engine refuses longer elements before any parse */
	strict = alg_via_grammar(s, size, &hp, &vp);
	if (getenv("FUZZ_SIP_VERBOSE"))
		fprintf(stderr, "grammar %s\n", strict ? "accepts" : "refuses");
	if (!strict)
		return 0;
	for (i = 0; i < size; i++)
		buf[i] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
	memset(buf + size, 0, 16);
	if (!osip_agrees(buf, &hp, &vp)) {
		fprintf(stderr, "the grammar accepts a Via libosip2 refused or reads otherwise:\n%.*s\n",
			(int)size, s);
		abort();
	}
	return 0;
}
