/* relay.c - the outbox relay: case log -> Kafka (relay.h). */
#include "relay.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtime.h"
#include "err.h"
#include "kafka.h"
#include "log.h"
#include "mem.h"
#include "store.h"
#include "uuid.h"

const double relay_latency_bounds[RELAY_LATENCY_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1,    5,     30};

#define LOCK_RETRY_MS 1000
#define BACKOFF_MAX_MS 10000

struct relay {
    struct app *app;
    pthread_t thread;
    atomic_bool stop;
    int stop_deadline_ms;
    pthread_mutex_t lock; /* guards stats */
    struct relay_stats stats;
};

/* One row of a round: what was sent and what the broker said. */
enum slot_result { SLOT_PENDING, SLOT_DELIVERED, SLOT_RETRY, SLOT_FAILED };

struct round;

struct slot {
    struct round *rd;
    long long position;
    char case_id[UUID_LEN];
    double occurred_s; /* epoch seconds of the writing transaction */
    enum slot_result result;
    char reason[128];
};

struct round {
    struct relay *relay;
    struct evt_options opts;
    struct evt_producer *producer;
    struct slot *slots;
    int n;
    int pending;
    int produce_errors;
};

void
relay_record(const struct log_row *row, struct evt_record *out)
{
    *out = (struct evt_record){
        .event_id = row->entry.event_id,
        .case_id = row->entry.case_id,
        .sequence = row->entry.sequence,
        .type = row->entry.type,
        .occurred_at = row->entry.occurred_at,
        .actor = row->entry.actor,
        .data = row->entry.data,
        .feed_position = row->feed_position,
        .traceparent = row->traceparent,
        .tracestate = row->tracestate,
    };
}

void
relay_options(const struct cfg *cfg, struct evt_options *out)
{
    *out = (struct evt_options){cfg->event_source, cfg->event_type_prefix, cfg->event_schema_base};
}

const char *
relay_state_name(enum relay_state s)
{
    static const char *const names[] = {"disabled", "connecting", "standby", "leader"};
    return names[s];
}

static void
set_state(struct relay *r, enum relay_state s)
{
    pthread_mutex_lock(&r->lock);
    r->stats.state = s;
    pthread_mutex_unlock(&r->lock);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_delivery(void *msg_opaque, enum evt_delivery result, const char *reason, void *ctx)
{
    struct slot *s = msg_opaque;
    struct round *rd = s->rd;
    (void)ctx;
    if (s->result != SLOT_PENDING)
        return;
    s->result = result == EVT_DELIVERED ? SLOT_DELIVERED
                : result == EVT_RETRY   ? SLOT_RETRY
                                        : SLOT_FAILED;
    snprintf(s->reason, sizeof s->reason, "%s", reason ? reason : "");
    rd->pending--;
}

/* Produce one fetched row (the store's callback). */
static int
produce_row(const struct log_row *row, void *arg)
{
    struct round *rd = arg;
    struct slot *s = &rd->slots[rd->n++];
    struct evt_headers h;
    char err[256];
    struct evt_record rec;
    relay_record(row, &rec);
    memset(s, 0, sizeof *s);
    s->rd = rd;
    s->position = row->position;
    snprintf(s->case_id, sizeof s->case_id, "%s", row->entry.case_id);
    int64_t sec = 0;
    dtime_to_unix(row->entry.occurred_at, &sec);
    /* canonical text: ".uuuuuuZ" follows the seconds */
    s->occurred_s = (double)sec + atoi(row->entry.occurred_at + 20) / 1e6;
    char *payload = evt_payload(&rec);
    int rc = ERR_INVALID;
    if (payload == NULL || evt_headers_build(&rd->opts, &rec, &h) != ERR_OK)
        snprintf(err, sizeof err, "the row cannot be encoded as an event");
    else
        rc = evt_produce(rd->producer, rec.case_id, payload, strlen(payload), &h, s, err,
                         sizeof err);
    free(payload);
    if (rc == ERR_OK) {
        s->result = SLOT_PENDING;
        rd->pending++;
    } else {
        s->result = rc == ERR_INVALID ? SLOT_FAILED : SLOT_RETRY;
        snprintf(s->reason, sizeof s->reason, "%.120s", err);
        rd->produce_errors++;
    }
    return ERR_OK;
}

static bool
earlier_failure(const struct round *rd, int i)
{
    for (int k = 0; k < i; k++)
        if (rd->slots[k].result != SLOT_DELIVERED &&
            strcmp(rd->slots[k].case_id, rd->slots[i].case_id) == 0)
            return true;
    return false;
}

static void
count_latency(struct relay_stats *st, double seconds)
{
    st->latency_count++;
    st->latency_sum += seconds;
    for (int b = 0; b < RELAY_LATENCY_BUCKETS; b++)
        if (seconds <= relay_latency_bounds[b])
            st->latency_buckets[b]++;
}

/*
 * Settle a round: a row is published when it was delivered and no earlier
 * row of its case in this round failed (else it goes again, in order); a row
 * refused for good is marked failed and holds back its case.
 */
static int
settle(struct round *rd, struct store_conn *session)
{
    struct relay *r = rd->relay;
    long long *published = mem_calloc((size_t)(rd->n > 0 ? rd->n : 1), sizeof *published);
    int n_published = 0, n_redeliver = 0, n_retry = 0, n_failed = 0, rc = ERR_OK;
    double acked = now_s();

    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < rd->n; i++) {
        struct slot *s = &rd->slots[i];
        bool held_back = earlier_failure(rd, i);
        if (s->result == SLOT_DELIVERED && !held_back) {
            published[n_published++] = s->position;
            count_latency(&r->stats, acked - s->occurred_s);
        } else if (s->result == SLOT_DELIVERED) {
            n_redeliver++;
        } else if (s->result == SLOT_FAILED && !held_back) {
            n_failed++;
        } else {
            n_retry++;
        }
    }
    r->stats.redelivered += n_redeliver;
    r->stats.failed_retriable += n_retry;
    pthread_mutex_unlock(&r->lock);

    if (n_published > 0)
        rc = store_events_mark_published(session, published, n_published);
    for (int i = 0; i < rd->n && rc == ERR_OK; i++) {
        struct slot *s = &rd->slots[i];
        if (s->result != SLOT_FAILED || earlier_failure(rd, i))
            continue;
        log_error("relay: event at position %lld of case %s refused for good: %s; the case's "
                  "later events wait until an operator resolves it",
                  s->position, s->case_id, s->reason);
        rc = store_events_mark_failed(session, s->position, true, s->reason);
    }
    if (n_retry > 0)
        log_warn("relay: %d event(s) not confirmed (%s), sending again", n_retry,
                 rd->slots[0].reason[0] ? rd->slots[0].reason : "pending");
    pthread_mutex_lock(&r->lock);
    if (rc == ERR_OK) {
        r->stats.published += n_published;
        r->stats.failed_permanent += n_failed;
    }
    pthread_mutex_unlock(&r->lock);
    free(published);
    return rc == ERR_OK ? n_retry : -1;
}

