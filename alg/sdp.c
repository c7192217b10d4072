/*
 * sdp.c - SDP (RFC 4566) in a SIP body: report every media stream and
 * rewrite o=, c=, m= ports and a=rtcp: that name the address being replaced.
 *
 * A line scanner finds the tokens and their offsets. When one of the tokens
 * we rewrite names the replaced address, the SDP must meet the strict
 * grammar of sdp_grammar.c (all of it but the attribute lines we never
 * change) before any edit is planned, else the message is left untouched.
 * Otherwise the scan alone serves the facts. Nothing here allocates.
 */
#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "plan.h"
#include "sdp.h"
#include "sdp_grammar.h"
#include "text.h"

/* An address field's family: 0 when it is not "IN IP4" / "IN IP6". */
struct sdp_stream {
	struct alg_span port;		/* m= port digits */
	bool has_c;
	uint8_t c_fam;
	struct alg_span c_addr;		/* media c= address */
	struct alg_span rtcp_port;	/* a=rtcp: port, len 0 if absent */
	uint8_t rtcp_fam;
	struct alg_span rtcp_addr;	/* a=rtcp: address, len 0 if absent */
	bool dir_set;
	enum sipalg_media_dir dir;
	bool rtcp_mux;
};

struct sdp_scan {
	uint8_t o_fam;
	struct alg_span o_addr;
	bool has_c;
	uint8_t c_fam;
	struct alg_span c_addr;
	bool dir_set;
	enum sipalg_media_dir dir;
	unsigned n;
	struct sdp_stream m[SIPALG_MAX_MEDIA];
};

/* Split s[0,n) at SP/HT into at most max tokens (offsets relative to base). */
static int split(const char *s, size_t n, size_t base, struct alg_span *tok, int max)
{
	size_t i = 0;
	int k = 0;

	while (i < n && k < max) {
		size_t start;

		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= n)
			break;
		start = i;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		tok[k++] = (struct alg_span){ base + start, i - start };
	}
	return k;
}

/* "IN IP4 addr[/ttl]" or "IN IP6 addr[/n]": the address span, cut at '/';
 * the family, or 0 for any other network or address type. */
static uint8_t in_ip(const char *msg, const struct alg_span *tok, struct alg_span *addr)
{
	const char *slash;
	uint8_t fam;

	if (!alg_ieq(msg + tok[0].off, tok[0].len, "IN"))
		return 0;
	if (alg_ieq(msg + tok[1].off, tok[1].len, "IP4"))
		fam = AF_INET;
	else if (alg_ieq(msg + tok[1].off, tok[1].len, "IP6"))
		fam = AF_INET6;
	else
		return 0;
	*addr = tok[2];
	slash = memchr(msg + addr->off, '/', addr->len);
	if (slash)
		addr->len = (size_t)(slash - (msg + addr->off));
	return fam;
}

static bool direction(const char *s, size_t n, enum sipalg_media_dir *d)
{
	if (n != 8)
		return false;
	if (alg_ieq(s, n, "sendrecv"))
		*d = SIPALG_SENDRECV;
	else if (alg_ieq(s, n, "sendonly"))
		*d = SIPALG_SENDONLY;
	else if (alg_ieq(s, n, "recvonly"))
		*d = SIPALG_RECVONLY;
	else if (alg_ieq(s, n, "inactive"))
		*d = SIPALG_INACTIVE;
	else
		return false;
	return true;
}

static void scan_attr(const struct alg_plan *p, struct sdp_scan *sc, size_t off, size_t n)
{
	const char *s = p->msg + off;
	struct sdp_stream *m = sc->n ? &sc->m[sc->n - 1] : NULL;
	enum sipalg_media_dir d;

	if (direction(s, n, &d)) {
		if (m) {
			m->dir = d;
			m->dir_set = true;
		} else {
			sc->dir = d;
			sc->dir_set = true;
		}
	} else if (!m || n < 5 || !alg_ieq(s, 4, "rtcp")) {
		return;		/* rtpmap, fmtp...: one test, not two */
	} else if (alg_ieq(s, n, "rtcp-mux")) {
		m->rtcp_mux = true;
	} else if (n > 5 && s[4] == ':') {
		struct alg_span tok[4];
		int k = split(s + 5, n - 5, off + 5, tok, 4);

		if (k >= 1)
			m->rtcp_port = tok[0];
		m->rtcp_fam = k == 4 ? in_ip(p->msg, tok + 1, &m->rtcp_addr) : 0;
		if (!m->rtcp_fam)
			m->rtcp_addr = (struct alg_span){ 0, 0 };
	}
}

