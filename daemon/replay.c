/*
 * replay.c - offline replay of a capture through a modelled NAT and the engine.
 *
 * One packet at a time, top to bottom: find IPv4 under the link header,
 * decide the direction from the inside CIDR, look the flow up in the NAT
 * table (masquerade-like, endpoint independent), run the engine on SIP
 * payloads, rebuild the packet with the new addresses, lengths, checksums
 * and (TCP) sequence numbers, write it with the same link type. What it does
 * not model (not IPv4, fragments, other protocols, flows that do not cross
 * the NAT, truncated captures) is written byte for byte, with the reason
 * under -v. Non-SIP packets of flows that cross the NAT get the NAT only.
 */
#include "replay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <pcap/pcap.h>
#include <pcap/sll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "sipalg.h"

/* ---- the NAT table -------------------------------------------------------
 * One mapping per (protocol, inside address, inside port) to a public port,
 * whatever the remote: what Linux masquerade does while ports do not clash.
 * Signalling flows, other flows and SDP media (the pinhole pool) share it, so
 * RTP leaves from exactly the port its SDP announced.
 */

#define NAT_SLOTS	(1u << 18)	/* > 2 x 65536 mappings: never full */
#define NAT_PROTOS	2		/* 0 = UDP, 1 = TCP */

struct nat_slot {
	struct in_addr ip;
	uint16_t port;
	uint16_t pub;
	uint8_t proto;
	bool used;
};

struct nat_owner {
	struct in_addr ip;
	uint16_t port;
	bool used;
};

struct nat {
	struct nat_slot *slots;
	struct nat_owner *owner[NAT_PROTOS];	/* indexed by public port */
};

static int proto_idx(uint8_t proto)
{
	return proto == IPPROTO_TCP;
}

static size_t nat_hash(uint8_t proto, struct in_addr ip, uint16_t port)
{
	uint32_t h = ip.s_addr * 2654435761u;

	h ^= ((uint32_t)port << 8 | proto) * 2246822519u;
	h ^= h >> 15;
	return h & (NAT_SLOTS - 1);
}

static struct nat_slot *nat_find(struct nat *n, uint8_t proto,
				 struct in_addr ip, uint16_t port)
{
	for (size_t i = nat_hash(proto, ip, port);; i = (i + 1) & (NAT_SLOTS - 1)) {
		struct nat_slot *s = &n->slots[i];

		if (!s->used)
			return s;	/* the free slot where it would go */
		if (s->proto == proto && s->port == port && s->ip.s_addr == ip.s_addr)
			return s;
	}
}

static bool nat_pub_free(const struct nat *n, uint8_t proto, unsigned pub)
{
	return pub != 0 && pub <= 65535 && !n->owner[proto_idx(proto)][pub].used;
}

static void nat_add(struct nat *n, uint8_t proto, struct in_addr ip,
		    uint16_t port, uint16_t pub)
{
	struct nat_slot *s = nat_find(n, proto, ip, port);
	struct nat_owner *o = &n->owner[proto_idx(proto)][pub];

	*s = (struct nat_slot){ .ip = ip, .port = port, .pub = pub,
				.proto = proto, .used = true };
	*o = (struct nat_owner){ .ip = ip, .port = port, .used = true };
}

/* Public port of an existing mapping, or -1. */
static int nat_lookup(struct nat *n, uint8_t proto, struct in_addr ip, uint16_t port)
{
	struct nat_slot *s = nat_find(n, proto, ip, port);

	return s->used ? s->pub : -1;
}

static const struct nat_owner *nat_reverse(const struct nat *n, uint8_t proto,
					   uint16_t pub)
{
	const struct nat_owner *o = &n->owner[proto_idx(proto)][pub];

	return o->used ? o : NULL;
}

/*
 * The mapping for a flow leaving the inside: the existing one, else the
 * inside port when free, else the next free port above it (1024..65535,
 * wrapping), as masquerade does on a clash. -1 when every port is taken.
 */
static int nat_outbound(struct nat *n, uint8_t proto, struct in_addr ip,
			uint16_t port, bool *created)
{
	int pub = nat_lookup(n, proto, ip, port);
	unsigned p = port;

	*created = false;
	if (pub >= 0)
		return pub;
	for (unsigned tries = 0; tries < 65536; tries++) {
		if (nat_pub_free(n, proto, p)) {
			nat_add(n, proto, ip, port, (uint16_t)p);
			*created = true;
			return (int)p;
		}
		p = p >= 65535 ? 1024 : (p < 1024 ? 1024 : p + 1);
	}
	return -1;
}

static int nat_init(struct nat *n)
{
	memset(n, 0, sizeof(*n));
	n->slots = calloc(NAT_SLOTS, sizeof(*n->slots));
	for (int i = 0; i < NAT_PROTOS; i++)
		n->owner[i] = calloc(65536, sizeof(*n->owner[i]));
	if (!n->slots || !n->owner[0] || !n->owner[1])
		return -1;
	return 0;
}

static void nat_free(struct nat *n)
{
	free(n->slots);
	for (int i = 0; i < NAT_PROTOS; i++)
		free(n->owner[i]);
}

/* ---- SIP over TCP ----------------------------------------------------------
 * Each direction of a TCP flow is reassembled into SIP messages. A message is
 * complete only at its last segment, but its first bytes left earlier: so
 * the replay runs twice. Pass 1 records, per direction, every message that
 * got edits (its stream offsets and the edits); pass 2, with the same state
 * evolution, writes each segment's bytes through those plans. An edit's new
 * text goes out in the segment where the edited token starts. Later
 * sequence numbers of that direction move by what was added before them;
 * acknowledgements need no change (the gateway maps them back before they
 * reach the sender, as nf_nat_seq_adjust does). SACK blocks are not adjusted.
 */

