/*
 * rtp.h - media pinholes: public port pool, dialog table, expectation planning.
 *
 * The daemon hands rtp_map_media() to the engine as its media mapping, then
 * calls rtp_after_message() with the engine's result. Kernel access goes
 * through struct rtp_kernel_ops, so the planning is unit-testable without root
 * (tests record the calls) and ctnetlink lives in one file (rtp/expect_nl.c).
 *
 * CONTRACT between rtp/ and the daemon (nat/, daemon/): the functions and
 * structs below. rtp/ may add fields/functions; changing these needs both sides.
 */
#ifndef SIPALGD_RTP_H
#define SIPALGD_RTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "sipalg.h"

struct rtp_config {
	bool expectations;	/* create kernel expectations at all */
	bool rtcp;		/* RTCP pinholes too */
	bool wide_source;	/* keep inbound pinholes open to any source after the answer */
	uint16_t port_min;	/* public media ports, default 10000 */
	uint16_t port_max;	/* default 20000 */
	unsigned expect_timeout;	/* s an unused pinhole lives */
	unsigned dialog_timeout;	/* s a dialog lives without signalling */
	unsigned max_dialogs;
	unsigned max_streams;	/* media streams per dialog */
	/* Added by rtp/ (defaults from rtp_config_default): */
	char expect_fn[32];	/* CTA_EXPECT_FN: "sip" (symmetric via sibling SNAT)
				 * or "nat-follow-master"; "" = none */
	uint32_t expect_class;	/* helper expectation class; must be >= 1 for
				 * "sip" to pair siblings, and < the helper's
				 * number of expectation policies */
	uint32_t expect_classes;	/* streams take classes expect_class ..
				 * expect_class + expect_classes - 1 in turn:
				 * the kernel caps each class at max_expected
				 * (<= 255) per master and evicts the OLDEST
				 * beyond it - another call's pinhole on a trunk */
	/* Policy (rtp/README.md "What an SDP may open"): */
	uint16_t min_inside_port;	/* inside RTP/RTCP ports below it get no pinhole */
	unsigned early_timeout;		/* s an early dialog (no 2xx) lives without signalling */
	unsigned max_dialogs_per_host;	/* per inside host */
	unsigned max_pairs_per_host;	/* public port pairs per inside host */
};

void rtp_config_default(struct rtp_config *cfg);

/*
 * The gateway's own addresses and directly connected subnets, filled by the
 * daemon (daemon/local_addrs.c, getifaddrs at start and SIGHUP): rtp/ opens
 * no sockets. ifindex tells interfaces apart: a subnet on another interface
 * than the binding's public address is the inside.
 */
struct rtp_local_addr {
	struct in_addr addr;
	uint8_t prefix;			/* 0..32 (IPv6: 0..128) */
	unsigned ifindex;
	uint8_t family;			/* 0 or AF_INET: addr; AF_INET6: addr6 */
	struct in6_addr addr6;
};

#define RTP_LOCAL_MAX 64

/* Why a far media address got no narrowing and no sibling. */
enum rtp_far_class {
	RTP_FAR_OK,
	RTP_FAR_UNSPECIFIED,		/* 0.0.0.0/8 other than the c=0.0.0.0 hold; IPv6:
					 * ::, and IPv4-mapped/compatible ::/96, ::ffff:0:0/96 */
	RTP_FAR_LOOPBACK,		/* 127/8, ::1 */
	RTP_FAR_MULTICAST,		/* 224/4, ff00::/8 */
	RTP_FAR_BROADCAST,		/* 255.255.255.255, 240/4, a local subnet's broadcast */
	RTP_FAR_OWN,			/* one of the gateway's addresses (not a hairpin) */
	RTP_FAR_INSIDE,			/* in a subnet of an inside interface; IPv6:
					 * link-local fe80::/10 */
	RTP_FAR_HAIRPIN,		/* our public pool port, not announced by a leg of this call */
	RTP_FAR_MAX
};

const char *rtp_far_class_str(enum rtp_far_class c);

/* The SIP flow's conntrack (the expectation's master), original direction. */
struct rtp_master {
	struct sipalg_addr src;
	struct sipalg_addr dst;
	uint8_t l4proto;	/* IPPROTO_UDP / IPPROTO_TCP */
	uint16_t zone;
};

/* One expectation as the kernel is asked to create or delete it. */
struct rtp_expect {
	struct rtp_master master;
	uint8_t l4proto;		/* of the expected flow: UDP */
	struct sipalg_addr src;		/* expected source; see masks */
	bool src_any_addr;		/* mask out the source address */
	bool src_any_port;		/* mask out the source port */
	struct sipalg_addr dst;		/* expected destination */
	bool nat;			/* CTA_EXPECT_NAT present */
	int nat_dir;			/* IP_CT_DIR_ORIGINAL / IP_CT_DIR_REPLY */
	struct sipalg_addr nat_to;	/* where the expected flow really goes */
	const char *fn;			/* expect function, e.g. "sip" */
	unsigned timeout;		/* s */
	uint32_t class;			/* helper expectation class */
	uint32_t id;			/* filled by expect_create when known */
};

