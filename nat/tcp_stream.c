/* tcp_stream.c - SIP message positions in TCP streams; see tcp_stream.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tcp_stream.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define REPLAY_SLOTS	8	/* rewritten segments remembered per stream */
#define FIN_LINGER_S	60	/* a closed stream answers retransmits this long */

struct replay_slot {
	uint32_t seq, orig_len;
	uint8_t *out;
	size_t out_len;
};

struct nat_tcp_stream {
	struct nat_tcp_stream *hnext;
	struct nat_tcp_key key;
	uint32_t next;			/* sequence number where the next message starts */
	uint32_t isn;
	struct nat_tcp_seg *held;	/* sorted by seq, all at or after next */
	size_t held_bytes;
	uint64_t last_ms;
	uint32_t max_len;		/* largest payload seen: the sender's segment size */
	uint16_t listen_port;		/* outbound stream: the inside host's own SIP port */
	bool fin;
	unsigned busy_ix;		/* where in table->busy, while it holds segments */
	struct replay_slot replay[REPLAY_SLOTS];
	unsigned replay_next;
	/* every length change so far, as the kernel's seqadj saw them */
	int32_t total_delta;		/* sum of (out - orig) */
	uint32_t last_change_seq;	/* the kernel's correction position */
	int32_t last_change_delta;
	bool changed;			/* any length change yet */
	bool record_lost;		/* a change could not be remembered */
};

struct nat_tcp_table {
	struct nat_tcp_limits lim;
	struct nat_tcp_stream **bucket;
	unsigned n_buckets, count;
	size_t held_bytes;
	struct nat_tcp_stream **busy;	/* the streams holding segments: the timer's list */
	unsigned n_busy, busy_cap;
	uint64_t last_idle_scan_ms;
	uint8_t *scratch;		/* a run's bytes, contiguous */
	size_t scratch_cap;
	struct nat_tcp_counters c;
};

void nat_tcp_limits_default(struct nat_tcp_limits *l)
{
	*l = (struct nat_tcp_limits){
		.stream_bytes = 256 * 1024, .total_bytes = 8u << 20,
		.hold_ms = 500, .max_streams = 16384, .idle_s = 7200,
	};
}

/* Sequence arithmetic modulo 2^32 (RFC 793). */
static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

static uint32_t key_hash(const struct nat_tcp_key *k)
{
	uint32_t h = 2166136261u;
	uint32_t w[4] = { sipalg_addr_hash(&k->master.src), sipalg_addr_hash(&k->master.dst),
			  ((uint32_t)k->master.src.port << 16) | k->master.dst.port,
			  (uint32_t)k->dir | ((uint32_t)k->master.zone << 8) };

	for (unsigned i = 0; i < 4; i++) {
		h ^= w[i];
		h *= 16777619u;
		h ^= h >> 15;
	}
	return h;
}

static bool key_eq(const struct nat_tcp_key *a, const struct nat_tcp_key *b)
{
	return a->dir == b->dir && a->master.zone == b->master.zone &&
	       sipalg_addr_same_ip(&a->master.src, &b->master.src) &&
	       sipalg_addr_same_ip(&a->master.dst, &b->master.dst) &&
	       a->master.src.port == b->master.src.port &&
	       a->master.dst.port == b->master.dst.port;
}

struct nat_tcp_table *nat_tcp_new(const struct nat_tcp_limits *lim)
{
	struct nat_tcp_table *t = calloc(1, sizeof(*t));
	unsigned n = 64;

	if (!t)
		return NULL;
	t->lim = *lim;
	while (n < lim->max_streams && n < (1u << 20))
		n <<= 1;
	t->n_buckets = n;
	t->bucket = calloc(n, sizeof(*t->bucket));
	if (!t->bucket) {
		free(t);
		return NULL;
	}
	return t;
}

void nat_tcp_seg_free(struct nat_tcp_seg *s)
{
	if (!s)
		return;
	free(s->pkt);
	free(s);
}

void nat_tcp_segs_free(struct nat_tcp_seg *s)
{
	while (s) {
		struct nat_tcp_seg *n = s->next;

		nat_tcp_seg_free(s);
		s = n;
	}
}

