/*
 * fuzz_state_file.c - libFuzzer harness over the restart state file
 * (rtp_state_parse, then rtp_table_recover into a table with a fake kernel
 * and an empty dump, then rtp_state_write of the result).
 *
 * Invariants, abort on violation:
 * - parsed + refused == the input's lines after the version line (a line
 *   without its newline counts), and never more records than max;
 * - every record respects the config (pool range, even RTP port, inside
 *   ports >= min_inside_port, index < max_streams);
 * - recovery takes no more pairs than records, asks nothing of the kernel,
 *   and what it wrote back parses again with nothing refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_kernel.h"
#include "rtp.h"

#define MAXREC 64

#define FAIL(...) do { fprintf(stderr, "fuzz_state_file: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static struct fake_kernel k;
static struct rtp_record recs[MAXREC], again[MAXREC];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_config cfg;
	struct rtp_recovery rec = { 0 };
	struct rtp_table *t;
	unsigned refused, refused2, lines = 0;
	size_t vlen = strlen(RTP_STATE_VERSION) + 1, i;
	long n, n2;
	char *out = NULL;
	size_t out_len = 0;
	FILE *f;

	rtp_config_default(&cfg);
	n = rtp_state_parse((const char *)data, size, &cfg, recs, MAXREC, &refused);
	if (n < 0)
		return 0;
	for (i = vlen; i < size; i++)
		lines += data[i] == '\n';
	if (size > vlen && data[size - 1] != '\n')
		lines++;
	if (n > MAXREC || (unsigned long)n + refused != lines)
		FAIL("%ld records + %u refused != %u lines", n, refused, lines);
	for (i = 0; i < (size_t)n; i++) {
		const struct rtp_record *r = &recs[i];

		if (r->idx >= cfg.max_streams || r->inside.port < cfg.min_inside_port ||
		    (!r->no_nat && (r->public.port < cfg.port_min || r->public.port & 1u ||
				    r->public.port + 1u > cfg.port_max)))
			FAIL("record %zu out of range", i);
	}
	fake_reset(&k);
	t = rtp_table_new(&cfg, &fake_ops, &k);
	if (!t)
		FAIL("table");
	rtp_table_recover(t, recs, (unsigned)n, k.live, 0, 1000, &rec);
	if (k.n_calls)
		FAIL("recovery made %u kernel calls", k.n_calls);
	if (rtp_table_stats(t)->ports_in_use > (unsigned long)n)
		FAIL("more pairs than records");
	f = open_memstream(&out, &out_len);
	if (!f || rtp_state_write(t, f) < 0)
		FAIL("write");
	fclose(f);
	n2 = rtp_state_parse(out, out_len, &cfg, again, MAXREC, &refused2);
	if (n2 < 0 || refused2)
		FAIL("written back: %ld records, %u refused", n2, refused2);
	free(out);
	rtp_table_free(t);
	return 0;
}