/*
 * One round: fetch, produce, wait for every delivery report, settle.
 * Returns the rows fetched, or -1 when the session failed. *retries counts
 * the rows that must be sent again. When reports are still missing at the
 * deadline, the producer is purged, and destroyed (*producer = NULL) if that
 * does not bring them: no report may arrive once the slots are freed.
 */
static int
publish_round(struct relay *r, struct store_conn *session, struct evt_producer **producer,
              int *retries)
{
    const struct cfg *cfg = &r->app->cfg;
    struct round rd = {
        .relay = r,
        .producer = *producer,
    };
    int n = -1;

    *retries = 0;
    relay_options(cfg, &rd.opts);
    rd.slots = mem_calloc((size_t)cfg->relay_batch, sizeof *rd.slots);
    if (store_events_unpublished(session, cfg->relay_batch, produce_row, &rd) != ERR_OK)
        goto out;
    /* every message times out after message_timeout_ms: the wait is bounded */
    double deadline = now_s() + cfg->kafka_message_timeout_ms / 1000.0 + 5;
    bool stopping = false;
    while (rd.pending > 0 && now_s() < deadline) {
        evt_poll(*producer, 100);
        if (!stopping && atomic_load(&r->stop)) {
            stopping = true;
            double stop_deadline = now_s() + r->stop_deadline_ms / 1000.0;
            deadline = stop_deadline < deadline ? stop_deadline : deadline;
        }
    }
    if (rd.pending > 0) {
        evt_purge(*producer);
        for (int i = 0; i < 50 && rd.pending > 0; i++)
            evt_poll(*producer, 100);
    }
    if (rd.pending > 0) {
        log_warn("relay: %d delivery report(s) missing: recreating the producer", rd.pending);
        evt_producer_free(*producer, 0);
        *producer = NULL;
        pthread_mutex_lock(&r->lock);
        r->stats.producer_restarts++;
        pthread_mutex_unlock(&r->lock);
    }
    int settled = settle(&rd, session);
    if (settled >= 0) {
        *retries = settled + rd.produce_errors;
        n = rd.n;
    }
out:
    free(rd.slots);
    return n;
}

