/*
 * status.h - the status socket: a unix stream socket; whoever connects says
 * "text\n" or "json\n" and gets one report (mode, counters, registrations,
 * live dialogs and pinholes) and EOF. The daemon's side of each connection
 * is status_conn.h.
 */
#ifndef SIPALGD_STATUS_H
#define SIPALGD_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Daemon side. Creates the socket's directory if missing. fd or -1 with err. */
int status_listen(const char *path, char *err, size_t errlen);
void status_close(int fd, const char *path);

/* `sipalgd status [--json]`: print the daemon's report. 0, or -1 (said on stderr). */
int status_main(const char *sock_path, bool json);

#endif
