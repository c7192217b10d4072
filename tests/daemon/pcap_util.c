/* pcap_util.c - see pcap_util.h. */
#include "pcap_util.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

uint16_t test_inet_csum(const void *data, size_t len, uint32_t initial)
{
	const uint8_t *p = data;
	uint64_t acc = initial;
	uint16_t w;

	for (; len >= 2; len -= 2, p += 2) {
		memcpy(&w, p, 2);
		acc += ntohs(w);
	}
	if (len == 1)
		acc += (uint32_t)p[0] << 8;
	while (acc > 0xffff)
		acc = (acc >> 16) + (acc & 0xffff);
	return (uint16_t)(~acc & 0xffff);
}

/* Sum of the IPv4 pseudo header, not yet complemented. */
static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (uint8_t)(l4len >> 8);
	ph[11] = (uint8_t)l4len;
	return (uint16_t)~test_inet_csum(ph, sizeof(ph), 0);
}

/* Sum of the IPv6 pseudo header (RFC 8200 8.1), not yet complemented. */
static uint32_t pseudo_sum6(const uint8_t *ip6, uint8_t proto, size_t l4len)
{
	uint8_t ph[40];

	memcpy(ph, ip6 + 8, 32);
	ph[32] = (uint8_t)(l4len >> 24);
	ph[33] = (uint8_t)(l4len >> 16);
	ph[34] = (uint8_t)(l4len >> 8);
	ph[35] = (uint8_t)l4len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return (uint16_t)~test_inet_csum(ph, sizeof(ph), 0);
}

static size_t link_header(int dlt, uint8_t *out, uint16_t ethertype)
{
	switch (dlt) {
	case DLT_EN10MB: {
		static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
		memcpy(out, macs, 12);
		out[12] = (uint8_t)(ethertype >> 8);
		out[13] = (uint8_t)ethertype;
		return 14;
	}
	case DLT_LINUX_SLL:
		memset(out, 0, 16);
		out[1] = 4;	/* sent by us */
		out[3] = 1;	/* ARPHRD_ETHER */
		out[5] = 6;
		out[14] = (uint8_t)(ethertype >> 8);
		out[15] = (uint8_t)ethertype;
		return 16;
	case DLT_LINUX_SLL2:
		memset(out, 0, 20);
		out[0] = (uint8_t)(ethertype >> 8);
		out[1] = (uint8_t)ethertype;
		out[7] = 2;	/* ifindex */
		out[9] = 1;	/* ARPHRD_ETHER */
		out[11] = 6;
		return 20;
	default:	/* DLT_RAW */
		return 0;
	}
}

size_t pkt_build(int dlt, const struct pkt_spec *s, uint8_t *out, size_t cap)
{
	size_t plen = s->payload ? strlen(s->payload) : 0;
	uint8_t proto = s->proto ? s->proto : IPPROTO_UDP;
	size_t l4hdr = proto == IPPROTO_TCP ? 20 : 8;
	size_t off, tot = 20 + l4hdr + plen;
	uint8_t *ip, *l4;
	struct in_addr a;
	uint16_t c;

	if (cap < 20 + tot)
		return 0;
	if (s->arp) {
		if (dlt == DLT_RAW) {	/* raw link: junk that is not IPv4 */
			memset(out, 0x60, 40);
			return 40;
		}
		off = link_header(dlt, out, 0x0806);
		memset(out + off, 0, 28);
		return off + 28;
	}
	bool v6 = strchr(s->src, ':') != NULL;
	size_t ext = v6 ? (s->hopopts ? 8 : 0) + (s->fragment ? 8 : 0) : 0;

	if (v6 && cap < 40 + ext + l4hdr + plen + 20)
		return 0;
	off = link_header(dlt, out, v6 ? 0x86dd : 0x0800);
	if (s->vlan && dlt == DLT_EN10MB) {
		static const uint8_t tag[4] = { 0x81, 0x00, 0x00, 0x2a };	/* VLAN 42 */
		memcpy(out + 12, tag, 4);
		out[16] = 0x08;
		out[17] = 0x00;
		off += 4;
	}
	ip = out + off;
	if (v6) {
		size_t pl = ext + l4hdr + plen;
		uint8_t *e = ip + 40, nh = proto;

		memset(ip, 0, 40 + ext);
		ip[0] = 0x60;
		ip[4] = (uint8_t)(pl >> 8);
		ip[5] = (uint8_t)pl;
		ip[7] = 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		if (s->fragment) {	/* innermost: offset 0, MF */
			e[ext - 8] = proto;
			e[ext - 8 + 3] = 1;
			nh = IPPROTO_FRAGMENT;
		}
		if (s->hopopts) {	/* PadN over its 6 option bytes */
			e[0] = nh;
			e[2] = 1;
			e[3] = 4;
			nh = IPPROTO_HOPOPTS;
		}
		ip[6] = nh;
		l4 = ip + 40 + ext;
		off += 40 + ext;
		goto transport;
	}
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[4] = 0x12;
	ip[5] = 0x34;
	if (s->fragment)
		ip[6] = 0x20;	/* MF */
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, s->src, &a);
	memcpy(ip + 12, &a, 4);
	inet_pton(AF_INET, s->dst, &a);
	memcpy(ip + 16, &a, 4);
	c = htons(test_inet_csum(ip, 20, 0));
	memcpy(ip + 10, &c, 2);

	l4 = ip + 20;
	off += 20;
