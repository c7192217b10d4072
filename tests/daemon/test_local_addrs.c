/* local_addrs_read: the gateway's addresses as the far media policy sees them.
 * Every namespace has lo; its 127.0.0.1/8 must come back on lo's index, and
 * its ::1/128 too where the kernel has IPv6 on lo (/proc/net/if_inet6 says). */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "local_addrs.h"

/* Does the kernel list ::1 on an interface? */
static int kernel_has_lo6(void)
{
	FILE *f = fopen("/proc/net/if_inet6", "r");
	char line[256];
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		found |= !strncmp(line, "00000000000000000000000000000001 ", 33);
	fclose(f);
	return found;
}

int main(void)
{
	struct rtp_local_addr a[RTP_LOCAL_MAX];
	int n = local_addrs_read(a, RTP_LOCAL_MAX), i, lo = 0, lo6 = 0;
	char ip[INET6_ADDRSTRLEN];

	if (n < 0) {
		perror("local_addrs_read");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (a[i].family == AF_INET6) {
			inet_ntop(AF_INET6, &a[i].addr6, ip, sizeof(ip));
			lo6 += IN6_IS_ADDR_LOOPBACK(&a[i].addr6) && a[i].prefix == 128 &&
			       a[i].ifindex == if_nametoindex("lo");
		} else {
			inet_ntop(AF_INET, &a[i].addr, ip, sizeof(ip));
			lo += a[i].addr.s_addr == htonl(INADDR_LOOPBACK) && a[i].prefix == 8 &&
			      a[i].ifindex == if_nametoindex("lo");
		}
		printf("%s/%u ifindex %u\n", ip, a[i].prefix, a[i].ifindex);
	}
	if (!lo) {
		fprintf(stderr, "no 127.0.0.1/8 on lo among %d address(es)\n", n);
		return 1;
	}
	if (kernel_has_lo6() && !lo6) {
		fprintf(stderr, "the kernel has ::1, local_addrs_read did not give ::1/128 on lo\n");
		return 1;
	}
	return 0;
}
