/*
 * test_pinhole_log.c - the debug observer (rtp_table_set_log) and the JSON
 * view of dialogs (rtp_dump_json.c).
 *
 *   rtp_test_pinhole_log [OUT.json]   OUT.json: {"media": .., "dialogs": ..} of a live
 *                                     call, for tests/daemon/json_schema_check.py
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report_fmt.h"
#include "scene.h"

static struct scene sc;	/* large: not on the stack */

struct logged {
	unsigned n, creates, removes, failed;
	char why[64][200];
	struct rtp_expect e[64];
};

static struct logged lg;

static void record(void *arg, bool create, const struct rtp_expect *e, int err, const char *why)
{
	struct logged *l = arg;

	if (l->n < 64) {
		snprintf(l->why[l->n], sizeof(l->why[0]), "%s", why);
		l->e[l->n] = *e;
	}
	l->n++;
	if (create)
		l->creates++;
	else
		l->removes++;
	if (err)
		l->failed++;
}

static bool why_seen(const char *needle, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to && i < 64; i++)
		if (strstr(lg.why[i], needle))
			return true;
	return false;
}

/* Every kernel call is reported once, with the message that caused it. */
static void each_call_logged_with_its_reason(void)
{
	unsigned mark;

	memset(&lg, 0, sizeof(lg));
	scene_init(&sc, NULL);
	rtp_table_set_log(sc.t, record, &lg);
	msg_request(&sc, "INVITE", "log-call", "ta", NULL, 1);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(lg.creates > 0);
	CHECK(why_seen("out INVITE call-id log-call", 0, lg.n));
	CHECK_EQ(lg.n, sc.k.n_calls);
	mark = lg.n;
	msg_response(&sc, 200, "INVITE", "log-call", "ta", "tb", 1);
	msg_media(&sc, FAR_IP, 40000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK(lg.n > mark);	/* narrowed: deletes and creates */
	CHECK(why_seen("in 200 (INVITE) call-id log-call", mark, lg.n));
	CHECK_EQ(lg.n, sc.k.n_calls);
	mark = lg.n;
	msg_request(&sc, "BYE", "log-call", "ta", "tb", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(lg.removes > 0 && lg.n > mark);
	CHECK(why_seen("out BYE call-id log-call", mark, lg.n));
	CHECK_EQ(lg.n, sc.k.n_calls);
	CHECK_EQ(lg.failed, 0);
	scene_free(&sc);
}

static void timer_and_shutdown_say_so(void)
{
	unsigned mark;

	memset(&lg, 0, sizeof(lg));
	scene_init(&sc, NULL);
	rtp_table_set_log(sc.t, record, &lg);
	msg_request(&sc, "INVITE", "old-call", "ta", NULL, 1);
	msg_media(&sc, PHONE_A, 10002, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	mark = lg.n;
	rtp_expire(sc.t, sc.mc.now + 100000);
	CHECK(lg.n > mark && why_seen("dialog timeout", mark, lg.n));
	msg_request(&sc, "INVITE", "last-call", "ta", NULL, 1);
	msg_media(&sc, PHONE_A, 10004, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	mark = lg.n;
	rtp_table_free(sc.t);	/* removes what it created */
	sc.t = NULL;
	CHECK(lg.n > mark && why_seen("shutdown", mark, lg.n));
}

static void no_log_no_calls(void)
{
	memset(&lg, 0, sizeof(lg));
	scene_init(&sc, NULL);
	rtp_table_set_log(sc.t, record, &lg);
	rtp_table_set_log(sc.t, NULL, NULL);
	msg_request(&sc, "INVITE", "quiet", "ta", NULL, 1);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(sc.k.n_calls > 0);
	CHECK_EQ(lg.n, 0);
	scene_free(&sc);
}

/* A live call (its Call-ID with bytes JSON must escape) as the status shows it. */
static void json_of_a_live_call(const char *path)
{
	static const char nasty[] = "q\"b\\s\x01\xff@x";
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	scene_init(&sc, NULL);
	msg_request(&sc, "INVITE", nasty, "ta", NULL, 1);
	msg_media(&sc, PHONE_A, 10000, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	msg_response(&sc, 200, "INVITE", nasty, "ta", "tb", 1);
	msg_media(&sc, FAR_IP, 40000, 0);
	msg_send(&sc, SIPALG_INBOUND);
	f = open_memstream(&text, &len);
	fputs("{\"media\":", f);
	rtp_table_media_json(sc.t, f);
	fputs(",\"dialogs\":", f);
	rtp_table_dialogs_json(sc.t, f, rep_json_string);
	fputs("}\n", f);
	fclose(f);
	CHECK(text && strstr(text, "\"call_id\":\"q\\\"b\\\\s\\u0001\\ufffd@x\""));
	CHECK(text && strstr(text, "\"kind\":\"in-rtp\""));
	CHECK(text && strstr(text, "\"state\":\"confirmed\""));
	CHECK(text && strstr(text, "\"far\":{\"ip\":\"203.0.113.20\",\"port\":40000}"));
	if (path && text) {
		FILE *o = fopen(path, "w");

		CHECK(o != NULL);
		if (o) {
			fputs(text, o);
			fclose(o);
		}
	}
	free(text);
	scene_free(&sc);
}

int main(int argc, char **argv)
{
	RUN(each_call_logged_with_its_reason);
	RUN(timer_and_shutdown_say_so);
	RUN(no_log_no_calls);
	json_of_a_live_call(argc > 1 ? argv[1] : NULL);
	return check_failures ? 1 : 0;
}
