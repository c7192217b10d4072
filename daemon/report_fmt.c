/* report_fmt.c - text or JSON rendering of the status report; see report_fmt.h. */
#include <stdarg.h>
#include <string.h>

#include "report_fmt.h"

void rep_open(struct rep *r, FILE *out, bool json)
{
	memset(r, 0, sizeof(*r));
	r->out = out;
	r->json = json;
	if (json) {
		fputc('{', out);
		r->depth = 1;
		rep_key(r, "schema");
		fprintf(out, "%d", REP_SCHEMA_VERSION);
	}
}

void rep_close(struct rep *r)
{
	if (!r->json)
		return;
	rep_counters_end(r);
	while (r->depth > 0)
		rep_end(r, '}');	/* a caller's unbalanced object stays valid JSON */
	fputc('\n', r->out);
}

static void sep(struct rep *r)
{
	if (r->comma[r->depth])
		fputc(',', r->out);
	r->comma[r->depth] = true;
}

void rep_key(struct rep *r, const char *key)
{
	if (!r->json)
		return;
	sep(r);
	if (key) {
		rep_json_string(r->out, key);
		fputc(':', r->out);
	}
}

static void open_nested(struct rep *r, const char *key, char opener)
{
	if (!r->json)
		return;
	rep_key(r, key);
	fputc(opener, r->out);
	if (r->depth + 1 < REP_DEPTH_MAX)
		r->depth++;
	r->comma[r->depth] = false;
}

void rep_obj(struct rep *r, const char *key)
{
	open_nested(r, key, '{');
}

void rep_arr(struct rep *r, const char *key)
{
	open_nested(r, key, '[');
}

void rep_end(struct rep *r, char closer)
{
	if (!r->json || r->depth == 0)
		return;
	fputc(closer, r->out);
	r->depth--;
}

void rep_section(struct rep *r, const char *title)
{
	char key[64];
	size_t i;

	if (!r->json) {
		fprintf(r->out, "\n[%s]\n", title);
		return;
	}
	if (r->in_section) {
		rep_end(r, '}');
		r->in_section = false;
	}
	if (!r->in_counters) {
		rep_obj(r, "counters");
		r->in_counters = true;
	}
	for (i = 0; title[i] && i + 1 < sizeof(key); i++)
		key[i] = title[i] == ' ' ? '_' : title[i];
	key[i] = '\0';
	rep_obj(r, key);
	r->in_section = true;
}

void rep_counters_end(struct rep *r)
{
	if (!r->json)
		return;
	if (r->in_section)
		rep_end(r, '}');
	if (r->in_counters)
		rep_end(r, '}');
	r->in_section = r->in_counters = false;
}

void rep_u64(struct rep *r, const char *key, uint64_t v)
{
	if (!r->json) {
		fprintf(r->out, "%s %llu\n", key, (unsigned long long)v);
		return;
	}
	rep_key(r, key);
	fprintf(r->out, "%llu", (unsigned long long)v);
}

void rep_i64(struct rep *r, const char *key, long long v)
{
	if (!r->json) {
		fprintf(r->out, "%s %lld\n", key, v);
		return;
	}
	rep_key(r, key);
	fprintf(r->out, "%lld", v);
}

void rep_str(struct rep *r, const char *key, const char *v)
{
	if (!r->json) {
		fprintf(r->out, "%s %s\n", key, v);
		return;
	}
	rep_key(r, key);
	rep_json_string(r->out, v);
}

void rep_bool(struct rep *r, const char *key, bool v, const char *text)
{
	if (!r->json) {
		fprintf(r->out, "%s %s\n", key, text);
		return;
	}
	rep_key(r, key);
	fputs(v ? "true" : "false", r->out);
}

void rep_null(struct rep *r, const char *key)
{
	if (!r->json)
		return;
	rep_key(r, key);
	fputs("null", r->out);
}

void rep_text(struct rep *r, const char *fmt, ...)
{
	va_list ap;

	if (r->json)
		return;
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
}

/* Length of a well-formed UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

void rep_json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n;

		if (*s == '"' || *s == '\\') {
			fputc('\\', out);
			fputc(*s++, out);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			fputc(*s++, out);
		} else if ((n = utf8_len(s)) > 0) {
			fwrite(s, 1, n, out);
			s += n;
		} else {
			fputs("\\ufffd", out);
			s++;
		}
	}
	fputc('"', out);
}
