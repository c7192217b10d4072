/* replay_vline.c - the -v line of the replay (see replay_vline.h). */
#include "replay_vline.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vadd(struct vline *v, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (v->n >= sizeof(v->s) - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(v->s + v->n, sizeof(v->s) - v->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		v->n += (size_t)k < sizeof(v->s) - v->n ? (size_t)k : sizeof(v->s) - 1 - v->n;
}

/* Bytes as printable text: a capture may hold anything. */
void vadd_text(struct vline *v, const uint8_t *p, size_t len)
{
	char buf[96];
	size_t i, n = len < sizeof(buf) - 4 ? len : sizeof(buf) - 4;

	for (i = 0; i < n; i++)
		buf[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	vadd(v, "'%s'", buf);
}


const char *vline_addr(const struct sipalg_addr *a, char *buf)
{
	if (sipalg_addr_is_v6(a))
		return inet_ntop(AF_INET6, &a->ip6, buf, VLINE_ADDR_MAX);
	return inet_ntop(AF_INET, &a->ip, buf, VLINE_ADDR_MAX);
}
