/*
 * run.c - sipalgd's run loop: setup (helper or degraded mode, queue, rules,
 * pinholes, status socket, privileges), one ppoll loop, clean exit.
 *
 * Signals only set flags; they are blocked except inside ppoll, so a signal
 * is acted on at the next turn of the loop and never in the middle of a packet.
 */
#include <errno.h>
#include <poll.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include "clock_ms.h"
#include "config.h"
#include "debug_log.h"
#include "cthelper.h"
#include "ct_query.h"
#include "expect_nl.h"
#include "local_addrs.h"
#include "log.h"
#include "nfqueue.h"
#include "addr_watch.h"
#include "ct_flush.h"
#include "packet_path.h"
#include "privdrop.h"
#include "registration.h"
#include "rules.h"
#include "run.h"
#include "scope_observe.h"
#include "status.h"
#include "status_conn.h"
#include "state_file.h"
#include "status_report.h"
#include "verdict.h"
#include "exp_thread.h"
#include "table_lock.h"
#include "worker.h"

#define DRAIN_MAX	64		/* packets per wake-up and per verdict flush: batching
				 * gains little beyond this, and an INVITE burst (ctnetlink
				 * work per packet) must not hold 1024 verdicts back for
				 * seconds (seen in the TCG guest) */
#define VERDICT_BUF	(512 * 1024)	/* a whole drain, capped at what the socket takes */
#define REG_FLOWS_MAX	65536		/* registered phones' SIP flows (hashed) */
/* ctnetlink timeout raises per 1 s tick without conntrack glue: a few ms of work at
 * most; the kernel's shortest UDP timeout (30 s) leaves room to drain a backlog */
#define REG_RAISES_PER_TICK 1024

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

struct daemon {
	const char *config_path;
	struct sipalgd_config cfg;
	bool degraded;
	bool helper_registered, rules_installed;
	struct nat_helper_conf helper;
	struct nat_rules_conf rules;
	struct nat_queue *q;
	struct nat_verdicts verdicts;
	struct nat_ct *ct;
	struct nat_reg_table *regs;
	struct rtp_nl *rtpnl;
	struct rtp_table *rtp;
	struct state_file state;	/* daemon/state_file.c: restarts */
	struct nat_exp exp;		/* first packets' pinholes (nat/verdict_exp.h) */
	struct nat_path path;
	int status_fd, timer_fd;
	struct status_srv *status;	/* its clients, off the packet path */
	struct addr_watch *addrs;	/* WAN re-addressing (NULL: not watched) */
	uint64_t addrs_lost, addr_dialogs_flushed, addr_flows_flushed;
	time_t started;
	uint64_t reg_backlog_ticks;	/* ticks that left dirty flows for the next */
	unsigned n_workers;		/* queues; queue_num is this thread's (worker.h) */
	struct worker_set *workers;	/* the others; NULL with one */
	unsigned helpers_registered;	/* extra helpers "<name>-<i>" (worker.h) */
};

static void fill_netfilter_confs(struct daemon *d)
{
	d->helper = (struct nat_helper_conf){
		.name = d->cfg.helper_name, .queue_num = d->cfg.queue_num,
		.udp = d->cfg.udp, .tcp = d->cfg.tcp,
		.max_expected = d->cfg.max_expected,
		.expect_timeout = d->cfg.expect_policy_timeout,
	};
	d->rules = (struct nat_rules_conf){
		.helper_name = d->cfg.helper_name, .queue_num = d->cfg.queue_num,
		.ports = d->cfg.sip_ports, .n_ports = d->cfg.n_sip_ports,
		.udp = d->cfg.udp, .tcp = d->cfg.tcp, .degraded = d->degraded,
		.media_guard = d->cfg.sw.enabled && d->cfg.rtp.expectations &&
			       d->cfg.drop_unexpected_media,
		.media_min = d->cfg.rtp.port_min, .media_max = d->cfg.rtp.port_max,
		.scope = &d->cfg.scope, .n_queues = d->n_workers,
	};
}

static const char degraded_text[] =
	"DEGRADED: kernel has no nfnetlink_cthelper (CONFIG_NF_CT_NETLINK_HELPER) - "
	"no RTP/RTCP expectations possible; SIP is rewritten from plain NFQUEUE rules, "
	"media gets through only where the phones' own traffic opens it";

