/*
 * replay_nat.h - the NAT table the replay models.
 *
 * One mapping per (protocol, inside address, inside port) to a public port,
 * whatever the remote: what Linux masquerade does while ports do not clash.
 * Signalling flows, other flows and SDP media (the pinhole pool) share it, so
 * RTP leaves from exactly the port its SDP announced. IPv4 and IPv6 (NAT66:
 * another public address) have separate port spaces: a table's index is
 * (family, protocol). Addresses are struct sipalg_addr; their port field is
 * not used here, the port is the key's own.
 */
#ifndef SIPALGD_REPLAY_NAT_H
#define SIPALGD_REPLAY_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "sipalg.h"

#define NAT_SLOTS	(1u << 18)	/* > 2 x 65536 mappings: never full */
#define NAT_PROTOS	4		/* UDP, TCP; then the same over IPv6 */

struct nat_slot;

struct replay_nat_owner {
	struct sipalg_addr ip;
	uint16_t port;
	bool used;
};

struct replay_nat {
	struct nat_slot *slots;
	struct replay_nat_owner *owner[NAT_PROTOS];	/* indexed by public port */
};

int replay_nat_init(struct replay_nat *n);
void replay_nat_free(struct replay_nat *n);
/* Slot index of (proto, ip, port); also spreads the TCP flow table. */
size_t replay_nat_hash(uint8_t proto, const struct sipalg_addr *ip, uint16_t port);
/* Is public port pub of (family of like, proto) free? */
bool replay_nat_pub_free(const struct replay_nat *n, const struct sipalg_addr *like,
			 uint8_t proto, unsigned pub);
void replay_nat_add(struct replay_nat *n, uint8_t proto, const struct sipalg_addr *ip,
		    uint16_t port, uint16_t pub);
/* Public port of an existing mapping, or -1. */
int replay_nat_lookup(struct replay_nat *n, uint8_t proto, const struct sipalg_addr *ip,
		      uint16_t port);
/* Who owns a public port of like's family, or NULL. */
const struct replay_nat_owner *replay_nat_reverse(const struct replay_nat *n,
						  const struct sipalg_addr *like,
						  uint8_t proto, uint16_t pub);
/* The mapping for a flow leaving the inside (existing, else the inside port
 * when free, else the next free one); -1 when every port is taken. */
int replay_nat_outbound(struct replay_nat *n, uint8_t proto, const struct sipalg_addr *ip,
			uint16_t port, bool *created);

#endif
