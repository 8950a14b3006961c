/*
 * log.h - one JSON object per line on stderr.
 *
 *   log_set_level  minimum level written (thread-safe to call at start-up only)
 *   log_level_names  the levels' names, in enum order
 *   log_error / log_warn / log_info / log_debug  printf-style message
 *   log_event      a structured line: the given JSON fields plus time and level
 *   log_request_set  the request this thread now serves: every line it writes,
 *                  in whichever layer, carries its request_id until reset
 *
 * Messages follow the PostgreSQL style: lower case, no trailing period, what
 * failed and why. Never log secrets or evidence contents.
 */
#ifndef CAPA_LOG_H
#define CAPA_LOG_H

#include <jansson.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void log_set_level(enum log_level level);
/* "debug", "info", "warn", "error", indexed by enum log_level; NULL after the last. */
extern const char *const log_level_names[];

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Write fields (a JSON object, borrowed) as one line, after "time" and
 * "level"; fields of those names are ignored. Strings are escaped by jansson,
 * so they must be valid UTF-8; reals keep 9 significant digits. Nothing is
 * written below the minimum level, or when fields is not an object.
 */
void log_event(enum log_level level, const json_t *fields);

/*
 * The request id (copied; at most LOG_REQUEST_ID_MAX bytes kept) that every
 * line this thread writes carries as "request_id", until log_request_set(NULL).
 * The HTTP layer sets it for the time of each request.
 */
#define LOG_REQUEST_ID_MAX 128
void log_request_set(const char *request_id);

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
