/*
 * Restart recovery (rtp/README.md "Restarts"): the state file and the
 * kernel's expectations rebuild dialogs, pinholes and the port pool; BYE and
 * re-INVITE after a restart behave as if there had been none.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scene.h"

static struct scene sc;
static struct fake_kernel kcopy;
static struct rtp_record recs[64];
static struct rtp_recovery rec;

static const char *phone = PHONE_A;

static void call(const char *cid, const char *tag, unsigned port, unsigned far_port)
{
	msg_request(&sc, "INVITE", cid, tag, NULL, 1);
	msg_media(&sc, phone, port, 0);
	msg_send(&sc, SIPALG_OUTBOUND);
	msg_response(&sc, 200, "INVITE", cid, tag, "far", 1);
	msg_media(&sc, FAR_IP, far_port, 0);
	msg_send(&sc, SIPALG_INBOUND);
}

enum { NO_FILE = 0, FILE_ON = 1 };
enum { KERNEL_EMPTY = 0, KERNEL_ON = 1, KERNEL_UNKNOWN = 2 };

/* SIGKILL and start again: the table is gone, the kernel keeps what it had
 * (kernel == KERNEL_EMPTY: it lost everything, e.g. all consumed). */
static void restart(int file, int kernel)
{
	char *buf = NULL;
	size_t len = 0;
	unsigned refused = 0;
	long n = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK_EQ(rtp_state_write(sc.t, f), 0);
	fclose(f);
	kcopy = sc.k;
	/* the fake keeps the old table's pointer to its expect_fn */
	for (unsigned i = 0; i < kcopy.n_live; i++)
		if (kcopy.live[i].fn)
			kcopy.live[i].fn = "sip";
	rtp_table_free_keep(sc.t);
	CHECK_EQ(sc.k.n_calls, kcopy.n_calls);	/* no pinhole removed at exit */
	sc.t = NULL;
	scene_init(&sc, NULL);
	sc.k = kcopy;
	sc.k.n_calls = 0;
	phone = PHONE_A;
	if (file) {
		n = rtp_state_parse(buf, len, &sc.cfg, recs, 64, &refused);
		CHECK_EQ(refused, 0);
	}
	memset(&rec, 0, sizeof(rec));
	rtp_table_recover(sc.t, recs, (unsigned)n, kernel == KERNEL_UNKNOWN ? NULL : kcopy.live,
			  kernel == KERNEL_ON ? kcopy.n_live : 0, sc.mc.now, &rec);
	CHECK_EQ(sc.k.n_calls, 0);	/* recovery itself asks nothing of the kernel */
	free(buf);
}

/* Both: BYE removes exactly that call's pinholes at once. */
static void bye_after_restart_removes_that_call(void)
{
	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	call("call-2", "t2", 10002, 40002);
	CHECK_EQ(sc.k.n_live, 8);
	restart(FILE_ON, KERNEL_ON);
	CHECK_EQ(rec.dialogs, 2);
	CHECK_EQ(rec.pinholes_live, 8);
	CHECK_EQ(rec.orphans, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 2);
	msg_request(&sc, "BYE", "call-1", "far", "t1", 5);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(fake_count(&sc.k, 'D'), 4);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) == NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10001) == NULL);
	CHECK(fake_find_src(&sc.k, PHONE_A, 10000) == NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002) != NULL);
	CHECK_EQ(sc.k.n_live, 4);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);
	scene_free(&sc);
}

/* A re-INVITE (hold, then resume) after the restart keeps the public pair. */
static void reinvite_after_restart_keeps_the_pair(void)
{
	scene_init(&sc, NULL);
	scene_phone(&sc, PHONE_B, false);
	phone = PHONE_B;
	call("call-0", "t0", 10000, 40000);	/* B holds 10000: A's pair is 10002 */
	scene_phone(&sc, PHONE_A, false);
	phone = PHONE_A;
	call("call-1", "t1", 10000, 40010);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002) != NULL);
	restart(FILE_ON, KERNEL_ON);
	scene_phone(&sc, PHONE_A, false);
	msg_request(&sc, "INVITE", "call-1", "t1", "far", 2);
	msg_media(&sc, PHONE_A, 10000, M_SENDONLY);
	CHECK_EQ(msg_send(&sc, SIPALG_OUTBOUND), 1);
	CHECK_EQ(sc.mapped[0].port, 10002);
	msg_request(&sc, "INVITE", "call-1", "t1", "far", 3);
	msg_media(&sc, PHONE_A, 10000, 0);
	CHECK_EQ(msg_send(&sc, SIPALG_OUTBOUND), 1);
	CHECK_EQ(sc.mapped[0].port, 10002);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 2);
	scene_free(&sc);
}

