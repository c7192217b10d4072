/*
 * state_file.h - the dialog table's state file for restarts (rtp/README.md
 * "Restarts"): written from the 1 s timer when the table changed and at exit,
 * read back at start and reconciled with the kernel's expectations.
 */
#ifndef SIPALGD_STATE_FILE_H
#define SIPALGD_STATE_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "rtp.h"

struct state_file {
	const char *path;		/* "" = off */
	uint64_t saved_changes;		/* rtp_table_changes() at the last write */
	time_t saved_at;
	bool ever_saved;
	uint64_t writes, write_errors;
	bool warned;			/* a failing write is logged once */
};

void state_file_init(struct state_file *s, const char *path);
/* At start, before any packet: the file (if any) and the kernel's
 * expectations of helper rebuild t. The figures land in
 * rtp_table_recovery(t) and the log. */
void state_file_recover(struct state_file *s, struct rtp_table *t, const char *helper);
/* From the 1 s timer: write when the table changed since the last write,
 * at most once a second. force: at exit. True when the file on disk now
 * holds the table (written, or unchanged since a good write). */
bool state_file_tick(struct state_file *s, const struct rtp_table *t, time_t now, bool force);
/* Write t to path: tmp file, fsync, rename, fsync of the directory - a
 * crash at any point leaves the previous file or the new one, whole. */
int state_file_write(const char *path, const struct rtp_table *t);

#endif
