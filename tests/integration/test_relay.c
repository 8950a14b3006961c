/*
 * test_relay.c - the outbox relay in process (harness with the librdkafka
 * mock cluster): what reaches Kafka, with which headers and in which order,
 * with the trace context of the request that wrote it, and what happens when
 * the brokers are away, answer with retriable errors, or refuse an event for
 * good.
 *
 * Every check reads the topic back with a real consumer (kafka_consumer.h)
 * and compares with the database. The tests share one server, one database
 * and one topic; each one looks only at the events it caused (rows after a
 * position mark, or the cases it created). Worker threads never call cmocka
 * assertions: they record what they saw and the main thread asserts after
 * joining them. Waits are bounded polls that end as soon as their condition
 * holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <regex.h>
#include <time.h>
#include <unistd.h>

#include "cloudevent.h"
#include "harness.h"
#include "testlib.h"
#include "kafka.h"
#include "kafka_consumer.h"

#define TOPIC "capa.case-events"
/* Kafka protocol ApiKey of ProduceRequest (the protocol header is not installed) */
#define API_PRODUCE 0
#define WAIT_S 45
#define READ_MS 45000

static struct harness h;

/* ---- small helpers ---- */

static double
mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A metric's value in a Prometheus text (name may carry labels), or -1 when absent. */
static double
metric_value(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    return -1;
}

static double
metric_now(const char *name)
{
    struct http_resp r;
    assert_int_equal(http_json(&h, "GET", "/metrics", NULL, NULL, &r), 200);
    double v = metric_value(r.body, name);
    if (v < 0)
        fprintf(stderr, "metric %s missing in:\n%s\n", name, r.body);
    http_resp_cleanup(&r);
    return v;
}

/* Poll /metrics until name reaches at least min (at most max when max >= 0). */
static bool
wait_metric(const char *name, double min, double max, int seconds)
{
    double deadline = mono_s() + seconds, v;
    do {
        v = metric_now(name);
        if (v >= min && (max < 0 || v <= max))
            return true;
        nap_ms(100);
    } while (mono_s() < deadline);
    fprintf(stderr, "metric %s is %g after %d s\n", name, v, seconds);
    return false;
}

/* POST /v1/cases; returns the status and, on 201, the id in id (37 bytes). */
static long
try_create(const char *title, char *id)
{
    struct http_resp r;
    char *body = harness_case_body(title, "minor");
    long status = http_json(&h, "POST", "/v1/cases", NULL, body, &r);
    if (status == 201 && tl_str(r.j, "id") != NULL)
        snprintf(id, 37, "%s", tl_str(r.j, "id"));
    else if (status == 201)
        status = -2;
    free(body);
    http_resp_cleanup(&r);
    return status;
}

static void
create_case(const char *title, char id[37])
{
    assert_int_equal(try_create(title, id), 201);
}

static long
try_patch(const char *id, const char *etag, const char *body)
{
    struct http_resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/cases/%.40s", id);
    long status = http_json(&h, "PATCH", path, etag, body, &r);
    http_resp_cleanup(&r);
    return status;
}

/* Read the topic until the events are all there, and check them (kafka_consumer.h). */
static void
read_and_check(const struct harness_ids *want, struct kc_log *log)
{
    char why[512] = "";
    memset(log, 0, sizeof *log);
    int rc = kc_read(h.app.kafka_bootstrap, TOPIC, (const char *const *)want->v, want->n, READ_MS,
                     log, why, sizeof why);
    if (rc != 0)
        fail_msg("reading %s: %s", TOPIC, why);
    if (kc_check(log, (const char *const *)want->v, want->n, why, sizeof why) != 0)
        fail_msg("%s", why);
}

/* Whether id is one of x (linear: the sets here are small or read once). */
static bool
ids_has(const struct harness_ids *x, const char *id)
{
    for (size_t i = 0; id && i < x->n; i++)
        if (strcmp(x->v[i], id) == 0)
            return true;
    return false;
}