#define TCP_FLOWS	4096

struct tcp_plan {
	uint32_t start, len;		/* the original message, stream offsets */
	unsigned n_edits;
	struct sipalg_edit *edits;	/* off relative to start, sorted */
};

struct tcp_dir {
	bool isn_known;
	bool broken;			/* gap or not SIP: no more rewriting */
	uint32_t isn;			/* sequence number of stream offset 0 */
	uint32_t next;			/* stream offset expected next */
	uint8_t *buf;			/* the incomplete message, SIPALG_MAX_MSG */
	size_t buflen;
	uint32_t buf_start;
	struct tcp_plan *plans;		/* in stream order; kept for pass 2 */
	unsigned n_plans, cap_plans;
};

struct tcp_flow {
	struct sipalg_addr inside, remote;
	bool used;
	struct tcp_dir dir[2];		/* [SIPALG_OUTBOUND], [SIPALG_INBOUND] */
};

static bool same_addr(const struct sipalg_addr *a, const struct sipalg_addr *b)
{
	return a->ip.s_addr == b->ip.s_addr && a->port == b->port;
}

/* The flow's slot (existing or new), or NULL when the table is full. */
static struct tcp_flow *tcp_flow_get(struct tcp_flow *t, const struct sipalg_binding *b)
{
	size_t h = nat_hash(IPPROTO_TCP, b->inside.ip, b->inside.port) ^
		   nat_hash(IPPROTO_TCP, b->remote.ip, b->remote.port);

	for (size_t k = 0; k < TCP_FLOWS; k++) {
		struct tcp_flow *f = &t[(h + k) % TCP_FLOWS];

		if (!f->used) {
			f->used = true;
			f->inside = b->inside;
			f->remote = b->remote;
			return f;
		}
		if (same_addr(&f->inside, &b->inside) && same_addr(&f->remote, &b->remote))
			return f;
	}
	return NULL;
}

/* Between the passes: forget the streams, keep the plans. */
static void tcp_rewind(struct tcp_flow *t)
{
	for (size_t i = 0; i < TCP_FLOWS; i++) {
		for (int d = 0; d < 2 && t[i].used; d++) {
			struct tcp_dir *td = &t[i].dir[d];

			td->isn_known = td->broken = false;
			td->next = td->buf_start = 0;
			td->buflen = 0;
		}
		t[i].used = false;
	}
}

static void tcp_free(struct tcp_flow *t)
{
	for (size_t i = 0; t && i < TCP_FLOWS; i++) {
		for (int d = 0; d < 2; d++) {
			struct tcp_dir *td = &t[i].dir[d];

			for (unsigned k = 0; k < td->n_plans; k++)
				free(td->plans[k].edits);
			free(td->plans);
			free(td->buf);
		}
	}
	free(t);
}

static int tcp_add_plan(struct tcp_dir *d, uint32_t start, uint32_t len,
			const struct sipalg_result *res)
{
	struct tcp_plan *p;

	if (d->n_plans == d->cap_plans) {
		unsigned cap = d->cap_plans ? 2 * d->cap_plans : 8;
		struct tcp_plan *bigger = realloc(d->plans, cap * sizeof(*bigger));

		if (!bigger)
			return -1;
		d->plans = bigger;
		d->cap_plans = cap;
	}
	p = &d->plans[d->n_plans];
	p->edits = malloc(res->n_edits * sizeof(*p->edits));
	if (!p->edits)
		return -1;
	memcpy(p->edits, res->edits, res->n_edits * sizeof(*p->edits));
	p->start = start;
	p->len = len;
	p->n_edits = res->n_edits;
	d->n_plans++;
	return 0;
}

/* Output bytes for the original stream bytes [0, a): where a segment starts. */
static uint32_t tcp_emitted_before(const struct tcp_dir *d, uint32_t a)
{
	int64_t n = a;

	for (unsigned k = 0; k < d->n_plans && d->plans[k].start < a; k++) {
		const struct tcp_plan *p = &d->plans[k];

		for (unsigned i = 0; i < p->n_edits; i++) {
			uint32_t s = p->start + (uint32_t)p->edits[i].off;
			size_t cut;

			if (s >= a)
				break;
			cut = p->edits[i].len < a - s ? p->edits[i].len : a - s;
			n += (int64_t)strlen(p->edits[i].text) - (int64_t)cut;
		}
	}
	return (uint32_t)n;
}

/* The segment's new payload: its original bytes [a, a+len) through the plans. */
static size_t tcp_emit(const struct tcp_dir *d, uint32_t a, const uint8_t *orig,
		       size_t len, uint8_t *out, size_t cap)
{
	uint32_t b = a + (uint32_t)len, pos = a;
	size_t n = 0;

	for (unsigned k = 0; k < d->n_plans && d->plans[k].start < b; k++) {
		const struct tcp_plan *p = &d->plans[k];

		if (p->start + p->len <= a)
			continue;
		for (unsigned i = 0; i < p->n_edits; i++) {
			const struct sipalg_edit *e = &p->edits[i];
			uint32_t s = p->start + (uint32_t)e->off, end = s + (uint32_t)e->len;
			size_t tl = strlen(e->text);

			if (s >= b)
				break;
			if (s < a) {	/* began in an earlier segment: its rest is gone */
				if (end > pos)
					pos = end < b ? end : b;
				continue;
			}
			if (n + (s - pos) + tl > cap)
				return (size_t)-1;
			memcpy(out + n, orig + (pos - a), s - pos);
			n += s - pos;
			memcpy(out + n, e->text, tl);
			n += tl;
			pos = end < b ? end : b;
		}
	}
	if (n + (b - pos) > cap)
		return (size_t)-1;
	memcpy(out + n, orig + (pos - a), b - pos);
	return n + (b - pos);
}

