/*
 * packet_path.h - what happens to one queued SIP packet, top to bottom:
 * receive -> binding -> engine -> pinholes -> splice -> verdict.
 * Every packet gets exactly one verdict; any internal failure means "accept
 * unchanged" and a counter.
 */
#ifndef SIPALGD_NAT_PACKET_PATH_H
#define SIPALGD_NAT_PACKET_PATH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sipalg.h"
#include "rtp.h"
#include "nfqueue.h"
#include "verdict.h"
#include "verdict_exp.h"
#include "ct_query.h"
#include "registration.h"
#include "tcp_stream.h"
#include "scope.h"

struct nat_counters {
	uint64_t packets;
	uint64_t rewritten;		/* verdicts with a new payload */
	uint64_t unchanged;		/* accepted as they came */
	uint64_t disabled;		/* enabled = no: passed byte for byte */
	uint64_t edits[SIPALG_EDIT_KIND_MAX];
	uint64_t status[SIPALG_TOO_BIG + 1];	/* engine outcome per message */
	uint64_t not_ipv4_l4;		/* not IPv4/IPv6 UDP/TCP (or a transport switched off) */
	uint64_t ipv6;			/* IPv6 UDP/TCP packets located (part of packets) */
	uint64_t ipv6_routed;		/* IPv6 messages of a routed flow: pinholes, no rewrite */
	uint64_t no_payload;		/* TCP handshake, ACKs, empty datagrams */
	uint64_t truncated;		/* copy shorter than the packet */
	uint64_t no_binding;		/* no conntrack could be found */
	uint64_t binding_from_mark;	/* first packet, binding from the nft mark */
	uint64_t tcp_len_refused;	/* would change TCP length without seqadj */
	uint64_t tcp_released_unchanged;	/* held segments let go as they came */
	uint64_t internal_errors;	/* apply/splice/verdict failed: passed */
	/* registered UDP flows: timeout carried in the verdict (helper mode), or
	 * flow marked for the timer's ctnetlink raise (set/errors: the timer's) */
	uint64_t reg_timeouts_in_verdict, reg_marked_dirty;
	uint64_t reg_timeouts_set, reg_timeout_errors;
	uint64_t reg_table_full;	/* a registration not tracked: table full */
	uint64_t out_of_scope;		/* no NAT on the flow, or an excluded subnet (scope.h) */
	uint64_t observed, observed_edits, observed_pinholes;	/* mode = observe (observe.h) */
};

struct nat_flow;

struct nat_path {
	/* set by the daemon; the pointers stay owned by it */
	const struct sipalg_switches *sw;
	struct rtp_table *rtp;		/* NULL: no pinholes (degraded or off) */
	bool udp, tcp;
	bool ct_in_verdict;		/* queue has conntrack glue: seqadj works */
	bool registration_timeout;
	unsigned registration_timeout_max;
	struct nat_ct *ct;		/* ctnetlink lookups (no conntrack attached) */
	struct nat_reg_table *regs;
	struct nat_verdicts *verdicts;
	struct nat_exp *exp;		/* NULL: a first packet's pinholes go to ctnetlink
					 * and fail; else verdict_exp.h */
	bool observe;			/* mode = observe: plan and log, pass all (observe.h) */
	const struct nat_scope *scope;	/* excluded subnets (scope.h); NULL: none */
	void (*log_info)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
	struct nat_counters c;
	/* debug log of each rewritten message (NULL: none), once its edits applied */
	void (*on_rewrite)(void *arg, const struct nat_flow *flow, bool tcp,
			   const struct sipalg_result *res);
	void *on_rewrite_arg;
	time_t now;			/* set by the loop before a drain */
	uint64_t now_ms;		/* CLOCK_MONOTONIC, ms: TCP hold deadlines */
	/* TCP stream state (tcp_stream.h); limits applied with nat_path_tcp_limits */
	struct nat_tcp_limits tcp_limits;
	struct nat_tcp_table *tcp_streams;
	/* scratch, one of each (large) */
	struct nf_conntrack *ctobj, *ctempty;
	struct sipalg_result *res;
	uint8_t *payload_out;
	uint8_t *packet_out;
	uint8_t *run_out;		/* a reassembled run's rewritten bytes */
	size_t run_out_cap;
};

/* Allocate the scratch space. 0 or -1. */
int nat_path_init(struct nat_path *p);
void nat_path_free(struct nat_path *p);

/*
 * nat_packet_fn (nfqueue.h): arg is the struct nat_path. A TCP segment may
 * be held: its verdict then comes with a later packet of its stream, from
 * nat_path_tick(), or from nat_path_release_all().
 */
void nat_path_packet(void *arg, const struct nat_packet *pkt);

/*
 * Held TCP segments past their deadline pass unchanged (their stream is
 * lost); idle streams are freed. Returns the next deadline (CLOCK_MONOTONIC
 * ms), 0 when nothing is held. The caller flushes the verdicts.
 */
uint64_t nat_path_tick(struct nat_path *p, uint64_t now_ms);

/* Every held segment passes unchanged now (shutdown, TCP switched off). */
void nat_path_release_all(struct nat_path *p);

/* New TCP limits (reload). */
void nat_path_tcp_limits(struct nat_path *p, const struct nat_tcp_limits *lim);

#endif
