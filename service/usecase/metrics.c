/*
 * metrics.c - Prometheus text exposition (version 0.0.4) of capad's own
 * state: the connection pool, the relay, the case-log backlog and the cases
 * by status.
 */
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "relay.h"
#include "tx.h"
#include "usecase.h"

static void
metric(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int
backlog_read(struct store_conn *c, void *arg)
{
    return store_events_backlog(c, arg);
}

char *
uc_metrics_text(struct app *app)
{
    struct store_pool_stats ps;
    struct relay_stats rs;
    struct store_backlog bl;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;

    store_pool_stats(app->pool, &ps);
    metric(f, "capa_db_pool_connections", "gauge", "Connections the pool may hold.");
    fprintf(f, "capa_db_pool_connections %d\n", ps.size);
    metric(f, "capa_db_pool_in_use", "gauge", "Connections borrowed by requests now.");
    fprintf(f, "capa_db_pool_in_use %d\n", ps.in_use);
    metric(f, "capa_db_pool_waits_total", "counter",
           "Borrowings that waited for a free connection.");
    fprintf(f, "capa_db_pool_waits_total %ld\n", ps.waits);
    metric(f, "capa_db_pool_timeouts_total", "counter",
           "Borrowings that gave up waiting (answered 503).");
    fprintf(f, "capa_db_pool_timeouts_total %ld\n", ps.timeouts);

    relay_stats(app->relay, &rs);
    metric(f, "capa_relay_leader", "gauge",
           "1 when this instance's relay is the one publishing to Kafka.");
    fprintf(f, "capa_relay_leader %d\n", rs.state == RELAY_LEADER);
    metric(f, "capa_relay_enabled", "gauge", "1 when Kafka brokers are configured.");
    fprintf(f, "capa_relay_enabled %d\n", app->relay != NULL);
    metric(f, "capa_relay_published_total", "counter",
           "Case-log events confirmed persisted by Kafka and marked published.");
    fprintf(f, "capa_relay_published_total %lld\n", rs.published);
    metric(f, "capa_relay_redelivered_total", "counter",
           "Events delivered but sent again to keep their case in order.");
    fprintf(f, "capa_relay_redelivered_total %lld\n", rs.redelivered);
    metric(f, "capa_relay_failures_total", "counter", "Delivery failures by kind.");
    fprintf(f, "capa_relay_failures_total{reason=\"retriable\"} %lld\n", rs.failed_retriable);
    fprintf(f, "capa_relay_failures_total{reason=\"permanent\"} %lld\n", rs.failed_permanent);
    metric(f, "capa_relay_producer_restarts_total", "counter",
           "Kafka producers recreated after a fatal error or lost reports.");
    fprintf(f, "capa_relay_producer_restarts_total %lld\n", rs.producer_restarts);
    metric(f, "capa_relay_delivery_latency_seconds", "histogram",
           "From the writing transaction's start to Kafka's acknowledgement.");
    for (int b = 0; b < RELAY_LATENCY_BUCKETS; b++)
        fprintf(f, "capa_relay_delivery_latency_seconds_bucket{le=\"%g\"} %lld\n",
                relay_latency_bounds[b], rs.latency_buckets[b]);
    fprintf(f, "capa_relay_delivery_latency_seconds_bucket{le=\"+Inf\"} %lld\n", rs.latency_count);
    fprintf(f, "capa_relay_delivery_latency_seconds_sum %.6f\n", rs.latency_sum);
    fprintf(f, "capa_relay_delivery_latency_seconds_count %lld\n", rs.latency_count);

    /* the backlog is the database's: shown only when it answers */
    if (tx_read(app, backlog_read, &bl) == ERR_OK) {
        metric(f, "capa_events_unpublished", "gauge", "Case-log events not yet published.");
        fprintf(f, "capa_events_unpublished %lld\n", bl.unpublished);
        metric(f, "capa_events_oldest_unpublished_age_seconds", "gauge",
               "Age of the oldest unpublished event (0 when none).");
        fprintf(f, "capa_events_oldest_unpublished_age_seconds %.3f\n", bl.oldest_age_s);
        metric(f, "capa_events_failed", "gauge",
               "Events Kafka refused for good, holding back their case.");
        fprintf(f, "capa_events_failed %lld\n", bl.failed);
    }
    json_t *j_counts = NULL;
    if (tx_read_json(app, store_case_status_counts, &j_counts) == ERR_OK) {
        const char *status;
        json_t *v;
        metric(f, "capa_cases", "gauge", "Cases by workflow status.");
        /* statuses are workflow state names: [a-z0-9_], safe as label values */
        json_object_foreach(j_counts, status, v) fprintf(f, "capa_cases{status=\"%s\"} %lld\n",
                                                         status, (long long)json_integer_value(v));
    }
    json_decref(j_counts);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
