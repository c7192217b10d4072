/* ct_fixture.c - see ct_fixture.h. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <string.h>

#include "ct_fixture.h"

void ct_fixture_build(struct ct_fixture *f, uint8_t proto, uint16_t port)
{
	struct nf_conntrack *ct = nfct_new();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(f->buf);

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);	/* else no reply tuple is built */
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, proto);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, inet_addr("192.168.1.10"));
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, inet_addr("203.0.113.2"));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(port));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(5060));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, inet_addr("203.0.113.2"));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, inet_addr("203.0.113.1"));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(5060));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(port));
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_CONFIRMED);
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	f->attrs = (const char *)mnl_nlmsg_get_payload(nlh) + sizeof(struct nfgenmsg);
	f->len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN - sizeof(struct nfgenmsg);
}

void ct_fixture_build6(struct ct_fixture *f, uint8_t proto, uint16_t port, bool unconfirmed)
{
	struct nf_conntrack *ct = nfct_new();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(f->buf);
	struct nfgenmsg *nfg;
	struct in6_addr phone, proxy;

	inet_pton(AF_INET6, CT6_PHONE, &phone);
	inet_pton(AF_INET6, CT6_PROXY, &proxy);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	nfg->nfgen_family = AF_INET6;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET6);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET6);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, proto);
	nfct_set_attr(ct, ATTR_ORIG_IPV6_SRC, &phone);
	nfct_set_attr(ct, ATTR_ORIG_IPV6_DST, &proxy);
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(port));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(5060));
	nfct_set_attr(ct, ATTR_REPL_IPV6_SRC, &proxy);
	nfct_set_attr(ct, ATTR_REPL_IPV6_DST, &phone);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(5060));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(port));
	/* a routed flow past the nat hooks: null bindings, no SRC_NAT/DST_NAT */
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_SRC_NAT_DONE | IPS_DST_NAT_DONE | IPS_CONFIRMED);
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	f->attrs = (const char *)mnl_nlmsg_get_payload(nlh) + sizeof(struct nfgenmsg);
	f->len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN - sizeof(struct nfgenmsg);
	/* The library always adds IPS_CONFIRMED (it builds for creation); the
	 * kernel's NFQA_CT dumps ct->status as it is: a first packet's lacks it. */
	if (unconfirmed) {
		struct nlattr *attr;

		mnl_attr_for_each_payload((void *)f->attrs, f->len) {
			if (mnl_attr_get_type(attr) == CTA_STATUS) {
				uint32_t st = ntohl(mnl_attr_get_u32(attr)) & ~(uint32_t)IPS_CONFIRMED;

				memcpy(mnl_attr_get_payload(attr), &(uint32_t){ htonl(st) }, 4);
			}
		}
	}
}
