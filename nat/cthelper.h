/*
 * cthelper.h - our userspace conntrack helper (nfnetlink_cthelper): the
 * kernel queues every packet of a flow that an nft `ct helper set` rule gave
 * this helper to NFQUEUE queue_num, and accepts RTP expectations on it.
 */
#ifndef SIPALGD_NAT_CTHELPER_H
#define SIPALGD_NAT_CTHELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nat_helper_conf {
	const char *name;		/* never "sip": the kernel's helper */
	uint16_t queue_num;
	bool udp, tcp;
	unsigned max_expected;		/* per master flow and class */
	unsigned expect_timeout;	/* s, every class */
};

#define NAT_HELPER_UNSUPPORTED	(-2)
/* Expectation classes (policies) registered: 0 signalling, 1 audio, 2 video, 3 image. */
#define NAT_HELPER_CLASSES	4

/*
 * Is nfnetlink_cthelper there? A dump request the kernel answers with EINVAL
 * means the subsystem is missing. 1 yes, 0 no, -1 with err on other errors.
 */
int nat_helper_supported(char *err, size_t errlen);

/*
 * Register (or update a stale registration of) the helper for AF_INET and
 * AF_INET6 and each enabled transport, status enabled. Returns 0, NAT_HELPER_UNSUPPORTED,
 * or -1; err says what failed.
 */
int nat_helper_register(const struct nat_helper_conf *c, char *err, size_t errlen);

/*
 * Clean exit: keep the helper registered but disabled. The kernel then
 * accepts its flows without queueing (nothing waits for a dead queue) and
 * the expectations of live calls stay; a restart re-enables it.
 */
int nat_helper_disable(const struct nat_helper_conf *c, char *err, size_t errlen);

/*
 * Remove the helper (each transport); the kernel also drops every
 * expectation it owns, so live calls lose pinholes not yet used. Returns 0 or -1 with err.
 */
int nat_helper_unregister(const struct nat_helper_conf *c, char *err, size_t errlen);

#endif
