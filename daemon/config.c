/*
 * config.c - defaults and the INI loader (libinih).
 *
 * Every key is one row of a table: section, name, a small parse_*() validator
 * and where the value goes. A validator explains what it wanted; the loader
 * adds "FILE:LINE: [section] key" in front. Of all errors in a file, the one
 * with the lowest line number is reported, so the operator fixes the file top
 * to bottom.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <ini.h>

#include "log.h"

void config_default(struct sipalgd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	sipalg_switches_default(&cfg->sw);
	rtp_config_default(&cfg->rtp);
	cfg->drop_unexpected_media = true;
	cfg->queue_num = 0;
	cfg->sip_ports[0] = SIPALG_DEFAULT_PORT;
	cfg->n_sip_ports = 1;
	cfg->udp = true;
	cfg->tcp = true;
	snprintf(cfg->helper_name, sizeof(cfg->helper_name), "sipalg");
	cfg->install_rules = true;
	cfg->degraded_ok = false;
	cfg->queue_maxlen = 8192;
	cfg->rcvbuf_bytes = 8u << 20;
	cfg->overload_pass = false;
	cfg->workers = 1;
	cfg->max_expected = 255;
	cfg->expect_policy_timeout = 300;
	cfg->registration_timeout = true;
	cfg->registration_timeout_max = 7200;
	/* the same as nat_tcp_limits_default() */
	cfg->tcp_hold_ms = 500;
	cfg->tcp_stream_bytes = 256u << 10;
	cfg->tcp_total_bytes = 8u << 20;
	cfg->tcp_max_streams = 16384;
	cfg->tcp_idle_timeout = 7200;
	snprintf(cfg->user, sizeof(cfg->user), "nobody");
	snprintf(cfg->status_socket, sizeof(cfg->status_socket),
		 "/run/sipalgd/status.sock");
	snprintf(cfg->state_file, sizeof(cfg->state_file), "/run/sipalgd/dialogs");
	cfg->log_syslog = false;
	cfg->log_level = LOG_INFO;
}

bool config_is_sip_port(const struct sipalgd_config *cfg, uint16_t port)
{
	for (unsigned i = 0; i < cfg->n_sip_ports; i++)
		if (cfg->sip_ports[i] == port)
			return true;
	return false;
}

/* ---- validators: 0 or -1 with why filled ------------------------------- */

struct key;
typedef int (*parse_fn)(const char *v, void *field, const struct key *k,
			char *why, size_t n);

struct key {
	const char *section;
	const char *name;
	parse_fn parse;
	size_t offset;
	size_t size;		/* of the member: numbers are stored at its width */
	unsigned long min, max;	/* numbers: range; strings: max length */
};

static int parse_bool(const char *v, void *field, const struct key *k,
		      char *why, size_t n)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };

	(void)k;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*(bool *)field = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*(bool *)field = false;
			return 0;
		}
	}
	snprintf(why, n, "bad boolean '%s' (expected yes/no, true/false, on/off or 1/0)", v);
	return -1;
}

/* Plain decimal, no sign, no spaces; range-checked. */
static int parse_number(const char *v, unsigned long *out, const struct key *k,
			char *why, size_t n)
{
	char *end;
	unsigned long x;

	if (!isdigit((unsigned char)v[0])) {
		snprintf(why, n, "'%s' is not a number (expected an integer %lu..%lu)",
			 v, k->min, k->max);
		return -1;
	}
	errno = 0;
	x = strtoul(v, &end, 10);
	if (*end != '\0') {
		snprintf(why, n, "'%s' is not a number (expected an integer %lu..%lu)",
			 v, k->min, k->max);
		return -1;
	}
	if (errno == ERANGE || x < k->min || x > k->max) {
		snprintf(why, n, "%s is out of range (expected %lu..%lu)", v, k->min, k->max);
		return -1;
	}
	*out = x;
	return 0;
}

/* Store a range-checked number at the width of the member (uint16_t or 32 bits). */
_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned members are stored as uint32_t");
static void store_unsigned(void *field, const struct key *k, unsigned long x)
{
	if (k->size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)x;
	else
		*(uint32_t *)field = (uint32_t)x;
}

static int parse_unsigned(const char *v, void *field, const struct key *k,
			  char *why, size_t n)
{
	unsigned long x;

	if (parse_number(v, &x, k, why, n) < 0)
		return -1;
	store_unsigned(field, k, x);
	return 0;
}

