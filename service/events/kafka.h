/*
 * kafka.h - the Kafka side of capa, on librdkafka: an idempotent producer
 * and librdkafka's in-process mock cluster for development and tests.
 *
 *   evt_producer_new / _free     producer (flushes in-flight messages on free)
 *   evt_produce                  queue one message (copied)
 *   evt_poll                     serve delivery reports
 *   evt_producer_fatal           whether the producer hit a fatal error
 *   evt_mock_new / _free / _bootstraps / _cluster   the mock cluster
 *
 * Delivery reports come only from evt_poll (or _free), in the calling
 * thread, and say what the broker reported: only EVT_DELIVERED means the
 * message was persisted (acks=all).
 */
#ifndef CAPA_KAFKA_H
#define CAPA_KAFKA_H

#include <stdbool.h>
#include <stddef.h>

#include "cloudevent.h"

enum evt_delivery {
    EVT_DELIVERED,         /* persisted by the in-sync replicas */
    EVT_RETRY,             /* not persisted, or possibly: safe to send again (may duplicate) */
    EVT_FAILED_PERMANENTLY /* the broker will never take it (size, authorisation) */
};

typedef void (*evt_delivery_fn)(void *msg_opaque, enum evt_delivery result, const char *reason,
                                void *ctx);

struct evt_producer_options {
    const char *brokers; /* bootstrap servers */
    const char *topic;
    const char *properties; /* extra librdkafka properties "k=v;k=v", or NULL */
    int message_timeout_ms; /* give up on a message after this long */
    evt_delivery_fn on_delivery;
    void *ctx;
};

struct evt_producer;

/* Returns 0, or ERR_INVALID with a message in err (bad property). */
int evt_producer_new(const struct evt_producer_options *o, struct evt_producer **out, char *err,
                     size_t err_size);
/* Flush for at most flush_ms (delivery reports are served), then destroy. Accepts NULL. */
void evt_producer_free(struct evt_producer *p, int flush_ms);

/*
 * Queue a message keyed by key with the CloudEvents headers; msg_opaque comes
 * back in its delivery report. Returns 0; ERR_UNAVAILABLE when the local queue
 * is full (poll, then retry); ERR_INVALID when the message can never be sent
 * (reason in err).
 */
int evt_produce(struct evt_producer *p, const char *key, const char *payload, size_t len,
                const struct evt_headers *h, void *msg_opaque, char *err, size_t err_size);

/* Serve delivery reports, waiting at most timeout_ms. Returns how many were served. */
int evt_poll(struct evt_producer *p, int timeout_ms);
/* Fail every queued and in-flight message now (their reports follow on evt_poll). */
void evt_purge(struct evt_producer *p);
/* Messages queued or in flight. */
int evt_outq_len(struct evt_producer *p);
/* True (with the reason in err) when the producer must be recreated. */
bool evt_producer_fatal(struct evt_producer *p, char *err, size_t err_size);

struct evt_mock;
/* An in-process cluster of n brokers on 127.0.0.1 with the topic created. */
int evt_mock_new(int brokers, const char *topic, int partitions, struct evt_mock **out);
void evt_mock_free(struct evt_mock *m);
const char *evt_mock_bootstraps(const struct evt_mock *m);
/* The rd_kafka_mock_cluster_t, for fault injection in tests. */
void *evt_mock_cluster(const struct evt_mock *m);

#endif
