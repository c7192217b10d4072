/* replay_link.c - link layers under IPv4 in a capture (see replay_link.h). */
#include "replay_link.h"

#include <pcap/pcap.h>
#include <pcap/sll.h>
#include <sys/socket.h>

/* Offset of the IPv4 header, or -1 with why set. */
long replay_ipv4_offset(int dlt, const uint8_t *p, size_t caplen, const char **why)
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
		if (caplen < 1)
			goto short_frame;
		type = (p[0] >> 4) == 4 ? 0x0800 : 0;
		off = 0;
		break;
	case DLT_NULL:
		/* Address family in the capturing host's byte order. */
		if (caplen < 4)
			goto short_frame;
		type = (p[0] == AF_INET && !p[1] && !p[2] && !p[3]) ||
		       (p[3] == AF_INET && !p[0] && !p[1] && !p[2]) ? 0x0800 : 0;
		off = 4;
		break;
	default:
		*why = "link type not modelled: copied";
		return -1;
	}
	if (type != 0x0800) {
		*why = "not IPv4: copied";
		return -1;
	}
	return (long)off;
short_frame:
	*why = "short link-layer frame: copied";
	return -1;
}

bool replay_dlt_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_NULL;
}