/* RTP takes the even port of a pair, RTCP the odd one above it. */
static int parse_even_port(const char *v, void *field, const struct key *k,
			   char *why, size_t n)
{
	unsigned long x;

	if (parse_number(v, &x, k, why, n) < 0)
		return -1;
	if (x % 2) {
		snprintf(why, n, "%lu is odd (expected an even port: RTP uses the even port of a pair, RTCP the odd one above)", x);
		return -1;
	}
	store_unsigned(field, k, x);
	return 0;
}

/* Bytes, with an optional binary suffix: 4M, 512K. */
static int parse_bytes(const char *v, void *field, const struct key *k,
		       char *why, size_t n)
{
	char *end;
	unsigned long long x;

	if (!isdigit((unsigned char)v[0]))
		goto bad;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno == ERANGE)
		goto range;
	if (*end && !end[1]) {
		switch (toupper((unsigned char)*end)) {
		case 'K': x <<= 10; end++; break;
		case 'M': x <<= 20; end++; break;
		case 'G': x <<= 30; end++; break;
		}
	}
	if (*end)
		goto bad;
	if (x < k->min || x > k->max)
		goto range;
	*(uint32_t *)field = (uint32_t)x;
	return 0;
bad:
	snprintf(why, n, "'%s' is not a size (expected bytes, optionally with K, M or G)", v);
	return -1;
range:
	snprintf(why, n, "%s is out of range (expected %luK..%luM)", v,
		 k->min >> 10, k->max >> 20);
	return -1;
}

/* "5060", "5060, 5080", "5060-5062": at most SIPALGD_MAX_SIP_PORTS ports. */
static int parse_ports(const char *v, void *field, const struct key *k,
		       char *why, size_t n)
{
	struct sipalgd_config *cfg = (struct sipalgd_config *)
		((char *)field - offsetof(struct sipalgd_config, sip_ports));
	uint16_t ports[SIPALGD_MAX_SIP_PORTS];
	unsigned count = 0;
	const char *p = v;

	(void)k;
	for (;;) {
		unsigned long lo, hi;
		char *end;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		lo = strtoul(p, &end, 10);
		hi = lo;
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '-') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			hi = strtoul(p, &end, 10);
			p = end;
		}
		if (lo < 1 || hi > 65535 || lo > hi) {
			snprintf(why, n, "bad port or range in '%s' (expected ports 1..65535, ranges low-high)", v);
			return -1;
		}
		for (unsigned long port = lo; port <= hi; port++) {
			for (unsigned i = 0; i < count; i++) {
				if (ports[i] == port) {
					snprintf(why, n, "port %lu listed twice in '%s' (expected each port once)", port, v);
					return -1;
				}
			}
			if (count == SIPALGD_MAX_SIP_PORTS) {
				snprintf(why, n, "too many ports in '%s' (expected at most %d)",
					 v, SIPALGD_MAX_SIP_PORTS);
				return -1;
			}
			ports[count++] = (uint16_t)port;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p != ',')
			goto bad;
		p++;
	}
	memcpy(cfg->sip_ports, ports, sizeof(ports));
	cfg->n_sip_ports = count;
	return 0;
bad:
	snprintf(why, n, "cannot read '%s' (expected a comma-separated list of ports or low-high ranges, e.g. 5060, 5080-5081)", v);
	return -1;
}

static int parse_string(const char *v, void *field, const struct key *k,
			char *why, size_t n)
{
	if (strlen(v) > k->max) {
		snprintf(why, n, "'%s' is too long (expected at most %lu characters)", v, k->max);
		return -1;
	}
	snprintf((char *)field, k->max + 1, "%s", v);
	return 0;
}

static int parse_path(const char *v, void *field, const struct key *k,
		      char *why, size_t n)
{
	if (v[0] != '/') {
		snprintf(why, n, "'%s' is not an absolute path (expected /...)", v);
		return -1;
	}
	return parse_string(v, field, k, why, n);
}

/* An absolute path, or empty: off (state_file). */
static int parse_path_or_off(const char *v, void *field, const struct key *k,
			     char *why, size_t n)
{
	return v[0] ? parse_path(v, field, k, why, n) : parse_string(v, field, k, why, n);
}