/* Every message keyed by one of cases carries one of the wanted ce_id: nothing extra. */
static void
assert_nothing_else(const struct kc_log *log, const struct harness_ids *cases,
                    const struct harness_ids *want)
{
    for (size_t k = 0; k < log->n; k++) {
        const struct kc_msg *m = &log->msgs[k];
        if (ids_has(cases, m->key) && !ids_has(want, kc_header(m, "ce_id")))
            fail_msg("unexpected event %s (ce_sequence %s) for case %s", kc_header(m, "ce_id"),
                     kc_header(m, "ce_sequence"), m->key);
    }
}

/* ---- samples for the schema checks of another stage ---- */

static void
write_sample(const char *dir, const char *name, const char *text, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fail_msg("cannot write %s", path);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/*
 * The feed items of a case once there are n (caller decrefs). The feed serves
 * a row once every older transaction of the cluster has ended
 * (pg_snapshot_xmin): another program's open transaction, even in another
 * database, delays it.
 */
static json_t *
feed_items(const char *case_id, size_t n)
{
    char path[128];
    struct http_resp r;
    snprintf(path, sizeof path, "/v1/events?case_id=%s", case_id);
    double deadline = mono_s() + WAIT_S;
    for (;;) {
        assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
        if (json_array_size(json_object_get(r.j, "items")) >= n || mono_s() >= deadline)
            break;
        http_resp_cleanup(&r);
        nap_ms(100);
    }
    if (json_array_size(json_object_get(r.j, "items")) != n)
        fail_msg("GET %s served %zu of the case's %zu events after %d s (a transaction open "
                 "elsewhere in the cluster holds the feed back?)",
                 path, json_array_size(json_object_get(r.j, "items")), n, WAIT_S);
    json_t *j_items = json_incref(json_object_get(r.j, "items"));
    http_resp_cleanup(&r);
    return j_items;
}

static void
write_samples(const struct kc_log *log, const struct harness_ids *want, const char *case_id)
{
    const char *dir = getenv("CAPA_EVENT_SAMPLES_DIR");
    char name[256];
    if (dir == NULL || *dir == '\0')
        return;
    for (size_t i = 0; i < want->n; i++) {
        const struct kc_msg *m = kc_first(log, want->v[i], NULL);
        const char *type = kc_header(m, "ce_type");
        snprintf(name, sizeof name, "%s.%s.json", evt_type_suffix(type), want->v[i]);
        write_sample(dir, name, m->value, m->value_len);
    }
    size_t i;
    json_t *j_item, *j_items = feed_items(case_id, want->n);
    json_array_foreach(j_items, i, j_item)
    {
        char *text = json_dumps(j_item, JSON_INDENT(2));
        snprintf(name, sizeof name, "cloudevent.%s.json", tl_str(j_item, "id"));
        write_sample(dir, name, text, strlen(text));
        free(text);
    }
    json_decref(j_items);
}

/* ---- tests ---- */

static void
test_relay_publishes_lifecycle_with_headers_and_order(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[128], where[128];
    struct harness_ids want, cases = {0};
    struct kc_log log;
    regex_t feedpos;

    /* created, updated twice, rejected */
    create_case("Relay lifecycle", id);
    assert_int_equal(try_patch(id, "\"1\"", "{\"owner\":\"ciso\"}"), 200);
    assert_int_equal(try_patch(id, "\"2\"", "{\"title\":\"Relay lifecycle, retitled\"}"), 200);
    snprintf(path, sizeof path, "/v1/cases/%s/transitions", id);
    assert_int_equal(http_json(&h, "POST", path, "\"3\"",
                               "{\"to\":\"rejected\",\"comment\":\"not a nonconformity\"}", &r),
                     200);
    http_resp_cleanup(&r);

    /* the history says what must arrive */
    snprintf(path, sizeof path, "/v1/cases/%s/history", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    json_t *j_items = json_object_get(r.j, "items");
    assert_int_equal(json_array_size(j_items), 4);
    snprintf(where, sizeof where, "case_id = '%s'", id);
    harness_event_ids(&h, where, &want);
    assert_int_equal(want.n, 4);

    read_and_check(&want, &log);

    /* exactly these four for the case, first arrivals in sequence order */
    const char *types[] = {"capa.case.created", "capa.case.updated", "capa.case.updated",
                           "capa.case.transitioned"};
    char subject[64], schema_end[64], seq[16];
    snprintf(subject, sizeof subject, "cases/%s", id);
    assert_int_equal(regcomp(&feedpos, "^[0-9]+\\.[0-9]+$", REG_EXTENDED | REG_NOSUB), 0);
    cases.v = (char *[]){id};
    cases.n = 1;
    assert_nothing_else(&log, &cases, &want);
    int next = 0;
    for (size_t k = 0; k < log.n; k++) {
        const struct kc_msg *m = &log.msgs[k];
        if (m->key == NULL || strcmp(m->key, id) != 0)
            continue;
        const char *ce_id = kc_header(m, "ce_id");
        const struct kc_msg *first = kc_first(&log, ce_id, NULL);
        if (first != m)
            continue; /* a duplicate: kc_check found it identical */
        assert_true(next < 4);
        json_t *j_h = json_array_get(j_items, (size_t)next);
        snprintf(seq, sizeof seq, "%d", next + 1);
        snprintf(schema_end, sizeof schema_end, "/%s.json", evt_type_suffix(types[next]));
        assert_string_equal(ce_id, tl_str(j_h, "event_id"));
        assert_string_equal(kc_header(m, "ce_sequence"), seq);
        assert_string_equal(kc_header(m, "ce_specversion"), "1.0");
        assert_string_equal(kc_header(m, "ce_source"), "urn:capa");
        assert_string_equal(kc_header(m, "ce_type"), types[next]);
        assert_string_equal(kc_header(m, "ce_subject"), subject);
        assert_string_equal(kc_header(m, "ce_partitionkey"), id);
        assert_string_equal(kc_header(m, "ce_time"), tl_str(j_h, "occurred_at"));
        assert_string_equal(kc_header(m, "content-type"), "application/json");
        const char *schema = kc_header(m, "ce_dataschema");
        assert_non_null(schema);
        assert_true(strlen(schema) > strlen(schema_end) &&
                    strcmp(schema + strlen(schema) - strlen(schema_end), schema_end) == 0);
        assert_non_null(kc_header(m, "ce_feedposition"));
        assert_int_equal(regexec(&feedpos, kc_header(m, "ce_feedposition"), 0, NULL, 0), 0);
        assert_int_equal(m->n_headers, EVT_N_CORE);
        /* the value: the data with the actor; the case at this version */
        json_t *j_v = json_loadb(m->value, m->value_len, 0, NULL);
        assert_non_null(j_v);
        assert_true(json_is_object(json_object_get(j_v, "actor")));
        json_t *j_case = json_object_get(j_v, "case");
        assert_string_equal(tl_str(j_case, "id"), id);
        assert_int_equal(json_integer_value(json_object_get(j_case, "version")), next + 1);
        json_decref(j_v);
        next++;
    }
    assert_int_equal(next, 4);
    regfree(&feedpos);

    /* an independent client sees the same four */
    char cmd[512], line[4096];
    int kcat_seen = 0;
    snprintf(cmd, sizeof cmd,
             "timeout 60 kcat -C -b '%s' -t %s -o beginning -e -q -f '%%k %%h\\n' 2>/dev/null",
             h.app.kafka_bootstrap, TOPIC);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    bool seen[4] = {false};
    while (fgets(line, sizeof line, p) != NULL) {
        if (strncmp(line, id, 36) != 0)
            continue;
        const char *at = strstr(line, "ce_id=");
        assert_non_null(at);
        bool known = false;
        for (size_t i = 0; i < want.n; i++)
            if (strncmp(at + 6, want.v[i], 36) == 0) {
                kcat_seen += !seen[i];
                seen[i] = known = true;
            }
        if (!known)
            fail_msg("kcat read an unknown event of the case: %s", line);
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(kcat_seen, 4);

    /* the database knows they are published; so do the metrics */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FILTER (WHERE published_at IS NULL) || '/' || count(*) "
             "FROM case_events WHERE case_id = '%s'",
             id);
    assert_true(harness_wait_sql(&h, sql, "0/4", WAIT_S));
    assert_true(wait_metric("capa_events_unpublished", 0, 0, WAIT_S));
    assert_true(metric_now("capa_relay_published_total") >= 4);
    assert_true(metric_now("capa_relay_delivery_latency_seconds_count") >= 4);
    assert_true(metric_now("capa_relay_leader") == 1);

    write_samples(&log, &want, id);
    http_resp_cleanup(&r);
    kc_log_cleanup(&log);
    harness_ids_cleanup(&want);
}

/* ---- brokers down ---- */

#define DOWN_WRITERS 4
#define DOWN_CASES 500
#define DOWN_PATCHED 50

struct writer {
    int from, to; /* case numbers [from, to) */
    char (*ids)[37];
    long *status;
};

static void *
writer_main(void *arg)
{
    struct writer *w = arg;
    char title[64];
    for (int i = w->from; i < w->to; i++) {
        snprintf(title, sizeof title, "Brokers down %d", i);
        w->status[i] = try_create(title, w->ids[i]);
    }
    return NULL;
}

static void
set_brokers(bool up)
{
    rd_kafka_mock_cluster_t *mc = evt_mock_cluster(h.app.kafka_mock);
    for (int b = 1; b <= 3; b++)
        assert_int_equal(up ? rd_kafka_mock_broker_set_up(mc, b)
                            : rd_kafka_mock_broker_set_down(mc, b),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void
test_relay_survives_all_brokers_down(void **state)
{
    (void)state;
    char(*ids)[37] = calloc(DOWN_CASES, sizeof *ids);
    long *status = calloc(DOWN_CASES, sizeof *status);
    pthread_t t[DOWN_WRITERS];
    struct writer w[DOWN_WRITERS];
    struct http_resp r;
    char where[64];
    struct harness_ids want, cases = {0};
    struct kc_log log;

    assert_non_null(ids);
    assert_non_null(status);
    long mark = harness_log_mark(&h);
    double retriable_before = metric_now("capa_relay_failures_total{reason=\"retriable\"}");
    set_brokers(false);

    /* the write path does not need Kafka */
    for (int k = 0; k < DOWN_WRITERS; k++) {
        w[k] = (struct writer){k * DOWN_CASES / DOWN_WRITERS, (k + 1) * DOWN_CASES / DOWN_WRITERS,
                               ids, status};
        assert_int_equal(pthread_create(&t[k], NULL, writer_main, &w[k]), 0);
    }
    for (int k = 0; k < DOWN_WRITERS; k++)
        pthread_join(t[k], NULL);
    for (int i = 0; i < DOWN_CASES; i++)
        if (status[i] != 201)
            fail_msg("create %d answered %ld with all brokers down", i, status[i]);
    for (int i = 0; i < DOWN_PATCHED; i++)
        assert_int_equal(try_patch(ids[i * (DOWN_CASES / DOWN_PATCHED)], "\"1\"",
                                   "{\"owner\":\"while-kafka-is-down\"}"),
                         200);
    snprintf(where, sizeof where, "position > %ld AND published_at IS NULL", mark);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE %s", where);
    assert_true(harness_sql_long(&h, sql) > 0);
    assert_int_equal(http_json(&h, "GET", "/readyz", NULL, NULL, &r), 200);
    assert_string_equal(tl_str(json_object_get(r.j, "checks"), "relay"), "leader");
    http_resp_cleanup(&r);
    assert_true(metric_now("capa_events_unpublished") > 0);
    /*
     * Stay down until a round has failed (its messages time out after
     * CAPA_KAFKA_MESSAGE_TIMEOUT_MS): the rows then go out again.
     */
    assert_true(wait_metric("capa_relay_failures_total{reason=\"retriable\"}", retriable_before + 1,
                            -1, WAIT_S));

    /* back: everything goes out */
    set_brokers(true);
    assert_true(harness_wait_sql(&h, sql, "0", 60));
    snprintf(where, sizeof where, "position > %ld", mark);
    harness_event_ids(&h, where, &want);
    assert_int_equal(want.n, DOWN_CASES + DOWN_PATCHED);
    read_and_check(&want, &log);

    /* every case's created event is among them, none of anything else */
    cases.v = calloc(DOWN_CASES, sizeof *cases.v);
    assert_non_null(cases.v);
    for (int i = 0; i < DOWN_CASES; i++)
        cases.v[cases.n++] = ids[i];
    bool *created = calloc(DOWN_CASES, sizeof *created);
    assert_non_null(created);
    for (size_t k = 0; k < log.n; k++) {
        const struct kc_msg *m = &log.msgs[k];
        const char *seq = kc_header(m, "ce_sequence");
        if (!ids_has(&want, kc_header(m, "ce_id")))
            continue;
        for (int i = 0; i < DOWN_CASES; i++)
            if (m->key && strcmp(m->key, ids[i]) == 0) {
                if (seq && strcmp(seq, "1") == 0)
                    created[i] = true;
                break;
            }
    }
    for (int i = 0; i < DOWN_CASES; i++)
        if (!created[i])
            fail_msg("the created event of case %s never arrived", ids[i]);
    assert_nothing_else(&log, &cases, &want);
    assert_true(wait_metric("capa_events_unpublished", 0, 0, WAIT_S));

    free(created);
    free(cases.v);
    kc_log_cleanup(&log);
    harness_ids_cleanup(&want);
    free(status);
    free(ids);
}

/* ---- retriable errors ---- */

#define RETRY_CASES 20

static void
test_relay_retriable_produce_errors_are_retried(void **state)
{
    (void)state;
    char ids[RETRY_CASES][37], where[64], sql[256];
    struct harness_ids want, cases = {0};
    struct kc_log log;
    rd_kafka_mock_cluster_t *mc = evt_mock_cluster(h.app.kafka_mock);

    long mark = harness_log_mark(&h);
    /* the next produce requests fail, whichever broker they go to */
    rd_kafka_mock_push_request_errors(
        mc, API_PRODUCE, 8, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
    for (int i = 0; i < RETRY_CASES; i++) {
        char title[64];
        snprintf(title, sizeof title, "Retriable %d", i);
        create_case(title, ids[i]);
        if (i % 2 == 0)
            assert_int_equal(try_patch(ids[i], "\"1\"", "{\"owner\":\"retry\"}"), 200);
    }
    snprintf(where, sizeof where, "position > %ld", mark);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE %s AND published_at IS NULL",
             where);
    assert_true(harness_wait_sql(&h, sql, "0", WAIT_S));
    harness_event_ids(&h, where, &want);
    assert_int_equal(want.n, RETRY_CASES + RETRY_CASES / 2);
    read_and_check(&want, &log);
    cases.v = calloc(RETRY_CASES, sizeof *cases.v);
    assert_non_null(cases.v);
    for (int i = 0; i < RETRY_CASES; i++)
        cases.v[cases.n++] = ids[i];
    assert_nothing_else(&log, &cases, &want);
    /* errors no request came to take are not left for the next test */
    rd_kafka_mock_clear_request_errors(mc, API_PRODUCE);

    free(cases.v);
    kc_log_cleanup(&log);
    harness_ids_cleanup(&want);
}

/* ---- permanent errors ---- */

static void
test_relay_permanent_error_blocks_only_its_case(void **state)
{
    (void)state;
    char a[37], b[37], c[37], sql[512];
    struct harness_ids want = {0}, cases = {0};
    struct kc_log log;
    rd_kafka_mock_cluster_t *mc = evt_mock_cluster(h.app.kafka_mock);

    double failures_before = metric_now("capa_relay_failures_total{reason=\"permanent\"}");
    /* A is published: nothing else is pending when the error is armed */
    create_case("Permanent A", a);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM case_events WHERE published_at IS NULL "
             "AND publish_failed_at IS NULL");
    assert_true(harness_wait_sql(&h, sql, "0", WAIT_S));

    /* B's created event is refused for good by the broker */
    rd_kafka_mock_clear_request_errors(mc, API_PRODUCE);
    rd_kafka_mock_push_request_errors(mc, API_PRODUCE, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    create_case("Permanent B", b);
    snprintf(sql, sizeof sql,
             "SELECT (publish_failed_at IS NOT NULL) || '/' || (published_at IS NULL) || '/' || "
             "(coalesce(publish_error, '') ILIKE '%%too large%%') FROM case_events "
             "WHERE case_id = '%s' "
             "AND sequence = 1",
             b);
    assert_true(harness_wait_sql(&h, sql, "true/true/true", WAIT_S));

    /* B's later event waits behind it; C, created after, goes out */
    assert_int_equal(try_patch(b, "\"1\"", "{\"owner\":\"held back\"}"), 200);
    create_case("Permanent C", c);
    snprintf(sql, sizeof sql, "case_id = '%s'", c);
    harness_event_ids(&h, sql, &want);
    assert_int_equal(want.n, 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FILTER (WHERE published_at IS NOT NULL) FROM case_events "
             "WHERE case_id = '%s'",
             c);
    assert_true(harness_wait_sql(&h, sql, "1", WAIT_S));
    read_and_check(&want, &log);

    snprintf(sql, sizeof sql,
             "SELECT string_agg(sequence || ':' || (published_at IS NULL) || ':' || "
             "(publish_failed_at IS NOT NULL), ',' ORDER BY sequence) FROM case_events "
             "WHERE case_id = '%s'",
             b);
    char *rows = harness_sql(&h, sql);
    assert_string_equal(rows, "1:true:true,2:true:false");
    free(rows);
    /* neither of B's events reached the topic */
    cases.v = (char *[]){b};
    cases.n = 1;
    assert_nothing_else(&log, &cases, &want);

    assert_true(wait_metric("capa_events_failed", 1, -1, WAIT_S));
    assert_true(metric_now("capa_relay_failures_total{reason=\"permanent\"}") >=
                failures_before + 1);
    /* a relay round later B is still where it was */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM case_events WHERE case_id = '%s' AND published_at IS NULL", b);
    assert_int_equal(harness_sql_long(&h, sql), 2);

    kc_log_cleanup(&log);
    harness_ids_cleanup(&want);
}

/* ---- the W3C trace context of the writing request ---- */

#define TP_CREATE "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
/* a later version: only its first 55 characters are kept */
#define TP_COMMENT "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
#define TP_MOVE "00-0af7651916cd43dd8448eb211c80319c-b9c7c989f97918e1-00"
#define TRACESTATE "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"

/* got is want, or absent (NULL) when want is "". */
static void
assert_carried(const char *what, long sequence, const char *got, const char *want)
{
    if (want[0] == '\0' ? got != NULL : got == NULL || strcmp(got, want) != 0)
        fail_msg("event %ld: %s is %s, expected %s", sequence, what, got ? got : "absent",
                 want[0] ? want : "absent");
}

static void
test_relay_carries_trace_context(void **state)
{
    (void)state;
    /* by sequence - 1: what each of the case's five events must carry */
    static const char *const tp[] = {TP_CREATE, TP_COMMENT, "", "", TP_MOVE};
    static const char *const ts[] = {TRACESTATE, "", "", "", TRACESTATE};
    const char *traced[] = {"traceparent: " TP_CREATE, "tracestate: " TRACESTATE, NULL};
    const char *later[] = {"traceparent: " TP_COMMENT "-what-comes-later", NULL};
    const char *invalid[] = {"traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
                             "tracestate: " TRACESTATE, NULL};
    const char *moved[] = {"traceparent: " TP_MOVE, "tracestate: " TRACESTATE, NULL};
    struct http_resp r;
    char id[37], path[128], sql[512], expected[1024];
    struct harness_ids want;
    struct kc_log log;

    char *body = harness_case_body("Traced from the help desk", "minor");
    assert_int_equal(http_json_with(&h, "POST", "/v1/cases", NULL, body, traced, &r), 201);
    snprintf(id, sizeof id, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    free(body);
    snprintf(path, sizeof path, "/v1/cases/%s/comments", id);
    assert_int_equal(
        http_json_with(&h, "POST", path, NULL, "{\"body\":\"seen in the trace\"}", later, &r), 201);
    http_resp_cleanup(&r);
    /* an invalid traceparent is as if absent, and takes its tracestate with it */
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    assert_int_equal(
        http_json_with(&h, "PATCH", path, "\"2\"", "{\"owner\":\"ciso\"}", invalid, &r), 200);
    http_resp_cleanup(&r);
    assert_int_equal(try_patch(id, "\"3\"", "{\"owner\":\"isms-lead\"}"), 200);
    snprintf(path, sizeof path, "/v1/cases/%s/transitions", id);
    assert_int_equal(http_json_with(&h, "POST", path, "\"4\"",
                                    "{\"to\":\"rejected\",\"comment\":\"a duplicate\"}", moved, &r),
                     200);
    http_resp_cleanup(&r);

    /* the rows */
    size_t o = 0;
    for (int i = 0; i < 5; i++)
        o += (size_t)snprintf(expected + o, sizeof expected - o, "%s%d:%s:%s", i ? "," : "", i + 1,
                              tp[i][0] ? tp[i] : "-", ts[i][0] ? ts[i] : "-");
    snprintf(sql, sizeof sql,
             "SELECT string_agg(sequence || ':' || coalesce(traceparent, '-') || ':' || "
             "coalesce(tracestate, '-'), ',' ORDER BY sequence) FROM case_events "
             "WHERE case_id = '%s'",
             id);
    char *rows = harness_sql(&h, sql);
    assert_string_equal(rows, expected);
    free(rows);
    /* outside the hash chain, which verifies as ever; but as fixed as the rest of the row */
    snprintf(path, sizeof path, "/v1/cases/%s/history/verify", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_true(json_is_true(json_object_get(r.j, "valid")));
    assert_int_equal(json_integer_value(json_object_get(r.j, "events")), 5);
    http_resp_cleanup(&r);
    snprintf(sql, sizeof sql, "UPDATE case_events SET traceparent = NULL WHERE case_id = '%s'", id);
    rows = harness_sql(&h, sql);
    assert_string_equal(rows, "ERROR");
    free(rows);

    /* Kafka: ce_traceparent and ce_tracestate beside the core headers */
    snprintf(sql, sizeof sql, "case_id = '%s'", id);
    harness_event_ids(&h, sql, &want);
    assert_int_equal(want.n, 5);
    read_and_check(&want, &log);
    int seen = 0;
    for (size_t k = 0; k < log.n; k++) {
        const struct kc_msg *m = &log.msgs[k];
        if (m->key == NULL || strcmp(m->key, id) != 0)
            continue;
        long seq = strtol(kc_header(m, "ce_sequence"), NULL, 10);
        assert_true(seq >= 1 && seq <= 5);
        assert_carried("ce_traceparent", seq, kc_header(m, "ce_traceparent"), tp[seq - 1]);
        assert_carried("ce_tracestate", seq, kc_header(m, "ce_tracestate"), ts[seq - 1]);
        assert_int_equal(m->n_headers,
                         EVT_N_CORE + (tp[seq - 1][0] != '\0') + (ts[seq - 1][0] != '\0'));
        seen++;
    }
    assert_true(seen >= 5);

    /* the feed: the Distributed Tracing extension's attributes, only when there is a trace */
    size_t i;
    json_t *j_item, *j_items = feed_items(id, 5);
    json_array_foreach(j_items, i, j_item)
    {
        long seq = strtol(tl_str(j_item, "sequence"), NULL, 10);
        assert_int_equal(seq, (long)i + 1);
        assert_carried("traceparent", seq, tl_str(j_item, "traceparent"), tp[i]);
        assert_carried("tracestate", seq, tl_str(j_item, "tracestate"), ts[i]);
    }
    json_decref(j_items);

    write_samples(&log, &want, id);
    kc_log_cleanup(&log);
    harness_ids_cleanup(&want);
}

static int
setup(void **state)
{
    (void)state;
    setenv("CAPA_KAFKA_BROKERS", "mock", 1);
    setenv("CAPA_KAFKA_MESSAGE_TIMEOUT_MS", "5000", 1);
    setenv("CAPA_RELAY_POLL_MS", "200", 1);
    setenv("CAPA_DB_POOL_SIZE", "8", 1);
    return harness_start(&h, "relay");
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
        cmocka_unit_test(test_relay_publishes_lifecycle_with_headers_and_order),
        cmocka_unit_test(test_relay_carries_trace_context),
        cmocka_unit_test(test_relay_survives_all_brokers_down),
        cmocka_unit_test(test_relay_retriable_produce_errors_are_retried),
        cmocka_unit_test(test_relay_permanent_error_blocks_only_its_case),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
