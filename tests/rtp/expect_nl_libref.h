/* expect_nl_libref.h - the library-built expectation messages (reference). */
#ifndef EXPECT_NL_LIBREF_H
#define EXPECT_NL_LIBREF_H

#include <stdint.h>

#include "expect_nl.h"

/* buf: RTP_NL_MSG_MAX bytes. The message length, or -1. */
long libref_build_new(void *buf, const struct rtp_expect *e, uint32_t seq);
long libref_build_delete(void *buf, const struct rtp_expect *e, uint32_t seq);

#endif