static void replay_clear(struct nat_tcp_stream *s)
{
	for (unsigned i = 0; i < REPLAY_SLOTS; i++) {
		free(s->replay[i].out);
		s->replay[i].out = NULL;
	}
}

static int busy_add(struct nat_tcp_table *t, struct nat_tcp_stream *s)
{
	if (t->n_busy == t->busy_cap) {
		unsigned cap = t->busy_cap ? t->busy_cap * 2 : 64;
		struct nat_tcp_stream **n = realloc(t->busy, cap * sizeof(*n));

		if (!n)
			return -1;
		t->busy = n;
		t->busy_cap = cap;
	}
	s->busy_ix = t->n_busy;
	t->busy[t->n_busy++] = s;
	return 0;
}

static void busy_del(struct nat_tcp_table *t, struct nat_tcp_stream *s)
{
	struct nat_tcp_stream *last = t->busy[--t->n_busy];

	t->busy[s->busy_ix] = last;
	last->busy_ix = s->busy_ix;
}

/* Append list to *released, keeping order. */
static void give_back(struct nat_tcp_seg **released, struct nat_tcp_seg *list)
{
	while (*released)
		released = &(*released)->next;
	*released = list;
}

static void drop_held(struct nat_tcp_table *t, struct nat_tcp_stream *s,
		      struct nat_tcp_seg **released)
{
	if (!s->held)
		return;
	busy_del(t, s);
	t->held_bytes -= s->held_bytes;
	s->held_bytes = 0;
	give_back(released, s->held);
	s->held = NULL;
}

static struct nat_tcp_stream **find_slot(struct nat_tcp_table *t, const struct nat_tcp_key *k)
{
	struct nat_tcp_stream **pp = &t->bucket[key_hash(k) & (t->n_buckets - 1)];

	while (*pp && !key_eq(&(*pp)->key, k))
		pp = &(*pp)->hnext;
	return pp;
}

static void unlink_free(struct nat_tcp_table *t, struct nat_tcp_stream **pp,
			struct nat_tcp_seg **released)
{
	struct nat_tcp_stream *s = *pp;

	drop_held(t, s, released);
	*pp = s->hnext;
	replay_clear(s);
	free(s);
	t->count--;
	t->c.streams_freed++;
}

/* The stream's position is lost: what it held passes unchanged, it is forgotten. */
static void lose(struct nat_tcp_table *t, struct nat_tcp_stream **pp, uint64_t *why,
		 struct nat_tcp_seg **released)
{
	struct nat_tcp_key peer = (*pp)->key;

	(*why)++;
	t->c.lost++;
	unlink_free(t, pp, released);
	/* One side is not SIP: the connection is not, and what the other side
	 * sends is no SIP message either (a server answering a browser's POST). */
	if (why == &t->c.lost_not_sip) {
		peer.dir = peer.dir == SIPALG_OUTBOUND ? SIPALG_INBOUND : SIPALG_OUTBOUND;
		pp = find_slot(t, &peer);
		if (*pp) {
			t->c.lost_peer_not_sip++;
			t->c.lost++;
			unlink_free(t, pp, released);
		}
	}
}

void nat_tcp_release_all(struct nat_tcp_table *t, struct nat_tcp_seg **released)
{
	/* what they held passed unparsed: their positions mean nothing any more */
	for (unsigned b = 0; b < t->n_buckets; b++)
		while (t->bucket[b])
			unlink_free(t, &t->bucket[b], released);
}

void nat_tcp_free(struct nat_tcp_table *t)
{
	struct nat_tcp_seg *rel = NULL;

	if (!t)
		return;
	for (unsigned b = 0; b < t->n_buckets; b++)
		while (t->bucket[b])
			unlink_free(t, &t->bucket[b], &rel);
	nat_tcp_segs_free(rel);
	free(t->busy);
	free(t->bucket);
	free(t->scratch);
	free(t);
}

/* The hash size stays as nat_tcp_new made it; max_streams only caps the count. */
void nat_tcp_set_limits(struct nat_tcp_table *t, const struct nat_tcp_limits *lim)
{
	t->lim = *lim;
}

