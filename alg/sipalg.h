/*
 * sipalg.h - the SIP/SDP rewrite engine: bytes in, plan of edits and facts out.
 *
 * Pure: no sockets, no netfilter, no global state. One call handles one SIP
 * message crossing one NAT binding. The engine never re-serialises: its output
 * is the input with only the changed tokens replaced.
 *
 * Typical use (the daemon, the replay tool, the tests):
 *
 *	struct sipalg_result res;
 *	sipalg_process(msg, len, &ctx, &res);       // plan edits, gather facts
 *	n = sipalg_apply(msg, len, &res, out, cap);  // splice the edits
 *
 * struct sipalg_result is large (fixed arrays, no allocation): keep one per
 * thread, not on a small stack.
 *
 * Threads and libosip2: the engine has no state of its own; several threads
 * may call it at once with their own results. libosip2's parser_init() is
 * run lazily, exactly once per process (pthread_once), on the first call:
 * callers need not (but may) call it themselves.
 *
 * Cost: no allocation of its own except one copy of an SDP body that is
 * about to be rewritten; libosip2 allocates while it parses the values the
 * engine is about to change (and only those: a header that does not even
 * mention the replaced address as text is never parsed; an SDP none of whose
 * o=/c=/a=rtcp: addresses is the replaced one is read by the scanner alone,
 * and one that is goes to libosip2 without the attribute lines never changed).
 *
 * What is rewritten (only addr:port tokens equal to the binding's, absent
 * port = 5060; hostnames and other hosts never). The binding's family picks
 * the literals: an IPv4 binding compares dotted quads (inet_pton's strict
 * form, one spelling per address); an IPv6 binding (NAT66) compares IPv6
 * literals as addresses, whatever their spelling ([2001:DB8::0a] names
 * 2001:db8::a), writes RFC 5952 text, brackets in SIP hosts, none in SDP and
 * received=. A literal of the other family never matches. A binding whose
 * inside and public are the same address (routed IPv6, no NAT) rewrites
 * nothing, not even a spelling, but still reports and maps media.
 *   OUTBOUND inside -> public: Via sent-by, received= (IP), rport= (port, when
 *     that Via names the inside host by sent-by or received=), maddr= (IP);
 *     every Contact; Record-Route/Route entries; From/To only with from_to.
 *     The Request-URI is never rewritten outbound.
 *   INBOUND public -> inside: the same headers plus the Request-URI.
 *   A token without a port gets ":port" only if the new port is not 5060.
 *   SDP: o=, session and media c= (a c=0.0.0.0 hold keeps its address;
 *     outbound, its m= and a=rtcp: ports are still mapped), m= ports and
 *     a=rtcp: (port; address when it names the replaced IP).
 * Anything libosip2 does not accept, among the values about to change, makes
 * the whole message SIPALG_UNPARSABLE: no partial rewrites.
 */
#ifndef SIPALG_H
#define SIPALG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#define SIPALG_MAX_MSG		65535	/* largest message handled */
#define SIPALG_MAX_MEDIA	16	/* SDP m-lines reported/rewritten */
#define SIPALG_MAX_EDITS	256	/* edits planned for one message */
#define SIPALG_DEFAULT_PORT	5060	/* a sent-by or URI without a port */

enum sipalg_transport { SIPALG_UDP, SIPALG_TCP };

/* Which way the message crosses the gateway. */
enum sipalg_dir {
	SIPALG_OUTBOUND,	/* from the inside host towards the outside */
	SIPALG_INBOUND,		/* from the outside towards the inside host */
};

/*
 * An address (network byte order) and port (host byte order). family 0 is
 * AF_INET, so that every IPv4 initialiser ({ .ip = x, .port = p }) stays
 * valid; AF_INET6 uses ip6. Compare with sipalg_addr_same_ip(), never with
 * memcmp: the union's bytes past an IPv4 address are not defined.
 */
struct sipalg_addr {
	union {
		struct in_addr ip;
		struct in6_addr ip6;
	};
	uint16_t port;
	uint8_t family;		/* 0 or AF_INET: ip; AF_INET6: ip6 */
};

static inline bool sipalg_addr_is_v6(const struct sipalg_addr *a)
{
	return a->family == AF_INET6;
}

/* Same family and address (ports aside). Inline: rtp/ and nat/ use the
 * types of this header without linking the engine. */
static inline bool sipalg_addr_same_ip(const struct sipalg_addr *a, const struct sipalg_addr *b)
{
	if (sipalg_addr_is_v6(a) != sipalg_addr_is_v6(b))
		return false;
	if (sipalg_addr_is_v6(a))
		return memcmp(&a->ip6, &b->ip6, sizeof(a->ip6)) == 0;
	return a->ip.s_addr == b->ip.s_addr;
}

/* Copy the address (family and the whole union member), not the port: a
 * plain `.ip = x.ip` keeps an IPv6 address's first four bytes only. */
