/* status.c - the status socket, both ends; see status.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "status.h"

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	strcpy(sa->sun_path, path);
	return 0;
}

/* mkdir -p of path's directory (one level is what /run/sipalgd needs). */
static void make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	mkdir(dir, 0755);
}

int status_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd;

	if (fill_addr(&sa, path)) {
		snprintf(err, errlen, "status socket %s: path too long", path);
		return -1;
	}
	make_parent(path);
	unlink(path);	/* left over by a killed daemon */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0660) < 0 || listen(fd, 8) < 0) {
		snprintf(err, errlen, "status socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

void status_close(int fd, const char *path)
{
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

int status_main(const char *sock_path, bool json)
{
	struct sockaddr_un sa;
	char buf[4096];
	ssize_t n;
	int fd;

	if (fill_addr(&sa, sock_path)) {
		fprintf(stderr, "sipalgd status: socket path too long: %s\n", sock_path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "sipalgd status: cannot reach the daemon at %s: %s\n",
			sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* the request; a daemon before status_conn.c ignores it and sends text */
	if (send(fd, json ? "json\n" : "text\n", 5, MSG_NOSIGNAL) != 5) {
		fprintf(stderr, "sipalgd status: %s: %s\n", sock_path, strerror(errno));
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? -1 : 0;
}