/* ---- the -v line ---------------------------------------------------------- */

struct vline {
	char s[8192];
	size_t n;
};

static void vadd(struct vline *v, const char *fmt, ...) SIPALGD_PRINTF(2, 3);

static void vadd(struct vline *v, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (v->n >= sizeof(v->s) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(v->s + v->n, sizeof(v->s) - v->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		v->n += (size_t)k < sizeof(v->s) - v->n ? (size_t)k : sizeof(v->s) - 1 - v->n;
}

/* Bytes as printable text: a capture may hold anything. */
static void vadd_text(struct vline *v, const uint8_t *p, size_t len)
{
	char buf[96];
	size_t i, n = len < sizeof(buf) - 4 ? len : sizeof(buf) - 4;

	for (i = 0; i < n; i++)
		buf[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	vadd(v, "'%s'", buf);
}

static const char *ipstr(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ---- checksums ------------------------------------------------------------ */

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Transport checksum over the IPv4 pseudo header and l4 (checksum field as is). */
static uint16_t l4_checksum(const struct ip *ip, uint8_t proto, const uint8_t *l4, size_t len)
{
	uint32_t sum = 0;

	sum = sum16(sum, (const uint8_t *)&ip->ip_src, 4);
	sum = sum16(sum, (const uint8_t *)&ip->ip_dst, 4);
	sum += proto;
	sum += (uint32_t)len;
	return fold(sum16(sum, l4, len));
}

/* ---- link layers ----------------------------------------------------------- */

/* Offset of the IPv4 header, or -1 with why set. */
static long ipv4_offset(int dlt, const uint8_t *p, size_t caplen, const char **why)
{
	size_t off;
	unsigned type;

	switch (dlt) {
	case DLT_EN10MB:
		off = 12;
		for (;;) {
			if (caplen < off + 2)
				goto short_frame;
			type = (unsigned)p[off] << 8 | p[off + 1];
			if (type != 0x8100 && type != 0x88a8)
				break;
			off += 4;	/* VLAN tag */
		}
		off += 2;
		break;
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			goto short_frame;
		type = (unsigned)p[14] << 8 | p[15];
		off = SLL_HDR_LEN;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			goto short_frame;
		type = (unsigned)p[0] << 8 | p[1];
		off = SLL2_HDR_LEN;
		break;
	case DLT_RAW:
	case DLT_IPV4:
		if (caplen < 1)
			goto short_frame;
		type = (p[0] >> 4) == 4 ? 0x0800 : 0;
		off = 0;
		break;
	case DLT_NULL:
		/* Address family in the capturing host's byte order. */
		if (caplen < 4)
			goto short_frame;
		type = (p[0] == AF_INET && !p[1] && !p[2] && !p[3]) ||
		       (p[3] == AF_INET && !p[0] && !p[1] && !p[2]) ? 0x0800 : 0;
		off = 4;
		break;
	default:
		*why = "link type not modelled: copied";
		return -1;
	}
	if (type != 0x0800) {
		*why = "not IPv4: copied";
		return -1;
	}
	return (long)off;
short_frame:
	*why = "short link-layer frame: copied";
	return -1;
}

static bool dlt_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_NULL;
}

/* ---- the replay ------------------------------------------------------------ */

struct replay {
	const struct replay_opts *o;
	const struct sipalgd_config *cfg;
	struct nat nat;
	struct vline v;			/* -v: addresses, or why copied */
	struct vline notes;		/* -v: NAT and SIP details */
	struct vline media;		/* -v: pinhole notes of this message */
	struct sipalg_result res;
	uint8_t sip_out[SIPALG_MAX_MSG];
	uint16_t pool_min, pool_max;	/* media ports, inclusive */
	struct tcp_flow *tcp;		/* TCP_FLOWS entries */
	int pass;			/* 1: plan TCP messages, 2: write */
	uint8_t *obuf;			/* the packet being rebuilt */
	size_t obuf_size;
	const char *dirstr;		/* -v: "out", "in" or "--" */
	bool sip_seen;			/* the engine found a SIP message */
};

static bool inside(const struct replay *r, struct in_addr a)
{
	return (a.s_addr & r->o->inside_mask.s_addr) == r->o->inside_net.s_addr;
}

/* A free even public port p with p + 1 free too, in the media pool. */
static int pool_alloc_pair(struct replay *r, uint16_t want)
{
	struct nat *n = &r->nat;
	unsigned lo = r->pool_min, hi = r->pool_max;

	if (want >= lo && want < hi && !(want & 1) &&
	    nat_pub_free(n, IPPROTO_UDP, want) && nat_pub_free(n, IPPROTO_UDP, want + 1u))
		return want;
	for (unsigned p = lo + (lo & 1); p < hi; p += 2)
		if (nat_pub_free(n, IPPROTO_UDP, p) && nat_pub_free(n, IPPROTO_UDP, p + 1))
			return (int)p;
	return -1;
}

static int pool_alloc_one(struct replay *r, unsigned want)
{
	if (want >= r->pool_min && want <= r->pool_max &&
	    nat_pub_free(&r->nat, IPPROTO_UDP, want))
		return (int)want;
	for (unsigned p = r->pool_min; p <= r->pool_max; p++)
		if (nat_pub_free(&r->nat, IPPROTO_UDP, p))
			return (int)p;
	return -1;
}

/*
 * The engine's media mapping, modelling the pinhole pool: outbound, the inside
 * address:port gets a public port (the existing NAT mapping when the stream
 * already flowed, else the inside port when free in the pool, else a free
 * even port) and RTCP the odd one above; inbound, the public port maps back.
 */
static int replay_map_media(void *arg, enum sipalg_dir dir,
			    const struct sipalg_facts *msg, unsigned idx,
			    const struct sipalg_media *m,
			    struct sipalg_addr *out, uint16_t *out_rtcp)
{
	struct replay *r = arg;
	char a[INET_ADDRSTRLEN];
	int pub, rtcp;

	(void)msg;
	if (dir == SIPALG_INBOUND) {
		const struct nat_owner *o = nat_reverse(&r->nat, IPPROTO_UDP, m->addr.port);
		const struct nat_owner *oc;

		if (!o) {
			vadd(&r->media, " [media %u: public port %u has no mapping: stream left]",
			     idx, m->addr.port);
			return -1;
		}
		out->ip = o->ip;
		out->port = o->port;
		oc = nat_reverse(&r->nat, IPPROTO_UDP, m->rtcp_port);
		*out_rtcp = m->rtcp_mux ? o->port
			  : oc && oc->ip.s_addr == o->ip.s_addr ? oc->port
			  : (uint16_t)(o->port + 1);
		return 0;
	}

	pub = nat_lookup(&r->nat, IPPROTO_UDP, m->addr.ip, m->addr.port);
	if (pub < 0) {
		pub = pool_alloc_pair(r, m->addr.port);
		if (pub < 0) {
			vadd(&r->media, " [media %u: port pool %u-%u exhausted: stream left]",
			     idx, r->pool_min, r->pool_max);
			return -1;
		}
		nat_add(&r->nat, IPPROTO_UDP, m->addr.ip, m->addr.port, (uint16_t)pub);
		vadd(&r->media, " [media %u: pinhole %s:%u -> public %u]", idx,
		     ipstr(m->addr.ip, a), m->addr.port, pub);
	}
	rtcp = pub;
	if (!m->rtcp_mux) {
		rtcp = nat_lookup(&r->nat, IPPROTO_UDP, m->addr.ip, m->rtcp_port);
		if (rtcp < 0) {
			rtcp = pool_alloc_one(r, (unsigned)pub + 1);
			if (rtcp < 0)
				rtcp = pub + 1;	/* no room: announce the usual pair */
			else
				nat_add(&r->nat, IPPROTO_UDP, m->addr.ip, m->rtcp_port,
					(uint16_t)rtcp);
		}
	}
	out->ip = r->o->public_ip;
	out->port = (uint16_t)pub;
	*out_rtcp = (uint16_t)rtcp;
	return 0;
}

static void verbose_edits(struct replay *r, const uint8_t *msg)
{
	const struct sipalg_result *res = &r->res;

	for (unsigned i = 0; i < res->n_edits; i++) {
		const struct sipalg_edit *e = &res->edits[i];

		vadd(&r->notes, "%s %s ", i ? "," : "", sipalg_edit_kind_str(e->kind));
		vadd_text(&r->notes, msg + e->off, e->len);
		vadd(&r->notes, " -> ");
		vadd_text(&r->notes, (const uint8_t *)e->text, strlen(e->text));
	}
}

/* Rewrites left alone by configuration, so -v readers do not wonder. */
static void verbose_switched_off(struct replay *r)
{
	const struct sipalg_switches *sw = &r->cfg->sw;
	const struct {
		bool on;
		enum sipalg_edit_kind kind;
	} kinds[] = {
		{ sw->request_uri, SIPALG_EDIT_REQUEST_URI },
		{ sw->via, SIPALG_EDIT_VIA },
		{ sw->contact, SIPALG_EDIT_CONTACT },
		{ sw->record_route, SIPALG_EDIT_RECORD_ROUTE },
		{ sw->route, SIPALG_EDIT_ROUTE },
		{ sw->from_to, SIPALG_EDIT_FROM_TO },
		{ sw->sdp_origin, SIPALG_EDIT_SDP_ORIGIN },
		{ sw->sdp_connection, SIPALG_EDIT_SDP_CONNECTION },
		{ sw->sdp_media_port, SIPALG_EDIT_SDP_MEDIA_PORT },
		{ sw->sdp_rtcp, SIPALG_EDIT_SDP_RTCP },
	};
	bool first = true;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].on)
			continue;
		vadd(&r->notes, "%s%s", first ? " (switched off: " : ", ",
		     sipalg_edit_kind_str(kinds[i].kind));
		first = false;
	}
	if (!first)
		vadd(&r->notes, ")");
}

