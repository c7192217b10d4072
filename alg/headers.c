/*
 * headers.c - rewrites in the header section: Request-URI, Via (sent-by,
 * received=, rport=, maddr=), Contact, Record-Route, Route, From, To.
 *
 * For each element that mentions the address being replaced: a Via must
 * meet the strict grammar of sip_grammar.c, which also locates its sent-by.
 * A URI header's value is copied into a bounded NUL-terminated buffer
 * (offsets 1:1 with the message) and parsed by libosip2; only if that
 * succeeds, and libosip2's host/port agree with the token our scanner
 * located, is the token replaced.
 */
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_message.h>

#include "addr.h"
#include "headers.h"
#include "plan.h"
#include "scan.h"
#include "sip_grammar.h"
#include "text.h"

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static size_t skip_ws(const char *s, size_t n, size_t i)
{
	while (i < n && alg_is_lws(s[i]))
		i++;
	return i;
}

/* host [ ":" port ] at s[i]; lws_colon allows Via's SWS ":" SWS. */
static int parse_hostport(const char *s, size_t n, size_t i, bool lws_colon,
			  struct alg_hostport *hp)
{
	size_t j;

	memset(hp, 0, sizeof(*hp));
	hp->host_off = i;
	if (i < n && s[i] == '[') {
		const char *rb = memchr(s + i, ']', n - i);

		if (!rb)
			return -1;
		i = (size_t)(rb - s) + 1;
	} else {
		while (i < n && is_host_char(s[i]))
			i++;
	}
	hp->host_len = i - hp->host_off;
	if (hp->host_len == 0)
		return -1;
	hp->end = i;
	j = lws_colon ? skip_ws(s, n, i) : i;
	if (j < n && s[j] == ':') {
		j = lws_colon ? skip_ws(s, n, j + 1) : j + 1;
		hp->port_off = j;
		while (j < n && s[j] >= '0' && s[j] <= '9')
			j++;
		hp->port_len = j - hp->port_off;
		if (hp->port_len == 0)
			return -1;
		hp->has_port = true;
		hp->end = j;
	}
	return 0;
}

/* URI in s[0,n): 1 = sip/sips host found, 0 = another scheme, -1 = malformed. */
static int uri_hostport(const char *s, size_t n, struct alg_hostport *hp)
{
	size_t i, at = 0;

	if (n >= 4 && alg_ieq(s, 4, "sip:"))
		i = 4;
	else if (n >= 5 && alg_ieq(s, 5, "sips:"))
		i = 5;
	else
		return 0;
	/* '@' may appear in the userinfo only (not in params or headers), so the
	 * last one ends it even when the user part holds ';' or '?'. */
	for (size_t k = i; k < n; k++)
		if (s[k] == '@')
			at = k + 1;
	if (at)
		i = at;
	return parse_hostport(s, n, i, false, hp) < 0 ? -1 : 1;
}

/* Our token and libosip2's reading must name the same host and port. */
static bool agrees(const char *buf, const struct alg_hostport *hp,
		   const char *osip_host, const char *osip_port)
{
	const char *h = buf + hp->host_off;
	size_t hl = hp->host_len;

	if (!osip_host)
		return false;
	if (hl >= 2 && h[0] == '[') {	/* libosip2 drops the brackets */
		h++;
		hl -= 2;
	}
	if (strlen(osip_host) != hl || strncasecmp(osip_host, h, hl) != 0)
		return false;
	if (!hp->has_port)
		return osip_port == NULL || osip_port[0] == '\0';
	return osip_port && strlen(osip_port) == hp->port_len &&
	       memcmp(osip_port, buf + hp->port_off, hp->port_len) == 0;
}

/* Does the host[:port] token name p->from exactly (absent port = 5060)? */
static bool names_from(const struct alg_plan *p, const char *buf, const struct alg_hostport *hp)
{
	uint16_t port = SIPALG_DEFAULT_PORT;

	if (!alg_is_from_ip(p, buf + hp->host_off, hp->host_len))
		return false;
	if (hp->has_port && !alg_port_parse(buf + hp->port_off, hp->port_len, &port))
		return false;
	return port == p->from.port || (p->from_alt_port && port == p->from_alt_port);
}

static int replace_hostport(struct alg_plan *p, size_t base, const struct alg_hostport *hp,
			    enum sipalg_edit_kind kind)
{
	char text[ALG_ADDR_TEXT_MAX + 8];
	const char *host = p->msg + base + hp->host_off;
	size_t keep = 0;
	struct sipalg_addr old;

	/* An IPv6 host that already names the new address keeps its spelling
	 * (a routed flow: only a port may change). */
	if (p->v6 && alg_addr_parse(AF_INET6, host, hp->host_len, &old) &&
	    sipalg_addr_same_ip(&old, &p->to))
		keep = hp->host_len;
	alg_format_hostport(text, sizeof(text), &p->to, host, keep, hp->has_port, p->to.port);
	return alg_edit_add(p, base + hp->host_off, hp->end - hp->host_off, text, kind);
}

