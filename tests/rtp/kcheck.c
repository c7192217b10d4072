/*
 * kcheck.c - test-only driver for the kernel check (kernel_check.sh): the
 * real pinhole layer (rtp_table + expect_nl.c) against a real kernel.
 *
 *   rtp_kcheck helper-add NAME POLICIES   register a userspace conntrack helper
 *   rtp_kcheck helper-del NAME            ... and remove it
 *   rtp_kcheck call FN CLASS PORT_MIN PORT_MAX INSIDE PROXY PUBLIC FAR
 *       reads commands on stdin, one per line, answers one line each:
 *       offer PORT (the phone's INVITE), answer PORT (the far 200 OK),
 *       bye, stats, quit; classes K (use K expectation classes from CLASS on);
 *       trunk N (N more calls on the same flow, offers only, ports from 20000).
 *
 * The helper is registered with status "disabled": the kernel then accepts
 * the master's packets without queueing them (no NFQUEUE reader needed here),
 * yet the master carries the helper, which is what ctnetlink requires before
 * it accepts expectations (DESIGN.md fact 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_cthelper/libnetfilter_cthelper.h>
#include <linux/netfilter/nfnetlink.h>

#include "expect_nl.h"
#include "rtp.h"

static int helper_msg(const char *name, int n_policies, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct nfct_helper *h = nfct_helper_alloc();
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL);
	int i, ret = -1;

	if (!nl || !h || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return -1;
	}
	nfct_helper_attr_set_str(h, NFCTH_ATTR_NAME, name);
	nfct_helper_attr_set_u16(h, NFCTH_ATTR_PROTO_L3NUM, AF_INET);
	nfct_helper_attr_set_u8(h, NFCTH_ATTR_PROTO_L4NUM, IPPROTO_UDP);
	if (add) {
		nfct_helper_attr_set_u32(h, NFCTH_ATTR_QUEUE_NUM, 7);
		nfct_helper_attr_set_u32(h, NFCTH_ATTR_PRIV_DATA_LEN, 0);
		nfct_helper_attr_set_u32(h, NFCTH_ATTR_STATUS, NFCT_HELPER_STATUS_DISABLED);
		for (i = 0; i < n_policies && i < 4; i++) {
			struct nfct_helper_policy *p = nfct_helper_policy_alloc();
			char pname[16];

			snprintf(pname, sizeof(pname), "class%d", i);
			nfct_helper_policy_attr_set_str(p, NFCTH_ATTR_POLICY_NAME, pname);
			nfct_helper_policy_attr_set_u32(p, NFCTH_ATTR_POLICY_TIMEOUT, 300);
			/* 255: the kernel's cap, and sipalgd's default max_expected */
			nfct_helper_policy_attr_set_u32(p, NFCTH_ATTR_POLICY_MAX, 255);
			nfct_helper_attr_set(h, NFCTH_ATTR_POLICY1 + i, p);
		}
	}
	nlh = nfct_helper_nlmsg_build_hdr(buf, add ? NFNL_MSG_CTHELPER_NEW : NFNL_MSG_CTHELPER_DEL,
					  NLM_F_ACK | (add ? NLM_F_CREATE : 0), seq);
	nfct_helper_nlmsg_build_payload(nlh, h);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n >= 0 && mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl),
					 NULL, NULL) >= 0)
			ret = 0;
	}
	if (ret)
		fprintf(stderr, "helper %s %s: %s\n", add ? "add" : "del", name, strerror(errno));
	nfct_helper_free(h);
	mnl_socket_close(nl);
	return ret;
}

static struct sipalg_addr parse_addr(const char *s)
{
	struct sipalg_addr a;
	char ip[64];
	const char *colon = strchr(s, ':');

	memset(&a, 0, sizeof(a));
	snprintf(ip, sizeof(ip), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, ip, &a.ip) != 1) {
		fprintf(stderr, "bad address '%s'\n", s);
		exit(2);
	}
	a.port = colon ? (uint16_t)atoi(colon + 1) : 0;
	return a;
}

static struct sipalg_result res;	/* large */

