/* local_addrs.c - see local_addrs.h. */
#include "local_addrs.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

#define REFRESH_EVERY 60	/* s */

static uint8_t prefix_of(const struct sockaddr *mask)
{
	uint32_t m = mask ? ntohl(((const struct sockaddr_in *)mask)->sin_addr.s_addr) : 0xffffffffu;

	return (uint8_t)__builtin_popcount(m);
}

static uint8_t prefix6_of(const struct sockaddr *mask)
{
	const uint8_t *b;
	unsigned n = 0;

	if (!mask)
		return 128;
	b = ((const struct sockaddr_in6 *)mask)->sin6_addr.s6_addr;
	for (int i = 0; i < 16; i++)
		n += (unsigned)__builtin_popcount(b[i]);
	return (uint8_t)n;
}

/* "eth0:1" (an alias label) is eth0. */
static unsigned index_of(const char *name)
{
	char base[IF_NAMESIZE];
	size_t n = strcspn(name, ":");

	if (n >= sizeof(base))
		return 0;
	memcpy(base, name, n);
	base[n] = 0;
	return if_nametoindex(base);
}

int local_addrs_read(struct rtp_local_addr *out, unsigned max)
{
	struct ifaddrs *all, *ifa;
	unsigned n = 0;

	if (getifaddrs(&all) < 0)
		return -1;
	for (ifa = all; ifa && n < max; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || (ifa->ifa_addr->sa_family != AF_INET &&
				       ifa->ifa_addr->sa_family != AF_INET6))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		if (ifa->ifa_addr->sa_family == AF_INET6) {
			/* IPv6: the far policy's own addresses and connected prefixes */
			out[n].family = AF_INET6;
			out[n].addr6 = ((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
			out[n].prefix = prefix6_of(ifa->ifa_netmask);
		} else {
			out[n].addr = ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
			out[n].prefix = prefix_of(ifa->ifa_netmask);
		}
		out[n].ifindex = index_of(ifa->ifa_name);
		n++;
	}
	freeifaddrs(all);
	return (int)n;
}

void local_addrs_refresh(struct rtp_table *t, time_t now, int force)
{
	static time_t last;
	static int last_n = -1;
	struct rtp_local_addr a[RTP_LOCAL_MAX];
	int n;

	if (!t || (!force && now - last < REFRESH_EVERY))
		return;
	last = now;
	n = local_addrs_read(a, RTP_LOCAL_MAX);
	if (n < 0) {
		log_warn("getifaddrs: far media address policy keeps its previous table");
		return;
	}
	rtp_table_set_local(t, a, (unsigned)n);
	if (n != last_n)
		log_info("far media address policy: %d local IPv4/IPv6 address(es)", n);
	last_n = n;
}
