/*
 * scene.h - drive the pinhole layer the way the daemon does: per SIP message,
 * the engine's media callback for each stream it rewrites, then
 * rtp_after_message with the facts. Addresses of the test network:
 *   phone A 192.168.1.10 (SIP 5060), phone B 192.168.1.11 (SIP 5060)
 *   gateway public 203.0.113.1, proxy 203.0.113.5:5060, far phone 203.0.113.20
 * and IPv6, routed (scene_phone6): phone 2001:db8:1::10, proxy 2001:db8:5::5,
 * far phone 2001:db8:20::20; the gateway's LAN 2001:db8:1::1/64.
 */
#ifndef SIPALGD_TEST_SCENE_H
#define SIPALGD_TEST_SCENE_H

#include "fake_kernel.h"
#include "rtp.h"

#define PUBLIC_IP "203.0.113.1"
#define PROXY_IP "203.0.113.5"
#define FAR_IP "203.0.113.20"
#define PHONE_A "192.168.1.10"
#define PHONE_B "192.168.1.11"
#define PHONE6_A "2001:db8:1::10"
#define PHONE6_B "2001:db8:1::11"
#define PROXY6 "2001:db8:5::5"
#define FAR6 "2001:db8:20::20"

enum media_flag {
	M_MUX = 1, M_SENDONLY = 2, M_INACTIVE = 4, M_HOLD0 = 8, M_DISABLED = 16,
	M_RTCP_ATTR = 32,	/* a=rtcp: explicit, port+3 */
};

struct scene {
	struct fake_kernel k;
	struct rtp_config cfg;
	struct rtp_table *t;
	struct rtp_msg mc;
	struct sipalg_result res;
	/* What the callback answered for each stream of the last message. */
	int map_ret[SIPALG_MAX_MEDIA];
	struct sipalg_addr mapped[SIPALG_MAX_MEDIA];
	uint16_t mapped_rtcp[SIPALG_MAX_MEDIA];
	/* Kernel calls made by the callbacks, i.e. before the packet left. */
	unsigned calls_during_map;
};

/* cfg NULL = rtp_config_default. The phone is A, signalling flow opened by A. */
void scene_init(struct scene *s, const struct rtp_config *cfg);
/* The same with other kernel ops (fake_ops_single: no batches). */
void scene_init_ops(struct scene *s, const struct rtp_config *cfg,
		    const struct rtp_kernel_ops *ops);
void scene_free(struct scene *s);
/* Switch to another inside phone; from_outside: the flow was opened by the proxy. */
void scene_phone(struct scene *s, const char *inside_ip, bool from_outside);
/* An IPv6 phone on a routed flow it opened to PROXY6 (no NAT: mc.no_nat). */
void scene_phone6(struct scene *s, const char *inside_ip);

void msg_request(struct scene *s, const char *method, const char *call_id,
		 const char *from_tag, const char *to_tag, unsigned cseq);
void msg_response(struct scene *s, int status, const char *method, const char *call_id,
		  const char *from_tag, const char *to_tag, unsigned cseq);
void msg_media(struct scene *s, const char *ip, unsigned port, unsigned flags);
/* Run the callbacks and rtp_after_message; returns how many streams mapped. */
int msg_send(struct scene *s, enum sipalg_dir dir);

struct sipalg_addr addr(const char *ip, unsigned port);

#endif
