/* log.c - JSON lines on stderr (log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level min_level = LOG_LEVEL_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_set_level(enum log_level level)
{
    min_level = level;
}

int
log_level_from_text(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(level_names[i], s) == 0)
            return i;
    return -1;
}

/* Append s to out as the body of a JSON string. */
static size_t
escape(char *out, size_t size, size_t off, const char *s)
{
    for (; *s && off + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[off++] = '\\';
            out[off++] = (char)c;
        } else if (c < 0x20) {
            off += (size_t)snprintf(out + off, size - off, "\\u%04x", c);
        } else {
            out[off++] = (char)c;
        }
    }
    return off;
}

void
log_write(enum log_level level, const char *fmt, ...)
{
    char msg[2048], line[4608], ts[32];
    struct timeval tv;
    struct tm tm;
    va_list ap;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    size_t off =
        (size_t)snprintf(line, sizeof line, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"",
                         ts, (long)tv.tv_usec / 1000, level_names[level]);
    off = escape(line, sizeof line, off, msg);
    off += (size_t)snprintf(line + off, sizeof line - off, "\"}\n");
    fwrite(line, 1, off < sizeof line ? off : sizeof line - 1, stderr);
}
