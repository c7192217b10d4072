/*
 * fuzz_sdp_grammar.c - differential fuzzer: the strict SDP grammar
 * (alg/sdp_grammar.c) against the libosip2 gate it replaced.
 *
 * The whole input is an SDP body. What the engine used to require before an
 * SDP edit, rebuilt here exactly: no malformed m= line (fewer than four
 * fields, a doubled space, a tab), then sdp_message_parse() accepting the
 * SDP without its untouched a= lines (CRLF appended when the last line has
 * none, zero padding after), with as many m= streams as our scanner counts
 * lines starting "m=". The invariant: whatever the grammar accepts, that
 * gate accepted too (the grammar only ever narrows what gets rewritten).
 * FUZZ_SDP_VERBOSE=1 prints both verdicts per input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_list.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/sdp_message.h>

#include "sdp_grammar.h"

#define PAD 16

static size_t count_fields(const char *s, size_t n)
{
	size_t i = 0, k = 0;

	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= n)
			break;
		k++;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
	}
	return k;
}

/* The old gate: alg/sdp.c validate() and its bad_mline check, before the grammar. */
static bool osip_gate(const char *sdp, size_t len)
{
	sdp_message_t *msg = NULL;
	char *copy = malloc(len + 2 + PAD);
	size_t n = 0, pos = 0;
	unsigned m_lines = 0;
	bool ok;

	if (!copy)
		abort();
	while (pos < len) {
		const char *lf = memchr(sdp + pos, '\n', len - pos);
		size_t stop = lf ? (size_t)(lf - sdp) + 1 : len;
		size_t cn = (lf ? (size_t)(lf - sdp) : len) - pos;

		if (cn && sdp[pos + cn - 1] == '\r')
			cn--;
		if (cn >= 2 && sdp[pos] == 'm' && sdp[pos + 1] == '=') {
			m_lines++;
			if (count_fields(sdp + pos + 2, cn - 2) < 4 ||
			    memmem(sdp + pos + 2, cn - 2, "  ", 2) || memchr(sdp + pos + 2, '\t', cn - 2)) {
				free(copy);
				return false;
			}
		}
		/* untouched_attribute() saw the line with its LF */
		if (!(stop - pos >= 2 && sdp[pos] == 'a' && sdp[pos + 1] == '=' &&
		      !(stop - pos >= 7 && strncasecmp(sdp + pos + 2, "rtcp:", 5) == 0))) {
			memcpy(copy + n, sdp + pos, stop - pos);
			n += stop - pos;
		}
		pos = stop;
	}
	if (n && copy[n - 1] != '\n') {
		copy[n++] = '\r';
		copy[n++] = '\n';
	}
	memset(copy + n, 0, PAD);
	ok = sdp_message_init(&msg) == 0 && sdp_message_parse(msg, copy) == 0 &&
	     (unsigned)osip_list_size(&msg->m_medias) == m_lines;
	if (msg)
		sdp_message_free(msg);
	free(copy);
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
	const char *sdp = (const char *)data;
	bool strict = alg_sdp_grammar_ok(sdp, size);
	bool osip;

	/* libosip2 reads C strings: an SDP with a NUL in a line it is handed
	 * was judged on its first part only; the grammar refuses NULs there. */
	osip = osip_gate(sdp, size);
	if (getenv("FUZZ_SDP_VERBOSE"))
		fprintf(stderr, "grammar %s, libosip2 gate %s\n", strict ? "accepts" : "refuses",
			osip ? "accepts" : "refuses");
	if (strict && !osip) {
		fprintf(stderr, "the grammar accepts an SDP the libosip2 gate refused:\n%.*s\n",
			(int)size, sdp);
		abort();
	}
	return 0;
}
