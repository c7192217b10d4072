/*
 * report_fmt.h - one status report, two renderings: the human text that
 * `sipalgd status` has always printed, and one JSON object for monitoring
 * (schema: docs/status.schema.json). The report code calls these once per
 * number, so the two can never list different counters.
 *
 * Text: rep_section() prints "\n[title]\n", rep_u64() "key value\n".
 * JSON: { "schema": 1, <top-level keys>, "counters": { "<title>": { "key": value } },
 *         <keys after rep_counters_end> }  - a title's spaces become '_'.
 */
#ifndef SIPALGD_REPORT_FMT_H
#define SIPALGD_REPORT_FMT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define REP_DEPTH_MAX 8
#define REP_SCHEMA_VERSION 1

struct rep {
	FILE *out;
	bool json;
	bool in_counters, in_section;
	int depth;
	bool comma[REP_DEPTH_MAX];	/* the next member at that depth needs a ',' */
};

void rep_open(struct rep *r, FILE *out, bool json);
void rep_close(struct rep *r);

/* A counter group: "[title]" in text, counters.<title> in JSON. */
void rep_section(struct rep *r, const char *title);
/* Ends the last group and "counters" (JSON); nothing in text. */
void rep_counters_end(struct rep *r);

/* "key value" lines in text; members of the open object in JSON. */
void rep_u64(struct rep *r, const char *key, uint64_t v);
void rep_i64(struct rep *r, const char *key, long long v);
void rep_str(struct rep *r, const char *key, const char *v);
/* JSON gets a boolean; text prints "key text". */
void rep_bool(struct rep *r, const char *key, bool v, const char *text);

/* JSON only (no-ops in text): a member whose value the caller writes to
 * r->out itself (rep_key), nested objects and arrays, array elements. */
void rep_key(struct rep *r, const char *key);
void rep_obj(struct rep *r, const char *key);	/* key NULL: an array element */
void rep_arr(struct rep *r, const char *key);
void rep_end(struct rep *r, char closer);	/* '}' or ']' */
void rep_null(struct rep *r, const char *key);

/* Text only (no-op in JSON). */
void rep_text(struct rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A JSON string literal of s (quotes included; control bytes escaped,
 * bytes >= 0x80 that are not UTF-8 become U+FFFD: a Call-ID is not trusted). */
void rep_json_string(FILE *out, const char *s);

#endif
