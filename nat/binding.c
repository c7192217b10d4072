/* binding.c - NAT binding from conntrack tuples; see binding.h. */
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_common.h>

#include "binding.h"

bool nat_ctinfo_is_reply(uint32_t ctinfo)
{
	return ctinfo >= IP_CT_IS_REPLY;
}

static void tuple_end(const struct nf_conntrack *ct, int a_ip, int a_port,
		      struct sipalg_addr *out)
{
	/* every field: the engine reads the family (a stale one left the message un-rewritten) */
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->ip.s_addr = nfct_get_attr_u32(ct, a_ip);
	out->port = ntohs(nfct_get_attr_u16(ct, a_port));
}

int nat_flow_from_ct(const struct nf_conntrack *ct, bool reply_dir,
		     struct nat_flow *out)
{
	static const int need[] = {
		ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_ORIG_PORT_SRC,
		ATTR_ORIG_PORT_DST, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST,
		ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST, ATTR_ORIG_L4PROTO,
	};
	struct sipalg_addr osrc, odst, rsrc, rdst;
	uint32_t status = 0;
	bool started_outside;

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!nfct_attr_is_set(ct, need[i]))
			return -1;
	memset(out, 0, sizeof(*out));
	tuple_end(ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_PORT_SRC, &osrc);
	tuple_end(ct, ATTR_ORIG_IPV4_DST, ATTR_ORIG_PORT_DST, &odst);
	tuple_end(ct, ATTR_REPL_IPV4_SRC, ATTR_REPL_PORT_SRC, &rsrc);
	tuple_end(ct, ATTR_REPL_IPV4_DST, ATTR_REPL_PORT_DST, &rdst);
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
	out->natted = !(osrc.ip.s_addr == rdst.ip.s_addr && osrc.port == rdst.port &&
			odst.ip.s_addr == rsrc.ip.s_addr && odst.port == rsrc.port);
	out->master.src = osrc;
	out->master.dst = odst;
	out->master.l4proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	if (nfct_attr_is_set(ct, ATTR_ZONE))
		out->master.zone = nfct_get_attr_u16(ct, ATTR_ZONE);
	return 0;
}
