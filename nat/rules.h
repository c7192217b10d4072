/*
 * rules.h - the daemon's own nftables tables `ip sipalgd` and `ip6 sipalgd`
 * (the same rules for each family: IPv6 SIP is helped as IPv4 is), installed
 * at start and removed at exit (libnftables). The operator's NAT stays theirs.
 *
 * Helper mode: `ct helper` objects of our userspace helper, attached to new
 * flows to the SIP ports in prerouting and output. Load it only after the
 * helper is registered: the kernel refuses a `ct helper` of unknown type.
 * With media_guard, an input chain drops new UDP flows to the gateway's own
 * public media ports: far-end RTP that arrives while no pinhole exists (the
 * instant a pinhole is narrowed, replaced or not yet restored) would become a
 * conntrack entry to the gateway itself that holds public:P for as long as the
 * far end keeps sending, and the phone would hear nothing for the whole call.
 * Dropped before conntrack confirms it, the next packet meets the pinhole.
 *
 * Degraded mode (no nfnetlink_cthelper): SIP packets go to the queue from a
 * postrouting chain after srcnat, where both directions are fully translated.
 * The queue rule is the xtables NFQUEUE target (nft's own `queue` is not
 * built on every kernel) and is added with libnftnl (rules_compat.c).
 */
#ifndef SIPALGD_NAT_RULES_H
#define SIPALGD_NAT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nat_scope;	/* scope.h */

#define NAT_RULES_TABLE "sipalgd"

struct nat_rules_conf {
	const char *helper_name;
	uint16_t queue_num;
	const uint16_t *ports;
	unsigned n_ports;
	bool udp, tcp;
	bool degraded;
	/* queues queue_num .. queue_num+n_queues-1 (0 or 1: one). Helper mode:
	 * helper i (helper_name, then helper_name-1 ..) queues to queue_num+i and
	 * a hash of the first packet's addresses and ports picks a flow's helper,
	 * so both directions of a flow reach one queue. Degraded: UDP goes to the
	 * kernel's --queue-balance (addresses after NAT: the directions of a flow
	 * may part), TCP to queue_num alone (its streams are per worker). */
	unsigned n_queues;
	/* Helper mode: drop new inbound UDP to the public media ports (no pinhole
	 * expected it) before conntrack records it as a flow of its own. */
	bool media_guard;
	uint16_t media_min, media_max;
	/* [netfilter] interfaces / exclude: out-of-scope packets return before
	 * the helper or queue rules (scope.h); NULL: every interface */
	const struct nat_scope *scope;
};

/* The ruleset text (as `nft -f` takes it) for c, table ip then table ip6;
 * 0, or -1 if it did not fit. */
int nat_rules_text(const struct nat_rules_conf *c, char *buf, size_t cap);

/* Replace any old table with ours (one transaction). 0, or -1 with err. */
int nat_rules_install(const struct nat_rules_conf *c, char *err, size_t errlen);

/* Delete our tables; absent is fine. 0, or -1 with err. */
int nat_rules_remove(char *err, size_t errlen);

/*
 * rules_compat.c: append to chain `chain` of table ip sipalgd (v6: ip6
 * sipalgd) a rule [optionally, IPv4 only: meta mark set ct original saddr]
 * + NFQUEUE num bypass (queues_total > 1: balanced over num ..
 * num+queues_total-1). nft's grammar cannot cast an address into a mark;
 * the kernel can.
 */
int nat_rules_add_queue_rule(const char *chain, bool v6, uint16_t queue_num,
			     uint16_t queues_total, bool mark_orig_saddr,
			     char *err, size_t errlen);

#endif
