/*
 * replay.c - offline replay of a capture through a modelled NAT and the engine.
 *
 * One packet at a time, top to bottom: find IP under the link header,
 * decide the direction from the inside CIDR, look the flow up in the NAT
 * table (masquerade-like, endpoint independent), run the engine on SIP
 * payloads, rebuild the packet with the new addresses, lengths, checksums
 * and (TCP) sequence numbers, write it with the same link type. What it does
 * not model (not IP, fragments, other protocols, flows that do not cross
 * the NAT, truncated captures) is written byte for byte, with the reason
 * under -v. Non-SIP packets of flows that cross the NAT get the NAT only.
 *
 * This file is the driver (two passes over the capture, the output file).
 * The rest: replay_packet.c (one packet), replay_sip.c (the engine step),
 * replay_media.c (pinhole pool), replay_tcp.c (SIP over TCP), replay_nat.c
 * (NAT table), replay_link.c (link layers), replay_csum.c (checksums),
 * replay_vline.c (the -v line); replay_state.h is what they share.
 */
#include "replay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "replay_link.h"
#include "replay_state.h"

/* "ADDR[/BITS]" of family af into dst (BITS defaults to max_bits). 0 or -1. */
static int parse_prefix(int af, const char *s, void *dst, unsigned max_bits, unsigned *bits)
{
	char buf[INET6_ADDRSTRLEN + 4];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long b = max_bits;

	if (alen >= INET6_ADDRSTRLEN)
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(af, buf, dst) != 1)
		return -1;
	if (slash) {
		char *end;

		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		b = strtoul(slash + 1, &end, 10);
		if (*end || b > max_bits)
			return -1;
	}
	*bits = (unsigned)b;
	return 0;
}

int replay_parse_cidr(const char *s, struct in_addr *net, struct in_addr *mask)
{
	unsigned bits;

	if (parse_prefix(AF_INET, s, net, 32, &bits) < 0)
		return -1;
	mask->s_addr = bits ? htonl(~0u << (32 - bits)) : 0;
	net->s_addr &= mask->s_addr;
	return 0;
}

int replay_parse_cidr6(const char *s, struct in6_addr *net, unsigned *bits)
{
	if (parse_prefix(AF_INET6, s, net, 128, bits) < 0)
		return -1;
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = *bits > i * 8 ? (*bits - i * 8 >= 8 ? 8 : *bits - i * 8) : 0;

		net->s6_addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	return 0;
}

/*
 * One pass over the capture. Pass 1 only plans (TCP messages); pass 2 writes
 * out (when given) and the -v lines. Returns 0 or -1 with err.
 */
static int replay_pass(struct replay *r, pcap_t *in, int dlt, pcap_dumper_t *out,
		       struct replay_stats *st, char *err, size_t errlen)
{
	const struct replay_opts *o = r->o;
	FILE *vout = o->vout ? o->vout : stdout;

	memset(st, 0, sizeof(*st));
	for (;;) {
		struct pcap_pkthdr *hdr, ohdr;
		const u_char *data;
		int k = pcap_next_ex(in, &hdr, &data);

		if (k == PCAP_ERROR_BREAK)
			return 0;	/* end of file */
		if (k != 1) {
			snprintf(err, errlen, "%s: packet %llu: %s", o->in_path,
				 (unsigned long long)st->packets + 1, pcap_geterr(in));
			return -1;
		}
		st->packets++;
		r->v.n = r->notes.n = 0;
		r->v.s[0] = r->notes.s[0] = '\0';
		r->dirstr = "--";
		r->sip_seen = false;
		if (hdr->caplen + 65536ul > r->obuf_size) {
			uint8_t *bigger = realloc(r->obuf, hdr->caplen + 65536ul);
			if (!bigger) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			r->obuf = bigger;
			r->obuf_size = hdr->caplen + 65536ul;
		}
		switch (replay_packet(r, dlt, hdr, data, &ohdr, r->obuf)) {
		case COPIED: st->copied++; break;
		case NAT_ONLY: st->nat_only++; break;
		case SIP_REWRITTEN: st->sip_rewritten++; break;
		case SIP_UNCHANGED: st->sip_unchanged++; break;
		}
		if (out)
			pcap_dump((u_char *)out, &ohdr, r->obuf);
		if (out && o->verbose)
			fprintf(vout, "%llu %s%s%s\n", (unsigned long long)st->packets,
				r->dirstr, r->v.s, r->notes.s);
	}
}

