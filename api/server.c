/*
 * server.c - the route table of capa and the ulfius instance that serves it.
 *
 * Every route is in routes[] below, with its handler. A request that matches
 * no route reaches the default endpoint, which answers 405 with Allow when
 * the path exists under other methods, and 404 otherwise (ulfius has no 405
 * of its own).
 *
 * ulfius calls dispatch() for every route (and for the default endpoint) with
 * the route's api_route_ctx: it stamps the request id, reads the W3C trace
 * context (traceparent, tracestate) once, runs the handler with the struct
 * app and the request's origin (the caller and that trace context, which the
 * write use cases carry into the events), then writes one "request" log line
 * (with the trace id when a valid traceparent came) and counts the request
 * by route template (never the raw path), method and status.
 *
 * start_daemon() starts libmicrohttpd with capa's own option list rather
 * than ulfius' defaults: the threading model, idle timeout and limits of
 * CAPA_HTTP_*, and HTTPS with the checked files of CAPA_TLS_*.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "clock.h"
#include "err.h"
#include "file.h"
#include "http.h"
#include "log.h"
#include "mem.h"
#include "ratelimit.h"
#include "resources.h"
#include "trace.h"

/*
 * Who may call a route: nobody needs to authenticate for PUBLIC ones; the
 * others need a principal with one of the roles (a bit set of enum wf_role).
 * This table is the role matrix: openapi.yaml's x-capa-roles states it per
 * operation, and `capad routes` prints it for the check that compares them.
 */
#define PUBLIC 0u
#define V ROLE_BIT(WF_ROLE_VIEWER)
#define R ROLE_BIT(WF_ROLE_REPORTER)
#define C ROLE_BIT(WF_ROLE_CONTRIBUTOR)
#define A ROLE_BIT(WF_ROLE_APPROVER)
#define ADM ROLE_BIT(WF_ROLE_ADMIN)
/* every role reads */
#define READ ROLES_ALL
/* any role may ask; the workflow definition says which role each move needs */
#define WORKFLOW ROLES_ALL

struct api_route {
    const char *method;
    const char *path; /* ulfius format: ":name" is a path parameter */
    API_HANDLER((*handler));
    unsigned roles;
};

