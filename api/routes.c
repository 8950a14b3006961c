/*
 * routes.c - the route table of capa and the dispatcher every request passes.
 *
 * Every route is in routes[] below, with its handler, the roles that may call
 * it, the kind of record it is about (record routes) and its flags. A request
 * that matches no route reaches the default endpoint, which answers 405 with
 * Allow when the path exists under other methods, and 404 otherwise (ulfius
 * has no 405 of its own).
 *
 * ulfius calls dispatch() for every route (and for the default endpoint) with
 * the route's api_route_ctx: it stamps the request id (on every log line the
 * request causes, in any layer), reads the W3C trace context (traceparent,
 * tracestate) once, authenticates and authorizes the caller, runs the handler
 * with the struct app, the request's origin (the caller and that trace
 * context, which the write use cases carry into the events) and the route's
 * record kind, then writes one "request" log line (with the trace id when a
 * valid traceparent came) and counts the request by route template (never
 * the raw path), method and status.
 */
#include "routes.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "clock.h"
#include "err.h"
#include "http.h"
#include "http_metrics.h"
#include "log.h"
#include "ratelimit.h"
#include "record.h"
#include "resources.h"
#include "trace.h"

/*
 * Who may call a route: nobody needs to authenticate for PUBLIC ones; the
 * others need a principal with one of the roles (a bit set of enum wf_role).
 * This table is the role matrix: openapi.yaml's x-capa-roles states it per
 * operation, and `capad routes` prints it for the check that compares them.
 */
#define PUBLIC 0u
#define V ACCESS_ROLE_BIT(WF_ROLE_VIEWER)
#define R ACCESS_ROLE_BIT(WF_ROLE_REPORTER)
#define C ACCESS_ROLE_BIT(WF_ROLE_CONTRIBUTOR)
#define A ACCESS_ROLE_BIT(WF_ROLE_APPROVER)
#define ADM ACCESS_ROLE_BIT(WF_ROLE_ADMIN)
/* every role reads */
#define READ ACCESS_ROLES_ALL
/* any role may ask; the workflow definition says which role each move needs */
#define WORKFLOW ACCESS_ROLES_ALL

/* The record kind of a route about records, 0 for the others (rq->kind is then -1). */
#define REC(kind) ((kind) + 1)
/* Flags: public, instead of its roles, when CAPA_METRICS_PUBLIC is set. */
#define ROUTE_METRICS 1u

struct api_route {
    const char *method;
    const char *path; /* ulfius format: ":name" is a path parameter */
    API_HANDLER((*handler));
    unsigned roles;
    int record; /* REC(kind), or 0 */
    unsigned flags;
};

