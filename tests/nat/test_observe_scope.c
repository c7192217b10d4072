/*
 * nat_observe_scope: mode = observe and the ALG's scope on the packet path
 * (no kernel: NFQA_CT built with libnetfilter_conntrack, verdicts recorded,
 * pinholes at the recording fake kernel of tests/rtp).
 *  - observe: the INVITE leaves byte for byte (a plain accept), the fake
 *    kernel saw no expectation, and the log names the Call-ID, the method,
 *    each change and the pinholes; the same INVITE in rewrite mode is
 *    rewritten and opens pinholes (what makes the observe checks able to fail);
 *  - a routed flow (no NAT in its conntrack) and a flow to an excluded subnet
 *    pass unchanged with no pinhole; with no_nat_pinholes the routed flow
 *    still passes unchanged but gets plain pinholes to the phone's ports;
 *  - scope.c's lists and the nft text it makes.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>

#include "fake_kernel.h"
#include "packet_path.h"
#include "path_internal.h"
#include "scope.h"
#include "splice.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* ---- verdicts as the kernel would receive them ---- */
static struct { int type; uint32_t id; uint8_t pkt[4096]; size_t len; } v[16];
static unsigned nv;

static int record(void *arg, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	(void)arg;
	for (; mnl_nlmsg_ok(nlh, rem) && nv < 16; nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct nlattr *a[NFQA_MAX + 1] = { 0 };
		struct nfqnl_msg_verdict_hdr *vh;

		nfq_nlmsg_parse(nlh, a);
		vh = mnl_attr_get_payload(a[NFQA_VERDICT_HDR]);
		v[nv].type = nlh->nlmsg_type & 0xff;
		v[nv].id = ntohl(vh->id);
		v[nv].len = 0;
		if (a[NFQA_PAYLOAD]) {
			v[nv].len = mnl_attr_get_payload_len(a[NFQA_PAYLOAD]);
			memcpy(v[nv].pkt, mnl_attr_get_payload(a[NFQA_PAYLOAD]), v[nv].len);
		}
		nv++;
	}
	return 0;
}

/* ---- the log lines observe mode writes ---- */
static char logbuf[16384];
static size_t loglen;

static void capture(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (loglen >= sizeof(logbuf) - 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen - 1, fmt, ap);
	va_end(ap);
	if (n > 0)
		loglen += (size_t)n < sizeof(logbuf) - loglen - 1 ? (size_t)n : sizeof(logbuf) - loglen - 2;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = '\0';
}

static bool logged(const char *text)
{
	return strstr(logbuf, text) != NULL;
}

/* ---- a UDP flow: inside 192.168.1.10:5060 -> far FAR:5060, as public PUB (== inside: no NAT) ---- */
static void build_ct(uint8_t *buf, const void **attrs, size_t *len, const char *inside,
		     const char *far, const char *pub)
{
	struct nf_conntrack *ct = nfct_new();
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_SRC, inet_addr(inside));
	nfct_set_attr_u32(ct, ATTR_ORIG_IPV4_DST, inet_addr(far));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(5060));
	nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(5060));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, inet_addr(far));
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, inet_addr(pub));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, htons(5060));
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, htons(5060));
	nfct_set_attr_u32(ct, ATTR_STATUS, strcmp(inside, pub) ?
			  IPS_SRC_NAT | IPS_SRC_NAT_DONE | IPS_CONFIRMED : IPS_CONFIRMED);
	nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	*attrs = (const char *)mnl_nlmsg_get_payload(nlh) + sizeof(struct nfgenmsg);
	*len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN - sizeof(struct nfgenmsg);
}

