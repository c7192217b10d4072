/*
 * engine_digest.c - what the engine decides for every message of a folder,
 * as one digest line per file, so that a change to the engine's insides can
 * be checked against the outputs recorded before it (tests/alg/digests/).
 *
 * Each message (a file as one datagram, each TCP-framed message of it, the
 * UDP payloads of a pcap) is run outbound and inbound, with the default
 * switches and with every switch on, against a binding that names none of
 * its addresses and against one per IPv4 literal it holds (up to 4, with
 * the port written after it, else 5060): the
 * status, the edited output, the media callbacks and, when it parsed, the
 * facts go into a 64-bit FNV-1a hash. The reason text does not: it may be
 * worded anew without changing a decision.
 *
 * Usage: engine_digest DIR            one line per file, sorted by the caller
 *        engine_digest DIR -v [FILE]  one line per message and context (to find
 *                                     which message changed: diff two runs)
 * Exit 77 when DIR is absent (the shared corpus is optional).
 */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/ip.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sipalg.h"
#include "test_util.h"

#define SKIP 77
#define MAX_LITERALS 4

static const char *root;
static size_t root_len;
static bool verbose;
static const char *only;
static struct sipalg_result res;
static uint8_t out[SIPALG_MAX_MSG + 1024];

/* Per file. */
static uint64_t file_hash;
static unsigned file_msgs, file_rewritten;
static const char *cur_rel;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t fnv_u(uint64_t h, uint64_t v)
{
	return fnv(h, &v, sizeof(v));
}

static uint64_t fnv_s(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

/* An IPv4 address hashes as it always did (the recorded digests stay
 * valid); an IPv6 one, which the engine reports since it reads IN IP6, as
 * its 16 bytes too. */
static uint64_t fnv_addr(uint64_t h, struct sipalg_addr a)
{
	if (sipalg_addr_is_v6(&a))
		return fnv_u(fnv(fnv_u(h, 6), &a.ip6, sizeof(a.ip6)), a.port);
	return fnv_u(fnv_u(h, a.ip.s_addr), a.port);
}

static uint64_t media_hash(uint64_t h, const struct sipalg_media *m)
{
	h = fnv_s(fnv_s(h, m->type), m->proto);
	h = fnv_addr(h, m->addr);
	h = fnv_u(h, m->rtcp_port);
	return fnv_u(h, (uint64_t)m->rtcp_explicit | (uint64_t)m->rtcp_mux << 1 |
			(uint64_t)m->disabled << 2 | (uint64_t)m->hold_zero_addr << 3 |
			(uint64_t)m->dir << 4);
}

static uint64_t facts_hash(uint64_t h, const struct sipalg_facts *f)
{
	unsigned i;

	h = fnv_u(h, f->is_request);
	h = fnv_s(h, f->method);
	h = fnv_u(h, (uint64_t)f->status_code);
	h = fnv_u(h, f->cseq);
	h = fnv_s(fnv_s(fnv_s(h, f->call_id), f->from_tag), f->to_tag);
	h = fnv_u(h, (uint64_t)f->expires);
	h = fnv_u(h, f->has_sdp);
	h = fnv_u(h, f->n_media);
	for (i = 0; i < f->n_media && i < SIPALG_MAX_MEDIA; i++)
		h = media_hash(h, &f->media[i]);
	return fnv_addr(fnv_addr(h, f->sdp_origin), f->top_via);
}

/* The media map records what it was asked: the pinholes the daemon opens. */
static uint64_t map_hash;

static int digest_map(void *arg, enum sipalg_dir dir, const struct sipalg_facts *msg,
		      unsigned idx, const struct sipalg_media *m,
		      struct sipalg_addr *o, uint16_t *o_rtcp)
{
	(void)arg; (void)msg;
	map_hash = media_hash(fnv_u(fnv_u(map_hash, dir), idx), m);
	o->port = (uint16_t)(m->addr.port + 2000);
	*o_rtcp = (uint16_t)(o->port + 1);
	return 0;
}

static uint64_t run_one(const uint8_t *msg, size_t len, const struct sipalg_ctx *ctx)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	long n;

	map_hash = 0xcbf29ce484222325ULL;
	sipalg_process(msg, len, ctx, &res);
	n = sipalg_apply(msg, len, &res, out, sizeof(out));
	h = fnv_u(h, res.status);
	h = fnv_u(h, (uint64_t)n);
	if (n > 0)
		h = fnv(h, out, (size_t)n);
	h = fnv_u(h, map_hash);
	if (res.status == SIPALG_OK || res.status == SIPALG_DISABLED)
		h = facts_hash(h, &res.facts);
	if (res.status == SIPALG_OK && res.n_edits)
		file_rewritten++;
	return h;
}

/* Distinct IPv4 literals of the message, in order (not 0.0.0.0), each with
 * the port written after it (else 5060), so that bindings match. */
static unsigned literals(const uint8_t *msg, size_t len, struct sipalg_addr *ips, unsigned max)
{
	unsigned k = 0;
	size_t i, j;

	for (i = 0; i < len && k < max; i++) {
		char buf[16];
		struct in_addr ip;
		unsigned m, port = 0;

		if (msg[i] < '0' || msg[i] > '9' ||
		    (i && ((msg[i - 1] >= '0' && msg[i - 1] <= '9') || msg[i - 1] == '.')))
			continue;
		for (j = i; j < len && j - i < 15 && ((msg[j] >= '0' && msg[j] <= '9') || msg[j] == '.'); j++)
			;
		memcpy(buf, msg + i, j - i);
		buf[j - i] = '\0';
		if (inet_pton(AF_INET, buf, &ip) != 1 || ip.s_addr == 0)
			continue;
		if (j + 1 < len && msg[j] == ':' && msg[j + 1] >= '0' && msg[j + 1] <= '9')
			for (j++; j < len && msg[j] >= '0' && msg[j] <= '9' && port < 65536; j++)
				port = port * 10 + (unsigned)(msg[j] - '0');
		if (port == 0 || port > 65535)
			port = 5060;
		for (m = 0; m < k && (ips[m].ip.s_addr != ip.s_addr || ips[m].port != port); m++)
			;
		if (m == k)
			ips[k++] = (struct sipalg_addr){ .ip = ip, .port = (uint16_t)port };
	}
	return k;
}