/* The kernel's helper is called "sip": ours must not take its name. */
static int parse_helper_name(const char *v, void *field, const struct key *k,
			     char *why, size_t n)
{
	if (v[0] == '\0') {
		snprintf(why, n, "empty (expected a helper name such as sipalg)");
		return -1;
	}
	for (const char *c = v; *c; c++) {
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_') {
			snprintf(why, n, "'%s' has a '%c' (expected letters, digits, '-' and '_')", v, *c);
			return -1;
		}
	}
	if (strcasecmp(v, "sip") == 0) {
		snprintf(why, n, "'%s' is the kernel's own SIP helper (expected another name, e.g. sipalg)", v);
		return -1;
	}
	return parse_string(v, field, k, why, n);
}

static int parse_log_target(const char *v, void *field, const struct key *k,
			    char *why, size_t n)
{
	(void)k;
	if (strcasecmp(v, "syslog") == 0)
		*(bool *)field = true;
	else if (strcasecmp(v, "stderr") == 0)
		*(bool *)field = false;
	else {
		snprintf(why, n, "'%s' is not a log target (expected stderr or syslog)", v);
		return -1;
	}
	return 0;
}

static int parse_log_level(const char *v, void *field, const struct key *k,
			   char *why, size_t n)
{
	int level = log_level_parse(v);

	(void)k;
	if (level < 0) {
		snprintf(why, n, "'%s' is not a log level (expected error, warning, info or debug)", v);
		return -1;
	}
	*(int *)field = level;
	return 0;
}

static int parse_overload(const char *v, void *field, const struct key *k,
			  char *why, size_t n)
{
	(void)k;
	if (strcasecmp(v, "drop") == 0)
		*(bool *)field = false;
	else if (strcasecmp(v, "pass") == 0)
		*(bool *)field = true;
	else {
		snprintf(why, n, "'%s' is not an overload policy (expected drop or pass)", v);
		return -1;
	}
	return 0;
}

static int parse_mode(const char *v, void *field, const struct key *k,
		      char *why, size_t n)
{
	(void)k;
	if (strcasecmp(v, "observe") == 0)
		*(bool *)field = true;
	else if (strcasecmp(v, "rewrite") == 0)
		*(bool *)field = false;
	else {
		snprintf(why, n, "'%s' is not a mode (expected rewrite or observe)", v);
		return -1;
	}
	return 0;
}

/* The lists themselves are nat/scope.c's: the rules and the packet path read them. */
static int parse_interfaces(const char *v, void *field, const struct key *k,
			    char *why, size_t n)
{
	(void)k;
	return nat_scope_parse_ifaces(v, field, why, n);
}

static int parse_exclude(const char *v, void *field, const struct key *k,
			 char *why, size_t n)
{
	(void)k;
	return nat_scope_parse_exclude(v, field, why, n);
}

/* The kernel's expect functions that NAT an expected flow to the inside host. */
static int parse_expect_fn(const char *v, void *field, const struct key *k,
			   char *why, size_t n)
{
	(void)k;
	if (strcmp(v, "sip") && strcmp(v, "nat-follow-master") && strcmp(v, "none")) {
		snprintf(why, n, "'%s' is not an expect function (expected sip, nat-follow-master or none)", v);
		return -1;
	}
	snprintf((char *)field, sizeof(((struct rtp_config *)0)->expect_fn), "%s",
		 strcmp(v, "none") ? v : "");
	return 0;
}

#define F(member) offsetof(struct sipalgd_config, member), \
	sizeof(((struct sipalgd_config *)0)->member)

