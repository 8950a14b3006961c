/* dtime.c - RFC 3339 parsing and the canonical UTC text form (dtime.h). */
#include "dtime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"

static bool
digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool
leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no libc time zone state). */
static int64_t
days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool
parse_date(const char *s, int *y, int *m, int *d)
{
    if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, m) || s[7] != '-' ||
        !digits(s + 8, 2, d))
        return false;
    return *y >= 1900 && *y <= 9999 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= month_days(*y, *m);
}

/* Canonical text has a four-digit year from 1900: keep every result in that range. */
static bool
in_range(int64_t t)
{
    return t >= days_from_civil(1900, 1, 1) * 86400 && t < days_from_civil(10000, 1, 1) * 86400;
}

void
dtime_from_unix(int64_t sec, int usec, char out[DTIME_LEN])
{
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, DTIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, DTIME_LEN - n, ".%06uZ", (unsigned)usec % 1000000u);
}

int
dtime_parse(const char *s, char out[DTIME_LEN])
{
    int y, mo, d, h, mi, sec, usec = 0;
    if (s == NULL || !parse_date(s, &y, &mo, &d))
        return ERR_INVALID;
    const char *p = s + 10;
    if ((*p != 'T' && *p != 't') || !digits(p + 1, 2, &h) || p[3] != ':' ||
        !digits(p + 4, 2, &mi) || p[6] != ':' || !digits(p + 7, 2, &sec))
        return ERR_INVALID;
    if (h > 23 || mi > 59 || sec > 59)
        return ERR_INVALID;
    p += 9;
    if (*p == '.') {
        int n = 0;
        p++;
        while (isdigit((unsigned char)*p)) {
            if (n < 6)
                usec = usec * 10 + (*p - '0');
            n++;
            p++;
        }
        if (n == 0 || n > 9)
            return ERR_INVALID;
        for (; n < 6; n++)
            usec *= 10;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return ERR_INVALID;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return ERR_INVALID;
    }
    if (*p != '\0')
        return ERR_INVALID;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    if (!in_range(t))
        return ERR_INVALID;
    dtime_from_unix(t, usec, out);
    return ERR_OK;
}

int
dtime_parse_date(const char *s, char out[DTIME_LEN])
{
    int y, m, d;
    if (s != NULL && strlen(s) == 10 && parse_date(s, &y, &m, &d)) {
        dtime_from_unix(days_from_civil(y, m, d) * 86400, 0, out);
        return ERR_OK;
    }
    return dtime_parse(s, out);
}

int
dtime_to_unix(const char *s, int64_t *sec)
{
    char canon[DTIME_LEN];
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (dtime_parse(s, canon) != ERR_OK || strcmp(canon, s) != 0)
        return ERR_INVALID;
    parse_date(s, &y, &mo, &d);
    digits(s + 11, 2, &h);
    digits(s + 14, 2, &mi);
    digits(s + 17, 2, &se);
    *sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return ERR_OK;
}

int
dtime_add_days(const char *s, int days, char out[DTIME_LEN])
{
    int64_t sec;
    int usec;
    if (dtime_to_unix(s, &sec) != ERR_OK || sscanf(s + 20, "%6d", &usec) != 1 ||
        !in_range(sec + (int64_t)days * 86400))
        return ERR_INVALID;
    dtime_from_unix(sec + (int64_t)days * 86400, usec, out);
    return ERR_OK;
}
