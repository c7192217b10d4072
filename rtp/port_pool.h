/*
 * port_pool.h - public media ports: RTP on an even port, RTCP on the next odd.
 *
 * The pool hands out pairs (P, P+1) with P even inside [port_min, port_max],
 * and remembers an owner per pair so an SDP naming a public port can be
 * mapped back to the stream that owns it (hairpin).
 */
#ifndef SIPALGD_RTP_PORT_POOL_H
#define SIPALGD_RTP_PORT_POOL_H

#include <stdbool.h>
#include <stdint.h>

struct port_pool;

/* NULL when the range holds no even/odd pair or memory is short. */
struct port_pool *port_pool_new(uint16_t port_min, uint16_t port_max);
void port_pool_free(struct port_pool *p);

/*
 * Reserve a pair for owner: `wanted` itself when it is even, in range and
 * free (the phone's own port survives NAT unchanged); else the next free pair
 * above it, wrapping once. Returns the RTP port, or 0 when exhausted.
 */
uint16_t port_pool_alloc(struct port_pool *p, uint16_t wanted, void *owner);
/* Reserve exactly `port` (even, in range, free) - used when the range changes. */
bool port_pool_take(struct port_pool *p, uint16_t port, void *owner);
/* Return a pair; ports outside the range (an older config's) are ignored. */
void port_pool_release(struct port_pool *p, uint16_t port);
/* Owner of the pair holding `port` (RTP or RTCP), or NULL. */
void *port_pool_owner(const struct port_pool *p, uint16_t port);

unsigned port_pool_in_use(const struct port_pool *p);
unsigned port_pool_capacity(const struct port_pool *p);

#endif