static const struct key keys[] = {
	{ "general", "enabled", parse_bool, F(sw.enabled), 0, 0 },
	{ "general", "mode", parse_mode, F(observe), 0, 0 },
	{ "general", "user", parse_string, F(user), 0, SIPALGD_USER_MAX - 1 },
	{ "general", "status_socket", parse_path, F(status_socket), 0, SIPALGD_PATH_MAX - 1 },
	{ "general", "state_file", parse_path_or_off, F(state_file), 0, SIPALGD_PATH_MAX - 1 },
	{ "general", "log", parse_log_target, F(log_syslog), 0, 0 },
	{ "general", "log_level", parse_log_level, F(log_level), 0, 0 },

	{ "rewrite", "request_uri", parse_bool, F(sw.request_uri), 0, 0 },
	{ "rewrite", "via", parse_bool, F(sw.via), 0, 0 },
	{ "rewrite", "contact", parse_bool, F(sw.contact), 0, 0 },
	{ "rewrite", "record_route", parse_bool, F(sw.record_route), 0, 0 },
	{ "rewrite", "route", parse_bool, F(sw.route), 0, 0 },
	{ "rewrite", "from_to", parse_bool, F(sw.from_to), 0, 0 },
	{ "rewrite", "sdp_origin", parse_bool, F(sw.sdp_origin), 0, 0 },
	{ "rewrite", "sdp_connection", parse_bool, F(sw.sdp_connection), 0, 0 },
	{ "rewrite", "sdp_media_port", parse_bool, F(sw.sdp_media_port), 0, 0 },
	{ "rewrite", "sdp_rtcp", parse_bool, F(sw.sdp_rtcp), 0, 0 },

	{ "media", "expectations", parse_bool, F(rtp.expectations), 0, 0 },
	{ "media", "rtcp", parse_bool, F(rtp.rtcp), 0, 0 },
	{ "media", "wide_source", parse_bool, F(rtp.wide_source), 0, 0 },
	{ "media", "port_min", parse_even_port, F(rtp.port_min), 1024, 65534 },
	{ "media", "port_max", parse_unsigned, F(rtp.port_max), 1025, 65535 },
	{ "media", "expect_timeout", parse_unsigned, F(rtp.expect_timeout), 5, 3600 },
	{ "media", "dialog_timeout", parse_unsigned, F(rtp.dialog_timeout), 30, 86400 },
	{ "media", "max_dialogs", parse_unsigned, F(rtp.max_dialogs), 1, 1000000 },
	{ "media", "max_streams", parse_unsigned, F(rtp.max_streams), 1, SIPALG_MAX_MEDIA },
	{ "media", "expect_function", parse_expect_fn, F(rtp.expect_fn), 0, 0 },
	{ "media", "drop_unexpected_media", parse_bool, F(drop_unexpected_media), 0, 0 },
	{ "media", "min_inside_port", parse_unsigned, F(rtp.min_inside_port), 1, 65535 },
	{ "media", "early_timeout", parse_unsigned, F(rtp.early_timeout), 10, 86400 },
	{ "media", "max_dialogs_per_host", parse_unsigned, F(rtp.max_dialogs_per_host), 1, 1000000 },
	{ "media", "max_pairs_per_host", parse_unsigned, F(rtp.max_pairs_per_host), 1, 32768 },

	{ "netfilter", "queue", parse_unsigned, F(queue_num), 0, 65535 },
	{ "netfilter", "sip_ports", parse_ports, F(sip_ports), 0, 0 },
	{ "netfilter", "udp", parse_bool, F(udp), 0, 0 },
	{ "netfilter", "tcp", parse_bool, F(tcp), 0, 0 },
	{ "netfilter", "helper", parse_helper_name, F(helper_name), 0, SIPALGD_HELPER_NAME_MAX - 1 },
	{ "netfilter", "install_rules", parse_bool, F(install_rules), 0, 0 },
	{ "netfilter", "degraded_ok", parse_bool, F(degraded_ok), 0, 0 },
	{ "netfilter", "queue_maxlen", parse_unsigned, F(queue_maxlen), 64, 1048576 },
	{ "netfilter", "rcvbuf", parse_bytes, F(rcvbuf_bytes), 64ul << 10, 1ul << 30 },
	{ "netfilter", "overload", parse_overload, F(overload_pass), 0, 0 },
	{ "netfilter", "workers", parse_unsigned, F(workers), 0, SIPALGD_WORKERS_MAX },
	{ "netfilter", "interfaces", parse_interfaces, F(scope), 0, 0 },
	{ "netfilter", "exclude", parse_exclude, F(scope), 0, 0 },
	{ "netfilter", "no_nat_pinholes", parse_bool, F(scope.no_nat_pinholes), 0, 0 },

	{ "limits", "max_expected", parse_unsigned, F(max_expected), 1, SIPALGD_MAX_EXPECTED_MAX },
	{ "limits", "expect_policy_timeout", parse_unsigned, F(expect_policy_timeout), 1, 86400 },
	{ "limits", "registration_timeout", parse_bool, F(registration_timeout), 0, 0 },
	{ "limits", "registration_timeout_max", parse_unsigned, F(registration_timeout_max), 60, 604800 },

	{ "tcp", "hold_ms", parse_unsigned, F(tcp_hold_ms), 20, 5000 },
	{ "tcp", "stream_bytes", parse_bytes, F(tcp_stream_bytes), 4ul << 10, 16ul << 20 },
	{ "tcp", "total_bytes", parse_bytes, F(tcp_total_bytes), 64ul << 10, 1ul << 30 },
	{ "tcp", "max_streams", parse_unsigned, F(tcp_max_streams), 2, 1000000 },
	{ "tcp", "idle_timeout", parse_unsigned, F(tcp_idle_timeout), 60, 864000 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* The table itself, so that the documentation check (tests/man) reads no copy of it. */
bool config_key_info(size_t i, struct config_key_info *out)
{
	if (i >= N_KEYS)
		return false;
	out->section = keys[i].section;
	out->name = keys[i].name;
	out->numeric = keys[i].parse == parse_unsigned || keys[i].parse == parse_even_port;
	out->min = keys[i].min;
	out->max = keys[i].max;
	return true;
}

static const char *const sections[] = { "general", "rewrite", "media", "netfilter", "limits",
					"tcp" };
#define SECTIONS_EXPECTED "[general], [rewrite], [media], [netfilter], [limits] or [tcp]"

/* ---- the loader ------------------------------------------------------ */

struct load_ctx {
	const char *path;
	FILE *f;
	struct sipalgd_config cfg;
	int line;		/* line the reader handed to inih last */
	bool at_line_start;
	int key_line[N_KEYS];	/* where each key was set, 0 = default */
	int err_line;		/* lowest line with an error, 0 = none */
	char err[512];
};

static void record_error(struct load_ctx *c, int line, const char *fmt, ...)
	SIPALGD_PRINTF(3, 4);

static void record_error(struct load_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line && c->err_line <= line)
		return;
	c->err_line = line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static bool known_section(const char *name)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(name, sections[i]) == 0)
			return true;
	return false;
}