const struct nat_tcp_counters *nat_tcp_counters(const struct nat_tcp_table *t)
{
	return &t->c;
}

unsigned nat_tcp_count(const struct nat_tcp_table *t)
{
	return t->count;
}

size_t nat_tcp_held_bytes(const struct nat_tcp_table *t)
{
	return t->held_bytes;
}

/* A SYN starts a direction's stream: its first payload byte is ISN + 1. */
static void on_syn(struct nat_tcp_table *t, struct nat_tcp_stream **pp,
		   const struct nat_tcp_key *key, uint32_t seq, uint64_t now_ms,
		   struct nat_tcp_seg **released)
{
	struct nat_tcp_stream *s = *pp;

	if (s && s->isn == seq)
		return;			/* a retransmitted SYN */
	if (s)				/* the tuple reused for a new connection */
		unlink_free(t, pp, released);
	if (t->count >= t->lim.max_streams) {
		t->c.no_state++;
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		t->c.no_state++;
		return;
	}
	s->key = *key;
	s->isn = seq;
	s->next = seq + 1;
	s->last_ms = now_ms;
	pp = find_slot(t, key);
	s->hnext = *pp;
	*pp = s;
	t->count++;
	t->c.streams_created++;
}

static const struct replay_slot *replay_find(const struct nat_tcp_stream *s, uint32_t seq,
					     uint32_t len)
{
	for (unsigned i = 0; i < REPLAY_SLOTS; i++)
		if (s->replay[i].out && s->replay[i].seq == seq && s->replay[i].orig_len == len)
			return &s->replay[i];
	return NULL;
}

void nat_tcp_remember(struct nat_tcp_table *t, const struct nat_tcp_key *key,
		      uint32_t seq, uint32_t orig_len, const uint8_t *out, size_t out_len)
{
	struct nat_tcp_stream *s = *find_slot(t, key);
	struct replay_slot *r;
	uint8_t *copy;

	if (!s || !out_len)
		return;
	if (out_len != orig_len) {
		s->total_delta += (int32_t)out_len - (int32_t)orig_len;
		s->last_change_seq = seq;
		s->last_change_delta = (int32_t)out_len - (int32_t)orig_len;
		s->changed = true;
	}
	copy = malloc(out_len);
	if (!copy) {
		s->record_lost = true;	/* retransmits then pass as they come: counted there */
		return;
	}
	memcpy(copy, out, out_len);
	r = &s->replay[s->replay_next++ % REPLAY_SLOTS];
	free(r->out);
	*r = (struct replay_slot){ .seq = seq, .orig_len = orig_len, .out = copy,
				   .out_len = out_len };
}

/*
 * The sequence number correction old data at seq needs: what the changes
 * before it add up to, minus what the kernel will add (the offset before
 * or after its one correction point). The ring holds the last changed
 * segments, newest last: when seq is not older than the oldest kept one,
 * every change at or after seq is in it. false: the record does not reach
 * back that far.
 */
static bool seq_fix(const struct nat_tcp_stream *s, uint32_t seq, int32_t *fix)
{
	bool wrapped = s->replay_next > REPLAY_SLOTS;
	const struct replay_slot *oldest = &s->replay[s->replay_next % REPLAY_SLOTS];
	int32_t correct = s->total_delta, kernel;

	*fix = 0;
	if (!s->changed)
		return true;
	if (s->record_lost || (wrapped && seq_lt(seq, oldest->seq)))
		return false;
	for (unsigned i = 0; i < REPLAY_SLOTS; i++)
		if (s->replay[i].out && seq_leq(seq, s->replay[i].seq))
			correct -= (int32_t)s->replay[i].out_len - (int32_t)s->replay[i].orig_len;
	/* the kernel picks its offset from the number it is given, ours: try
	 * the first guess, and keep it only if it does not cross the point */
	kernel = seq_lt(s->last_change_seq, seq) ? s->total_delta
						 : s->total_delta - s->last_change_delta;
	*fix = correct - kernel;
	if (seq_lt(s->last_change_seq, seq) != seq_lt(s->last_change_seq, seq + (uint32_t)*fix)) {
		*fix = 0;
		return false;
	}
	return true;
}