transport:
	memset(l4, 0, l4hdr);
	l4[0] = (uint8_t)(s->sport >> 8);
	l4[1] = (uint8_t)s->sport;
	l4[2] = (uint8_t)(s->dport >> 8);
	l4[3] = (uint8_t)s->dport;
	if (proto == IPPROTO_UDP) {
		l4[4] = (uint8_t)((8 + plen) >> 8);
		l4[5] = (uint8_t)(8 + plen);
	} else {
		uint32_t seq = s->seq ? s->seq : 1;
		l4[4] = (uint8_t)(seq >> 24);
		l4[5] = (uint8_t)(seq >> 16);
		l4[6] = (uint8_t)(seq >> 8);
		l4[7] = (uint8_t)seq;
		l4[11] = 7;		/* ack 7 */
		l4[12] = 5 << 4;	/* data offset */
		l4[13] = 0x18;		/* PSH ACK */
		l4[14] = 0xff;
	}
	memcpy(l4 + l4hdr, s->payload ? s->payload : "", plen);
	if (!(proto == IPPROTO_UDP && s->zero_csum)) {
		c = test_inet_csum(l4, l4hdr + plen, v6 ? pseudo_sum6(ip, proto, l4hdr + plen)
							: pseudo_sum(ip, proto, l4hdr + plen));
		if (proto == IPPROTO_UDP && c == 0)
			c = 0xffff;
		if (s->bad_csum)
			c ^= 0x5a5a;
		c = htons(c);
		memcpy(l4 + (proto == IPPROTO_UDP ? 6 : 16), &c, 2);
	}
	return off + l4hdr + plen;
}

int pcap_write_specs(const char *path, int dlt, const struct pkt_spec *s, size_t n)
{
	pcap_t *dead = pcap_open_dead(dlt, 262144);
	pcap_dumper_t *d;
	uint8_t buf[70000];

	if (!dead)
		return -1;
	d = pcap_dump_open(dead, path);
	if (!d) {
		pcap_close(dead);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .ts = { .tv_sec = 1700000000 + (long)i, .tv_usec = 0 } };

		h.caplen = h.len = (uint32_t)pkt_build(dlt, &s[i], buf, sizeof(buf));
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}

static bool is_ip_type(unsigned type)
{
	return type == 0x0800 || type == 0x86dd;
}

static size_t link_len(int dlt, const uint8_t *p, size_t caplen, bool *is_ip)
{
	unsigned type;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 18)
			return 0;
		type = (unsigned)p[12] << 8 | p[13];
		if (type == 0x8100) {
			*is_ip = is_ip_type((unsigned)p[16] << 8 | p[17]);
			return 18;
		}
		*is_ip = is_ip_type(type);
		return 14;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return 0;
		*is_ip = is_ip_type((unsigned)p[14] << 8 | p[15]);
		return 16;
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return 0;
		*is_ip = is_ip_type((unsigned)p[0] << 8 | p[1]);
		return 20;
	default:
		*is_ip = caplen > 0 && ((p[0] >> 4) == 4 || (p[0] >> 4) == 6);
		return 0;
	}
}

