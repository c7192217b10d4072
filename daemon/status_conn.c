/* status_conn.c - non-blocking status clients; see status_conn.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "status_conn.h"

#define TAG_LISTEN	UINT32_MAX
#define TAG_TIMER	(UINT32_MAX - 1)

enum client_state { FREE, WAIT_REQUEST, SENDING };

struct client {
	enum client_state state;
	int fd;
	char req[16];
	size_t req_len;
	char *buf;		/* the rendered report */
	size_t len, off;
	uint64_t deadline;	/* CLOCK_MONOTONIC ms */
};

struct status_srv {
	int listen_fd, ep, timer;
	size_t bytes;		/* unsent report bytes held */
	struct status_srv_stats st;
	struct client c[STATUS_CLIENTS_MAX];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int ep_set(struct status_srv *s, int op, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	return epoll_ctl(s->ep, op, fd, &ev);
}

struct status_srv *status_srv_new(int listen_fd)
{
	struct status_srv *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->listen_fd = listen_fd;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->ep < 0 || s->timer < 0 ||
	    ep_set(s, EPOLL_CTL_ADD, listen_fd, EPOLLIN, TAG_LISTEN) < 0 ||
	    ep_set(s, EPOLL_CTL_ADD, s->timer, EPOLLIN, TAG_TIMER) < 0) {
		status_srv_free(s);
		return NULL;
	}
	return s;
}

static void drop(struct status_srv *s, struct client *c)
{
	close(c->fd);	/* also leaves the epoll set */
	if (c->state == SENDING)
		s->bytes -= c->len - c->off;
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->state = FREE;
	s->st.clients--;
}

void status_srv_free(struct status_srv *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < STATUS_CLIENTS_MAX; i++)
		if (s->c[i].state != FREE)
			drop(s, &s->c[i]);
	if (s->ep >= 0)
		close(s->ep);
	if (s->timer >= 0)
		close(s->timer);
	free(s);
}

int status_srv_fd(const struct status_srv *s)
{
	return s->ep;
}

const struct status_srv_stats *status_srv_stats(const struct status_srv *s)
{
	return &s->st;
}

/* As much as the socket takes now; the whole report sent ends the client. */
static void send_some(struct status_srv *s, struct client *c)
{
	while (c->off < c->len) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			drop(s, c);	/* the reader went away */
			return;
		}
		c->off += (size_t)n;
		s->bytes -= (size_t)n;
	}
	s->st.served++;
	drop(s, c);
}

static void start_reply(struct status_srv *s, struct client *c, bool json,
			status_render_fn fn, void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f) {
		fn(arg, f, json);
		if (fclose(f) != 0)
			len = 0;
	}
	if (!f || len == 0 || s->bytes + len > STATUS_BYTES_MAX) {
		free(buf);
		s->st.refused_busy++;	/* out of memory, or the byte bound */
		drop(s, c);
		return;
	}
	c->buf = buf;
	c->len = len;
	c->off = 0;
	c->state = SENDING;
	s->bytes += len;
	c->deadline = now_ms() + STATUS_SEND_MS;
	shutdown(c->fd, SHUT_RD);	/* nothing more is read from it */
	if (ep_set(s, EPOLL_CTL_MOD, c->fd, EPOLLOUT, (uint32_t)(c - s->c)) < 0) {
		drop(s, c);
		return;
	}
	send_some(s, c);
}

static bool wants_json(const struct client *c)
{
	return c->req_len >= 4 && memcmp(c->req, "json", 4) == 0;
}

static void read_request(struct status_srv *s, struct client *c, status_render_fn fn, void *arg)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len,
				 MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;	/* the rest of the line later, or the deadline */
		if (n < 0) {
			drop(s, c);
			return;
		}
		c->req_len += (size_t)n;
		/* a line, EOF or a full buffer: the request is what it is */
		if (n == 0 || memchr(c->req, '\n', c->req_len) ||
		    c->req_len == sizeof(c->req) - 1) {
			start_reply(s, c, wants_json(c), fn, arg);
			return;
		}
	}
}

static void accept_all(struct status_srv *s)
{
	/* bounded: a connect flood costs one pass over the backlog per turn */
	for (unsigned k = 0; k < 2 * STATUS_CLIENTS_MAX; k++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c = NULL;

		if (fd < 0)
			return;
		for (unsigned i = 0; i < STATUS_CLIENTS_MAX && !c; i++)
			if (s->c[i].state == FREE)
				c = &s->c[i];
		if (!c || ep_set(s, EPOLL_CTL_ADD, fd, EPOLLIN, (uint32_t)(c - s->c)) < 0) {
			s->st.refused_busy++;
			close(fd);
			continue;
		}
		*c = (struct client){ .state = WAIT_REQUEST, .fd = fd,
				      .deadline = now_ms() + STATUS_REQUEST_MS };
		s->st.clients++;
	}
}

static void check_deadlines(struct status_srv *s, status_render_fn fn, void *arg)
{
	uint64_t now = now_ms();

	for (unsigned i = 0; i < STATUS_CLIENTS_MAX; i++) {
		struct client *c = &s->c[i];

		if (c->state == FREE || c->deadline > now)
			continue;
		if (c->state == WAIT_REQUEST) {
			start_reply(s, c, wants_json(c), fn, arg);	/* said nothing: text */
		} else {
			s->st.dropped_slow++;
			drop(s, c);
		}
	}
}

/* The timer fires at the earliest deadline; disarmed with no client. */
static void arm_timer(struct status_srv *s)
{
	uint64_t next = 0;
	struct itimerspec its = { 0 };

	for (unsigned i = 0; i < STATUS_CLIENTS_MAX; i++)
		if (s->c[i].state != FREE && (!next || s->c[i].deadline < next))
			next = s->c[i].deadline;
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000 + 1;	/* never 0: disarm */
	}
	timerfd_settime(s->timer, TFD_TIMER_ABSTIME, &its, NULL);
}

void status_srv_run(struct status_srv *s, status_render_fn fn, void *arg)
{
	struct epoll_event ev[STATUS_CLIENTS_MAX + 2];
	int n = epoll_wait(s->ep, ev, STATUS_CLIENTS_MAX + 2, 0);
	uint64_t ticks;

	for (int i = 0; i < n; i++) {
		uint32_t tag = ev[i].data.u32;
		struct client *c;

		if (tag == TAG_LISTEN) {
			accept_all(s);
			continue;
		}
		if (tag == TAG_TIMER) {
			ssize_t r = read(s->timer, &ticks, sizeof(ticks));

			(void)r;	/* EAGAIN: re-armed meanwhile; deadlines are checked below */
			continue;
		}
		if (tag >= STATUS_CLIENTS_MAX)
			continue;
		c = &s->c[tag];
		if (c->state == WAIT_REQUEST)
			read_request(s, c, fn, arg);
		else if (c->state == SENDING)
			send_some(s, c);	/* EPOLLERR/HUP end up in a failed send */
	}
	check_deadlines(s, fn, arg);
	arm_timer(s);
}