static int scan_line(struct alg_plan *p, struct sdp_scan *sc, size_t off, size_t n)
{
	const char *s = p->msg + off;
	struct alg_span tok[6];
	struct sipalg_media *fm;
	int k;

	if (n < 2 || s[1] != '=')
		return 0;
	off += 2;
	n -= 2;
	switch (s[0]) {
	case 'o':
		if (sc->n == 0 && split(s + 2, n, off, tok, 6) == 6)
			sc->o_fam = in_ip(p->msg, tok + 3, &sc->o_addr);
		break;
	case 'c':
		if (split(s + 2, n, off, tok, 3) != 3)
			break;
		if (sc->n) {
			struct sdp_stream *m = &sc->m[sc->n - 1];

			if (!m->has_c) {
				m->has_c = true;
				m->c_fam = in_ip(p->msg, tok, &m->c_addr);
			}
		} else if (!sc->has_c) {
			sc->has_c = true;
			sc->c_fam = in_ip(p->msg, tok, &sc->c_addr);
		}
		break;
	case 'm':
		if (sc->n + p->res->facts.n_media >= SIPALG_MAX_MEDIA)
			return alg_fail(p, SIPALG_TOO_BIG, "too many SDP m-lines");
		k = split(s + 2, n, off, tok, 3);
		memset(&sc->m[sc->n], 0, sizeof(sc->m[0]));
		fm = &p->res->facts.media[p->res->facts.n_media + sc->n];
		memset(fm, 0, sizeof(*fm));
		if (k >= 1) {
			size_t l = tok[0].len < sizeof(fm->type) - 1 ? tok[0].len : sizeof(fm->type) - 1;
			memcpy(fm->type, p->msg + tok[0].off, l);
		}
		if (k >= 2) {
			const char *slash = memchr(p->msg + tok[1].off, '/', tok[1].len);

			sc->m[sc->n].port = tok[1];
			if (slash)	/* port/number-of-ports */
				sc->m[sc->n].port.len = (size_t)(slash - (p->msg + tok[1].off));
		}
		if (k >= 3) {
			size_t l = tok[2].len < sizeof(fm->proto) - 1 ? tok[2].len : sizeof(fm->proto) - 1;
			memcpy(fm->proto, p->msg + tok[2].off, l);
		}
		sc->n++;
		break;
	case 'a':
		scan_attr(p, sc, off, n);
		break;
	default:
		break;
	}
	return 0;
}

/* The effective connection address of stream i: media c=, else session c=. */
static bool stream_addr(const struct alg_plan *p, const struct sdp_scan *sc, unsigned i,
			struct sipalg_addr *a)
{
	const struct sdp_stream *m = &sc->m[i];

	if (m->has_c)
		return m->c_fam && alg_addr_parse(m->c_fam, p->msg + m->c_addr.off,
						  m->c_addr.len, a);
	return sc->has_c && sc->c_fam &&
	       alg_addr_parse(sc->c_fam, p->msg + sc->c_addr.off, sc->c_addr.len, a);
}

static void fill_facts(struct alg_plan *p, const struct sdp_scan *sc)
{
	struct sipalg_facts *f = &p->res->facts;
	struct sipalg_addr a;
	unsigned i;

	f->has_sdp = true;
	if (sc->o_fam && alg_addr_parse(sc->o_fam, p->msg + sc->o_addr.off, sc->o_addr.len, &a)) {
		a.port = 0;
		f->sdp_origin = a;
	}
	for (i = 0; i < sc->n; i++) {
		const struct sdp_stream *m = &sc->m[i];
		struct sipalg_media *fm = &f->media[f->n_media + i];
		uint16_t port = 0;

		if (stream_addr(p, sc, i, &fm->addr))
			fm->hold_zero_addr = sipalg_addr_is_any(&fm->addr);
		alg_port_parse(p->msg + m->port.off, m->port.len, &port);
		fm->addr.port = port;
		fm->disabled = port == 0;
		fm->rtcp_port = port < 65535 && port ? (uint16_t)(port + 1) : 0;
		if (m->rtcp_port.len) {
			uint16_t rp;

			fm->rtcp_explicit = true;
			if (alg_port_parse(p->msg + m->rtcp_port.off, m->rtcp_port.len, &rp))
				fm->rtcp_port = rp;
		}
		fm->rtcp_mux = m->rtcp_mux;
		fm->dir = m->dir_set ? m->dir : sc->dir_set ? sc->dir : SIPALG_SENDRECV;
	}
}

