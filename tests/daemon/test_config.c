/*
 * test_config.c - config_load(): the shipped file, values, and every class of
 * error with the line number it must name.
 *
 *   test_config SHIPPED.conf
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "test_check.h"


static char tmpfile_path[64];

static const char *write_tmp(const char *text)
{
	FILE *f = fopen(tmpfile_path, "w");

	if (!f) {
		perror(tmpfile_path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	return tmpfile_path;
}

/* Loads text; expects success. */
static int load_ok(const char *text, struct sipalgd_config *cfg)
{
	char err[640];
	int rc = config_load(write_tmp(text), cfg, err, sizeof(err));

	CHECK(rc == 0, "expected OK, got: %s\n--- config:\n%s", err, text);
	return rc;
}

/* Expects failure at line, with the message containing needle. */
static void load_bad(const char *text, int line, const char *needle)
{
	struct sipalgd_config cfg;
	char err[640], prefix[128];
	int rc = config_load(write_tmp(text), &cfg, err, sizeof(err));

	snprintf(prefix, sizeof(prefix), "%s:%d: ", tmpfile_path, line);
	CHECK(rc == -1, "expected an error at line %d, got OK\n--- config:\n%s", line, text);
	if (rc != -1)
		return;
	CHECK(strncmp(err, prefix, strlen(prefix)) == 0,
	      "expected '%s...', got '%s'\n--- config:\n%s", prefix, err, text);
	CHECK(strstr(err, needle) != NULL, "expected '%s' in '%s'", needle, err);
}

#define SAME(field) CHECK(a->field == b->field, "shipped config: " #field " differs from the default")

/* configs/sipalgd.conf documents the defaults: loading it must change nothing. */
static void test_shipped(const char *shipped)
{
	struct sipalgd_config def, file;
	const struct sipalgd_config *a = &def, *b = &file;
	char err[640];

	config_default(&def);
	CHECK(config_load(shipped, &file, err, sizeof(err)) == 0, "%s", err);
	SAME(sw.enabled); SAME(sw.request_uri); SAME(sw.via); SAME(sw.contact);
	SAME(sw.record_route); SAME(sw.route); SAME(sw.from_to); SAME(sw.sdp_origin);
	SAME(sw.sdp_connection); SAME(sw.sdp_media_port); SAME(sw.sdp_rtcp);
	SAME(rtp.expectations); SAME(rtp.rtcp); SAME(rtp.wide_source);
	SAME(rtp.port_min); SAME(rtp.port_max); SAME(rtp.expect_timeout);
	SAME(rtp.dialog_timeout); SAME(rtp.max_dialogs); SAME(rtp.max_streams);
	SAME(rtp.min_inside_port); SAME(rtp.early_timeout); SAME(rtp.max_dialogs_per_host);
	SAME(rtp.max_pairs_per_host);
	SAME(drop_unexpected_media);
	CHECK(!strcmp(a->rtp.expect_fn, b->rtp.expect_fn), "shipped: expect_fn differs");
	SAME(queue_num); SAME(n_sip_ports); SAME(sip_ports[0]); SAME(udp); SAME(tcp);
	CHECK(!strcmp(a->helper_name, b->helper_name), "shipped: helper differs");
	SAME(install_rules); SAME(degraded_ok); SAME(queue_maxlen); SAME(rcvbuf_bytes);
	SAME(overload_pass); SAME(observe);
	CHECK(!memcmp(&a->scope, &b->scope, sizeof(a->scope)), "shipped: interfaces/exclude differ");
	SAME(max_expected); SAME(expect_policy_timeout); SAME(registration_timeout);
	SAME(registration_timeout_max);
	CHECK(!strcmp(a->user, b->user), "shipped: user differs");
	CHECK(!strcmp(a->status_socket, b->status_socket), "shipped: status_socket differs");
	SAME(log_syslog); SAME(log_level);
}

