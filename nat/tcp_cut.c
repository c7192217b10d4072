/* tcp_cut.c - a rewritten run cut back into its segments; see tcp_stream.h. */
#include "tcp_stream.h"

int nat_tcp_cut(const uint32_t *in, unsigned n, size_t out_total, uint32_t cap, uint32_t *out)
{
	size_t in_total = 0;

	if (!n || out_total < n)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		out[i] = in[i];
		in_total += in[i];
	}
	if (out_total > in_total) {
		size_t grow = out_total - in_total;

		for (unsigned i = n; i-- > 0 && grow;) {
			size_t room = out[i] < cap ? cap - out[i] : 0;
			size_t take = room < grow ? room : grow;

			out[i] += (uint32_t)take;
			grow -= take;
		}
		out[n - 1] += (uint32_t)grow;	/* past cap: nowhere else to go */
	} else {
		size_t shrink = in_total - out_total;

		for (unsigned i = n; i-- > 0 && shrink;) {
			size_t take = out[i] - 1 < shrink ? out[i] - 1 : shrink;

			out[i] -= (uint32_t)take;
			shrink -= take;
		}
		if (shrink)
			return -1;
	}
	return 0;
}
