/*
 * osip_once.c - libosip2's parser_init() builds lookup tables that
 * osip_message_parse() and friends read. The engine only calls the
 * per-header parsers, but calling it costs nothing and keeps us safe if
 * libosip2 starts relying on it: pthread_once makes the first call of any
 * thread do it exactly once, so callers never have to.
 */
#include <pthread.h>

#include <osipparser2/osip_parser.h>

#include "osip_once.h"

static pthread_once_t osip_once = PTHREAD_ONCE_INIT;

static void osip_init(void)
{
	parser_init();
}

void alg_osip_init_once(void)
{
	pthread_once(&osip_once, osip_init);
}