/* Data wholly before the stream's position: a retransmit (or a keep-alive probe). */
static enum nat_tcp_verdict old_data(struct nat_tcp_table *t, const struct nat_tcp_stream *s,
				     uint32_t seq, uint32_t len, struct nat_tcp_replay *replay)
{
	const struct replay_slot *r = replay_find(s, seq, len);
	int32_t fix;
	bool known = seq_fix(s, seq, &fix);

	replay->seq_fix = known ? fix : 0;
	if (r) {
		replay->payload = r->out;
		replay->len = r->out_len;
		t->c.retransmits_replayed++;
		return NAT_TCP_REPLAY;
	}
	if (!known || !fix) {
		t->c.retransmits_passed++;
		return NAT_TCP_PASS;
	}
	replay->payload = NULL;		/* unchanged bytes, corrected position */
	replay->len = len;
	t->c.retransmits_resequenced++;
	return NAT_TCP_REPLAY;
}

/* Hold a copy of the segment, in sequence order. -1: the stream must be lost (*why). */
static int hold(struct nat_tcp_table *t, struct nat_tcp_stream *s, const uint8_t *pkt,
		size_t pkt_len, size_t payload_off, uint32_t seq, uint32_t id,
		uint64_t now_ms, uint64_t **why)
{
	uint32_t len = (uint32_t)(pkt_len - payload_off), end = seq + len;
	struct nat_tcp_seg **pp = &s->held, *g;

	if (seq - s->next > t->lim.stream_bytes) {
		*why = &t->c.lost_gap;	/* far beyond anything we could hold */
		return -1;
	}
	for (; *pp && seq_leq((*pp)->seq + (*pp)->len, seq); pp = &(*pp)->next)
		;
	if (*pp && (*pp)->seq == seq && (*pp)->len == len) {
		g = *pp;		/* a copy of a held segment: it waits with it */
		if (g->n_ids == NAT_TCP_DUPS ||
		    memcmp(g->pkt + g->payload_off, pkt + payload_off, len) != 0) {
			*why = &t->c.lost_overlap;
			return -1;
		}
		g->ids[g->n_ids++] = id;
		return 0;
	}
	if (*pp && seq_lt((*pp)->seq, end)) {
		*why = &t->c.lost_overlap;	/* a different cut of held bytes */
		return -1;
	}
	if (s->held_bytes + pkt_len > t->lim.stream_bytes ||
	    t->held_bytes + pkt_len > t->lim.total_bytes) {
		*why = &t->c.lost_bounds;
		return -1;
	}
	g = calloc(1, sizeof(*g));
	if (g)
		g->pkt = malloc(pkt_len);
	if (!g || !g->pkt || (!s->held && busy_add(t, s) < 0)) {
		nat_tcp_seg_free(g);
		*why = &t->c.lost_bounds;
		return -1;
	}
	memcpy(g->pkt, pkt, pkt_len);
	g->pkt_len = pkt_len;
	g->payload_off = payload_off;
	g->seq = seq;
	g->len = len;
	g->ids[0] = id;
	g->n_ids = 1;
	g->deadline_ms = now_ms + t->lim.hold_ms;
	g->next = *pp;
	*pp = g;
	s->held_bytes += pkt_len;
	t->held_bytes += pkt_len;
	if (len > s->max_len)
		s->max_len = len;
	t->c.held++;
	return 0;
}

enum nat_tcp_verdict nat_tcp_packet(struct nat_tcp_table *t, const struct nat_tcp_key *key,
				    const uint8_t *pkt, size_t pkt_len, size_t payload_off,
				    uint32_t seq, uint8_t flags, uint32_t id, uint64_t now_ms,
				    struct nat_tcp_replay *replay, struct nat_tcp_seg **released)
{
	struct nat_tcp_stream **pp = find_slot(t, key), *s;
	uint32_t len = (uint32_t)(pkt_len - payload_off);
	uint64_t *why = NULL;