enum outcome { COPIED, NAT_ONLY, SIP_REWRITTEN, SIP_UNCHANGED };

/*
 * Run the engine on one SIP message and say under -v what it planned or why
 * nothing. True when r->res holds edits to apply.
 */
static bool plan_sip(struct replay *r, const uint8_t *msg, size_t len, bool tcp,
		     enum sipalg_dir dir, const struct sipalg_binding *b)
{
	struct sipalg_ctx ctx = {
		.transport = tcp ? SIPALG_TCP : SIPALG_UDP,
		.dir = dir,
		.binding = *b,
		.sw = &r->cfg->sw,
		.map_media = replay_map_media,
		.map_arg = r,
	};
	struct sipalg_result *res = &r->res;

	r->media.n = 0;
	r->media.s[0] = '\0';
	sipalg_process(msg, len, &ctx, res);
	if (res->status != SIPALG_NOT_SIP)
		r->sip_seen = true;
	if (res->status != SIPALG_OK) {
		vadd(&r->notes, " | SIP %s: %s", sipalg_status_str(res->status),
		     res->reason ? res->reason : "left alone");
		return false;
	}
	if (res->facts.is_request)
		vadd(&r->notes, " | SIP %s", res->facts.method);
	else
		vadd(&r->notes, " | SIP %d (%s)", res->facts.status_code, res->facts.method);
	if (res->n_edits == 0) {
		vadd(&r->notes, ": nothing to rewrite%s", r->media.s);
		verbose_switched_off(r);
		return false;
	}
	vadd(&r->notes, ":");
	verbose_edits(r, msg);
	vadd(&r->notes, "%s", r->media.s);
	verbose_switched_off(r);
	return true;
}

