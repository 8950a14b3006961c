/* kafka_consumer.c - reading a topic back in the relay tests (kafka_consumer.h). */
#include "kafka_consumer.h"

#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
say(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
}

static char *
copy_bytes(const void *p, size_t n)
{
    char *s;
    if (p == NULL)
        return NULL;
    if ((s = malloc(n + 1)) == NULL)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static int
cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A sorted copy of want, for bsearch. Caller frees. */
static const char **
sorted_ids(const char *const *want, size_t n)
{
    const char **s = calloc(n ? n : 1, sizeof *s);
    if (s == NULL)
        abort();
    memcpy(s, want, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_str_ptr);
    return s;
}

/* The index of id in the sorted set, or -1. */
static long
id_index(const char **set, size_t n, const char *id)
{
    if (id == NULL)
        return -1;
    const char **hit = bsearch(&id, set, n, sizeof *set, cmp_str_ptr);
    return hit ? (long)(hit - set) : -1;
}

static void
append(struct kc_log *log, const rd_kafka_message_t *m)
{
    if (log->n == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 256;
        struct kc_msg *grown = realloc(log->msgs, cap * sizeof *grown);
        if (grown == NULL)
            abort();
        log->msgs = grown;
        log->cap = cap;
    }
    struct kc_msg *k = &log->msgs[log->n++];
    memset(k, 0, sizeof *k);
    k->key = copy_bytes(m->key, m->key_len);
    k->value = copy_bytes(m->payload, m->len);
    k->value_len = m->len;
    k->partition = m->partition;
    k->offset = m->offset;
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs != NULL) {
        size_t n = rd_kafka_header_cnt(hdrs);
        if ((k->headers = calloc(n ? n : 1, sizeof *k->headers)) == NULL)
            abort();
        for (size_t i = 0; i < n; i++) {
            const char *name;
            const void *value;
            size_t size;
            if (rd_kafka_header_get_all(hdrs, i, &name, &value, &size) !=
                RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            k->headers[i].name = copy_bytes(name, strlen(name));
            k->headers[i].value = copy_bytes(value, size);
            k->n_headers = i + 1;
        }
    }
}

const char *
kc_header(const struct kc_msg *m, const char *name)
{
    for (size_t i = 0; i < m->n_headers; i++)
        if (strcmp(m->headers[i].name, name) == 0)
            return m->headers[i].value;
    return NULL;
}

static void
quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

static rd_kafka_t *
consumer_new(const char *brokers, char *why, size_t why_size)
{
    static atomic_int serial;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char group[64], err[256];
    snprintf(group, sizeof group, "capa-test-%d-%d", (int)getpid(), atomic_fetch_add(&serial, 1));
    /* clang-format off */
    const char *kv[][2] = {
        {"bootstrap.servers", brokers},
        {"group.id", group},
        {"enable.auto.commit", "false"},
        {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"},
        {"fetch.wait.max.ms", "50"},
        {"fetch.error.backoff.ms", "50"},
        {"reconnect.backoff.ms", "50"},
        {"reconnect.backoff.max.ms", "500"},
        {"client.id", "capa-test-consumer"},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err) != RD_KAFKA_CONF_OK) {
            say(why, why_size, "consumer property %s: %s", kv[i][0], err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    /* the mock cluster's brokers go down on purpose: no noise */
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (rk == NULL) {
        say(why, why_size, "consumer: %s", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* The topic's partition count, waiting for the metadata until deadline. */
static int
partition_count(rd_kafka_t *rk, const char *topic, double deadline)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int n = -1;
    while (n <= 0 && now_s() < deadline) {
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
                n = md->topics[0].partition_cnt;
            rd_kafka_metadata_destroy(md);
        }
        if (n <= 0)
            usleep(100 * 1000);
    }
    rd_kafka_topic_destroy(rkt);
    return n;
}

int
kc_read(const char *brokers, const char *topic, const char *const *want, size_t n_want,
        int timeout_ms, struct kc_log *out, char *why, size_t why_size)
{
    double deadline = now_s() + timeout_ms / 1000.0;
    const char **set = sorted_ids(want, n_want);
    bool *seen = calloc(n_want ? n_want : 1, sizeof *seen);
    bool *eof = NULL;
    size_t n_seen = 0;
    int rc = -1, n_parts = 0;
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_t *rk = consumer_new(brokers, why, why_size);

    if (seen == NULL)
        abort();
    if (rk == NULL)
        goto out;
    if ((n_parts = partition_count(rk, topic, deadline)) <= 0) {
        say(why, why_size, "no metadata for topic %s", topic);
        goto out;
    }
    if ((eof = calloc((size_t)n_parts, sizeof *eof)) == NULL)
        abort();
    parts = rd_kafka_topic_partition_list_new(n_parts);
    for (int p = 0; p < n_parts; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    if (rd_kafka_assign(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        say(why, why_size, "cannot assign the partitions of %s", topic);
        goto out;
    }
    char last_error[256] = "";
    for (;;) {
        int n_eof = 0;
        for (int p = 0; p < n_parts; p++)
            n_eof += eof[p];
        if (n_seen == n_want && n_eof == n_parts) {
            rc = 0;
            break;
        }
        if (now_s() >= deadline) {
            say(why, why_size,
                "timeout: %zu of %zu wanted events seen, %d of %d partitions at their end, "
                "%zu messages read%s%s",
                n_seen, n_want, n_eof, n_parts, out->n, last_error[0] ? "; last error: " : "",
                last_error);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m == NULL)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition >= 0 && m->partition < n_parts)
                eof[m->partition] = true;
        } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(last_error, sizeof last_error, "%s", rd_kafka_message_errstr(m));
        } else {
            append(out, m);
            if (m->partition >= 0 && m->partition < n_parts)
                eof[m->partition] = false;
            long i = id_index(set, n_want, kc_header(&out->msgs[out->n - 1], "ce_id"));
            if (i >= 0 && !seen[i]) {
                seen[i] = true;
                n_seen++;
            }
        }
        rd_kafka_message_destroy(m);
    }
out:
    if (parts != NULL)
        rd_kafka_topic_partition_list_destroy(parts);
    if (rk != NULL) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    free(eof);
    free(seen);
    free(set);
    return rc;
}

static bool
same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_message(const struct kc_msg *a, const struct kc_msg *b)
{
    if (!same_text(a->key, b->key) || a->value_len != b->value_len ||
        !same_text(a->value, b->value) || a->n_headers != b->n_headers)
        return false;
    for (size_t i = 0; i < a->n_headers; i++)
        if (!same_text(a->headers[i].name, b->headers[i].name) ||
            !same_text(a->headers[i].value, b->headers[i].value))
            return false;
    return true;
}

struct arrival {
    const char *key;
    size_t index; /* in arrival order */
    long sequence;
};

static int
cmp_arrival(const void *a, const void *b)
{
    const struct arrival *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

int
kc_check(const struct kc_log *log, const char *const *want, size_t n_want, char *why,
         size_t why_size)
{
    const char **set = sorted_ids(want, n_want);
    long *first = malloc((n_want ? n_want : 1) * sizeof *first);
    struct arrival *arr = calloc(n_want ? n_want : 1, sizeof *arr);
    size_t n_arr = 0;
    int rc = -1;

    if (first == NULL || arr == NULL)
        abort();
    for (size_t i = 0; i < n_want; i++)
        first[i] = -1;
    for (size_t k = 0; k < log->n; k++) {
        const struct kc_msg *m = &log->msgs[k];
        const char *ce_id = kc_header(m, "ce_id");
        long i = id_index(set, n_want, ce_id);
        if (i < 0)
            continue;
        if (first[i] >= 0) {
            if (!same_message(&log->msgs[first[i]], m)) {
                say(why, why_size,
                    "event %s arrived twice with different contents (partition %d offsets "
                    "%lld and %lld)",
                    ce_id, log->msgs[first[i]].partition, log->msgs[first[i]].offset, m->partition,
                    m->offset);
                goto out;
            }
            continue;
        }
        first[i] = (long)k;
        const char *seq = kc_header(m, "ce_sequence");
        if (m->key == NULL || seq == NULL) {
            say(why, why_size, "event %s has no key or no ce_sequence", ce_id);
            goto out;
        }
        arr[n_arr++] = (struct arrival){m->key, k, strtol(seq, NULL, 10)};
    }
    for (size_t i = 0; i < n_want; i++)
        if (first[i] < 0) {
            say(why, why_size, "event %s never arrived (%zu of %zu wanted events did)", set[i],
                n_arr, n_want);
            goto out;
        }
    qsort(arr, n_arr, sizeof *arr, cmp_arrival);
    for (size_t i = 1; i < n_arr; i++)
        if (strcmp(arr[i].key, arr[i - 1].key) == 0 && arr[i].sequence <= arr[i - 1].sequence) {
            say(why, why_size, "case %s: event with ce_sequence %ld arrived after ce_sequence %ld",
                arr[i].key, arr[i].sequence, arr[i - 1].sequence);
            goto out;
        }
    rc = 0;
out:
    free(arr);
    free(first);
    free(set);
    return rc;
}

const struct kc_msg *
kc_first(const struct kc_log *log, const char *ce_id, int *copies)
{
    const struct kc_msg *hit = NULL;
    int n = 0;
    for (size_t k = 0; k < log->n; k++)
        if (same_text(kc_header(&log->msgs[k], "ce_id"), ce_id)) {
            if (hit == NULL)
                hit = &log->msgs[k];
            n++;
        }
    if (copies != NULL)
        *copies = n;
    return hit;
}

void
kc_log_cleanup(struct kc_log *log)
{
    if (log == NULL)
        return;
    for (size_t k = 0; k < log->n; k++) {
        struct kc_msg *m = &log->msgs[k];
        free(m->key);
        free(m->value);
        for (size_t i = 0; i < m->n_headers; i++) {
            free(m->headers[i].name);
            free(m->headers[i].value);
        }
        free(m->headers);
    }
    free(log->msgs);
    memset(log, 0, sizeof *log);
}
