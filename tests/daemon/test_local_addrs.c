/* local_addrs_read: the gateway's addresses as the far media policy sees them.
 * Every namespace has lo; its 127.0.0.1/8 must come back on lo's index. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>

#include "local_addrs.h"

int main(void)
{
	struct rtp_local_addr a[RTP_LOCAL_MAX];
	int n = local_addrs_read(a, RTP_LOCAL_MAX), i, lo = 0;
	char ip[INET_ADDRSTRLEN];

	if (n < 0) {
		perror("local_addrs_read");
		return 1;
	}
	for (i = 0; i < n; i++) {
		inet_ntop(AF_INET, &a[i].addr, ip, sizeof(ip));
		printf("%s/%u ifindex %u\n", ip, a[i].prefix, a[i].ifindex);
		lo += a[i].addr.s_addr == htonl(INADDR_LOOPBACK) && a[i].prefix == 8 &&
		      a[i].ifindex == if_nametoindex("lo");
	}
	if (!lo) {
		fprintf(stderr, "no 127.0.0.1/8 on lo among %d address(es)\n", n);
		return 1;
	}
	return 0;
}