static const struct api_route routes[] = {
    {"GET", "/healthz", api_healthz, PUBLIC, 0, 0},
    {"GET", "/readyz", api_readyz, PUBLIC, 0, 0},
    {"GET", "/openapi.yaml", api_openapi, READ, 0, 0},
    {"GET", "/metrics", api_metrics, READ, 0, ROUTE_METRICS},
    {"POST", "/v1/cases", api_case_create, R | C, 0, 0},
    {"GET", "/v1/cases", api_case_list, READ, 0, 0},
    {"GET", "/v1/cases/:id", api_case_get, READ, 0, 0},
    {"PATCH", "/v1/cases/:id", api_case_update, C, 0, 0},
    {"GET", "/v1/cases/:id/transitions", api_case_transitions, READ, 0, 0},
    {"POST", "/v1/cases/:id/transitions", api_case_transition, WORKFLOW, 0, 0},
    {"GET", "/v1/cases/:id/history", api_case_history, READ, 0, 0},
    {"GET", "/v1/cases/:id/history/verify", api_case_verify, READ, 0, 0},
    {"GET", "/v1/cases/:id/corrections", api_record_list, READ, REC(REC_CORRECTION), 0},
    {"POST", "/v1/cases/:id/corrections", api_record_create, C, REC(REC_CORRECTION), 0},
    {"GET", "/v1/cases/:id/corrections/:rid", api_record_get, READ, REC(REC_CORRECTION), 0},
    {"GET", "/v1/cases/:id/root-cause", api_record_get, READ, REC(REC_ROOT_CAUSE), 0},
    {"PUT", "/v1/cases/:id/root-cause", api_root_cause_put, C, REC(REC_ROOT_CAUSE), 0},
    {"GET", "/v1/cases/:id/actions", api_record_list, READ, REC(REC_ACTION), 0},
    {"POST", "/v1/cases/:id/actions", api_record_create, C, REC(REC_ACTION), 0},
    {"GET", "/v1/cases/:id/actions/:rid", api_record_get, READ, REC(REC_ACTION), 0},
    {"PATCH", "/v1/cases/:id/actions/:rid", api_record_update, C, REC(REC_ACTION), 0},
    {"GET", "/v1/cases/:id/reviews", api_record_list, READ, REC(REC_REVIEW), 0},
    {"POST", "/v1/cases/:id/reviews", api_record_create, C, REC(REC_REVIEW), 0},
    {"GET", "/v1/cases/:id/reviews/:rid", api_record_get, READ, REC(REC_REVIEW), 0},
    {"POST", "/v1/cases/:id/reviews/:rid/verdict", api_review_verdict, A, REC(REC_REVIEW), 0},
    {"GET", "/v1/cases/:id/isms-changes", api_record_list, READ, REC(REC_ISMS_CHANGE), 0},
    {"POST", "/v1/cases/:id/isms-changes", api_record_create, C, REC(REC_ISMS_CHANGE), 0},
    {"GET", "/v1/cases/:id/isms-changes/:rid", api_record_get, READ, REC(REC_ISMS_CHANGE), 0},
    {"GET", "/v1/cases/:id/links", api_record_list, READ, REC(REC_LINK), 0},
    {"POST", "/v1/cases/:id/links", api_record_create, C, REC(REC_LINK), 0},
    {"GET", "/v1/cases/:id/links/:rid", api_record_get, READ, REC(REC_LINK), 0},
    {"DELETE", "/v1/cases/:id/links/:rid", api_link_remove, C, REC(REC_LINK), 0},
    {"GET", "/v1/cases/:id/evidence", api_record_list, READ, REC(REC_EVIDENCE), 0},
    {"POST", "/v1/cases/:id/evidence", api_evidence_add, R | C | A, REC(REC_EVIDENCE), 0},
    {"GET", "/v1/cases/:id/evidence/:rid", api_record_get, READ, REC(REC_EVIDENCE), 0},
    {"GET", "/v1/cases/:id/evidence/:rid/content", api_evidence_content, READ, REC(REC_EVIDENCE),
     0},
    {"GET", "/v1/cases/:id/comments", api_record_list, READ, REC(REC_COMMENT), 0},
    {"POST", "/v1/cases/:id/comments", api_record_create, R | C | A, REC(REC_COMMENT), 0},
    {"GET", "/v1/cases/:id/comments/:rid", api_record_get, READ, REC(REC_COMMENT), 0},
    {"GET", "/v1/cases/:id/approvals", api_record_list, READ, REC(REC_APPROVAL), 0},
    {"POST", "/v1/cases/:id/approvals", api_record_create, A, REC(REC_APPROVAL), 0},
    {"GET", "/v1/cases/:id/approvals/:rid", api_record_get, READ, REC(REC_APPROVAL), 0},
    {"GET", "/v1/actions", api_actions_list, READ, 0, 0},
    {"GET", "/v1/controls", api_controls_list, READ, 0, 0},
    {"GET", "/v1/workflows", api_workflow_list, READ, 0, 0},
    {"PUT", "/v1/workflows/:kind", api_workflow_put, ADM, 0, 0},
    {"GET", "/v1/events", api_events_list, READ, 0, 0},
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

/* Longest client request id kept; longer ones are replaced. */
#define REQUEST_ID_MAX LOG_REQUEST_ID_MAX

/*
 * The request id: the client's X-Request-Id when it is 1..REQUEST_ID_MAX
 * visible ASCII characters, else 32 random hex digits.
 */
static void
request_id(const struct _u_request *req, char id[REQUEST_ID_MAX + 1])
{
    const char *given = api_header(req, "X-Request-Id");
    size_t n = 0;
    unsigned char rnd[16];

    while (given && n <= REQUEST_ID_MAX && (unsigned char)given[n] > 0x20 &&
           (unsigned char)given[n] < 0x7f)
        n++;
    if (given && n > 0 && n <= REQUEST_ID_MAX && given[n] == '\0') {
        memcpy(id, given, n + 1);
        return;
    }
    /* a nonce is enough: the id correlates, it protects nothing */
    if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof rnd) != 0)
        memset(rnd, 0, sizeof rnd);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
}

/*
 * The access log line of one answered request; who is NULL when nobody
 * authenticated, and trace_id is there only when a valid traceparent came.
 */
