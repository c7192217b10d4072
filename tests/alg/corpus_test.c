/*
 * corpus_test.c - the engine over every message of ../shared/corpus:
 *   - nothing crashes; edits apply; a rewritten message still frames and
 *     parses (Content-Length right);
 *   - enabled=false, and enabled with every rewrite off: output == input;
 *   - everything on with a binding no corpus message names (10.99.0.1):
 *     output == input, no media callback;
 *   - RFC 4475 valid torture messages parse (status ok); the invalid ones
 *     pass unchanged even with a binding that names their addresses;
 *   - everything on with a binding taken from the message's own first IPv4
 *     literal (so that rewrites happen): output frames and parses.
 * Message files: *.sip *.txt *.dat and torture files without extension, each
 * as one UDP datagram and, when it holds several, split as a TCP stream with
 * sipalg_message_length(); plus the UDP payloads of every pcap (libpcap).
 * Usage: corpus_test CORPUS_DIR [-v]  (exit 77 = skipped when it is absent)
 */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <ftw.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sipalg.h"
#include "test_util.h"

#define SKIP 77

static unsigned n_msgs, n_failed, n_rewritten;
static const char *cur_name;
static struct sipalg_result res, res2;
static uint8_t out[SIPALG_MAX_MSG + 1024];
static unsigned map_calls;
static bool verbose;

static const char *const torture_valid[] = {
	"wsinv.dat", "intmeth.dat", "esc01.dat", "escnull.dat", "esc02.dat",
	"lwsdisp.dat", "longreq.dat", "dblreq.dat", "semiuri.dat", "transports.dat",
	"mpart01.dat", "unreason.dat", "noreason.dat",
};

/* RFC 4475 3.1.2: syntactically invalid messages. Not baddate.dat: its only
 * fault is a Date in EST; an ALG that refused to fix the Via and SDP of a
 * phone over its clock's time zone would break calls for nothing, so the
 * engine does not judge Date (it is rewritten like a valid message). */
static const char *const torture_invalid[] = {
	"badinv01.dat", "clerr.dat", "ncl.dat", "scalar02.dat", "scalarlg.dat",
	"quotbal.dat", "ltgtruri.dat", "lwsruri.dat", "lwsstart.dat", "trws.dat",
	"escruri.dat", "regbadct.dat", "badaspec.dat", "baddn.dat",
	"badvers.dat", "mismatch01.dat", "mismatch02.dat", "bigcode.dat",
};

static void fail(const char *what, unsigned idx, const struct sipalg_result *r)
{
	n_failed++;
	printf("FAIL %s [msg %u]: %s (status %s%s%s)\n", cur_name, idx, what,
	       sipalg_status_str(r->status), r->reason ? ": " : "", r->reason ? r->reason : "");
}

static int count_map(void *arg, enum sipalg_dir dir, const struct sipalg_facts *msg,
		     unsigned idx, const struct sipalg_media *m,
		     struct sipalg_addr *o, uint16_t *o_rtcp)
{
	(void)arg; (void)dir; (void)msg; (void)idx;
	map_calls++;
	o->port = (uint16_t)(m->addr.port ? m->addr.port + 2000 : 0);
	*o_rtcp = (uint16_t)(o->port + 1);
	return 0;
}

static bool unchanged(const uint8_t *msg, size_t len, const struct sipalg_ctx *ctx)
{
	long n;

	sipalg_process(msg, len, ctx, &res);
	n = sipalg_apply(msg, len, &res, out, sizeof(out));
	return res.n_edits == 0 && n == (long)len && memcmp(out, msg, len) == 0;
}

/* First IPv4 literal in the message, to build a binding that matches it. */
static bool first_ipv4(const uint8_t *msg, size_t len, struct in_addr *ip)
{
	size_t i, j;

	for (i = 0; i < len; i++) {
		char buf[16];

		if (msg[i] < '0' || msg[i] > '9' || (i && ((msg[i - 1] >= '0' && msg[i - 1] <= '9') || msg[i - 1] == '.')))
			continue;
		for (j = i; j < len && j - i < 15 && ((msg[j] >= '0' && msg[j] <= '9') || msg[j] == '.'); j++)
			;
		memcpy(buf, msg + i, j - i);
		buf[j - i] = '\0';
		if (inet_pton(AF_INET, buf, ip) == 1 && ip->s_addr != 0)
			return true;
	}
	return false;
}

/* must: 1 = must parse (valid), -1 = must pass unchanged (invalid), 0 = either */
static void check_message(const uint8_t *msg, size_t len, unsigned idx, int must,
			  enum sipalg_transport tr)
{
	struct sipalg_switches sw_all, sw_off, sw_dis;
	struct sipalg_ctx ctx = { .transport = tr };
	long n;
	int d;

