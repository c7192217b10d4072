/* replay_ip.c - IPv4 and IPv6 headers of the replay (see replay_ip.h). */
#include "replay_ip.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>

#include "replay_csum.h"

#define IP6_HDR		40
#define IP6_MAX_EXT	8	/* extension headers walked before giving up */

static int parse_v4(const uint8_t *p, size_t avail, struct replay_ip *out, const char **why)
{
	struct ip iph;
	size_t ihl, tot;

	if (avail < sizeof(iph)) {
		*why = "short IPv4 header: copied";
		return -1;
	}
	memcpy(&iph, p, sizeof(iph));
	ihl = (size_t)iph.ip_hl * 4;
	tot = ntohs(iph.ip_len);
	if (iph.ip_v != 4 || ihl < 20 || tot < ihl || tot > avail) {
		*why = "malformed IPv4 header: copied";
		return -1;
	}
	if (ntohs(iph.ip_off) & (IP_MF | IP_OFFMASK)) {
		*why = "IP fragment: copied unchanged";
		return -1;
	}
	out->src = (struct sipalg_addr){ .ip = iph.ip_src, .family = AF_INET };
	out->dst = (struct sipalg_addr){ .ip = iph.ip_dst, .family = AF_INET };
	out->hlen = ihl;
	out->tot = tot;
	out->proto = iph.ip_p;
	return 0;
}

/*
 * IPv6: the fixed header, then the extension headers a router passes on
 * without acting on them. A fragment is copied (as IPv4's are); so is a
 * routing header with segments left, whose final destination is not the
 * header's, and anything else the walk does not know (AH, ESP, ...): the
 * transport it names is left alone.
 */
static int parse_v6(const uint8_t *p, size_t avail, struct replay_ip *out, const char **why)
{
	size_t plen, off = IP6_HDR;
	uint8_t nh;

	if (avail < IP6_HDR) {
		*why = "short IPv6 header: copied";
		return -1;
	}
	plen = (size_t)p[4] << 8 | p[5];
	if ((p[0] >> 4) != 6 || IP6_HDR + plen > avail) {
		*why = "malformed IPv6 header: copied";
		return -1;
	}
	if (!plen) {
		*why = "IPv6 jumbogram or empty payload: copied";
		return -1;
	}
	nh = p[6];
	for (int k = 0;; k++) {
		size_t len;

		if (nh == IPPROTO_FRAGMENT) {
			*why = "IPv6 fragment: copied unchanged";
			return -1;
		}
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS)
			break;
		if (k == IP6_MAX_EXT || off + 8 > IP6_HDR + plen) {
			*why = "IPv6 extension headers too many or cut: copied";
			return -1;
		}
		if (nh == IPPROTO_ROUTING && p[off + 3]) {
			*why = "IPv6 routing header with segments left: copied";
			return -1;
		}
		len = ((size_t)p[off + 1] + 1) * 8;
		if (off + len > IP6_HDR + plen) {
			*why = "IPv6 extension headers too many or cut: copied";
			return -1;
		}
		nh = p[off];
		off += len;
	}
	out->src = (struct sipalg_addr){ .family = AF_INET6 };
	out->dst = (struct sipalg_addr){ .family = AF_INET6 };
	memcpy(&out->src.ip6, p + 8, 16);
	memcpy(&out->dst.ip6, p + 24, 16);
	out->hlen = off;
	out->tot = IP6_HDR + plen;
	out->proto = nh;
	return 0;
}

int replay_ip_parse(unsigned ethertype, const uint8_t *p, size_t avail,
		    struct replay_ip *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	return ethertype == 0x86dd ? parse_v6(p, avail, out, why) : parse_v4(p, avail, out, why);
}

void replay_ip_write(uint8_t *out, const struct replay_ip *orig,
		     const struct sipalg_addr *src, const struct sipalg_addr *dst, size_t tot)
{
	uint16_t v;

	if (sipalg_addr_is_v6(&orig->src)) {
		v = htons((uint16_t)(tot - IP6_HDR));
		memcpy(out + 4, &v, 2);
		memcpy(out + 8, &src->ip6, 16);
		memcpy(out + 24, &dst->ip6, 16);
		return;
	}
	v = htons((uint16_t)tot);
	memcpy(out + 2, &v, 2);
	memcpy(out + 12, &src->ip, 4);
	memcpy(out + 16, &dst->ip, 4);
	memset(out + 10, 0, 2);
	v = htons(replay_fold(replay_sum16(0, out, orig->hlen)));
	memcpy(out + 10, &v, 2);
}

uint16_t replay_ip_l4_checksum(const struct sipalg_addr *src, const struct sipalg_addr *dst,
			       uint8_t proto, const uint8_t *l4, size_t len)
{
	uint32_t sum = 0;

	if (sipalg_addr_is_v6(src)) {
		/* RFC 8200 8.1: addresses, 32-bit length, 24 zero bits, next header */
		sum = replay_sum16(sum, (const uint8_t *)&src->ip6, 16);
		sum = replay_sum16(sum, (const uint8_t *)&dst->ip6, 16);
		sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	} else {
		sum = replay_sum16(sum, (const uint8_t *)&src->ip, 4);
		sum = replay_sum16(sum, (const uint8_t *)&dst->ip, 4);
		sum += (uint32_t)len;
	}
	sum += proto;
	return replay_fold(replay_sum16(sum, l4, len));
}
