/* test_util.h - helpers shared by the engine's tests (files, addresses, diffs). */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipalg.h"

/* Whole file into a malloc'd buffer (NULL + errno on failure). */
uint8_t *tu_read_file(const char *path, size_t *len);
/* "a.b.c.d:port" (port optional = 5060); 1 ok, 0 bad (inih's convention). */
int tu_parse_addr(const char *s, struct sipalg_addr *a);
/* a as text: "a.b.c.d[:port]" or "[v6]:port" / "v6" (port: with the port). */
const char *tu_addr_str(const struct sipalg_addr *a, char *buf, size_t cap, bool port);
/* Print the first differing lines of two texts, CR shown as \r. */
/* Does the edit write back exactly the bytes of msg it replaces? */
bool tu_edit_is_noop(const uint8_t *msg, const struct sipalg_edit *e);
void tu_print_diff(const uint8_t *exp, size_t elen, const uint8_t *got, size_t glen);

#endif
