/* fuzz_packets.c - input format and packet construction; see fuzz_packets.h. */
#include "fuzz_packets.h"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>

/* ---- decoding / encoding ---- */

int fz_read_setup(struct fz_reader *r, const uint8_t *d, size_t n, struct fz_setup *s)
{
	r->d = d;
	r->n = n;
	r->off = 0;
	if (n < FZ_HDR_LEN)
		return -1;
	s->b0 = d[0];
	s->b1 = d[1];
	s->b2 = d[2];
	r->off = FZ_HDR_LEN;
	return 0;
}

int fz_read_record(struct fz_reader *r, struct fz_record *rec)
{
	const uint8_t *h = r->d + r->off;
	size_t len, left;

	if (r->n - r->off < FZ_REC_HDR_LEN)
		return 0;
	memset(rec, 0, sizeof(*rec));
	rec->flow = h[0] & FZ_C_FLOW_MASK;
	rec->reply = h[0] & FZ_C_REPLY;
	rec->tcp = h[0] & FZ_C_TCP;
	rec->ct = (enum fz_ct_mode)((h[0] >> FZ_C_CT_SHIFT) & 3);
	rec->flush = h[0] & FZ_C_FLUSH;
	rec->tcp_flags = h[1];
	rec->seq_mode = (enum fz_seq_mode)(h[2] & FZ_Q_MODE_MASK);
	rec->truncated = h[2] & FZ_Q_TRUNCATED;
	rec->ip_opts = h[2] & FZ_Q_IP_OPTS;
	rec->tcp_opts = h[2] & FZ_Q_TCP_OPTS;
	rec->param = h[3];
	rec->clock = h[4];
	len = (size_t)h[5] << 8 | h[6];
	r->off += FZ_REC_HDR_LEN;
	left = r->n - r->off;
	if (len > left)
		len = left;
	if (len > FZ_MAX_PAYLOAD)
		len = FZ_MAX_PAYLOAD;
	rec->payload = r->d + r->off;
	rec->len = len;
	r->off += len;
	return 1;
}

uint64_t fz_clock_advance_ms(uint8_t clock)
{
	return clock < 200 ? clock : (uint64_t)(clock - 199) * 60000;
}

int fz_put_setup(uint8_t *buf, size_t cap, size_t *used, struct fz_setup s)
{
	if (cap - *used < FZ_HDR_LEN)
		return -1;
	buf[(*used)++] = s.b0;
	buf[(*used)++] = s.b1;
	buf[(*used)++] = s.b2;
	return 0;
}

int fz_put_record(uint8_t *buf, size_t cap, size_t *used, const struct fz_record *rec)
{
	uint8_t *h = buf + *used;

	if (rec->len > 0xffff || cap - *used < FZ_REC_HDR_LEN + rec->len)
		return -1;
	h[0] = (uint8_t)((rec->flow & FZ_C_FLOW_MASK) | (rec->reply ? FZ_C_REPLY : 0) |
			 (rec->tcp ? FZ_C_TCP : 0) | ((unsigned)rec->ct & 3) << FZ_C_CT_SHIFT |
			 (rec->flush ? FZ_C_FLUSH : 0));
	h[1] = rec->tcp_flags;
	h[2] = (uint8_t)(((unsigned)rec->seq_mode & FZ_Q_MODE_MASK) |
			 (rec->truncated ? FZ_Q_TRUNCATED : 0) |
			 (rec->ip_opts ? FZ_Q_IP_OPTS : 0) | (rec->tcp_opts ? FZ_Q_TCP_OPTS : 0));
	h[3] = rec->param;
	h[4] = rec->clock;
	h[5] = (uint8_t)(rec->len >> 8);
	h[6] = (uint8_t)rec->len;
	memcpy(h + FZ_REC_HDR_LEN, rec->payload, rec->len);
	*used += FZ_REC_HDR_LEN + rec->len;
	return 0;
}

/* ---- flows ---- */

static struct sipalg_addr addr(const char *ip, uint16_t port)
{
	struct sipalg_addr a = { .port = port };

	if (strchr(ip, ':')) {
		a.family = AF_INET6;
		inet_pton(AF_INET6, ip, &a.ip6);
	} else {
		inet_pton(AF_INET, ip, &a.ip);
	}
	return a;
}

static bool flow2_v6;

void fz_set_ipv6(bool on)
{
	flow2_v6 = on;
}

