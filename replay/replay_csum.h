/* replay_csum.h - the Internet checksum (RFC 1071) of rebuilt packets. */
#ifndef SIPALGD_REPLAY_CSUM_H
#define SIPALGD_REPLAY_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add p[0,len) as big-endian 16-bit words to sum. */
uint32_t replay_sum16(uint32_t sum, const uint8_t *p, size_t len);
/* Fold the carries and complement: the checksum field's value. */
uint16_t replay_fold(uint32_t sum);

#endif
