/*
 * http_metrics.c - request counts and durations by route template, method
 * and status (http_metrics.h).
 *
 * One row per route slot and method holds the duration histogram and the
 * counts by status, so the histogram's _count is always the sum of the
 * counter over the row's statuses: both move under the same lock.
 */
#include "http_metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                      "PATCH", "DELETE", "OPTIONS", "OTHER"};
#define N_METHODS (sizeof methods / sizeof methods[0])

static const double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                0.25,  0.5,    1,     2.5,  5,     10};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

/* more distinct statuses than any route answers; the rest count as "other" */
#define N_STATUSES 24

struct status_count {
    unsigned status; /* 0: free slot */
    long long count;
};

struct row {
    const char *route;           /* set by the first request; NULL: none yet */
    long long buckets[N_BOUNDS]; /* per bucket, not cumulative */
    long long count;             /* every request of the row */
    double sum;                  /* seconds */
    struct status_count statuses[N_STATUSES];
    long long other; /* statuses past the slots, or out of range */
};

/* Why authentication failed: a fixed label set (anything else counts as "other"). */
static const char *const auth_reasons[] = {
    "missing",       "malformed",       "malformed_key", "unknown_key", "no_token_issuer",
    "bad_signature", "alg_not_allowed", "unknown_kid",   "expired",     "not_yet_valid",
    "issuer",        "audience",        "no_subject",    "too_long",    "other"};
#define N_AUTH_REASONS (sizeof auth_reasons / sizeof auth_reasons[0])

struct api_http_metrics {
    pthread_mutex_t lock;
    unsigned long auth_failures[N_AUTH_REASONS];
    unsigned long rate_limited;
    size_t n_rows;
    struct row rows[]; /* (n_routes + 1) * N_METHODS, by route then method */
};

const char *
api_http_method_label(const char *verb)
{
    for (size_t i = 0; verb && i < N_METHODS - 1; i++)
        if (strcmp(methods[i], verb) == 0)
            return methods[i];
    return methods[N_METHODS - 1];
}

static size_t
method_index(const char *verb)
{
    const char *label = api_http_method_label(verb);
    size_t i = 0;
    while (methods[i] != label)
        i++;
    return i;
}

struct api_http_metrics *
api_http_metrics_new(size_t n_routes)
{
    size_t n_rows = (n_routes + 1) * N_METHODS;
    struct api_http_metrics *m = mem_calloc(1, sizeof *m + n_rows * sizeof m->rows[0]);
    pthread_mutex_init(&m->lock, NULL);
    m->n_rows = n_rows;
    return m;
}

