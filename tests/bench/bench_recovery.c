/*
 * bench_recovery.c - the restart recovery's cost (rtp/README.md "Restarts"):
 * N answered audio calls through the rtp API, then the state file written
 * (to a tmp file with fsync and rename, as daemon/state_file.c does), then a
 * fresh table rebuilt from it and a dump of the same calls' expectations
 * (parse + reconcile), and from the dump alone (every pair an orphan).
 *
 * Usage: bench_recovery [N...]   (default 1000 10000). Exit 1 unless every
 * dialog and pinhole came back. Figures: a Release build (CMakeLists.txt).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scene.h"

static struct scene sc;
static struct rtp_expect *kern;	/* what the kernel would hold */
static unsigned n_kern, cap_kern;

static int bench_create(void *arg, struct rtp_expect *e)
{
	(void)arg;
	if (n_kern == cap_kern) {
		cap_kern = cap_kern ? 2 * cap_kern : 1024;
		kern = realloc(kern, cap_kern * sizeof(*kern));
		if (!kern)
			abort();
	}
	kern[n_kern] = *e;
	kern[n_kern++].fn = "sip";
	return 0;
}

static bool same(const struct rtp_expect *a, const struct rtp_expect *b)
{
	return a->master.src.ip.s_addr == b->master.src.ip.s_addr &&
	       a->master.src.port == b->master.src.port &&
	       a->master.dst.ip.s_addr == b->master.dst.ip.s_addr &&
	       a->master.dst.port == b->master.dst.port &&
	       a->dst.ip.s_addr == b->dst.ip.s_addr && a->dst.port == b->dst.port &&
	       a->src.ip.s_addr == b->src.ip.s_addr && a->src.port == b->src.port &&
	       a->src_any_addr == b->src_any_addr && a->src_any_port == b->src_any_port;
}

/* A narrowing deletes the wide pinhole just created: searched from the end. */
static int bench_delete(void *arg, const struct rtp_expect *e)
{
	unsigned i;

	(void)arg;
	for (i = n_kern; i-- > 0;) {
		if (same(&kern[i], e)) {
			memmove(&kern[i], &kern[i + 1], (n_kern - i - 1) * sizeof(*kern));
			n_kern--;
			return 0;
		}
	}
	return -2;	/* -ENOENT */
}

static const struct rtp_kernel_ops bench_ops = { bench_create, bench_delete, NULL };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void calls(unsigned n)
{
	char phone[32], cid[96];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(phone, sizeof(phone), "10.%u.%u.10", 1 + i / 50 / 250, 1 + i / 50 % 250);
		snprintf(cid, sizeof(cid), "%08x-1c2d-4e5f-8a9b-%012x@%s", i * 2654435761u, i, phone);
		scene_phone(&sc, phone, false);
		msg_request(&sc, "INVITE", cid, "a73kszlfl", NULL, 1);
		msg_media(&sc, phone, 4000 + (i % 50) * 2, 0);	/* a port per call of the phone */
		msg_send(&sc, SIPALG_OUTBOUND);
		msg_response(&sc, 200, "INVITE", cid, "a73kszlfl", "b8823", 1);
		msg_media(&sc, FAR_IP, 30000 + (i % 1000) * 2, 0);
		msg_send(&sc, SIPALG_INBOUND);
	}
}

/* Write the table as daemon/state_file.c does; returns the file's bytes. */
static long write_file(const char *path)
{
	char tmp[300];
	FILE *f;
	long size;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || rtp_state_write(sc.t, f) < 0 || fflush(f) || fsync(fileno(f)))
		return -1;
	size = ftell(f);
	fclose(f);
	return rename(tmp, path) ? -1 : size;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void fresh_table(const struct rtp_config *cfg)
{
	if (sc.t)
		rtp_table_free_keep(sc.t);
	sc.t = rtp_table_new(cfg, &bench_ops, NULL);
	sc.mc.table = sc.t;
}

