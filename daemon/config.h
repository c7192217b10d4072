/*
 * config.h - sipalgd's configuration: defaults, and loading an INI file
 * (libinih) with errors that name the file, the line and what was expected.
 *
 * configs/sipalgd.conf documents every key. Sections and what they fill:
 *   [general]    enabled, mode, user, status_socket, log, log_level
 *   [rewrite]    one switch per engine rewrite (struct sipalg_switches)
 *   [media]      pinholes: struct rtp_config
 *   [netfilter]  queue, SIP ports, transports, helper, rules, buffers, scope
 *   [limits]     expectation policy, registration conntrack timeout
 *   [tcp]        SIP over TCP stream state: reassembly bounds
 */
#ifndef SIPALGD_CONFIG_H
#define SIPALGD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipalg.h"
#include "rtp.h"
#include "scope.h"

#define SIPALGD_MAX_SIP_PORTS	16
#define SIPALGD_HELPER_NAME_MAX	16	/* NF_CT_HELPER_NAME_LEN, with the NUL */
#define SIPALGD_USER_MAX	64
#define SIPALGD_PATH_MAX	108	/* sizeof(sun_path) */
#define SIPALGD_MAX_EXPECTED_MAX 255	/* NF_CT_EXPECT_MAX_CNT in the kernel */
#define SIPALGD_WORKERS_MAX	64	/* queues and threads; helper names get "-1".."-63" */

struct sipalgd_config {
	/* [general] enabled + [rewrite]: the engine's switches. */
	struct sipalg_switches sw;
	/* [media] */
	struct rtp_config rtp;
	bool drop_unexpected_media;	/* nft input guard on the public media ports */

	/* [netfilter] */
	uint16_t queue_num;		/* NFQUEUE number, 0..65535 */
	uint16_t sip_ports[SIPALGD_MAX_SIP_PORTS];	/* host order */
	unsigned n_sip_ports;		/* >= 1; default one port, 5060 */
	bool udp;			/* help SIP over UDP */
	bool tcp;			/* help SIP over TCP */
	char helper_name[SIPALGD_HELPER_NAME_MAX];	/* default "sipalg" */
	bool install_rules;		/* daemon installs/removes its own nft table */
	bool degraded_ok;		/* no nfnetlink_cthelper: run without expectations */
	uint32_t queue_maxlen;		/* NFQA_CFG_QUEUE_MAXLEN */
	uint32_t rcvbuf_bytes;		/* netlink socket buffer (SO_RCVBUFFORCE) */
	bool overload_pass;		/* overload = pass: a full queue passes SIP un-rewritten */
	unsigned workers;		/* queues queue_num.. and their threads; 0 = online CPUs */
	struct nat_scope scope;		/* interfaces, exclude (nat/scope.h) */

	/* [limits] */
	unsigned max_expected;		/* helper expect policy: per master flow */
	unsigned expect_policy_timeout;	/* helper expect policy timeout, s */
	bool registration_timeout;	/* stretch the SIP conntrack to the REGISTER expiry */
	unsigned registration_timeout_max;	/* ...but never beyond this many s */

	/* [tcp] (nat/tcp_stream.h) */
	uint32_t tcp_hold_ms;		/* a segment waits this long for the rest of its message */
	uint32_t tcp_stream_bytes;	/* bytes held per stream */
	uint32_t tcp_total_bytes;	/* bytes held by all streams */
	uint32_t tcp_max_streams;	/* connection directions tracked */
	uint32_t tcp_idle_timeout;	/* s a silent stream is kept */

	/* [general] */
	bool observe;			/* mode = observe: log the plan, change nothing */
	char user[SIPALGD_USER_MAX];	/* drop to it after setup; "" = stay root */
	char status_socket[SIPALGD_PATH_MAX];
	char state_file[SIPALGD_PATH_MAX];	/* dialogs for a restart; "" = off */
	bool log_syslog;		/* log = syslog | stderr */
	int log_level;			/* LOG_ERR .. LOG_DEBUG (syslog.h) */

	/* From the command line, not the file (config_load leaves it false). */
	bool foreground;		/* -f: do not daemonize; log to stderr */
};

/* The shipped defaults (the same values configs/sipalgd.conf shows). */
void config_default(struct sipalgd_config *cfg);

/*
 * Load path over the defaults into *out. Returns 0, or -1 with err holding
 * "FILE:LINE: what is wrong (expected ...)" for the FIRST error in the file
 * (or "FILE: ..." when it cannot be read). *out is only written on success.
 * Booleans: yes/no, true/false, on/off, 1/0 (any case).
 */
int config_load(const char *path, struct sipalgd_config *out,
		char *err, size_t errlen);

/* config_load over the bytes buf[0..len) (a test or fuzz entry point), named name in errors. */
int config_parse_buffer(const char *name, const char *buf, size_t len,
			struct sipalgd_config *out, char *err, size_t errlen);

/* Is port one of the configured SIP ports? */
bool config_is_sip_port(const struct sipalgd_config *cfg, uint16_t port);

/* Key i of the parser's table (false past the end); numeric: min..max is its range. */
struct config_key_info {
	const char *section, *name;
	bool numeric;
	unsigned long min, max;
};
bool config_key_info(size_t i, struct config_key_info *out);

#endif