/* A new call never gets a restored pair: file only, the kernel has none
 * (every pinhole consumed by its media flow) - the pair is still held. */
static void new_call_never_gets_a_restored_pair(void)
{
	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	restart(FILE_ON, KERNEL_EMPTY);
	CHECK_EQ(rec.dialogs, 1);
	CHECK_EQ(rec.pinholes_live, 0);
	CHECK_EQ(rec.pinholes_gone, 4);
	scene_phone(&sc, PHONE_B, false);
	msg_request(&sc, "INVITE", "call-2", "t2", NULL, 1);
	msg_media(&sc, PHONE_B, 10000, 0);
	CHECK_EQ(msg_send(&sc, SIPALG_OUTBOUND), 1);
	CHECK_EQ(sc.mapped[0].port, 10002);
	/* the restored call's re-INVITE re-creates its pinholes on its pair */
	scene_phone(&sc, PHONE_A, false);
	msg_request(&sc, "INVITE", "call-1", "t1", "far", 2);
	msg_media(&sc, PHONE_A, 10000, 0);
	CHECK_EQ(msg_send(&sc, SIPALG_OUTBOUND), 1);
	CHECK_EQ(sc.mapped[0].port, 10000);
	{
		const struct rtp_expect *e = fake_find_dst(&sc.k, PUBLIC_IP, 10000);

		CHECK(e != NULL);
		CHECK(e && !e->src_any_addr);	/* narrowed: the far side came from the file */
	}
	scene_free(&sc);
}

/* Kernel unknown (the dump failed): the file's pinholes count as live, so a
 * BYE still deletes them. */
static void dump_failed_file_decides(void)
{
	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	restart(FILE_ON, KERNEL_UNKNOWN);
	CHECK_EQ(rec.pinholes_live, 4);
	msg_request(&sc, "BYE", "call-1", "far", "t1", 5);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.k.n_live, 0);
	scene_free(&sc);
}

/* File only, the kernel has none of its pinholes (consumed or expired):
 * nothing is live, so a BYE sends no delete; the pair is returned. */
static void file_only_bye_deletes_nothing(void)
{
	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	restart(FILE_ON, KERNEL_EMPTY);
	sc.k.n_live = 0;
	msg_request(&sc, "BYE", "call-1", "far", "t1", 5);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(fake_count(&sc.k, 'D'), 0);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	scene_free(&sc);
}

/* Kernel only (no file, or a failover): orphans hold their pairs; a BYE of
 * an unknown dialog on that master flow removes them. */
static void kernel_only_orphans_end_on_bye(void)
{
	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	call("call-2", "t2", 10002, 40002);
	restart(NO_FILE, KERNEL_ON);
	CHECK_EQ(rec.dialogs, 0);
	CHECK_EQ(rec.orphans, 2);
	CHECK_EQ(rec.kernel_ignored, 0);	/* the siblings found their orphans */
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 2);
	/* a new call does not get an orphan's pair */
	scene_phone(&sc, PHONE_B, false);
	msg_request(&sc, "INVITE", "call-3", "t3", NULL, 1);
	msg_media(&sc, PHONE_B, 10000, 0);
	CHECK_EQ(msg_send(&sc, SIPALG_OUTBOUND), 1);
	CHECK_EQ(sc.mapped[0].port, 10004);
	/* another flow's BYE leaves them */
	scene_phone(&sc, PHONE_B, false);
	msg_request(&sc, "BYE", "call-9", "x", "y", 2);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) != NULL);
	/* the old calls' flow: BYE of a dialog the table does not know */
	scene_phone(&sc, PHONE_A, false);
	msg_request(&sc, "BYE", "call-1", "far", "t1", 5);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) == NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10003) == NULL);
	CHECK(fake_find_src(&sc.k, PHONE_A, 10000) == NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10004) != NULL);	/* call-3 */
	CHECK_EQ(rtp_table_stats(sc.t)->orphans_flushed, 2);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);
	scene_free(&sc);
}

/* Kernel only: the call's next SDP (hold) adopts the orphan - same public
 * pair, its pinholes kept. */
