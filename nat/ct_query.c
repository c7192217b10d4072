/* ct_query.c - ctnetlink lookups and timeout updates; see ct_query.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "ct_query.h"

#define CT_WAIT_MS 200

struct nat_ct {
	struct nfct_handle *h;
	struct nf_conntrack *found;	/* filled by the GET callback */
	bool got;			/* ...and whether it was */
};

struct nat_ct *nat_ct_open(void)
{
	struct nat_ct *c = calloc(1, sizeof(*c));
	struct timeval wait = { .tv_usec = CT_WAIT_MS * 1000 };

	if (!c)
		return NULL;
	c->h = nfct_open(CONNTRACK, 0);
	if (!c->h) {
		free(c);
		return NULL;
	}
	/* A lookup or update runs in the packet loop: an answer that does not
	 * come fails it after CT_WAIT_MS (counted by the caller) instead. */
	(void)setsockopt(nfct_fd(c->h), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	return c;
}

void nat_ct_close(struct nat_ct *c)
{
	if (!c)
		return;
	nfct_close(c->h);
	free(c);
}

static int get_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct nat_ct *c = data;

	(void)type;
	if (c->found) {
		nfct_copy(c->found, ct, NFCT_CP_OVERRIDE);
		c->got = true;
	}
	/* CONTINUE, not STOP: the ACK behind the answer must be read too, or
	 * each query leaves one in the socket until it overflows (ENOBUFS). */
	return NFCT_CB_CONTINUE;
}

/* The original tuple src -> dst of either family (ports in host order). */
static void set_orig(struct nf_conntrack *ct, uint8_t proto, const struct sipalg_addr *src,
		     const struct sipalg_addr *dst)
{
	bool v6 = sipalg_addr_is_v6(src);

	nfct_set_attr_u8(ct, ATTR_L3PROTO, v6 ? AF_INET6 : AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	if (v6) {
		nfct_set_attr(ct, ATTR_IPV6_SRC, &src->ip6);
		nfct_set_attr(ct, ATTR_IPV6_DST, &dst->ip6);
	} else {
		nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src->ip.s_addr);
		nfct_set_attr_u32(ct, ATTR_IPV4_DST, dst->ip.s_addr);
	}
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(src->port));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(dst->port));
}

/* The packet's ends as addresses of its family. */
static void l4_ends(const struct nat_l4 *l4, struct sipalg_addr *s, struct sipalg_addr *d)
{
	memset(s, 0, sizeof(*s));
	memset(d, 0, sizeof(*d));
	if (l4->family == AF_INET6) {
		s->family = d->family = AF_INET6;
		s->ip6 = l4->saddr6;
		d->ip6 = l4->daddr6;
	} else {
		s->ip.s_addr = l4->saddr;
		d->ip.s_addr = l4->daddr;
	}
	s->port = l4->sport;
	d->port = l4->dport;
}

/* Does the conntrack's reply tuple end at (src, dst)? */
static bool reply_is(const struct nf_conntrack *ct, const struct sipalg_addr *src,
		     const struct sipalg_addr *dst)
{
	if (ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC)) != src->port ||
	    ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST)) != dst->port)
		return false;
	if (sipalg_addr_is_v6(src))
		return !memcmp(nfct_get_attr(ct, ATTR_REPL_IPV6_SRC), &src->ip6, 16) &&
		       !memcmp(nfct_get_attr(ct, ATTR_REPL_IPV6_DST), &dst->ip6, 16);
	return nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC) == src->ip.s_addr &&
	       nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST) == dst->ip.s_addr;
}

int nat_ct_lookup(struct nat_ct *c, const struct nat_l4 *l4,
		  struct nf_conntrack *out, bool *reply_dir)
{
	struct nf_conntrack *q = nfct_new();
	struct sipalg_addr s, d;
	int ret;

	if (!q)
		return -1;
	l4_ends(l4, &s, &d);
	/* The kernel finds a conntrack by either direction's tuple. */
	set_orig(q, l4->proto, &d, &s);
	c->found = out;
	c->got = false;
	nfct_callback_register(c->h, NFCT_T_ALL, get_cb, c);
	ret = nfct_query(c->h, NFCT_Q_GET, q);
	nfct_callback_unregister(c->h);
	c->found = NULL;
	nfct_destroy(q);
	/* out is reused between packets: only an answer to this query counts */
	if (ret < 0 || !c->got ||
	    !nfct_attr_is_set(out, l4->family == AF_INET6 ? ATTR_REPL_IPV6_SRC : ATTR_REPL_IPV4_SRC) ||
	    !nfct_attr_is_set(out, l4->family == AF_INET6 ? ATTR_REPL_IPV6_DST : ATTR_REPL_IPV4_DST))
		return -1;
	/* Matching the reply tuple means the packet went the original way. */
	*reply_dir = !reply_is(out, &d, &s);
	return 0;
}

int nat_ct_set_timeout(struct nat_ct *c, const struct rtp_master *m, unsigned timeout)
{
	struct nf_conntrack *ct = nfct_new();
	int ret;

	if (!ct)
		return -ENOMEM;
	set_orig(ct, m->l4proto, &m->src, &m->dst);
	if (m->zone)
		nfct_set_attr_u16(ct, ATTR_ZONE, m->zone);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
	ret = nfct_query(c->h, NFCT_Q_UPDATE, ct);
	nfct_destroy(ct);
	return ret < 0 ? -errno : 0;
}
