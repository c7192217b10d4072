/*
 * binding.h - the NAT binding and the packet's direction, read off the
 * packet's conntrack (original and reply tuples, NAT status bits).
 */
#ifndef SIPALGD_NAT_BINDING_H
#define SIPALGD_NAT_BINDING_H

#include <stdbool.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "sipalg.h"
#include "rtp.h"

struct nat_flow {
	struct sipalg_binding binding;
	enum sipalg_dir dir;		/* which way this packet crosses */
	struct rtp_master master;	/* the ct's original tuple */
	bool natted;			/* false: reply tuple = inverted original (no SNAT/DNAT) */
};

/*
 * Fill *out from ct (IPv4 or IPv6 UDP/TCP, both tuples present) for a packet that
 * travels in the ct's reply direction when reply_dir is set.
 * Who is inside: a flow that was only DNATed started outside (port forward),
 * so its reply source is the inside host; any other flow started inside -
 * also a routed one (IPv6 without NAT66): behind a stateful firewall, SIP
 * from outside reaches a phone on the flow the phone opened (its REGISTER's).
 * Returns 0, or -1 when ct lacks a tuple part.
 */
int nat_flow_from_ct(const struct nf_conntrack *ct, bool reply_dir,
		     struct nat_flow *out);

/*
 * The same, read straight from the conntrack attributes a queued packet
 * carries (NFQA_CT's payload: CTA_TUPLE_ORIG/REPLY, CTA_STATUS, CTA_ZONE)
 * with libmnl, without libnetfilter_conntrack's object: the same result as
 * nfct_payload_parse() + nat_flow_from_ct() (test_binding holds the two
 * together) at a fifth of the instructions, on every packet. The family is
 * the tuples' own (IPv4 or IPv6 addresses, both tuples alike). -1 when a
 * tuple part is missing or malformed.
 */
int nat_flow_from_ct_attrs(const void *attrs, size_t len, bool reply_dir, struct nat_flow *out);

/* ctinfo (NFQA_CT_INFO) >= IP_CT_IS_REPLY means the reply direction. */
bool nat_ctinfo_is_reply(uint32_t ctinfo);

#endif
