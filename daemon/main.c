/*
 * main.c - sipalgd's entry point: a small table of commands.
 *
 *   sipalgd [-d] [-f] -c FILE          run the daemon
 *   sipalgd -n -c FILE                 check the configuration
 *   sipalgd --replay IN --out OUT --inside CIDR --public ADDR [-v] [-c FILE]
 *   sipalgd status [--json] [-s SOCK] [-c FILE]  counters, dialogs, pinholes
 *   sipalgd --help | --version
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "replay.h"
#ifdef SIPALGD_HAVE_RUN
#include "run.h"
#endif
#ifdef SIPALGD_HAVE_STATUS
#include "status.h"
#endif

#define DEFAULT_CONFIG	"/etc/sipalgd/sipalgd.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sipalgd [-d] [-f] [-c FILE]      run the ALG (-d debug log, -f foreground)\n"
		"       sipalgd -n [-c FILE]             check the configuration and exit\n"
		"       sipalgd --replay IN.pcap --out OUT.pcap --inside CIDR --public ADDR [-v] [-c FILE]\n"
		"                [--inside CIDR6 [--public6 ADDR6]]\n"
		"                                        rewrite a capture as the gateway would\n"
		"       sipalgd status [--json] [-s SOCKET] [-c FILE]\n"
		"                                        counters, registrations, live dialogs and\n"
		"                                        pinholes (--json: docs/status.schema.json)\n"
		"       sipalgd -h | --help | -V | --version\n"
		"default FILE: " DEFAULT_CONFIG "; see sipalgd(8), sipalgd.conf(5)\n");
}

/* Defaults, or the file when one is named; on error print it and return -1. */
static int load(const char *path, struct sipalgd_config *cfg)
{
	char err[640];

	if (!path) {
		config_default(cfg);
		return 0;
	}
	if (config_load(path, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "sipalgd: %s\n", err);
		return -1;
	}
	return 0;
}