static void test_values(void)
{
	struct sipalgd_config c;

	/* Every boolean spelling, both ways. */
	static const char *yes[] = { "yes", "YES", "true", "True", "on", "1" };
	static const char *no[] = { "no", "No", "false", "FALSE", "off", "0" };
	for (size_t i = 0; i < 6; i++) {
		char text[128];
		snprintf(text, sizeof(text), "[rewrite]\nfrom_to = %s\nvia = %s\n", yes[i], no[i]);
		if (load_ok(text, &c) == 0)
			CHECK(c.sw.from_to && !c.sw.via, "booleans %s/%s", yes[i], no[i]);
	}

	/* Every switch named in the issue can be turned off from the file. */
	if (load_ok("[general]\nenabled = no\n"
		    "[rewrite]\nrequest_uri = no\nvia = no\ncontact = no\nrecord_route = no\n"
		    "route = no\nfrom_to = no\nsdp_origin = no\nsdp_connection = no\n"
		    "sdp_media_port = no\nsdp_rtcp = no\n"
		    "[media]\nexpectations = no\nrtcp = no\nwide_source = yes\n"
		    "drop_unexpected_media = no\n"
		    "[netfilter]\nudp = yes\ntcp = no\ndegraded_ok = yes\ninstall_rules = no\n"
		    "[limits]\nregistration_timeout = no\n", &c) == 0) {
		const struct sipalg_switches *s = &c.sw;
		CHECK(!s->enabled && !s->request_uri && !s->via && !s->contact &&
		      !s->record_route && !s->route && !s->from_to && !s->sdp_origin &&
		      !s->sdp_connection && !s->sdp_media_port && !s->sdp_rtcp, "switches off");
		CHECK(!c.rtp.expectations && !c.rtp.rtcp && c.rtp.wide_source &&
		      !c.drop_unexpected_media, "media switches");
		CHECK(c.udp && !c.tcp && c.degraded_ok && !c.install_rules && !c.registration_timeout,
		      "netfilter/limits switches");
	}

	if (load_ok("; comment\n# comment too\n\n[netfilter]\n"
		    "sip_ports = 5060, 5080-5082 ; inline comment\n"
		    "queue = 65535\nhelper = my-alg_1\nrcvbuf = 4M\nqueue_maxlen = 64\n"
		    "[media]\nport_min = 20000\nport_max = 20001\nmax_streams = 16\n"
		    "expect_function = none\n"
		    "[limits]\nmax_expected = 255\n"
		    "[general]\nuser =\nlog = syslog\nlog_level = debug\n"
		    "status_socket = /tmp/x.sock\n", &c) == 0) {
		CHECK(c.n_sip_ports == 4 && c.sip_ports[0] == 5060 && c.sip_ports[1] == 5080 &&
		      c.sip_ports[3] == 5082, "sip_ports list/range");
		CHECK(config_is_sip_port(&c, 5081) && !config_is_sip_port(&c, 5061), "is_sip_port");
		CHECK(c.queue_num == 65535 && !strcmp(c.helper_name, "my-alg_1"), "queue/helper");
		CHECK(c.rcvbuf_bytes == 4u << 20 && c.queue_maxlen == 64, "rcvbuf/maxlen");
		CHECK(c.rtp.port_min == 20000 && c.rtp.port_max == 20001, "port range");
		CHECK(c.rtp.expect_fn[0] == '\0', "expect_function none");
		CHECK(c.user[0] == '\0' && c.log_syslog && c.log_level == LOG_DEBUG, "general");
		CHECK(!strcmp(c.status_socket, "/tmp/x.sock"), "status_socket");
	}
	if (load_ok("[netfilter]\nrcvbuf = 65536\n[media]\nexpect_function = nat-follow-master\n", &c) == 0)
		CHECK(c.rcvbuf_bytes == 65536 && !strcmp(c.rtp.expect_fn, "nat-follow-master"),
		      "rcvbuf bytes / nat-follow-master");
	/* overload: drop by default; pass on request */
	if (load_ok("", &c) == 0)
		CHECK(!c.overload_pass, "overload defaults to drop");
	if (load_ok("[netfilter]\noverload = PASS\n", &c) == 0)
		CHECK(c.overload_pass, "overload = pass");
	if (load_ok("[netfilter]\noverload = drop\n", &c) == 0)
		CHECK(!c.overload_pass, "overload = drop");
	/* mode and scope: rewrite everywhere by default (today's behaviour) */
	if (load_ok("[general]\nenabled = yes\n", &c) == 0)
		CHECK(!c.observe && nat_scope_is_default(&c.scope), "mode = rewrite, no scope by default");
	if (load_ok("[general]\nmode = Observe\n[netfilter]\ninterfaces = wan0, ppp+\n"
		    "exclude = wg0, 10.8.0.0/24\n", &c) == 0)
		CHECK(c.observe && c.scope.n_ifaces == 2 && c.scope.n_ex_ifaces == 1 &&
		      c.scope.n_ex_nets == 1 && c.scope.ex_nets[0].prefix == 24,
		      "mode = observe, interfaces and exclude read");
	/* An empty file is the defaults. */
	load_ok("", &c);
}