static size_t invite(uint8_t *pkt, const char *src, const char *far, const char *call_id)
{
	char sdp[256], msg[1024];
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = IPPROTO_UDP };
	struct udphdr u = { .source = htons(5060), .dest = htons(5060) };
	int sl, ml;

	sl = snprintf(sdp, sizeof(sdp),
		      "v=0\r\no=alice 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\n"
		      "t=0 0\r\nm=audio 10000 RTP/AVP 0\r\n");
	ml = snprintf(msg, sizeof(msg),
		      "INVITE sip:bob@%s SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-%s\r\n"
		      "From: <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@%s>\r\n"
		      "Call-ID: %s\r\nCSeq: 1 INVITE\r\n"
		      "Contact: <sip:alice@192.168.1.10:5060>\r\n"
		      "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		      far, call_id, far, call_id, sl, sdp);
	ip.tot_len = htons((uint16_t)(28 + ml));
	ip.saddr = inet_addr(src);	/* after SNAT: the public address */
	ip.daddr = inet_addr(far);
	u.len = htons((uint16_t)(8 + ml));
	memcpy(pkt, &ip, 20);
	memcpy(pkt + 20, &u, 8);
	memcpy(pkt + 28, msg, (size_t)ml);
	return 28 + (size_t)ml;
}

static uint8_t sent[4096];
static size_t sent_len;

/* Queue an INVITE of call_id on a flow inside -> far as pub; flush the verdicts. */
static void queue_invite(struct nat_path *p, uint32_t id, const char *inside, const char *far,
			 const char *pub, const char *call_id)
{
	static uint8_t ctbuf[4096];
	struct nat_packet np = { .id = id, .data = sent, .has_ctinfo = true,
				 .ctinfo = IP_CT_ESTABLISHED };

	sent_len = invite(sent, pub, far, call_id);
	np.len = sent_len;
	build_ct(ctbuf, &np.ct, &np.ct_len, inside, far, pub);
	nv = 0;
	nat_path_packet(p, &np);
	nat_verdicts_flush(p->verdicts);
}

/* One verdict for id, and it carries no new payload: the packet left as it came. */
static bool passed_as_is(uint32_t id)
{
	return nv == 1 && v[0].type == NFQNL_MSG_VERDICT_BATCH && v[0].id == id && v[0].len == 0;
}

static void test_scope_lists(void)
{
	struct nat_scope s = { 0 };
	char why[256], nft[2048];

	CHECK(nat_scope_is_default(&s));
	CHECK(nat_scope_parse_ifaces("wan0, ppp+", &s, why, sizeof(why)) == 0);
	CHECK(s.n_ifaces == 2 && !strcmp(s.ifaces[0], "wan0") && !strcmp(s.ifaces[1], "ppp*"));
	CHECK(nat_scope_parse_exclude("wg0 , 10.8.0.0/24,10.9.0.5", &s, why, sizeof(why)) == 0);
	CHECK(s.n_ex_ifaces == 1 && s.n_ex_nets == 2 && s.ex_nets[1].prefix == 32);
	CHECK(nat_scope_excluded_addr(&s, (struct in_addr){ inet_addr("10.8.0.77") }));
	CHECK(nat_scope_excluded_addr(&s, (struct in_addr){ inet_addr("10.9.0.5") }));
	CHECK(!nat_scope_excluded_addr(&s, (struct in_addr){ inet_addr("10.9.0.6") }));
	CHECK(!nat_scope_excluded_addr(&s, (struct in_addr){ inet_addr("10.8.1.1") }));
	CHECK(nat_scope_nft(&s, true, false, nft, sizeof(nft)) == 0);
	CHECK(strstr(nft, "\t\tiifname { \"wg0\" } return\n\t\toifname { \"wg0\" } return\n"));
	CHECK(strstr(nft, "\t\tip saddr { 10.8.0.0/24, 10.9.0.5/32 } return\n"));
	CHECK(strstr(nft, "\t\tip daddr { 10.8.0.0/24, 10.9.0.5/32 } return\n"));
	CHECK(strstr(nft, "\t\tiifname != { \"wan0\", \"ppp*\" } oifname != { \"wan0\", \"ppp*\" } return\n"));
	/* before routing: the route's interface */
	CHECK(nat_scope_nft(&s, false, false, nft, sizeof(nft)) == 0);
	CHECK(strstr(nft, "fib daddr oifname { \"wg0\" } return"));
	CHECK(nat_scope_nft(&s, false, false, nft, 40) == -1);
	/* the ip6 table: the interfaces, never the IPv4 subnets */
	CHECK(nat_scope_nft(&s, true, true, nft, sizeof(nft)) == 0);
	CHECK(strstr(nft, "\t\tiifname { \"wg0\" } return\n\t\toifname { \"wg0\" } return\n"));
	CHECK(strstr(nft, "iifname != { \"wan0\", \"ppp*\" }") && !strstr(nft, "ip saddr") &&
	      !strstr(nft, "10.8.0.0"));
	/* errors name the value */
	CHECK(nat_scope_parse_exclude("10.8.0.1/24", &s, why, sizeof(why)) == -1 &&
	      strstr(why, "host bits") && strstr(why, "10.8.0.0/24"));
	CHECK(nat_scope_parse_exclude("10.8.0.0/33", &s, why, sizeof(why)) == -1 &&
	      strstr(why, "10.8.0.0/33"));
	CHECK(nat_scope_parse_ifaces("wan 0", &s, why, sizeof(why)) == -1 && strstr(why, "wan 0"));
	CHECK(nat_scope_parse_ifaces("averyveryverylongname", &s, why, sizeof(why)) == -1);
	CHECK(nat_scope_parse_ifaces("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", &s, why, sizeof(why)) == -1 &&
	      strstr(why, "more than 16"));
	CHECK(nat_scope_parse_ifaces("", &s, why, sizeof(why)) == 0 && s.n_ifaces == 0);
}