/* The transport of a parsed IP header: ports, fields, checksum, payload. */
static bool view_l4(struct pkt_view *v, const uint8_t *l4, size_t l4len, uint32_t pseudo)
{
	size_t l4hdr = v->proto == IPPROTO_UDP ? 8 : l4len >= 13 ? (size_t)(l4[12] >> 4) * 4 : 20;

	if (l4len < l4hdr || l4hdr < 8)
		return false;
	v->sport = (uint16_t)(l4[0] << 8 | l4[1]);
	v->dport = (uint16_t)(l4[2] << 8 | l4[3]);
	if (v->proto == IPPROTO_UDP) {
		v->udp_len_field = (uint16_t)(l4[4] << 8 | l4[5]);
		v->l4_csum_field = (uint16_t)(l4[6] << 8 | l4[7]);
	} else {
		v->l4_csum_field = (uint16_t)(l4[16] << 8 | l4[17]);
		v->seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
		v->tcp_flags = l4[13];
		v->ack = (uint32_t)l4[8] << 24 | (uint32_t)l4[9] << 16 | (uint32_t)l4[10] << 8 | l4[11];
	}
	v->l4_csum_ok = test_inet_csum(l4, l4len, pseudo) == 0;
	v->payload = l4 + l4hdr;
	v->plen = l4len - l4hdr;
	return true;
}

/* IPv6: the fixed header and hop-by-hop options; a fragment is not parsed. */
static void view_parse6(struct pkt_view *v, const uint8_t *ip, size_t avail)
{
	size_t pl = (size_t)ip[4] << 8 | ip[5], off = 40;
	uint8_t nh = ip[6];

	v->ip_len_field = (uint16_t)pl;
	if (avail < 40 + pl)
		return;
	if (nh == IPPROTO_HOPOPTS) {
		if (pl < 8)
			return;
		nh = ip[40];
		off += ((size_t)ip[41] + 1) * 8;
	}
	if ((nh != IPPROTO_UDP && nh != IPPROTO_TCP) || off > 40 + pl)
		return;
	v->proto = nh;
	memcpy(&v->src6, ip + 8, 16);
	memcpy(&v->dst6, ip + 24, 16);
	v->ip_csum_ok = true;
	if (view_l4(v, ip + off, 40 + pl - off, pseudo_sum6(ip, nh, 40 + pl - off)))
		v->ipv6 = true;
}

static void view_parse(int dlt, struct pkt_view *v)
{
	bool is_ip = false;
	size_t off = link_len(dlt, v->data, v->caplen, &is_ip);
	const uint8_t *ip = v->data + off;
	size_t ihl, tot, l4len;

	if (!is_ip || v->caplen < off + 20)
		return;
	if ((ip[0] >> 4) == 6) {
		if (v->caplen >= off + 40)
			view_parse6(v, ip, v->caplen - off);
		return;
	}
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	v->ip_len_field = (uint16_t)tot;
	if (tot > v->caplen - off || ihl < 20 || tot < ihl)
		return;
	if ((ip[6] & 0x3f) || ip[7])
		return;	/* fragment */
	v->proto = ip[9];
	if (v->proto != IPPROTO_UDP && v->proto != IPPROTO_TCP)
		return;
	memcpy(&v->src, ip + 12, 4);
	memcpy(&v->dst, ip + 16, 4);
	v->ip_csum_ok = test_inet_csum(ip, ihl, 0) == 0;
	l4len = tot - ihl;
	if (!view_l4(v, ip + ihl, l4len, pseudo_sum(ip, v->proto, l4len)))
		return;
	if (v->proto == IPPROTO_UDP && v->l4_csum_field == 0)
		v->l4_csum_ok = true;	/* IPv4: "no checksum" */
	v->ipv4 = true;
}

long pcap_read_views(const char *path, int *dlt, struct pkt_view **views)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	long n = 0, cap = 0;
	struct pkt_view *v = NULL;
	int k;

	if (!p)
		return -1;
	*dlt = pcap_datalink(p);
	while ((k = pcap_next_ex(p, &h, &data)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct pkt_view *bigger = realloc(v, (size_t)cap * sizeof(*v));
			if (!bigger)
				break;
			v = bigger;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].data = malloc(h->caplen ? h->caplen : 1);
		memcpy(v[n].data, data, h->caplen);
		v[n].caplen = h->caplen;
		v[n].len = h->len;
		view_parse(*dlt, &v[n]);
		n++;
	}
	pcap_close(p);
	*views = v;
	return k == PCAP_ERROR_BREAK ? n : -1;
}

void free_views(struct pkt_view *v, long n)
{
	for (long i = 0; i < n; i++)
		free(v[i].data);
	free(v);
}