/* The grammar gates every edit of the SDP: a value our scanner reads one
 * way and a peer another must not be rewritten. */
static int validate(struct alg_plan *p, struct alg_span sdp)
{
	if (!alg_sdp_grammar_ok(p->msg + sdp.off, sdp.len))
		return alg_fail(p, SIPALG_UNPARSABLE, "SDP breaks the grammar");
	return 0;
}

/* Does an address field of family fam name the replaced address? An IP4
 * field never names an IPv6 binding's address, nor the other way round. */
static bool span_is_from(const struct alg_plan *p, uint8_t fam, struct alg_span sp)
{
	return fam && (fam == AF_INET6) == p->v6 && alg_is_from_ip(p, p->msg + sp.off, sp.len);
}

static int edit_ip(struct alg_plan *p, struct alg_span sp, const struct sipalg_addr *ip,
		   enum sipalg_edit_kind kind)
{
	return alg_edit_addr(p, sp.off, sp.len, ip, false, kind);
}

static int edit_port(struct alg_plan *p, struct alg_span sp, uint16_t port,
		     enum sipalg_edit_kind kind)
{
	char text[8];

	alg_format_port(text, port);
	return alg_edit_add(p, sp.off, sp.len, text, kind);
}

/* RFC 2543 hold (c=0.0.0.0) in an SDP the inside host sends: the address
 * stays 0.0.0.0, but the m= port is still the phone's own and would show on
 * the WAN (and be where the far side resumes to): map the ports like any
 * stream's. The map knows the stream is held (m->hold_zero_addr). */
static bool hold_port_mapped(const struct alg_plan *p, const struct sipalg_media *fm)
{
	return fm->hold_zero_addr && sipalg_addr_is_v6(&fm->addr) == p->v6 &&
	       !fm->disabled && p->ctx->dir == SIPALG_OUTBOUND &&
	       p->sw->sdp_media_port && p->ctx->map_media;
}

static int rewrite_hold_ports(struct alg_plan *p, const struct sdp_stream *m, unsigned idx)
{
	const struct sipalg_media *fm = &p->res->facts.media[idx];
	struct sipalg_addr out = p->to;
	uint16_t out_rtcp = 0;

	if (!alg_port_parse(p->msg + m->port.off, m->port.len, &out.port))
		return alg_fail(p, SIPALG_UNPARSABLE, "bad m= port");
	if (p->ctx->map_media(p->ctx->map_arg, p->ctx->dir, &p->res->facts, idx, fm,
			      &out, &out_rtcp) != 0)
		return 0;
	if (edit_port(p, m->port, out.port, SIPALG_EDIT_SDP_MEDIA_PORT) < 0)
		return -1;
	if (p->sw->sdp_rtcp && m->rtcp_port.len &&
	    edit_port(p, m->rtcp_port, out_rtcp, SIPALG_EDIT_SDP_RTCP) < 0)
		return -1;
	return 0;
}

/* *session_ip: the address the first mapped stream without its own c= got,
 * for the session-level c= those streams inherit. */
static int rewrite_stream(struct alg_plan *p, const struct sdp_scan *sc, unsigned base,
			  unsigned i, struct sipalg_addr *session_ip, bool *session_set)
{
	const struct sdp_stream *m = &sc->m[i];
	const struct sipalg_switches *sw = p->sw;
	unsigned idx = base + i;
	const struct sipalg_media *fm = &p->res->facts.media[idx];
	struct sipalg_addr out = p->to;
	uint16_t out_rtcp = 0;
	bool mapped = false;

	/* fill_facts() parsed the effective address (zero if none). */
	if (hold_port_mapped(p, fm) && rewrite_hold_ports(p, m, idx) < 0)
		return -1;
	if (!sipalg_addr_same_ip(&fm->addr, &p->from) || fm->hold_zero_addr)
		goto rtcp_addr;
	if (!fm->disabled && sw->sdp_media_port && p->ctx->map_media) {
		if (!alg_port_parse(p->msg + m->port.off, m->port.len, &out.port))
			return alg_fail(p, SIPALG_UNPARSABLE, "bad m= port");
		mapped = p->ctx->map_media(p->ctx->map_arg, p->ctx->dir, &p->res->facts,
					   idx, fm, &out, &out_rtcp) == 0;
		if (!mapped)
			out = p->to;
	}
	if (mapped && !m->has_c && !*session_set) {
		*session_ip = out;
		*session_set = true;
	}
	if (mapped && edit_port(p, m->port, out.port, SIPALG_EDIT_SDP_MEDIA_PORT) < 0)
		return -1;
	if (m->has_c && sw->sdp_connection &&
	    edit_ip(p, m->c_addr, &out, SIPALG_EDIT_SDP_CONNECTION) < 0)
		return -1;
	if (mapped && sw->sdp_rtcp && m->rtcp_port.len &&
	    edit_port(p, m->rtcp_port, out_rtcp, SIPALG_EDIT_SDP_RTCP) < 0)
		return -1;
rtcp_addr:
	if (sw->sdp_rtcp && span_is_from(p, m->rtcp_fam, m->rtcp_addr))
		return edit_ip(p, m->rtcp_addr, &out, SIPALG_EDIT_SDP_RTCP);
	return 0;
}

