/* log.c - JSON lines on stderr (log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level min_level = LOG_LEVEL_INFO;
/* the request this thread serves ("": none) */
static _Thread_local char request_id[LOG_REQUEST_ID_MAX + 1];

void
log_request_set(const char *id)
{
    snprintf(request_id, sizeof request_id, "%s", id ? id : "");
}

const char *const log_level_names[] = {"debug", "info", "warn", "error", NULL};

void
log_set_level(enum log_level level)
{
    min_level = level;
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

/* Now in UTC with milliseconds: 2026-11-20T10:00:00.123Z. */
static void
timestamp(char ts[32])
{
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(ts, 24, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, 32 - n, ".%03dZ", (int)(tv.tv_usec / 1000) % 1000);
}

void
log_write(enum log_level level, const char *fmt, ...)
{
    /* the end of the line first, so that a long message is cut, never the request id */
    char msg[2048], line[4608], ts[32], tail[6 * LOG_REQUEST_ID_MAX + 32];
    size_t tail_len = 0;
    va_list ap;

    if (level < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (request_id[0] != '\0') {
        tail_len = (size_t)snprintf(tail, sizeof tail, "\",\"request_id\":\"");
        tail_len = escape(tail, sizeof tail, tail_len, request_id);
    }
    tail_len += (size_t)snprintf(tail + tail_len, sizeof tail - tail_len, "\"}\n");
    timestamp(ts);
    size_t off = (size_t)snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"",
                                  ts, log_level_names[level]);
    off = escape(line, sizeof line - tail_len, off, msg);
    memcpy(line + off, tail, tail_len);
    fwrite(line, 1, off + tail_len, stderr);
}

void
log_event(enum log_level level, const json_t *fields)
{
    char ts[32], *text = NULL;
    json_t *j_line = NULL;

    if (level < min_level || !json_is_object(fields))
        return;
    timestamp(ts);
    j_line = json_pack("{s:s, s:s}", "time", ts, "level", log_level_names[level]);
    /* the caller's fields follow, in their order; time and level stay ours */
    if (j_line == NULL || json_object_update_missing(j_line, (json_t *)fields) != 0)
        goto out;
    if (request_id[0] != '\0' && json_object_get(j_line, "request_id") == NULL &&
        json_object_set_new(j_line, "request_id", json_string(request_id)) != 0)
        goto out;
    /* 9 significant digits: durations to the microsecond, without binary noise */
    text = json_dumps(j_line, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (text == NULL)
        goto out;
    /* one write per line, so concurrent lines do not interleave */
    size_t len = strlen(text);
    text[len] = '\n';
    fwrite(text, 1, len + 1, stderr);
out:
    free(text);
    json_decref(j_line);
}
