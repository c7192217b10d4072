/*
 * replay_nat.c - the replay's model of the NAT table (see replay_nat.h).
 */
#include "replay_nat.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct nat_slot {
	struct sipalg_addr ip;
	uint16_t port;
	uint16_t pub;
	uint8_t proto;
	bool used;
};

/* The table of (family, protocol): IPv6 (NAT66) has its own public ports. */
static int proto_idx(const struct sipalg_addr *like, uint8_t proto)
{
	return (proto == IPPROTO_TCP) + (sipalg_addr_is_v6(like) ? 2 : 0);
}

size_t replay_nat_hash(uint8_t proto, const struct sipalg_addr *ip, uint16_t port)
{
	uint32_t h = ip->ip.s_addr * 2654435761u;

	if (sipalg_addr_is_v6(ip)) {
		uint32_t w[4];

		memcpy(w, &ip->ip6, sizeof(w));
		h = (w[0] ^ w[1] * 2246822519u ^ w[2] * 3266489917u ^ w[3]) * 2654435761u;
	}

	h ^= ((uint32_t)port << 8 | proto) * 2246822519u;
	h ^= h >> 15;
	return h & (NAT_SLOTS - 1);
}

static struct nat_slot *nat_find(struct replay_nat *n, uint8_t proto,
				 const struct sipalg_addr *ip, uint16_t port)
{
	for (size_t i = replay_nat_hash(proto, ip, port);; i = (i + 1) & (NAT_SLOTS - 1)) {
		struct nat_slot *s = &n->slots[i];

		if (!s->used)
			return s;	/* the free slot where it would go */
		if (s->proto == proto && s->port == port && sipalg_addr_same_ip(&s->ip, ip))
			return s;
	}
}

bool replay_nat_pub_free(const struct replay_nat *n, const struct sipalg_addr *like,
			 uint8_t proto, unsigned pub)
{
	return pub != 0 && pub <= 65535 && !n->owner[proto_idx(like, proto)][pub].used;
}

void replay_nat_add(struct replay_nat *n, uint8_t proto, const struct sipalg_addr *ip,
		    uint16_t port, uint16_t pub)
{
	struct nat_slot *s = nat_find(n, proto, ip, port);
	struct replay_nat_owner *o = &n->owner[proto_idx(ip, proto)][pub];

	*s = (struct nat_slot){ .ip = *ip, .port = port, .pub = pub,
				.proto = proto, .used = true };
	*o = (struct replay_nat_owner){ .ip = *ip, .port = port, .used = true };
}

/* Public port of an existing mapping, or -1. */
int replay_nat_lookup(struct replay_nat *n, uint8_t proto, const struct sipalg_addr *ip,
		      uint16_t port)
{
	struct nat_slot *s = nat_find(n, proto, ip, port);

	return s->used ? s->pub : -1;
}

const struct replay_nat_owner *replay_nat_reverse(const struct replay_nat *n,
						  const struct sipalg_addr *like,
						  uint8_t proto, uint16_t pub)
{
	const struct replay_nat_owner *o = &n->owner[proto_idx(like, proto)][pub];

	return o->used ? o : NULL;
}

/*
 * The mapping for a flow leaving the inside: the existing one, else the
 * inside port when free, else the next free port above it (1024..65535,
 * wrapping), as masquerade does on a clash. -1 when every port is taken.
 */
int replay_nat_outbound(struct replay_nat *n, uint8_t proto, const struct sipalg_addr *ip,
			uint16_t port, bool *created)
{
	int pub = replay_nat_lookup(n, proto, ip, port);
	unsigned p = port;

	*created = false;
	if (pub >= 0)
		return pub;
	for (unsigned tries = 0; tries < 65536; tries++) {
		if (replay_nat_pub_free(n, ip, proto, p)) {
			replay_nat_add(n, proto, ip, port, (uint16_t)p);
			*created = true;
			return (int)p;
		}
		p = p >= 65535 ? 1024 : (p < 1024 ? 1024 : p + 1);
	}
	return -1;
}

int replay_nat_init(struct replay_nat *n)
{
	memset(n, 0, sizeof(*n));
	n->slots = calloc(NAT_SLOTS, sizeof(*n->slots));
	for (int i = 0; i < NAT_PROTOS; i++)
		n->owner[i] = calloc(65536, sizeof(*n->owner[i]));
	for (int i = 0; i < NAT_PROTOS; i++)
		if (!n->owner[i])
			return -1;
	if (!n->slots)
		return -1;
	return 0;
}

void replay_nat_free(struct replay_nat *n)
{
	free(n->slots);
	for (int i = 0; i < NAT_PROTOS; i++)
		free(n->owner[i]);
}
