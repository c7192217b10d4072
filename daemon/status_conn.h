/*
 * status_conn.h - serving the status report without ever blocking the loop.
 *
 * The packet loop polls one fd (an epoll set holding the listening socket,
 * the clients and a deadline timer). A client says "json\n" or "text\n"
 * (nothing within STATUS_REQUEST_MS, or EOF, means text: `socat - UNIX:..`
 * still works); the report is rendered into memory at once (a few hundred
 * microseconds) and then written with non-blocking sends as the client reads.
 * A client that has not read all of it STATUS_SEND_MS after its request is
 * dropped. At most STATUS_CLIENTS_MAX clients and STATUS_BYTES_MAX bytes of
 * unsent reports at a time; a client beyond that is closed at once (counted).
 */
#ifndef SIPALGD_STATUS_CONN_H
#define SIPALGD_STATUS_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define STATUS_CLIENTS_MAX	8
#define STATUS_REQUEST_MS	200
#define STATUS_SEND_MS		5000
#define STATUS_BYTES_MAX	(16u << 20)	/* all unsent reports together */

typedef void (*status_render_fn)(void *arg, FILE *out, bool json);

struct status_srv_stats {
	unsigned clients;		/* connected now */
	uint64_t served;		/* whole reports written */
	uint64_t dropped_slow;		/* did not read theirs in time */
	uint64_t refused_busy;		/* client or byte bound reached */
};

struct status_srv;

/* listen_fd: status_listen()'s (non-blocking; stays the caller's). NULL on error. */
struct status_srv *status_srv_new(int listen_fd);
void status_srv_free(struct status_srv *s);
/* Poll it for POLLIN; then call status_srv_run. */
int status_srv_fd(const struct status_srv *s);
/* Whatever is ready: accepts, requests, sends, deadlines. Never blocks. */
void status_srv_run(struct status_srv *s, status_render_fn fn, void *arg);
const struct status_srv_stats *status_srv_stats(const struct status_srv *s);

#endif
