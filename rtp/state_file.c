/*
 * state_file.c - the dialog table as text, for a restart (rtp/README.md
 * "Restarts"): the daemon writes it (daemon/state_file.c: tmp file, fsync,
 * rename) and parses it back at start. One stream a line, so a line stands
 * alone and a bad one costs only that stream:
 *
 *   sipalgd-dialogs 1
 *   s CALLID TAG SIG FLAGS PROTO MSRC MDST ZONE IDX INSIDE IRTCP PUBLIC PRTCP OUTDIR CLASS FAR FRTCP
 *
 * CALLID and TAG %XX-escape every byte <= ' ', >= 0x7f and '%' (they are the
 * SIP message's bytes); addresses are a.b.c.d:port, FAR is "-" when unknown;
 * FLAGS is a set of C (answered), M (rtcp-mux), N (no NAT), F (far rtcp-mux)
 * or "-". The parser treats the file as untrusted: bounded line length and
 * record count, every field checked against the config, a bad line skipped
 * and counted.
 */
#include "rtp_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* The line is built by hand into a buffer and written with one fwrite:
 * fprintf and inet_ntop per field cost 5-9 us a record (bench_recovery). */
static char *put_escaped(char *p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == '%') {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	return p;
}

static char *put_u(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_ip(char *p, struct in_addr a)
{
	const unsigned char *b = (const unsigned char *)&a.s_addr;

	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_u(p, b[i]);
	}
	return p;
}

static char *put_addr(char *p, const struct sipalg_addr *a)
{
	*p++ = ' ';
	p = put_ip(p, a->ip);
	*p++ = ':';
	return put_u(p, a->port);
}

static char *put_sp_u(char *p, unsigned long v)
{
	*p++ = ' ';
	return put_u(p, v);
}

/* Longest line: "s " + 3 x 255 + " " + 3 x 127 + fixed fields (< 200). */
#define LINE_CAP (2 + 3 * 255 + 1 + 3 * 127 + 256)

static void write_side(FILE *out, const struct rtp_dialog *d, unsigned idx,
		       const struct rtp_stream *st, const struct rtp_side *s)
{
	char line[LINE_CAP], *p = line, *f0;

	*p++ = 's';
	*p++ = ' ';
	p = put_escaped(p, d->call_id);	/* <= 255 bytes (dialog_create) */
	*p++ = ' ';
	p = put_escaped(p, d->tag);	/* <= 127 */
	*p++ = ' ';
	p = put_ip(p, d->inside_sig.ip);
	*p++ = ' ';
	f0 = p;
	if (d->confirmed)
		*p++ = 'C';
	if (s->rtcp_mux)
		*p++ = 'M';
	if (s->no_nat)
		*p++ = 'N';
	if (st->far_mux)
		*p++ = 'F';
	if (p == f0)
		*p++ = '-';
	p = put_sp_u(p, s->master.l4proto);
	p = put_addr(p, &s->master.src);
	p = put_addr(p, &s->master.dst);
	p = put_sp_u(p, s->master.zone);
	p = put_sp_u(p, idx);
	p = put_addr(p, &s->inside);
	p = put_sp_u(p, s->inside_rtcp);
	p = put_addr(p, &s->public);
	p = put_sp_u(p, s->public_rtcp);
	p = put_sp_u(p, (unsigned long)s->out_dir);
	p = put_sp_u(p, s->class);
	if (st->has_far) {
		p = put_addr(p, &st->far);
	} else {
		*p++ = ' ';
		*p++ = '-';
	}
	p = put_sp_u(p, st->far_rtcp);
	*p++ = '\n';
	fwrite(line, 1, (size_t)(p - line), out);
}

/* The file is IPv4 (as rtp/ is): a stream with an IPv6 address is left
 * out - a restart loses it, never misreads it. */
static bool side_v6(const struct rtp_dialog *d, const struct rtp_stream *st)
{
	const struct rtp_side *s = &st->cur;

	return sipalg_addr_is_v6(&d->inside_sig) || sipalg_addr_is_v6(&s->inside) ||
	       sipalg_addr_is_v6(&s->public) || sipalg_addr_is_v6(&s->master.src) ||
	       sipalg_addr_is_v6(&s->master.dst) || (st->has_far && sipalg_addr_is_v6(&st->far));
}

struct write_arg {
	FILE *out;
};

static void write_one(struct rtp_table *t, struct rtp_dialog *d, void *arg)
{
	struct write_arg *a = arg;
	unsigned i;

	(void)t;
	/* An orphan has no Call-ID: the kernel holds it, a restart finds it there. */
	if (dialog_is_orphan(d))
		return;
	for (i = 0; i < d->n_streams; i++) {
		const struct rtp_stream *st = d->streams[i];

		/* The current side: a re-offer's pending one is decided by the
		 * answer, which a restart loses anyway (the next SDP re-plans). */
		if (st && st->cur.active && !side_v6(d, st))
			write_side(a->out, d, i, st, &st->cur);
	}
}

int rtp_state_write(const struct rtp_table *t, FILE *out)
{
	struct write_arg a = { .out = out };

	fputs(RTP_STATE_VERSION "\n", out);
	/* dialog_foreach only reads here; its fn may remove, ours does not */
	dialog_foreach((struct rtp_table *)t, write_one, &a);
	return ferror(out) ? -1 : 0;
}

/* ---- parsing: every token checked, nothing trusted ---- */

#define FIELDS 18

