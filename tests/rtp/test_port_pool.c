/* Port pool: the phone's own port survives, RTP even/RTCP odd, exhaustion, return. */
#include <stdlib.h>

#include "check.h"
#include "port_pool.h"

static int owner_a, owner_b, owner_c;

static void keeps_free_even_inside_port(void)
{
	struct port_pool *p = port_pool_new(10000, 20000);

	CHECK(p);
	CHECK_EQ(port_pool_alloc(p, 12000, &owner_a), 12000);
	/* Taken: the next free pair above it. */
	CHECK_EQ(port_pool_alloc(p, 12000, &owner_b), 12002);
	CHECK(port_pool_owner(p, 12000) == &owner_a);
	CHECK(port_pool_owner(p, 12001) == &owner_a);	/* RTCP port of the pair */
	CHECK(port_pool_owner(p, 12002) == &owner_b);
	CHECK(port_pool_owner(p, 12004) == NULL);
	CHECK_EQ(port_pool_in_use(p), 2);
	port_pool_free(p);
}

static void odd_or_outside_ports_get_an_even_pair(void)
{
	struct port_pool *p = port_pool_new(10001, 10009);	/* pairs 10002..10008 */
	uint16_t port;

	CHECK(p);
	CHECK_EQ(port_pool_capacity(p), 4);
	CHECK_EQ(port_pool_alloc(p, 10003, &owner_a), 10004);	/* odd: next pair above */
	port = port_pool_alloc(p, 5004, &owner_b);		/* below range */
	CHECK(port >= 10002 && port <= 10008 && !(port & 1));
	port = port_pool_alloc(p, 40000, &owner_c);		/* above range */
	CHECK(port >= 10002 && port <= 10008 && !(port & 1));
	CHECK(!port_pool_take(p, 10003, &owner_a));		/* odd never */
	port_pool_free(p);
	/* A range too small for one pair. */
	CHECK(port_pool_new(10000, 10000) == NULL);
	CHECK(port_pool_new(20000, 10000) == NULL);
}

static void exhaustion_and_return(void)
{
	struct port_pool *p = port_pool_new(10000, 10003);	/* two pairs */

	CHECK_EQ(port_pool_alloc(p, 10000, &owner_a), 10000);
	CHECK_EQ(port_pool_alloc(p, 10000, &owner_b), 10002);
	CHECK_EQ(port_pool_alloc(p, 10000, &owner_c), 0);	/* exhausted */
	port_pool_release(p, 10000);
	CHECK_EQ(port_pool_in_use(p), 1);
	CHECK_EQ(port_pool_alloc(p, 10002, &owner_c), 10000);	/* wraps to the freed pair */
	port_pool_release(p, 30000);				/* out of range: ignored */
	port_pool_release(p, 10002);
	port_pool_release(p, 10002);				/* twice: no underflow */
	CHECK_EQ(port_pool_in_use(p), 1);
	port_pool_free(p);
}

static void top_of_port_space(void)
{
	struct port_pool *p = port_pool_new(65530, 65535);

	CHECK(p);
	CHECK_EQ(port_pool_capacity(p), 3);
	CHECK_EQ(port_pool_alloc(p, 65534, &owner_a), 65534);
	CHECK(port_pool_owner(p, 65535) == &owner_a);
	port_pool_free(p);
}

/* The pool's word-at-a-time search against the rule read slot by slot: the
 * wanted pair if free, else the next free one above it, wrapping once; from
 * the last search's end when the wanted port is outside the range. Random
 * allocations and releases on ranges that end inside and at a 64-slot word. */
static void search_matches_the_rule_slot_by_slot(void)
{
	static const unsigned sizes[] = { 1, 5, 63, 64, 65, 130, 1000 };
	unsigned z, step;

	srand(7);
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		unsigned n = sizes[z], hint = 0, in_use = 0;
		struct port_pool *p = port_pool_new(10000, (uint16_t)(10000 + 2 * n - 1));
		char *taken = calloc(n, 1);

		CHECK(p && taken);
		if (!p || !taken)
			return;
		CHECK_EQ(port_pool_capacity(p), n);
		for (step = 0; step < 20 * n + 50; step++) {
			unsigned slot = (unsigned)rand() % n, want_slot, i;
			uint16_t wanted, got, expect = 0;

			if (rand() % 3 == 0) {	/* release one */
				port_pool_release(p, (uint16_t)(10000 + 2 * slot));
				in_use -= taken[slot];
				taken[slot] = 0;
				continue;
			}
			/* mostly one busy default port, sometimes odd or out of range */
			switch (rand() % 4) {
			case 0: wanted = (uint16_t)(10000 + 2 * slot); break;
			case 1: wanted = (uint16_t)(10001 + 2 * slot); break;
			case 2: wanted = 5000; break;
			default: wanted = 10000; break;
			}
			if (wanted >= 10000 && wanted < 10000 + 2 * n) {
				want_slot = (wanted - 10000u) / 2;
				if (!(wanted & 1u) && !taken[want_slot])
					expect = wanted;
				else
					want_slot += wanted & 1u;
			} else {
				want_slot = hint;
			}
			for (i = 0; !expect && i < n; i++) {
				unsigned s = (want_slot + i) % n;

				if (!taken[s]) {
					expect = (uint16_t)(10000 + 2 * s);
					hint = (s + 1) % n;
				}
			}
			got = port_pool_alloc(p, wanted, &owner_a);
			if (got != expect) {
				fprintf(stderr, "size %u step %u: wanted %u, got %u, expected %u\n",
					n, step, wanted, got, expect);
				check_failures++;
				break;
			}
			if (got) {
				taken[(got - 10000u) / 2] = 1;
				in_use++;
			}
			CHECK_EQ(port_pool_in_use(p), in_use);
		}
		free(taken);
		port_pool_free(p);
	}
}

int main(void)
{
	RUN(keeps_free_even_inside_port);
	RUN(odd_or_outside_ports_get_an_even_pair);
	RUN(exhaustion_and_return);
	RUN(top_of_port_space);
	RUN(search_matches_the_rule_slot_by_slot);
	return CHECK_DONE();
}