static int run(unsigned n, const char *dir)
{
	struct rtp_config cfg;
	struct rtp_recovery rec;
	struct rtp_record *recs = calloc(n, sizeof(*recs));
	struct rtp_expect *dump;
	char path[256];
	unsigned refused, m;
	double t0, t_fmt, t_write, t_parse, t_both, t_kernel, t_bare;
	size_t len;
	long size, got;
	char *buf;
	int ok;

	rtp_config_default(&cfg);
	cfg.max_dialogs = n;
	cfg.port_min = 1024;
	cfg.port_max = 65535;
	n_kern = 0;
	scene_init_ops(&sc, &cfg, &bench_ops);
	calls(n);
	m = n_kern;
	dump = malloc(m * sizeof(*dump));
	memcpy(dump, kern, m * sizeof(*dump));
	snprintf(path, sizeof(path), "%s/bench-recovery-%u", dir, n);
	t0 = now_ms();
	{
		char *mem = NULL;
		size_t mlen = 0;
		FILE *f = open_memstream(&mem, &mlen);

		rtp_state_write(sc.t, f);
		fclose(f);
		free(mem);
	}
	t_fmt = now_ms() - t0;
	t0 = now_ms();
	size = write_file(path);
	t_write = now_ms() - t0;

	fresh_table(&cfg);
	t0 = now_ms();
	buf = read_file(path, &len);
	got = buf ? rtp_state_parse(buf, len, &cfg, recs, n, &refused) : -1;
	t_parse = now_ms() - t0;
	memset(&rec, 0, sizeof(rec));
	rtp_table_recover(sc.t, recs, got > 0 ? (unsigned)got : 0, dump, m, 1000, &rec);
	t_both = now_ms() - t0;
	ok = got == n && rec.dialogs == n && rec.pinholes_live == m && rec.orphans == 0 &&
	     rtp_table_stats(sc.t)->ports_in_use == n;

	fresh_table(&cfg);
	t0 = now_ms();
	memset(&rec, 0, sizeof(rec));
	rtp_table_recover(sc.t, NULL, 0, dump, m, 1000, &rec);
	t_kernel = now_ms() - t0;
	ok = ok && rec.orphans == n && rec.kernel_ignored == 0;

	/* A conntrackd failover: the same pinholes bare (no NAT, class 0),
	 * repaired from their siblings and created again (recover_synced.c). */
	for (unsigned i = 0; i < m; i++) {
		dump[i].nat = false;
		dump[i].nat_dir = 0;
		memset(&dump[i].nat_to, 0, sizeof(dump[i].nat_to));
		dump[i].class = 0;
		dump[i].fn = NULL;
	}
	fresh_table(&cfg);
	t0 = now_ms();
	memset(&rec, 0, sizeof(rec));
	rtp_table_recover(sc.t, NULL, 0, dump, m, 1000, &rec);
	t_bare = now_ms() - t0;
	/* Not all: 50 calls of one phone to one far address on public ports
	 * other than the phone's own cannot be told apart from the bare
	 * tuples (recover_synced.c); counted, not required. */
	ok = ok && rec.nat_repaired <= m;
	printf("%6u dialogs, %u expectations: format %.1f ms, write %.1f ms (%ld B, with fsync+rename); "
	       "read+parse %.1f ms, +reconcile %.1f ms in all; kernel only (orphans) %.1f ms; "
	       "failover, bare: %.1f ms (%u of %u repaired, %u orphans)%s\n",
	       n, m, t_fmt, t_write, size, t_parse, t_both, t_kernel, t_bare, rec.nat_repaired, m,
	       rec.orphans, ok ? "" : "  FAILED");
	rtp_table_free_keep(sc.t);
	sc.t = NULL;
	unlink(path);
	free(buf);
	free(recs);
	free(dump);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int rc = 0;

	if (argc < 2) {
		rc |= run(1000, dir);
		rc |= run(10000, dir);
	}
	for (int i = 1; i < argc; i++)
		rc |= run((unsigned)strtoul(argv[i], NULL, 10), dir);
	free(kern);
	return rc;
}
