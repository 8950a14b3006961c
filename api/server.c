/*
 * server.c - the route table of capa and the ulfius instance that serves it.
 *
 * Every route is in routes[] below, with its handler. A request that matches
 * no route reaches the default endpoint, which answers 405 with Allow when
 * the path exists under other methods, and 404 otherwise (ulfius has no 405
 * of its own).
 */
#include "server.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "log.h"
#include "resources.h"

struct route {
    const char *method;
    const char *path; /* ulfius format: ":name" is a path parameter */
    int (*handler)(const struct _u_request *, struct _u_response *, void *);
};

static const struct route routes[] = {
    {"GET", "/healthz", api_healthz},
    {"GET", "/readyz", api_readyz},
    {"GET", "/openapi.yaml", api_openapi},
    {"GET", "/metrics", api_metrics},
    {"POST", "/v1/cases", api_case_create},
    {"GET", "/v1/cases", api_case_list},
    {"GET", "/v1/cases/:id", api_case_get},
    {"PATCH", "/v1/cases/:id", api_case_update},
    {"GET", "/v1/cases/:id/transitions", api_case_transitions},
    {"POST", "/v1/cases/:id/transitions", api_case_transition},
    {"GET", "/v1/cases/:id/history", api_case_history},
    {"GET", "/v1/cases/:id/history/verify", api_case_verify},
    {"GET", "/v1/cases/:id/corrections", api_record_list},
    {"POST", "/v1/cases/:id/corrections", api_record_create},
    {"GET", "/v1/cases/:id/corrections/:rid", api_record_get},
    {"GET", "/v1/cases/:id/root-cause", api_record_get},
    {"PUT", "/v1/cases/:id/root-cause", api_root_cause_put},
    {"GET", "/v1/cases/:id/actions", api_record_list},
    {"POST", "/v1/cases/:id/actions", api_record_create},
    {"GET", "/v1/cases/:id/actions/:rid", api_record_get},
    {"PATCH", "/v1/cases/:id/actions/:rid", api_record_update},
    {"GET", "/v1/cases/:id/reviews", api_record_list},
    {"POST", "/v1/cases/:id/reviews", api_record_create},
    {"GET", "/v1/cases/:id/reviews/:rid", api_record_get},
    {"POST", "/v1/cases/:id/reviews/:rid/verdict", api_review_verdict},
    {"GET", "/v1/cases/:id/isms-changes", api_record_list},
    {"POST", "/v1/cases/:id/isms-changes", api_record_create},
    {"GET", "/v1/cases/:id/isms-changes/:rid", api_record_get},
    {"GET", "/v1/cases/:id/links", api_record_list},
    {"POST", "/v1/cases/:id/links", api_record_create},
    {"GET", "/v1/cases/:id/links/:rid", api_record_get},
    {"DELETE", "/v1/cases/:id/links/:rid", api_link_remove},
    {"GET", "/v1/cases/:id/evidence", api_record_list},
    {"POST", "/v1/cases/:id/evidence", api_evidence_add},
    {"GET", "/v1/cases/:id/evidence/:rid", api_record_get},
    {"GET", "/v1/cases/:id/evidence/:rid/content", api_evidence_content},
    {"GET", "/v1/cases/:id/comments", api_record_list},
    {"POST", "/v1/cases/:id/comments", api_record_create},
    {"GET", "/v1/cases/:id/comments/:rid", api_record_get},
    {"GET", "/v1/cases/:id/approvals", api_record_list},
    {"POST", "/v1/cases/:id/approvals", api_record_create},
    {"GET", "/v1/cases/:id/approvals/:rid", api_record_get},
    {"GET", "/v1/actions", api_actions_list},
    {"GET", "/v1/controls", api_controls_list},
    {"GET", "/v1/workflows", api_workflow_list},
    {"PUT", "/v1/workflows/:kind", api_workflow_put},
    {"GET", "/v1/events", api_events_list},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Whether a request path (no query) matches a route's path format. */
static bool
path_matches(const char *format, const char *path)
{
    while (*format && *path) {
        if (*format != '/' || *path != '/')
            return false;
        format++;
        path++;
        size_t fn = strcspn(format, "/"), pn = strcspn(path, "/");
        if (pn == 0)
            return false;
        if (format[0] != ':' && (fn != pn || strncmp(format, path, fn) != 0))
            return false;
        format += fn;
        path += pn;
    }
    /* ulfius ignores one trailing slash */
    if (strcmp(path, "/") == 0)
        path++;
    return *format == '\0' && *path == '\0';
}

static int
default_endpoint(const struct _u_request *req, struct _u_response *resp, void *app)
{
    char allow[64] = "", path[512];
    /* several routes share a path: list each method once */
    size_t off = 0;
    (void)app;

    snprintf(path, sizeof path, "%s", req->http_url ? req->http_url : "");
    path[strcspn(path, "?")] = '\0';
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!path_matches(routes[i].path, path) || strstr(allow, routes[i].method))
            continue;
        off += (size_t)snprintf(allow + off, sizeof allow - off, "%s%s", off ? ", " : "",
                                routes[i].method);
    }
    if (off == 0) {
        api_problem(resp, ERR_NOT_FOUND, NULL);
        return U_CALLBACK_COMPLETE;
    }
    char detail[128];
    snprintf(detail, sizeof detail, "%.16s is not allowed here; allowed: %s", req->http_verb,
             allow);
    api_problem_detail(resp, ERR_METHOD, detail);
    u_map_put(resp->map_header, "Allow", allow);
    return U_CALLBACK_COMPLETE;
}

int
api_server_start(struct app *app, unsigned port, struct api_server *srv)
{
    struct _u_instance *inst = &srv->inst;

    memset(srv, 0, sizeof *srv);
    srv->addr.sin_family = AF_INET;
    srv->addr.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, app->cfg.http_bind, &srv->addr.sin_addr);
    if (ulfius_init_instance(inst, port, &srv->addr, NULL) != U_OK)
        return ERR_INTERNAL;
    /* one byte over the limit tells a too-large body from one at the limit */
    inst->max_post_body_size =
        (size_t)(app->cfg.evidence_max_bytes > app->cfg.max_body_bytes ? app->cfg.evidence_max_bytes
                                                                       : app->cfg.max_body_bytes) +
        1;
    /* values are validated by the handlers; ulfius would silently drop non-UTF-8 ones */
    inst->check_utf8 = 0;
    inst->allowed_post_processor = U_POST_PROCESS_NONE;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (ulfius_add_endpoint_by_val(inst, routes[i].method, routes[i].path, NULL, 1,
                                       routes[i].handler, app) != U_OK)
            goto fail;
        /* HEAD answers as GET does, without the body (libmicrohttpd drops it) */
        if (strcmp(routes[i].method, "GET") == 0 &&
            ulfius_add_endpoint_by_val(inst, "HEAD", routes[i].path, NULL, 1, routes[i].handler,
                                       app) != U_OK)
            goto fail;
    }
    if (ulfius_set_default_endpoint(inst, default_endpoint, app) != U_OK)
        goto fail;
    if (ulfius_start_framework(inst) != U_OK) {
        log_error("cannot serve HTTP on %s:%u", app->cfg.http_bind, port);
        goto fail;
    }
    return ERR_OK;
fail:
    ulfius_clean_instance(inst);
    return ERR_UNAVAILABLE;
}

void
api_server_stop(struct api_server *srv)
{
    ulfius_stop_framework(&srv->inst);
    ulfius_clean_instance(&srv->inst);
}
