/*
 * path_internal.h - what packet_path.c (UDP, the packet's entry) and
 * tcp_path.c (TCP stream handling) share. Not for other callers.
 */
#ifndef SIPALGD_NAT_PATH_INTERNAL_H
#define SIPALGD_NAT_PATH_INTERNAL_H

#include "binding.h"
#include "packet_path.h"
#include "splice.h"

#define NAT_PKT_CAP 65535

/* Edits planned per kind; added to the counters once a packet leaves rewritten. */
struct nat_edit_tally {
	unsigned total;
	unsigned kind[SIPALG_EDIT_KIND_MAX];
};

/* The packet's NAT binding and direction. 0, or -1 when none can be found. */
int nat_path_find_flow(struct nat_path *p, const struct nat_packet *pkt,
		       const struct nat_l4 *l4, struct nat_flow *flow);

/*
 * One whole message through the engine, the pinholes and the registration
 * table, its edits applied into out. Returns the bytes written (the message
 * as it came when nothing changes), or -1 when out is too small.
 */
long nat_path_rewrite_one(struct nat_path *p, const struct nat_flow *flow, bool tcp,
			  const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
			  struct nat_edit_tally *tally);

/* The flow is out of the ALG's scope (scope.h): it passes as it came. */
bool nat_path_out_of_scope(const struct nat_path *p, const struct nat_flow *flow);

/* TCP: see tcp_path.c. */
void nat_tcp_path_packet(struct nat_path *p, const struct nat_packet *pkt,
			 const struct nat_l4 *l4);

#endif
