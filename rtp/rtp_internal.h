/*
 * rtp_internal.h - the dialog table's data, shared by the files of rtp/.
 *
 * A dialog is one call as seen from one inside phone: keyed by Call-ID, the
 * caller's From-tag and the inside phone's address (a hairpin call between two
 * LAN phones is two dialogs with the same Call-ID and tag). The address only,
 * not the port: over TCP a phone's in-dialog requests may come from another
 * connection.
 * Each SDP m-line index is a stream; a stream has the inside phone's side
 * (its address, the public pair it got, the pinholes) and the far side's
 * media address once an inbound SDP named it.
 */
#ifndef SIPALGD_RTP_INTERNAL_H
#define SIPALGD_RTP_INTERNAL_H

#include "port_pool.h"
#include "rtp.h"

#define RTP_DIR_ORIGINAL 0	/* IP_CT_DIR_ORIGINAL */
#define RTP_DIR_REPLY 1		/* IP_CT_DIR_REPLY */

/*
 * An expectation as a side keeps it: struct rtp_expect without its master,
 * which is always the side's (expect_base) - 44 of its bytes, four times a
 * side. pinhole_expect() makes the full one the kernel ops take.
 */
struct rtp_hole_expect {
	bool src_any_addr, src_any_port, nat;
	uint8_t l4proto;
	uint8_t nat_dir;
	struct sipalg_addr src, dst, nat_to;
	const char *fn;
	unsigned timeout;
	uint32_t class;
};

struct rtp_pinhole {
	bool live;		/* created in the kernel, not yet deleted by us */
	struct rtp_hole_expect e;
};

/* Which of a side's four expectations. */
enum rtp_hole { HOLE_IN_RTP, HOLE_IN_RTCP, HOLE_OUT_RTP, HOLE_OUT_RTCP, HOLE_MAX };

/* The inside phone's stream as its SDP announced it, and what NAT made of it. */
struct rtp_side {
	bool active;
	struct sipalg_addr inside;	/* RTP address:port in the phone's SDP */
	uint16_t inside_rtcp;
	bool rtcp_mux;
	struct sipalg_addr public;	/* the public pair's RTP port */
	uint16_t public_rtcp;
	bool pooled;			/* public.port is held in the pool */
	bool no_nat;			/* public = inside: plain pinholes (rtp_msg.no_nat) */
	struct rtp_master master;	/* every pinhole of a side hangs on one master:
					 * the "sip" expect function pairs siblings
					 * only among one master's expectations */
	int out_dir;			/* conntrack direction of outbound packets */
	uint32_t class;			/* expectation class of all its pinholes */
	struct rtp_pinhole hole[HOLE_MAX];
};

struct rtp_stream {
	struct rtp_side cur;
	/* The side before a re-offer changed the phone's port: kept until the
	 * offer is answered (2xx) or restored when it fails (491, 488...).
	 * Allocated only while such a re-offer is pending. */
	struct rtp_side *prev;
	bool has_far;
	struct sipalg_addr far;		/* far media address:RTP port */
	uint16_t far_rtcp;		/* 0: none (the RTP port was 65535) */
	bool far_mux;
};

/* Which message last carried an SDP one way: a copy of it (same CSeq, method
 * and status, RFC 3261 retransmits for 64*T1 = 32 s) needs no kernel work. */
struct rtp_sdp_key {
	bool valid;
	bool is_request;
	int status_code;
	uint32_t cseq;
	char method[12];		/* methods that carry an SDP fit; a longer one is never "valid" */
	time_t at;
};

#define RTP_RETRANSMIT_WINDOW 32	/* s: 64 * T1 */

/* Per inside host: what its dialogs hold, against the per-host caps. */
struct rtp_host {
	struct rtp_host *next;		/* hash chain */
	struct sipalg_addr ip;		/* port unused */
	unsigned dialogs, pairs;
	struct rtp_dialog *early_head, *early_tail;	/* its early dialogs, oldest first */
};

