/*
 * dtime.h - timestamps as capa writes them: RFC 3339, UTC, microseconds
 * ("2026-11-29T08:30:00.123456Z", DTIME_LEN-1 characters), the same text form
 * the database's capa_ts() produces.
 *
 *   dtime_parse      RFC 3339 date-time (any offset) -> canonical UTC text
 *   dtime_parse_date "YYYY-MM-DD" or RFC 3339 -> canonical UTC text
 *   dtime_from_unix  seconds + microseconds -> canonical text
 *   dtime_to_unix    canonical text -> seconds (microseconds dropped)
 *   dtime_add_days   canonical text + whole days -> canonical text
 */
#ifndef CAPA_DTIME_H
#define CAPA_DTIME_H

#include <stdbool.h>
#include <stdint.h>

#define DTIME_LEN 28 /* with the terminating NUL */

/* Returns 0 and fills out, or ERR_INVALID when s is not a valid date-time. */
int dtime_parse(const char *s, char out[DTIME_LEN]);
int dtime_parse_date(const char *s, char out[DTIME_LEN]);
void dtime_from_unix(int64_t sec, int usec, char out[DTIME_LEN]);
/* Returns 0, or ERR_INVALID when s is not canonical. */
int dtime_to_unix(const char *s, int64_t *sec);
int dtime_add_days(const char *s, int days, char out[DTIME_LEN]);

#endif