/* One request of a batch. */
struct rtp_expect_op {
	bool create;			/* else delete */
	struct rtp_expect *e;
	int err;			/* filled in: 0 or -errno */
};

struct rtp_kernel_ops {
	int (*expect_create)(void *arg, struct rtp_expect *e);	/* 0 or -errno */
	int (*expect_delete)(void *arg, const struct rtp_expect *e);
	/* Optional: ops[0..n-1] in this order, each as create/delete would do
	 * it, in one round trip where the kernel allows; fills each err. */
	void (*expect_batch)(void *arg, struct rtp_expect_op *ops, unsigned n);
};

struct rtp_stats {
	uint64_t expect_created, expect_failed, expect_removed;
	uint64_t ports_exhausted;
	uint64_t dialogs_created, dialogs_removed, dialogs_refused;
	unsigned dialogs_live, ports_in_use;
	/* Added by rtp/: */
	uint64_t expect_delete_failed;	/* delete errors other than "already gone" */
	uint64_t streams_refused;	/* m-line index beyond max_streams */
	uint64_t retransmits_seen;	/* SDP copies that re-sent no pinhole */
	int last_error;			/* last -errno from the kernel ops, 0 if none */
	/* Policy refusals (rtp/README.md "What an SDP may open"): */
	uint64_t port_refused;		/* inside port < min_inside_port, or RTCP past 65535 */
	uint64_t far_refused[RTP_FAR_MAX];	/* by class; [RTP_FAR_OK] unused */
	uint64_t host_dialogs_refused;	/* per-host dialog cap, no early dialog to evict */
	uint64_t host_pairs_refused;	/* per-host port pair cap */
	uint64_t dialogs_evicted;	/* oldest early dialog, to admit a new one */
	uint64_t early_expired;		/* early dialogs past early_timeout */
	uint64_t unmapped_no_pinhole;	/* streams left at the phone's port: no pinhole */
	uint64_t mem_bytes;		/* dialogs, streams, hosts: allocated now */
	/* Restart recovery (rtp/recover.c, rtp/orphans.c): */
	uint64_t orphans_flushed;	/* orphan pairs ended by an unknown dialog's BYE/CANCEL */
	uint64_t orphans_adopted;	/* orphan pairs taken over by a new dialog's SDP */
};

struct rtp_table;

struct rtp_table *rtp_table_new(const struct rtp_config *cfg,
				const struct rtp_kernel_ops *ops, void *ops_arg);
/* Removes every pinhole it created. */
void rtp_table_free(struct rtp_table *t);
/* The gateway's addresses (copied; at most RTP_LOCAL_MAX kept). Without
 * them only the binding's public address counts as the gateway's own. */
void rtp_table_set_local(struct rtp_table *t, const struct rtp_local_addr *a, unsigned n);
/* SIGHUP: new limits/switches; live dialogs and their pinholes are kept. */
int rtp_table_reconfigure(struct rtp_table *t, const struct rtp_config *cfg);
/* Remove every dialog, its pinholes and ports (the ALG switched off: no
 * BYE will be seen). Returns how many there were. Turning expectations off
 * in rtp_table_reconfigure does the same. */
unsigned rtp_table_flush(struct rtp_table *t);
/* Remove the dialogs with a stream on public IPv4 address ip (network
 * order): the gateway lost it. Returns how many. */
unsigned rtp_table_flush_public(struct rtp_table *t, uint32_t ip);

/* Per-message context: the map callback's arg. */
struct rtp_msg {
	struct rtp_table *table;
	struct rtp_master master;
	struct sipalg_binding binding;
	enum sipalg_dir dir;
	time_t now;
	bool no_nat;		/* routed flow (public == inside): pinholes to the phone's
				 * own ports, no pool port, no NAT, no expect function */
};

/* A sipalg_media_map_fn: arg is a struct rtp_msg *. */
int rtp_map_media(void *arg, enum sipalg_dir dir,
		  const struct sipalg_facts *msg, unsigned idx,
		  const struct sipalg_media *m,
		  struct sipalg_addr *out, uint16_t *out_rtcp);

/* After the engine ran on a message: answers, re-INVITEs, BYE/CANCEL/errors. */
void rtp_after_message(struct rtp_msg *mc, const struct sipalg_result *res);

/*
 * A create the ops answered 0 for did not happen after all: the ops had only
 * queued it (nat/verdict_exp.c defers a first packet's pinholes until its
 * flow is confirmed) and the kernel then said err. The pinhole that asked for
 * e, if it still does, is marked not live and counted as failed; later
 * messages of the call re-create it as for any failed create.
 */
void rtp_expect_lost(struct rtp_table *t, const struct rtp_expect *e, int err);

