/*
 * test_observability.c - request ids and request metrics over real HTTP: the
 * X-Request-Id a client sends is echoed when valid and replaced otherwise,
 * the request log line names the trace id of a valid W3C traceparent,
 * and /metrics counts requests by route template, method and status, with a
 * duration histogram that agrees with the counter. When promtool is
 * installed, it must accept the whole /metrics text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "log.h"
#include "testlib.h"

static struct harness h;

/* A request id capad generated: 32 lower-case hex digits. */
static bool
is_generated_id(const char *s)
{
    return strlen(s) == 32 && strspn(s, "0123456789abcdef") == 32;
}

/* GET path with one extra header (NULL: none); returns the response. */
static void
get_with(const char *path, const char *header, long status, struct http_resp *r)
{
    const char *headers[] = {header, NULL};
    assert_int_equal(http_do(&h, "GET", path, header ? headers : NULL, NULL, 0, r), status);
}

/* The value of the sample named exactly series ("name{labels}"), or -1. */
static double
sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    }
    return -1;
}

/* The sum of every sample whose line starts with prefix. */
static double
sample_sum(const char *text, const char *prefix)
{
    double sum = 0;
    size_t n = strlen(prefix);
    for (const char *line = text; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, prefix, n) == 0)
            sum += strtod(strchr(line + n, ' ') + 1, NULL); /* no label value has a space */
    }
    return sum;
}

static char *
metrics_text(void)
{
    struct http_resp r;
    assert_int_equal(http_do(&h, "GET", "/metrics", NULL, NULL, 0, &r), 200);
    char *text = strdup(r.body);
    http_resp_cleanup(&r);
    return text;
}

static void
test_request_id_given_is_echoed(void **state)
{
    (void)state;
    struct http_resp r;

    get_with("/healthz", "X-Request-Id: req-7f3a/abc_123", 200, &r);
    assert_string_equal(r.request_id, "req-7f3a/abc_123");
    http_resp_cleanup(&r);
    /* on a problem too, and on a path no route matches */
    get_with("/v1/nothing-here", "X-Request-Id: lost-1", 404, &r);
    assert_string_equal(r.request_id, "lost-1");
    http_resp_cleanup(&r);
}

static void
test_request_id_absent_is_generated(void **state)
{
    (void)state;
    struct http_resp r1, r2;

    get_with("/healthz", NULL, 200, &r1);
    get_with("/healthz", NULL, 200, &r2);
    assert_true(is_generated_id(r1.request_id));
    assert_true(is_generated_id(r2.request_id));
    assert_string_not_equal(r1.request_id, r2.request_id);
    http_resp_cleanup(&r1);
    http_resp_cleanup(&r2);
}

static void
test_request_id_invalid_is_replaced(void **state)
{
    (void)state;
    struct http_resp r;
    char header[256], max[160];

    get_with("/healthz", "X-Request-Id: has space", 200, &r);
    assert_true(is_generated_id(r.request_id));
    http_resp_cleanup(&r);

    snprintf(header, sizeof header, "X-Request-Id: %0200d", 7);
    get_with("/healthz", header, 200, &r);
    assert_true(is_generated_id(r.request_id));
    http_resp_cleanup(&r);

    /* 128 characters is the longest kept */
    snprintf(max, sizeof max, "%0128d", 7);
    snprintf(header, sizeof header, "X-Request-Id: %s", max);
    get_with("/healthz", header, 200, &r);
    assert_string_equal(r.request_id, max);
    http_resp_cleanup(&r);
}

