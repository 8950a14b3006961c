/*
 * app.h - the state shared by every request: configuration, the connection
 * pool and the event relay. One instance lives in main(); the HTTP layer hands it to each
 * callback as ulfius user_data. No mutable globals elsewhere.
 */
#ifndef CAPA_APP_H
#define CAPA_APP_H

#include "config.h"

struct store_pool;

struct api_http_metrics;
struct evt_mock;
struct jwt_verifier;
struct uc_key_cache;
struct relay;

struct app {
    struct cfg cfg;
    struct store_pool *pool;
    struct evt_mock *kafka_mock;    /* CAPA_KAFKA_BROKERS=mock: the in-process cluster */
    const char *kafka_bootstrap;    /* brokers the relay connects to; NULL: no relay */
    struct relay *relay;            /* running relay, or NULL */
    struct jwt_verifier *jwt;       /* JWT verification (uc_auth_init), NULL: API keys only */
    struct uc_key_cache *key_cache; /* API keys found valid lately (uc_auth_init), or NULL */
    /* the HTTP layer's request metrics, owned by the running api_server; NULL when not serving */
    struct api_http_metrics *http_metrics;
};

#endif