static bool any_sdp_switch(const struct sipalg_switches *sw)
{
	return sw->sdp_origin || sw->sdp_connection || sw->sdp_media_port || sw->sdp_rtcp;
}

/* Does any token the rewrites below would edit name the replaced address?
 * If not, the SDP is only read (facts) and libosip2 is not needed. */
static bool names_us(const struct alg_plan *p, const struct sdp_scan *sc, unsigned base)
{
	const struct sipalg_switches *sw = p->sw;
	unsigned i;

	if (sw->sdp_origin && span_is_from(p, sc->o_fam, sc->o_addr))
		return true;
	if (sw->sdp_connection && sc->has_c && span_is_from(p, sc->c_fam, sc->c_addr))
		return true;
	for (i = 0; i < sc->n; i++) {
		const struct sipalg_media *fm = &p->res->facts.media[base + i];

		if (sipalg_addr_same_ip(&fm->addr, &p->from) && !fm->hold_zero_addr)
			return true;
		if (hold_port_mapped(p, fm))
			return true;
		if (sw->sdp_rtcp && span_is_from(p, sc->m[i].rtcp_fam, sc->m[i].rtcp_addr))
			return true;
	}
	return false;
}

int alg_sdp_process(struct alg_plan *p, struct alg_span sdp)
{
	struct sdp_scan sc;
	size_t pos = sdp.off, end = sdp.off + sdp.len;
	unsigned i, base = p->res->facts.n_media;
	struct sipalg_addr session_ip = p->to;
	bool session_set = false;

	/* Stream entries are cleared as m= lines are found: a full clear is
	 * 1.5 KB per packet for the one or two streams a call has. */
	memset(&sc, 0, offsetof(struct sdp_scan, m));
	while (pos < end) {
		const char *lf = memchr(p->msg + pos, '\n', end - pos);
		size_t stop = lf ? (size_t)(lf - p->msg) : end;
		size_t n = stop - pos;

		if (n && p->msg[pos + n - 1] == '\r')
			n--;
		if (scan_line(p, &sc, pos, n) < 0)
			return -1;
		pos = stop + 1;
	}
	fill_facts(p, &sc);
	if (p->plan && any_sdp_switch(p->sw) && names_us(p, &sc, base)) {
		if (validate(p, sdp) < 0)
			return -1;
		if (p->sw->sdp_origin && span_is_from(p, sc.o_fam, sc.o_addr) &&
		    edit_ip(p, sc.o_addr, &p->to, SIPALG_EDIT_SDP_ORIGIN) < 0)
			return -1;
		/* Every stream's facts are in place before the first callback. */
		p->res->facts.n_media += sc.n;
		for (i = 0; i < sc.n; i++)
			if (rewrite_stream(p, &sc, base, i, &session_ip, &session_set) < 0)
				return -1;
		/* The session c= follows the media map when a stream that inherits
		 * it was mapped (a hairpin: the public address leads to another
		 * inside host than this binding's), else the binding. */
		if (p->sw->sdp_connection && sc.has_c && span_is_from(p, sc.c_fam, sc.c_addr) &&
		    edit_ip(p, sc.c_addr, session_set ? &session_ip : &p->to,
			    SIPALG_EDIT_SDP_CONNECTION) < 0)
			return -1;
		return 0;
	}
	p->res->facts.n_media += sc.n;
	return 0;
}