/* Rewrite a URI that sits at buf[uri_off, uri_off+uri_len), base = msg offset of buf. */
static int rewrite_uri(struct alg_plan *p, size_t base, const char *buf,
		       size_t uri_off, size_t uri_len, const osip_uri_t *url,
		       enum sipalg_edit_kind kind)
{
	struct alg_hostport hp;
	int r = uri_hostport(buf + uri_off, uri_len, &hp);

	if (r == 0)
		return 0;	/* tel:, im:... nothing of ours */
	if (r < 0 || !url)
		return alg_fail(p, SIPALG_UNPARSABLE, "URI host:port unparsable");
	hp.host_off += uri_off;
	hp.port_off += uri_off;
	hp.end += uri_off;
	if (!agrees(buf, &hp, url->host, url->port))
		return alg_fail(p, SIPALG_UNPARSABLE, "URI host:port ambiguous");
	if (!names_from(p, buf, &hp))
		return 0;
	return replace_hostport(p, base, &hp, kind);
}

int alg_rewrite_request_uri(struct alg_plan *p, struct alg_span uri)
{
	char buf[ALG_ELEM_MAX];
	osip_uri_t *url = NULL;
	struct alg_hostport hp;
	int r;

	if (!alg_mentions_from_ip(p, uri))
		return 0;
	if (!alg_copy_value(p, uri, buf, sizeof(buf)))
		return alg_fail(p, SIPALG_UNPARSABLE, "Request-URI too long");
	if (alg_sip_uri_fast(buf, uri.len, &hp)) {	/* as for URI headers */
		if (!names_from(p, buf, &hp))
			return 0;
		return replace_hostport(p, uri.off, &hp, SIPALG_EDIT_REQUEST_URI);
	}
	if (osip_uri_init(&url) != 0)
		return alg_fail(p, SIPALG_UNPARSABLE, "out of memory");
	if (osip_uri_parse(url, buf) != 0)
		r = alg_fail(p, SIPALG_UNPARSABLE, "Request-URI unparsable");
	else
		r = rewrite_uri(p, uri.off, buf, 0, uri.len, url, SIPALG_EDIT_REQUEST_URI);
	osip_uri_free(url);
	return r;
}

static bool param_is_from_ip(const struct alg_plan *p, struct alg_span v)
{
	return alg_is_from_ip(p, p->msg + v.off, v.len);
}

/* received=, rport=, maddr= as the grammar found them (offsets within elem). */
static int via_params(struct alg_plan *p, struct alg_span elem, bool sent_by_ours,
		      const struct alg_via_params *vp)
{
	struct alg_span v[ALG_VIA_NPARAMS];
	unsigned found = vp->found, k;
	bool rport_set, rport_ours, received_ours;
	uint16_t port = 0;

	for (k = 0; k < ALG_VIA_NPARAMS; k++)
		v[k] = (struct alg_span){ elem.off + vp->off[k], vp->len[k] };
	rport_set = (found & 2) && v[1].len;
	rport_ours = rport_set && alg_port_parse(p->msg + v[1].off, v[1].len, &port) &&
		     port == p->from.port;
	/* received= is an address only; with an rport= beside it, the pair names
	 * one binding, and another binding's pair (a hairpin through the same
	 * public address) is left alone. */
	received_ours = (found & 1) && param_is_from_ip(p, v[0]) && (!rport_set || rport_ours);

	/* received= is a bare address (RFC 3261: IPv6address, no brackets) */
	if (received_ours && alg_edit_addr(p, v[0].off, v[0].len, &p->to, false,
					   SIPALG_EDIT_VIA) < 0)
		return -1;
	/* rport= is a port only: change it when this Via is the binding's. */
	if ((sent_by_ours || received_ours) && rport_ours) {
		char ptext[8];

		/* rport= is the connection's own source port, never a listen_port */
		alg_format_port(ptext, p->ctx->dir == SIPALG_INBOUND ? p->ctx->binding.inside.port
								  : p->to.port);
		if (alg_edit_add(p, v[1].off, v[1].len, ptext, SIPALG_EDIT_VIA) < 0)
			return -1;
	}
	/* maddr= is a host: an IPv6 one keeps its brackets */
	if ((found & 4) && param_is_from_ip(p, v[2]))
		return alg_edit_addr(p, v[2].off, v[2].len, &p->to,
				     v[2].len && p->msg[v[2].off] == '[', SIPALG_EDIT_VIA);
	return 0;
}

