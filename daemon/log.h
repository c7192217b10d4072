/*
 * log.h - the daemon's four-function log layer (OpenBSD style).
 *
 * Messages go to stderr (default, and always before log_init) or to syslog
 * (facility daemon). Levels are syslog's: LOG_ERR < LOG_WARNING < LOG_INFO <
 * LOG_DEBUG; a message is shown when its level <= the configured level.
 * fatal()/fatalx() always log and then exit(1).
 */
#ifndef SIPALGD_LOG_H
#define SIPALGD_LOG_H

#include <stdarg.h>
#include <syslog.h>

#define SIPALGD_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* to_syslog: 0 = stderr, 1 = syslog. level: LOG_ERR .. LOG_DEBUG. */
void log_init(int to_syslog, int level);
void log_setlevel(int level);
/* After daemon(3): stderr is /dev/null now, so stderr logging moves to syslog. */
void log_daemonized(void);
int log_getlevel(void);

/* "error", "warning", "info", "debug" -> LOG_*; -1 if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(int level);

void log_warn(const char *fmt, ...) SIPALGD_PRINTF(1, 2);	/* + ": strerror(errno)" */
void log_warnx(const char *fmt, ...) SIPALGD_PRINTF(1, 2);
void log_info(const char *fmt, ...) SIPALGD_PRINTF(1, 2);
void log_debug(const char *fmt, ...) SIPALGD_PRINTF(1, 2);
void vlog(int level, const char *fmt, va_list ap) SIPALGD_PRINTF(2, 0);

/* Log at LOG_ERR and exit(1). fatal appends strerror(errno). */
void fatal(const char *fmt, ...) SIPALGD_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) SIPALGD_PRINTF(1, 2) __attribute__((noreturn));

#endif
