/*
 * privdrop.h - after the privileged setup, become an unprivileged user that
 * keeps only CAP_NET_ADMIN (queue verdicts, ctnetlink, disabling the helper
 * and removing our nft table at exit need nothing more).
 */
#ifndef SIPALGD_PRIVDROP_H
#define SIPALGD_PRIVDROP_H

#include <stddef.h>

/* Returns 0, or -1 with err naming what failed. */
int privdrop(const char *user, char *err, size_t errlen);

#endif