static inline void sipalg_addr_set_ip(struct sipalg_addr *to, const struct sipalg_addr *from)
{
	to->family = from->family;
	if (sipalg_addr_is_v6(from))
		to->ip6 = from->ip6;
	else
		to->ip = from->ip;
}

/* A hash word of the address (either family) for the tables of rtp/ and nat/. */
static inline uint32_t sipalg_addr_hash(const struct sipalg_addr *a)
{
	uint32_t w[4];

	if (!sipalg_addr_is_v6(a))
		return a->ip.s_addr;
	memcpy(w, &a->ip6, sizeof(w));
	return w[0] ^ (w[1] * 0x9e3779b1u) ^ (w[2] * 0x85ebca6bu) ^ (w[3] * 0xc2b2ae35u);
}

/* The unspecified address of its family (0.0.0.0, ::). */
static inline bool sipalg_addr_is_any(const struct sipalg_addr *a)
{
	if (sipalg_addr_is_v6(a))
		return IN6_IS_ADDR_UNSPECIFIED(&a->ip6);
	return a->ip.s_addr == 0;
}

/*
 * The NAT binding of the signalling flow, as the conntrack tuples give it.
 * inside:  the private host (original source for an outbound flow)
 * public:  what NAT turned inside into (reply destination)
 * remote:  the far end of the signalling flow (proxy, registrar, trunk)
 */
struct sipalg_binding {
	struct sipalg_addr inside;
	struct sipalg_addr public;
	struct sipalg_addr remote;
	/*
	 * A connection's inside host names its own listening port in Via and
	 * Contact (a TCP phone: 5060, while the connection leaves from an
	 * ephemeral port). 0 = none. Outbound, inside.ip:listen_port is
	 * rewritten like inside itself (to public: requests then come back over
	 * the same connection); inbound, public becomes inside.ip:listen_port,
	 * the address the phone named. Over TCP, an outbound message whose
	 * topmost Via names the inside address with another port sets it for
	 * that message by itself (facts.top_via says which: the caller keeps it
	 * for the connection's inbound messages).
	 */
	uint16_t listen_port;
};

/* One switch per rewrite. sipalg_switches_default() gives the shipped values. */
struct sipalg_switches {
	bool enabled;		/* master switch: off = every message unchanged */
	bool request_uri;	/* inbound: Request-URI public -> inside */
	bool via;		/* Via sent-by, received=, rport=, maddr= */
	bool contact;		/* every Contact value */
	bool record_route;	/* Record-Route entries naming the inside host */
	bool route;		/* Route entries naming the inside host */
	bool from_to;		/* From/To URIs - off by default, see README */
	bool sdp_origin;	/* o= */
	bool sdp_connection;	/* session and media c= */
	bool sdp_media_port;	/* m= ports (any media type; 0 stays 0) */
	bool sdp_rtcp;		/* a=rtcp: port and address */
};

void sipalg_switches_default(struct sipalg_switches *sw);

enum sipalg_media_dir {
	SIPALG_SENDRECV, SIPALG_SENDONLY, SIPALG_RECVONLY, SIPALG_INACTIVE,
};

/* One SDP media stream, as found in the message (before any rewrite). */
struct sipalg_media {
	char type[16];			/* "audio", "video", "image", ... */
	char proto[32];			/* "RTP/AVP", "udptl", ... */
	struct sipalg_addr addr;	/* effective c= address, port = RTP port */
	uint16_t rtcp_port;		/* a=rtcp port, else RTP port + 1 */
	bool rtcp_explicit;		/* a=rtcp: present */
	bool rtcp_mux;			/* a=rtcp-mux present */
	bool disabled;			/* m= port 0 */
	bool hold_zero_addr;		/* c=0.0.0.0 (RFC 2543 hold) */
	enum sipalg_media_dir dir;	/* a=sendrecv/sendonly/... (media, else session) */
};

enum sipalg_status {
	SIPALG_OK,		/* parsed; edits (maybe none) planned */
	SIPALG_DISABLED,	/* switches.enabled is off: untouched */
	SIPALG_NOT_SIP,		/* no SIP start line: untouched */
	SIPALG_UNPARSABLE,	/* SIP, but malformed: untouched */
	SIPALG_TRUNCATED,	/* body shorter than Content-Length: untouched */
	SIPALG_TOO_BIG,		/* over SIPALG_MAX_MSG or too many edits: untouched */
};

const char *sipalg_status_str(enum sipalg_status st);

/* Which rewrite an edit belongs to (for counters and replay -v). */
enum sipalg_edit_kind {
	SIPALG_EDIT_REQUEST_URI, SIPALG_EDIT_VIA, SIPALG_EDIT_CONTACT,
	SIPALG_EDIT_RECORD_ROUTE, SIPALG_EDIT_ROUTE, SIPALG_EDIT_FROM_TO,
	SIPALG_EDIT_SDP_ORIGIN, SIPALG_EDIT_SDP_CONNECTION,
	SIPALG_EDIT_SDP_MEDIA_PORT, SIPALG_EDIT_SDP_RTCP,
	SIPALG_EDIT_CONTENT_LENGTH,
	SIPALG_EDIT_KIND_MAX
};