	n_msgs++;
	sipalg_switches_default(&sw_all);
	sw_all.from_to = true;
	sw_off = (struct sipalg_switches){ .enabled = true };
	sw_dis = sw_all;
	sw_dis.enabled = false;
	tu_parse_addr("10.99.0.1:5060", &ctx.binding.inside);
	tu_parse_addr("10.99.0.2:40000", &ctx.binding.public);
	tu_parse_addr("10.99.0.3:5060", &ctx.binding.remote);
	ctx.map_media = count_map;

	for (d = 0; d < 2; d++) {
		ctx.dir = d ? SIPALG_INBOUND : SIPALG_OUTBOUND;
		ctx.sw = &sw_dis;
		map_calls = 0;
		if (!unchanged(msg, len, &ctx) || (len <= SIPALG_MAX_MSG && res.status != SIPALG_DISABLED) ||
		    map_calls)
			fail("enabled=false changed something", idx, &res);
		ctx.sw = &sw_off;
		if (!unchanged(msg, len, &ctx) || map_calls)
			fail("every rewrite off changed something", idx, &res);
		ctx.sw = &sw_all;
		if (!unchanged(msg, len, &ctx) || map_calls)
			fail("a binding the message does not name changed it", idx, &res);
	}
	ctx.dir = SIPALG_OUTBOUND;
	if (must > 0 && res.status != SIPALG_OK)
		fail("valid torture message not parsed", idx, &res);

	/* Now a binding that matches: rewrites happen, the result must hold up. */
	if (!first_ipv4(msg, len, &ctx.binding.inside.ip))
		return;
	for (d = 0; d < 2; d++) {
		ctx.dir = d ? SIPALG_INBOUND : SIPALG_OUTBOUND;
		ctx.binding.public = ctx.binding.inside;
		ctx.binding.inside.port = 5060;
		tu_parse_addr("203.0.113.222:40000", d ? &ctx.binding.public : &ctx.binding.public);
		if (d) {	/* inbound: the message's address plays the public one */
			struct sipalg_addr t = ctx.binding.public;
			ctx.binding.public = ctx.binding.inside;
			ctx.binding.inside = t;
		}
		sipalg_process(msg, len, &ctx, &res);
		n = sipalg_apply(msg, len, &res, out, sizeof(out));
		if (n < 0) {
			fail("apply failed", idx, &res);
			continue;
		}
		if (res.status != SIPALG_OK) {
			if (verbose && d == 0)
				printf("%s [msg %u] left alone: %s: %s\n", cur_name, idx,
				       sipalg_status_str(res.status), res.reason);
			if ((size_t)n != len || memcmp(out, msg, len) != 0)
				fail("not ok but changed", idx, &res);
			continue;
		}
		if (res.n_edits == 0)
			continue;
		for (unsigned k = 0; k < res.n_edits; k++)
			if (tu_edit_is_noop(msg, &res.edits[k]))
				fail("no-op edit planned", idx, &res);
		if (must < 0)
			fail("invalid torture message rewritten", idx, &res);
		n_rewritten++;
		if (verbose) {
			unsigned k;

			printf("%s [msg %u] %s:", cur_name, idx, d ? "in" : "out");
			for (k = 0; k < res.n_edits; k++)
				printf(" %s:'%.*s'->'%s'", sipalg_edit_kind_str(res.edits[k].kind),
				       (int)res.edits[k].len, (const char *)msg + res.edits[k].off,
				       res.edits[k].text);
			printf("\n");
		}
		/* The rewritten message parses again, with the same framing. */
		sipalg_process(out, (size_t)n, &ctx, &res2);
		if (res2.status != SIPALG_OK)
			fail("rewritten message does not parse", idx, &res2);
		if (tr == SIPALG_TCP && sipalg_message_length(out, (size_t)n) != n)
			fail("rewritten stream message does not frame to its length", idx, &res);
		if (res2.facts.n_media != res.facts.n_media || res2.facts.cseq != res.facts.cseq ||
		    strcmp(res2.facts.call_id, res.facts.call_id) != 0)
			fail("rewritten message lost facts", idx, &res2);
	}
}

static bool in_list(const char *base, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(base, list[i]) == 0)
			return true;
	return false;
}
#define IN_LIST(b, l) in_list(b, l, sizeof(l) / sizeof(l[0]))

