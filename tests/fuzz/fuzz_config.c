/*
 * fuzz_config.c - libFuzzer harness over the config parser
 * (config_parse_buffer: config_load's own reader and key table, over a buffer).
 *
 * Invariants, abort on violation:
 * - the result is 0 or -1, and -1 for an input with a NUL byte (not text);
 * - -1: the error is "NAME:LINE: why" with 1 <= LINE <= the input's lines
 *   and a non-empty why, and *out is left as it was;
 * - 0: every value is within its documented range (configs/sipalgd.conf) and
 *   the cross-key rules hold; written back as a file (the keys below) it
 *   parses again to the same values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "log.h"

#define NAME "fuzz.conf"

#define FAIL(...) do { fprintf(stderr, "fuzz_config: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static size_t lines_of(const uint8_t *d, size_t n)
{
	size_t lines = n && d[n - 1] != '\n';	/* a last line without its newline */

	for (size_t i = 0; i < n; i++)
		lines += d[i] == '\n';
	return lines;
}

static void check_error(const char *err, size_t lines)
{
	const char *p = err;
	char *end;
	unsigned long line;

	if (strncmp(p, NAME ":", strlen(NAME ":")) != 0)
		FAIL("error does not name the file: '%s'", err);
	p += strlen(NAME ":");
	line = strtoul(p, &end, 10);
	if (end == p || line < 1 || line > lines || strncmp(end, ": ", 2) != 0 || end[2] == '\0')
		FAIL("error does not name a line of %zu: '%s'", lines, err);
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

#define RANGE(v, lo, hi) do { if ((unsigned long)(v) < (lo) || (unsigned long)(v) > (hi)) \
	FAIL(#v " = %lu, outside %lu..%lu", (unsigned long)(v), (unsigned long)(lo), (unsigned long)(hi)); } while (0)

static void check_ranges(const struct sipalgd_config *c)
{
	RANGE(c->rtp.port_min, 1024, 65534);
	RANGE(c->rtp.port_max, 1025, 65535);
	if (c->rtp.port_min % 2 || c->rtp.port_min >= c->rtp.port_max)
		FAIL("media ports %u-%u", c->rtp.port_min, c->rtp.port_max);
	RANGE(c->rtp.expect_timeout, 5, 3600);
	RANGE(c->rtp.dialog_timeout, 30, 86400);
	RANGE(c->rtp.max_dialogs, 1, 1000000);
	RANGE(c->rtp.max_streams, 1, SIPALG_MAX_MEDIA);
	if (!terminated(c->rtp.expect_fn, sizeof(c->rtp.expect_fn)) ||
	    (strcmp(c->rtp.expect_fn, "sip") && strcmp(c->rtp.expect_fn, "nat-follow-master") &&
	     c->rtp.expect_fn[0]))
		FAIL("expect_fn '%.*s'", (int)sizeof(c->rtp.expect_fn), c->rtp.expect_fn);
	RANGE(c->n_sip_ports, 1, SIPALGD_MAX_SIP_PORTS);
	for (unsigned i = 0; i < c->n_sip_ports; i++) {
		RANGE(c->sip_ports[i], 1, 65535);
		if (c->sip_ports[i] >= c->rtp.port_min && c->sip_ports[i] <= c->rtp.port_max)
			FAIL("SIP port %u inside the media range", c->sip_ports[i]);
		for (unsigned j = 0; j < i; j++)
			if (c->sip_ports[i] == c->sip_ports[j])
				FAIL("SIP port %u twice", c->sip_ports[i]);
	}
	if (!c->udp && !c->tcp)
		FAIL("neither udp nor tcp");
	if (!terminated(c->helper_name, sizeof(c->helper_name)) || !c->helper_name[0] ||
	    strcasecmp(c->helper_name, "sip") == 0 ||
	    strspn(c->helper_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
		    strlen(c->helper_name))
		FAIL("helper name");
	RANGE(c->rtp.min_inside_port, 1, 65535);
	RANGE(c->rtp.early_timeout, 10, 86400);
	RANGE(c->rtp.max_dialogs_per_host, 1, 1000000);
	RANGE(c->rtp.max_pairs_per_host, 1, 32768);
	RANGE(c->tcp_hold_ms, 20, 5000);
	RANGE(c->tcp_stream_bytes, 4ul << 10, 16ul << 20);
	RANGE(c->tcp_total_bytes, 64ul << 10, 1ul << 30);
	RANGE(c->tcp_max_streams, 2, 1000000);
	RANGE(c->tcp_idle_timeout, 60, 864000);
	RANGE(c->queue_maxlen, 64, 1048576);
	RANGE(c->rcvbuf_bytes, 64ul << 10, 1ul << 30);
	RANGE(c->max_expected, 1, SIPALGD_MAX_EXPECTED_MAX);
	RANGE(c->expect_policy_timeout, 1, 86400);
	RANGE(c->registration_timeout_max, 60, 604800);
	if (!terminated(c->user, sizeof(c->user)))
		FAIL("user not terminated");
	if (!terminated(c->status_socket, sizeof(c->status_socket)) || c->status_socket[0] != '/')
		FAIL("status_socket '%.*s'", (int)sizeof(c->status_socket), c->status_socket);
	if (c->log_level != LOG_ERR && c->log_level != LOG_WARNING && c->log_level != LOG_INFO &&
	    c->log_level != LOG_DEBUG)
		FAIL("log_level %d", c->log_level);
	if (c->foreground)
		FAIL("foreground set by a file");
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

/* The config as a file again: every key this harness knows. */
static size_t write_back(const struct sipalgd_config *c, char *buf, size_t cap)
{
	const struct sipalg_switches *s = &c->sw;
	const struct rtp_config *r = &c->rtp;
	char ports[SIPALGD_MAX_SIP_PORTS * 8] = "";
	size_t used = 0;
	int w;

	for (unsigned i = 0; i < c->n_sip_ports && i < SIPALGD_MAX_SIP_PORTS; i++)
		used += (size_t)snprintf(ports + used, sizeof(ports) - used, "%s%u", i ? ", " : "",
					 c->sip_ports[i]);
	w = snprintf(buf, cap,
		     "[general]\nenabled = %s\nuser = %s\nstatus_socket = %s\nlog = %s\nlog_level = %s\n"
		     "[rewrite]\nrequest_uri = %s\nvia = %s\ncontact = %s\nrecord_route = %s\n"
		     "route = %s\nfrom_to = %s\nsdp_origin = %s\nsdp_connection = %s\n"
		     "sdp_media_port = %s\nsdp_rtcp = %s\n"
		     "[media]\nexpectations = %s\nrtcp = %s\nwide_source = %s\nport_min = %u\n"
		     "port_max = %u\nexpect_timeout = %u\ndialog_timeout = %u\nmax_dialogs = %u\n"
		     "max_streams = %u\nexpect_function = %s\ndrop_unexpected_media = %s\n"
		     "[netfilter]\nqueue = %u\nsip_ports = %s\nudp = %s\ntcp = %s\nhelper = %s\ninstall_rules = %s\n"
		     "degraded_ok = %s\nqueue_maxlen = %u\nrcvbuf = %u\n"
		     "[limits]\nmax_expected = %u\nexpect_policy_timeout = %u\n"
		     "registration_timeout = %s\nregistration_timeout_max = %u\n"
		     "[media]\nmin_inside_port = %u\nearly_timeout = %u\nmax_dialogs_per_host = %u\n"
		     "max_pairs_per_host = %u\n"
		     "[tcp]\nhold_ms = %u\nstream_bytes = %u\ntotal_bytes = %u\nmax_streams = %u\n"
		     "idle_timeout = %u\n",
		     yn(s->enabled), c->user, c->status_socket, c->log_syslog ? "syslog" : "stderr",
		     log_level_name(c->log_level),
		     yn(s->request_uri), yn(s->via), yn(s->contact), yn(s->record_route),
		     yn(s->route), yn(s->from_to), yn(s->sdp_origin), yn(s->sdp_connection),
		     yn(s->sdp_media_port), yn(s->sdp_rtcp),
		     yn(r->expectations), yn(r->rtcp), yn(r->wide_source), r->port_min,
		     r->port_max, r->expect_timeout, r->dialog_timeout, r->max_dialogs,
		     r->max_streams, r->expect_fn[0] ? r->expect_fn : "none", yn(c->drop_unexpected_media),
		     c->queue_num, ports, yn(c->udp), yn(c->tcp), c->helper_name, yn(c->install_rules),
		     yn(c->degraded_ok), c->queue_maxlen, c->rcvbuf_bytes,
		     c->max_expected, c->expect_policy_timeout,
		     yn(c->registration_timeout), c->registration_timeout_max,
		     r->min_inside_port, r->early_timeout, r->max_dialogs_per_host,
		     r->max_pairs_per_host,
		     c->tcp_hold_ms, c->tcp_stream_bytes, c->tcp_total_bytes, c->tcp_max_streams,
		     c->tcp_idle_timeout);
	if (w < 0 || (size_t)w >= cap)
		FAIL("write-back buffer");
	return (size_t)w;
}

#define SAME(f) do { if (a->f != b->f) FAIL("round trip changed " #f); } while (0)
#define SAME_STR(f) do { if (strcmp(a->f, b->f)) FAIL("round trip changed " #f " '%s' -> '%s'", a->f, b->f); } while (0)

static void check_round_trip(const struct sipalgd_config *a)
{
	static char text[8192];
	static struct sipalgd_config again;
	const struct sipalgd_config *b = &again;
	char err[512];
	size_t n = write_back(a, text, sizeof(text));

	if (config_parse_buffer(NAME, text, n, &again, err, sizeof(err)) != 0)
		FAIL("written back, the config does not parse: %s\n%s", err, text);
	SAME(sw.enabled); SAME(sw.request_uri); SAME(sw.via); SAME(sw.contact);
	SAME(sw.record_route); SAME(sw.route); SAME(sw.from_to); SAME(sw.sdp_origin);
	SAME(sw.sdp_connection); SAME(sw.sdp_media_port); SAME(sw.sdp_rtcp);
	SAME(rtp.expectations); SAME(rtp.rtcp); SAME(rtp.wide_source); SAME(rtp.port_min);
	SAME(rtp.port_max); SAME(rtp.expect_timeout); SAME(rtp.dialog_timeout);
	SAME(rtp.max_dialogs); SAME(rtp.max_streams); SAME_STR(rtp.expect_fn);
	SAME(drop_unexpected_media); SAME(queue_num); SAME(n_sip_ports);
	for (unsigned i = 0; i < a->n_sip_ports; i++)
		SAME(sip_ports[i]);
	SAME(udp); SAME(tcp); SAME_STR(helper_name); SAME(install_rules); SAME(degraded_ok);
	SAME(queue_maxlen); SAME(rcvbuf_bytes); SAME(max_expected); SAME(expect_policy_timeout);
	SAME(registration_timeout); SAME(registration_timeout_max);
	SAME_STR(user); SAME_STR(status_socket); SAME(log_syslog); SAME(log_level);
	SAME(rtp.min_inside_port); SAME(rtp.early_timeout); SAME(rtp.max_dialogs_per_host);
	SAME(rtp.max_pairs_per_host); SAME(tcp_hold_ms); SAME(tcp_stream_bytes);
	SAME(tcp_total_bytes); SAME(tcp_max_streams); SAME(tcp_idle_timeout);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct sipalgd_config out, before;
	char err[512];
	int rc;

	if (n > 64 * 1024)
		return 0;
	memset(&out, 0xa5, sizeof(out));
	before = out;
	err[0] = '\0';
	rc = config_parse_buffer(NAME, (const char *)d, n, &out, err, sizeof(err));
	if (rc == -1) {
		check_error(err, lines_of(d, n));
		if (memcmp(&out, &before, sizeof(out)) != 0)
			FAIL("a refused config was written to *out");
		return 0;
	}
	if (rc != 0)
		FAIL("config_parse_buffer returned %d", rc);
	if (memchr(d, '\0', n))	/* not text: a value read up to a NUL is not what the file says */
		FAIL("a config with a NUL byte was taken");
	check_ranges(&out);
	check_round_trip(&out);
	return 0;
}