/* A UDP datagram's SIP payload: the new length (plen when left as is). */
static size_t rewrite_udp_sip(struct replay *r, const uint8_t *payload, size_t plen,
			      enum sipalg_dir dir, const struct sipalg_binding *b,
			      size_t room, const uint8_t **newp)
{
	long n;

	*newp = payload;
	if (!plan_sip(r, payload, plen, false, dir, b))
		return plen;
	if ((long)plen + r->res.delta > (long)room) {
		vadd(&r->notes, " [rewritten packet would exceed 65535 bytes: payload left]");
		return plen;
	}
	n = sipalg_apply(payload, plen, &r->res, r->sip_out, sizeof(r->sip_out));
	if (n < 0) {
		vadd(&r->notes, " [rewrite does not fit: payload left]");
		return plen;
	}
	*newp = r->sip_out;
	return (size_t)n;
}

/* Append a segment's new bytes to the direction's message buffer. */
static bool tcp_append(struct replay *r, struct tcp_dir *d, const uint8_t *p, size_t n)
{
	if (!d->buf && !(d->buf = malloc(SIPALG_MAX_MSG)))
		return false;
	if (d->buflen + n > SIPALG_MAX_MSG) {
		vadd(&r->notes, " | TCP: SIP message over %d bytes: stream no longer rewritten",
		     SIPALG_MAX_MSG);
		return false;
	}
	memcpy(d->buf + d->buflen, p, n);
	d->buflen += n;
	return true;
}

/* Run the engine on every message the buffer now holds whole. */
static void tcp_messages(struct replay *r, struct tcp_dir *d, enum sipalg_dir dir,
			 const struct sipalg_binding *b)
{
	for (;;) {
		size_t skip = 0;
		long len;

		/* CRLF keepalives (RFC 5626) between messages pass as they are. */
		while (skip < d->buflen && (d->buf[skip] == '\r' || d->buf[skip] == '\n'))
			skip++;
		memmove(d->buf, d->buf + skip, d->buflen - skip);
		d->buflen -= skip;
		d->buf_start += (uint32_t)skip;
		if (d->buflen == 0)
			return;
		len = sipalg_message_length(d->buf, d->buflen);
		if (len == 0)
			return;	/* more to come */
		if (len < 0) {
			vadd(&r->notes, " | TCP stream is not SIP framed (no Content-Length?): "
			     "no longer rewritten");
			d->broken = true;
			return;
		}
		if (plan_sip(r, d->buf, (size_t)len, true, dir, b) && r->pass == 1 &&
		    tcp_add_plan(d, d->buf_start, (uint32_t)len, &r->res) < 0)
			vadd(&r->notes, " [out of memory: message left]");
		memmove(d->buf, d->buf + len, d->buflen - (size_t)len);
		d->buflen -= (size_t)len;
		d->buf_start += (uint32_t)len;
	}
}

/*
 * One TCP segment of a helped flow: reassemble (sip: on a SIP port), write
 * its payload through the plans into out and its sequence number to
 * *seq_out. Returns the new payload length.
 */
static size_t tcp_segment(struct replay *r, struct tcp_flow *f, enum sipalg_dir dir,
			  const struct sipalg_binding *b, bool sip, uint8_t flags,
			  uint32_t seq, const uint8_t *payload, size_t plen,
			  uint8_t *out, size_t cap, uint32_t *seq_out)
{
	struct tcp_dir *d = &f->dir[dir];
	uint32_t a;
	size_t n;

	*seq_out = seq;
	if (flags & TH_SYN) {
		d->isn = seq + 1;
		d->isn_known = true;
		d->next = 0;
	} else if (!d->isn_known) {
		d->isn = seq;	/* the capture began mid-connection */
		d->isn_known = true;
		d->next = 0;
	}
	a = seq - d->isn;
	if ((int32_t)a < 0 || (flags & TH_SYN)) {
		memcpy(out, payload, plen);
		return plen;
	}
	*seq_out = d->isn + tcp_emitted_before(d, a);
	if (sip && plen > 0 && !d->broken) {
		uint32_t end = a + (uint32_t)plen;

		if ((int32_t)(a - d->next) > 0) {
			vadd(&r->notes, " | TCP gap (capture loss?): stream no longer rewritten");
			d->broken = true;
		} else if ((int32_t)(end - d->next) > 0) {	/* new bytes (maybe after a resent part) */
			if (!tcp_append(r, d, payload + (d->next - a), end - d->next))
				d->broken = true;
			d->next = end;
			if (!d->broken)
				tcp_messages(r, d, dir, b);
		}
	}
	n = tcp_emit(d, a, payload, plen, out, cap);
	if (n == (size_t)-1) {
		vadd(&r->notes, " [rewritten segment would not fit: payload left]");
		memcpy(out, payload, plen);
		return plen;
	}
	return n;
}

