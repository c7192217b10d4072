/* nat_rules: the nft ruleset text for helper and degraded mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "scope.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* configs/sipalgd.nft must be what the daemon installs by default. */
static void shipped_file_matches(void)
{
	static const uint16_t port = 5060;
	struct nat_rules_conf c = { .helper_name = "sipalg", .ports = &port, .n_ports = 1,
				    .udp = true, .tcp = true, .media_guard = true,
				    .media_min = 10000, .media_max = 20000 };
	char want[4096], got[4096], line[512];
	size_t n = 0;
	FILE *f = fopen(SHIPPED_NFT, "r");

	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && line[0] != '\n' && n + strlen(line) < sizeof(got)) {
			memcpy(got + n, line, strlen(line));
			n += strlen(line);
		}
	got[n] = '\0';
	fclose(f);
	CHECK(nat_rules_text(&c, want, sizeof(want)) == 0);
	CHECK(strcmp(want, got) == 0);
}

int main(void)
{
	static const uint16_t ports[] = { 5060, 5080 };
	struct nat_rules_conf c = { .helper_name = "sipalg", .queue_num = 3, .ports = ports,
				    .n_ports = 2, .udp = true, .tcp = true };
	char buf[4096], tiny[64];

	CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, "table ip sipalgd {") != NULL);
	/* IPv6: the same rules in table ip6, helper objects of the AF_INET6 helper */
	CHECK(strstr(buf, "}\ntable ip6 sipalgd {\n") != NULL);
	CHECK(strstr(buf, "ct helper sip-udp {\n\t\ttype \"sipalg\" protocol udp\n\t\tl3proto ip6\n") != NULL);
	{
		const char *v6 = strstr(buf, "table ip6 sipalgd {");

		CHECK(v6 && strstr(v6, "udp dport { 5060, 5080 } ct helper set \"sip-udp\"") &&
		      strstr(v6, "hook prerouting") && strstr(v6, "hook output") &&
		      !strstr(v6, "l3proto ip\n"));
	}
	CHECK(strstr(buf, "ct helper sip-udp {\n\t\ttype \"sipalg\" protocol udp\n\t\tl3proto ip") != NULL);
	CHECK(strstr(buf, "ct helper sip-tcp {\n\t\ttype \"sipalg\" protocol tcp") != NULL);
	CHECK(strstr(buf, "udp dport { 5060, 5080 } ct helper set \"sip-udp\"") != NULL);
	CHECK(strstr(buf, "tcp dport { 5060, 5080 } ct helper set \"sip-tcp\"") != NULL);
	CHECK(strstr(buf, "hook prerouting") && strstr(buf, "hook output"));
	CHECK(!strstr(buf, "\"sip\""));		/* never the kernel's helper */
	CHECK(!strstr(buf, "sip_queue"));
	CHECK(!strstr(buf, "hook input"));		/* no guard unless asked */

	c.media_guard = true;
	c.media_min = 16384;
	c.media_max = 32767;
	CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, "\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"
			  "\t\tudp dport 16384-32767 ct state new counter drop\n\t}\n") != NULL);
	CHECK(strstr(buf, "table ip6 sipalgd") &&	/* both families guarded */
	      strstr(strstr(buf, "table ip6 sipalgd"), "udp dport 16384-32767 ct state new counter drop"));

	c.tcp = false;
	CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
	CHECK(!strstr(buf, "tcp"));

	c.degraded = true;
	CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
	CHECK(!strstr(buf, "ct helper"));
	CHECK(strstr(buf, "hook postrouting priority srcnat + 1") != NULL);
	CHECK(strstr(buf, "udp dport { 5060, 5080 } ct state new jump sip_queue_new") != NULL);
	CHECK(strstr(buf, "udp sport { 5060, 5080 } jump sip_queue") != NULL);
	CHECK(!strstr(buf, "hook input"));		/* no pinholes, nothing to guard */

	/* scope (scope.h): out-of-scope packets return before the queue jumps */
	{
		struct nat_scope sc = { 0 };
		char why[128];

		CHECK(nat_scope_parse_exclude("tun0, 10.8.0.0/24", &sc, why, sizeof(why)) == 0);
		CHECK(nat_scope_parse_ifaces("wan0", &sc, why, sizeof(why)) == 0);
		c.scope = &sc;
		CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
		CHECK(strstr(buf, "priority srcnat + 1; policy accept;\n\t\tiifname { \"tun0\" } return\n"
				  "\t\toifname { \"tun0\" } return\n") != NULL);
		CHECK(strstr(buf, "\t\tiifname != { \"wan0\" } oifname != { \"wan0\" } return\n"
				  "\t\tudp dport { 5060, 5080 } ct state new jump sip_queue_new") != NULL);
		c.degraded = false;	/* helper mode: prerouting asks the route, output knows */
		CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
		CHECK(strstr(buf, "priority filter; policy accept;\n\t\tiifname { \"tun0\" } return\n"
				  "\t\tfib daddr oifname { \"tun0\" } return\n") != NULL);
		CHECK(strstr(buf, "hook output priority filter; policy accept;\n\t\tiifname { \"tun0\" } return\n"
				  "\t\toifname { \"tun0\" } return\n") != NULL);
		CHECK(strstr(buf, "ip daddr { 10.8.0.0/24 } return\n"));
		/* ip6: the interfaces return too, the IPv4 subnets have no rule there */
		CHECK(strstr(buf, "table ip6 sipalgd") &&
		      strstr(strstr(buf, "table ip6 sipalgd"), "fib daddr oifname { \"tun0\" } return\n") &&
		      !strstr(strstr(buf, "table ip6 sipalgd"), "10.8.0.0"));
		c.scope = NULL;
		c.degraded = true;
	}

	/* workers = 3 (docs/workers.md): a helper per queue, picked once per flow;
	 * degraded: UDP balanced, TCP kept on the first queue */
	c.n_queues = 3;
	c.tcp = true;
	c.degraded = false;
	CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, "ct helper sip-udp-2 {\n\t\ttype \"sipalg-2\" protocol udp") != NULL);
	CHECK(strstr(buf, "ct helper sip-tcp-1 {\n\t\ttype \"sipalg-1\" protocol tcp") != NULL);
	CHECK(strstr(buf, "udp dport { 5060, 5080 } ct helper set jhash ip saddr . ip daddr . udp sport"
			  " . udp dport mod 3 map { 0 : \"sip-udp\", 1 : \"sip-udp-1\", 2 : \"sip-udp-2\" }\n"));
	CHECK(strstr(buf, "udp dport { 5060, 5080 } ct helper set jhash ip6 saddr . ip6 daddr . udp sport"
			  " . udp dport mod 3 map { 0 : \"sip-udp\", 1 : \"sip-udp-1\", 2 : \"sip-udp-2\" }\n"));
	CHECK(strstr(buf, "tcp dport { 5060, 5080 } ct helper set jhash ip saddr . ip daddr . tcp sport"
			  " . tcp dport mod 3 map { 0 : \"sip-tcp\", 1 : \"sip-tcp-1\", 2 : \"sip-tcp-2\" }\n"));
	c.degraded = true;
	CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, "udp dport { 5060, 5080 } ct state new jump sip_queue_new\n") != NULL);
	CHECK(strstr(buf, "tcp dport { 5060, 5080 } ct state new jump sip_queue_new_tcp\n") != NULL);
	CHECK(strstr(buf, "tcp sport { 5060, 5080 } jump sip_queue_tcp\n") != NULL);
	CHECK(strstr(buf, "chain sip_queue_tcp {") != NULL);
	c.n_queues = 1;	/* one queue: the text of before, no _tcp chains */
	CHECK(nat_rules_text(&c, buf, sizeof(buf)) == 0);
	CHECK(!strstr(buf, "_tcp") && strstr(buf, "tcp sport { 5060, 5080 } jump sip_queue\n"));
	c.tcp = false;

	CHECK(nat_rules_text(&c, tiny, sizeof(tiny)) == -1);	/* never a cut ruleset */
	shipped_file_matches();

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
