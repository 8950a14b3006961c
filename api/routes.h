/*
 * routes.h - the route table and the dispatcher (routes.c).
 *
 *   api_routes_register  every route, its HEAD twin and the default endpoint on an instance
 *   api_routes_count     how many routes there are
 *   api_routes_text      the table as JSON, for `capad routes` and the role-matrix check
 *
 * Every request passes through one dispatcher that gives it a request id
 * (X-Request-Id, the client's when valid), authenticates and authorizes the
 * caller against the route's roles, calls the route's handler, and then logs
 * it and counts it in the request metrics (app->http_metrics).
 */
#ifndef CAPA_ROUTES_H
#define CAPA_ROUTES_H

#include <stddef.h>
#include <ulfius.h>

#include "app.h"

struct api_route;
struct api_ratelimit;

/* What the dispatcher of one route gets as user_data. route NULL: unmatched. */
struct api_route_ctx {
    struct app *app;
    const struct api_route *route;
    struct api_ratelimit *limits; /* the server's; NULL: no rate limit */
};

size_t api_routes_count(void);

/*
 * Fill ctx (api_routes_count() + 1 of them: one per route, then the
 * unmatched one; inst borrows them) and register every route on inst.
 * Returns 0 or ERR_INTERNAL.
 */
int api_routes_register(struct _u_instance *inst, struct app *app, struct api_ratelimit *limits,
                        struct api_route_ctx *ctx);

/*
 * The route table as JSON text (caller frees): [{"method", "path", "roles":
 * [...] | "public"}], path in OpenAPI form ({id}).
 */
char *api_routes_text(void);

#endif
