/*
 * bench_dialogs.c - memory per live dialog (issue 7: <= 1 KiB with one audio
 * stream, flat from 1 to 10 000 dialogs). Each dialog is a real call through
 * the rtp API - the phone's INVITE, the far side's 200 with SDP - against the
 * recording fake kernel (tests/rtp/fake_kernel.c, static: not counted).
 *
 * Usage: bench_dialogs [N...]   (default 1 1000 10000)
 * Per N, from a fresh table: the table's own count (stats.mem_bytes: what
 * rtp/ asked malloc for), glibc's mallinfo2() in-use delta (adds malloc's
 * per-chunk overhead; 0 under ASan, which replaces malloc) and the RSS delta
 * (page granular: meaningful at 1000 and up). Exit 1 unless every call got
 * its dialog and pair. Figures: a Release build (see CMakeLists.txt).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "scene.h"

static struct scene sc;	/* large: not on the stack */

static long rss_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static int run(unsigned n)
{
	struct rtp_config cfg;
	char phone[32], cid[96];
	size_t heap0;
	long rss0;
	unsigned i;
	int ok;

	rtp_config_default(&cfg);
	cfg.max_dialogs = n;
	cfg.port_min = 1024;		/* 32 255 pairs: room for 10 000 calls */
	cfg.port_max = 65535;
	scene_init(&sc, &cfg);
	sc.k.unbounded = true;
	heap0 = mallinfo2().uordblks;
	rss0 = rss_bytes();
	for (i = 0; i < n; i++) {
		/* 50 calls per phone: under the per-host caps */
		snprintf(phone, sizeof(phone), "10.%u.%u.10", 1 + i / 50 / 250, 1 + i / 50 % 250);
		snprintf(cid, sizeof(cid), "%08x-1c2d-4e5f-8a9b-%012x@%s", i * 2654435761u, i, phone);
		scene_phone(&sc, phone, false);
		msg_request(&sc, "INVITE", cid, "a73kszlfl", NULL, 1);
		msg_media(&sc, phone, 4000, 0);
		msg_send(&sc, SIPALG_OUTBOUND);
		msg_response(&sc, 200, "INVITE", cid, "a73kszlfl", "1928301774", 1);
		msg_media(&sc, FAR_IP, 40000, 0);
		msg_send(&sc, SIPALG_INBOUND);
	}
	printf("%6u dialogs: table %6.0f B/dialog, malloc in use %6.0f B/dialog, RSS %6.0f B/dialog\n",
	       n, (double)rtp_table_stats(sc.t)->mem_bytes / n,
	       (double)(mallinfo2().uordblks - heap0) / n, (double)(rss_bytes() - rss0) / n);
	ok = rtp_table_stats(sc.t)->dialogs_live == n && rtp_table_stats(sc.t)->ports_in_use == n;
	scene_free(&sc);
	return ok;
}

int main(int argc, char **argv)
{
	static const unsigned defaults[] = { 1, 1000, 10000 };
	int i, ok = 1;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			ok &= run((unsigned)strtoul(argv[i], NULL, 10));
	} else {
		for (i = 0; i < 3; i++)
			ok &= run(defaults[i]);
	}
	return ok ? 0 : 1;
}
