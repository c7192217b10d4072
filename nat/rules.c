/* rules.c - our nftables table through libnftables; see rules.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nftables/libnftables.h>

#include "rules.h"
#include "scope.h"

struct text {
	char *buf;
	size_t cap, len;
	bool overflow;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		t->overflow = true;
	else
		t->len += (size_t)n;
}

static void port_set(struct text *t, const struct nat_rules_conf *c)
{
	add(t, "{ ");
	for (unsigned i = 0; i < c->n_ports; i++)
		add(t, "%s%u", i ? ", " : "", c->ports[i]);
	add(t, " }");
}

/* The two tables: the same rules, each family's own names. */
struct family {
	const char *table;	/* nft family of the table */
	const char *l3proto;	/* of a ct helper object */
	const char *addr;	/* address expressions: ip saddr / ip6 saddr */
	bool v6;
};

static const struct family families[2] = {
	{ "ip", "ip", "ip", false },
	{ "ip6", "ip6", "ip6", true },
};

/* Out of scope returns first (scope.h); routed: the output interface is known. */
static void scope_rules(struct text *t, const struct nat_rules_conf *c, bool routed,
			const struct family *f)
{
	char buf[4096];

	if (!c->scope)
		return;
	if (nat_scope_nft(c->scope, routed, f->v6, buf, sizeof(buf)) < 0)
		t->overflow = true;
	else
		add(t, "%s", buf);
}

static void helper_rules(struct text *t, const struct nat_rules_conf *c, bool routed,
			 const struct family *f)
{
	static const char *const protos[] = { "udp", "tcp" };

	scope_rules(t, c, routed, f);

	for (int p = 0; p < 2; p++) {
		if (!(p ? c->tcp : c->udp))
			continue;
		add(t, "\t\t%s dport ", protos[p]);
		port_set(t, c);
		if (c->n_queues <= 1) {
			add(t, " ct helper set \"sip-%s\"\n", protos[p]);
			continue;
		}
		/* one helper per queue worker; set once, on the flow's first packet
		 * (a confirmed conntrack keeps its helper), so the hash needs no symmetry */
		add(t, " ct helper set jhash %s saddr . %s daddr . %s sport . %s dport mod %u map { ",
		    f->addr, f->addr, protos[p], protos[p], c->n_queues);
		for (unsigned i = 0; i < c->n_queues; i++)
			add(t, i ? ", %u : \"sip-%s-%u\"" : "%u : \"sip-%s\"", i, protos[p], i);
		add(t, " }\n");
	}
}

/* Helper i > 0 is "<name>-<i>" (worker.c registers it) on queue queue_num + i. */
static void helper_objects(struct text *t, const struct nat_rules_conf *c,
			   const struct family *f)
{
	static const char *const protos[] = { "udp", "tcp" };
	unsigned n = c->n_queues > 1 ? c->n_queues : 1;

	for (int p = 0; p < 2; p++) {
		if (!(p ? c->tcp : c->udp))
			continue;
		for (unsigned i = 0; i < n; i++) {
			if (i == 0)
				add(t, "\tct helper sip-%s {\n\t\ttype \"%s\" protocol %s\n\t\tl3proto %s\n\t}\n",
				    protos[p], c->helper_name, protos[p], f->l3proto);
			else
				add(t, "\tct helper sip-%s-%u {\n\t\ttype \"%s-%u\" protocol %s\n\t\tl3proto %s\n\t}\n",
				    protos[p], i, c->helper_name, i, protos[p], f->l3proto);
		}
	}
}

static void queue_jumps(struct text *t, const struct nat_rules_conf *c)
{
	static const char *const protos[] = { "udp", "tcp" };
	static const char *const ends[] = { "dport", "sport" };

	for (int p = 0; p < 2; p++) {
		/* balanced queues: TCP keeps to queue_num (rules.h) */
		const char *sfx = p && c->n_queues > 1 ? "_tcp" : "";

		if (!(p ? c->tcp : c->udp))
			continue;
		for (int e = 0; e < 2; e++) {
			add(t, "\t\t%s %s ", protos[p], ends[e]);
			port_set(t, c);
			/* First packets: their conntrack is not confirmed yet, so the
			 * daemon cannot look it up; the mark carries the inside address. */
			add(t, " ct state new jump sip_queue_new%s\n", sfx);
			add(t, "\t\t%s %s ", protos[p], ends[e]);
			port_set(t, c);
			add(t, " jump sip_queue%s\n", sfx);
		}
	}
}