const char *sipalg_edit_kind_str(enum sipalg_edit_kind k);

/* Replace in[off, off+len) by text (NUL-terminated, owned by the result). */
struct sipalg_edit {
	size_t off;
	size_t len;
	char text[64];
	enum sipalg_edit_kind kind;
};

/* Facts the daemon needs, whether or not anything was rewritten. */
struct sipalg_facts {
	bool is_request;
	char method[32];		/* request method, or CSeq method of a response */
	int status_code;		/* responses only */
	uint32_t cseq;
	char call_id[256];
	char from_tag[128];
	char to_tag[128];
	int expires;			/* REGISTER: granted/asked expiry in s, -1 if none */
	bool has_sdp;
	unsigned n_media;
	struct sipalg_media media[SIPALG_MAX_MEDIA];
	struct sipalg_addr sdp_origin;	/* o= address (port 0) */
	struct sipalg_addr top_via;	/* topmost Via sent-by if an IPv4 literal (port
					 * 5060 when absent), else 0.0.0.0 */
};
/* Only media[0 .. n_media-1] are filled: entries past n_media are stale. */

struct sipalg_result {
	enum sipalg_status status;
	const char *reason;		/* static text: why untouched, or NULL */
	struct sipalg_facts facts;
	unsigned n_edits;		/* sorted by offset, non-overlapping; none
					 * writes back the bytes it replaces */
	struct sipalg_edit edits[SIPALG_MAX_EDITS];
	long delta;			/* output length - input length */
};

/*
 * Media mapping, asked for each SDP stream whose address:port the engine is
 * about to rewrite (inside -> public outbound; public -> inside inbound).
 * Fill *out (address and RTP port) and *out_rtcp; return 0, or -1 to leave
 * the stream as it is. The rtp/ pinhole layer implements it; NULL keeps the
 * address change but the ports as they are.
 *
 * Details: called only when switches.sdp_media_port is on, for streams
 * whose effective c= is the replaced address, not 0.0.0.0, with port != 0;
 * *out comes preset to the binding's new address and the stream's port.
 * Outbound, a stream held with c=0.0.0.0 (m->hold_zero_addr, m->addr.ip
 * 0.0.0.0) with port != 0 is asked too: the phone's m= port must not show
 * outside. On 0 only its m= and a=rtcp: ports change (out->ip is not used;
 * c= stays 0.0.0.0); on -1 they stay.
 * msg->media[0 .. msg->n_media-1] are all filled before the first call and
 * m == &msg->media[idx] (original values). On 0: m= gets out->port, a=rtcp:
 * (if present, and sdp_rtcp on) gets *out_rtcp, a media-level c= and an
 * a=rtcp: address get out->ip; the session c= gets the out->ip of the first
 * mapped stream that has no c= of its own (else the binding's address: they
 * differ in a hairpin, where the public media address leads to another
 * inside host); o= always gets the binding's address. On -1: that stream's
 * m= and a=rtcp: port stay; c= still changes.
 */
typedef int (*sipalg_media_map_fn)(void *arg, enum sipalg_dir dir,
				   const struct sipalg_facts *msg, unsigned idx,
				   const struct sipalg_media *m,
				   struct sipalg_addr *out, uint16_t *out_rtcp);

struct sipalg_ctx {
	enum sipalg_transport transport;
	enum sipalg_dir dir;
	struct sipalg_binding binding;
	const struct sipalg_switches *sw;
	sipalg_media_map_fn map_media;
	void *map_arg;
};

/*
 * Parse msg and plan the edits. Always fills res; on any status other than
 * SIPALG_OK there are no edits and the message must pass unchanged.
 * Returns res->status.
 *
 * switches.enabled off: status SIPALG_DISABLED (whatever the parse found),
 * no edits, no media callback; the facts are still gathered (cheap: no
 * libosip2 involved). The body is exactly Content-Length bytes (bytes after
 * it are kept and not parsed); without Content-Length it is the rest of msg.
 */
enum sipalg_status sipalg_process(const uint8_t *msg, size_t len,
				  const struct sipalg_ctx *ctx,
				  struct sipalg_result *res);

/*
 * Splice res's edits into out (capacity cap). Returns the output length, or
 * -1 if it would not fit. With no edits, out is a copy of msg (out == msg is
 * allowed then); with edits, out must not overlap msg.
 */
long sipalg_apply(const uint8_t *msg, size_t len,
		  const struct sipalg_result *res, uint8_t *out, size_t cap);

/*
 * Framing for stream transports: length of the first complete SIP message in
 * buf (headers + Content-Length body), 0 if more bytes are needed, -1 if buf
 * does not start with a SIP message or its Content-Length is missing/invalid.
 * Leading CRLFs (RFC 5626 keep-alives) come back as a unit of their own:
 * their count is returned, and sipalg_process() says SIPALG_NOT_SIP for them.
 */
long sipalg_message_length(const uint8_t *buf, size_t len);

#endif