void fz_flow_get(unsigned f, struct fz_flow *out)
{
	static const char *const inside[] = { "192.168.1.10", "192.168.1.11", "192.168.1.10" };
	static const uint16_t inside_port[] = { 5060, 5060, 5062 };
	static const uint16_t public_port[] = { 5060, 40001, 40002 };
	static const char *const remote[] = { "203.0.113.2", "203.0.113.3", "203.0.113.2" };

	f &= FZ_C_FLOW_MASK;
	memset(out, 0, sizeof(*out));
	if (f == 3) {
		out->dnat = true;
		out->orig_src = addr("203.0.113.50", 5060);
		out->orig_dst = addr("203.0.113.1", 5070);
		out->repl_src = addr("192.168.1.13", 5060);
		out->repl_dst = addr("203.0.113.50", 5060);
		return;
	}
	if (f == 2 && flow2_v6) {	/* routed: the reply tuple is the inverse */
		out->orig_src = addr("2001:db8:1::10", 5062);
		out->orig_dst = addr("2001:db8:5::2", 5060);
		out->repl_src = out->orig_dst;
		out->repl_dst = out->orig_src;
		return;
	}
	out->orig_src = addr(inside[f], inside_port[f]);
	out->orig_dst = addr(remote[f], 5060);
	out->repl_src = out->orig_dst;
	out->repl_dst = addr("203.0.113.1", public_port[f]);
}

void fz_flow_master(unsigned f, bool tcp, struct rtp_master *m)
{
	struct fz_flow fl;

	fz_flow_get(f, &fl);
	memset(m, 0, sizeof(*m));
	m->src = fl.orig_src;
	m->dst = fl.orig_dst;
	m->l4proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
}

/*
 * NFQA_CT attributes as libnetfilter_conntrack would build them for the
 * kernel's ctnetlink_glue: built once per flow, transport and mode.
 */
static struct ct_cache {
	bool built;
	size_t len;
	char buf[1024];
	size_t off;
} ct_cache[FZ_FLOWS][2][2][2];	/* flow, TCP, unconfirmed, IPv6 */

/* a_src/a_dst are the IPv4 attributes; an IPv6 address goes to their IPv6 twins */
static void put_tuple(struct nf_conntrack *ct, int a_src, int a_dst, int p_src, int p_dst,
		      struct sipalg_addr s, struct sipalg_addr d)
{
	if (sipalg_addr_is_v6(&s)) {
		nfct_set_attr(ct, a_src == ATTR_ORIG_IPV4_SRC ? ATTR_ORIG_IPV6_SRC : ATTR_REPL_IPV6_SRC,
			      &s.ip6);
		nfct_set_attr(ct, a_dst == ATTR_ORIG_IPV4_DST ? ATTR_ORIG_IPV6_DST : ATTR_REPL_IPV6_DST,
			      &d.ip6);
	} else {
		nfct_set_attr_u32(ct, a_src, s.ip.s_addr);
		nfct_set_attr_u32(ct, a_dst, d.ip.s_addr);
	}
	nfct_set_attr_u16(ct, p_src, htons(s.port));
	nfct_set_attr_u16(ct, p_dst, htons(d.port));
}

static const struct ct_cache *ct_attrs(unsigned f, bool tcp, bool unconfirmed)
{
	bool v6 = f == 2 && flow2_v6;
	struct ct_cache *c = &ct_cache[f][tcp][unconfirmed][v6];
	uint8_t proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	struct nf_conntrack *ct;
	struct nlmsghdr *nlh;
	struct fz_flow fl;
	uint32_t status;

	if (c->built)
		return c;
	fz_flow_get(f, &fl);
	ct = nfct_new();
	nlh = mnl_nlmsg_put_header(c->buf);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	nfct_set_attr_u8(ct, ATTR_L3PROTO, v6 ? AF_INET6 : AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, v6 ? AF_INET6 : AF_INET);	/* else no reply tuple is built */
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, proto);
	put_tuple(ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_ORIG_PORT_SRC,
		  ATTR_ORIG_PORT_DST, fl.orig_src, fl.orig_dst);
	put_tuple(ct, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST, ATTR_REPL_PORT_SRC,
		  ATTR_REPL_PORT_DST, fl.repl_src, fl.repl_dst);
	status = fl.dnat ? IPS_DST_NAT | IPS_DST_NAT_DONE : IPS_SRC_NAT | IPS_SRC_NAT_DONE;
	if (v6)
		status = IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE;	/* null bindings: routed */
	if (!unconfirmed)
		status |= IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED;
	nfct_set_attr_u32(ct, ATTR_STATUS, status);
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	c->off = MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg);
	c->len = nlh->nlmsg_len - c->off;
	c->built = true;
	return c;
}

