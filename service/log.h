/*
 * log.h - one JSON object per line on stderr.
 *
 *   log_set_level  minimum level written (thread-safe to call at start-up only)
 *   log_level_from_text
 *   log_error / log_warn / log_info / log_debug  printf-style message
 *
 * Messages follow the PostgreSQL style: lower case, no trailing period, what
 * failed and why. Never log secrets or evidence contents.
 */
#ifndef CAPA_LOG_H
#define CAPA_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void log_set_level(enum log_level level);
/* Returns the level, or -1 for unknown text. */
int log_level_from_text(const char *s);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