static void tcp_limits_from(const struct sipalgd_config *cfg, struct nat_tcp_limits *l)
{
	*l = (struct nat_tcp_limits){
		.stream_bytes = cfg->tcp_stream_bytes, .total_bytes = cfg->tcp_total_bytes,
		.hold_ms = cfg->tcp_hold_ms, .max_streams = cfg->tcp_max_streams,
		.idle_s = cfg->tcp_idle_timeout,
	};
}

/* Helper mode when the kernel can; degraded only when the config allows it. */
static int setup_helper(struct daemon *d)
{
	char err[256];
	int rc = nat_helper_register(&d->helper, err, sizeof(err));

	if (rc == 0) {
		d->helper_registered = true;
		log_info("conntrack helper \"%s\" registered (%s%s%s), queue %u",
			 d->cfg.helper_name, d->cfg.udp ? "udp" : "",
			 d->cfg.udp && d->cfg.tcp ? "+" : "", d->cfg.tcp ? "tcp" : "",
			 d->cfg.queue_num);
		return 0;
	}
	if (rc != NAT_HELPER_UNSUPPORTED) {
		log_warnx("%s", err);
		return -1;
	}
	log_warnx("this kernel has no nfnetlink_cthelper: load module nfnetlink_cthelper "
		  "(CONFIG_NF_CT_NETLINK_HELPER); without it no RTP expectations are possible");
	if (!d->cfg.degraded_ok) {
		log_warnx("refusing to start: set degraded_ok = yes in [netfilter] to run "
			  "without expectations");
		return -1;
	}
	d->degraded = true;
	log_warnx("%s", degraded_text);
	return 0;
}

/*
 * What the kernel needs for our pinholes but cannot be asked cheaply: say it at
 * start rather than as a stream of failed expectations later.
 */
static void warn_pinhole_prerequisites(const struct sipalgd_config *cfg)
{
	unsigned long max = 0;
	FILE *f;

	if (!cfg->rtp.expectations)
		return;
	if (strcmp(cfg->rtp.expect_fn, "sip") == 0 && access("/sys/module/nf_nat_sip", F_OK) != 0)
		log_warnx("expect_function = sip comes from nf_nat_sip, which is not loaded: "
			  "modprobe nf_nat_sip, or every expectation fails with EINVAL "
			  "(ignore if it is built into this kernel)");
	f = fopen("/proc/sys/net/netfilter/nf_conntrack_expect_max", "r");
	if (f) {
		if (fscanf(f, "%lu", &max) == 1 && max < 1024)
			log_warnx("net.netfilter.nf_conntrack_expect_max is %lu for the whole box; "
				  "each media stream holds up to 4 expectations: raise it", max);
		fclose(f);
	}
}

