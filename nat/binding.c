/* binding.c - NAT binding from conntrack tuples; see binding.h. */
#include <string.h>
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
	struct sipalg_addr osrc, odst, rsrc, rdst;
	uint32_t status = 0;
	bool started_outside;
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
	memset(out, 0, sizeof(*out));
	tuple_end(ct, v6, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, ATTR_ORIG_PORT_SRC, &osrc);
	tuple_end(ct, v6, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, ATTR_ORIG_PORT_DST, &odst);
	tuple_end(ct, v6, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC, ATTR_REPL_PORT_SRC, &rsrc);
	tuple_end(ct, v6, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST, ATTR_REPL_PORT_DST, &rdst);
	if (nfct_attr_is_set(ct, ATTR_STATUS))
		status = nfct_get_attr_u32(ct, ATTR_STATUS);

	started_outside = (status & IPS_DST_NAT) && !(status & IPS_SRC_NAT);
	if (started_outside) {
		out->binding.inside = rsrc;	/* where DNAT sent it */
		out->binding.public = odst;	/* what the caller dialled */
		out->binding.remote = osrc;
		out->dir = reply_dir ? SIPALG_OUTBOUND : SIPALG_INBOUND;
	} else {
		out->binding.inside = osrc;
		out->binding.public = rdst;	/* SNAT's choice (= inside without NAT) */
		out->binding.remote = odst;
		out->dir = reply_dir ? SIPALG_INBOUND : SIPALG_OUTBOUND;
	}
	/* routed, not translated (a VPN peer): nothing for an ALG to fix */
	out->natted = !(sipalg_addr_same_ip(&osrc, &rdst) && osrc.port == rdst.port &&
			sipalg_addr_same_ip(&odst, &rsrc) && odst.port == rsrc.port);
	out->master.src = osrc;
	out->master.dst = odst;
	out->master.l4proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	if (nfct_attr_is_set(ct, ATTR_ZONE))
		out->master.zone = nfct_get_attr_u16(ct, ATTR_ZONE);
	return 0;
}
