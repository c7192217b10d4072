/*
 * replay_packet.c - one packet through the modelled gateway: IP (v4 or v6)
 * under the link header, the direction from the inside network, the NAT
 * binding (none for routed IPv6), the SIP step, then the rebuilt packet
 * (addresses, lengths, checksums, TCP sequence numbers). What is not
 * modelled is copied, with why under -v.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>

#include "config.h"
#include "replay_ip.h"
#include "replay_link.h"
#include "replay_state.h"

static bool in_prefix6(const struct in6_addr *a, const struct in6_addr *net, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a->s6_addr, net->s6_addr, full))
		return false;
	return !rest || ((a->s6_addr[full] ^ net->s6_addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static bool inside(const struct replay *r, const struct sipalg_addr *a)
{
	if (sipalg_addr_is_v6(a))
		return in_prefix6(&a->ip6, &r->o->inside6_net, r->o->inside6_bits);
	return (a->ip.s_addr & r->o->inside_mask.s_addr) == r->o->inside_net.s_addr;
}

/* "addr:port", IPv6 in brackets, for the -v line. */
static void vadd_hostport(struct vline *v, const struct sipalg_addr *a, uint16_t port)
{
	char t[VLINE_ADDR_MAX];

	vadd(v, sipalg_addr_is_v6(a) ? "[%s]:%u" : "%s:%u", vline_addr(a, t), port);
}

/* The family's public address; false when it is not modelled or (IPv6
 * without --public6) routed. */
static bool public_of(const struct replay *r, const struct sipalg_addr *like,
		      struct sipalg_addr *pub)
{
	if (sipalg_addr_is_v6(like)) {
		if (!r->o->has_public6)
			return false;
		*pub = (struct sipalg_addr){ .ip6 = r->o->public6, .family = AF_INET6 };
		return true;
	}
	*pub = (struct sipalg_addr){ .ip = r->o->public_ip, .family = AF_INET };
	return true;
}

/*
 * One packet: in (hdr, data) -> out (ohdr, obuf). Returns what was done.
 */
enum replay_outcome replay_packet(struct replay *r, int dlt,
				  const struct pcap_pkthdr *hdr, const uint8_t *data,
				  struct pcap_pkthdr *ohdr, uint8_t *obuf)
{
	const char *why = NULL;
	size_t caplen = hdr->caplen;
	struct replay_ip iph;
	unsigned ethertype = 0;
	long l3;

	*ohdr = *hdr;
	memcpy(obuf, data, caplen);
	if (hdr->caplen < hdr->len) {
		vadd(&r->v, " truncated capture (%u of %u bytes): copied", hdr->caplen, hdr->len);
		return COPIED;
	}
	l3 = replay_ip_offset(dlt, data, caplen, &ethertype, &why);
	if (l3 < 0) {
		vadd(&r->v, " %s", why);
		return COPIED;
	}

	const uint8_t *ipb = data + l3;
	size_t avail = caplen - (size_t)l3;

