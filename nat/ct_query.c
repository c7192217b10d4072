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

static void set_orig(struct nf_conntrack *ct, uint8_t proto, uint32_t src, uint16_t sport,
		     uint32_t dst, uint16_t dport)
{
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, proto);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, src);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, dst);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(sport));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(dport));
}

int nat_ct_lookup(struct nat_ct *c, const struct nat_l4 *l4,
		  struct nf_conntrack *out, bool *reply_dir)
{
	struct nf_conntrack *q = nfct_new();
	int ret;

	if (!q)
		return -1;
	/* The kernel finds a conntrack by either direction's tuple. */
	set_orig(q, l4->proto, l4->daddr, l4->dport, l4->saddr, l4->sport);
	c->found = out;
	c->got = false;
	nfct_callback_register(c->h, NFCT_T_ALL, get_cb, c);
	ret = nfct_query(c->h, NFCT_Q_GET, q);
	nfct_callback_unregister(c->h);
	c->found = NULL;
	nfct_destroy(q);
	/* out is reused between packets: only an answer to this query counts */
	if (ret < 0 || !c->got || !nfct_attr_is_set(out, ATTR_REPL_IPV4_SRC))
		return -1;
	/* Matching the reply tuple means the packet went the original way. */
	*reply_dir = !(nfct_get_attr_u32(out, ATTR_REPL_IPV4_SRC) == l4->daddr &&
		       ntohs(nfct_get_attr_u16(out, ATTR_REPL_PORT_SRC)) == l4->dport &&
		       nfct_get_attr_u32(out, ATTR_REPL_IPV4_DST) == l4->saddr &&
		       ntohs(nfct_get_attr_u16(out, ATTR_REPL_PORT_DST)) == l4->sport);
	return 0;
}

int nat_ct_set_timeout(struct nat_ct *c, const struct rtp_master *m, unsigned timeout)
{
	struct nf_conntrack *ct = nfct_new();
	int ret;

	if (!ct)
		return -ENOMEM;
	set_orig(ct, m->l4proto, m->src.ip.s_addr, m->src.port, m->dst.ip.s_addr, m->dst.port);
	if (m->zone)
		nfct_set_attr_u16(ct, ATTR_ZONE, m->zone);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
	ret = nfct_query(c->h, NFCT_Q_UPDATE, ct);
	nfct_destroy(ct);
	return ret < 0 ? -errno : 0;
}