/*
 * One packet: in (hdr, data) -> out (ohdr, obuf). Returns what was done.
 */
static enum outcome replay_packet(struct replay *r, int dlt,
				  const struct pcap_pkthdr *hdr, const uint8_t *data,
				  struct pcap_pkthdr *ohdr, uint8_t *obuf)
{
	char a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN];
	const char *why = NULL;
	size_t caplen = hdr->caplen;
	long l3;

	*ohdr = *hdr;
	memcpy(obuf, data, caplen);
	if (hdr->caplen < hdr->len) {
		vadd(&r->v, " truncated capture (%u of %u bytes): copied", hdr->caplen, hdr->len);
		return COPIED;
	}
	l3 = ipv4_offset(dlt, data, caplen, &why);
	if (l3 < 0) {
		vadd(&r->v, " %s", why);
		return COPIED;
	}

	const uint8_t *ipb = data + l3;
	size_t avail = caplen - (size_t)l3;
	struct ip iph;

	if (avail < sizeof(iph)) {
		vadd(&r->v, " short IPv4 header: copied");
		return COPIED;
	}
	memcpy(&iph, ipb, sizeof(iph));
	size_t ihl = (size_t)iph.ip_hl * 4, tot = ntohs(iph.ip_len);
	if (iph.ip_v != 4 || ihl < 20 || tot < ihl || tot > avail) {
		vadd(&r->v, " malformed IPv4 header: copied");
		return COPIED;
	}
	if (ntohs(iph.ip_off) & (IP_MF | IP_OFFMASK)) {
		vadd(&r->v, " IP fragment: copied unchanged");
		return COPIED;
	}
	uint8_t proto = iph.ip_p;
	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP) {
		vadd(&r->v, " IP protocol %u: copied", proto);
		return COPIED;
	}

	const uint8_t *l4 = ipb + ihl;
	size_t l4len = tot - ihl, l4hdr;
	uint16_t sport, dport;
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;
		if (l4len < sizeof(uh)) {
			vadd(&r->v, " short UDP header: copied");
			return COPIED;
		}
		memcpy(&uh, l4, sizeof(uh));
		if (ntohs(uh.uh_ulen) != l4len) {
			vadd(&r->v, " UDP length %u disagrees with IP (%zu): copied",
			     ntohs(uh.uh_ulen), l4len);
			return COPIED;
		}
		l4hdr = sizeof(uh);
		sport = ntohs(uh.uh_sport);
		dport = ntohs(uh.uh_dport);
	} else {
		struct tcphdr th;
		if (l4len < sizeof(th)) {
			vadd(&r->v, " short TCP header: copied");
			return COPIED;
		}
		memcpy(&th, l4, sizeof(th));
		l4hdr = (size_t)th.th_off * 4;
		if (l4hdr < sizeof(th) || l4hdr > l4len) {
			vadd(&r->v, " malformed TCP header: copied");
			return COPIED;
		}
		sport = ntohs(th.th_sport);
		dport = ntohs(th.th_dport);
	}
	vadd(&r->v, " %s %s:%u > %s:%u", proto == IPPROTO_UDP ? "udp" : "tcp",
	     ipstr(iph.ip_src, a1), sport, ipstr(iph.ip_dst, a2), dport);

	/* Which way does it cross the NAT, and under which binding? */
	struct sipalg_binding b;
	enum sipalg_dir dir;
	bool src_in = inside(r, iph.ip_src), dst_in = inside(r, iph.ip_dst);
	bool created = false;
	int pub;

	if (src_in && dst_in) {
		vadd(&r->v, " inside to inside, does not cross the NAT: copied");
		return COPIED;
	}
	if (src_in) {
		dir = SIPALG_OUTBOUND;
		b.inside = (struct sipalg_addr){ iph.ip_src, sport };
		b.remote = (struct sipalg_addr){ iph.ip_dst, dport };
		pub = nat_outbound(&r->nat, proto, iph.ip_src, sport, &created);
		if (pub < 0) {
			vadd(&r->v, " no public port left: copied");
			return COPIED;
		}
		if (created && pub != sport)
			vadd(&r->notes, " [port %u taken: NAT to %u]", sport, pub);
	} else if (dst_in) {
		dir = SIPALG_INBOUND;
		b.inside = (struct sipalg_addr){ iph.ip_dst, dport };
		b.remote = (struct sipalg_addr){ iph.ip_src, sport };
		pub = nat_outbound(&r->nat, proto, iph.ip_dst, dport, &created);
		if (pub < 0) {
			vadd(&r->v, " no public port left: copied");
			return COPIED;
		}
		if (created)
			vadd(&r->notes, " [no earlier outbound flow: mapped as a port forward, public %u]", pub);
	} else if (iph.ip_dst.s_addr == r->o->public_ip.s_addr) {
		const struct nat_owner *o = nat_reverse(&r->nat, proto, dport);

		if (!o) {
			vadd(&r->v, " to the public address, port %u: no NAT mapping: copied", dport);
			return COPIED;
		}
		dir = SIPALG_INBOUND;
		b.inside = (struct sipalg_addr){ o->ip, o->port };
		b.remote = (struct sipalg_addr){ iph.ip_src, sport };
		pub = dport;
	} else {
		vadd(&r->v, " neither side inside: copied");
		return COPIED;
	}
	b.public = (struct sipalg_addr){ r->o->public_ip, (uint16_t)pub };
	r->dirstr = dir == SIPALG_OUTBOUND ? "out" : "in";

	/* SIP payload, when the flow is on a SIP port and its transport is helped. */
	const uint8_t *payload = l4 + l4hdr, *newp = payload;
	size_t plen = l4len - l4hdr, nlen = plen;
	bool helped = proto == IPPROTO_UDP ? r->cfg->udp : r->cfg->tcp;
	bool sip_port = config_is_sip_port(r->cfg, b.inside.port) ||
			config_is_sip_port(r->cfg, b.remote.port);
	size_t room = 65535 - ihl - l4hdr;
	struct tcp_flow *flow = NULL;
	uint32_t seq_out = 0;

	if (sip_port && !helped && plen > 0)
		vadd(&r->notes, " | %s not helped (config): payload left",
		     proto == IPPROTO_UDP ? "UDP" : "TCP");
	if (proto == IPPROTO_UDP && sip_port && helped && plen > 0) {
		nlen = rewrite_udp_sip(r, payload, plen, dir, &b, room, &newp);
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr th;

		memcpy(&th, l4, sizeof(th));
		seq_out = ntohl(th.th_seq);
		flow = tcp_flow_get(r->tcp, &b);
		if (flow) {
			nlen = tcp_segment(r, flow, dir, &b, sip_port && helped, th.th_flags,
					   ntohl(th.th_seq), payload, plen, r->sip_out,
					   room < sizeof(r->sip_out) ? room : sizeof(r->sip_out),
					   &seq_out);
			newp = r->sip_out;
		}
	}
	bool sip = r->sip_seen;
	bool payload_changed = nlen != plen || memcmp(newp, payload, plen) != 0;

	/* Rebuild: link header, IP header, l4 header, payload, any trailer. */
	size_t trailer = avail - tot;
	long delta = (long)nlen - (long)plen;
	uint8_t *oip = obuf + l3, *ol4 = oip + ihl;
	struct ip oiph = iph;

	memcpy(ol4 + l4hdr, newp, nlen);
	memcpy(ol4 + l4hdr + nlen, ipb + tot, trailer);
	if (dir == SIPALG_OUTBOUND) {
		oiph.ip_src = r->o->public_ip;
		sport = (uint16_t)pub;
	} else {
		oiph.ip_dst = b.inside.ip;
		dport = b.inside.port;
	}
	oiph.ip_len = htons((uint16_t)(tot + delta));
	oiph.ip_sum = 0;
	memcpy(oip, &oiph, sizeof(oiph));
	oiph.ip_sum = htons(fold(sum16(0, oip, ihl)));
	memcpy(oip, &oiph, sizeof(oiph));

	uint16_t p16;
	size_t ol4len = l4len + (size_t)delta;
	if (proto == IPPROTO_UDP) {
		struct udphdr uh;
		memcpy(&uh, ol4, sizeof(uh));
		bool had_sum = uh.uh_sum != 0;
		bool sum_ok = !had_sum || l4_checksum(&iph, proto, l4, l4len) == 0;
		uh.uh_sport = htons(sport);
		uh.uh_dport = htons(dport);
		uh.uh_ulen = htons((uint16_t)ol4len);
		uh.uh_sum = 0;
		memcpy(ol4, &uh, sizeof(uh));
		if (had_sum) {	/* 0 = "no checksum" in UDP/IPv4: keep it so */
			p16 = l4_checksum(&oiph, proto, ol4, ol4len);
			uh.uh_sum = htons(p16 ? p16 : 0xffff);
			memcpy(ol4, &uh, sizeof(uh));
		}
		if (!sum_ok)
			vadd(&r->notes, " [input UDP checksum was wrong (offload?): recomputed]");
	} else {
		struct tcphdr th;
		memcpy(&th, ol4, sizeof(th));
		bool sum_ok = l4_checksum(&iph, proto, l4, l4len) == 0;
		th.th_sport = htons(sport);
		th.th_dport = htons(dport);
		if (seq_out != ntohl(th.th_seq))
			vadd(&r->notes, " [seq %+d]", (int32_t)(seq_out - ntohl(th.th_seq)));
		if (delta)
			vadd(&r->notes, " [segment %+ld bytes]", delta);
		th.th_seq = htonl(seq_out);
		th.th_sum = 0;
		memcpy(ol4, &th, sizeof(th));
		th.th_sum = htons(l4_checksum(&oiph, proto, ol4, ol4len));
		memcpy(ol4, &th, sizeof(th));
		if (!sum_ok)
			vadd(&r->notes, " [input TCP checksum was wrong (offload?): recomputed]");
	}
	ohdr->caplen = (uint32_t)((long)caplen + delta);
	ohdr->len = (uint32_t)((long)hdr->len + delta);

	vadd(&r->v, " => %s:%u > %s:%u", ipstr(oiph.ip_src, a1), sport,
	     ipstr(oiph.ip_dst, a2), dport);
	if (ohdr->caplen == caplen && memcmp(obuf, data, caplen) == 0)
		return sip ? SIP_UNCHANGED : COPIED;
	if (payload_changed)
		return SIP_REWRITTEN;
	return sip ? SIP_UNCHANGED : NAT_ONLY;
}