/* Sleep up to ms, waking early on stop (and, with a session, on a notification). */
static void
pause_for(struct relay *r, struct store_conn *session, int ms)
{
    bool notified = false;
    for (int waited = 0; waited < ms && !atomic_load(&r->stop) && !notified; waited += 100) {
        if (session != NULL) {
            if (store_session_wait(session, 100, &notified) != ERR_OK)
                return;
        } else {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

static struct evt_producer *
make_producer(struct relay *r)
{
    const struct cfg *cfg = &r->app->cfg;
    struct evt_producer *p = NULL;
    char err[512];
    struct evt_producer_options o = {
        .brokers = r->app->kafka_bootstrap,
        .topic = cfg->kafka_topic,
        .properties = cfg->kafka_properties,
        .message_timeout_ms = cfg->kafka_message_timeout_ms,
        .on_delivery = on_delivery,
        .ctx = r,
    };
    if (evt_producer_new(&o, &p, err, sizeof err) != ERR_OK)
        log_error("relay: cannot create the Kafka producer: %s", err);
    return p;
}

static void *
relay_main(void *arg)
{
    struct relay *r = arg;
    const struct cfg *cfg = &r->app->cfg;
    struct store_conn *session = NULL;
    struct evt_producer *producer = NULL;
    bool leader = false;
    int backoff_ms = 0;
    char err[512];

    while (!atomic_load(&r->stop)) {
        if (session == NULL) {
            set_state(r, RELAY_CONNECTING);
            leader = false;
            if (store_session_open(cfg->database_url, cfg->db_connect_timeout_s, &session) !=
                ERR_OK) {
                pause_for(r, NULL, LOCK_RETRY_MS);
                continue;
            }
        }
        if (!leader) {
            bool got = false;
            if (store_session_try_lock(session, &got) != ERR_OK) {
                store_session_close(session);
                session = NULL;
                continue;
            }
            if (!got) {
                set_state(r, RELAY_STANDBY);
                pause_for(r, NULL, LOCK_RETRY_MS);
                continue;
            }
            if (store_session_listen(session) != ERR_OK) {
                store_session_close(session);
                session = NULL;
                continue;
            }
            leader = true;
            set_state(r, RELAY_LEADER);
            log_info("relay: publishing to %s, topic %s", r->app->kafka_bootstrap,
                     cfg->kafka_topic);
        }
        if (producer != NULL && evt_producer_fatal(producer, err, sizeof err)) {
            log_error("relay: fatal producer error, recreating the producer: %s", err);
            evt_producer_free(producer, 0);
            producer = NULL;
            pthread_mutex_lock(&r->lock);
            r->stats.producer_restarts++;
            pthread_mutex_unlock(&r->lock);
        }
        if (producer == NULL && (producer = make_producer(r)) == NULL) {
            pause_for(r, NULL, BACKOFF_MAX_MS);
            continue;
        }
        int retries = 0;
        int n = publish_round(r, session, &producer, &retries);
        if (n < 0) {
            /* the session failed: another instance may take over meanwhile */
            store_session_close(session);
            session = NULL;
            continue;
        }
        if (retries > 0) {
            /* brokers away or refusing: back off, up to 10 s */
            backoff_ms = backoff_ms
                             ? (backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2)
                             : 250;
            pause_for(r, NULL, backoff_ms);
            continue;
        }
        backoff_ms = 0;
        if (n < cfg->relay_batch)
            pause_for(r, session, cfg->relay_poll_ms); /* caught up: wait for a commit */
    }
    evt_producer_free(producer, r->stop_deadline_ms);
    store_session_close(session);
    set_state(r, RELAY_DISABLED);
    return NULL;
}

int
relay_start(struct app *app, struct relay **out)
{
    struct relay *r = mem_calloc(1, sizeof *r);
    *out = NULL;
    r->app = app;
    atomic_init(&r->stop, false);
    pthread_mutex_init(&r->lock, NULL);
    r->stats.state = RELAY_CONNECTING;
    if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
        pthread_mutex_destroy(&r->lock);
        free(r);
        return ERR_INTERNAL;
    }
    *out = r;
    return ERR_OK;
}

void
relay_stop(struct relay *r, int deadline_ms)
{
    if (r == NULL)
        return;
    r->stop_deadline_ms = deadline_ms;
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void
relay_stats(struct relay *r, struct relay_stats *out)
{
    memset(out, 0, sizeof *out);
    if (r == NULL) {
        out->state = RELAY_DISABLED;
        return;
    }
    pthread_mutex_lock(&r->lock);
    *out = r->stats;
    pthread_mutex_unlock(&r->lock);
}

#define MOCK_BROKERS 3
#define MOCK_PARTITIONS 6

int
relay_launch(struct app *app)
{
    if (app->cfg.kafka_brokers == NULL) {
        log_info("CAPA_KAFKA_BROKERS is not set: no event relay; events stay readable at "
                 "/v1/events");
        return ERR_OK;
    }
    if (strcmp(app->cfg.kafka_brokers, "mock") == 0) {
        if (evt_mock_new(MOCK_BROKERS, app->cfg.kafka_topic, MOCK_PARTITIONS, &app->kafka_mock) !=
            ERR_OK) {
            log_error("cannot start the in-process Kafka mock cluster");
            return ERR_INTERNAL;
        }
        app->kafka_bootstrap = evt_mock_bootstraps(app->kafka_mock);
        log_info("development Kafka (librdkafka mock cluster, %d brokers) at %s; watch it with: "
                 "kcat -C -b %s -t %s",
                 MOCK_BROKERS, app->kafka_bootstrap, app->kafka_bootstrap, app->cfg.kafka_topic);
    } else {
        app->kafka_bootstrap = app->cfg.kafka_brokers;
    }
    return relay_start(app, &app->relay);
}

void
relay_shutdown(struct app *app, int deadline_ms)
{
    relay_stop(app->relay, deadline_ms);
    app->relay = NULL;
    evt_mock_free(app->kafka_mock);
    app->kafka_mock = NULL;
    app->kafka_bootstrap = NULL;
}
