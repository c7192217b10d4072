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

struct rtp_pinhole {
	bool live;		/* created in the kernel, not yet deleted by us */
	struct rtp_expect e;
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
	 * offer is answered (2xx) or restored when it fails (491, 488...). */
	struct rtp_side prev;
	bool has_far;
	struct sipalg_addr far;		/* far media address:RTP port */
	uint16_t far_rtcp;
	bool far_mux;
};

/* Which message last carried an SDP one way: a copy of it (same CSeq, method
 * and status, RFC 3261 retransmits for 64*T1 = 32 s) needs no kernel work. */
struct rtp_sdp_key {
	bool valid;
	bool is_request;
	int status_code;
	uint32_t cseq;
	char method[32];
	time_t at;
};

#define RTP_RETRANSMIT_WINDOW 32	/* s: 64 * T1 */

struct rtp_dialog {
	struct rtp_dialog *next;	/* hash chain */
	char call_id[256];
	char tag[128];			/* From-tag of the dialog-creating request */
	struct sipalg_addr inside_sig;	/* the phone's signalling address (key: .ip) */
	bool confirmed;			/* a 2xx to INVITE was seen */
	time_t created, last_seen;
	struct rtp_sdp_key last_sdp[2];	/* [0] the phone's own, [1] the far side's */
	unsigned n_streams;		/* highest used index + 1 */
	unsigned cap;			/* streams allocated: max_streams at creation */
	struct rtp_stream streams[];
};

struct rtp_table {
	struct rtp_config cfg;
	const struct rtp_kernel_ops *ops;
	void *ops_arg;
	struct port_pool *pool;
	unsigned n_buckets;		/* power of two */
	struct rtp_dialog **bucket;
	struct rtp_stats stats;
	unsigned next_class;		/* round robin over cfg.expect_classes */
};

/* dialog_table.c */
struct rtp_dialog *dialog_find(struct rtp_table *t, const char *call_id,
			       const char *from_tag, const char *to_tag,
			       const struct sipalg_addr *inside_sig);
/* NULL and dialogs_refused++ when max_dialogs is reached. */
struct rtp_dialog *dialog_create(struct rtp_table *t, const char *call_id,
				 const char *from_tag,
				 const struct sipalg_addr *inside_sig, time_t now);
/* Removes the dialog's pinholes, returns its ports, frees it. */
void dialog_remove(struct rtp_table *t, struct rtp_dialog *d);
/* Call fn for every dialog; fn may remove the dialog it is given. */
void dialog_foreach(struct rtp_table *t,
		    void (*fn)(struct rtp_table *, struct rtp_dialog *, void *),
		    void *arg);

/* pinholes.c */
/* Bring the side's expectations to what the stream's state asks for.
 * refresh: re-send unchanged ones too (restarts their timeout; re-opens one
 * the far side's media already consumed, so a resumed call gets through). */
void side_sync(struct rtp_table *t, const struct rtp_stream *st,
	       struct rtp_side *s, bool refresh);
/* Delete the side's expectations and return its public pair. */
void side_close(struct rtp_table *t, struct rtp_side *s);
void stream_close(struct rtp_table *t, struct rtp_stream *st);
/* Same master, tuple, masks and NAT target: the same pinhole. */
bool expect_same(const struct rtp_expect *a, const struct rtp_expect *b);

static inline bool addr_eq(const struct sipalg_addr *a, const struct sipalg_addr *b)
{
	return a->ip.s_addr == b->ip.s_addr && a->port == b->port;
}

#endif