/*
 * inih's reader, wrapped so that we know the line number inside the handler
 * (the Debian build has no INI_HANDLER_LINENO), can refuse lines longer than
 * inih's buffer (it would silently split them) and can check section names
 * even for sections with no keys (inih does not report those).
 */
static char *reader(char *str, int num, void *arg)
{
	struct load_ctx *c = arg;
	char *s, *term;
	size_t len;

	/* prefilled: the last NUL is fgets' own, an earlier one came from the file */
	memset(str, 0xff, (size_t)num);
	s = fgets(str, num, c->f);
	if (!s)
		return NULL;
	len = strlen(s);
	if (c->at_line_start)
		c->line++;
	term = memrchr(str, '\0', (size_t)num);
	if (term && (size_t)(term - str) != len) {
		record_error(c, c->line, "NUL byte in the line (expected text)");
		return NULL;
	}
	c->at_line_start = len > 0 && s[len - 1] == '\n';
	if (!c->at_line_start && !feof(c->f)) {
		record_error(c, c->line, "line too long (expected at most %d characters)", num - 2);
		return NULL;
	}
	const char *p = s;
	if (c->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (close) {
			char name[64];
			const char *b = p + 1, *e = close;
			while (b < e && isspace((unsigned char)*b))
				b++;
			while (e > b && isspace((unsigned char)e[-1]))
				e--;
			snprintf(name, sizeof(name), "%.*s", (int)(e - b), b);
			if (!known_section(name))
				record_error(c, c->line, "unknown section [%s] (expected " SECTIONS_EXPECTED ")", name);
		}
	}
	return s;
}

static int handler(void *arg, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = arg;
	char why[384];

	if (section[0] == '\0') {
		record_error(c, c->line, "'%s' is outside any section (expected a section line such as [general] first)", name);
		return 0;
	}
	if (!known_section(section))
		return 0;	/* reported by the reader at the section line */
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];

		if (strcmp(k->section, section) || strcmp(k->name, name))
			continue;
		if (c->key_line[i]) {
			record_error(c, c->line, "[%s] %s: set twice (first at line %d; expected once)",
				     section, name, c->key_line[i]);
			return 0;
		}
		c->key_line[i] = c->line;
		if (k->parse(value, (char *)&c->cfg + k->offset, k, why, sizeof(why)) < 0) {
			record_error(c, c->line, "[%s] %s: %s", section, name, why);
			return 0;
		}
		return 1;
	}
	/* Name the keys this section does have: the likely typo is among them. */
	char list[300] = "";
	size_t used = 0;
	for (size_t i = 0; i < N_KEYS && used < sizeof(list); i++)
		if (strcmp(keys[i].section, section) == 0)
			used += (size_t)snprintf(list + used, sizeof(list) - used,
						 "%s%s", used ? ", " : "", keys[i].name);
	record_error(c, c->line, "[%s] unknown key '%s' (expected one of: %s)", section, name, list);
	return 0;
}