static void
test_request_log_names_trace_id(void **state)
{
    (void)state;
    const char *const valid[] = {
        "X-Request-Id: trace-valid",
        "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "tracestate: rojo=00f067aa0ba902b7", NULL};
    const char *const zeros[] = {
        "X-Request-Id: trace-zeros",
        "traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01", NULL};
    const char *const none[] = {"X-Request-Id: trace-none", NULL};
    const char *const *sent[] = {valid, zeros, none};
    long status[3];
    struct http_resp r;
    struct tl_capture cap;

    /* the server logs on this process's stderr */
    tl_stderr_begin(&cap);
    for (int i = 0; i < 3; i++) {
        status[i] = http_do(&h, "GET", "/v1/cases?limit=1", sent[i], NULL, 0, &r);
        http_resp_cleanup(&r);
    }
    char *text = tl_stderr_end(&cap);

    /* an invalid traceparent never fails a request */
    for (int i = 0; i < 3; i++)
        assert_int_equal(status[i], 200);
    json_t *j = tl_log_line(text, "trace-valid", "request");
    if (j == NULL)
        fail_msg("no request log line of trace-valid in:\n%s", text);
    assert_string_equal(json_string_value(json_object_get(j, "trace_id")),
                        "4bf92f3577b34da6a3ce929d0e0e4736");
    json_decref(j);
    /* no valid traceparent: no trace_id at all */
    for (int i = 1; i < 3; i++) {
        const char *id = i == 1 ? "trace-zeros" : "trace-none";
        if ((j = tl_log_line(text, id, "request")) == NULL)
            fail_msg("no request log line of %s in:\n%s", id, text);
        assert_null(json_object_get(j, "trace_id"));
        json_decref(j);
    }
    free(text);
}

/*
 * A line written below the HTTP layer while a request is served (the use
 * case's "workflow ... stored") names the request; a line of no request
 * (the relay's, the start-up's) names none.
 */
static void
test_log_lines_below_http_name_the_request(void **state)
{
    (void)state;
    struct http_resp r;
    struct tl_capture cap;
    size_t i;
    json_t *w;
    char *definition = NULL;

    assert_int_equal(http_json(&h, "GET", "/v1/workflows", NULL, NULL, &r), 200);
    json_array_foreach(json_object_get(r.j, "items"), i, w)
    {
        if (strcmp(tl_str(w, "kind"), "improvement") == 0)
            definition = json_dumps(json_object_get(w, "definition"), JSON_COMPACT);
    }
    http_resp_cleanup(&r);
    assert_non_null(definition);
    const char *const extra[] = {"X-Request-Id: wf-put-7", NULL};
    tl_stderr_begin(&cap);
    long status =
        http_json_with(&h, "PUT", "/v1/workflows/improvement", NULL, definition, extra, &r);
    log_info("a line of no request");
    char *text = tl_stderr_end(&cap);
    http_resp_cleanup(&r);
    free(definition);

    assert_int_equal(status, 200);
    json_t *j = tl_log_line(text, "wf-put-7", "workflow improvement version");
    if (j == NULL)
        fail_msg("the use case's line does not name request wf-put-7:\n%s", text);
    assert_string_equal(tl_str(j, "level"), "info");
    json_decref(j);
    if ((j = tl_log_line(text, "wf-put-7", "request")) == NULL)
        fail_msg("no request line of wf-put-7:\n%s", text);
    json_decref(j);
    /* the id is the thread's for the time of the request only */
    const char *own = strstr(text, "\"msg\":\"a line of no request\"");
    assert_non_null(own);
    while (own > text && own[-1] != '\n')
        own--;
    j = json_loadb(own, strcspn(own, "\n"), 0, NULL);
    assert_non_null(j);
    assert_null(json_object_get(j, "request_id"));
    json_decref(j);
    free(text);
}

static void
test_metrics_count_route_template(void **state)
{
    (void)state;
    struct http_resp r;
    char path[256];
    char *body = harness_case_body("Metrics by route", "minor");

    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
    char *id = strdup(json_string_value(json_object_get(r.j, "id")));
    http_resp_cleanup(&r);
    free(body);
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    for (int i = 0; i < 3; i++) {
        get_with(path, NULL, 200, &r);
        http_resp_cleanup(&r);
    }
    get_with("/v1/cases/00000000-0000-4000-8000-000000000000", NULL, 404, &r);
    http_resp_cleanup(&r);
    assert_int_equal(http_do(&h, "HEAD", path, NULL, NULL, 0, &r), 200);
    http_resp_cleanup(&r);
    get_with("/v1/nothing-here", NULL, 404, &r);
    http_resp_cleanup(&r);

    char *text = metrics_text();
    const char *get = "capa_http_requests_total{route=\"/v1/cases/:id\",method=\"GET\"";
    snprintf(path, sizeof path, "%s,status=\"200\"}", get);
    assert_int_equal((int)sample(text, path), 3);
    snprintf(path, sizeof path, "%s,status=\"404\"}", get);
    assert_int_equal((int)sample(text, path), 1);
    assert_int_equal((int)sample(text, "capa_http_requests_total{route=\"/v1/cases/:id\","
                                       "method=\"HEAD\",status=\"200\"}"),
                     1);
    assert_int_equal((int)sample(text, "capa_http_requests_total{route=\"/v1/cases\","
                                       "method=\"POST\",status=\"201\"}"),
                     1);
    assert_true(sample(text, "capa_http_requests_total{route=\"unmatched\",method=\"GET\","
                             "status=\"404\"}") >= 1);
    /* the histogram counts the same requests as the counter */
    double count = sample(text, "capa_http_request_duration_seconds_count{route=\"/v1/cases/:id\","
                                "method=\"GET\"}");
    assert_int_equal((int)count, 4);
    assert_int_equal((int)count, (int)sample_sum(text, get));
    assert_int_equal((int)sample(text, "capa_http_request_duration_seconds_bucket{route=\"/v1/"
                                       "cases/:id\",method=\"GET\",le=\"+Inf\"}"),
                     4);
    assert_true(sample(text, "capa_http_request_duration_seconds_sum{route=\"/v1/cases/:id\","
                             "method=\"GET\"}") > 0);
    /* the cases by status: the database's count (other tests of this program add cases) */
    long reported = harness_sql_long(&h, "SELECT count(*) FROM cases WHERE status = 'reported'");
    assert_true(reported >= 1);
    assert_int_equal((long)sample(text, "capa_cases{status=\"reported\"}"), reported);
    /* templates only: the raw path never becomes a label */
    assert_null(strstr(text, id));
    free(text);
    free(id);
}

static void
test_metrics_accepted_by_promtool(void **state)
{
    (void)state;
    char out_path[] = "/tmp/capa_promtool_XXXXXX", cmd[128], report[4096];

    if (system("command -v promtool >/dev/null 2>&1") != 0) {
        printf("promtool is not installed (Debian package prometheus): "
               "SKIPPING the promtool check of /metrics\n");
        return;
    }
    char *text = metrics_text();
    int fd = mkstemp(out_path);
    assert_true(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "promtool check metrics >%s 2>&1", out_path);
    FILE *p = popen(cmd, "w");
    assert_non_null(p);
    fputs(text, p);
    int status = pclose(p);
    FILE *f = fopen(out_path, "r");
    size_t n = f ? fread(report, 1, sizeof report - 1, f) : 0;
    report[n] = '\0';
    if (f)
        fclose(f);
    unlink(out_path);
    if (status != 0 || n > 0)
        fprintf(stderr, "promtool check metrics (status %d):\n%s\n", status, report);
    assert_int_equal(status, 0);
    assert_int_equal(n, 0);
    free(text);
}

static int
setup(void **state)
{
    (void)state;
    /* the request log lines are info (harness_start otherwise logs warnings only) */
    setenv("CAPA_LOG_LEVEL", "info", 1);
    return harness_start(&h, "observability");
}

static int
teardown(void **state)
{
    (void)state;
    harness_stop(&h);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_id_given_is_echoed),
        cmocka_unit_test(test_request_id_absent_is_generated),
        cmocka_unit_test(test_request_id_invalid_is_replaced),
        cmocka_unit_test(test_request_log_names_trace_id),
        cmocka_unit_test(test_log_lines_below_http_name_the_request),
        cmocka_unit_test(test_metrics_count_route_template),
        cmocka_unit_test(test_metrics_accepted_by_promtool),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