static void kernel_only_hold_adopts_the_orphan(void)
{
	scene_init(&sc, NULL);
	scene_phone(&sc, PHONE_B, false);
	phone = PHONE_B;
	call("call-0", "t0", 10000, 40000);
	scene_phone(&sc, PHONE_A, false);
	phone = PHONE_A;
	call("call-1", "t1", 10000, 40010);	/* A's pair: 10002 */
	restart(NO_FILE, KERNEL_ON);
	CHECK_EQ(rec.orphans, 2);
	msg_request(&sc, "INVITE", "call-1", "t1", "far", 2);
	msg_media(&sc, PHONE_A, 10000, M_SENDONLY);
	CHECK_EQ(msg_send(&sc, SIPALG_OUTBOUND), 1);
	CHECK_EQ(sc.mapped[0].port, 10002);
	CHECK_EQ(rtp_table_stats(sc.t)->orphans_adopted, 1);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002) != NULL);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 2);
	/* now a known dialog: its BYE ends it, B's orphan stays */
	msg_request(&sc, "BYE", "call-1", "t1", "far", 3);
	msg_send(&sc, SIPALG_OUTBOUND);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002) == NULL);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10000) != NULL);
	scene_free(&sc);
}

/* The file names a pair the kernel holds for another inside target (the
 * file is older): the kernel wins - an orphan, the record refused. */
static void kernel_wins_a_conflict(void)
{
	struct rtp_expect *e;
	unsigned i;

	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	/* as if, after the file was written, 10000 went to B:12000 */
	for (i = 0; i < sc.k.n_live; i++) {
		e = &sc.k.live[i];
		if (e->dst.port == 10000 || e->dst.port == 10001)
			e->nat_to = addr(PHONE_B, e->dst.port == 10000 ? 12000 : 12001);
	}
	restart(FILE_ON, KERNEL_ON);
	CHECK_EQ(rec.conflicts, 1);
	CHECK_EQ(rec.dialogs, 0);
	CHECK_EQ(rec.orphans, 1);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);
	/* B's call adopts it */
	scene_phone(&sc, PHONE_B, false);
	msg_request(&sc, "INVITE", "call-b", "tb", NULL, 1);
	msg_media(&sc, PHONE_B, 12000, 0);
	CHECK_EQ(msg_send(&sc, SIPALG_OUTBOUND), 1);
	CHECK_EQ(sc.mapped[0].port, 10000);
	scene_free(&sc);
}

static unsigned parse(const char *text, long *n)
{
	unsigned refused = 99;
	struct rtp_config cfg;

	rtp_config_default(&cfg);
	*n = rtp_state_parse(text, strlen(text), &cfg, recs, 64, &refused);
	return refused;
}

#define GOOD "s c%25id t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 " \
	     "192.168.1.10:10000 10001 203.0.113.1:10000 10001 0 1 203.0.113.20:40000 40001\n"