int alg_rewrite_via(struct alg_plan *p, struct alg_span elem)
{
	const char *s = p->msg + elem.off;
	struct alg_hostport hp;
	struct alg_via_params vp;
	bool ours = false, top = !p->seen_via;

	p->seen_via = true;
	if (!alg_mentions_from_ip(p, elem))
		return 0;
	if (elem.len + 16 >= ALG_ELEM_MAX)	/* the limit the libosip2 copy had */
		return alg_fail(p, SIPALG_UNPARSABLE, "Via too long");
	/* The strict grammar both judges the element and finds its sent-by: no
	 * second reading to disagree with (sip_grammar.c). */
	if (!alg_via_grammar(s, elem.len, &hp, &vp))
		return alg_fail(p, SIPALG_UNPARSABLE, "Via unparsable");
	/* the sender's own address as it names it (a TCP phone's listening port) */
	if (top && alg_is_from_ip(p, s + hp.host_off, hp.host_len)) {
		uint16_t port = SIPALG_DEFAULT_PORT;

		if (!hp.has_port || alg_port_parse(s + hp.port_off, hp.port_len, &port)) {
			p->res->facts.top_via = p->from;
			p->res->facts.top_via.port = port;
		}
		/* On a connection the sender is the inside host itself: a port of
		 * its own in its Via is where it listens (binding.listen_port). */
		if (p->ctx->transport == SIPALG_TCP && p->ctx->dir == SIPALG_OUTBOUND &&
		    !p->from_alt_port && port != p->from.port)
			p->from_alt_port = port;
	}
	ours = names_from(p, s, &hp);
	if (ours && replace_hostport(p, elem.off, &hp, SIPALG_EDIT_VIA) < 0)
		return -1;
	return via_params(p, elem, ours, &vp);
}

static enum sipalg_edit_kind edit_kind(enum alg_hdr_kind kind)
{
	switch (kind) {
	case ALG_H_CONTACT: return SIPALG_EDIT_CONTACT;
	case ALG_H_ROUTE: return SIPALG_EDIT_ROUTE;
	case ALG_H_RECORD_ROUTE: return SIPALG_EDIT_RECORD_ROUTE;
	default: return SIPALG_EDIT_FROM_TO;
	}
}

/* The URI of a name-addr (inside <>) or addr-spec (up to ';') element. */
static void element_uri(const char *buf, size_t n, size_t *off, size_t *len)
{
	bool quoted = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (quoted) {
			if (buf[i] == '\\' && i + 1 < n)
				i++;
			else if (buf[i] == '"')
				quoted = false;
		} else if (buf[i] == '"') {
			quoted = true;
		} else if (buf[i] == '<') {
			const char *gt = memchr(buf + i, '>', n - i);

			*off = i + 1;
			*len = gt ? (size_t)(gt - buf) - *off : n - *off;
			return;
		}
	}
	*off = 0;
	for (i = 0; i < n && buf[i] != ';' && buf[i] != '?' && !alg_is_lws(buf[i]); i++)
		;
	*len = i;
}

int alg_rewrite_uri_header(struct alg_plan *p, struct alg_span elem, enum alg_hdr_kind kind)
{
	char buf[ALG_ELEM_MAX];
	osip_from_t *from = NULL;
	osip_contact_t *contact = NULL;
	const osip_uri_t *url = NULL;
	struct alg_hostport hp;
	size_t uoff, ulen;
	int r;

	if (!alg_mentions_from_ip(p, elem))
		return 0;
	if (!alg_copy_value(p, elem, buf, sizeof(buf)))
		return alg_fail(p, SIPALG_UNPARSABLE, "header value too long");
	/* The common forms (<sip:user@host:port>;params) by the strict grammar,
	 * which locates the host itself; anything else by libosip2 as before. */
	if (alg_uri_elem_fast(buf, elem.len, &hp)) {
		if (!names_from(p, buf, &hp))
			return 0;
		return replace_hostport(p, elem.off, &hp, edit_kind(kind));
	}
	if (kind == ALG_H_CONTACT) {
		if (osip_contact_init(&contact) != 0)
			return alg_fail(p, SIPALG_UNPARSABLE, "out of memory");
		if (osip_contact_parse(contact, buf) != 0) {
			osip_contact_free(contact);
			return alg_fail(p, SIPALG_UNPARSABLE, "Contact unparsable");
		}
		url = contact->url;
	} else {
		if (osip_from_init(&from) != 0)
			return alg_fail(p, SIPALG_UNPARSABLE, "out of memory");
		if (osip_from_parse(from, buf) != 0) {
			osip_from_free(from);
			return alg_fail(p, SIPALG_UNPARSABLE, "name-addr unparsable");
		}
		url = from->url;
	}
	element_uri(buf, elem.len, &uoff, &ulen);
	r = rewrite_uri(p, elem.off, buf, uoff, ulen, url, edit_kind(kind));
	if (contact)
		osip_contact_free(contact);
	if (from)
		osip_from_free(from);
	return r;
}
