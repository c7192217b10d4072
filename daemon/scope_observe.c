/* scope_observe.c - observe mode and scope, daemon side; see scope_observe.h. */
#include <arpa/inet.h>
#include <string.h>

#include "log.h"
#include "scope_observe.h"

static void scope_text(const struct nat_scope *s, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN + 8];
	size_t used = 0;

	buf[0] = '\0';
	used += (size_t)snprintf(buf + used, cap - used, "interfaces ");
	if (!s->n_ifaces)
		used += (size_t)snprintf(buf + used, cap - used, "(all)");
	for (unsigned i = 0; i < s->n_ifaces && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "",
					 s->ifaces[i]);
	if (used < cap)
		used += (size_t)snprintf(buf + used, cap - used, "; exclude ");
	if (!s->n_ex_ifaces && !s->n_ex_nets && used < cap)
		used += (size_t)snprintf(buf + used, cap - used, "(none)");
	for (unsigned i = 0; i < s->n_ex_ifaces && used < cap; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "",
					 s->ex_ifaces[i]);
	for (unsigned i = 0; i < s->n_ex_nets && used < cap; i++) {
		nat_scope_net_text(&s->ex_nets[i], a, sizeof(a));
		used += (size_t)snprintf(buf + used, cap - used, "%s%s",
					 i || s->n_ex_ifaces ? "," : "", a);
	}
}

void scope_observe_apply(struct nat_path *p, const struct sipalgd_config *cfg)
{
	char text[1024];

	p->observe = cfg->observe;
	p->scope = &cfg->scope;
	p->log_info = log_info;
	scope_text(&cfg->scope, text, sizeof(text));
	log_info("scope: %s; IPv4 flows without NAT pass untouched%s; routed IPv6 passes as it "
		 "came with its pinholes%s", text,
		 cfg->scope.no_nat_pinholes ? " (their pinholes opened: no_nat_pinholes)" : "",
		 cfg->observe ? "; mode = observe: nothing is rewritten or opened, the plan is logged" : "");
}

void scope_observe_status(struct rep *r, const struct nat_counters *c,
			  const struct sipalgd_config *cfg)
{
	char text[1024];

	scope_text(&cfg->scope, text, sizeof(text));
	rep_section(r, "scope and observe");
	rep_str(r, "mode", !cfg->observe ? "rewrite" : r->json ? "observe"
		: "observe (packets pass byte for byte; the plan is logged)");
	rep_str(r, "scope", text);
	rep_bool(r, "no_nat_pinholes", cfg->scope.no_nat_pinholes,
		 cfg->scope.no_nat_pinholes ? "yes" : "no");
	rep_u64(r, "out_of_scope_passed", c->out_of_scope);
	rep_u64(r, "observed_messages", c->observed);
	rep_u64(r, "observed_changes", c->observed_edits);
	rep_u64(r, "observed_pinhole_streams", c->observed_pinholes);
}
