/*
 * table_lock.h - the one lock around the state that all queue workers share
 * (daemon/worker.c): the pinhole table (rtp/), the registration table and
 * the pinhole layer's failure reports into rtp/.
 *
 * Why one recursive mutex: rtp/ calls back into nat/ (the kernel ops, whose
 * failures call rtp_expect_lost() again), and a dialog's two directions or a
 * hairpin's two legs may be served by different workers, so every entry
 * into those tables must see the other worker's last change. The engine's
 * parse and the splice stay outside: a message takes the lock at its first
 * media line (the engine's map callback) or, without SDP, for the pinhole
 * and registration step only. Off (no-ops) until a second worker starts, so
 * one worker runs exactly as before.
 */
#ifndef SIPALGD_NAT_TABLE_LOCK_H
#define SIPALGD_NAT_TABLE_LOCK_H

#include <stdbool.h>

/* Before any worker thread exists (not thread-safe itself). */
void nat_table_lock_enable(bool on);
bool nat_table_lock_enabled(void);

void nat_table_lock(void);
void nat_table_unlock(void);

#endif