static const struct api_route routes[] = {
    {"GET", "/healthz", api_healthz, PUBLIC},
    {"GET", "/readyz", api_readyz, PUBLIC},
    {"GET", "/openapi.yaml", api_openapi, READ},
    {"GET", "/metrics", api_metrics, READ}, /* PUBLIC with CAPA_METRICS_PUBLIC */
    {"POST", "/v1/cases", api_case_create, R | C},
    {"GET", "/v1/cases", api_case_list, READ},
    {"GET", "/v1/cases/:id", api_case_get, READ},
    {"PATCH", "/v1/cases/:id", api_case_update, C},
    {"GET", "/v1/cases/:id/transitions", api_case_transitions, READ},
    {"POST", "/v1/cases/:id/transitions", api_case_transition, WORKFLOW},
    {"GET", "/v1/cases/:id/history", api_case_history, READ},
    {"GET", "/v1/cases/:id/history/verify", api_case_verify, READ},
    {"GET", "/v1/cases/:id/corrections", api_record_list, READ},
    {"POST", "/v1/cases/:id/corrections", api_record_create, C},
    {"GET", "/v1/cases/:id/corrections/:rid", api_record_get, READ},
    {"GET", "/v1/cases/:id/root-cause", api_record_get, READ},
    {"PUT", "/v1/cases/:id/root-cause", api_root_cause_put, C},
    {"GET", "/v1/cases/:id/actions", api_record_list, READ},
    {"POST", "/v1/cases/:id/actions", api_record_create, C},
    {"GET", "/v1/cases/:id/actions/:rid", api_record_get, READ},
    {"PATCH", "/v1/cases/:id/actions/:rid", api_record_update, C},
    {"GET", "/v1/cases/:id/reviews", api_record_list, READ},
    {"POST", "/v1/cases/:id/reviews", api_record_create, C},
    {"GET", "/v1/cases/:id/reviews/:rid", api_record_get, READ},
    {"POST", "/v1/cases/:id/reviews/:rid/verdict", api_review_verdict, A},
    {"GET", "/v1/cases/:id/isms-changes", api_record_list, READ},
    {"POST", "/v1/cases/:id/isms-changes", api_record_create, C},
    {"GET", "/v1/cases/:id/isms-changes/:rid", api_record_get, READ},
    {"GET", "/v1/cases/:id/links", api_record_list, READ},
    {"POST", "/v1/cases/:id/links", api_record_create, C},
    {"GET", "/v1/cases/:id/links/:rid", api_record_get, READ},
    {"DELETE", "/v1/cases/:id/links/:rid", api_link_remove, C},
    {"GET", "/v1/cases/:id/evidence", api_record_list, READ},
    {"POST", "/v1/cases/:id/evidence", api_evidence_add, R | C | A},
    {"GET", "/v1/cases/:id/evidence/:rid", api_record_get, READ},
    {"GET", "/v1/cases/:id/evidence/:rid/content", api_evidence_content, READ},
    {"GET", "/v1/cases/:id/comments", api_record_list, READ},
    {"POST", "/v1/cases/:id/comments", api_record_create, R | C | A},
    {"GET", "/v1/cases/:id/comments/:rid", api_record_get, READ},
    {"GET", "/v1/cases/:id/approvals", api_record_list, READ},
    {"POST", "/v1/cases/:id/approvals", api_record_create, A},
    {"GET", "/v1/cases/:id/approvals/:rid", api_record_get, READ},
    {"GET", "/v1/actions", api_actions_list, READ},
    {"GET", "/v1/controls", api_controls_list, READ},
    {"GET", "/v1/workflows", api_workflow_list, READ},
    {"PUT", "/v1/workflows/:kind", api_workflow_put, ADM},
    {"GET", "/v1/events", api_events_list, READ},
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

static double
seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
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
             needed == ROLES_ALL ? "of any capa role" : need_text, has ? has_text : "no role");
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
    struct timespec t0;

    struct uc_identity who = {0}; /* its subject stays "" until authenticated */
    struct api_req rq = {.app = ctx->app};
    int rc = U_CALLBACK_COMPLETE;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    request_id(req, id);
    /* every line this request causes, in any layer, names it */
    log_request_set(id);
    /* an invalid traceparent is as if absent (W3C): it never fails the request */
    trace_context_parse(api_header(req, "traceparent"), api_header(req, "tracestate"),
                        &rq.origin.trace);
    /* everything but health needs a principal: unknown paths too, so they tell nothing */
    unsigned needed = route ? route->roles : READ;
    if (route && route->handler == api_metrics && ctx->app->cfg.metrics_public)
        needed = PUBLIC;
    if (needed == PUBLIC || authorize(req, resp, ctx, needed, id, template, &who) == ERR_OK) {
        rq.origin.who = needed == PUBLIC ? NULL : &who.p;
        rc = route ? route->handler(req, resp, &rq) : default_endpoint(req, resp, &rq);
    }
    u_map_put(resp->map_header, "X-Request-Id", id);
    /* ulfius answers 500 itself when a callback fails */
    unsigned status = rc == U_CALLBACK_ERROR ? 500 : (unsigned)resp->status;
    double seconds = seconds_since(&t0);
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

    for (size_t i = 0; i < N_ROUTES && j_routes; i++) {
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
    char *text = j_routes ? json_dumps(j_routes, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j_routes);
    return text;
}

/* ---- the libmicrohttpd daemon ---- */

/* Largest PEM file read for CAPA_TLS_*: a long chain fits, a wrong path to a big file does not. */
#define TLS_FILE_MAX (1024 * 1024)

/*
 * libmicrohttpd's messages as log lines. Most are about one client (a TLS
 * handshake that failed, a header too large, a peer gone): debug. Those
 * about the server's capacity (the connection limit reached, a thread or an
 * accept() that failed) are warnings, at most one a second (srv->mhd_warned_s)
 * so that a flood of connections does not flood the log.
 */
/* libmicrohttpd passes printf formats of its own */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    static const char *const capacity[] = {"limit", "thread", "accept"};
    struct api_server *srv = cls;
    enum log_level level = LOG_LEVEL_DEBUG;
    char line[512];

    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    for (size_t i = 0; i < sizeof capacity / sizeof capacity[0]; i++)
        if (strstr(line, capacity[i]) != NULL)
            level = LOG_LEVEL_WARN;
    if (level == LOG_LEVEL_WARN) {
        long now = clock_mono_ms() / 1000, last = atomic_load(&srv->mhd_warned_s);
        if (now == last || !atomic_compare_exchange_strong(&srv->mhd_warned_s, &last, now))
            level = LOG_LEVEL_DEBUG;
    }
    log_write(level, "libmicrohttpd: %s", line);
}