int replay_parse_cidr(const char *s, struct in_addr *net, struct in_addr *mask)
{
	char buf[INET_ADDRSTRLEN + 4];
	const char *slash = strchr(s, '/');
	unsigned long bits = 32;
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	if (alen >= INET_ADDRSTRLEN)
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, net) != 1)
		return -1;
	if (slash) {
		char *end;

		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		bits = strtoul(slash + 1, &end, 10);
		if (*end || bits > 32)
			return -1;
	}
	mask->s_addr = bits ? htonl(~0u << (32 - bits)) : 0;
	net->s_addr &= mask->s_addr;
	return 0;
}

/*
 * One pass over the capture. Pass 1 only plans (TCP messages); pass 2 writes
 * out (when given) and the -v lines. Returns 0 or -1 with err.
 */
static int replay_pass(struct replay *r, pcap_t *in, int dlt, pcap_dumper_t *out,
		       struct replay_stats *st, char *err, size_t errlen)
{
	const struct replay_opts *o = r->o;
	FILE *vout = o->vout ? o->vout : stdout;

	memset(st, 0, sizeof(*st));
	for (;;) {
		struct pcap_pkthdr *hdr, ohdr;
		const u_char *data;
		int k = pcap_next_ex(in, &hdr, &data);

		if (k == PCAP_ERROR_BREAK)
			return 0;	/* end of file */
		if (k != 1) {
			snprintf(err, errlen, "%s: packet %llu: %s", o->in_path,
				 (unsigned long long)st->packets + 1, pcap_geterr(in));
			return -1;
		}
		st->packets++;
		r->v.n = r->notes.n = 0;
		r->v.s[0] = r->notes.s[0] = '\0';
		r->dirstr = "--";
		r->sip_seen = false;
		if (hdr->caplen + 65536ul > r->obuf_size) {
			uint8_t *bigger = realloc(r->obuf, hdr->caplen + 65536ul);
			if (!bigger) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			r->obuf = bigger;
			r->obuf_size = hdr->caplen + 65536ul;
		}
		switch (replay_packet(r, dlt, hdr, data, &ohdr, r->obuf)) {
		case COPIED: st->copied++; break;
		case NAT_ONLY: st->nat_only++; break;
		case SIP_REWRITTEN: st->sip_rewritten++; break;
		case SIP_UNCHANGED: st->sip_unchanged++; break;
		}
		if (out)
			pcap_dump((u_char *)out, &ohdr, r->obuf);
		if (out && o->verbose)
			fprintf(vout, "%llu %s%s%s\n", (unsigned long long)st->packets,
				r->dirstr, r->v.s, r->notes.s);
	}
}