static void message_call(bool request, const char *method, int status,
			 struct sipalg_addr *media, const char *call_id)
{
	memset(&res, 0, sizeof(res));
	res.status = SIPALG_OK;
	res.facts.is_request = request;
	res.facts.status_code = status;
	snprintf(res.facts.method, sizeof(res.facts.method), "%s", method);
	snprintf(res.facts.call_id, sizeof(res.facts.call_id), "%s", call_id);
	snprintf(res.facts.from_tag, sizeof(res.facts.from_tag), "phone");
	snprintf(res.facts.to_tag, sizeof(res.facts.to_tag), "%s", request ? "" : "far");
	res.facts.cseq = 1;
	if (media) {
		struct sipalg_media *m = &res.facts.media[0];

		res.facts.has_sdp = true;
		res.facts.n_media = 1;
		snprintf(m->type, sizeof(m->type), "audio");
		snprintf(m->proto, sizeof(m->proto), "RTP/AVP");
		m->addr = *media;
		m->rtcp_port = (uint16_t)(media->port + 1);
		m->dir = SIPALG_SENDRECV;
	}
}

static void message(bool request, const char *method, int status, struct sipalg_addr *media)
{
	message_call(request, method, status, media, "kcheck-call");
}

static int call(int argc, char **argv)
{
	struct rtp_config cfg;
	struct rtp_msg mc;
	struct rtp_nl *nl;
	struct rtp_table *t;
	struct sipalg_addr inside, proxy, public, far;
	char line[128];
	uint16_t last_public = 0;
	int err;

	if (argc != 10) {
		fprintf(stderr, "usage: rtp_kcheck call FN CLASS PORT_MIN PORT_MAX INSIDE:SIP PROXY:SIP PUBLIC FAR\n");
		return 2;
	}
	rtp_config_default(&cfg);
	snprintf(cfg.expect_fn, sizeof(cfg.expect_fn), "%s", strcmp(argv[2], "-") ? argv[2] : "");
	cfg.expect_class = (uint32_t)atoi(argv[3]);
	cfg.expect_classes = 1;	/* exactly the class asked for */
	/* The trunk is one inside host (a PBX): caps an operator raises for it. */
	cfg.max_dialogs_per_host = cfg.max_dialogs;
	cfg.max_pairs_per_host = 32768;
	cfg.port_min = (uint16_t)atoi(argv[4]);
	cfg.port_max = (uint16_t)atoi(argv[5]);
	inside = parse_addr(argv[6]);
	proxy = parse_addr(argv[7]);
	public = parse_addr(argv[8]);
	far = parse_addr(argv[9]);
	nl = rtp_nl_open(&err);
	if (!nl) {
		fprintf(stderr, "ctnetlink: %s\n", strerror(-err));
		return 1;
	}
	t = rtp_table_new(&cfg, &rtp_nl_ops, nl);
	memset(&mc, 0, sizeof(mc));
	mc.table = t;
	mc.master.src = inside;
	mc.master.dst = proxy;
	mc.master.l4proto = IPPROTO_UDP;
	mc.binding.inside = inside;
	mc.binding.public = public;
	mc.binding.public.port = inside.port;
	mc.binding.remote = proxy;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		unsigned port = 0;
		char cmd[32] = "";
		const struct rtp_stats *s = rtp_table_stats(t);

		if (sscanf(line, "%31s %u", cmd, &port) < 1)
			continue;
		mc.now = time(NULL);
		if (!strcmp(cmd, "offer")) {
			struct sipalg_addr media = inside, out;
			uint16_t out_rtcp;
			int r;

			media.port = (uint16_t)port;
			message(true, "INVITE", 0, &media);
			mc.dir = SIPALG_OUTBOUND;
			r = rtp_map_media(&mc, SIPALG_OUTBOUND, &res.facts, 0, &res.facts.media[0],
					  &out, &out_rtcp);
			rtp_after_message(&mc, &res);
			if (r == 0)
				last_public = out.port;
			printf("offer mapped=%d public_port=%u created=%llu failed=%llu last_error=%d\n",
			       r, r == 0 ? out.port : 0, (unsigned long long)s->expect_created,
			       (unsigned long long)s->expect_failed, s->last_error);
		} else if (!strcmp(cmd, "answer")) {
			struct sipalg_addr media = far;

			media.port = (uint16_t)port;
			message(false, "INVITE", 200, &media);
			mc.dir = SIPALG_INBOUND;
			rtp_after_message(&mc, &res);
			printf("answer created=%llu failed=%llu removed=%llu last_error=%d\n",
			       (unsigned long long)s->expect_created,
			       (unsigned long long)s->expect_failed,
			       (unsigned long long)s->expect_removed, s->last_error);
		} else if (!strcmp(cmd, "gap")) {
			/* The first half of narrowing (pinholes.c side_sync): the
			 * wide inbound RTP/RTCP pinholes of the last offer are
			 * deleted; the narrow ones follow with "answer". Between the
			 * two the far end's media finds no expectation. */
			struct rtp_expect e;
			int d[2];

			for (int i = 0; i < 2; i++) {
				memset(&e, 0, sizeof(e));
				e.master = mc.master;
				e.l4proto = IPPROTO_UDP;
				e.src_any_addr = e.src_any_port = true;
				e.dst = public;
				e.dst.port = (uint16_t)(last_public + i);
				d[i] = rtp_nl_ops.expect_delete(nl, &e);
			}
			printf("gap deleted rtp=%d rtcp=%d\n", d[0], d[1]);
		} else if (!strcmp(cmd, "orphan")) {
			/* A pinhole for a master flow that does not exist: the
			 * requests go without NLM_F_ACK, so this ENOENT is the
			 * kernel's error answer, read back by expect_nl.c, and
			 * a create next to it (the live master) is still 0. */
			struct rtp_expect e[2];
			struct rtp_expect_op ops[2];

			for (int i = 0; i < 2; i++) {
				memset(&e[i], 0, sizeof(e[i]));
				e[i].master = mc.master;
				e[i].l4proto = IPPROTO_UDP;
				e[i].src_any_addr = e[i].src_any_port = true;
				e[i].dst = public;
				e[i].dst.port = (uint16_t)(port + 2 * i);
				e[i].timeout = 60;
				ops[i] = (struct rtp_expect_op){ .create = true, .e = &e[i] };
			}
			e[0].master.src.port = (uint16_t)(e[0].master.src.port + 1);	/* no such flow */
			rtp_nl_ops.expect_batch(nl, ops, 2);
			printf("orphan err=%d live_master_err=%d\n", ops[0].err, ops[1].err);
			(void)rtp_nl_ops.expect_delete(nl, &e[1]);
		} else if (!strcmp(cmd, "bye")) {
			message(true, "BYE", 0, NULL);
			mc.dir = SIPALG_OUTBOUND;
			rtp_after_message(&mc, &res);
			printf("bye removed=%llu delete_failed=%llu live=%u\n",
			       (unsigned long long)s->expect_removed,
			       (unsigned long long)s->expect_delete_failed, s->dialogs_live);
		} else if (!strcmp(cmd, "classes")) {
			cfg.expect_classes = port;
			printf("classes %d\n", rtp_table_reconfigure(t, &cfg));
		} else if (!strcmp(cmd, "trunk")) {
			/* port = how many calls; each offers its own phone port. */
			unsigned i, mapped = 0;

			for (i = 0; i < port; i++) {
				struct sipalg_addr media = inside, out;
				uint16_t out_rtcp;
				char cid[32];

				snprintf(cid, sizeof(cid), "trunk-%u-%ld", i, (long)mc.now);
				media.port = (uint16_t)(20000 + 2 * i);
				message_call(true, "INVITE", 0, &media, cid);
				mc.dir = SIPALG_OUTBOUND;
				mapped += rtp_map_media(&mc, SIPALG_OUTBOUND, &res.facts, 0,
							&res.facts.media[0], &out, &out_rtcp) == 0;
				rtp_after_message(&mc, &res);
			}
			printf("trunk mapped=%u created=%llu failed=%llu live=%u last_error=%d\n",
			       mapped, (unsigned long long)s->expect_created,
			       (unsigned long long)s->expect_failed, s->dialogs_live, s->last_error);
		} else if (!strcmp(cmd, "stats")) {
			rtp_table_dump(t, stdout);
			printf("end\n");
		} else if (!strcmp(cmd, "quit")) {
			break;
		} else {
			printf("unknown command %s\n", cmd);
		}
	}
	rtp_table_free(t);
	rtp_nl_close(nl);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "helper-add"))
		return helper_msg(argv[2], atoi(argv[3]), true) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "helper-del"))
		return helper_msg(argv[2], 0, false) ? 1 : 0;
	if (argc >= 2 && !strcmp(argv[1], "call"))
		return call(argc, argv);
	fprintf(stderr, "usage: rtp_kcheck helper-add NAME POLICIES | helper-del NAME | call ...\n");
	return 2;
}
