/*
 * golden_runner.c - run every golden case under a directory: each case is a
 * folder holding in.sip, out.sip (expected, byte for byte) and case.ini
 * (binding, direction, switches, expected facts). Prints a diff of the first
 * differing lines on failure. Usage: golden_runner DIR [CASE...]
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sipalg.h"
#include "test_util.h"

struct gcase {
	struct sipalg_ctx ctx;
	struct sipalg_switches sw;
	bool map;
	bool map_ip_set;
	struct sipalg_addr map_ip;	/* the fake map's address, else the binding's */
	unsigned refuse_mask;
	bool map_keep_port;		/* map_port = keep: the map answers the same ports */
	unsigned map_calls;
	char errors[2048];
	size_t elen;
	/* [expect] lines kept for checking after the run */
	char exp_keys[64][48];
	char exp_vals[64][272];
	unsigned n_exp;
};

static void err(struct gcase *c, const char *fmt, const char *a, const char *b)
{
	if (c->elen < sizeof(c->errors))
		c->elen += (size_t)snprintf(c->errors + c->elen, sizeof(c->errors) - c->elen,
					    fmt, a, b);
	if (c->elen > sizeof(c->errors))
		c->elen = sizeof(c->errors);
}

static bool set_switch(struct sipalg_switches *sw, const char *name, bool on)
{
	static const struct { const char *n; size_t off; } tab[] = {
#define S(x) { #x, offsetof(struct sipalg_switches, x) }
		S(enabled), S(request_uri), S(via), S(contact), S(record_route), S(route),
		S(from_to), S(sdp_origin), S(sdp_connection), S(sdp_media_port), S(sdp_rtcp),
#undef S
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].n, name) == 0) {
			*(bool *)((char *)sw + tab[i].off) = on;
			return true;
		}
	return false;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct gcase *c = user;

	if (strcmp(section, "expect") == 0) {
		if (c->n_exp >= 64)
			return 0;
		snprintf(c->exp_keys[c->n_exp], sizeof(c->exp_keys[0]), "%s", name);
		snprintf(c->exp_vals[c->n_exp], sizeof(c->exp_vals[0]), "%s", value);
		c->n_exp++;
		return 1;
	}
	if (strcmp(name, "dir") == 0)
		c->ctx.dir = strcmp(value, "inbound") == 0 ? SIPALG_INBOUND : SIPALG_OUTBOUND;
	else if (strcmp(name, "transport") == 0)
		c->ctx.transport = strcmp(value, "tcp") == 0 ? SIPALG_TCP : SIPALG_UDP;
	else if (strcmp(name, "inside") == 0)
		return tu_parse_addr(value, &c->ctx.binding.inside);
	else if (strcmp(name, "public") == 0)
		return tu_parse_addr(value, &c->ctx.binding.public);
	else if (strcmp(name, "remote") == 0)
		return tu_parse_addr(value, &c->ctx.binding.remote);
	else if (strcmp(name, "listen_port") == 0)
		c->ctx.binding.listen_port = (uint16_t)atoi(value);
	else if (strcmp(name, "map") == 0)
		c->map = strcmp(value, "yes") == 0;
	else if (strcmp(name, "map_ip") == 0) {
		c->map_ip_set = true;
		return tu_parse_addr(value, &c->map_ip);
	} else if (strcmp(name, "map_port") == 0) {
		if (strcmp(value, "keep") != 0 && strcmp(value, "shift") != 0)
			return 0;
		c->map_keep_port = strcmp(value, "keep") == 0;
	} else if (strcmp(name, "refuse") == 0)
		c->refuse_mask |= 1u << atoi(value);
	else if (strcmp(name, "off") == 0 || strcmp(name, "on") == 0) {
		char buf[256], *tok, *save = NULL;

		snprintf(buf, sizeof(buf), "%s", value);
		for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save))
			if (!set_switch(&c->sw, tok, name[1] == 'n'))
				return 0;
	} else if (strcmp(name, "description") != 0 && strcmp(name, "eol") != 0)
		return 0;
	return 1;
}

/* The fake pinhole layer: RTP port p -> p + 2000 so that m= changes show. */
static int fake_map(void *arg, enum sipalg_dir dir, const struct sipalg_facts *msg,
		    unsigned idx, const struct sipalg_media *m,
		    struct sipalg_addr *out, uint16_t *out_rtcp)
{
	struct gcase *c = arg;

