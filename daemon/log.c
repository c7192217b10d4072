/*
 * log.c - stderr or syslog, with levels. See log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int log_to_syslog;
static int log_level = LOG_INFO;

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
	fprintf(stderr, "sipalgd: %s%s\n",
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
		fprintf(stderr, "sipalgd: %s%s: %s\n",
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
