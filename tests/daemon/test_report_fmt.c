/* test_report_fmt.c - the status report's two renderings from one set of calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_fmt.h"

static int failures;

#define EXPECT_STR(got, want)                                                        \
	do {                                                                         \
		if (strcmp((got), (want)) != 0) {                                    \
			fprintf(stderr, "%s:%d: got\n%s\nwant\n%s\n", __FILE__, __LINE__, \
				(got), (want));                                      \
			failures++;                                                  \
		}                                                                    \
	} while (0)

static void render(bool json, char **out)
{
	size_t len;
	FILE *f = open_memstream(out, &len);
	struct rep r;

	rep_open(&r, f, json);
	rep_text(&r, "mode: test\n");
	rep_str(&r, "mode", "test");
	rep_section(&r, "packets");
	rep_u64(&r, "packets", 3);
	rep_i64(&r, "last_error", -22);
	rep_section(&r, "rewrites by kind");
	rep_u64(&r, "sdp-origin", 1);
	rep_bool(&r, "watched", true, "yes (rtnetlink)");
	rep_str(&r, "overload", "drop");
	rep_counters_end(&r);
	rep_arr(&r, "list");
	rep_obj(&r, NULL);
	rep_str(&r, "call_id", "a\"b\\c\n\x01\xc3\xa9\xff\xed\xa0\x80");
	rep_end(&r, '}');
	rep_obj(&r, NULL);
	rep_null(&r, "far");
	rep_end(&r, '}');
	rep_end(&r, ']');
	rep_close(&r);
	fclose(f);
}

int main(void)
{
	char *text = NULL, *json = NULL;

	render(false, &text);
	render(true, &json);
	/* text: exactly the lines `sipalgd status` has always printed */
	EXPECT_STR(text, "mode: test\nmode test\n\n[packets]\npackets 3\nlast_error -22\n"
			 "\n[rewrites by kind]\nsdp-origin 1\nwatched yes (rtnetlink)\noverload drop\n"
			 "call_id a\"b\\c\n\x01\xc3\xa9\xff\xed\xa0\x80\n");
	/* JSON: sections under counters, titles with '_', untrusted bytes escaped
	 * (é kept, a lone 0xff and a UTF-16 surrogate's bytes replaced) */
	EXPECT_STR(json, "{\"schema\":1,\"mode\":\"test\",\"counters\":{\"packets\":{\"packets\":3,"
			 "\"last_error\":-22},\"rewrites_by_kind\":{\"sdp-origin\":1,\"watched\":true,"
			 "\"overload\":\"drop\"}},\"list\":[{\"call_id\":\"a\\\"b\\\\c\\u000a\\u0001"
			 "\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffd\"},{\"far\":null}]}\n");
	free(text);
	free(json);
	if (!failures)
		printf("report_fmt: text and JSON ok\n");
	return failures ? 1 : 0;
}