/* ulfius' own URI logger, behind the signature libmicrohttpd calls (it passes the connection). */
static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)con;
    return ulfius_uri_logger(cls, uri);
}

/* Wipe and free a buffer that held a private key; NULL is a no-op. */
static void
key_free(char *key)
{
    if (key != NULL)
        gnutls_memset(key, 0, strlen(key));
    free(key);
}

/*
 * Read a PEM file named by the variable var into a new NUL-terminated buffer
 * (caller frees). Returns 0, or ERR_INVALID after logging what failed, naming
 * the variable and the path (never the contents).
 */
static int
tls_file_read(const char *var, const char *path, char **out)
{
    size_t n;
    int e = file_read_all(path, TLS_FILE_MAX, out, &n);

    if (e != 0 && e != EFBIG) {
        log_error("cannot read %s %s: %s", var, path, strerror(e));
        return ERR_INVALID;
    }
    if (e == EFBIG || n == 0 || memchr(*out, '\0', n) != NULL) {
        log_error("%s %s is not a PEM file: %s", var, path,
                  e == EFBIG ? "it is over 1 MiB"
                  : n == 0   ? "it is empty"
                             : "it holds NUL bytes");
        if (*out != NULL)
            gnutls_memset(*out, 0, n);
        free(*out);
        *out = NULL;
        return ERR_INVALID;
    }
    return ERR_OK;
}

/*
 * Check that cert holds PEM certificates and key a PEM private key matching
 * the first, so that a bad file is named rather than failing inside
 * libmicrohttpd with no reason given. Returns 0 or ERR_INVALID (logged).
 */
static int
tls_check(const struct cfg *cfg, const char *cert, const char *key)
{
    gnutls_datum_t c = {(unsigned char *)cert, (unsigned)strlen(cert)};
    gnutls_datum_t k = {(unsigned char *)key, (unsigned)strlen(key)};
    gnutls_x509_crt_t *crts = NULL;
    gnutls_x509_privkey_t pk = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    unsigned n_crts = 0;
    int rc = ERR_INVALID, e;

    if ((e = gnutls_x509_crt_list_import2(&crts, &n_crts, &c, GNUTLS_X509_FMT_PEM, 0)) < 0) {
        log_error("CAPA_TLS_CERT_FILE %s holds no usable PEM certificate: %s", cfg->tls_cert_file,
                  gnutls_strerror(e));
        goto out;
    }
    if ((e = gnutls_x509_privkey_init(&pk)) < 0 ||
        (e = gnutls_x509_privkey_import2(pk, &k, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        log_error("CAPA_TLS_KEY_FILE %s holds no usable unencrypted PEM private key: %s",
                  cfg->tls_key_file, gnutls_strerror(e));
        goto out;
    }
    if ((e = gnutls_certificate_allocate_credentials(&cred)) < 0 ||
        (e = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM)) < 0) {
        log_error("cannot use the key of CAPA_TLS_KEY_FILE %s with the certificate of "
                  "CAPA_TLS_CERT_FILE %s: %s",
                  cfg->tls_key_file, cfg->tls_cert_file, gnutls_strerror(e));
        goto out;
    }
    rc = ERR_OK;
out:
    for (unsigned i = 0; i < n_crts; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    if (pk != NULL)
        gnutls_x509_privkey_deinit(pk);
    if (cred != NULL)
        gnutls_certificate_free_credentials(cred);
    return rc;
}

/* Room for every option start_daemon sets, and the end. */
#define MHD_OPTIONS_MAX 13

/*
 * GnuTLS' defaults without TLS 1.0 and 1.1: GnuTLS 3.7's NORMAL still
 * negotiates both, and libmicrohttpd uses NORMAL when given nothing.
 */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/*
 * Start libmicrohttpd for srv->inst, as ulfius_start_framework would, with
 * what it leaves out: an idle-connection timeout, connection and memory
 * limits, the threading model of cfg->http_threads and, with
 * CAPA_TLS_CERT_FILE, HTTPS.
 *
 * ulfius_start_framework_with_mhd_options passes our list as it is: ulfius
 * then adds nothing, so its completion callback (mhd_request_completed,
 * which frees each request's state), its URI logger (which creates that
 * state), the bind address (ulfius' own bind_address is ignored) and the
 * timeout (u_instance->timeout is ignored) are all ours to give.
 *
 * MHD_USE_ITC: MHD_quiesce_daemon (api_server_shutdown) refuses to stop a
 * daemon with internal threads that was started without it.
 *
 * Returns 0, ERR_INVALID when a TLS file is unreadable or invalid (logged,
 * naming the file), or ERR_UNAVAILABLE when libmicrohttpd cannot start
 * (usually: the port is taken).
 */
static int
start_daemon(struct api_server *srv, const struct cfg *cfg)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem ops[MHD_OPTIONS_MAX];
    char *cert = NULL, *key = NULL;
    size_t n = 0;
    int rc = ERR_INVALID;

    if (cfg->tls_cert_file != NULL &&
        (tls_file_read("CAPA_TLS_CERT_FILE", cfg->tls_cert_file, &cert) != ERR_OK ||
         tls_file_read("CAPA_TLS_KEY_FILE", cfg->tls_key_file, &key) != ERR_OK ||
         tls_check(cfg, cert, key) != ERR_OK))
        goto out;
    /* first, so that start-up messages reach it too */
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, srv};
    ops[n++] =
        (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mhd_request_completed, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &srv->addr};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                       (intptr_t)cfg->http_connection_timeout_s, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                       (intptr_t)cfg->http_connection_limit, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                       (intptr_t)cfg->http_connection_memory_bytes, NULL};
    if (cfg->http_threads > 0) {
        /* N threads, each serving many connections from its own epoll set */
        flags |= MHD_USE_EPOLL;
        ops[n++] =
            (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->http_threads, NULL};
    } else {
        /* ulfius' model; poll() rather than its select(), which stops at fd 1024 */
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    }
    if (cert != NULL) {
        /* libmicrohttpd copies both into its GnuTLS credentials at start */
        flags |= MHD_USE_TLS;
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, cert};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, key};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, TLS_PRIORITIES};
    }
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    rc = ulfius_start_framework_with_mhd_options(&srv->inst, flags, ops) == U_OK ? ERR_OK
                                                                                 : ERR_UNAVAILABLE;