/* A dialog is one allocation: the struct, cap stream pointers, then the
 * Call-ID and tag strings at their own length. Streams are allocated when an
 * SDP names their index. ~300 B + ~450 B per stream (rtp_dialog_bytes). */
struct rtp_dialog {
	struct rtp_dialog *next;	/* hash chain */
	/* Early (no 2xx yet) dialogs in creation order, globally and per host:
	 * the oldest is evicted to admit a new one at a cap. */
	struct rtp_dialog *early_prev, *early_next;
	struct rtp_dialog *host_prev, *host_next;
	struct rtp_host *host;
	const char *call_id;
	const char *tag;		/* From-tag of the dialog-creating request */
	struct sipalg_addr inside_sig;	/* the phone's signalling address (key: .ip) */
	bool confirmed;			/* a 2xx to INVITE was seen */
	time_t created, last_seen;
	struct rtp_sdp_key last_sdp[2];	/* [0] the phone's own, [1] the far side's */
	unsigned n_streams;		/* highest used index + 1 */
	unsigned cap;			/* stream slots: max_streams at creation */
	size_t bytes;			/* this allocation, for stats.mem_bytes */
	struct rtp_stream *streams[];	/* cap slots, NULL until used */
};

struct rtp_table {
	struct rtp_config cfg;
	const struct rtp_kernel_ops *ops;
	void *ops_arg;
	struct port_pool *pool;
	unsigned n_buckets;		/* power of two */
	struct rtp_dialog **bucket;
	struct rtp_host **host_bucket;	/* n_buckets too */
	struct rtp_dialog *early_head, *early_tail;	/* all early dialogs, oldest first */
	struct rtp_stats stats;
	unsigned next_class;		/* round robin over cfg.expect_classes */
	unsigned n_local;
	struct rtp_local_addr local[RTP_LOCAL_MAX];
	rtp_pinhole_log_fn log_fn;	/* pinhole_log.c */
	void *log_arg;
	char why[192];
	uint64_t changes;		/* rtp_table_changes */
	unsigned n_orphans;		/* orphan dialogs (orphans.c): 0 skips their searches */
	struct rtp_recovery recovery;
};

/* pinhole_log.c: the reason for what follows (formatted only with a log set),
 * and the report of a batch's results. */
