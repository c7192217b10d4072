/* Port pool: the phone's own port survives, RTP even/RTCP odd, exhaustion, return. */
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

int main(void)
{
	RUN(keeps_free_even_inside_port);
	RUN(odd_or_outside_ports_get_an_even_pair);
	RUN(exhaustion_and_return);
	RUN(top_of_port_space);
	return CHECK_DONE();
}