void
api_http_metrics_free(struct api_http_metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static long long *
status_counter(struct row *r, unsigned status)
{
    if (status < 100 || status > 599)
        return &r->other;
    for (int i = 0; i < N_STATUSES; i++) {
        if (r->statuses[i].status == 0)
            r->statuses[i].status = status;
        if (r->statuses[i].status == status)
            return &r->statuses[i].count;
    }
    return &r->other;
}

void
api_http_metrics_record(struct api_http_metrics *m, size_t route_index, const char *route,
                        const char *verb, unsigned status, double seconds)
{
    if (m == NULL)
        return;
    size_t i = route_index * N_METHODS + method_index(verb);
    if (i >= m->n_rows)
        return;
    size_t b = 0;
    while (b < N_BOUNDS && seconds > bounds[b])
        b++;
    pthread_mutex_lock(&m->lock);
    struct row *r = &m->rows[i];
    r->route = route;
    if (b < N_BOUNDS)
        r->buckets[b]++;
    r->count++;
    r->sum += seconds;
    (*status_counter(r, status))++;
    pthread_mutex_unlock(&m->lock);
}

/* A label value, escaped as the exposition format asks (\\, \" and \n). */
static void
label_value(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* name{route="...",method="..." (the caller closes the label set) */
static void
series(FILE *f, const char *name, const struct row *r, size_t i)
{
    fprintf(f, "%s{route=\"", name);
    label_value(f, r->route);
    fprintf(f, "\",method=\"%s\"", methods[i % N_METHODS]);
}

static void
requests_total(FILE *f, const struct api_http_metrics *m)
{
    fputs("# HELP capa_http_requests_total HTTP requests answered, by route template, method "
          "and status.\n# TYPE capa_http_requests_total counter\n",
          f);
    for (size_t i = 0; i < m->n_rows; i++) {
        const struct row *r = &m->rows[i];
        if (r->route == NULL)
            continue;
        for (int s = 0; s < N_STATUSES && r->statuses[s].status != 0; s++) {
            series(f, "capa_http_requests_total", r, i);
            fprintf(f, ",status=\"%u\"} %lld\n", r->statuses[s].status, r->statuses[s].count);
        }
        if (r->other > 0) {
            series(f, "capa_http_requests_total", r, i);
            fprintf(f, ",status=\"other\"} %lld\n", r->other);
        }
    }
}

static void
request_duration(FILE *f, const struct api_http_metrics *m)
{
    fputs("# HELP capa_http_request_duration_seconds Time from routing a request to its "
          "answer, by route template and method.\n"
          "# TYPE capa_http_request_duration_seconds histogram\n",
          f);
    for (size_t i = 0; i < m->n_rows; i++) {
        const struct row *r = &m->rows[i];
        long long cumulative = 0;
        if (r->route == NULL)
            continue;
        for (size_t b = 0; b < N_BOUNDS; b++) {
            cumulative += r->buckets[b];
            series(f, "capa_http_request_duration_seconds_bucket", r, i);
            fprintf(f, ",le=\"%g\"} %lld\n", bounds[b], cumulative);
        }
        series(f, "capa_http_request_duration_seconds_bucket", r, i);
        fprintf(f, ",le=\"+Inf\"} %lld\n", r->count);
        series(f, "capa_http_request_duration_seconds_sum", r, i);
        fprintf(f, "} %.6f\n", r->sum);
        series(f, "capa_http_request_duration_seconds_count", r, i);
        fprintf(f, "} %lld\n", r->count);
    }
}

void
api_http_metrics_auth_failure(struct api_http_metrics *m, const char *reason)
{
    size_t i = 0;
    if (m == NULL)
        return;
    while (i < N_AUTH_REASONS - 1 && strcmp(auth_reasons[i], reason) != 0)
        i++;
    pthread_mutex_lock(&m->lock);
    m->auth_failures[i]++;
    pthread_mutex_unlock(&m->lock);
}

void
api_http_metrics_rate_limited(struct api_http_metrics *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    m->rate_limited++;
    pthread_mutex_unlock(&m->lock);
}

static void
auth_counters(FILE *f, const struct api_http_metrics *m)
{
    fprintf(f, "# HELP capa_http_auth_failures_total Requests refused with 401, by reason.\n"
               "# TYPE capa_http_auth_failures_total counter\n");
    for (size_t i = 0; i < N_AUTH_REASONS; i++)
        fprintf(f, "capa_http_auth_failures_total{reason=\"%s\"} %lu\n", auth_reasons[i],
                m->auth_failures[i]);
    fprintf(f,
            "# HELP capa_http_rate_limited_total Requests refused with 429 by the per-principal "
            "rate limit.\n"
            "# TYPE capa_http_rate_limited_total counter\n"
            "capa_http_rate_limited_total %lu\n",
            m->rate_limited);
}

char *
api_http_metrics_text(struct api_http_metrics *m)
{
    static const struct api_http_metrics none;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    if (m != NULL)
        pthread_mutex_lock(&m->lock);
    requests_total(f, m ? m : &none);
    request_duration(f, m ? m : &none);
    auth_counters(f, m ? m : &none);
    if (m != NULL)
        pthread_mutex_unlock(&m->lock);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
