/* binding.c - NAT binding from conntrack tuples; see binding.h. */
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "binding.h"

bool nat_ctinfo_is_reply(uint32_t ctinfo)
{
	return ctinfo >= IP_CT_IS_REPLY;
}

/* a_ip is the IPv4 attribute; v6 takes its IPv6 twin (a_ip6). */
static void tuple_end(const struct nf_conntrack *ct, bool v6, int a_ip, int a_ip6, int a_port,
		      struct sipalg_addr *out)
{
	/* every field: the engine reads the family (a stale one left the message un-rewritten) */
	memset(out, 0, sizeof(*out));
	if (v6) {
		out->family = AF_INET6;
		memcpy(&out->ip6, nfct_get_attr(ct, a_ip6), sizeof(out->ip6));
	} else {
		out->family = AF_INET;
		out->ip.s_addr = nfct_get_attr_u32(ct, a_ip);
	}
	out->port = ntohs(nfct_get_attr_u16(ct, a_port));
}

/* The four ends, the protocol, the status and the zone, from either source. */
struct ct_ends {
	struct sipalg_addr osrc, odst, rsrc, rdst;
	uint8_t l4proto;
	uint32_t status;
	uint16_t zone;
};

static void flow_from_ends(const struct ct_ends *c, bool reply_dir, struct nat_flow *out)
{
	bool started_outside = (c->status & IPS_DST_NAT) && !(c->status & IPS_SRC_NAT);

	memset(out, 0, sizeof(*out));
	if (started_outside) {
		out->binding.inside = c->rsrc;	/* where DNAT sent it */
		out->binding.public = c->odst;	/* what the caller dialled */
		out->binding.remote = c->osrc;
		out->dir = reply_dir ? SIPALG_OUTBOUND : SIPALG_INBOUND;
	} else {
		out->binding.inside = c->osrc;
		out->binding.public = c->rdst;	/* SNAT's choice (= inside without NAT) */
		out->binding.remote = c->odst;
		out->dir = reply_dir ? SIPALG_INBOUND : SIPALG_OUTBOUND;
	}
	/* routed, not translated (a VPN peer): nothing for an ALG to fix */
	out->natted = !(sipalg_addr_same_ip(&c->osrc, &c->rdst) && c->osrc.port == c->rdst.port &&
			sipalg_addr_same_ip(&c->odst, &c->rsrc) && c->odst.port == c->rsrc.port);
	out->master.src = c->osrc;
	out->master.dst = c->odst;
	out->master.l4proto = c->l4proto;
	out->master.zone = c->zone;
}

int nat_flow_from_ct(const struct nf_conntrack *ct, bool reply_dir,
		     struct nat_flow *out)
{
	static const int need4[] = {
		ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST,
	};
	static const int need6[] = {
		ATTR_ORIG_IPV6_SRC, ATTR_ORIG_IPV6_DST, ATTR_REPL_IPV6_SRC, ATTR_REPL_IPV6_DST,
	};
	static const int need[] = {
		ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST, ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST,
		ATTR_ORIG_L4PROTO,
	};
	struct ct_ends c = { 0 };
	/* the tuples' family: the conntrack's l3 protocol when it says, else
	 * whichever set of addresses the message carried */
	bool v6 = nfct_attr_is_set(ct, ATTR_ORIG_L3PROTO)
		? nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) == AF_INET6
		: nfct_attr_is_set(ct, ATTR_ORIG_IPV6_SRC);

	for (size_t i = 0; i < 4; i++)
		if (!nfct_attr_is_set(ct, v6 ? need6[i] : need4[i]))
			return -1;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!nfct_attr_is_set(ct, need[i]))
			return -1;
	tuple_end(ct, v6, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, ATTR_ORIG_PORT_SRC, &c.osrc);
	tuple_end(ct, v6, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, ATTR_ORIG_PORT_DST, &c.odst);
	tuple_end(ct, v6, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC, ATTR_REPL_PORT_SRC, &c.rsrc);
	tuple_end(ct, v6, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST, ATTR_REPL_PORT_DST, &c.rdst);
	if (nfct_attr_is_set(ct, ATTR_STATUS))
		c.status = nfct_get_attr_u32(ct, ATTR_STATUS);
	c.l4proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	if (nfct_attr_is_set(ct, ATTR_ZONE))
		c.zone = nfct_get_attr_u16(ct, ATTR_ZONE);
	flow_from_ends(&c, reply_dir, out);
	return 0;
}

/* ---- the same from NFQA_CT's attributes, read in place with libmnl ---- */

enum { GOT_SRC = 1, GOT_DST = 2, GOT_SPORT = 4, GOT_DPORT = 8, GOT_PROTO = 16,
       GOT_TUPLE = 31 };

