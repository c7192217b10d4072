/* test_util.c - see test_util.h */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

uint8_t *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

int tu_parse_addr(const char *s, struct sipalg_addr *a)
{
	char ip[INET6_ADDRSTRLEN];
	const char *end, *colon;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {		/* [v6]:port or [v6] */
		end = strchr(s, ']');
		if (!end || (size_t)(end - s - 1) >= sizeof(ip))
			return 0;
		memcpy(ip, s + 1, (size_t)(end - s - 1));
		ip[end - s - 1] = '\0';
		if (inet_pton(AF_INET6, ip, &a->ip6) != 1)
			return 0;
		a->family = AF_INET6;
		a->port = end[1] == ':' ? (uint16_t)atoi(end + 2) : SIPALG_DEFAULT_PORT;
		return 1;
	}
	if (strchr(s, ':') != strrchr(s, ':')) {	/* a bare v6 address, no port */
		if (inet_pton(AF_INET6, s, &a->ip6) != 1)
			return 0;
		a->family = AF_INET6;
		a->port = SIPALG_DEFAULT_PORT;
		return 1;
	}
	colon = strchr(s, ':');
	n = colon ? (size_t)(colon - s) : strlen(s);
	if (n >= sizeof(ip))
		return 0;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, &a->ip) != 1)
		return 0;
	a->port = colon ? (uint16_t)atoi(colon + 1) : SIPALG_DEFAULT_PORT;
	return 1;
}

const char *tu_addr_str(const struct sipalg_addr *a, char *buf, size_t cap, bool port)
{
	char ip[INET6_ADDRSTRLEN];

	if (sipalg_addr_is_v6(a)) {
		inet_ntop(AF_INET6, &a->ip6, ip, sizeof(ip));
		if (port)
			snprintf(buf, cap, "[%s]:%u", ip, a->port);
		else
			snprintf(buf, cap, "%s", ip);
	} else {
		inet_ntop(AF_INET, &a->ip, ip, sizeof(ip));
		if (port)
			snprintf(buf, cap, "%s:%u", ip, a->port);
		else
			snprintf(buf, cap, "%s", ip);
	}
	return buf;
}

bool tu_edit_is_noop(const uint8_t *msg, const struct sipalg_edit *e)
{
	return strlen(e->text) == e->len && memcmp(msg + e->off, e->text, e->len) == 0;
}

static void show_line(const char *tag, const uint8_t *s, size_t n)
{
	size_t i;

	printf("    %s ", tag);
	for (i = 0; i < n; i++) {
		if (s[i] == '\r')
			printf("\\r");
		else if (s[i] == '\n')
			printf("\\n");
		else if (s[i] < 32 || s[i] > 126)
			printf("\\x%02x", s[i]);
		else
			putchar(s[i]);
	}
	putchar('\n');
}

/* Length of the line at s (including its LF). */
static size_t line_len(const uint8_t *s, size_t n)
{
	const uint8_t *lf = memchr(s, '\n', n);

	return lf ? (size_t)(lf - s) + 1 : n;
}

void tu_print_diff(const uint8_t *exp, size_t elen, const uint8_t *got, size_t glen)
{
	size_t e = 0, g = 0, line = 1, shown = 0;

	while ((e < elen || g < glen) && shown < 6) {
		size_t el = line_len(exp + e, elen - e), gl = line_len(got + g, glen - g);

		if (el != gl || memcmp(exp + e, got + g, el) != 0) {
			printf("  line %zu:\n", line);
			show_line("-", exp + e, el);
			show_line("+", got + g, gl);
			shown++;
		}
		e += el;
		g += gl;
		line++;
	}
	if (elen != glen)
		printf("  expected %zu bytes, got %zu\n", elen, glen);
}
