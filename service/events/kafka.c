/* kafka.c - idempotent producer and mock cluster on librdkafka (kafka.h). */
#include "kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "mem.h"

struct evt_producer {
    rd_kafka_t *rk;
    char *topic;
    evt_delivery_fn on_delivery;
    void *ctx;
};

struct evt_mock {
    rd_kafka_t *rk; /* hosts the cluster */
    rd_kafka_mock_cluster_t *cluster;
    char *bootstraps;
};

/* Errors no retry can cure: the message or the principal is refused. */
static bool
permanent(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        return true;
    default:
        return false;
    }
}

static void
on_delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct evt_producer *p = opaque;
    enum evt_delivery result;
    (void)rk;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_PERSISTED)
        result = EVT_DELIVERED;
    else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && permanent(m->err))
        result = EVT_FAILED_PERMANENTLY;
    else
        result = EVT_RETRY; /* NOT_PERSISTED or POSSIBLY_PERSISTED */
    p->on_delivery(m->_private, result, rd_kafka_err2str(m->err), p->ctx);
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3)
        log_error("kafka: %s: %s", fac, buf);
    else if (level <= 4)
        log_warn("kafka: %s: %s", fac, buf);
    else
        log_debug("kafka: %s: %s", fac, buf);
}

static int
set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t err_size)
{
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(err, err_size, "kafka property %s: %s", key, why);
        return ERR_INVALID;
    }
    return ERR_OK;
}

/* "k=v;k=v" */
static int
set_properties(rd_kafka_conf_t *conf, const char *properties, char *err, size_t err_size)
{
    char *copy = properties ? mem_strdup(properties) : NULL, *save = NULL;
    int rc = ERR_OK;
    for (char *kv = copy ? strtok_r(copy, ";", &save) : NULL; kv && rc == ERR_OK;
         kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (eq == NULL) {
            snprintf(err, err_size, "kafka property \"%.64s\" is not key=value", kv);
            rc = ERR_INVALID;
            break;
        }
        *eq = '\0';
        rc = set(conf, kv, eq + 1, err, err_size);
    }
    free(copy);
    return rc;
}

int
evt_producer_new(const struct evt_producer_options *o, struct evt_producer **out, char *err,
                 size_t err_size)
{
    struct evt_producer *p = mem_calloc(1, sizeof *p);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char timeout[16], why[256];
    int rc = ERR_INVALID;

    *out = NULL;
    p->topic = mem_strdup(o->topic);
    p->on_delivery = o->on_delivery;
    p->ctx = o->ctx;
    snprintf(timeout, sizeof timeout, "%d", o->message_timeout_ms);
    /*
     * Idempotence gives acks=all, in-order retries and no duplicates from
     * retries; murmur2 partitions by key as Java clients do, so producers in
     * other languages keep a case on the same partition. A broker that comes
     * back is found within a second. The relay waits for every report of a
     * round before the next, so the wait for a batch to fill (linger) and
     * Nagle's algorithm with delayed ACKs are latency for every event:
     * linger 1 ms, TCP_NODELAY (tests/bench/relay.sh: acks of a round p50
     * 5.8 -> 1.6 ms, p90 47 -> 4 ms).
     */
    if (set(conf, "bootstrap.servers", o->brokers, err, err_size) ||
        set(conf, "enable.idempotence", "true", err, err_size) ||
        set(conf, "acks", "all", err, err_size) ||
        set(conf, "partitioner", "murmur2_random", err, err_size) ||
        set(conf, "linger.ms", "1", err, err_size) ||
        set(conf, "socket.nagle.disable", "true", err, err_size) ||
        set(conf, "message.timeout.ms", timeout, err, err_size) ||
        set(conf, "reconnect.backoff.max.ms", "1000", err, err_size) ||
        set(conf, "client.id", "capad", err, err_size) ||
        set_properties(conf, o->properties, err, err_size))
        goto out;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery_report);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (p->rk == NULL) {
        snprintf(err, err_size, "kafka producer: %s", why);
        goto out;
    }
    conf = NULL; /* owned by rk now */
    *out = p;
    p = NULL;
    rc = ERR_OK;
out:
    if (conf != NULL)
        rd_kafka_conf_destroy(conf);
    evt_producer_free(p, 0);
    return rc;
}

void
evt_producer_free(struct evt_producer *p, int flush_ms)
{
    if (p == NULL)
        return;
    if (p->rk != NULL) {
        if (flush_ms > 0 && rd_kafka_flush(p->rk, flush_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
            log_warn("kafka: %d message(s) still in flight at shutdown", rd_kafka_outq_len(p->rk));
        /* reports of messages still queued arrive (as failures) during destroy */
        rd_kafka_destroy(p->rk);
    }
    free(p->topic);
    free(p);
}

int
evt_produce(struct evt_producer *p, const char *key, const char *payload, size_t len,
            const struct evt_headers *h, void *msg_opaque, char *err, size_t err_size)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new((size_t)h->n);
    for (int i = 0; i < h->n; i++)
        rd_kafka_header_add(hdrs, h->names[i], -1, h->values[i], -1);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p->rk, RD_KAFKA_V_TOPIC(p->topic), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE((void *)payload, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
        return ERR_OK; /* the headers belong to the message now */
    rd_kafka_headers_destroy(hdrs);
    snprintf(err, err_size, "%s", rd_kafka_err2str(e));
    return e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? ERR_UNAVAILABLE
           : permanent(e)                     ? ERR_INVALID
                                              : ERR_UNAVAILABLE;
}

int
evt_poll(struct evt_producer *p, int timeout_ms)
{
    return rd_kafka_poll(p->rk, timeout_ms);
}

void
evt_purge(struct evt_producer *p)
{
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

int
evt_outq_len(struct evt_producer *p)
{
    return rd_kafka_outq_len(p->rk);
}

bool
evt_producer_fatal(struct evt_producer *p, char *err, size_t err_size)
{
    return rd_kafka_fatal_error(p->rk, err, err_size) != RD_KAFKA_RESP_ERR_NO_ERROR;
}

int
evt_mock_new(int brokers, const char *topic, int partitions, struct evt_mock **out)
{
    struct evt_mock *m = mem_calloc(1, sizeof *m);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char why[256];

    *out = NULL;
    rd_kafka_conf_set_log_cb(conf, on_log);
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (m->rk == NULL) {
        log_error("kafka mock: %s", why);
        goto fail;
    }
    conf = NULL;
    m->cluster = rd_kafka_mock_cluster_new(m->rk, brokers);
    if (m->cluster == NULL)
        goto fail;
    if (rd_kafka_mock_topic_create(m->cluster, topic, partitions, brokers < 3 ? brokers : 3) !=
        RD_KAFKA_RESP_ERR_NO_ERROR)
        goto fail;
    m->bootstraps = mem_strdup(rd_kafka_mock_cluster_bootstraps(m->cluster));
    *out = m;
    return ERR_OK;
fail:
    if (conf != NULL)
        rd_kafka_conf_destroy(conf);
    evt_mock_free(m);
    return ERR_INTERNAL;
}

void
evt_mock_free(struct evt_mock *m)
{
    if (m == NULL)
        return;
    if (m->cluster != NULL)
        rd_kafka_mock_cluster_destroy(m->cluster);
    if (m->rk != NULL)
        rd_kafka_destroy(m->rk);
    free(m->bootstraps);
    free(m);
}

const char *
evt_mock_bootstraps(const struct evt_mock *m)
{
    return m->bootstraps;
}

void *
evt_mock_cluster(const struct evt_mock *m)
{
    return m->cluster;
}