out:
    free(cert);
    key_free(key);
    return rc;
}

int
api_server_start(struct app *app, unsigned port, struct api_server *srv)
{
    struct _u_instance *inst = &srv->inst;
    int rc = ERR_INTERNAL;

    memset(srv, 0, sizeof *srv);
    srv->app = app;
    srv->ctx = mem_calloc(N_ROUTES + 1, sizeof *srv->ctx);
    srv->metrics = api_http_metrics_new(N_ROUTES);
    srv->limits = api_ratelimit_new(app->cfg.rate_limit_rps, app->cfg.rate_limit_burst);
    for (size_t i = 0; i <= N_ROUTES; i++)
        srv->ctx[i] = (struct api_route_ctx){
            .app = app, .route = i < N_ROUTES ? &routes[i] : NULL, .limits = srv->limits};
    srv->addr.sin_family = AF_INET;
    srv->addr.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, app->cfg.http_bind, &srv->addr.sin_addr);
    if (ulfius_init_instance(inst, port, &srv->addr, NULL) != U_OK)
        goto fail_alloc;
    /* one byte over the limit tells a too-large body from one at the limit */
    inst->max_post_body_size =
        (size_t)(app->cfg.evidence_max_bytes > app->cfg.max_body_bytes ? app->cfg.evidence_max_bytes
                                                                       : app->cfg.max_body_bytes) +
        1;
    /* values are validated by the handlers; ulfius would silently drop non-UTF-8 ones */
    inst->check_utf8 = 0;
    inst->allowed_post_processor = U_POST_PROCESS_NONE;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (ulfius_add_endpoint_by_val(inst, routes[i].method, routes[i].path, NULL, 1, dispatch,
                                       &srv->ctx[i]) != U_OK)
            goto fail;
        /* HEAD answers as GET does, without the body (libmicrohttpd drops it) */
        if (strcmp(routes[i].method, "GET") == 0 &&
            ulfius_add_endpoint_by_val(inst, "HEAD", routes[i].path, NULL, 1, dispatch,
                                       &srv->ctx[i]) != U_OK)
            goto fail;
    }
    if (ulfius_set_default_endpoint(inst, dispatch, &srv->ctx[N_ROUTES]) != U_OK)
        goto fail;
    /* before the first request: handlers read it */
    app->http_metrics = srv->metrics;
    if ((rc = start_daemon(srv, &app->cfg)) != ERR_OK) {
        if (rc == ERR_UNAVAILABLE)
            log_error("cannot serve HTTP on %s:%u", app->cfg.http_bind, port);
        goto fail;
    }
    return ERR_OK;