static int key_index(const char *section, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return (int)i;
	return -1;
}

static int later(int a, int b)
{
	return a > b ? a : b;
}

/* Rules between keys, checked once every key is read. */
static void cross_checks(struct load_ctx *c)
{
	const struct sipalgd_config *cfg = &c->cfg;
	int l_min = c->key_line[key_index("media", "port_min")];
	int l_max = c->key_line[key_index("media", "port_max")];
	int l_ports = c->key_line[key_index("netfilter", "sip_ports")];
	int l_udp = c->key_line[key_index("netfilter", "udp")];
	int l_tcp = c->key_line[key_index("netfilter", "tcp")];
	int l_q = c->key_line[key_index("netfilter", "queue")];
	int l_w = c->key_line[key_index("netfilter", "workers")];

	if ((l_min || l_max) && cfg->rtp.port_max <= cfg->rtp.port_min)
		record_error(c, later(l_min, l_max),
			     "[media] port_min %u is not below port_max %u (expected port_min < port_max: at least one RTP/RTCP pair)",
			     cfg->rtp.port_min, cfg->rtp.port_max);
	for (unsigned i = 0; i < cfg->n_sip_ports; i++) {
		uint16_t p = cfg->sip_ports[i];
		if ((l_ports || l_min || l_max) &&
		    p >= cfg->rtp.port_min && p <= cfg->rtp.port_max)
			record_error(c, later(l_ports, later(l_min, l_max)),
				     "SIP port %u lies in the media port range %u-%u (expected them apart)",
				     p, cfg->rtp.port_min, cfg->rtp.port_max);
	}
	/* workers = 0 becomes the CPU count at start: checked with the widest case */
	if ((l_q || l_w) && (unsigned)cfg->queue_num + (cfg->workers ? cfg->workers : SIPALGD_WORKERS_MAX) - 1 > 65535)
		record_error(c, later(l_q, l_w),
			     "[netfilter] queue %u + workers %u goes past queue 65535 (expected a lower queue)",
			     cfg->queue_num, cfg->workers);
	if ((l_udp || l_tcp) && !cfg->udp && !cfg->tcp)
		record_error(c, later(l_udp, l_tcp),
			     "[netfilter] udp and tcp are both off (expected at least one transport; use [general] enabled = no to turn the ALG off)");
}

/* f: the open file, or NULL when path could not be opened (errno says why). */
static int load_stream(FILE *f, const char *path, struct sipalgd_config *out,
		       char *err, size_t errlen)
{
	struct load_ctx *c = calloc(1, sizeof(*c));
	int rc = -1, first;

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", path);
		if (f)
			fclose(f);
		return -1;
	}
	c->path = path;
	c->at_line_start = true;
	config_default(&c->cfg);
	c->f = f;
	if (!c->f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	first = ini_parse_stream(reader, c, handler, c);
	if (ferror(c->f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (first > 0)	/* inih's own complaint: a line it could not split */
		record_error(c, first, "syntax error (expected [section], key = value, or a comment starting with ; or #)");
	else if (first < 0)
		record_error(c, 1, "inih could not allocate memory");
	cross_checks(c);
	if (c->err_line) {
		snprintf(err, errlen, "%s:%d: %s", path, c->err_line, c->err);
		goto out;
	}
	*out = c->cfg;
	rc = 0;
out:
	if (c->f)
		fclose(c->f);
	free(c);
	return rc;
}

int config_load(const char *path, struct sipalgd_config *out, char *err, size_t errlen)
{
	return load_stream(fopen(path, "r"), path, out, err, errlen);
}

int config_parse_buffer(const char *name, const char *buf, size_t len,
			struct sipalgd_config *out, char *err, size_t errlen)
{
	/* the very reader config_load uses, over the buffer (fmemopen refuses len 0) */
	return load_stream(len ? fmemopen((void *)buf, len, "r") : fopen("/dev/null", "r"),
			   name, out, err, errlen);
}
