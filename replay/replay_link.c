/* replay_link.c - link layers under IP in a capture (see replay_link.h). */
#include "replay_link.h"

#include <pcap/pcap.h>
#include <pcap/sll.h>
#include <sys/socket.h>

/* BSD loopback's address family, in either byte order: AF_INET, or one of
 * the AF_INET6 values of the systems that write such captures. */
static unsigned null_family_type(const uint8_t *p)
{
	static const uint8_t inet6[] = { 10, 24, 28, 30 };	/* Linux, *BSD, FreeBSD, macOS */
	uint8_t af;

	if (!p[1] && !p[2] && !p[3])
		af = p[0];
	else if (!p[0] && !p[1] && !p[2])
		af = p[3];
	else
		return 0;
	if (af == AF_INET)
		return 0x0800;
	for (size_t i = 0; i < sizeof(inet6); i++)
		if (af == inet6[i])
			return 0x86dd;
	return 0;
}

/* Offset of the IP header, or -1 with why set. */
long replay_ip_offset(int dlt, const uint8_t *p, size_t caplen, unsigned *ethertype,
		      const char **why)
{
	size_t off;
	unsigned type;

	switch (dlt) {
	case DLT_EN10MB:
		off = 12;
		for (;;) {
			if (caplen < off + 2)
				goto short_frame;
			type = (unsigned)p[off] << 8 | p[off + 1];
			if (type != 0x8100 && type != 0x88a8)
				break;
			off += 4;	/* VLAN tag */
		}
		off += 2;
		break;
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			goto short_frame;
		type = (unsigned)p[14] << 8 | p[15];
		off = SLL_HDR_LEN;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			goto short_frame;
		type = (unsigned)p[0] << 8 | p[1];
		off = SLL2_HDR_LEN;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (caplen < 1)
			goto short_frame;
		type = (p[0] >> 4) == 4 ? 0x0800 : (p[0] >> 4) == 6 ? 0x86dd : 0;
		off = 0;
		break;
	case DLT_NULL:
		/* Address family in the capturing host's byte order. */
		if (caplen < 4)
			goto short_frame;
		type = null_family_type(p);
		off = 4;
		break;
	default:
		*why = "link type not modelled: copied";
		return -1;
	}
	if (type != 0x0800 && type != 0x86dd) {
		*why = "not IP: copied";
		return -1;
	}
	*ethertype = type;
	return (long)off;
short_frame:
	*why = "short link-layer frame: copied";
	return -1;
}

bool replay_dlt_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6 || dlt == DLT_NULL;
}
