/*
 * Bytes per live dialog (issue 7: <= 1 KiB with one audio stream, flat in the
 * number of dialogs): the table's own count of what it allocated, after
 * real offer/answer exchanges. A size check, not a timing.
 */
#include <stdio.h>

#include "check.h"
#include "rtp_internal.h"
#include "scene.h"

#define BYTES_PER_DIALOG_MAX 1024

static struct scene sc;

/* n answered calls with one audio stream each, 50 per inside phone. */
static double bytes_per_dialog(unsigned n)
{
	struct rtp_config cfg;
	char phone[32], cid[96];
	unsigned i;
	double per;

	rtp_config_default(&cfg);
	cfg.max_dialogs = n;
	cfg.port_min = 1024;
	cfg.port_max = 65535;
	scene_init(&sc, &cfg);
	sc.k.unbounded = true;
	for (i = 0; i < n; i++) {
		snprintf(phone, sizeof(phone), "10.%u.%u.%u", 1 + i / 50 / 250, 1 + i / 50 % 250, 10);
		/* a Call-ID as phones make them: 36 characters and a host */
		snprintf(cid, sizeof(cid), "%08x-1c2d-4e5f-8a9b-%012x@%s", i * 2654435761u, i, phone);
		scene_phone(&sc, phone, false);
		msg_request(&sc, "INVITE", cid, "a73kszlfl", NULL, 1);
		msg_media(&sc, phone, 4000, 0);
		msg_send(&sc, SIPALG_OUTBOUND);
		msg_response(&sc, 200, "INVITE", cid, "a73kszlfl", "1928301774", 1);
		msg_media(&sc, FAR_IP, 40000, 0);
		msg_send(&sc, SIPALG_INBOUND);
	}
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, n);
	CHECK_EQ(rtp_table_stats(sc.t)->ports_in_use, n);
	per = (double)rtp_table_stats(sc.t)->mem_bytes / n;
	/* Every byte counted comes back: the calls end, hosts go with them. */
	rtp_expire(sc.t, sc.mc.now + (time_t)cfg.dialog_timeout);
	CHECK_EQ(rtp_table_stats(sc.t)->dialogs_live, 0);
	CHECK_EQ(rtp_table_stats(sc.t)->mem_bytes, 0);
	scene_free(&sc);
	return per;
}

static void one_audio_dialog_fits_in_1k(void)
{
	static const unsigned counts[] = { 1, 1000 };
	struct rtp_config cfg;
	unsigned i;

	rtp_config_default(&cfg);
	printf("struct rtp_dialog %zu B + %u stream slots, struct rtp_stream %zu B, "
	       "struct rtp_side %zu B, struct rtp_host %zu B\n",
	       sizeof(struct rtp_dialog), cfg.max_streams,
	       sizeof(struct rtp_stream), sizeof(struct rtp_side), sizeof(struct rtp_host));
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		double per = bytes_per_dialog(counts[i]);

		printf("%u dialogs: %.0f B per dialog (limit %d)\n", counts[i], per,
		       BYTES_PER_DIALOG_MAX);
		CHECK(per <= BYTES_PER_DIALOG_MAX);
	}
}

int main(void)
{
	RUN(one_audio_dialog_fits_in_1k);
	return CHECK_DONE();
}