	if (flags & TCP_RST) {
		if (*pp)
			unlink_free(t, pp, released);
		return NAT_TCP_PASS;
	}
	if (flags & TCP_SYN) {
		on_syn(t, pp, key, seq, now_ms, released);
		pp = find_slot(t, key);
		if (len && *pp)		/* data on a SYN (TCP Fast Open): not followed */
			lose(t, pp, &t->c.lost_no_syn, released);
		return NAT_TCP_PASS;
	}
	s = *pp;
	if (!s) {
		if (len)
			t->c.passed_lost++;	/* never synced, or lost before */
		return NAT_TCP_PASS;
	}
	s->last_ms = now_ms;
	if (flags & TCP_FIN)
		s->fin = true;
	if (!len)
		return NAT_TCP_PASS;
	if (seq_leq(seq + len, s->next))
		return old_data(t, s, seq, len, replay);
	if (seq_lt(seq, s->next)) {
		lose(t, pp, &t->c.lost_overlap, released);
		return NAT_TCP_PASS;
	}
	if (hold(t, s, pkt, pkt_len, payload_off, seq, id, now_ms, &why) < 0) {
		lose(t, pp, why, released);
		t->c.passed_lost++;
		return NAT_TCP_PASS;
	}
	return NAT_TCP_HELD;
}

/*
 * RFC 3261 7.1/7.2: a request line ends in SIP-Version, a status line starts
 * with it. Checked as soon as the first line is in, so that a stream that is
 * not SIP (an HTTP POST to port 5060) is let go at once, not after hold_ms.
 * Returns 1 SIP, 0 not yet known, -1 not SIP.
 */
static int first_line_is_sip(const uint8_t *b, size_t len)
{
	const uint8_t *lf = memchr(b, '\n', len);
	size_t n;

	if (!lf)
		return len > 1024 ? -1 : 0;	/* no start line is that long */
	n = (size_t)(lf - b);
	if (n && b[n - 1] == '\r')
		n--;
	if (n >= 8 && strncasecmp((const char *)b, "SIP/2.0 ", 8) == 0)
		return 1;
	if (n >= 8 && b[n - 8] == ' ' && strncasecmp((const char *)b + n - 7, "SIP/2.0", 7) == 0)
		return 1;
	return -1;
}

static int scratch_fit(struct nat_tcp_table *t, size_t need)
{
	uint8_t *n;

	if (need <= t->scratch_cap)
		return 0;
	n = realloc(t->scratch, need);
	if (!n)
		return -1;
	t->scratch = n;
	t->scratch_cap = need;
	return 0;
}

int nat_tcp_take_run(struct nat_tcp_table *t, const struct nat_tcp_key *key,
		     struct nat_tcp_seg **run, const uint8_t **bytes, size_t *len,
		     struct nat_tcp_seg **released)
{
	struct nat_tcp_stream **pp = find_slot(t, key), *s = *pp;
	struct nat_tcp_seg *g, *cut = NULL;
	size_t total = 0, off = 0, release = 0;
	uint32_t expect;

	*run = NULL;
	if (!s || !s->held || s->held->seq != s->next)
		return 0;
	/* the contiguous bytes from the stream's position */
	expect = s->next;
	for (g = s->held; g && g->seq == expect; g = g->next) {
		if (scratch_fit(t, total + g->len) < 0) {
			lose(t, pp, &t->c.lost_bounds, released);
			return 0;
		}
		memcpy(t->scratch + total, g->pkt + g->payload_off, g->len);
		total += g->len;
		expect += g->len;
	}
	/* whole messages; a run may end only where a segment ends */
	g = s->held;
	size_t seg_end = g->len;
	while (off < total) {
		long m;
		size_t lead = off;

		while (lead < total && (t->scratch[lead] == '\r' || t->scratch[lead] == '\n'))
			lead++;
		if (lead == off) {
			int sip = first_line_is_sip(t->scratch + off, total - off);

			if (sip < 0) {
				lose(t, pp, &t->c.lost_not_sip, released);
				return 0;
			}
			if (sip == 0)
				break;
		}
		m = sipalg_message_length(t->scratch + off, total - off);
		if (m < 0) {
			lose(t, pp, total - off >= SIPALG_MAX_MSG ? &t->c.lost_too_big
								  : &t->c.lost_not_sip, released);
			return 0;
		}
		if (m == 0) {
			if (total - off >= SIPALG_MAX_MSG) {
				lose(t, pp, &t->c.lost_too_big, released);
				return 0;
			}
			break;
		}
		off += (size_t)m;
		while (g && seg_end < off) {
			g = g->next;
			seg_end += g ? g->len : 0;
		}
		if (g && seg_end == off) {
			release = off;
			cut = g;
		}
	}
	if (!release)
		return 0;
	*run = s->held;
	s->held = cut->next;
	cut->next = NULL;
	if (!s->held)
		busy_del(t, s);
	for (g = *run; g; g = g->next) {
		s->held_bytes -= g->pkt_len;
		t->held_bytes -= g->pkt_len;
	}
	s->next += (uint32_t)release;
	*bytes = t->scratch;
	*len = release;
	t->c.runs++;
	if ((*run)->next)
		t->c.multi_segment_runs++;
	return 1;
}

