/*
 * replay_packet.c - one packet through the modelled gateway: IPv4 under the
 * link header, the direction from the inside CIDR, the NAT binding, the SIP
 * step, then the rebuilt packet (addresses, lengths, checksums, TCP
 * sequence numbers). What is not modelled is copied, with why under -v.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>

#include "config.h"
#include "replay_csum.h"
#include "replay_link.h"
#include "replay_state.h"

static bool inside(const struct replay *r, struct in_addr a)
{
	return (a.s_addr & r->o->inside_mask.s_addr) == r->o->inside_net.s_addr;
}

/*
 * One packet: in (hdr, data) -> out (ohdr, obuf). Returns what was done.
 */
enum replay_outcome replay_packet(struct replay *r, int dlt,
				  const struct pcap_pkthdr *hdr, const uint8_t *data,
				  struct pcap_pkthdr *ohdr, uint8_t *obuf)
{
	char a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN];
	const char *why = NULL;
	size_t caplen = hdr->caplen;
	long l3;

	*ohdr = *hdr;
	memcpy(obuf, data, caplen);
	if (hdr->caplen < hdr->len) {
		vadd(&r->v, " truncated capture (%u of %u bytes): copied", hdr->caplen, hdr->len);
		return COPIED;
	}
	l3 = replay_ipv4_offset(dlt, data, caplen, &why);
	if (l3 < 0) {
		vadd(&r->v, " %s", why);
		return COPIED;
	}

	const uint8_t *ipb = data + l3;
	size_t avail = caplen - (size_t)l3;
	struct ip iph;

	if (avail < sizeof(iph)) {
		vadd(&r->v, " short IPv4 header: copied");
		return COPIED;
	}
	memcpy(&iph, ipb, sizeof(iph));
	size_t ihl = (size_t)iph.ip_hl * 4, tot = ntohs(iph.ip_len);
	if (iph.ip_v != 4 || ihl < 20 || tot < ihl || tot > avail) {
		vadd(&r->v, " malformed IPv4 header: copied");
		return COPIED;
	}
	if (ntohs(iph.ip_off) & (IP_MF | IP_OFFMASK)) {
		vadd(&r->v, " IP fragment: copied unchanged");
		return COPIED;
	}
	uint8_t proto = iph.ip_p;
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP) {
		vadd(&r->v, " IP protocol %u: copied", proto);
		return COPIED;
	}

	const uint8_t *l4 = ipb + ihl;
	size_t l4len = tot - ihl, l4hdr;
	uint16_t sport, dport;
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;
		if (l4len < sizeof(uh)) {
			vadd(&r->v, " short UDP header: copied");
			return COPIED;
		}
		memcpy(&uh, l4, sizeof(uh));
		if (ntohs(uh.uh_ulen) != l4len) {
			vadd(&r->v, " UDP length %u disagrees with IP (%zu): copied",
			     ntohs(uh.uh_ulen), l4len);
			return COPIED;
		}
		l4hdr = sizeof(uh);
		sport = ntohs(uh.uh_sport);
		dport = ntohs(uh.uh_dport);
	} else {
		struct tcphdr th;
		if (l4len < sizeof(th)) {
			vadd(&r->v, " short TCP header: copied");
			return COPIED;
		}
		memcpy(&th, l4, sizeof(th));
		l4hdr = (size_t)th.th_off * 4;
		if (l4hdr < sizeof(th) || l4hdr > l4len) {
			vadd(&r->v, " malformed TCP header: copied");
			return COPIED;
		}
		sport = ntohs(th.th_sport);
		dport = ntohs(th.th_dport);
	}
	vadd(&r->v, " %s %s:%u > %s:%u", proto == IPPROTO_UDP ? "udp" : "tcp",
	     vline_ip(iph.ip_src, a1), sport, vline_ip(iph.ip_dst, a2), dport);

	/* Which way does it cross the NAT, and under which binding? */
	struct sipalg_binding b = { 0 };	/* listen_port: none (the replay keeps no TCP connection state) */
	enum sipalg_dir dir;
	bool src_in = inside(r, iph.ip_src), dst_in = inside(r, iph.ip_dst);
	bool created = false;
	int pub;

	if (src_in && dst_in) {
		vadd(&r->v, " inside to inside, does not cross the NAT: copied");
		return COPIED;
	}
	if (src_in) {
		dir = SIPALG_OUTBOUND;
		b.inside = (struct sipalg_addr){ .ip = iph.ip_src, .port = sport };
		b.remote = (struct sipalg_addr){ .ip = iph.ip_dst, .port = dport };
		pub = replay_nat_outbound(&r->nat, proto, iph.ip_src, sport, &created);
		if (pub < 0) {
			vadd(&r->v, " no public port left: copied");
			return COPIED;
		}
		if (created && pub != sport)
			vadd(&r->notes, " [port %u taken: NAT to %u]", sport, pub);
	} else if (dst_in) {
		dir = SIPALG_INBOUND;
		b.inside = (struct sipalg_addr){ .ip = iph.ip_dst, .port = dport };
		b.remote = (struct sipalg_addr){ .ip = iph.ip_src, .port = sport };
		pub = replay_nat_outbound(&r->nat, proto, iph.ip_dst, dport, &created);
		if (pub < 0) {
			vadd(&r->v, " no public port left: copied");
			return COPIED;
		}
		if (created)
			vadd(&r->notes, " [no earlier outbound flow: mapped as a port forward, public %u]", pub);
	} else if (iph.ip_dst.s_addr == r->o->public_ip.s_addr) {
		const struct replay_nat_owner *o = replay_nat_reverse(&r->nat, proto, dport);

		if (!o) {
			vadd(&r->v, " to the public address, port %u: no NAT mapping: copied", dport);
			return COPIED;
		}
		dir = SIPALG_INBOUND;
		b.inside = (struct sipalg_addr){ .ip = o->ip, .port = o->port };
		b.remote = (struct sipalg_addr){ .ip = iph.ip_src, .port = sport };
		pub = dport;
	} else {
		vadd(&r->v, " neither side inside: copied");
		return COPIED;
	}
	b.public = (struct sipalg_addr){ .ip = r->o->public_ip, .port = (uint16_t)pub };
	r->dirstr = dir == SIPALG_OUTBOUND ? "out" : "in";

	/* SIP payload, when the flow is on a SIP port and its transport is helped. */
	const uint8_t *payload = l4 + l4hdr, *newp = payload;
	size_t plen = l4len - l4hdr, nlen = plen;
	bool helped = proto == IPPROTO_UDP ? r->cfg->udp : r->cfg->tcp;
	bool sip_port = config_is_sip_port(r->cfg, b.inside.port) ||
			config_is_sip_port(r->cfg, b.remote.port);
	size_t room = 65535 - ihl - l4hdr;
	struct tcp_flow *flow = NULL;
	uint32_t seq_out = 0;

	if (sip_port && !helped && plen > 0)
		vadd(&r->notes, " | %s not helped (config): payload left",
		     proto == IPPROTO_UDP ? "UDP" : "TCP");
	if (proto == IPPROTO_UDP && sip_port && helped && plen > 0) {
		nlen = replay_rewrite_udp_sip(r, payload, plen, dir, &b, room, &newp);
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr th;

		memcpy(&th, l4, sizeof(th));
		seq_out = ntohl(th.th_seq);
		flow = replay_tcp_flow_get(r->tcp, &b);
		if (flow) {
			nlen = replay_tcp_segment(r, flow, dir, &b, sip_port && helped, th.th_flags,
					   ntohl(th.th_seq), payload, plen, r->sip_out,
					   room < sizeof(r->sip_out) ? room : sizeof(r->sip_out),
					   &seq_out);
			newp = r->sip_out;
		}
	}
	bool sip = r->sip_seen;
	bool payload_changed = nlen != plen || memcmp(newp, payload, plen) != 0;

	/* Rebuild: link header, IP header, l4 header, payload, any trailer. */
	size_t trailer = avail - tot;
	long delta = (long)nlen - (long)plen;
	uint8_t *oip = obuf + l3, *ol4 = oip + ihl;
	struct ip oiph = iph;

	memcpy(ol4 + l4hdr, newp, nlen);
	memcpy(ol4 + l4hdr + nlen, ipb + tot, trailer);
	if (dir == SIPALG_OUTBOUND) {
		oiph.ip_src = r->o->public_ip;
		sport = (uint16_t)pub;
	} else {
		oiph.ip_dst = b.inside.ip;
		dport = b.inside.port;
	}
	oiph.ip_len = htons((uint16_t)(tot + delta));
	oiph.ip_sum = 0;
	memcpy(oip, &oiph, sizeof(oiph));
	oiph.ip_sum = htons(replay_fold(replay_sum16(0, oip, ihl)));
	memcpy(oip, &oiph, sizeof(oiph));

	uint16_t p16;
	size_t ol4len = l4len + (size_t)delta;
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;
		memcpy(&uh, ol4, sizeof(uh));
		bool had_sum = uh.uh_sum != 0;
		bool sum_ok = !had_sum || replay_l4_checksum(&iph, proto, l4, l4len) == 0;
		uh.uh_sport = htons(sport);
		uh.uh_dport = htons(dport);
		uh.uh_ulen = htons((uint16_t)ol4len);
		uh.uh_sum = 0;
		memcpy(ol4, &uh, sizeof(uh));
		if (had_sum) {	/* 0 = "no checksum" in UDP/IPv4: keep it so */
			p16 = replay_l4_checksum(&oiph, proto, ol4, ol4len);
			uh.uh_sum = htons(p16 ? p16 : 0xffff);
			memcpy(ol4, &uh, sizeof(uh));
		}
		if (!sum_ok)
			vadd(&r->notes, " [input UDP checksum was wrong (offload?): recomputed]");
	} else {
		struct tcphdr th;
		memcpy(&th, ol4, sizeof(th));
		bool sum_ok = replay_l4_checksum(&iph, proto, l4, l4len) == 0;
		th.th_sport = htons(sport);
		th.th_dport = htons(dport);
		if (seq_out != ntohl(th.th_seq))
			vadd(&r->notes, " [seq %+d]", (int32_t)(seq_out - ntohl(th.th_seq)));
		if (delta)
			vadd(&r->notes, " [segment %+ld bytes]", delta);
		th.th_seq = htonl(seq_out);
		th.th_sum = 0;
		memcpy(ol4, &th, sizeof(th));
		th.th_sum = htons(replay_l4_checksum(&oiph, proto, ol4, ol4len));
		memcpy(ol4, &th, sizeof(th));
		if (!sum_ok)
			vadd(&r->notes, " [input TCP checksum was wrong (offload?): recomputed]");
	}
	ohdr->caplen = (uint32_t)((long)caplen + delta);
	ohdr->len = (uint32_t)((long)hdr->len + delta);

	vadd(&r->v, " => %s:%u > %s:%u", vline_ip(oiph.ip_src, a1), sport,
	     vline_ip(oiph.ip_dst, a2), dport);
	if (ohdr->caplen == caplen && memcmp(obuf, data, caplen) == 0)
		return sip ? SIP_UNCHANGED : COPIED;
	if (payload_changed)
		return SIP_REWRITTEN;
	return sip ? SIP_UNCHANGED : NAT_ONLY;
}
