/*
 * test_ratelimit.c - the per-principal rate limit (CAPA_RATE_LIMIT_RPS and
 * _BURST) over real HTTP: a burst, then 429 with Retry-After for that
 * principal only, a refill, and the counter in /metrics (public here:
 * CAPA_METRICS_PUBLIC=true, so reading it takes no principal's turn).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"
#include "apikey.h"

#define RPS 5
#define BURST 5

static struct harness h;

static long
get_as(const char *key, const char *path, struct http_resp *r)
{
    char auth[APIKEY_LEN + 32] = "Authorization:";
    if (key != NULL)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", key);
    const char *hd[] = {auth, NULL};
    return http_do(&h, "GET", path, hd, NULL, 0, r);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
    nanosleep(&(struct timespec){(time_t)s, (long)((s - (double)(time_t)s) * 1e9)}, NULL);
}

/* The value of an unlabelled metric, or -1. */
static long
metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p != NULL; p = strchr(p, '\n')) {
        p += *p == '\n';
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtol(p + n + 1, NULL, 10);
    }
    return -1;
}

static void
test_rate_limit_per_principal(void **state)
{
    (void)state;
    struct http_resp r;
    char a[APIKEY_LEN + 1], b[APIKEY_LEN + 1];
    harness_apikey(&h, "busy-client", ACCESS_ROLE_BIT(WF_ROLE_VIEWER), false, a);
    harness_apikey(&h, "quiet-client", ACCESS_ROLE_BIT(WF_ROLE_VIEWER), false, b);

    /*
     * BURST requests pass; the next one must be refused when all BURST + 1
     * were answered within 1/RPS s (no whole token refilled in between). A
     * slower exchange may be answered either way: it is tried again once the
     * bucket is full. The other principal's request first opens the pool's
     * connections.
     */
    assert_int_equal(get_as(b, "/v1/cases", &r), 200);
    http_resp_cleanup(&r);
    double elapsed = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0)
            sleep_s((double)BURST / RPS + 0.1);
        double t0 = now_s();
        for (int i = 0; i < BURST; i++) {
            if (get_as(a, "/v1/cases", &r) != 200)
                fail_msg("request %d of the burst: %ld %s", i + 1, r.status, r.body);
            http_resp_cleanup(&r);
        }
        get_as(a, "/v1/cases", &r);
        elapsed = now_s() - t0;
        if (r.status == 429)
            break;
        if (r.status != 200 || elapsed < 1.0 / RPS)
            fail_msg("request %d within %.3f s: %ld %s", BURST + 1, elapsed, r.status, r.body);
        fprintf(stderr, "the burst took %.3f s: trying again\n", elapsed);
        http_resp_cleanup(&r);
    }
    if (r.status != 429)
        fail_msg("%d requests never fitted in %.2f s", BURST + 1, 1.0 / RPS);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_string_equal(json_string_value(json_object_get(r.j, "type")),
                        "https://capa.example.org/problems/rate-limited");
    assert_true(atoi(r.retry_after) >= 1);
    http_resp_cleanup(&r);

    /* another principal has its own bucket */
    assert_int_equal(get_as(b, "/v1/cases", &r), 200);
    http_resp_cleanup(&r);

    /* a refill later, the first principal may again */
    sleep_s(1.1);
    assert_int_equal(get_as(a, "/v1/cases", &r), 200);
    http_resp_cleanup(&r);

    /* counted; /metrics is public here and takes nobody's turn */
    for (int i = 0; i < BURST + 2; i++) {
        assert_int_equal(get_as(NULL, "/metrics", &r), 200);
        if (i < BURST + 1)
            http_resp_cleanup(&r);
    }
    assert_true(metric(r.body, "capa_http_rate_limited_total") >= 1);
    http_resp_cleanup(&r);
}

static int
setup(void **state)
{
    (void)state;
    char v[16];
    snprintf(v, sizeof v, "%d", RPS);
    setenv("CAPA_RATE_LIMIT_RPS", v, 1);
    snprintf(v, sizeof v, "%d", BURST);
    setenv("CAPA_RATE_LIMIT_BURST", v, 1);
    setenv("CAPA_METRICS_PUBLIC", "true", 1);
    return harness_start(&h, "ratelimit");
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
        cmocka_unit_test(test_rate_limit_per_principal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