/* IPv6 subnets in exclude: parsed, matched as addresses, each in its own nft table */
static void test_scope_lists_v6(void)
{
	struct nat_scope s = { 0 };
	struct in6_addr a;
	char why[256], nft[2048];
	struct nat_path p = { .scope = &s };
	struct nat_flow f = { 0 };

	CHECK(nat_scope_parse_exclude("wg0, fd00:8::/64, 10.8.0.0/24, 2001:DB8:5::1", &s, why,
				      sizeof(why)) == 0);
	CHECK(s.n_ex_ifaces == 1 && s.n_ex_nets == 3);
	CHECK(s.ex_nets[0].v6 && s.ex_nets[0].prefix == 64 && !s.ex_nets[1].v6 &&
	      s.ex_nets[2].v6 && s.ex_nets[2].prefix == 128);
	inet_pton(AF_INET6, "fd00:8::77:1", &a);
	CHECK(nat_scope_excluded_addr6(&s, &a));
	inet_pton(AF_INET6, "fd00:9::1", &a);
	CHECK(!nat_scope_excluded_addr6(&s, &a));
	inet_pton(AF_INET6, "2001:db8:5::1", &a);	/* as an address, not as text */
	CHECK(nat_scope_excluded_addr6(&s, &a));
	inet_pton(AF_INET6, "2001:db8:5::2", &a);
	CHECK(!nat_scope_excluded_addr6(&s, &a));
	/* the IPv4 subnet is no IPv6 one and the other way round */
	inet_pton(AF_INET6, "::ffff:10.8.0.1", &a);
	CHECK(!nat_scope_excluded_addr6(&s, &a));
	CHECK(nat_scope_excluded_addr(&s, (struct in_addr){ inet_addr("10.8.0.1") }));
	CHECK(!nat_scope_excluded_addr(&s, (struct in_addr){ inet_addr("253.0.0.8") }));
	/* each table, its own family's subnets */
	CHECK(nat_scope_nft(&s, true, true, nft, sizeof(nft)) == 0);
	CHECK(strstr(nft, "\t\tip6 saddr { fd00:8::/64, 2001:db8:5::1/128 } return\n"));
	CHECK(strstr(nft, "\t\tip6 daddr { fd00:8::/64, 2001:db8:5::1/128 } return\n"));
	CHECK(!strstr(nft, "10.8.0.0") && !strstr(nft, "ip saddr"));
	CHECK(nat_scope_nft(&s, true, false, nft, sizeof(nft)) == 0);
	CHECK(strstr(nft, "\t\tip saddr { 10.8.0.0/24 } return\n") && !strstr(nft, "fd00") &&
	      !strstr(nft, "ip6"));
	/* a routed IPv6 flow with an end in an excluded subnet is out of scope (no
	 * pinholes); any other routed IPv6 flow is in */
	f.binding.inside.family = f.binding.remote.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:1::10", &f.binding.inside.ip6);
	inet_pton(AF_INET6, "2001:db8:113::20", &f.binding.remote.ip6);
	CHECK(!nat_path_out_of_scope(&p, &f));
	inet_pton(AF_INET6, "fd00:8::2", &f.binding.remote.ip6);
	CHECK(nat_path_out_of_scope(&p, &f));
	inet_pton(AF_INET6, "2001:db8:113::20", &f.binding.remote.ip6);
	inet_pton(AF_INET6, "2001:db8:5::1", &f.binding.inside.ip6);
	CHECK(nat_path_out_of_scope(&p, &f));
	/* errors name the value */
	CHECK(nat_scope_parse_exclude("fd00:8::1/64", &s, why, sizeof(why)) == -1 &&
	      strstr(why, "host bits") && strstr(why, "fd00:8::/64"));
	CHECK(nat_scope_parse_exclude("fd00:8::/129", &s, why, sizeof(why)) == -1 &&
	      strstr(why, "fd00:8::/129"));
	CHECK(nat_scope_parse_exclude("fd00::8::1", &s, why, sizeof(why)) == -1 &&
	      strstr(why, "bad subnet"));
	CHECK(nat_scope_parse_exclude("fd00:8::/", &s, why, sizeof(why)) == -1);
	/* a /0 and bits in the last byte of a prefix that is no multiple of 8 */
	CHECK(nat_scope_parse_exclude("2001:db8::80/121", &s, why, sizeof(why)) == 0);
	inet_pton(AF_INET6, "2001:db8::ff", &a);
	CHECK(nat_scope_excluded_addr6(&s, &a));
	inet_pton(AF_INET6, "2001:db8::7f", &a);
	CHECK(!nat_scope_excluded_addr6(&s, &a));
	CHECK(nat_scope_parse_exclude("::/0", &s, why, sizeof(why)) == 0 &&
	      nat_scope_excluded_addr6(&s, &a));
	CHECK(nat_scope_parse_exclude("2001:db8::40/121", &s, why, sizeof(why)) == -1);
}