static bool unescape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned c = (unsigned char)*s;

		if (c == '%') {
			char hex[3] = { s[1], s[1] ? s[2] : 0, 0 };
			char *end;
			unsigned long v;

			if (!hex[0] || !hex[1])
				return false;
			v = strtoul(hex, &end, 16);
			if (*end || v == 0)
				return false;	/* a NUL would cut the string */
			c = (unsigned)v;
			s += 2;
		}
		if (n + 1 >= cap)
			return false;
		out[n++] = (char)c;
	}
	out[n] = 0;
	return n > 0;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !*end && !errno && *v <= max;
}

static bool parse_ip(const char *s, struct in_addr *ip)
{
	return inet_pton(AF_INET, s, ip) == 1;
}

static bool parse_addr(char *s, struct sipalg_addr *a)
{
	char *colon = strrchr(s, ':');
	unsigned long port;

	if (!colon)
		return false;
	*colon = 0;
	if (!parse_ip(s, &a->ip) || !parse_uint(colon + 1, 65535, &port))
		return false;
	a->port = (uint16_t)port;
	return true;
}

static bool parse_flags(const char *s, struct rtp_record *r)
{
	if (!strcmp(s, "-"))
		return true;
	for (; *s; s++) {
		switch (*s) {
		case 'C': r->confirmed = true; break;
		case 'M': r->rtcp_mux = true; break;
		case 'N': r->no_nat = true; break;
		case 'F': r->far_mux = true; break;
		default: return false;
		}
	}
	return true;
}

static bool parse_fields(char **f, const struct rtp_config *cfg, struct rtp_record *r)
{
	unsigned long v, zone, idx, irtcp, prtcp, dir, cls, frtcp;

	memset(r, 0, sizeof(*r));
	if (strcmp(f[0], "s") || !unescape(f[1], r->call_id, sizeof(r->call_id)) ||
	    !unescape(f[2], r->tag, sizeof(r->tag)) || !parse_ip(f[3], &r->inside_sig.ip) ||
	    !parse_flags(f[4], r) || !parse_uint(f[5], 255, &v) ||
	    !parse_addr(f[6], &r->master.src) || !parse_addr(f[7], &r->master.dst) ||
	    !parse_uint(f[8], 65535, &zone) || !parse_uint(f[9], cfg->max_streams - 1, &idx) ||
	    !parse_addr(f[10], &r->inside) || !parse_uint(f[11], 65535, &irtcp) ||
	    !parse_addr(f[12], &r->public) || !parse_uint(f[13], 65535, &prtcp) ||
	    !parse_uint(f[14], 1, &dir) || !parse_uint(f[15], 255, &cls) ||
	    !parse_uint(f[17], 65535, &frtcp))
		return false;
	if (v != IPPROTO_UDP && v != IPPROTO_TCP)
		return false;
	r->master.l4proto = (uint8_t)v;
	r->master.zone = (uint16_t)zone;
	r->idx = (unsigned)idx;
	r->inside_rtcp = (uint16_t)irtcp;
	r->public_rtcp = (uint16_t)prtcp;
	r->out_dir = (int)dir;
	r->class = (uint32_t)cls;
	r->far_rtcp = (uint16_t)frtcp;
	if (strcmp(f[16], "-")) {
		if (!parse_addr(f[16], &r->far))
			return false;
		r->has_far = true;
	}
	/* The rules a live stream obeys (rtp_media.c), so a forged line can
	 * neither open a pinhole to a host's ssh nor take a port outside the
	 * pool or its pair's RTCP. */
	if (r->inside.port < cfg->min_inside_port || r->inside_rtcp < cfg->min_inside_port)
		return false;
	if (!r->no_nat && ((r->public.port & 1u) || r->public.port < cfg->port_min ||
			   r->public.port + 1u > cfg->port_max ||
			   r->public_rtcp != r->public.port + 1u))
		return false;
	if (r->no_nat && (!addr_eq(&r->public, &r->inside) || r->public_rtcp != r->inside_rtcp))
		return false;
	if (r->class < cfg->expect_class || r->class >= cfg->expect_class + cfg->expect_classes)
		return false;
	return true;
}

/* Split a line (NUL-terminated, modified) into exactly FIELDS tokens. */
static bool split(char *line, char **f)
{
	unsigned n = 0;
	char *p = line;

	while (*p) {
		if (n == FIELDS)
			return false;
		f[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = 0;
		if (!*p || *p == ' ')
			return false;	/* empty token */
	}
	return n == FIELDS;
}

long rtp_state_parse(const char *buf, size_t len, const struct rtp_config *cfg,
		     struct rtp_record *out, unsigned max, unsigned *refused)
{
	size_t vlen = strlen(RTP_STATE_VERSION), off;
	long n = 0;
	char line[RTP_STATE_LINE_MAX + 1];

	*refused = 0;
	if (len < vlen + 1 || memcmp(buf, RTP_STATE_VERSION "\n", vlen + 1))
		return -1;
	off = vlen + 1;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t l = (nl ? (size_t)(nl - buf) : len) - off;
		char *f[FIELDS];

		/* No newline: a line cut by a crash mid-write (rename makes that
		 * impossible for our own writes, not for a copied file). */
		if (!nl || l > RTP_STATE_LINE_MAX || memchr(buf + off, 0, l) ||
		    (unsigned long)n >= max) {
			(*refused)++;
		} else {
			memcpy(line, buf + off, l);
			line[l] = 0;
			if (split(line, f) && parse_fields(f, cfg, &out[n]))
				n++;
			else
				(*refused)++;
		}
		off += l + 1;
	}
	return n;
}