	(void)msg;
	c->map_calls++;
	if (idx < 32 && (c->refuse_mask & (1u << idx)))
		return -1;
	{
		uint16_t port = out->port;

		*out = c->map_ip_set ? c->map_ip :
		       dir == SIPALG_OUTBOUND ? c->ctx.binding.public : c->ctx.binding.inside;
		out->port = port;
	}
	if (c->map_keep_port) {
		out->port = m->addr.port;
		*out_rtcp = m->rtcp_port;
		return 0;
	}
	out->port = (uint16_t)(m->addr.port + 2000);
	*out_rtcp = (uint16_t)((m->rtcp_explicit ? m->rtcp_port : m->addr.port + 1) + 2000);
	return 0;
}

static const char *dir_str(enum sipalg_media_dir d)
{
	static const char *n[] = { "sendrecv", "sendonly", "recvonly", "inactive" };
	return n[d];
}

/* The value of a fact named by an [expect] key, as text. */
static bool fact(const struct sipalg_result *r, const struct gcase *c, const char *key,
		 char *out, size_t cap)
{
	const struct sipalg_facts *f = &r->facts;
	unsigned i;
	char field[32];

	if (!strcmp(key, "status")) snprintf(out, cap, "%s", sipalg_status_str(r->status));
	else if (!strcmp(key, "is_request")) snprintf(out, cap, "%d", f->is_request);
	else if (!strcmp(key, "method")) snprintf(out, cap, "%s", f->method);
	else if (!strcmp(key, "status_code")) snprintf(out, cap, "%d", f->status_code);
	else if (!strcmp(key, "cseq")) snprintf(out, cap, "%u", f->cseq);
	else if (!strcmp(key, "call_id")) snprintf(out, cap, "%s", f->call_id);
	else if (!strcmp(key, "from_tag")) snprintf(out, cap, "%s", f->from_tag);
	else if (!strcmp(key, "to_tag")) snprintf(out, cap, "%s", f->to_tag);
	else if (!strcmp(key, "expires")) snprintf(out, cap, "%d", f->expires);
	else if (!strcmp(key, "has_sdp")) snprintf(out, cap, "%d", f->has_sdp);
	else if (!strcmp(key, "n_media")) snprintf(out, cap, "%u", f->n_media);
	else if (!strcmp(key, "n_edits")) snprintf(out, cap, "%u", r->n_edits);
	else if (!strcmp(key, "map_calls")) snprintf(out, cap, "%u", c->map_calls);
	else if (!strncmp(key, "edits.", 6)) {	/* edits.<kind name>: how many */
		unsigned k, n = 0;

		for (k = 0; k < SIPALG_EDIT_KIND_MAX; k++)
			if (!strcmp(key + 6, sipalg_edit_kind_str((enum sipalg_edit_kind)k)))
				break;
		if (k == SIPALG_EDIT_KIND_MAX)
			return false;
		for (i = 0; i < r->n_edits; i++)
			n += r->edits[i].kind == (enum sipalg_edit_kind)k;
		snprintf(out, cap, "%u", n);
	}
	else if (!strcmp(key, "sdp_origin"))
		tu_addr_str(&f->sdp_origin, out, cap, false);
	else if (!strcmp(key, "top_via"))
		tu_addr_str(&f->top_via, out, cap, true);
	else if (sscanf(key, "media%u.%31s", &i, field) == 2 && i < SIPALG_MAX_MEDIA) {
		const struct sipalg_media *m = &f->media[i];

		if (!strcmp(field, "type")) snprintf(out, cap, "%s", m->type);
		else if (!strcmp(field, "proto")) snprintf(out, cap, "%s", m->proto);
		else if (!strcmp(field, "addr"))
			tu_addr_str(&m->addr, out, cap, true);
		else if (!strcmp(field, "rtcp_port")) snprintf(out, cap, "%u", m->rtcp_port);
		else if (!strcmp(field, "rtcp_explicit")) snprintf(out, cap, "%d", m->rtcp_explicit);
		else if (!strcmp(field, "rtcp_mux")) snprintf(out, cap, "%d", m->rtcp_mux);
		else if (!strcmp(field, "disabled")) snprintf(out, cap, "%d", m->disabled);
		else if (!strcmp(field, "hold")) snprintf(out, cap, "%d", m->hold_zero_addr);
		else if (!strcmp(field, "dir")) snprintf(out, cap, "%s", dir_str(m->dir));
		else return false;
	} else
		return false;
	return true;
}