struct tuple_read {
	struct sipalg_addr src, dst;
	uint8_t proto;
	unsigned got;
	int family;	/* AF_INET or AF_INET6 once an address is seen; clash = -1 */
};

static void read_addr(struct tuple_read *t, const struct nlattr *a, int family,
		      struct sipalg_addr *out, unsigned bit)
{
	size_t need = family == AF_INET6 ? 16 : 4;

	if (mnl_attr_get_payload_len(a) != need || (t->family && t->family != family)) {
		t->family = -1;
		return;
	}
	t->family = family;
	out->family = (sa_family_t)family;
	memcpy(family == AF_INET6 ? (void *)&out->ip6 : (void *)&out->ip, mnl_attr_get_payload(a),
	       need);
	t->got |= bit;
}

static int ip_cb(const struct nlattr *a, void *data)
{
	struct tuple_read *t = data;

	switch (mnl_attr_get_type(a)) {
	case CTA_IP_V4_SRC: read_addr(t, a, AF_INET, &t->src, GOT_SRC); break;
	case CTA_IP_V4_DST: read_addr(t, a, AF_INET, &t->dst, GOT_DST); break;
	case CTA_IP_V6_SRC: read_addr(t, a, AF_INET6, &t->src, GOT_SRC); break;
	case CTA_IP_V6_DST: read_addr(t, a, AF_INET6, &t->dst, GOT_DST); break;
	}
	return MNL_CB_OK;
}

static int proto_cb(const struct nlattr *a, void *data)
{
	struct tuple_read *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type == CTA_PROTO_NUM && mnl_attr_validate(a, MNL_TYPE_U8) == 0) {
		t->proto = mnl_attr_get_u8(a);
		t->got |= GOT_PROTO;
	} else if ((type == CTA_PROTO_SRC_PORT || type == CTA_PROTO_DST_PORT) &&
		   mnl_attr_validate(a, MNL_TYPE_U16) == 0) {
		uint16_t port = ntohs(mnl_attr_get_u16(a));

		if (type == CTA_PROTO_SRC_PORT) {
			t->src.port = port;
			t->got |= GOT_SPORT;
		} else {
			t->dst.port = port;
			t->got |= GOT_DPORT;
		}
	}
	return MNL_CB_OK;
}

static int tuple_cb(const struct nlattr *a, void *data)
{
	uint16_t type = mnl_attr_get_type(a);

	if (type == CTA_TUPLE_IP)
		return mnl_attr_parse_nested(a, ip_cb, data) < MNL_CB_STOP ? MNL_CB_ERROR : MNL_CB_OK;
	if (type == CTA_TUPLE_PROTO)
		return mnl_attr_parse_nested(a, proto_cb, data) < MNL_CB_STOP ? MNL_CB_ERROR
									: MNL_CB_OK;
	return MNL_CB_OK;
}

struct ct_read {
	struct tuple_read orig, repl;
	uint32_t status;
	uint16_t zone;
};

static int ct_cb(const struct nlattr *a, void *data)
{
	struct ct_read *r = data;

	switch (mnl_attr_get_type(a)) {
	case CTA_TUPLE_ORIG:
		return mnl_attr_parse_nested(a, tuple_cb, &r->orig) < MNL_CB_STOP ? MNL_CB_ERROR
										 : MNL_CB_OK;
	case CTA_TUPLE_REPLY:
		return mnl_attr_parse_nested(a, tuple_cb, &r->repl) < MNL_CB_STOP ? MNL_CB_ERROR
										 : MNL_CB_OK;
	case CTA_STATUS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			r->status = ntohl(mnl_attr_get_u32(a));
		break;
	case CTA_ZONE:
		if (mnl_attr_validate(a, MNL_TYPE_U16) == 0)
			r->zone = ntohs(mnl_attr_get_u16(a));
		break;
	}
	return MNL_CB_OK;
}

int nat_flow_from_ct_attrs(const void *attrs, size_t len, bool reply_dir, struct nat_flow *out)
{
	struct ct_read r;
	struct ct_ends c;

	memset(&r, 0, sizeof(r));
	if (!attrs || !len || mnl_attr_parse_payload(attrs, len, ct_cb, &r) < MNL_CB_STOP)
		return -1;
	if (r.orig.got != GOT_TUPLE || r.repl.got != GOT_TUPLE || r.orig.family <= 0 ||
	    r.orig.family != r.repl.family)
		return -1;
	memset(&c, 0, sizeof(c));
	c.osrc = r.orig.src;
	c.odst = r.orig.dst;
	c.rsrc = r.repl.src;
	c.rdst = r.repl.dst;
	c.l4proto = r.orig.proto;
	c.status = r.status;
	c.zone = r.zone;
	flow_from_ends(&c, reply_dir, out);
	return 0;
}