	if (replay_ip_parse(ethertype, ipb, avail, &iph, &why) < 0) {
		vadd(&r->v, " %s", why);
		return COPIED;
	}
	bool v6 = sipalg_addr_is_v6(&iph.src);
	if (v6 ? !r->o->has_inside6 : !r->o->has_inside4) {
		vadd(&r->v, v6 ? " IPv6, no inside IPv6 prefix given: copied"
			       : " IPv4, no inside IPv4 network given: copied");
		return COPIED;
	}
	uint8_t proto = iph.proto;
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP) {
		vadd(&r->v, " IP protocol %u: copied", proto);
		return COPIED;
	}

	const uint8_t *l4 = ipb + iph.hlen;
	size_t ihl = iph.hlen, tot = iph.tot, l4len = tot - ihl, l4hdr;
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
	vadd(&r->v, " %s ", proto == IPPROTO_UDP ? "udp" : "tcp");
	vadd_hostport(&r->v, &iph.src, sport);
	vadd(&r->v, " > ");
	vadd_hostport(&r->v, &iph.dst, dport);

	/* Which way does it cross the gateway, and under which binding? A
	 * routed (IPv6) flow's binding has public == inside: the engine then
	 * changes nothing but still names the media its pinholes need. */
	struct sipalg_binding b = { 0 };	/* listen_port: none (the replay keeps no TCP connection state) */
	struct sipalg_addr pubaddr;
	enum sipalg_dir dir;
	bool src_in = inside(r, &iph.src), dst_in = inside(r, &iph.dst);
	bool routed = !public_of(r, &iph.src, &pubaddr);
	bool created = false;
	int pub;

	if (src_in && dst_in) {
		vadd(&r->v, " inside to inside, does not cross the NAT: copied");
		return COPIED;
	}
	if (routed && (src_in || dst_in)) {
		dir = src_in ? SIPALG_OUTBOUND : SIPALG_INBOUND;
		b.inside = src_in ? iph.src : iph.dst;
		b.inside.port = src_in ? sport : dport;
		b.remote = src_in ? iph.dst : iph.src;
		b.remote.port = src_in ? dport : sport;
		pubaddr = b.inside;
		pub = b.inside.port;
		vadd(&r->notes, " [routed, no NAT]");
	} else if (src_in) {
		dir = SIPALG_OUTBOUND;
		b.inside = iph.src;
		b.inside.port = sport;
		b.remote = iph.dst;
		b.remote.port = dport;
		pub = replay_nat_outbound(&r->nat, proto, &iph.src, sport, &created);
		if (pub < 0) {
			vadd(&r->v, " no public port left: copied");
			return COPIED;
		}
		if (created && pub != sport)
			vadd(&r->notes, " [port %u taken: NAT to %u]", sport, pub);
	} else if (dst_in) {
		dir = SIPALG_INBOUND;
		b.inside = iph.dst;
		b.inside.port = dport;
		b.remote = iph.src;
		b.remote.port = sport;
		pub = replay_nat_outbound(&r->nat, proto, &iph.dst, dport, &created);
		if (pub < 0) {
			vadd(&r->v, " no public port left: copied");
			return COPIED;
		}
		if (created)
			vadd(&r->notes, " [no earlier outbound flow: mapped as a port forward, public %u]", pub);
	} else if (!routed && sipalg_addr_same_ip(&iph.dst, &pubaddr)) {
		const struct replay_nat_owner *o = replay_nat_reverse(&r->nat, &pubaddr, proto, dport);

		if (!o) {
			vadd(&r->v, " to the public address, port %u: no NAT mapping: copied", dport);
			return COPIED;
		}
		dir = SIPALG_INBOUND;
		b.inside = o->ip;
		b.inside.port = o->port;
		b.remote = iph.src;
		b.remote.port = sport;
		pub = dport;
	} else {
		vadd(&r->v, " neither side inside: copied");
		return COPIED;
	}
	b.public = pubaddr;
	b.public.port = (uint16_t)pub;
	r->public_addr = pubaddr;
	r->routed = routed;
	r->dirstr = dir == SIPALG_OUTBOUND ? "out" : "in";

	/* SIP payload, when the flow is on a SIP port and its transport is helped. */
	const uint8_t *payload = l4 + l4hdr, *newp = payload;
	size_t plen = l4len - l4hdr, nlen = plen;
	bool helped = proto == IPPROTO_UDP ? r->cfg->udp : r->cfg->tcp;
	bool sip_port = config_is_sip_port(r->cfg, b.inside.port) ||
			config_is_sip_port(r->cfg, b.remote.port);
	size_t room = 65535 - (v6 ? ihl - 40 : ihl) - l4hdr;	/* IPv6: the payload length field */
	struct tcp_flow *flow = NULL;
	uint32_t seq_out = 0, seq_in = 0;

	if (sip_port && !helped && plen > 0)
		vadd(&r->notes, " | %s not helped (config): payload left",
		     proto == IPPROTO_UDP ? "UDP" : "TCP");
	if (proto == IPPROTO_UDP && sip_port && helped && plen > 0) {
		nlen = replay_rewrite_udp_sip(r, payload, plen, dir, &b, room, &newp);
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr th;

		memcpy(&th, l4, sizeof(th));
		seq_out = seq_in = ntohl(th.th_seq);
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

	/* A routed packet the engine left alone crosses as it came. */
	if (routed && !payload_changed && seq_out == seq_in)
		return sip ? SIP_UNCHANGED : COPIED;

	/* Rebuild: link header, IP header, l4 header, payload, any trailer. */
	size_t trailer = avail - tot;
	long delta = (long)nlen - (long)plen;
	uint8_t *oip = obuf + l3, *ol4 = oip + ihl;
	struct sipalg_addr osrc = iph.src, odst = iph.dst;

	memcpy(ol4 + l4hdr, newp, nlen);
	memcpy(ol4 + l4hdr + nlen, ipb + tot, trailer);
	if (!routed && dir == SIPALG_OUTBOUND) {
		osrc = pubaddr;
		sport = (uint16_t)pub;
	} else if (!routed) {
		odst = b.inside;
		dport = b.inside.port;
	}
	replay_ip_write(oip, &iph, &osrc, &odst, (size_t)((long)tot + delta));

	uint16_t p16;
	size_t ol4len = l4len + (size_t)delta;
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;
		memcpy(&uh, ol4, sizeof(uh));
		/* 0 = "no checksum" in UDP/IPv4: keep it so. IPv6 has no such
		 * value (RFC 8200 8.1): always computed. */
		bool had_sum = uh.uh_sum != 0 || v6;
		bool sum_ok = !had_sum ||
			      replay_ip_l4_checksum(&iph.src, &iph.dst, proto, l4, l4len) == 0;
		uh.uh_sport = htons(sport);
		uh.uh_dport = htons(dport);
		uh.uh_ulen = htons((uint16_t)ol4len);
		uh.uh_sum = 0;
		memcpy(ol4, &uh, sizeof(uh));
		if (had_sum) {
			p16 = replay_ip_l4_checksum(&osrc, &odst, proto, ol4, ol4len);
			uh.uh_sum = htons(p16 ? p16 : 0xffff);
			memcpy(ol4, &uh, sizeof(uh));
		}
		if (!sum_ok)
			vadd(&r->notes, " [input UDP checksum was wrong (offload?): recomputed]");
	} else {
		struct tcphdr th;
		memcpy(&th, ol4, sizeof(th));
		bool sum_ok = replay_ip_l4_checksum(&iph.src, &iph.dst, proto, l4, l4len) == 0;
		th.th_sport = htons(sport);
		th.th_dport = htons(dport);
		if (seq_out != ntohl(th.th_seq))
			vadd(&r->notes, " [seq %+d]", (int32_t)(seq_out - ntohl(th.th_seq)));
		if (delta)
			vadd(&r->notes, " [segment %+ld bytes]", delta);
		th.th_seq = htonl(seq_out);
		th.th_sum = 0;
		memcpy(ol4, &th, sizeof(th));
		th.th_sum = htons(replay_ip_l4_checksum(&osrc, &odst, proto, ol4, ol4len));
		memcpy(ol4, &th, sizeof(th));
		if (!sum_ok)
			vadd(&r->notes, " [input TCP checksum was wrong (offload?): recomputed]");
	}
	ohdr->caplen = (uint32_t)((long)caplen + delta);
	ohdr->len = (uint32_t)((long)hdr->len + delta);

	vadd(&r->v, " => ");
	vadd_hostport(&r->v, &osrc, sport);
	vadd(&r->v, " > ");
	vadd_hostport(&r->v, &odst, dport);
	if (ohdr->caplen == caplen && memcmp(obuf, data, caplen) == 0)
		return sip ? SIP_UNCHANGED : COPIED;
	if (payload_changed)
		return SIP_REWRITTEN;
	return sip ? SIP_UNCHANGED : NAT_ONLY;
}