static struct nat_tcp_stream *outbound_of(const struct nat_tcp_table *t,
					  const struct rtp_master *m)
{
	struct nat_tcp_key k = { .master = *m, .dir = SIPALG_OUTBOUND };

	return *find_slot((struct nat_tcp_table *)t, &k);
}

uint16_t nat_tcp_listen_port(const struct nat_tcp_table *t, const struct rtp_master *m)
{
	const struct nat_tcp_stream *s = outbound_of(t, m);

	return s ? s->listen_port : 0;
}

void nat_tcp_set_listen_port(struct nat_tcp_table *t, const struct rtp_master *m, uint16_t port)
{
	struct nat_tcp_stream *s = outbound_of(t, m);

	if (s)
		s->listen_port = port;
}

uint32_t nat_tcp_segment_cap(const struct nat_tcp_table *t, const struct nat_tcp_key *key)
{
	const struct nat_tcp_stream *s = *find_slot((struct nat_tcp_table *)t, key);
	/* RFC 879/1122: 536 is the segment every IPv4 path carries */
	uint32_t cap = 536;

	if (s && s->max_len > cap)
		cap = s->max_len;
	return cap;
}

uint64_t nat_tcp_next_deadline(const struct nat_tcp_table *t)
{
	uint64_t best = 0;

	for (unsigned i = 0; i < t->n_busy; i++)
		for (const struct nat_tcp_seg *g = t->busy[i]->held; g; g = g->next)
			if (!best || g->deadline_ms < best)
				best = g->deadline_ms;
	return best;
}

/* Streams silent for idle_s (a closed one: FIN_LINGER_S) are forgotten. */
static void free_idle(struct nat_tcp_table *t, uint64_t now_ms, struct nat_tcp_seg **released)
{
	for (unsigned b = 0; b < t->n_buckets; b++) {
		struct nat_tcp_stream **pp = &t->bucket[b];

		while (*pp) {
			struct nat_tcp_stream *s = *pp;
			uint64_t idle = (uint64_t)(s->fin ? FIN_LINGER_S : t->lim.idle_s) * 1000;

			if (!s->held && now_ms - s->last_ms >= idle)
				unlink_free(t, pp, released);
			else
				pp = &s->hnext;
		}
	}
}

uint64_t nat_tcp_expire(struct nat_tcp_table *t, uint64_t now_ms, struct nat_tcp_seg **released)
{
	/* backwards: losing a stream moves the last busy one into its place */
	for (unsigned i = t->n_busy; i-- > 0;) {
		struct nat_tcp_stream *s = t->busy[i];
		bool late = false;

		for (const struct nat_tcp_seg *g = s->held; g; g = g->next)
			late = late || g->deadline_ms <= now_ms;
		if (late)
			lose(t, find_slot(t, &s->key), &t->c.lost_timeout, released);
	}
	if (now_ms - t->last_idle_scan_ms >= 1000) {
		t->last_idle_scan_ms = now_ms;
		free_idle(t, now_ms, released);
	}
	return nat_tcp_next_deadline(t);
}