/* Fresh per-pass state; the TCP plans survive. */
static int replay_reset(struct replay *r)
{
	nat_free(&r->nat);
	tcp_rewind(r->tcp);
	return nat_init(&r->nat);
}

int replay_run(const struct replay_opts *o, struct replay_stats *st,
	       char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *in = NULL, *dead = NULL;
	pcap_dumper_t *out = NULL;
	struct replay *r = NULL;
	int rc = -1, dlt, snap;

	memset(st, 0, sizeof(*st));
	r = calloc(1, sizeof(*r));
	if (!r || !(r->tcp = calloc(TCP_FLOWS, sizeof(*r->tcp))) || nat_init(&r->nat) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r->o = o;
	r->cfg = o->cfg;
	r->pool_min = o->cfg->rtp.port_min;
	r->pool_max = o->cfg->rtp.port_max;

	/* Pass 1: the same walk, nothing written, to plan SIP over TCP. */
	in = pcap_open_offline(o->in_path, errbuf);
	if (!in) {
		snprintf(err, errlen, "%s: %s", o->in_path, errbuf);
		goto out;
	}
	dlt = pcap_datalink(in);
	if (!dlt_supported(dlt))
		log_warnx("%s: link type %s not modelled: every packet is copied unchanged",
			  o->in_path, pcap_datalink_val_to_name(dlt) ?
			  pcap_datalink_val_to_name(dlt) : "?");
	r->pass = 1;
	if (replay_pass(r, in, dlt, NULL, st, err, errlen) < 0)
		goto out;
	pcap_close(in);

	/* Pass 2: again from the start, writing. */
	in = pcap_open_offline(o->in_path, errbuf);
	if (!in) {
		snprintf(err, errlen, "%s: %s", o->in_path, errbuf);
		goto out;
	}
	/* Rewritten packets may grow: leave room above the input's snap length. */
	snap = pcap_snapshot(in);
	if (snap < 262144)
		snap = 262144;
	dead = pcap_open_dead_with_tstamp_precision(dlt, snap, pcap_get_tstamp_precision(in));
	if (!dead) {
		snprintf(err, errlen, "%s: cannot set up the output", o->out_path);
		goto out;
	}
	out = pcap_dump_open(dead, o->out_path);
	if (!out) {
		snprintf(err, errlen, "%s: %s", o->out_path, pcap_geterr(dead));
		goto out;
	}
	r->pass = 2;
	if (replay_reset(r) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (replay_pass(r, in, dlt, out, st, err, errlen) < 0)
		goto out;
	if (pcap_dump_flush(out) < 0 || ferror(pcap_dump_file(out))) {
		snprintf(err, errlen, "%s: write error: %s", o->out_path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (out) {
		/* pcap_dump_close() hides fclose()'s result: flush first, check that. */
		FILE *f = pcap_dump_file(out);
		if (fflush(f) != 0 && rc == 0) {
			snprintf(err, errlen, "%s: write error: %s", o->out_path, strerror(errno));
			rc = -1;
		}
		pcap_dump_close(out);
	}
	if (dead)
		pcap_close(dead);
	if (in)
		pcap_close(in);
	if (r) {
		nat_free(&r->nat);
		tcp_free(r->tcp);
		free(r->obuf);
	}
	free(r);
	return rc;
}