static void
log_request(const char *id, const char *method, const char *route, unsigned status, double seconds,
            const struct principal *who, const struct trace_context *trace)
{
    char trace_id[TRACE_ID_LEN + 1];
    json_t *j_fields = json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:f, s:s?, s:s?, s:s?, s:s*}", "msg", "request", "request_id",
        id, "method", method, "route", route, "status", (int)status, "duration_ms",
        seconds * 1000.0, "principal", who ? who->subject : NULL, "principal_name",
        who ? who->name : NULL, "on_behalf_of", who ? who->on_behalf_of : NULL, "trace_id",
        trace_context_trace_id(trace, trace_id));
    if (j_fields != NULL)
        log_event(LOG_LEVEL_INFO, j_fields);
    json_decref(j_fields);
}

/* The one answer to every failed authentication: nothing tells what was wrong. */
static void
unauthorized(struct _u_response *resp)
{
    api_problem_detail(resp, ERR_UNAUTHORIZED,
                       "send a valid API key or token: Authorization: Bearer <credential>");
    u_map_put(resp->map_header, "WWW-Authenticate",
              "Bearer realm=\"capa\", error=\"invalid_token\"");
}

/* The log line of a failed authentication: the reason, never the credential. */
static void
log_auth_failure(const char *id, const char *route, const char *reason)
{
    json_t *j_fields = json_pack("{s:s, s:s, s:s, s:s}", "msg", "authentication failed",
                                 "request_id", id, "route", route, "reason", reason);
    if (j_fields != NULL)
        log_event(LOG_LEVEL_WARN, j_fields);
    json_decref(j_fields);
}

/* 403 naming the roles an operation needs. */
static void
forbidden(struct _u_response *resp, unsigned needed, unsigned has)
{
    struct uc_status st;
    char need_text[96], has_text[96];

    uc_status_init(&st);
    access_roles_text(needed, need_text, sizeof need_text);
    access_roles_text(has, has_text, sizeof has_text);
    snprintf(st.detail, sizeof st.detail, "this operation needs the role %s; the caller has %s",
             needed == ACCESS_ROLES_ALL ? "of any capa role" : need_text,
             has ? has_text : "no role");
    st.j_extra = json_pack("{s:o}", "required_roles", access_roles_json(needed));
    api_problem(resp, ERR_FORBIDDEN, &st);
    uc_status_cleanup(&st);
}

/*
 * Authenticate the request, let it act for a person when it asks and may,
 * take its turn of the rate limit and check its roles against needed. On
 * success id holds the principal; otherwise the problem is set on resp.
 */
static int
authorize(const struct _u_request *req, struct _u_response *resp, const struct api_route_ctx *ctx,
          unsigned needed, const char *request_id, const char *template, struct uc_identity *id)
{
    struct app *app = ctx->app;
    struct uc_status st;
    const char *reason = "";
    char limit_key[sizeof id->kind + sizeof id->subject + 1];
    int rc;

    uc_status_init(&st);
    const char *token = access_bearer_token(api_header(req, "Authorization"), &reason);
    rc = token ? uc_authenticate(app, token, id, &reason) : ERR_UNAUTHORIZED;
    if (rc == ERR_UNAUTHORIZED) {
        api_http_metrics_auth_failure(app->http_metrics, reason);
        log_auth_failure(request_id, template, reason);
        unauthorized(resp);
        goto out;
    }
    if (rc != ERR_OK) {
        api_problem(resp, rc, NULL);
        goto out;
    }
    snprintf(limit_key, sizeof limit_key, "%s:%s", id->kind, id->subject);
    int wait = api_ratelimit_take(ctx->limits, limit_key);
    if (wait > 0) {
        char retry[16];
        rc = ERR_RATE_LIMITED;
        api_http_metrics_rate_limited(app->http_metrics);
        snprintf(st.detail, sizeof st.detail,
                 "over %d requests per second (burst %d) for this principal: retry after %d s",
                 app->cfg.rate_limit_rps, app->cfg.rate_limit_burst, wait);
        api_problem(resp, rc, &st);
        snprintf(retry, sizeof retry, "%d", wait);
        u_map_put(resp->map_header, "Retry-After", retry);
        goto out;
    }
    const char *person = api_header(req, "Capa-On-Behalf-Of");
    if (person != NULL && (rc = uc_identity_act_for(id, person, &st)) != ERR_OK) {
        api_problem(resp, rc, &st);
        goto out;
    }
    if ((id->p.roles & needed) == 0) {
        rc = ERR_FORBIDDEN;
        forbidden(resp, needed, id->p.roles);
    }
out:
    uc_status_cleanup(&st);
    return rc;
}

