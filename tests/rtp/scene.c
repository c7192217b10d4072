/* scene.c - see scene.h. */
#include "scene.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

struct sipalg_addr addr(const char *ip, unsigned port)
{
	struct sipalg_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(ip, ':')) {
		a.family = AF_INET6;
		inet_pton(AF_INET6, ip, &a.ip6);
	} else {
		inet_pton(AF_INET, ip, &a.ip);
	}
	a.port = (uint16_t)port;
	return a;
}

void scene_phone6(struct scene *s, const char *inside_ip)
{
	/* routed: the phone's own address on both sides of the gateway */
	s->mc.binding.inside = addr(inside_ip, 5060);
	s->mc.binding.public = s->mc.binding.inside;
	s->mc.binding.remote = addr(PROXY6, 5060);
	s->mc.master.l4proto = IPPROTO_UDP;
	s->mc.master.src = s->mc.binding.inside;
	s->mc.master.dst = s->mc.binding.remote;
	s->mc.no_nat = true;
}

void scene_phone(struct scene *s, const char *inside_ip, bool from_outside)
{
	s->mc.binding.inside = addr(inside_ip, 5060);
	s->mc.binding.public = addr(PUBLIC_IP, 5060);
	s->mc.binding.remote = addr(PROXY_IP, 5060);
	s->mc.master.l4proto = IPPROTO_UDP;
	if (from_outside) {
		/* proxy -> public:5060, DNATed to the phone */
		s->mc.master.src = s->mc.binding.remote;
		s->mc.master.dst = s->mc.binding.public;
	} else {
		s->mc.master.src = s->mc.binding.inside;
		s->mc.master.dst = s->mc.binding.remote;
	}
}

void scene_init_ops(struct scene *s, const struct rtp_config *cfg,
		    const struct rtp_kernel_ops *ops)
{
	memset(s, 0, sizeof(*s));
	if (cfg)
		s->cfg = *cfg;
	else
		rtp_config_default(&s->cfg);
	s->t = rtp_table_new(&s->cfg, ops, &s->k);
	s->mc.table = s->t;
	s->mc.now = 1000;
	scene_phone(s, PHONE_A, false);
}

void scene_init(struct scene *s, const struct rtp_config *cfg)
{
	scene_init_ops(s, cfg, &fake_ops);
}

void scene_free(struct scene *s)
{
	rtp_table_free(s->t);
	s->t = NULL;
}

static void msg_common(struct scene *s, const char *call_id, const char *from_tag,
		       const char *to_tag, unsigned cseq)
{
	struct sipalg_facts *f = &s->res.facts;

	memset(&s->res, 0, sizeof(s->res));
	s->res.status = SIPALG_OK;
	snprintf(f->call_id, sizeof(f->call_id), "%s", call_id);
	snprintf(f->from_tag, sizeof(f->from_tag), "%s", from_tag);
	snprintf(f->to_tag, sizeof(f->to_tag), "%s", to_tag ? to_tag : "");
	f->cseq = cseq;
	f->expires = -1;
}

void msg_request(struct scene *s, const char *method, const char *call_id,
		 const char *from_tag, const char *to_tag, unsigned cseq)
{
	msg_common(s, call_id, from_tag, to_tag, cseq);
	s->res.facts.is_request = true;
	snprintf(s->res.facts.method, sizeof(s->res.facts.method), "%s", method);
}

void msg_response(struct scene *s, int status, const char *method, const char *call_id,
		  const char *from_tag, const char *to_tag, unsigned cseq)
{
	msg_common(s, call_id, from_tag, to_tag, cseq);
	s->res.facts.status_code = status;
	snprintf(s->res.facts.method, sizeof(s->res.facts.method), "%s", method);
}

void msg_media(struct scene *s, const char *ip, unsigned port, unsigned flags)
{
	struct sipalg_facts *f = &s->res.facts;
	struct sipalg_media *m = &f->media[f->n_media++];

	f->has_sdp = true;
	snprintf(m->type, sizeof(m->type), "audio");
	snprintf(m->proto, sizeof(m->proto), "RTP/AVP");
	m->addr = addr(flags & M_HOLD0 ? (strchr(ip, ':') ? "::" : "0.0.0.0") : ip,
		       flags & M_DISABLED ? 0 : port);
	m->hold_zero_addr = flags & M_HOLD0;
	m->disabled = flags & M_DISABLED;
	m->rtcp_mux = flags & M_MUX;
	m->rtcp_explicit = flags & M_RTCP_ATTR;
	m->rtcp_port = (uint16_t)(m->disabled ? 0 : (flags & M_RTCP_ATTR) ? port + 3 : port + 1);
	m->dir = flags & M_SENDONLY ? SIPALG_SENDONLY
	       : flags & M_INACTIVE ? SIPALG_INACTIVE : SIPALG_SENDRECV;
}

int msg_send(struct scene *s, enum sipalg_dir dir)
{
	const struct sipalg_facts *f = &s->res.facts;
	unsigned i, before = s->k.n_calls;
	int mapped = 0;

	s->mc.dir = dir;
	/* Like the engine (alg/sdp.c rewrite_stream): only streams naming the
	 * binding's own address - the phone outbound, the public address
	 * inbound - and not disabled; outbound, a stream held at c=0.0.0.0 too
	 * (its m= port is the phone's), inbound never. */
	for (i = 0; i < f->n_media; i++) {
		const struct sipalg_media *m = &f->media[i];
		bool ours = dir == SIPALG_OUTBOUND
			? sipalg_addr_same_ip(&m->addr, &s->mc.binding.inside)
			: sipalg_addr_same_ip(&m->addr, &s->mc.binding.public);

		s->map_ret[i] = -2;	/* not asked */
		if (dir == SIPALG_OUTBOUND && m->hold_zero_addr &&
		    sipalg_addr_is_v6(&m->addr) == sipalg_addr_is_v6(&s->mc.binding.inside))
			ours = true;
		else if (m->hold_zero_addr)
			ours = false;
		if (!ours || m->disabled)
			continue;
		s->map_ret[i] = rtp_map_media(&s->mc, dir, f, i, m, &s->mapped[i],
					      &s->mapped_rtcp[i]);
		mapped += s->map_ret[i] == 0;
	}
	s->calls_during_map = s->k.n_calls - before;
	rtp_after_message(&s->mc, &s->res);
	return mapped;
}
