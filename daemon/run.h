/*
 * run.h - the daemon proper: set up netfilter (helper, queue, rules), drop
 * privileges, run the event loop until SIGTERM/SIGINT, clean up.
 */
#ifndef SIPALGD_RUN_H
#define SIPALGD_RUN_H

#include "config.h"

/*
 * config_path is re-read on SIGHUP. Returns 0 after a clean exit, -1 when
 * setup failed (logged).
 */
int daemon_run(const char *config_path, struct sipalgd_config *cfg);

#endif