static void check_file(const char *path, const uint8_t *data, size_t len)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	bool torture = strstr(path, "/torture/") != NULL;
	bool rfc4475 = torture && !strstr(path, "rfc5118");
	int must = rfc4475 && IN_LIST(base, torture_valid) ? 1 :
		   rfc4475 && IN_LIST(base, torture_invalid) ? -1 : 0;
	size_t off = 0;
	unsigned idx = 1, n_framed = 0;

	cur_name = path;
	check_message(data, len < SIPALG_MAX_MSG ? len : SIPALG_MAX_MSG, 0, must, SIPALG_UDP);
	if (torture) {
		sipalg_process(data, len, &(struct sipalg_ctx){ .sw = &(struct sipalg_switches){ .enabled = true } }, &res);
		printf("  %-48s %s%s%s\n", path + (strstr(path, "/torture/") - path) + 1,
		       sipalg_status_str(res.status), res.reason ? ": " : "", res.reason ? res.reason : "");
	}
	/* As a TCP stream: every framed message on its own. */
	while (off < len && idx < 10000) {
		long m = sipalg_message_length(data + off, len - off);

		if (m <= 0)
			break;
		if ((size_t)m == len && off == 0)
			break;	/* one message: checked above */
		if (data[off] != '\r' && data[off] != '\n')
			n_framed++;
		check_message(data + off, (size_t)m, idx++, 0, SIPALG_TCP);
		off += (size_t)m;
	}
	/* SOURCES.md: a 26-message stream with a Content-Length on each. */
	if (!strcmp(base, "lioneagle-sipparser.txt") && (n_framed != 26 || off != len)) {
		printf("FAIL %s: framed %u messages up to byte %zu of %zu, expected 26 and all\n",
		       path, n_framed, off, len);
		n_failed++;
	}
}

static bool wanted(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *dot = strrchr(base, '.');

	if (!dot)
		return strstr(path, "/torture/") != NULL;
	return !strcmp(dot, ".sip") || !strcmp(dot, ".txt") || !strcmp(dot, ".dat");
}

/* UDP payloads of IPv4 packets in a capture (Ethernet, Linux SLL, raw IP). */
static void check_pcap(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *h;
	const u_char *pkt;
	unsigned idx = 0;

	if (!pc) {
		printf("FAIL %s: %s\n", path, errbuf);
		n_failed++;
		return;
	}
	cur_name = path;
	while (pcap_next_ex(pc, &h, &pkt) == 1 && idx < 20000) {
		size_t l2, caplen = h->caplen;
		struct ip iph, *ip = &iph;
		size_t ihl;

		switch (pcap_datalink(pc)) {
		case DLT_EN10MB: l2 = 14; break;
		case DLT_LINUX_SLL: l2 = 16; break;
		case DLT_RAW: l2 = 0; break;
		default: goto done;
		}
		idx++;
		if (caplen < l2 + sizeof(struct ip))
			continue;
		if (l2 == 14 && (pkt[12] != 0x08 || pkt[13] != 0x00))
			continue;
		memcpy(&iph, pkt + l2, sizeof(iph));	/* packets are not aligned */
		ihl = (size_t)ip->ip_hl * 4;
		if (ip->ip_v != 4 || ip->ip_p != IPPROTO_UDP || caplen < l2 + ihl + 8 ||
		    (ntohs(ip->ip_off) & 0x3fff))
			continue;
		check_message(pkt + l2 + ihl + 8, caplen - l2 - ihl - 8, idx, 0, SIPALG_UDP);
	}
done:
	pcap_close(pc);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	uint8_t *data;
	size_t len = 0;
	const char *dot = strrchr(path, '.');

	(void)ftw;
	if (type != FTW_F || st->st_size > 4 * 1024 * 1024)
		return 0;
	if (dot && (!strcmp(dot, ".pcap") || !strcmp(dot, ".pcapng"))) {
		check_pcap(path);
		return 0;
	}
	if (!wanted(path))
		return 0;
	data = tu_read_file(path, &len);
	if (!data) {
		printf("FAIL %s: unreadable\n", path);
		n_failed++;
		return 0;
	}
	check_file(path, data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc > 2 && strcmp(argv[2], "-v") == 0)
		verbose = true;	/* print every rewrite made with a matching binding */
	if (argc < 2 || stat(argv[1], &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("corpus not found at %s: skipped\n", argc > 1 ? argv[1] : "(none)");
		return SKIP;
	}
	if (nftw(argv[1], visit, 16, FTW_PHYS) != 0) {
		perror(argv[1]);
		return 1;
	}
	printf("%u messages checked, %u rewritten with a matching binding, %u failures\n",
	       n_msgs, n_rewritten, n_failed);
	return n_failed || n_msgs == 0 ? 1 : 0;
}