static int run_case(const char *dir, const char *name)
{
	char path[4096], got_s[300];
	struct gcase c;
	size_t in_len = 0, exp_len = 0;
	uint8_t *in, *exp, *out;
	static struct sipalg_result res;
	long n;
	unsigned i;
	int rc;

	memset(&c, 0, sizeof(c));
	sipalg_switches_default(&c.sw);
	snprintf(path, sizeof(path), "%s/%s/case.ini", dir, name);
	if ((rc = ini_parse(path, on_ini, &c)) != 0) {
		printf("FAIL %s: case.ini line %d not understood\n", name, rc);
		return 1;
	}
	c.ctx.sw = &c.sw;
	if (c.map) {
		c.ctx.map_media = fake_map;
		c.ctx.map_arg = &c;
	}
	snprintf(path, sizeof(path), "%s/%s/in.sip", dir, name);
	in = tu_read_file(path, &in_len);
	snprintf(path, sizeof(path), "%s/%s/out.sip", dir, name);
	exp = tu_read_file(path, &exp_len);
	if (!in || !exp) {
		printf("FAIL %s: cannot read in.sip/out.sip: %s\n", name, strerror(errno));
		free(in);
		free(exp);
		return 1;
	}
	sipalg_process(in, in_len, &c.ctx, &res);
	out = malloc(SIPALG_MAX_MSG + 1);
	n = sipalg_apply(in, in_len, &res, out, SIPALG_MAX_MSG + 1);
	if (n < 0)
		err(&c, "  sipalg_apply failed%s%s\n", "", "");
	else if ((size_t)n != exp_len || memcmp(out, exp, exp_len) != 0) {
		err(&c, "  output differs from out.sip%s%s:\n", "", "");
		tu_print_diff(exp, exp_len, out, (size_t)n);
	}
	if (n >= 0 && (long)in_len + res.delta != n)
		err(&c, "  delta does not match the output length%s%s\n", "", "");
	for (i = 1; i < res.n_edits; i++)
		if (res.edits[i].off < res.edits[i - 1].off + res.edits[i - 1].len)
			err(&c, "  edits overlap or are unsorted%s%s\n", "", "");
	/* An edit that writes back the bytes it replaces is a false rewrite
	 * (counted, logged, spliced for nothing). */
	for (i = 0; i < res.n_edits; i++)
		if (tu_edit_is_noop(in, &res.edits[i]))
			err(&c, "  no-op edit %s '%s'\n",
			    sipalg_edit_kind_str(res.edits[i].kind), res.edits[i].text);
	for (i = 0; i < c.n_exp; i++) {
		if (!fact(&res, &c, c.exp_keys[i], got_s, sizeof(got_s)))
			err(&c, "  unknown expect key %s%s\n", c.exp_keys[i], "");
		else if (strcmp(got_s, c.exp_vals[i]) != 0) {
			char line[400];

			snprintf(line, sizeof(line), "  %s: expected %s", c.exp_keys[i], c.exp_vals[i]);
			err(&c, "%s, got %s\n", line, got_s);
		}
	}
	free(in);
	free(exp);
	free(out);
	if (c.elen) {
		printf("FAIL %s (status %s%s%s)\n%s", name, sipalg_status_str(res.status),
		       res.reason ? ": " : "", res.reason ? res.reason : "", c.errors);
		return 1;
	}
	printf("ok   %s (%u edits)\n", name, res.n_edits);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char *names[512];
	unsigned n = 0, i, failed = 0;
	DIR *d;
	struct dirent *de;

	if (argc < 2) {
		fprintf(stderr, "usage: %s GOLDEN_DIR [CASE...]\n", argv[0]);
		return 2;
	}
	if (argc > 2) {
		for (i = 2; i < (unsigned)argc; i++)
			failed += (unsigned)run_case(argv[1], argv[i]);
		return failed ? 1 : 0;
	}
	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while ((de = readdir(d)) && n < 512) {
		char p[4096];
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s/case.ini", argv[1], de->d_name);
		if (de->d_name[0] != '.' && (f = fopen(p, "r"))) {
			fclose(f);
			names[n++] = strdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (i = 0; i < n; i++) {
		failed += (unsigned)run_case(argv[1], names[i]);
		free(names[i]);
	}
	printf("%u/%u golden cases passed\n", n - failed, n);
	if (n == 0)
		return 1;	/* an empty run proves nothing */
	return failed ? 1 : 0;
}