/* Timers: drop dialogs and pinholes past their lifetime. */
void rtp_expire(struct rtp_table *t, time_t now);

const struct rtp_stats *rtp_table_stats(const struct rtp_table *t);

/*
 * Debug log (rtp/pinhole_log.c): fn sees every create/delete the kernel ops
 * were asked for, its result (0 or -errno) and why (the message - direction,
 * method or status, Call-ID - or the timer, flush, shutdown). NULL: off.
 */
typedef void (*rtp_pinhole_log_fn)(void *arg, bool create, const struct rtp_expect *e,
				   int err, const char *why);
void rtp_table_set_log(struct rtp_table *t, rtp_pinhole_log_fn fn, void *arg);
/* Human-readable: live dialogs with their streams and pinholes. */
void rtp_table_dump(const struct rtp_table *t, FILE *out);
/* The same as JSON (docs/status.schema.json): the header as one object
 * ("media"), the dialogs as one array ("dialogs"). json_string writes a
 * quoted, escaped string (Call-IDs and tags are untrusted bytes). */
void rtp_table_media_json(const struct rtp_table *t, FILE *out);
void rtp_table_dialogs_json(const struct rtp_table *t, FILE *out,
			    void (*json_string)(FILE *out, const char *s));

/*
 * Restart recovery (rtp/README.md "Restarts"). A record is one stream of a
 * live dialog as rtp/state_file.c writes it; the kernel's expectations of
 * our helper come from rtp_nl_expect_dump (expect_nl.h) or a test's fake.
 */
struct rtp_record {
	char call_id[256];
	char tag[128];
	struct sipalg_addr inside_sig;	/* port unused (key is the address) */
	bool confirmed;
	struct rtp_master master;
	unsigned idx;			/* m-line index */
	struct sipalg_addr inside;
	uint16_t inside_rtcp;
	bool rtcp_mux, no_nat;
	struct sipalg_addr public;
	uint16_t public_rtcp;
	int out_dir;
	uint32_t class;
	bool has_far, far_mux;
	struct sipalg_addr far;
	uint16_t far_rtcp;
};

#define RTP_STATE_LINE_MAX 2048		/* a longer line is refused; ours are < 1400 */
#define RTP_STATE_VERSION "sipalgd-dialogs 1"

/* The table's streams, one record a line after the version line. 0 or -1
 * (a write error of out). */
int rtp_state_write(const struct rtp_table *t, FILE *out);
/* Parse a state file's bytes (untrusted): at most max records into out;
 * a bad line (length, fields, ranges against cfg) is skipped and counted in
 * *refused. -1 when the version line is not ours (nothing taken). */
long rtp_state_parse(const char *buf, size_t len, const struct rtp_config *cfg,
		     struct rtp_record *out, unsigned max, unsigned *refused);
/* Bumped by every change of dialogs, streams or pinholes: the daemon writes
 * the state file when it moved. */
uint64_t rtp_table_changes(const struct rtp_table *t);

struct rtp_recovery {
	unsigned records, records_refused;	/* refused: parse + reconcile */
	unsigned dialogs;		/* restored from records */
	unsigned pinholes_live;		/* records' pinholes the kernel still has */
	unsigned pinholes_gone;		/* records' pinholes it has not (consumed, expired) */
	unsigned conflicts;		/* record's pair held by another NAT target in the kernel */
	unsigned kernel_expects;	/* of our helper, dumped */
	unsigned orphans;		/* pairs only the kernel knew (held, orphan streams) */
	unsigned orphans_refused;	/* no room for them (caps): not held */
	unsigned kernel_ignored;	/* not a pool pair's (no NAT, out of range), left to expire */
	unsigned nat_repaired;		/* bare synced pinholes (conntrackd) given their NAT back
					 * from their siblings and re-created (recover_synced.c) */
	int kernel_error;		/* the dump's -errno, 0 if none */
	bool file_found;
	uint64_t usec;			/* how long the recovery took */
};

/*
 * Rebuild dialogs, streams, pinholes and port-pool occupancy at start.
 * Records name the dialogs; the kernel says which pinholes live (a record's
 * pinhole it lacks is not live, re-created by the call's next SDP). Every
 * pair named by either is held. Kernel expectations no record claims become
 * orphans (rtp/orphans.c). rec filled in (usec left to the caller).
 */
void rtp_table_recover(struct rtp_table *t, const struct rtp_record *r, unsigned n,
		       const struct rtp_expect *k, unsigned m, time_t now,
		       struct rtp_recovery *rec);
const struct rtp_config *rtp_table_config(const struct rtp_table *t);
/* The last recovery's figures (zero when none ran). */
const struct rtp_recovery *rtp_table_recovery(const struct rtp_table *t);
struct rtp_recovery *rtp_table_recovery_mut(struct rtp_table *t);
/* Free the table but leave every pinhole in the kernel: a restart finds
 * them (the state file is written just before). */
void rtp_table_free_keep(struct rtp_table *t);

#endif