/* One family's table; nat_rules_text writes both. */
static void table_text(struct text *tx, const struct nat_rules_conf *c, const struct family *f)
{
	struct text t = *tx;

	add(&t, "table %s " NAT_RULES_TABLE " {\n", f->table);
	if (!c->degraded) {
		helper_objects(&t, c, f);
		/* prerouting: flows arriving (forwarded or local); output: the box's own. */
		add(&t, "\tchain prerouting {\n\t\ttype filter hook prerouting priority filter; policy accept;\n");
		helper_rules(&t, c, false, f);
		add(&t, "\t}\n");
		add(&t, "\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n");
		helper_rules(&t, c, true, f);
		add(&t, "\t}\n");
		/* An expected flow is RELATED (and DNATed to the LAN), a reply to
		 * the gateway's own traffic ESTABLISHED: NEW here is media that
		 * no pinhole took (rules.h). */
		if (c->media_guard)
			add(&t, "\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"
				"\t\tudp dport %u-%u ct state new counter drop\n\t}\n",
			    c->media_min, c->media_max);
	} else {
		add(&t, "\tchain sip_queue_new {\n\t}\n\tchain sip_queue {\n\t}\n");
		if (c->n_queues > 1 && c->tcp)
			add(&t, "\tchain sip_queue_new_tcp {\n\t}\n\tchain sip_queue_tcp {\n\t}\n");
		/* After srcnat: SNAT done outbound, DNAT and un-SNAT done inbound. */
		add(&t, "\tchain postrouting {\n\t\ttype filter hook postrouting priority srcnat + 1; policy accept;\n");
		scope_rules(&t, c, true, f);
		queue_jumps(&t, c);
		add(&t, "\t}\n");
	}
	add(&t, "}\n");
	*tx = t;
}

int nat_rules_text(const struct nat_rules_conf *c, char *buf, size_t cap)
{
	struct text t = { .buf = buf, .cap = cap };

	if (!cap)
		return -1;
	buf[0] = '\0';
	table_text(&t, c, &families[0]);
	table_text(&t, c, &families[1]);
	return t.overflow ? -1 : 0;
}

static int run(const char *cmd, char *err, size_t errlen)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *msg;
	int rc;

	if (!nft) {
		snprintf(err, errlen, "libnftables: cannot create a context");
		return -1;
	}
	nft_ctx_buffer_error(nft);
	nft_ctx_buffer_output(nft);
	rc = nft_run_cmd_from_buffer(nft, cmd);
	if (rc) {
		msg = nft_ctx_get_error_buffer(nft);
		snprintf(err, errlen, "nft: %s", msg && *msg ? msg : "failed");
		/* one line is enough for the log */
		char *nl = strchr(err, '\n');
		if (nl)
			*nl = '\0';
	}
	nft_ctx_free(nft);
	return rc ? -1 : 0;
}

int nat_rules_install(const struct nat_rules_conf *c, char *err, size_t errlen)
{
	static const char head[] = "add table ip " NAT_RULES_TABLE "\n"
				   "delete table ip " NAT_RULES_TABLE "\n"
				   "add table ip6 " NAT_RULES_TABLE "\n"
				   "delete table ip6 " NAT_RULES_TABLE "\n";
	char *buf;
	size_t cap = 65536;	/* 64 workers: 128 helper objects */
	uint16_t total = c->n_queues > 1 ? (uint16_t)c->n_queues : 1;
	int ret = -1;

	buf = malloc(cap);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(buf, head, sizeof(head));
	if (nat_rules_text(c, buf + sizeof(head) - 1, cap - sizeof(head) + 1)) {
		snprintf(err, errlen, "nft ruleset too long (%u ports)", c->n_ports);
		goto out;
	}
	if (run(buf, err, errlen))
		goto out;
	/* IPv6: no mark (an address does not fit one); a routed flow's first
	 * packet names its own ends */
	for (int v6 = 0; c->degraded && v6 < 2; v6++) {
		if (nat_rules_add_queue_rule("sip_queue_new", v6, c->queue_num, total, !v6,
					     err, errlen) ||
		    nat_rules_add_queue_rule("sip_queue", v6, c->queue_num, total, false,
					     err, errlen) ||
		    (total > 1 && c->tcp &&
		     (nat_rules_add_queue_rule("sip_queue_new_tcp", v6, c->queue_num, 1, !v6,
					       err, errlen) ||
		      nat_rules_add_queue_rule("sip_queue_tcp", v6, c->queue_num, 1, false,
					       err, errlen)))) {
			char e2[64];

			nat_rules_remove(e2, sizeof(e2));
			goto out;
		}
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int nat_rules_remove(char *err, size_t errlen)
{
	/* add first: deleting an absent table is an error, absent is fine here */
	return run("add table ip " NAT_RULES_TABLE "\ndelete table ip " NAT_RULES_TABLE "\n"
		   "add table ip6 " NAT_RULES_TABLE "\ndelete table ip6 " NAT_RULES_TABLE "\n",
		   err, errlen);
}