void rtp_why(struct rtp_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rtp_log_ops(struct rtp_table *t, const struct rtp_expect_op *ops, unsigned n);

/* Allocation with a byte count (stats.mem_bytes): sized frees. */
void *rtp_zalloc(struct rtp_table *t, size_t n);
void rtp_mfree(struct rtp_table *t, void *p, size_t n);

/* dialog_table.c */
struct rtp_dialog *dialog_find(struct rtp_table *t, const char *call_id,
			       const char *from_tag, const char *to_tag,
			       const struct sipalg_addr *inside_sig);
/* At max_dialogs (or the host's cap) the oldest early dialog is evicted
 * first; NULL and a refusal counted when none can be. */
struct rtp_dialog *dialog_create(struct rtp_table *t, const char *call_id,
				 const char *from_tag,
				 const struct sipalg_addr *inside_sig, time_t now);
/* Removes the dialog's pinholes, returns its ports, frees it. */
void dialog_remove(struct rtp_table *t, struct rtp_dialog *d);
/* A 2xx to the INVITE: the dialog is no longer early (never evicted). */
void dialog_confirm(struct rtp_table *t, struct rtp_dialog *d);
/* Stream idx of d, allocated (zeroed) when create and not there yet; NULL
 * when idx >= d->cap or out of memory. */
struct rtp_stream *dialog_stream(struct rtp_table *t, struct rtp_dialog *d,
				 unsigned idx, bool create);
/* Call fn for every dialog; fn may remove the dialog it is given. */
void dialog_foreach(struct rtp_table *t,
		    void (*fn)(struct rtp_table *, struct rtp_dialog *, void *),
		    void *arg);

/* host_table.c: per-inside-host counts. */
struct rtp_host *host_get(struct rtp_table *t, const struct sipalg_addr *ip);	/* creates */
void host_put_if_idle(struct rtp_table *t, struct rtp_host *h);	/* frees at 0/0 */
/* A public pair is taken / returned for a side of one of d's streams. */
bool host_pair_take(struct rtp_table *t, struct rtp_dialog *d);
void host_pair_return(struct rtp_table *t, struct rtp_dialog *d);

/* far_policy.c */
enum rtp_far_class far_classify(const struct rtp_table *t, const struct sipalg_addr *far,
				const struct sipalg_addr *public_ip);

/* pinholes.c */
/* Bring the side's expectations to what the stream's state asks for.
 * refresh: re-send unchanged ones too (restarts their timeout; re-opens one
 * the far side's media already consumed, so a resumed call gets through). */
void side_sync(struct rtp_table *t, const struct rtp_stream *st,
	       struct rtp_side *s, bool refresh);
/* Delete the side's expectations, keep its pair (its master is to change). */
void side_delete_holes(struct rtp_table *t, struct rtp_side *s);
/* Delete the side's expectations and return its public pair. */
void side_close(struct rtp_table *t, struct rtp_side *s);
void stream_close(struct rtp_table *t, struct rtp_stream *st);
/* What hole h of the side should be in the kernel now; false = nothing. */
bool side_wanted(const struct rtp_table *t, const struct rtp_stream *st,
		 const struct rtp_side *s, enum rtp_hole h, struct rtp_expect *e);
bool master_same(const struct rtp_master *a, const struct rtp_master *b);
/* Same master, tuple, masks and NAT target: the same pinhole. */
bool expect_same(const struct rtp_expect *a, const struct rtp_expect *b);
/* A side's kept pinhole and a full expectation: the same tuple, masks and
 * NAT target (the master is the side's: compare it apart). */
bool hole_same(const struct rtp_hole_expect *h, const struct rtp_expect *e);
/* recover_synced.c: give the bare pinholes a conntrackd failover left
 * (no NAT, no class) their NAT back from their siblings; repaired[i] set for
 * each one changed, partner[j] of a repaired sibling = its stream's inbound
 * pinhole (-1: none). Returns how many. */
unsigned rtp_recover_synced_nat(const struct rtp_config *c, struct rtp_expect *k, unsigned m,
				bool *repaired, long *partner);
/* What a side keeps of expectation e (its master aside). */
void pinhole_keep(struct rtp_hole_expect *h, const struct rtp_expect *e);
/* The full expectation of side s's pinhole h, as the kernel ops take it. */
void pinhole_expect(const struct rtp_side *s, const struct rtp_hole_expect *h,
		    struct rtp_expect *e);

/* orphans.c: pinholes only the kernel knew after a restart, one dialog a
 * public pair with an empty Call-ID (no message has one) and the tag
 * "orphan <port>" (a tag has no space). */
static inline bool dialog_is_orphan(const struct rtp_dialog *d)
{
	return !d->call_id[0];
}
/* A BYE/CANCEL of a dialog the table does not know: that master's orphans go. */
unsigned orphans_flush_master(struct rtp_table *t, const struct rtp_master *m);
/* A new dialog's stream st whose phone announces inside, on master m:
 * takes over the orphan pair of that host leading to inside, if any (true). */
bool orphan_adopt(struct rtp_table *t, struct rtp_dialog *d, struct rtp_stream *st,
		  const struct sipalg_addr *inside, const struct rtp_master *m, int out_dir);

static inline bool addr_eq(const struct sipalg_addr *a, const struct sipalg_addr *b)
{
	return sipalg_addr_same_ip(a, b) && a->port == b->port;
}

#endif
