/* nat_registration: flows with a live registration. */
#include <arpa/inet.h>
#include <stdio.h>

#include "registration.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

int main(void)
{
	struct nat_reg_table *t = nat_reg_new(2);
	struct rtp_master a = { .src = { { inet_addr("192.168.1.10") }, 5060 },
				.dst = { { inet_addr("203.0.113.2") }, 5060 }, .l4proto = 17 };
	struct rtp_master b = a, c = a;

	b.src.port = 5062;
	c.l4proto = 6;
	CHECK(nat_reg_remaining(t, &a, 1000) == -1);
	CHECK(nat_reg_note(t, &a, 3600, 1000) == 0);
	CHECK(nat_reg_remaining(t, &a, 1000) == 3600);
	CHECK(nat_reg_remaining(t, &a, 4000) == 600);
	CHECK(nat_reg_remaining(t, &b, 1000) == -1);	/* another phone's flow */
	CHECK(nat_reg_note(t, &a, 60, 2000) == 0);	/* refresh shortens */
	CHECK(nat_reg_remaining(t, &a, 2000) == 60 && nat_reg_count(t) == 1);
	CHECK(nat_reg_note(t, &b, 100, 2000) == 0);
	CHECK(nat_reg_note(t, &c, 100, 2000) == -1);	/* full: refused, not overwritten */
	CHECK(nat_reg_remaining(t, &c, 2000) == -1);
	nat_reg_expire(t, 2061);
	CHECK(nat_reg_count(t) == 1 && nat_reg_remaining(t, &b, 2061) == 39);
	CHECK(nat_reg_note(t, &b, 0, 2062) == 0);	/* expires=0: unregistered */
	CHECK(nat_reg_count(t) == 0);
	nat_reg_free(t);

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
