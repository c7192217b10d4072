/*
 * log.c - stderr or syslog, with levels. See log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

static int log_to_syslog;
static int log_level = LOG_INFO;
static bool journal_prefix;	/* stderr is systemd's journal stream: "<7>" etc. */

/*
 * sd-daemon(3): a service's stderr line may start with "<N>", its syslog
 * priority. Only when stderr is the journal's stream - JOURNAL_STREAM names
 * its device and inode (systemd.exec(5)) - never on a terminal or a file.
 */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static const struct {
	const char *name;
	int level;
} level_names[] = {
	{ "error", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

void log_init(int to_syslog, int level)
{
	if (log_to_syslog && !to_syslog)
		closelog();
	log_to_syslog = to_syslog;
	log_level = level;
	journal_prefix = !to_syslog && stderr_is_journal();
	if (to_syslog)
		openlog("sipalgd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_daemonized(void)
{
	if (!log_to_syslog)
		log_init(1, log_level);
}

void log_setlevel(int level)
{
	log_level = level;
}

int log_getlevel(void)
{
	return log_level;
}

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i].name) == 0)
			return level_names[i].level;
	return -1;
}

const char *log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "?";
}

static const char *prio_prefix(int level)
{
	static const char *const p[] = { "<0>", "<1>", "<2>", "<3>", "<4>", "<5>", "<6>", "<7>" };

	return p[level & 7];
}

void vlog(int level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	if (log_to_syslog) {
		vsyslog(level, fmt, ap);
		return;
	}
	/* One fprintf per line keeps lines whole when stderr is shared. */
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%ssipalgd: %s%s\n", journal_prefix ? prio_prefix(level) : "",
		level <= LOG_ERR ? "error: " : level == LOG_WARNING ? "warning: " : "",
		line);
}

static void log_errno(int level, int saved_errno, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level > log_level)
		return;
	if (log_to_syslog)
		syslog(level, "%s: %s", msg, strerror(saved_errno));
	else
		fprintf(stderr, "%ssipalgd: %s%s: %s\n", journal_prefix ? prio_prefix(level) : "",
			level <= LOG_ERR ? "error: " : "warning: ", msg,
			strerror(saved_errno));
}

void log_warn(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_WARNING, saved_errno, fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	/* A fatal error is always shown, whatever the level. */
	if (log_level < LOG_ERR)
		log_level = LOG_ERR;
	va_start(ap, fmt);
	log_errno(LOG_ERR, saved_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_ERR)
		log_level = LOG_ERR;
	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