static int
default_endpoint(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    char allow[64] = "", path[512];
    /* several routes share a path: list each method once */
    size_t off = 0;
    (void)rq;

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

static int
dispatch(const struct _u_request *req, struct _u_response *resp, void *user_data)
{
    const struct api_route_ctx *ctx = user_data;
    const struct api_route *route = ctx->route;
    /*
     * ulfius matches methods ignoring case, but they are case-sensitive (RFC
     * 9110): "get" is not GET, and must not pass filters that look for GET.
     */
    if (route && strcmp(req->http_verb, route->method) != 0 &&
        !(strcmp(req->http_verb, "HEAD") == 0 && strcmp(route->method, "GET") == 0))
        route = NULL;
    const char *template = route ? route->path : "unmatched";
    const char *method = api_http_method_label(req->http_verb);
    char id[REQUEST_ID_MAX + 1];
    double t0 = clock_mono_s();

    struct uc_identity who = {0}; /* its subject stays "" until authenticated */
    struct api_req rq = {.app = ctx->app, .kind = route ? route->record - 1 : -1};
    int rc = U_CALLBACK_COMPLETE;

    request_id(req, id);
    /* every line this request causes, in any layer, names it */
    log_request_set(id);
    /* an invalid traceparent is as if absent (W3C): it never fails the request */
    trace_context_parse(api_header(req, "traceparent"), api_header(req, "tracestate"),
                        &rq.origin.trace);
    /* everything but health needs a principal: unknown paths too, so they tell nothing */
    unsigned needed = route ? route->roles : READ;
    if (route && (route->flags & ROUTE_METRICS) && ctx->app->cfg.metrics_public)
        needed = PUBLIC;
    if (needed == PUBLIC || authorize(req, resp, ctx, needed, id, template, &who) == ERR_OK) {
        rq.origin.who = needed == PUBLIC ? NULL : &who.p;
        rc = route ? route->handler(req, resp, &rq) : default_endpoint(req, resp, &rq);
    }
    u_map_put(resp->map_header, "X-Request-Id", id);
    /* ulfius answers 500 itself when a callback fails */
    unsigned status = rc == U_CALLBACK_ERROR ? 500 : (unsigned)resp->status;
    double seconds = clock_mono_s() - t0;
    size_t slot = route ? (size_t)(route - routes) : N_ROUTES;
    api_http_metrics_record(ctx->app->http_metrics, slot, template, method, status, seconds);
    /* a refused principal (403, 429) is named too */
    log_request(id, method, template, status, seconds, who.subject[0] ? &who.p : NULL,
                &rq.origin.trace);
    log_request_set(NULL);
    return rc;
}

char *
api_routes_text(void)
{
    json_t *j_routes = json_array();
    char path[128];

    for (size_t i = 0; i < N_ROUTES; i++) {
        /* ":id" -> "{id}" */
        size_t o = 0;
        for (const char *p = routes[i].path; *p && o + 2 < sizeof path; p++) {
            if (*p == ':') {
                size_t n = strcspn(p + 1, "/");
                o += (size_t)snprintf(path + o, sizeof path - o, "{%.*s}", (int)n, p + 1);
                p += n;
            } else {
                path[o++] = *p;
            }
        }
        path[o] = '\0';
        json_array_append_new(j_routes, json_pack("{s:s, s:s, s:o}", "method", routes[i].method,
                                                  "path", path, "roles",
                                                  routes[i].roles == PUBLIC
                                                      ? json_string("public")
                                                      : access_roles_json(routes[i].roles)));
    }
    char *text = json_dumps(j_routes, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j_routes);
    return text;
}

size_t
api_routes_count(void)
{
    return N_ROUTES;
}

int
api_routes_register(struct _u_instance *inst, struct app *app, struct api_ratelimit *limits,
                    struct api_route_ctx *ctx)
{
    for (size_t i = 0; i <= N_ROUTES; i++)
        ctx[i] = (struct api_route_ctx){
            .app = app, .route = i < N_ROUTES ? &routes[i] : NULL, .limits = limits};
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (ulfius_add_endpoint_by_val(inst, routes[i].method, routes[i].path, NULL, 1, dispatch,
                                       &ctx[i]) != U_OK)
            return ERR_INTERNAL;
        /* HEAD answers as GET does, without the body (libmicrohttpd drops it) */
        if (strcmp(routes[i].method, "GET") == 0 &&
            ulfius_add_endpoint_by_val(inst, "HEAD", routes[i].path, NULL, 1, dispatch, &ctx[i]) !=
                U_OK)
            return ERR_INTERNAL;
    }
    return ulfius_set_default_endpoint(inst, dispatch, &ctx[N_ROUTES]) == U_OK ? ERR_OK
                                                                               : ERR_INTERNAL;
}
