/* table_lock.c - see table_lock.h. */
#include <pthread.h>

#include "table_lock.h"

static pthread_mutex_t table_mutex;
static bool table_lock_on;

void nat_table_lock_enable(bool on)
{
	static bool made;

	/* a recursive mutex: rtp/ -> pinhole ops -> rtp_expect_lost() re-enters */
	if (on && !made) {
		pthread_mutexattr_t a;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&table_mutex, &a);
		pthread_mutexattr_destroy(&a);
		made = true;
	}
	table_lock_on = on;
}

bool nat_table_lock_enabled(void)
{
	return table_lock_on;
}

void nat_table_lock(void)
{
	if (table_lock_on)
		pthread_mutex_lock(&table_mutex);
}

void nat_table_unlock(void)
{
	if (table_lock_on)
		pthread_mutex_unlock(&table_mutex);
}
