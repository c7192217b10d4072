/*
 * clock_ms.h - the packet loops' clock: CLOCK_MONOTONIC_COARSE in ms.
 *
 * The loops read the clock two or three times per drain for TCP hold
 * deadlines (20 ms at least, hold_ms) and the 1 s tick; a jiffy's
 * resolution (4 ms at HZ=250, 10 ms at HZ=100) serves them. The coarse clock
 * is read from the vDSO page without touching the clocksource; the precise
 * one is a system call wherever the clocksource has no vDSO mode (HPET,
 * acpi_pm: the TCG guest, some router boards), and was one of a new call's
 * five system calls there.
 */
#ifndef SIPALGD_DAEMON_CLOCK_MS_H
#define SIPALGD_DAEMON_CLOCK_MS_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
