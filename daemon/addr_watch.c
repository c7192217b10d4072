/* addr_watch.c - IPv4 address events over rtnetlink; see addr_watch.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "addr_watch.h"

struct addr_watch {
	struct mnl_socket *nl;
	addr_event_fn fn;
	void *arg;
	int events;
};

struct addr_watch *addr_watch_open(void)
{
	struct addr_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl || mnl_socket_bind(w->nl, RTMGRP_IPV4_IFADDR, MNL_SOCKET_AUTOPID) < 0) {
		addr_watch_close(w);
		return NULL;
	}
	return w;
}

void addr_watch_close(struct addr_watch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}

int addr_watch_fd(const struct addr_watch *w) { return mnl_socket_get_fd(w->nl); }

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if ((type == IFA_LOCAL || type == IFA_ADDRESS) && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_watch *w = data;
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if ((nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)) || ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb);
	/* IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer's
	 * on a point-to-point link such as PPPoE). */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return MNL_CB_OK;
	w->events++;
	w->fn(w->arg, mnl_attr_get_u32(a), nlh->nlmsg_type == RTM_DELADDR);
	return MNL_CB_OK;
}

int addr_watch_read(struct addr_watch *w, addr_event_fn fn, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int i;

	w->fn = fn;
	w->arg = arg;
	w->events = 0;
	for (i = 0; i < 64; i++) {	/* bounded: the loop has packets to serve */
		ssize_t n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			if (errno == ENOBUFS)	/* events lost: the caller rereads all */
				continue;
			return -1;
		}
		mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, w);
	}
	return w->events;
}