int main(void)
{
	struct sipalg_switches sw;
	struct nat_verdicts verdicts;
	struct nat_path p = { 0 };
	struct rtp_config rc;
	struct nat_scope scope = { 0 };
	static struct fake_kernel kernel;
	char why[128];

	test_scope_lists();
	test_scope_lists_v6();

	sipalg_switches_default(&sw);
	rtp_config_default(&rc);
	fake_reset(&kernel);
	CHECK(nat_verdicts_init(&verdicts, 0, 256 * 1024, record, NULL) == 0);
	p.sw = &sw;
	p.udp = p.tcp = true;
	p.verdicts = &verdicts;
	p.log_info = capture;
	p.rtp = rtp_table_new(&rc, &fake_ops, &kernel);
	CHECK(p.rtp != NULL);
	CHECK(nat_path_init(&p) == 0);

	/* observe: byte for byte, no expectation, and the plan in the log */
	p.observe = true;
	queue_invite(&p, 1, "192.168.1.10", "203.0.113.2", "203.0.113.1", "obs-1@pc");
	CHECK(passed_as_is(1));
	CHECK(fake_count(&kernel, 'C') == 0 && kernel.n_live == 0);
	CHECK(p.c.rewritten == 0 && p.c.observed == 1 && p.c.observed_pinholes == 1);
	CHECK(p.c.observed_edits >= 4);		/* Via, Contact, o=, c= */
	CHECK(logged("observe INVITE [obs-1@pc]: would change via \"192.168.1.10:5060\" to \"203.0.113.1:5060\""));
	CHECK(logged("observe INVITE [obs-1@pc]: would change contact"));
	CHECK(logged("observe INVITE [obs-1@pc]: would change sdp-connection \"192.168.1.10\" to \"203.0.113.1\""));
	CHECK(logged("observe INVITE [obs-1@pc]: would open pinholes: audio stream 0, 203.0.113.1:<pool port> -> inside 192.168.1.10:10000 (RTP)"));
	CHECK(logged("observe INVITE [obs-1@pc]: would change m=audio port 10000"));
	CHECK(logged("observe INVITE [obs-1@pc]: outbound 192.168.1.10:5060 -> 203.0.113.2:5060"));
	if (failures)
		fprintf(stderr, "--- log\n%s", logbuf);

	/* the same INVITE in rewrite mode: rewritten, pinholes opened (the checks above can fail) */
	p.observe = false;
	loglen = 0;
	logbuf[0] = '\0';
	queue_invite(&p, 2, "192.168.1.10", "203.0.113.2", "203.0.113.1", "rw-1@pc");
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT && v[0].len > 0);
	CHECK(!memmem(v[0].pkt, v[0].len, "192.168.1.10", 12));
	CHECK(fake_count(&kernel, 'C') >= 1);
	CHECK(loglen == 0);		/* rewrite mode says nothing per message at info */

	/* a routed flow (VPN peer, no NAT): left alone, no pinhole */
	{
		unsigned created = fake_count(&kernel, 'C');

		queue_invite(&p, 3, "192.168.1.10", "10.8.0.5", "192.168.1.10", "vpn-1@pc");
		CHECK(passed_as_is(3));
		CHECK(p.c.out_of_scope == 1 && fake_count(&kernel, 'C') == created);
	}

	/* no_nat_pinholes: the routed flow keeps its bytes but gets plain pinholes to the
	 * phone's own ports (no pool port, no NAT, no expect function) */
	{
		const struct rtp_expect *e;

		scope.no_nat_pinholes = true;
		p.scope = &scope;
		queue_invite(&p, 6, "192.168.1.10", "10.8.0.5", "192.168.1.10", "vpn-2@pc");
		CHECK(passed_as_is(6) && p.c.out_of_scope == 1);
		e = fake_find_dst(&kernel, "192.168.1.10", 10000);
		CHECK(e != NULL);
		CHECK(e && !e->nat && e->fn == NULL && e->src_any_addr);
		CHECK(fake_find_dst(&kernel, "192.168.1.10", 10001) != NULL);	/* RTCP */
		scope.no_nat_pinholes = false;
	}

	/* a NATed flow to an excluded subnet: left alone too; another subnet still helped */
	CHECK(nat_scope_parse_exclude("198.51.100.0/24", &scope, why, sizeof(why)) == 0);
	p.scope = &scope;
	queue_invite(&p, 4, "192.168.1.10", "198.51.100.7", "203.0.113.1", "ex-1@pc");
	CHECK(passed_as_is(4) && p.c.out_of_scope == 2);
	queue_invite(&p, 5, "192.168.1.10", "203.0.113.2", "203.0.113.1", "rw-2@pc");
	CHECK(nv == 1 && v[0].type == NFQNL_MSG_VERDICT && v[0].len > 0 && p.c.out_of_scope == 2);
	CHECK(p.c.internal_errors == 0);

	nat_path_free(&p);
	rtp_table_free(p.rtp);
	nat_verdicts_free(&verdicts);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
