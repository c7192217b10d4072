/* replay_csum.h - the Internet checksum (RFC 1071) of rebuilt IPv4/UDP/TCP. */
#ifndef SIPALGD_REPLAY_CSUM_H
#define SIPALGD_REPLAY_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <netinet/ip.h>

/* Add p[0,len) as big-endian 16-bit words to sum. */
uint32_t replay_sum16(uint32_t sum, const uint8_t *p, size_t len);
/* Fold the carries and complement: the checksum field's value. */
uint16_t replay_fold(uint32_t sum);
/* Transport checksum over the IPv4 pseudo header and l4 (checksum field as is):
 * 0 when l4 carries a right one. */
uint16_t replay_l4_checksum(const struct ip *ip, uint8_t proto, const uint8_t *l4, size_t len);

#endif
