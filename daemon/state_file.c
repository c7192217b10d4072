/* state_file.c - see state_file.h. rtp/state_file.c owns the format. */
#include "state_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "expect_nl.h"
#include "log.h"

/* A file larger than any table could write is not read: 64 MB holds
 * ~300 000 records of the longest kind. */
#define STATE_FILE_MAX (64u << 20)

void state_file_init(struct state_file *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
}

static uint64_t usec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int state_file_write(const char *path, const struct rtp_table *t)
{
	char tmp[4200], dir[4200];
	FILE *f;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	if (rtp_state_write(t, f) < 0 || fflush(f) != 0 || fsync(fd) != 0)
		err = errno ? -errno : -EIO;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) != 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	/* The rename itself is durable once the directory is synced. */
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

bool state_file_tick(struct state_file *s, const struct rtp_table *t, time_t now, bool force)
{
	uint64_t c;
	int err;

	if (!s->path || !s->path[0] || !t)
		return false;
	c = rtp_table_changes(t);
	if (s->ever_saved && c == s->saved_changes && !force)
		return true;
	if (!force && s->ever_saved && now == s->saved_at)
		return false;	/* at most once a second */
	err = state_file_write(s->path, t);
	s->saved_at = now;
	if (err) {
		s->write_errors++;
		if (!s->warned)
			log_warnx("state file %s: %s (a restart will know only the kernel's pinholes)",
				  s->path, strerror(-err));
		s->warned = true;
		return false;
	}
	s->writes++;
	s->saved_changes = c;
	s->ever_saved = true;
	s->warned = false;
	return true;
}

/* The whole file, NUL-terminated; NULL when there is none or it is too big. */
static char *read_all(const char *path, size_t *len, int *err)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got = 0;

	*err = 0;
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATE_FILE_MAX) {
		*err = -EFBIG;
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf) {
		*err = -ENOMEM;
		return NULL;
	}
	buf[got] = 0;
	*len = got;
	return buf;
}

void state_file_recover(struct state_file *s, struct rtp_table *t, const char *helper)
{
	struct rtp_recovery rec = { 0 };
	struct rtp_record *recs = NULL;
	struct rtp_expect *kexp;
	unsigned seen = 0, refused = 0, kmax;
	uint64_t t0 = usec_now();
	long n = 0, m;
	size_t len = 0;
	char *buf = NULL;
	int err = 0;

	if (!t)
		return;
	if (s->path && s->path[0]) {
		buf = read_all(s->path, &len, &err);
		if (!buf && err != -ENOENT)
			log_warnx("state file %s: %s", s->path, strerror(-err));
	}
	if (buf) {
		/* One record per line: the line count bounds the records. */
		size_t lines = 0, i;

		rec.file_found = true;
		for (i = 0; i < len; i++)
			lines += buf[i] == '\n';
		recs = lines ? calloc(lines, sizeof(*recs)) : NULL;
		if (lines && !recs) {
			log_warnx("state file %s: out of memory for %zu records", s->path, lines);
		} else {
			n = rtp_state_parse(buf, len, rtp_table_config(t), recs,
					    (unsigned)lines, &refused);
			if (n < 0) {
				log_warnx("state file %s: not a sipalgd-dialogs 1 file, ignored",
					  s->path);
				n = 0;
			}
		}
		free(buf);
	}
	/* The kernel holds at most nf_conntrack_expect_max of all helpers; four
	 * per pair of the whole pool is the most of ours that matter. */
	kmax = 4 * (rtp_table_config(t)->port_max - rtp_table_config(t)->port_min + 2u) / 2u + 64u;
	kexp = calloc(kmax, sizeof(*kexp));
	m = kexp ? rtp_nl_expect_dump(helper, kexp, kmax, &seen, RTP_NL_DUMP_WAIT_MS) : -ENOMEM;
	if (m < 0)
		log_warnx("expectation dump: %s (the state file alone decides)", strerror((int)-m));
	rtp_table_recover(t, recs, (unsigned)n, m < 0 ? NULL : kexp, m < 0 ? 0 : (unsigned)m,
			  time(NULL), &rec);
	rec.records += refused;
	rec.records_refused += refused;
	rec.kernel_error = m < 0 ? (int)m : 0;
	rec.usec = usec_now() - t0;
	*rtp_table_recovery_mut(t) = rec;
	free(recs);
	free(kexp);
	if (rec.records || rec.kernel_expects || rec.file_found)
		log_info("restart recovery: %u dialogs from %u records (%u refused), %u of our "
			 "pinholes in the kernel (%u live, %u gone), %u orphan pairs, %u conflicts, "
			 "%.1f ms",
			 rec.dialogs, rec.records, rec.records_refused, rec.kernel_expects,
			 rec.pinholes_live, rec.pinholes_gone, rec.orphans, rec.conflicts,
			 (double)rec.usec / 1000.0);
	s->saved_changes = rtp_table_changes(t);
	s->ever_saved = false;	/* the first tick writes what was recovered */
}
