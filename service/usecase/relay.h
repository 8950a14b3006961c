/*
 * relay.h - the transactional outbox relay: publishes the case log to Kafka.
 *
 * A background thread. Exactly one relay among all capad instances publishes
 * at a time: the one whose dedicated session holds a PostgreSQL advisory
 * lock; the others wait and take over within about a second of the holder's
 * session ending. The leader LISTENs for committed rows (with a periodic poll
 * as safety net), publishes the oldest unpublished rows in position order,
 * and marks a row published only when its delivery report says the broker
 * persisted it. A failure of one row holds back the later rows of its case
 * (they are sent again, in order, with the same ce_id); rows the broker
 * refuses for good are marked failed and hold back only their own case.
 *
 *   relay_start, relay_stop, relay_stats
 */
#ifndef CAPA_RELAY_H
#define CAPA_RELAY_H

#include "app.h"
#include "cloudevent.h"

struct log_row;

enum relay_state {
    RELAY_DISABLED,   /* no brokers configured */
    RELAY_CONNECTING, /* no database session yet */
    RELAY_STANDBY,    /* another instance's relay publishes */
    RELAY_LEADER,     /* this relay publishes */
};

#define RELAY_LATENCY_BUCKETS 12
/* Upper bounds (seconds) of the commit-to-ack latency histogram buckets. */
extern const double relay_latency_bounds[RELAY_LATENCY_BUCKETS];

struct relay_stats {
    enum relay_state state;
    long long published;        /* rows marked published */
    long long redelivered;      /* rows sent again after a failure (not counted in published) */
    long long failed_permanent; /* rows refused for good */
    long long failed_retriable; /* delivery reports that asked for a retry */
    long long producer_restarts;
    long long latency_count;
    double latency_sum;
    long long latency_buckets[RELAY_LATENCY_BUCKETS]; /* cumulative counts per bound */
};

/*
 * What capad serve and capad relay do: nothing when CAPA_KAFKA_BROKERS is
 * unset; with "mock", start the in-process development cluster (3 brokers,
 * the topic created) and log its address for kcat; then start the relay
 * (app->relay). Returns 0 or ERR_INTERNAL.
 */
int relay_launch(struct app *app);
/* Stop the relay (relay_stop) and the mock cluster. */
void relay_shutdown(struct app *app, int deadline_ms);

/* Start the relay thread (app->kafka_bootstrap must be set). Returns 0 or ERR_INTERNAL. */
int relay_start(struct app *app, struct relay **out);
/*
 * Stop: finish the round in flight (waiting at most deadline_ms for its
 * delivery reports), flush, close. Rows not confirmed stay unpublished and
 * are sent again by the next leader. Accepts NULL.
 */
void relay_stop(struct relay *r, int deadline_ms);
/* A consistent copy of the counters; state RELAY_DISABLED when r is NULL. */
void relay_stats(struct relay *r, struct relay_stats *out);
const char *relay_state_name(enum relay_state s);

/* A case-log row as an event record (strings borrowed from row). */
void relay_record(const struct log_row *row, struct evt_record *out);
/* This deployment's event naming, from the configuration (strings borrowed). */
void relay_options(const struct cfg *cfg, struct evt_options *out);

#endif