/* Fresh per-pass state; the TCP plans survive. */
static int replay_reset(struct replay *r)
{
	replay_nat_free(&r->nat);
	replay_tcp_rewind(r->tcp);
	return replay_nat_init(&r->nat);
}

int replay_run(const struct replay_opts *o, struct replay_stats *st,
	       char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *in = NULL, *dead = NULL;
	pcap_dumper_t *out = NULL;
	struct replay *r = NULL;
	int rc = -1, dlt, snap;

	memset(st, 0, sizeof(*st));
	r = calloc(1, sizeof(*r));
	if (!r || !(r->tcp = calloc(TCP_FLOWS, sizeof(*r->tcp))) || replay_nat_init(&r->nat) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r->o = o;
	r->cfg = o->cfg;
	r->pool_min = o->cfg->rtp.port_min;
	r->pool_max = o->cfg->rtp.port_max;

	/* Pass 1: the same walk, nothing written, to plan SIP over TCP. */
	in = pcap_open_offline(o->in_path, errbuf);
	if (!in) {
		snprintf(err, errlen, "%s: %s", o->in_path, errbuf);
		goto out;
	}
	dlt = pcap_datalink(in);
	if (!replay_dlt_supported(dlt))
		log_warnx("%s: link type %s not modelled: every packet is copied unchanged",
			  o->in_path, pcap_datalink_val_to_name(dlt) ?
			  pcap_datalink_val_to_name(dlt) : "?");
	r->pass = 1;
	if (replay_pass(r, in, dlt, NULL, st, err, errlen) < 0)
		goto out;
	pcap_close(in);

	/* Pass 2: again from the start, writing. */
	in = pcap_open_offline(o->in_path, errbuf);
	if (!in) {
		snprintf(err, errlen, "%s: %s", o->in_path, errbuf);
		goto out;
	}
	/* Rewritten packets may grow: leave room above the input's snap length. */
	snap = pcap_snapshot(in);
	if (snap < 262144)
		snap = 262144;
	dead = pcap_open_dead_with_tstamp_precision(dlt, snap, pcap_get_tstamp_precision(in));
	if (!dead) {
		snprintf(err, errlen, "%s: cannot set up the output", o->out_path);
		goto out;
	}
	out = pcap_dump_open(dead, o->out_path);
	if (!out) {
		snprintf(err, errlen, "%s: %s", o->out_path, pcap_geterr(dead));
		goto out;
	}
	r->pass = 2;
	if (replay_reset(r) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (replay_pass(r, in, dlt, out, st, err, errlen) < 0)
		goto out;
	if (pcap_dump_flush(out) < 0 || ferror(pcap_dump_file(out))) {
		snprintf(err, errlen, "%s: write error: %s", o->out_path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out) {
		/* pcap_dump_close() hides fclose()'s result: flush first, check that. */
		FILE *f = pcap_dump_file(out);
		if (fflush(f) != 0 && rc == 0) {
			snprintf(err, errlen, "%s: write error: %s", o->out_path, strerror(errno));
			rc = -1;
		}
		pcap_dump_close(out);
	}
	if (dead)
		pcap_close(dead);
	if (in)
		pcap_close(in);
	if (r) {
		replay_nat_free(&r->nat);
		replay_tcp_free(r->tcp);
		free(r->obuf);
	}
	free(r);
	return rc;
}