static void digest_message(const uint8_t *msg, size_t len, unsigned idx, enum sipalg_transport tr)
{
	struct sipalg_switches sw[2];
	struct sipalg_addr ips[MAX_LITERALS + 1];
	struct sipalg_ctx ctx = { .transport = tr, .map_media = digest_map };
	unsigned n_ips, a, s, d;

	if (len > SIPALG_MAX_MSG)
		len = SIPALG_MAX_MSG;
	file_msgs++;
	sipalg_switches_default(&sw[0]);
	sipalg_switches_default(&sw[1]);
	sw[1].from_to = true;
	tu_parse_addr("10.99.0.1:5060", &ips[0]);
	n_ips = 1 + literals(msg, len, ips + 1, MAX_LITERALS);
	for (a = 0; a < n_ips; a++)
		for (s = 0; s < 2; s++)
			for (d = 0; d < 2; d++) {
				struct sipalg_addr named = ips[a], other;
				uint64_t h;

				tu_parse_addr("203.0.113.222:40000", &other);
				tu_parse_addr("198.51.100.77:5060", &ctx.binding.remote);
				ctx.sw = &sw[s];
				ctx.dir = d ? SIPALG_INBOUND : SIPALG_OUTBOUND;
				/* inbound, the message's address plays the public one */
				ctx.binding.inside = d ? other : named;
				ctx.binding.public = d ? named : other;
				h = run_one(msg, len, &ctx);
				file_hash = fnv_u(file_hash, h);
				if (verbose)
					printf("%s#%u %s %s:%u %s %s %016llx\n", cur_rel, idx,
					       tr == SIPALG_TCP ? "tcp" : "udp", inet_ntoa(ips[a].ip),
					       ips[a].port,
					       s ? "all" : "default", d ? "in" : "out",
					       (unsigned long long)h);
			}
}

static void digest_file(const uint8_t *data, size_t len)
{
	size_t off = 0;
	unsigned idx = 1;

	digest_message(data, len, 0, SIPALG_UDP);
	while (off < len && idx < 10000) {
		long m = sipalg_message_length(data + off, len - off);

		if (m <= 0 || ((size_t)m == len && off == 0))
			break;
		digest_message(data + off, (size_t)m, idx++, SIPALG_TCP);
		off += (size_t)m;
	}
}

static void digest_pcap(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *h;
	const u_char *pkt;
	unsigned idx = 0;

	if (!pc) {
		file_hash = fnv_s(file_hash, "unreadable");
		return;
	}
	while (pcap_next_ex(pc, &h, &pkt) == 1 && idx < 20000) {
		size_t l2, caplen = h->caplen, ihl;
		struct ip iph;

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
		memcpy(&iph, pkt + l2, sizeof(iph));
		ihl = (size_t)iph.ip_hl * 4;
		if (iph.ip_v != 4 || iph.ip_p != IPPROTO_UDP || caplen < l2 + ihl + 8 ||
		    (ntohs(iph.ip_off) & 0x3fff))
			continue;
		digest_message(pkt + l2 + ihl + 8, caplen - l2 - ihl - 8, idx, SIPALG_UDP);
	}
done:
	pcap_close(pc);
}

static bool wanted(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *dot = strrchr(base, '.');

	if (!dot)
		return strstr(path, "/torture/") != NULL;
	return !strcmp(dot, ".sip") || !strcmp(dot, ".txt") || !strcmp(dot, ".dat");
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *dot = strrchr(path, '.');
	bool pcap = dot && (!strcmp(dot, ".pcap") || !strcmp(dot, ".pcapng"));
	uint8_t *data;
	size_t len = 0;

	(void)ftw;
	if (type != FTW_F || st->st_size > 4 * 1024 * 1024 || (!pcap && !wanted(path)))
		return 0;
	cur_rel = path + root_len + (path[root_len] == '/');
	if (only && strcmp(only, cur_rel) != 0)
		return 0;
	file_hash = 0xcbf29ce484222325ULL;
	file_msgs = file_rewritten = 0;
	if (pcap) {
		digest_pcap(path);
	} else if ((data = tu_read_file(path, &len)) != NULL) {
		digest_file(data, len);
		free(data);
	} else {
		file_hash = fnv_s(file_hash, "unreadable");
	}
	if (!verbose)
		printf("%s msgs=%u rewritten=%u digest=%016llx\n", cur_rel, file_msgs,
		       file_rewritten, (unsigned long long)file_hash);
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc > 2 && strcmp(argv[2], "-v") == 0) {
		verbose = true;
		only = argc > 3 ? argv[3] : NULL;
	}
	if (argc < 2 || stat(argv[1], &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s not found: skipped\n", argc > 1 ? argv[1] : "(no folder)");
		return SKIP;
	}
	root = argv[1];
	root_len = strlen(root);
	while (root_len > 1 && root[root_len - 1] == '/')
		root_len--;
	if (nftw(root, visit, 16, FTW_PHYS) != 0) {
		perror(root);
		return 1;
	}
	return 0;
}