fail:
    ulfius_clean_instance(inst);
fail_alloc:
    app->http_metrics = NULL;
    api_http_metrics_free(srv->metrics);
    api_ratelimit_free(srv->limits);
    free(srv->ctx);
    memset(srv, 0, sizeof *srv);
    return rc;
}

void
api_server_stop(struct api_server *srv)
{
    ulfius_stop_framework(&srv->inst);
    ulfius_clean_instance(&srv->inst);
    /* no request runs any more: the table and the contexts can go */
    if (srv->app != NULL)
        srv->app->http_metrics = NULL;
    api_http_metrics_free(srv->metrics);
    api_ratelimit_free(srv->limits);
    free(srv->ctx);
    srv->limits = NULL;
    srv->metrics = NULL;
    srv->ctx = NULL;
}

/* How long stopping the server may take past the drain deadline. */
#define HTTP_STOP_GRACE_MS 1000

static unsigned
http_connections(struct api_server *srv)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->inst.mhd_daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/* api_server_stop in its own thread, so that the main thread can give up on it. */
struct http_stop {
    struct api_server *srv;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;
};

static void *
http_stop_main(void *arg)
{
    struct http_stop *st = arg;
    api_server_stop(st->srv);
    pthread_mutex_lock(&st->lock);
    st->done = true;
    pthread_cond_signal(&st->done_cond);
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

/*
 * Stop accepting connections, wait until the open ones are done or
 * deadline (CLOCK_MONOTONIC ms) passes, then stop the server, which cuts
 * what is left. libmicrohttpd's stop shuts every connection down and joins
 * its thread, so a handler still running (a slow statement) keeps it
 * waiting: past the deadline and HTTP_STOP_GRACE_MS, give up on it.
 * Returns true when the server stopped, false when handlers still run (the
 * pool must then stay allocated; *st is then leaked on purpose).
 */
bool
api_server_shutdown(struct api_server *srv, long deadline)
{
    long t0 = clock_mono_ms();
    unsigned open;
    MHD_socket fd = MHD_quiesce_daemon(srv->inst.mhd_daemon);

    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    else
        log_warn("cannot stop accepting connections: they are cut at the deadline");
    log_info("stopping: no new connections, %u open, waiting at most %ld ms for them",
             http_connections(srv), deadline - t0 > 0 ? deadline - t0 : 0);
    while ((open = http_connections(srv)) > 0 && clock_mono_ms() < deadline)
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    if (open == 0)
        log_info("requests drained in %ld ms", clock_mono_ms() - t0);
    else
        log_warn("shutdown deadline passed after %ld ms: cutting %u connection(s)",
                 clock_mono_ms() - t0, open);

    struct http_stop *st = mem_calloc(1, sizeof *st);
    pthread_t thread;
    bool threaded;
    st->srv = srv;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->done_cond, NULL);
    if (!(threaded = pthread_create(&thread, NULL, http_stop_main, st) == 0)) {
        api_server_stop(srv);
        st->done = true;
    }
    long wait_ms = deadline - clock_mono_ms();
    wait_ms = (wait_ms > 0 ? wait_ms : 0) + HTTP_STOP_GRACE_MS;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000 + (until.tv_nsec + (wait_ms % 1000) * 1000000L) / 1000000000L;
    until.tv_nsec = (until.tv_nsec + (wait_ms % 1000) * 1000000L) % 1000000000L;
    pthread_mutex_lock(&st->lock);
    while (!st->done && pthread_cond_timedwait(&st->done_cond, &st->lock, &until) != ETIMEDOUT)
        ;
    bool stopped = st->done;
    pthread_mutex_unlock(&st->lock);
    if (!stopped) {
        log_error("requests still running %ld ms after the shutdown deadline: exiting without "
                  "waiting for them",
                  clock_mono_ms() - deadline);
        return false;
    }
    if (threaded)
        pthread_join(thread, NULL);
    pthread_cond_destroy(&st->done_cond);
    pthread_mutex_destroy(&st->lock);
    free(st);
    return true;
}
