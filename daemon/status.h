/*
 * status.h - the status socket: a unix stream socket; whoever connects gets
 * one text report (mode, counters, live dialogs and pinholes) and EOF.
 */
#ifndef SIPALGD_STATUS_H
#define SIPALGD_STATUS_H

#include <stddef.h>
#include <stdio.h>

/* Daemon side. Creates the socket's directory if missing. fd or -1 with err. */
int status_listen(const char *path, char *err, size_t errlen);
void status_close(int fd, const char *path);

typedef void (*status_report_fn)(void *arg, FILE *out);

/* Accept one waiting client, write fn's report to it, close it. */
void status_serve(int listen_fd, status_report_fn fn, void *arg);

/* `sipalgd status`: print the daemon's report. 0, or -1 (said on stderr). */
int status_main(const char *sock_path);

#endif