/* Queues queue_num+1.. (worker.h; their threads start in daemon_run); one worker opens none. */
static int start_workers(struct daemon *d)
{
	char err[256];
	const struct worker_conf wc = {
		.first_queue = (uint16_t)(d->cfg.queue_num + 1), .n = d->n_workers - 1,
		.queue_maxlen = d->cfg.queue_maxlen, .rcvbuf = d->cfg.rcvbuf_bytes,
		.fail_open = d->cfg.overload_pass, .pinholes = d->rtp != NULL, .tmpl = &d->path,
	};

	if (d->n_workers <= 1)
		return 0;
	nat_table_lock_enable(true);	/* before the first thread */
	d->workers = workers_start(&wc, err, sizeof(err));
	if (!d->workers) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

/* The packet path's debug lines cost nothing unless log_level = debug. */
static void debug_hooks(struct daemon *d)
{
	bool on = log_getlevel() >= LOG_DEBUG;

	d->path.on_rewrite = on ? debug_log_rewrite : NULL;
	if (d->rtp)
		rtp_table_set_log(d->rtp, on ? debug_log_pinhole : NULL, NULL);
}

static int setup(struct daemon *d)
{
	char err[512];
	int e = 0;
	size_t vcap;

	d->n_workers = workers_count(d->cfg.workers);
	fill_netfilter_confs(d);
	if (setup_helper(d) < 0)
		return -1;
	if (!d->degraded && d->n_workers > 1 &&
	    workers_register_helpers(&d->helper, d->n_workers, &d->helpers_registered,
				     err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	fill_netfilter_confs(d);
	d->q = nat_queue_open(d->cfg.queue_num, d->cfg.queue_maxlen, d->cfg.rcvbuf_bytes,
			      true, d->cfg.overload_pass, err, sizeof(err));
	if (!d->q) {
		log_warnx("%s", err);
		return -1;
	}
	if (!nat_queue_has_ct(d->q))
		log_warnx("queue %u: kernel has no conntrack glue (CONFIG_NETFILTER_NETLINK_GLUE_CT): "
			  "bindings come from ctnetlink lookups, TCP messages keep their length",
			  d->cfg.queue_num);
	/* Never a sendto larger than the socket takes: the packets of a refused
	 * one (EMSGSIZE) would never get their verdict. */
	vcap = nat_queue_send_max(d->q);
	if (vcap > VERDICT_BUF)
		vcap = VERDICT_BUF;
	if (nat_verdicts_init(&d->verdicts, d->cfg.queue_num, vcap, nat_queue_send, d->q) < 0) {
		log_warnx("verdict buffer of %zu bytes: too small for a 64 KB packet, or out of memory",
			  vcap);
		return -1;
	}
	d->ct = nat_ct_open();
	if (!d->ct) {
		log_warn("ctnetlink socket");
		return -1;
	}
	d->regs = nat_reg_new(REG_FLOWS_MAX);
	if (!d->degraded) {
		d->rtpnl = rtp_nl_open(&e);
		if (!d->rtpnl) {
			log_warnx("ctnetlink socket for expectations: %s", strerror(-e));
			return -1;
		}
		/* every pinhole request passes the first-packet layer on its way to ctnetlink */
		nat_exp_init(&d->exp, &rtp_nl_ops, d->rtpnl, &d->verdicts);
		/* nat_exp_ops, or with workers each thread's own nat_exp (exp_thread.h) */
		d->rtp = rtp_table_new(&d->cfg.rtp, &nat_exp_thread_ops, &d->exp);
		d->exp.rtp = d->rtp;
		state_file_init(&d->state, d->cfg.state_file);
		state_file_recover(&d->state, d->rtp, d->cfg.helper_name);
		local_addrs_refresh(d->rtp, time(NULL), 1);
		warn_pinhole_prerequisites(&d->cfg);
	}
	if (!d->regs || (!d->degraded && !d->rtp) || nat_path_init(&d->path) < 0) {
		log_warnx("out of memory");
		return -1;
	}
	d->path.sw = &d->cfg.sw;
	{
		struct nat_tcp_limits lim;

		tcp_limits_from(&d->cfg, &lim);
		nat_path_tcp_limits(&d->path, &lim);
	}
	d->path.rtp = d->rtp;
	d->path.udp = d->cfg.udp;
	d->path.tcp = d->cfg.tcp;
	d->path.ct_in_verdict = nat_queue_has_ct(d->q);
	d->path.registration_timeout = d->cfg.registration_timeout;
	d->path.registration_timeout_max = d->cfg.registration_timeout_max;
	d->path.ct = d->ct;
	d->path.regs = d->regs;
	d->path.verdicts = &d->verdicts;
	d->path.exp = d->rtp && d->path.ct_in_verdict ? &d->exp : NULL;	/* NFQA_EXP needs NFQA_CT */
	debug_hooks(d);
	scope_observe_apply(&d->path, &d->cfg);
	if (start_workers(d) < 0)
		return -1;
	if (d->cfg.install_rules) {
		if (nat_rules_install(&d->rules, err, sizeof(err)) < 0) {
			log_warnx("install table ip " NAT_RULES_TABLE ": %s", err);
			return -1;
		}
		d->rules_installed = true;
		log_info("nft tables ip and ip6 " NAT_RULES_TABLE " installed (%s%s)",
			 d->degraded ? "NFQUEUE after srcnat" : "ct helper rules",
			 d->rules.media_guard && !d->degraded ? ", unexpected media dropped" : "");
	}
	d->status_fd = status_listen(d->cfg.status_socket, err, sizeof(err));
	if (d->status_fd < 0) {
		log_warnx("%s", err);
		return -1;
	}
	d->status = status_srv_new(d->status_fd);
	if (!d->status) {
		log_warn("status socket %s: epoll", d->cfg.status_socket);
		return -1;
	}
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer_fd < 0 ||
	    timerfd_settime(d->timer_fd, 0, &(struct itimerspec){
				    .it_interval = { .tv_sec = 1 }, .it_value = { .tv_sec = 1 } },
			    NULL) < 0) {
		log_warn("timerfd");
		return -1;
	}
	d->addrs = addr_watch_open();
	if (!d->addrs)
		log_warn("address events (rtnetlink): not watched; a WAN re-addressing is seen within 60 s");
	return 0;
}

static void cleanup(struct daemon *d)
{
	char err[256];

	/* Rules first: no new flow gets our helper once we stop answering. */
	if (d->rules_installed && nat_rules_remove(err, sizeof(err)) < 0)
		log_warnx("remove table ip " NAT_RULES_TABLE ": %s", err);
	workers_stop(d->workers);	/* their held segments and verdicts too */
	/* Held TCP segments leave as they came: nothing waits on a daemon that exits. */
	if (d->q && d->path.tcp_streams)
		nat_path_release_all(&d->path);
	if (d->q)
		nat_verdicts_flush(&d->verdicts);
	/* Disabled, the kernel passes helped flows without queueing (DESIGN.md fact 6). */
	if (d->helper_registered && nat_helper_disable(&d->helper, err, sizeof(err)) < 0)
		log_warnx("%s", err);
	workers_disable_helpers(&d->helper, d->helpers_registered);
	/* Written, the state file lets the next start claim the pinholes: they
	 * stay (rtp/README.md "Restarts"). Off or unwritable: removed. */
	if (d->rtp && state_file_tick(&d->state, d->rtp, time(NULL), true)) {
		rtp_table_free_keep(d->rtp);
	} else if (d->rtp) {
		rtp_table_free(d->rtp);
	}
	if (d->rtpnl)
		rtp_nl_close(d->rtpnl);
	nat_path_free(&d->path);
	if (d->regs)
		nat_reg_free(d->regs);
	if (d->ct)
		nat_ct_close(d->ct);
	nat_verdicts_free(&d->verdicts);
	if (d->q)
		nat_queue_close(d->q);
	status_srv_free(d->status);
	status_close(d->status_fd, d->cfg.status_socket);
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	addr_watch_close(d->addrs);
}

/* ---- status report (daemon/status_report.c) ---- */

static void report(void *arg, FILE *out, bool json)
{
	struct daemon *d = arg;
	struct nat_path sum = d->path;	/* every worker's counters: a copy, paused */
	const struct status_src src = {
		.cfg = &d->cfg, .degraded = d->degraded, .degraded_text = degraded_text,
		.started = d->started, .q = d->q, .verdicts = &d->verdicts, .path = &sum,
		.workers = d->workers, .queue0 = &d->path.c,
		.regs = d->regs, .reg_backlog_ticks = d->reg_backlog_ticks,
		.addrs_watched = d->addrs != NULL, .addrs_lost = d->addrs_lost,
		.addr_dialogs_flushed = d->addr_dialogs_flushed,
		.addr_flows_flushed = d->addr_flows_flushed,
		.rtp = d->rtp, .rtpnl = d->rtpnl, .status = d->status,
	};

	workers_pause(d->workers);
	nat_table_lock();
	workers_add_counters(d->workers, &sum.c);
	status_report(&src, out, json);
	nat_table_unlock();
	workers_resume(d->workers);
}

/* ---- SIGHUP ---- */

static bool ports_differ(const struct sipalgd_config *a, const struct sipalgd_config *b)
{
	return a->n_sip_ports != b->n_sip_ports || a->udp != b->udp || a->tcp != b->tcp ||
	       memcmp(a->sip_ports, b->sip_ports, a->n_sip_ports * sizeof(a->sip_ports[0]));
}

/* Name the keys a running daemon cannot take over. */
static void log_restart_keys(const struct sipalgd_config *o, const struct sipalgd_config *n)
{
#define NEEDS_RESTART(cond, key) \
	do { if (cond) log_warnx("reload: " key " changed - takes effect after a restart"); } while (0)
	NEEDS_RESTART(o->queue_num != n->queue_num, "[netfilter] queue");
	NEEDS_RESTART(strcmp(o->helper_name, n->helper_name), "[netfilter] helper");
	NEEDS_RESTART(o->install_rules != n->install_rules, "[netfilter] install_rules");
	NEEDS_RESTART(o->degraded_ok != n->degraded_ok, "[netfilter] degraded_ok");
	NEEDS_RESTART(o->queue_maxlen != n->queue_maxlen, "[netfilter] queue_maxlen");
	NEEDS_RESTART(o->rcvbuf_bytes != n->rcvbuf_bytes, "[netfilter] rcvbuf");
	NEEDS_RESTART(o->workers != n->workers, "[netfilter] workers");
	NEEDS_RESTART(o->max_expected != n->max_expected, "[limits] max_expected");
	NEEDS_RESTART(o->expect_policy_timeout != n->expect_policy_timeout,
		      "[limits] expect_policy_timeout");
	NEEDS_RESTART(strcmp(o->user, n->user), "[general] user");
	NEEDS_RESTART(strcmp(o->status_socket, n->status_socket), "[general] status_socket");
	NEEDS_RESTART(o->log_syslog != n->log_syslog, "[general] log");
#undef NEEDS_RESTART
}

static void reload(struct daemon *d)
{
	struct sipalgd_config n;
	struct nat_rules_conf old = d->rules;
	bool reinstall = false;
	char err[640];

	if (config_load(d->config_path, &n, err, sizeof(err)) < 0) {
		log_warnx("reload refused, running config kept: %s", err);
		return;
	}
	n.foreground = d->cfg.foreground;
	log_restart_keys(&d->cfg, &n);
	/* Live: engine switches, pinhole limits, registration stretch, log level. */
	if (d->rtp && d->cfg.sw.enabled && !n.sw.enabled) {
		/* no BYE will be seen now: no call may keep its pinholes until dialog_timeout */
		unsigned k = rtp_table_flush(d->rtp);

		log_info("reload: ALG disabled - %u dialog(s) and their pinholes removed", k);
	} else if (d->rtp && d->cfg.rtp.expectations && !n.rtp.expectations) {
		log_info("reload: expectations off - %u dialog(s) and their pinholes removed",
			 rtp_table_stats(d->rtp)->dialogs_live);
	}
	if (d->rtp && !d->cfg.observe && n.observe)	/* as enabled = no: no BYE will be followed */
		log_info("reload: mode = observe - %u dialog(s) and their pinholes removed",
			 rtp_table_flush(d->rtp));
	reinstall = memcmp(&d->cfg.scope, &n.scope, sizeof(n.scope)) != 0;
	d->cfg.observe = n.observe;
	d->cfg.scope = n.scope;
	scope_observe_apply(&d->path, &d->cfg);
	d->cfg.sw = n.sw;
	d->cfg.drop_unexpected_media = n.drop_unexpected_media;
	local_addrs_refresh(d->rtp, time(NULL), 1);
	if (d->rtp && rtp_table_reconfigure(d->rtp, &n.rtp) < 0)
		log_warnx("reload: [media] not applied (rtp layer refused it)");
	else
		d->cfg.rtp = n.rtp;
	d->cfg.registration_timeout = n.registration_timeout;
	d->cfg.registration_timeout_max = n.registration_timeout_max;
	d->path.registration_timeout = n.registration_timeout;
	d->path.registration_timeout_max = n.registration_timeout_max;
	d->cfg.log_level = n.log_level;
	log_setlevel(n.log_level);
	debug_hooks(d);
	if (n.overload_pass != d->cfg.overload_pass) {
		if (nat_queue_set_fail_open(d->q, n.overload_pass) < 0)
			log_warn("reload: [netfilter] overload not applied");
		else
			d->cfg.overload_pass = n.overload_pass;
	}
	d->cfg.tcp_hold_ms = n.tcp_hold_ms;
	d->cfg.tcp_stream_bytes = n.tcp_stream_bytes;
	d->cfg.tcp_total_bytes = n.tcp_total_bytes;
	d->cfg.tcp_max_streams = n.tcp_max_streams;
	d->cfg.tcp_idle_timeout = n.tcp_idle_timeout;
	{
		struct nat_tcp_limits lim;

		tcp_limits_from(&d->cfg, &lim);
		nat_path_tcp_limits(&d->path, &lim);
	}
	/* Ports and transports. */
	if (ports_differ(&d->cfg, &n)) {
		if (d->rules_installed && (n.tcp && !d->cfg.tcp) && !d->degraded) {
			log_warnx("reload: tcp switched on - the helper has no TCP registration until a restart");
		} else {
			memcpy(d->cfg.sip_ports, n.sip_ports, sizeof(n.sip_ports));
			d->cfg.n_sip_ports = n.n_sip_ports;
			d->cfg.udp = n.udp;
			d->cfg.tcp = n.tcp;
			d->path.udp = n.udp;
			d->path.tcp = n.tcp;
			if (!n.tcp)	/* what waits for its message's rest goes now */
				nat_path_release_all(&d->path);
			reinstall = true;
		}
	}
	/* New SIP ports/transports or media port guard: swap our nft table
	 * (CAP_NET_ADMIN suffices). */
	fill_netfilter_confs(d);
	reinstall = reinstall || old.media_guard != d->rules.media_guard ||
		    old.media_min != d->rules.media_min || old.media_max != d->rules.media_max;
	if (d->rules_installed && reinstall && nat_rules_install(&d->rules, err, sizeof(err)) < 0)
		log_warnx("reload: new nft table not installed: %s", err);
	log_info("configuration reloaded from %s (ALG %s)", d->config_path,
		 d->cfg.sw.enabled ? "enabled" : "disabled");
}

/* ---- loop ---- */

static void on_queue(struct daemon *d)
{
	d->path.now = time(NULL);
	d->path.now_ms = clock_ms();
	if (nat_queue_drain(d->q, DRAIN_MAX, nat_path_packet, &d->path) < 0)
		log_warn("queue %u receive", d->cfg.queue_num);
	/* Every packet of the drain got its verdict queued: send them all. */
	if (nat_verdicts_flush(&d->verdicts) < 0)
		log_warn("queue %u verdicts", d->cfg.queue_num);
	/* The flush confirmed the drain's new flows: their deferred pinholes now. */
	if (d->path.exp)
		nat_exp_after_flush(d->path.exp);
}

static int raise_timeout(void *arg, const struct rtp_master *m, unsigned timeout)
{
	return nat_ct_set_timeout(arg, m, timeout);
}

static void on_timer(struct daemon *d)
{
	struct nat_reg_flush_stats st;
	uint64_t ticks;
	time_t now = time(NULL);

	if (read(d->timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	if (d->rtp)
		rtp_expire(d->rtp, now);
	state_file_tick(&d->state, d->rtp, now, false);
	local_addrs_refresh(d->rtp, now, 0);
	nat_reg_expire(d->regs, now);
	/* registered flows whose packets had no verdict route: one raise each */
	nat_reg_flush_dirty(d->regs, now, d->path.registration_timeout_max,
			    REG_RAISES_PER_TICK, raise_timeout, d->ct, &st);
	d->path.c.reg_timeouts_set += st.raised;
	d->path.c.reg_timeout_errors += st.failed;
	if (st.left)
		d->reg_backlog_ticks++;
}

/*
 * Held TCP segments whose wait is over pass unchanged. Returns the next
 * deadline (CLOCK_MONOTONIC ms), 0 = none.
 */
static uint64_t on_tcp_deadline(struct daemon *d)
{
	uint64_t now = clock_ms(), next;

	d->path.now_ms = now;
	next = nat_path_tick(&d->path, now);
	if (nat_verdicts_flush(&d->verdicts) < 0)
		log_warn("queue %u verdicts", d->cfg.queue_num);
	if (d->path.exp)
		nat_exp_after_flush(d->path.exp);
	return next;
}

/*
 * An address of the gateway went away (DHCP, PPPoE re-addressing): the calls
 * whose pinholes name it and the SIP flows NATed to it are gone for good.
 * Forgotten now, so that no SDP names the old address and the phones' next
 * packets make new bindings through the new one (their next registration
 * refresh re-registers them), instead of phones that cannot be called until
 * their bindings happen to expire.
 */
static void on_addr_event(void *arg, uint32_t addr, bool gone)
{
	struct daemon *d = arg;
	char txt[INET_ADDRSTRLEN] = "?";
	unsigned dialogs = 0;
	int flows;

	local_addrs_refresh(d->rtp, time(NULL), 1);
	if (!gone)
		return;
	d->addrs_lost++;
	inet_ntop(AF_INET, &addr, txt, sizeof(txt));
	if (d->rtp)
		dialogs = rtp_table_flush_public(d->rtp, addr);
	flows = nat_ct_flush_public(addr, d->cfg.sip_ports, d->cfg.n_sip_ports);
	if (flows > 0)
		d->addr_flows_flushed += (unsigned)flows;
	d->addr_dialogs_flushed += dialogs;
	if (flows < 0)
		log_warnx("address %s removed: %u dialog(s) and their pinholes removed; SIP flows not flushed: %s",
			  txt, dialogs, strerror(-flows));
	else
		log_info("address %s removed: %u dialog(s) and their pinholes removed, %d SIP flow(s) flushed",
			 txt, dialogs, flows);
}

static int loop(struct daemon *d, const sigset_t *unblocked)
{
	uint64_t deadline = 0;
	int rc;
	struct pollfd pfd[4] = {
		{ .fd = nat_queue_fd(d->q), .events = POLLIN },
		{ .fd = d->timer_fd, .events = POLLIN },
		{ .fd = status_srv_fd(d->status), .events = POLLIN },
		{ .fd = d->addrs ? addr_watch_fd(d->addrs) : -1, .events = POLLIN },
	};

	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			/* no worker inside a drain while the settings change (worker.h) */
			workers_pause(d->workers);
			nat_table_lock();
			reload(d);
			workers_sync(d->workers, &d->path, d->cfg.overload_pass);
			nat_table_unlock();
			workers_resume(d->workers);
		}
		struct timespec wait, *tmo = NULL;

		if (deadline) {
			uint64_t now = clock_ms(), ms = deadline > now ? deadline - now : 0;

			wait = (struct timespec){ .tv_sec = (time_t)(ms / 1000),
						  .tv_nsec = (long)(ms % 1000) * 1000000 };
			tmo = &wait;
		}
		if (ppoll(pfd, 4, tmo, unblocked) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("ppoll");
			return -1;
		}
		if (pfd[0].revents & (POLLIN | POLLERR))
			on_queue(d);
		if (pfd[1].revents & POLLIN) {
			nat_table_lock();	/* the tables the workers share */
			on_timer(d);
			nat_table_unlock();
		}
		/* a packet may have held a segment; the 1 s timer frees idle streams */
		deadline = on_tcp_deadline(d);
		if (pfd[2].revents & POLLIN)
			status_srv_run(d->status, report, d);
		nat_table_lock();
		rc = (pfd[3].revents & POLLIN) ? addr_watch_read(d->addrs, on_addr_event, d) : 0;
		nat_table_unlock();
		if (rc < 0) {
			log_warn("address events");
			addr_watch_close(d->addrs);	/* the 60 s refresh still runs */
			d->addrs = NULL;
			pfd[3].fd = -1;
		}
	}
	log_info("signal received: exiting");
	return 0;
}

int daemon_run(const char *config_path, struct sipalgd_config *cfg)
{
	static struct daemon d;	/* large (engine result scratch): not on the stack */
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, unblocked;
	char err[256];
	int rc = -1;

	memset(&d, 0, sizeof(d));
	d.config_path = config_path;
	d.cfg = *cfg;
	d.status_fd = d.timer_fd = -1;
	d.started = time(NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a status client that went away */

	if (setup(&d) < 0)
		goto out;
	if (d.cfg.user[0] && geteuid() == 0) {
		if (privdrop(d.cfg.user, err, sizeof(err)) < 0) {
			log_warnx("%s", err);
			goto out;
		}
		log_info("running as %s with CAP_NET_ADMIN only", d.cfg.user);
	} else if (geteuid() != 0) {
		/* e.g. systemd DynamicUser= with AmbientCapabilities=CAP_NET_ADMIN */
		log_info("started unprivileged (uid %u): no privilege drop needed", (unsigned)geteuid());
	}
	if (!d.cfg.foreground) {
		if (daemon(0, 0) < 0) {
			log_warn("daemon");
			goto out;
		}
		log_daemonized();	/* stderr is /dev/null from here */
	}
	if (workers_run(d.workers, err, sizeof(err)) < 0) {	/* after the fork: threads do not survive it */
		log_warnx("%s", err);
		goto out;
	}
	log_info("sipalgd running: %s, queue %u%s, ALG %s%s", d.degraded ? "DEGRADED mode" : "helper mode",
		 d.cfg.queue_num, workers_text(d.n_workers), d.cfg.sw.enabled ? "enabled" : "disabled",
		 d.cfg.observe ? " in OBSERVE mode (logs what it would do, changes nothing)" : "");
	rc = loop(&d, &unblocked);
out:
	cleanup(&d);
	return rc;
}
