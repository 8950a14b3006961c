/*
 * server.h - the HTTP daemon that serves the route table (routes.h).
 *
 *   api_server_start     bind, register every route, start serving (HTTP or HTTPS)
 *   api_server_stop      stop serving and release the instance
 *   api_server_shutdown  graceful stop: no new connections, drain, then stop
 */
#ifndef CAPA_SERVER_H
#define CAPA_SERVER_H

#include <stdbool.h>
#include <ulfius.h>

#include "app.h"
#include "http_metrics.h"
#include "routes.h"

#include <netinet/in.h>

struct api_ratelimit;

struct api_server {
    struct _u_instance inst;
    struct sockaddr_in addr;          /* borrowed by inst */
    struct api_route_ctx *ctx;        /* one per route, then the unmatched one; borrowed by inst */
    struct api_http_metrics *metrics; /* lent to app->http_metrics while serving */
    struct api_ratelimit *limits;     /* per-principal rate limit, NULL when off */
    struct app *app;
    _Atomic long mhd_warned_s; /* when libmicrohttpd last logged a warning (monotonic s) */
};

/*
 * Start serving app on port (the configured bind address), with fresh request
 * metrics set as app->http_metrics. The CAPA_HTTP_* settings of app->cfg
 * choose the threading model (a thread per connection, or a pool), the idle
 * connection timeout and the connection and memory limits; with
 * CAPA_TLS_CERT_FILE and CAPA_TLS_KEY_FILE it serves HTTPS, reading both
 * files now. Returns 0, ERR_INVALID when a TLS file is unreadable or not a
 * usable PEM certificate or key (logged, naming the file), ERR_UNAVAILABLE
 * when the port cannot be bound, or ERR_INTERNAL when the instance or its
 * routes cannot be set up. Stop with api_server_stop, which frees the metrics
 * and clears app->http_metrics.
 */
int api_server_start(struct app *app, unsigned port, struct api_server *srv);
void api_server_stop(struct api_server *srv);
/*
 * Graceful stop: refuse new connections, wait until the open ones are done
 * or deadline (CLOCK_MONOTONIC, ms) passes, then stop (cutting what is
 * left). Returns false when handlers still run a second past the deadline
 * (the caller must then not free what they use).
 */
bool api_server_shutdown(struct api_server *srv, long deadline);

#endif