/* Corrupt or truncated files: bad lines skipped and counted, never more. */
static void corrupt_file_lines_are_refused(void)
{
	long n;

	CHECK_EQ(parse(RTP_STATE_VERSION "\n" GOOD, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(!strcmp(recs[0].call_id, "c%id"));
	CHECK(recs[0].confirmed && recs[0].has_far && recs[0].far.port == 40000);
	/* wrong version: nothing */
	parse("sipalgd-dialogs 2\n" GOOD, &n);
	CHECK_EQ(n, -1);
	parse("", &n);
	CHECK_EQ(n, -1);
	/* truncated mid-line (no newline) */
	CHECK_EQ(parse(RTP_STATE_VERSION "\n" GOOD "s c2 t 192.168.1.10 C 17 192.16", &n), 1);
	CHECK_EQ(n, 1);
	/* public port outside the pool, odd, inside port < 1024, bad escape,
	 * a field too many, an empty token, a class the config has not */
	CHECK_EQ(parse(RTP_STATE_VERSION "\n"
		       "s c t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:10000 10001 203.0.113.1:30000 30001 0 1 - 0\n"
		       "s c t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:10000 10001 203.0.113.1:10001 10002 0 1 - 0\n"
		       "s c t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:22 23 203.0.113.1:10000 10001 0 1 - 0\n"
		       "s c%2 t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:10000 10001 203.0.113.1:10000 10001 0 1 - 0\n"
		       "s c%00 t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:10000 10001 203.0.113.1:10000 10001 0 1 - 0\n"
		       "s c t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:10000 10001 203.0.113.1:10000 10001 0 1 - 0 7\n"
		       "s c t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:10000 10001 203.0.113.1:10000 10001 0  - 0\n"
		       "s c t 192.168.1.10 C 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:10000 10001 203.0.113.1:10000 10001 0 9 - 0\n"
		       "s c t 192.168.1.10 X 17 192.168.1.10:5060 203.0.113.5:5060 0 0 "
		       "192.168.1.10:10000 10001 203.0.113.1:10000 10001 0 1 - 0\n"
		       GOOD, &n), 9);
	CHECK_EQ(n, 1);
	/* max records */
	{
		struct rtp_config cfg;
		unsigned refused;
		const char *two = RTP_STATE_VERSION "\n" GOOD GOOD;

		rtp_config_default(&cfg);
		CHECK_EQ(rtp_state_parse(two, strlen(two), &cfg, recs, 1, &refused), 1);
		CHECK_EQ(refused, 1);
	}
}

/* Two records naming one pair (a forged or stale file): the second is refused. */
static void duplicate_pair_refused(void)
{
	long n;

	scene_init(&sc, NULL);
	parse(RTP_STATE_VERSION "\n" GOOD
	      "s other t 192.168.1.11 C 17 192.168.1.11:5060 203.0.113.5:5060 0 0 "
	      "192.168.1.11:10000 10001 203.0.113.1:10000 10001 0 1 - 0\n", &n);
	CHECK_EQ(n, 2);
	memset(&rec, 0, sizeof(rec));
	rtp_table_recover(sc.t, recs, 2, sc.k.live, 0, sc.mc.now, &rec);
	CHECK_EQ(rec.dialogs, 1);
	CHECK_EQ(rec.records_refused, 1);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, 1);
	scene_free(&sc);
}

/*
 * A conntrackd failover: the backup's kernel holds the call's four pinholes
 * bare (no NAT, class 0, no expect function: what conntrackd commits). Each
 * inbound one gets its NAT back from its sibling and all are created again
 * with it (replacing the bare ones); the BYE of the unknown dialog on that
 * master removes them. Without the repair they were ignored and stayed.
 */
/* The call's pinholes as conntrackd commits them on the backup: bare. With
 * drop_in_rtp, the inbound RTP one is gone (the far side's media used it). */
static unsigned synced_bare_calls(struct rtp_expect *bare, bool drop_in_rtp, unsigned calls)
{
	unsigned n = 0, i;

	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	if (calls > 1)	/* the same far address (an RTP proxy), another port */
		call("call-2", "t2", 10002, 40002);
	CHECK_EQ(sc.k.n_live, 4 * calls);
	for (i = 0; i < sc.k.n_live; i++) {
		if (drop_in_rtp && sc.k.live[i].src_any_port && !(sc.k.live[i].dst.port & 1u))
			continue;
		bare[n] = sc.k.live[i];
		bare[n].nat = false;
		bare[n].nat_dir = 0;
		memset(&bare[n].nat_to, 0, sizeof(bare[n].nat_to));
		bare[n].class = 0;
		bare[n].fn = NULL;
		n++;
	}
	rtp_table_free_keep(sc.t);
	sc.t = NULL;
	scene_init(&sc, NULL);
	memcpy(sc.k.live, bare, n * sizeof(bare[0]));
	sc.k.n_live = n;
	memset(&rec, 0, sizeof(rec));
	rtp_table_recover(sc.t, NULL, 0, bare, n, sc.mc.now, &rec);
	return n;
}

static unsigned synced_bare(struct rtp_expect *bare, bool drop_in_rtp)
{
	return synced_bare_calls(bare, drop_in_rtp, 1);
}

/* Two calls of one phone through one far address: the siblings cannot be
 * told apart by far address; each inbound pinhole takes the one on its own
 * port (the pool kept the phone's), and a BYE would be an unknown dialog's and end
 * both orphans of the flow (the kernel helper's own rule). */
static void synced_bare_two_calls_one_far(void)
{
	struct rtp_expect bare[FAKE_MAX];

	CHECK_EQ(synced_bare_calls(bare, false, 2), 8);
	CHECK_EQ(rec.nat_repaired, 8);
	CHECK_EQ(rec.orphans, 2);
	CHECK_EQ(rec.kernel_ignored, 0);
	CHECK(fake_find_dst(&sc.k, PUBLIC_IP, 10002) && fake_find_dst(&sc.k, PUBLIC_IP, 10002)->nat &&
	      fake_find_dst(&sc.k, PUBLIC_IP, 10002)->nat_to.port == 10002);
	scene_free(&sc);
}

/* The far side's RTP consumed its pinhole before the failover: the bare
 * outbound RTP sibling still joins the stream (through the RTCP pinhole's
 * inside port), the pinholes are re-created with NAT and replace the bare
 * ones, and the BYE leaves none. */
static void synced_bare_without_inbound_rtp(void)
{
	struct rtp_expect bare[FAKE_MAX];
	unsigned i, left_bare = 0;

	CHECK_EQ(synced_bare(bare, true), 3);
	CHECK_EQ(rec.nat_repaired, 3);
	CHECK_EQ(rec.orphans, 1);
	CHECK_EQ(rec.kernel_ignored, 0);
	CHECK_EQ(fake_count(&sc.k, 'C') >= 3, 1);
	for (i = 0; i < sc.k.n_live; i++)
		left_bare += !sc.k.live[i].nat;
	CHECK_EQ(left_bare, 0);			/* every bare one replaced */
	msg_request(&sc, "BYE", "call-1", "far", "t1", 5);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.k.n_live, 0);
	scene_free(&sc);
}