static void test_errors(void)
{
	/* unknown section: at its own line, even with no keys in it */
	load_bad("[general]\nenabled = yes\n[bogus]\n", 3, "unknown section [bogus]");
	load_bad("[general]\n\n[Media]\nrtcp = yes\n", 3, "unknown section [Media]");
	/* unknown key names the section's keys */
	load_bad("[rewrite]\nvia = yes\nvias = yes\n", 3, "unknown key 'vias'");
	load_bad("[rewrite]\nvias = yes\n", 2, "expected one of: request_uri");
	/* a key outside any section */
	load_bad("enabled = yes\n", 1, "outside any section");
	/* bad booleans */
	load_bad("[general]\nenabled = maybe\n", 2, "bad boolean 'maybe'");
	load_bad("[media]\n\n\nrtcp = 2\n", 4, "expected yes/no");
	load_bad("[netfilter]\nudp = yes # not a comment here\n", 2, "bad boolean");
	/* numbers: not a number, out of range */
	load_bad("[netfilter]\nqueue = 65536\n", 2, "out of range (expected 0..65535)");
	load_bad("[netfilter]\nqueue = -1\n", 2, "not a number");
	load_bad("[netfilter]\nqueue = 12abc\n", 2, "not a number");
	load_bad("[limits]\nmax_expected = 256\n", 2, "out of range (expected 1..255)");
	load_bad("[media]\nmax_streams = 0\n", 2, "out of range");
	load_bad("[media]\n\nmin_inside_port = 0\n", 3, "out of range");
	load_bad("[media]\nearly_timeout = 5\n", 2, "out of range");
	load_bad("[media]\nmax_dialogs_per_host = none\n", 2, "not a number");
	load_bad("[media]\nmax_pairs_per_host = 40000\n", 2, "out of range");
	load_bad("[netfilter]\nrcvbuf = 2G\n", 2, "out of range");
	load_bad("[netfilter]\nrcvbuf = 4X\n", 2, "not a size");
	load_bad("[netfilter]\noverload = open\n", 2, "expected drop or pass");
	load_bad("[general]\nmode = dry-run\n", 2, "expected rewrite or observe");
	load_bad("[netfilter]\n\nexclude = 10.8.0.1/24\n", 3, "host bits");
	load_bad("[netfilter]\ninterfaces = wan 0\n", 2, "bad interface name 'wan 0'");
	/* port ranges: RTP even, min < max, SIP ports apart from media */
	load_bad("[media]\nport_min = 10001\n", 2, "odd (expected an even port");
	load_bad("[media]\nport_max = 30000\nport_min = 30000\n", 3, "not below port_max");
	load_bad("[media]\nport_min = 16000\n\nport_max = 12000\n", 4, "not below port_max");
	load_bad("[media]\nport_max = 9000\n", 2, "not below port_max");
	load_bad("[media]\nport_min = 1000\n", 2, "out of range (expected 1024..65534)");
	load_bad("[netfilter]\nsip_ports = 5060-5050\n", 2, "bad port or range");
	load_bad("[netfilter]\nsip_ports = 5060, 5060\n", 2, "listed twice");
	load_bad("[netfilter]\nsip_ports = 0\n", 2, "bad port or range");
	load_bad("[netfilter]\nsip_ports = 5060,\n", 2, "comma-separated");
	load_bad("[netfilter]\nsip_ports = 5000-5100\n", 2, "too many ports");
	load_bad("[media]\nport_min = 10000\n[netfilter]\nsip_ports = 12000\n", 4,
		 "lies in the media port range");
	/* transports, helper, log, paths */
	load_bad("[netfilter]\nudp = no\ntcp = no\n", 3, "both off");
	load_bad("[netfilter]\nhelper = sip\n", 2, "kernel's own SIP helper");
	load_bad("[netfilter]\nhelper = a.b\n", 2, "has a '.'");
	load_bad("[netfilter]\nhelper = abcdefghijklmnop\n", 2, "too long");
	load_bad("[general]\nlog = file\n", 2, "expected stderr or syslog");
	load_bad("[general]\nlog_level = verbose\n", 2, "expected error, warning, info or debug");
	load_bad("[general]\nstatus_socket = run/x.sock\n", 2, "absolute path");
	load_bad("[media]\nexpect_function = follow\n", 2, "not an expect function");
	/* syntax: inih's own errors keep their line */
	load_bad("[general]\nenabled = yes\njust words\n", 3, "syntax error");
	load_bad("[general\nenabled = yes\n", 1, "syntax error");
	/* a key twice */
	load_bad("[general]\nuser = a\n[rewrite]\nvia = yes\n[general]\nuser = b\n", 6,
		 "set twice (first at line 2");
	/* the FIRST error wins, wherever the checks run */
	load_bad("[media]\nport_max = 9000\nport_min = 10001\n[netfilter]\nqueue = x\n", 3, "odd");
	load_bad("[netfilter]\nqueue = x\n[media]\nport_max = 9000\n", 2, "not a number");
	load_bad("[general]\nfoo = 1\nbar = 2\n", 2, "unknown key 'foo'");
	/* overlong line */
	char longline[400];
	snprintf(longline, sizeof(longline), "[general]\nuser = %0300d\n", 7);
	load_bad(longline, 2, "line too long");
	/* a missing file */
	struct sipalgd_config c;
	char err[256];
	CHECK(config_load("/nonexistent/sipalgd.conf", &c, err, sizeof(err)) == -1 &&
	      strstr(err, "/nonexistent/sipalgd.conf: cannot open"), "missing file: %s", err);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: test_config SHIPPED.conf\n");
		return 2;
	}
	snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/sipalgd-cfgtest-XXXXXX");
	fd = mkstemp(tmpfile_path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_shipped(argv[1]);
	test_values();
	test_errors();
	unlink(tmpfile_path);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("config: all checks passed\n");
	return 0;
}