/* ---- packets ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t fz_ip_csum(const uint8_t *hdr, size_t len)
{
	return csum_fold(csum_add(0, hdr, len));
}

/* IPv6: over the 40-byte pseudo header (RFC 8200 8.1) and the transport
 * part, past the extension headers nat/splice.c walks (0, 43, 60). */
static uint16_t l4_csum6(const uint8_t *ip, size_t len)
{
	uint8_t pseudo[40] = { 0 }, nh = ip[6];
	size_t off = 40, l4len;

	while ((nh == 0 || nh == 43 || nh == 60) && off + 8 <= len) {
		nh = ip[off];
		off += ((size_t)ip[off + 1] + 1) * 8;
	}
	if (off > len)
		return 1;	/* not a packet that locates: never "valid" */
	l4len = len - off;
	memcpy(pseudo, ip + 8, 32);
	pseudo[34] = (uint8_t)(l4len >> 8);
	pseudo[35] = (uint8_t)l4len;
	pseudo[39] = nh;
	return csum_fold(csum_add(csum_add(0, pseudo, 40), ip + off, l4len));
}

/* Over the pseudo header and the whole L4 part of an IPv4 (or IPv6) packet. */
uint16_t fz_l4_csum(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	uint8_t pseudo[12];
	uint16_t l4len = (uint16_t)(len - ihl);

	if (len >= 40 && ip[0] >> 4 == 6)
		return l4_csum6(ip, len);
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = ip[9];
	pseudo[10] = (uint8_t)(l4len >> 8);
	pseudo[11] = (uint8_t)l4len;
	return csum_fold(csum_add(csum_add(0, pseudo, 12), ip + ihl, l4len));
}

void fz_tcp_reset(struct fz_tcp_state *st)
{
	st->ip_id = 1;
	for (unsigned f = 0; f < FZ_FLOWS; f++) {
		/* near the wrap for flow 1: sequence arithmetic must be modular */
		st->next[f][0] = f == 1 ? 0xfffff000u : 1000u + f * 100000u;
		st->next[f][1] = 7000000u + f * 100000u;
		st->last[f][0] = st->next[f][0];
		st->last[f][1] = st->next[f][1];
	}
}

static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static uint32_t segment_seq(const struct fz_record *rec, struct fz_tcp_state *st)
{
	unsigned f = rec->flow, d = rec->reply;
	uint32_t seq, end;

	switch (rec->seq_mode) {
	case FZ_SEQ_RETRANSMIT: seq = st->last[f][d]; break;
	case FZ_SEQ_GAP: seq = st->next[f][d] + (rec->param + 1u) * 61u; break;
	case FZ_SEQ_OVERLAP: seq = st->next[f][d] - (rec->param + 1u); break;
	default: seq = st->next[f][d]; break;
	}
	end = seq + (uint32_t)rec->len + !!(rec->tcp_flags & FZ_T_SYN) + !!(rec->tcp_flags & FZ_T_FIN);
	st->last[f][d] = seq;
	if (seq_after(end, st->next[f][d]))
		st->next[f][d] = end;
	return seq;
}

