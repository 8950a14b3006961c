/*
 * kafka_consumer.h - what the relay tests read back from Kafka: a plain
 * librdkafka consumer that reads every partition of a topic from the
 * beginning, and the checks every relay test makes on what it read.
 *
 *   kc_read            read until the wanted ce_id values are all seen
 *   kc_header          a header of a consumed message
 *   kc_check           every wanted event present, duplicates identical,
 *                      per-case order of first arrivals kept
 *   kc_first           the first arrival of a ce_id
 *   kc_log_cleanup
 *
 * Test helper only: no cmocka inside, so it may be called from any thread;
 * the caller asserts on the results.
 */
#ifndef CAPA_KAFKA_CONSUMER_H
#define CAPA_KAFKA_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>

struct kc_header {
    char *name;
    char *value; /* NUL-terminated copy; NULL for a null header value */
};

/* One consumed message, in arrival order. */
struct kc_msg {
    char *key;   /* NUL-terminated copy, or NULL */
    char *value; /* NUL-terminated copy, or NULL */
    size_t value_len;
    int partition;
    long long offset;
    struct kc_header *headers;
    size_t n_headers;
};

struct kc_log {
    struct kc_msg *msgs;
    size_t n, cap;
};

/*
 * Read topic on brokers from the beginning of every partition until every
 * ce_id in want (n_want of them; none: want NULL) has been seen and every
 * partition has been read to its end, or timeout_ms passed. Messages are
 * appended to out in arrival order (messages of one partition in offset
 * order). Returns 0 when complete, -1 on timeout or error (why says which;
 * what was read stays in out). Free out with kc_log_cleanup.
 */
int kc_read(const char *brokers, const char *topic, const char *const *want, size_t n_want,
            int timeout_ms, struct kc_log *out, char *why, size_t why_size);

/* The value of the first header called name, or NULL. */
const char *kc_header(const struct kc_msg *m, const char *name);

/*
 * Check the events in log whose ce_id is in want: each is present; every
 * copy of a ce_id carries the same key, value and headers as its first
 * arrival; for each key (case), ce_sequence of first arrivals strictly
 * increases. Returns 0, or -1 with the first violation in why.
 */
int kc_check(const struct kc_log *log, const char *const *want, size_t n_want, char *why,
             size_t why_size);

/* The first arrival of ce_id in log, or NULL. How many copies arrived: *copies (may be NULL). */
const struct kc_msg *kc_first(const struct kc_log *log, const char *ce_id, int *copies);

void kc_log_cleanup(struct kc_log *log);

#endif
