/* ct_flush.c - delete the SIP conntracks of a lost public address; see ct_flush.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct_flush.h"

struct flush {
	uint32_t addr;
	const uint16_t *ports;
	unsigned n_ports;
	struct nf_conntrack **found;
	unsigned n_found;
};

static bool sip_port(const struct flush *f, uint16_t port)
{
	unsigned i;

	for (i = 0; i < f->n_ports; i++)
		if (f->ports[i] == port)
			return true;
	return false;
}

static int match_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct flush *f = data;
	uint8_t proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);

	(void)type;
	if (f->n_found >= NAT_CT_FLUSH_MAX || (proto != IPPROTO_UDP && proto != IPPROTO_TCP))
		return NFCT_CB_CONTINUE;
	if (!sip_port(f, ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST))) &&
	    !sip_port(f, ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC))))
		return NFCT_CB_CONTINUE;
	if (nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST) != f->addr &&
	    nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST) != f->addr)
		return NFCT_CB_CONTINUE;
	f->found[f->n_found] = nfct_clone(ct);
	if (f->found[f->n_found])
		f->n_found++;
	return NFCT_CB_CONTINUE;
}

int nat_ct_flush_public(uint32_t addr, const uint16_t *ports, unsigned n)
{
	struct flush f = { .addr = addr, .ports = ports, .n_ports = n };
	struct timeval wait = { .tv_sec = 2 };	/* a dump of a big table takes a while */
	uint32_t family = AF_INET;
	struct nfct_handle *h;
	int deleted = 0, e = 0;
	unsigned i;

	f.found = calloc(NAT_CT_FLUSH_MAX, sizeof(*f.found));
	h = nfct_open(CONNTRACK, 0);
	if (!f.found || !h) {
		e = -errno;
		goto out;
	}
	(void)setsockopt(nfct_fd(h), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
	/* Collect first: no request may go out on the handle during its dump. */
	nfct_callback_register(h, NFCT_T_ALL, match_cb, &f);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		e = -errno;
	nfct_callback_unregister(h);
	for (i = 0; i < f.n_found; i++) {
		if (nfct_query(h, NFCT_Q_DESTROY, f.found[i]) == 0)
			deleted++;
		nfct_destroy(f.found[i]);
	}
out:
	if (h)
		nfct_close(h);
	free(f.found);
	return e && !deleted ? e : deleted;
}