int fz_build(const struct fz_record *rec, struct fz_tcp_state *st, struct fz_packet *out)
{
	struct fz_flow fl;
	struct sipalg_addr src, dst;
	size_t ihl, l4h, tot;
	uint8_t *p = out->data;
	struct iphdr ip = { .version = 4, .ttl = 64 };
	bool v6;

	fz_flow_get(rec->flow, &fl);
	v6 = sipalg_addr_is_v6(&fl.orig_src);
	/* IPv6: 40 bytes, and a hop-by-hop header (PadN) for "IP options" */
	ihl = v6 ? (rec->ip_opts ? 48 : 40) : rec->ip_opts ? 24 : 20;
	/* after all NAT: an original-direction packet goes as the reply tuple's
	 * inverse, a reply as the original tuple's */
	src = rec->reply ? fl.orig_dst : fl.repl_dst;
	dst = rec->reply ? fl.orig_src : fl.repl_src;
	l4h = rec->tcp ? (rec->tcp_opts ? 32 : 20) : 8;
	tot = ihl + l4h + rec->len;
	if (tot > sizeof(out->data) || tot - (v6 ? 40 : 0) > 65535)
		return -1;

	if (v6) {
		uint8_t nh = rec->tcp ? IPPROTO_TCP : IPPROTO_UDP;

		memset(p, 0, ihl);
		p[0] = 0x60;
		p[4] = (uint8_t)((tot - 40) >> 8);
		p[5] = (uint8_t)(tot - 40);
		p[6] = rec->ip_opts ? 0 : nh;
		p[7] = 64;
		memcpy(p + 8, &src.ip6, 16);
		memcpy(p + 24, &dst.ip6, 16);
		if (rec->ip_opts) {
			p[40] = nh;
			p[42] = 1;	/* PadN, 4 bytes */
			p[43] = 4;
		}
	} else {
		ip.ihl = (unsigned)(ihl / 4);
		ip.tot_len = htons((uint16_t)tot);
		ip.id = htons(st->ip_id++);
		ip.frag_off = htons(IP_DF);
		ip.protocol = rec->tcp ? IPPROTO_TCP : IPPROTO_UDP;
		ip.saddr = src.ip.s_addr;
		ip.daddr = dst.ip.s_addr;
		memcpy(p, &ip, 20);
		if (rec->ip_opts)
			memcpy(p + 20, "\x01\x01\x01\x00", 4);	/* NOP NOP NOP EOL */
	}
	if (rec->tcp) {
		struct tcphdr t = { .source = htons(src.port), .dest = htons(dst.port),
				    .doff = (uint16_t)(l4h / 4), .window = htons(29200) };
		uint8_t fl_ = rec->tcp_flags;

		t.seq = htonl(segment_seq(rec, st));
		t.syn = !!(fl_ & FZ_T_SYN);
		t.fin = !!(fl_ & FZ_T_FIN);
		t.rst = !!(fl_ & FZ_T_RST);
		t.psh = !!(fl_ & FZ_T_PSH);
		t.ack = !(fl_ & FZ_T_NO_ACK);
		if (t.ack)
			t.ack_seq = htonl(st->next[rec->flow][!rec->reply]);
		memcpy(p + ihl, &t, 20);
		if (rec->tcp_opts)	/* NOP NOP timestamps */
			memcpy(p + ihl + 20, "\x01\x01\x08\x0a\x00\x00\x10\x00\x00\x00\x20\x00", 12);
	} else {
		struct udphdr u = { .source = htons(src.port), .dest = htons(dst.port),
				    .len = htons((uint16_t)(l4h + rec->len)) };
		memcpy(p + ihl, &u, 8);
	}
	if (rec->len)
		memcpy(p + ihl + l4h, rec->payload, rec->len);
	if (!v6) {	/* IPv6 has no header checksum */
		uint16_t c = fz_ip_csum(p, ihl);

		p[10] = (uint8_t)(c >> 8);
		p[11] = (uint8_t)c;
	}
	{
		size_t at = ihl + (rec->tcp ? 16 : 6);
		uint16_t c = fz_l4_csum(p, tot);

		if (!rec->tcp && c == 0)
			c = 0xffff;	/* UDP: 0 would mean "no checksum" */
		p[at] = (uint8_t)(c >> 8);
		p[at + 1] = (uint8_t)c;
	}
	out->len = tot;

	out->ct = NULL;
	out->ct_len = 0;
	out->has_ctinfo = false;
	out->ctinfo = 0;
	out->mark = 0;
	switch (rec->ct) {
	case FZ_CT_ATTACHED:
	case FZ_CT_NEW: {
		bool fresh = rec->ct == FZ_CT_NEW && !rec->reply;
		const struct ct_cache *c = ct_attrs(rec->flow, rec->tcp, fresh);

		out->ct = c->buf + c->off;
		out->ct_len = c->len;
		out->has_ctinfo = true;
		out->ctinfo = rec->reply ? IP_CT_ESTABLISHED_REPLY : fresh ? IP_CT_NEW : IP_CT_ESTABLISHED;
		break;
	}
	case FZ_CT_MARK:
		/* degraded mode's rule (rules.c, "ct state new"): a first packet,
		 * marked with its conntrack's original source */
		if (!rec->reply && !v6)	/* an IPv6 address fits no mark: ip6 rules set none */
			out->mark = fl.orig_src.ip.s_addr;
		break;
	case FZ_CT_NONE:
		break;
	}
	return 0;
}