static void synced_bare_pinholes_get_their_nat_back(void)
{
	struct rtp_expect bare[FAKE_MAX];
	unsigned n, i, created_nat = 0;

	scene_init(&sc, NULL);
	call("call-1", "t1", 10000, 40000);
	CHECK_EQ(sc.k.n_live, 4);
	n = sc.k.n_live;
	for (i = 0; i < n; i++) {
		bare[i] = sc.k.live[i];
		bare[i].nat = false;
		bare[i].nat_dir = 0;
		memset(&bare[i].nat_to, 0, sizeof(bare[i].nat_to));
		bare[i].class = 0;
		bare[i].fn = NULL;
	}
	rtp_table_free_keep(sc.t);
	sc.t = NULL;
	scene_init(&sc, NULL);
	memcpy(sc.k.live, bare, n * sizeof(bare[0]));
	sc.k.n_live = n;
	memset(&rec, 0, sizeof(rec));
	rtp_table_recover(sc.t, NULL, 0, bare, n, sc.mc.now, &rec);
	CHECK_EQ(rec.nat_repaired, 4);
	CHECK_EQ(rec.orphans, 1);
	CHECK_EQ(rec.kernel_ignored, 0);
	CHECK_EQ(sc.k.n_live, 4);		/* replaced, not added */
	for (i = 0; i < sc.k.n_calls; i++) {
		const struct rtp_expect *e = &sc.k.calls[i].e;

		if (sc.k.calls[i].op == 'C' && e->nat && e->class == sc.cfg.expect_class &&
		    e->fn && !strcmp(e->fn, "sip"))
			created_nat++;
	}
	CHECK_EQ(created_nat, 4);
	{
		const struct rtp_expect *in = fake_find_dst(&sc.k, PUBLIC_IP, 10000);

		CHECK(in && in->nat && in->nat_to.port == 10000 &&
		      in->nat_to.ip.s_addr == inet_addr(PHONE_A));
	}
	msg_request(&sc, "BYE", "call-1", "far", "t1", 5);
	msg_send(&sc, SIPALG_INBOUND);
	CHECK_EQ(sc.k.n_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->orphans_flushed, 1);
	scene_free(&sc);
}

int main(void)
{
	RUN(bye_after_restart_removes_that_call);
	RUN(reinvite_after_restart_keeps_the_pair);
	RUN(new_call_never_gets_a_restored_pair);
	RUN(dump_failed_file_decides);
	RUN(file_only_bye_deletes_nothing);
	RUN(kernel_only_orphans_end_on_bye);
	RUN(kernel_only_hold_adopts_the_orphan);
	RUN(kernel_wins_a_conflict);
	RUN(corrupt_file_lines_are_refused);
	RUN(duplicate_pair_refused);
	RUN(synced_bare_pinholes_get_their_nat_back);
	RUN(synced_bare_without_inbound_rtp);
	RUN(synced_bare_two_calls_one_far);
	return CHECK_DONE();
}
