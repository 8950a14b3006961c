/*
 * clock.h - the monotonic clock, for durations and deadlines (never for a
 * time that is shown or stored: that is the wall clock's, dtime.h).
 */
#ifndef CAPA_CLOCK_H
#define CAPA_CLOCK_H

/* Milliseconds, and seconds, since an arbitrary fixed point (CLOCK_MONOTONIC). */
long clock_mono_ms(void);
double clock_mono_s(void);

#endif
