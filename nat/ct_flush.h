/*
 * ct_flush.h - forget the SIP flows of a public address the gateway lost.
 *
 * After a DHCP or PPPoE re-addressing the SIP flows NATed to the old address
 * live on (an SNAT rule's conntracks do; MASQUERADE's are flushed by the
 * kernel itself) and keep the phones' packets on a binding nobody can reach:
 * the phones "register" but are never called. Deleting them makes the next
 * packet of each phone a new flow, NATed to the new address, and the next
 * registration refresh reaches the registrar from there.
 */
#ifndef SIPALGD_NAT_CT_FLUSH_H
#define SIPALGD_NAT_CT_FLUSH_H

#include <stdint.h>

#define NAT_CT_FLUSH_MAX 65536	/* flows deleted per call, at most */

/*
 * Delete the UDP and TCP conntracks from or to one of ports[0..n-1] (host
 * order) that are NATed to addr (network order: the reply's destination,
 * an outbound flow) or addressed to it (the original destination, an
 * inbound one). Returns how many were deleted, or -errno.
 */
int nat_ct_flush_public(uint32_t addr, const uint16_t *ports, unsigned n);

#endif