static int cmd_daemon(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	bool check = false, debug = false, foreground = false;
	struct sipalgd_config cfg;
	int ch;

	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "c:dfnhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'd': debug = true; break;
		case 'f': foreground = true; break;
		case 'n': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sipalgd " SIPALGD_VERSION "\n"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sipalgd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (load(path, &cfg) < 0)
		return 1;
	/* The file is fine; this system must also have the user to drop to. */
	if (cfg.user[0] && !getpwnam(cfg.user)) {
		fprintf(stderr, "sipalgd: %s: [general] user '%s' does not exist on this system "
			"(expected an existing account, e.g. adduser --system sipalgd)\n",
			path, cfg.user);
		return 1;
	}
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	if (debug)
		cfg.log_level = LOG_DEBUG;
	cfg.foreground = foreground;
	/* Setup errors reach the terminal; run.c moves stderr logging to
	 * syslog once it has daemonized (log_daemonized). */
	log_init(cfg.log_syslog, cfg.log_level);
#ifdef SIPALGD_HAVE_RUN
	return daemon_run(path, &cfg) < 0 ? 1 : 0;
#else
	log_warnx("this build has no daemon run loop yet (daemon/run.c): only -n, --replay work");
	return 1;
#endif
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replay", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "inside", required_argument, NULL, 'i' },
		{ "public", required_argument, NULL, 'p' },
		{ "public6", required_argument, NULL, '6' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgpath = NULL, *public = NULL, *public6 = NULL;
	const char *inside[2] = { NULL, NULL };	/* one per family */
	unsigned n_inside = 0;
	struct replay_opts o = { 0 };
	struct replay_stats st;
	struct sipalgd_config cfg;
	char err[512];
	int ch;

	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': o.in_path = optarg; break;
		case 'o': o.out_path = optarg; break;
		case 'i':
			if (n_inside == 2) {
				fprintf(stderr, "sipalgd: --inside: at most one IPv4 and one IPv6 network\n");
				return 2;
			}
			inside[n_inside++] = optarg;
			break;
		case 'p': public = optarg; break;
		case '6': public6 = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.in_path || !o.out_path || !n_inside || optind < argc) {
		fprintf(stderr, "sipalgd: --replay needs IN.pcap, --out OUT.pcap, --inside CIDR and --public ADDR\n");
		usage(stderr);
		return 2;
	}
	for (unsigned i = 0; i < n_inside; i++) {
		bool six = strchr(inside[i], ':') != NULL;

		if (six ? o.has_inside6 : o.has_inside4) {
			fprintf(stderr, "sipalgd: --inside '%s': one network per family\n", inside[i]);
			return 2;
		}
		if (six && replay_parse_cidr6(inside[i], &o.inside6_net, &o.inside6_bits) == 0) {
			o.has_inside6 = true;
		} else if (!six && replay_parse_cidr(inside[i], &o.inside_net, &o.inside_mask) == 0) {
			o.has_inside4 = true;
		} else {
			fprintf(stderr, "sipalgd: --inside '%s': expected a network such as 192.168.1.0/24 or 2001:db8:1::/64\n",
				inside[i]);
			return 2;
		}
	}
	/* IPv4 is always NATed, so it needs the public address; IPv6 is routed
	 * unless --public6 asks for NAT66. */
	if (o.has_inside4 && !public) {
		fprintf(stderr, "sipalgd: --replay needs IN.pcap, --out OUT.pcap, --inside CIDR and --public ADDR\n");
		usage(stderr);
		return 2;
	}
	if (public && inet_pton(AF_INET, public, &o.public_ip) != 1) {
		fprintf(stderr, "sipalgd: --public '%s': expected an IPv4 address\n", public);
		return 2;
	}
	if (public6 && (!o.has_inside6 || inet_pton(AF_INET6, public6, &o.public6) != 1)) {
		fprintf(stderr, "sipalgd: --public6 '%s': expected an IPv6 address, with an IPv6 --inside\n",
			public6);
		return 2;
	}
	o.has_public6 = public6 != NULL;
	if (load(cfgpath, &cfg) < 0)
		return 1;
	log_init(0, cfg.log_level);
	o.cfg = &cfg;
	if (replay_run(&o, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "sipalgd: replay: %s\n", err);
		return 1;
	}
	fprintf(stderr, "sipalgd: replay: %llu packets: %llu SIP rewritten, %llu SIP unchanged, "
		"%llu NAT only, %llu copied\n",
		(unsigned long long)st.packets, (unsigned long long)st.sip_rewritten,
		(unsigned long long)st.sip_unchanged, (unsigned long long)st.nat_only,
		(unsigned long long)st.copied);
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	const char *sock = NULL, *cfgpath = NULL;
	struct sipalgd_config cfg;
	bool json = false;
	int ch;
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "s:c:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 's': sock = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (load(cfgpath, &cfg) < 0)
		return 1;
	if (!sock)
		sock = cfg.status_socket;
#ifdef SIPALGD_HAVE_STATUS
	return status_main(sock, json) < 0 ? 1 : 0;
#else
	fprintf(stderr, "sipalgd: this build has no status command yet (daemon/status.c); socket would be %s\n", sock);
	return 1;
#endif
}

/*
 * A subcommand is the first argument ("status"); a mode option ("--replay")
 * may stand anywhere. Anything else runs the daemon.
 */
static const struct command {
	const char *word;
	bool anywhere;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "status", false, cmd_status },
	{ "--replay", true, cmd_replay },
};

static bool matches(const struct command *c, const char *arg)
{
	size_t n = strlen(c->word);

	return strncmp(arg, c->word, n) == 0 &&
	       (arg[n] == '\0' || (c->anywhere && arg[n] == '='));
}

int main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];

		if (!c->anywhere && argc > 1 && matches(c, argv[1]))
			return c->fn(argc - 1, argv + 1);
		for (int a = 1; c->anywhere && a < argc; a++)
			if (matches(c, argv[a]))
				return c->fn(argc, argv);
	}
	return cmd_daemon(argc, argv);
}
