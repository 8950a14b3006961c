/*
 * test_store.c - the store against a real PostgreSQL: migrations (applied
 * once however many instances race, idempotent, status of pending and
 * unknown ones), and the connection pool (exhaustion answered 503 with
 * Retry-After, lost connections re-established).
 *
 * The server runs with a pool of 2 connections and a 200 ms acquire timeout,
 * so that the test can exhaust it. Migration tests use a second database of
 * their own, created and dropped by their per-test setup and teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <pthread.h>

#include <cmocka.h>

#include "chain.h"
#include "db.h"
#include "embedded.h"
#include "err.h"
#include "harness.h"
#include "sha256.h"
#include "testlib.h"

#define POOL_SIZE 2
#define ACQUIRE_TIMEOUT_MS 200

static struct harness h;

/* The second database of the migration tests. */
static char db2_name[64];
static char db2_url[600];

static void
quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Run SQL on a conninfo; the first value, "" when none, "ERROR" on failure. Caller frees. */
static char *
sql_at(const char *conninfo, const char *sql)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return strdup("ERROR");
    }
    PQsetNoticeProcessor(pg, quiet, NULL);
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_FATAL_ERROR)
        fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
    char *value = strdup(st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0
                             ? PQgetvalue(res, 0, 0)
                             : (st == PGRES_FATAL_ERROR ? "ERROR" : ""));
    PQclear(res);
    PQfinish(pg);
    return value;
}

static void
expect_at(const char *conninfo, const char *sql, const char *expected)
{
    char *v = sql_at(conninfo, sql);
    if (strcmp(v, expected) != 0)
        fprintf(stderr, "query: %s\nexpected \"%s\", got \"%s\"\n", sql, expected, v);
    assert_string_equal(v, expected);
    free(v);
}

static int
known_migrations(void)
{
    int n = 0;
    while (capa_migrations[n].name != NULL)
        n++;
    return n;
}

/* "1=0001_cases.sql=<sha256>,2=..." as schema_migrations should hold it. Caller frees. */
static char *
expected_migration_rows(void)
{
    size_t size = 1;
    for (int i = 0; capa_migrations[i].name; i++)
        size += strlen(capa_migrations[i].name) + CHAIN_HEX_LEN + 16;
    char *out = calloc(1, size);
    size_t off = 0;
    for (int i = 0; capa_migrations[i].name; i++) {
        char sum[CHAIN_HEX_LEN];
        assert_int_equal(sha256_hex(capa_migrations[i].data, capa_migrations[i].size, sum), 0);
        off += (size_t)snprintf(out + off, size - off, "%s%d=%s=%s", i ? "," : "",
                                atoi(capa_migrations[i].name), capa_migrations[i].name, sum);
    }
    return out;
}

static const char migration_rows_sql[] =
    "SELECT string_agg(version || '=' || name || '=' || checksum, ',' ORDER BY version) "
    "FROM schema_migrations";

static void
assert_status(const struct store_migrations_status *st, int known, int applied, int pending,
              int unknown)
{
    assert_int_equal(st->known, known);
    assert_int_equal(st->applied, applied);
    assert_int_equal(st->pending, pending);
    assert_int_equal(st->unknown, unknown);
}

/* ---- migrations ---- */

struct migrate_job {
    pthread_barrier_t *start;
    int rc;
};

static void *
migrate_worker(void *arg)
{
    struct migrate_job *job = arg;
    pthread_barrier_wait(job->start);
    job->rc = store_migrate(db2_url, 5);
    return NULL;
}

#define MIGRATORS 4

static void
test_migrate_is_idempotent_and_concurrent(void **state)
{
    (void)state;
    struct migrate_job jobs[MIGRATORS];
    pthread_t tid[MIGRATORS];
    pthread_barrier_t start;
    struct store_migrations_status st;
    int known = known_migrations();

    assert_true(known >= 2);
    /* four instances starting at once on an empty database */
    pthread_barrier_init(&start, NULL, MIGRATORS);
    for (int t = 0; t < MIGRATORS; t++) {
        jobs[t].start = &start;
        jobs[t].rc = -1;
        assert_int_equal(pthread_create(&tid[t], NULL, migrate_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < MIGRATORS; t++)
        pthread_join(tid[t], NULL);
    pthread_barrier_destroy(&start);
    for (int t = 0; t < MIGRATORS; t++)
        assert_int_equal(jobs[t].rc, ERR_OK);

    /* each file applied exactly once, recorded with its name and checksum */
    char count[16];
    snprintf(count, sizeof count, "%d", known);
    expect_at(db2_url, "SELECT count(*) FROM schema_migrations", count);
    char *rows = expected_migration_rows();
    expect_at(db2_url, migration_rows_sql, rows);
    /* the data migration did not run twice */
    expect_at(db2_url, "SELECT count(*) = count(DISTINCT (kind, version)) FROM workflows", "t");
    expect_at(db2_url, "SELECT count(*) > 0 FROM workflows", "t");

    /* once more: nothing to do, nothing changes */
    const char *snapshot_sql =
        "SELECT (SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) "
        "        FROM schema_migrations) || '|' || "
        "       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "        WHERE n.nspname = 'public') || '|' || "
        "       (SELECT string_agg(id || ':' || kind || ':' || version, ',' ORDER BY id) "
        "        FROM workflows)";
    char *before = sql_at(db2_url, snapshot_sql);
    assert_string_not_equal(before, "ERROR");
    assert_int_equal(store_migrate(db2_url, 5), ERR_OK);
    expect_at(db2_url, snapshot_sql, before);
    expect_at(db2_url, migration_rows_sql, rows);

    assert_int_equal(store_migrations_status_url(db2_url, 5, &st), ERR_OK);
    assert_status(&st, known, known, 0, 0);
    free(before);
    free(rows);
}

static void
test_migrations_status_reports_pending_and_unknown(void **state)
{
    (void)state;
    struct store_migrations_status st;
    int known = known_migrations();

    /* an empty database: everything pending, no schema_migrations needed to say so */
    assert_int_equal(store_migrations_status_url(db2_url, 5, &st), ERR_OK);
    assert_status(&st, known, 0, known, 0);
    expect_at(db2_url, "SELECT to_regclass('schema_migrations') IS NULL", "t");

    assert_int_equal(store_migrate(db2_url, 5), ERR_OK);
    assert_int_equal(store_migrations_status_url(db2_url, 5, &st), ERR_OK);
    assert_status(&st, known, known, 0, 0);

    /* a newer build migrated this database: a version this binary does not know */
    expect_at(db2_url,
              "INSERT INTO schema_migrations (version, name, checksum) "
              "VALUES (9999, '9999_from_the_future.sql', 'feed') RETURNING 'ok'",
              "ok");
    assert_int_equal(store_migrations_status_url(db2_url, 5, &st), ERR_OK);
    assert_status(&st, known, known, 0, 0);
    assert_int_equal(st.newer, 1);
    /* serving goes on (an older build during a rolling upgrade), migrating does not */
    assert_int_equal(store_migrate(db2_url, 5), ERR_CONFLICT);
    /* refused: still exactly what was there */
    char count[16];
    snprintf(count, sizeof count, "%d", known + 1);
    expect_at(db2_url, "SELECT count(*) FROM schema_migrations", count);

    /* a known version whose file differs from what was applied is refused too */
    expect_at(db2_url, "DELETE FROM schema_migrations WHERE version = 9999 RETURNING 'ok'", "ok");
    assert_int_equal(store_migrate(db2_url, 5), ERR_OK);
    expect_at(db2_url,
              "UPDATE schema_migrations SET checksum = 'tampered' "
              "WHERE version = (SELECT min(version) FROM schema_migrations) RETURNING 'ok'",
              "ok");
    assert_int_equal(store_migrations_status_url(db2_url, 5, &st), ERR_OK);
    assert_int_equal(st.known, known);
    assert_int_equal(st.applied, known - 1);
    assert_int_equal(st.unknown, 1);
    assert_int_equal(st.newer, 0);
    assert_int_equal(store_migrate(db2_url, 5), ERR_CONFLICT);
}

/* /readyz of a build whose database a newer build has migrated: ready, "newer" */
static void
test_readyz_ready_when_a_newer_build_migrated(void **state)
{
    (void)state;
    struct http_resp r;
    free(harness_sql(&h, "INSERT INTO schema_migrations (version, name, checksum) "
                         "VALUES (9998, '9998_next_release.sql', 'feed')"));
    assert_int_equal(http_do(&h, "GET", "/readyz", NULL, NULL, 0, &r), 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.j, "checks"), "migrations")), "newer");
    http_resp_cleanup(&r);
    /* one of this build's own, changed: not ready */
    char *sum = harness_sql(&h, "SELECT checksum FROM schema_migrations WHERE version = 1");
    free(harness_sql(&h, "UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1"));
    assert_int_equal(http_do(&h, "GET", "/readyz", NULL, NULL, 0, &r), 503);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.j, "checks"), "migrations")),
        "unknown");
    http_resp_cleanup(&r);
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE schema_migrations SET checksum = '%.64s' WHERE version = 1",
             sum);
    free(harness_sql(&h, sql));
    free(sum);
    free(harness_sql(&h, "DELETE FROM schema_migrations WHERE version = 9998"));
    assert_int_equal(http_do(&h, "GET", "/readyz", NULL, NULL, 0, &r), 200);
    http_resp_cleanup(&r);
}

static int
setup_db2(void **state)
{
    (void)state;
    char sql[160];
    /* the maintenance conninfo ends with its dbname: swap in our own */
    const char *dbname = strstr(h.admin_url, "dbname=");
    assert_non_null(dbname);
    snprintf(db2_name, sizeof db2_name, "capa_t_store_mig_%d", (int)getpid());
    snprintf(db2_url, sizeof db2_url, "%.*sdbname=%s", (int)(dbname - h.admin_url), h.admin_url,
             db2_name);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", db2_name);
    free(sql_at(h.admin_url, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db2_name);
    char *v = sql_at(h.admin_url, sql);
    int rc = strcmp(v, "ERROR") == 0 ? -1 : 0;
    free(v);
    return rc;
}

static int
teardown_db2(void **state)
{
    (void)state;
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db2_name);
    char *v = sql_at(h.admin_url, sql);
    int rc = strcmp(v, "ERROR") == 0 ? -1 : 0;
    free(v);
    return rc;
}

/* ---- the pool ---- */

/* Retry-After as delay-seconds: a positive integer. */
static void
assert_retry_after(const struct http_resp *r)
{
    char *end;
    long secs = strtol(r->retry_after, &end, 10);
    if (r->retry_after[0] == '\0' || *end != '\0' || secs < 1)
        fail_msg("Retry-After is \"%s\", expected a positive number of seconds", r->retry_after);
}

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void
test_pool_exhausted_answers_503_with_retry_after(void **state)
{
    (void)state;
    struct store_conn *c1 = NULL, *c2 = NULL;
    struct store_pool_stats before, during, after;
    struct http_resp r;

    store_pool_stats(h.app.pool, &before);
    assert_int_equal(before.size, POOL_SIZE);
    assert_int_equal(before.in_use, 0);

    /* the test holds every connection */
    assert_int_equal(store_pool_acquire(h.app.pool, &c1), ERR_OK);
    assert_int_equal(store_pool_acquire(h.app.pool, &c2), ERR_OK);
    assert_non_null(c1);
    assert_non_null(c2);

    /* a read waits the acquire timeout, then answers 503: no hang, no 500 */
    double t0 = now_ms();
    long status = http_json(&h, "GET", "/v1/cases", NULL, NULL, &r);
    double waited = now_ms() - t0;
    assert_int_equal(status, 503);
    tl_assert_problem(&r, 503, "service-unavailable");
    assert_retry_after(&r);
    http_resp_cleanup(&r);
    assert_true(waited >= ACQUIRE_TIMEOUT_MS * 0.9);
    assert_true(waited < 10000);

    /* a write too, and it writes nothing */
    char *body = harness_case_body("Created while the pool was exhausted", "minor");
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 503);
    tl_assert_problem(&r, 503, "service-unavailable");
    assert_retry_after(&r);
    http_resp_cleanup(&r);

    store_pool_stats(h.app.pool, &during);
    assert_int_equal(during.in_use, POOL_SIZE);
    assert_int_equal(during.timeouts, before.timeouts + 2);
    assert_true(during.waits >= before.waits + 2);

    store_pool_release(h.app.pool, c1);
    store_pool_release(h.app.pool, c2);

    /* the same requests succeed once connections are free */
    assert_int_equal(http_json(&h, "GET", "/v1/cases", NULL, NULL, &r), 200);
    assert_non_null(json_object_get(r.j, "items"));
    http_resp_cleanup(&r);
    char *count = harness_sql(&h, "SELECT count(*) FROM cases "
                                  "WHERE title = 'Created while the pool was exhausted'");
    assert_string_equal(count, "0");
    free(count);
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
    http_resp_cleanup(&r);
    free(body);

    store_pool_stats(h.app.pool, &after);
    assert_int_equal(after.in_use, 0);
    assert_int_equal(after.timeouts, during.timeouts);
}

/* How many connections of the pool the database serves now, as text. Caller frees. */
static char *
live_pool_backends(void)
{
    return harness_sql(&h, "SELECT count(*) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND application_name = 'capa-test'");
}

static void
assert_live_pool_backends(const char *expected)
{
    char *n = live_pool_backends();
    assert_string_equal(n, expected);
    free(n);
}

/*
 * Kill every backend of the test database but the one running this
 * statement, and wait until the pool's are gone. Returns how many of the
 * pool's connections were killed.
 */
static long
kill_backends(void)
{
    char *v = harness_sql(&h, "SELECT count(*) FILTER (WHERE application_name = 'capa-test' "
                              "                        AND killed) "
                              "FROM (SELECT application_name, pg_terminate_backend(pid) AS killed "
                              "      FROM pg_stat_activity "
                              "      WHERE datname = current_database() "
                              "        AND pid <> pg_backend_pid()) s");
    long killed = strtol(v, NULL, 10);
    free(v);
    /* termination is asynchronous: the next request must meet a dead connection */
    for (int i = 0; i < 500; i++) {
        char *left = live_pool_backends();
        bool gone = strcmp(left, "0") == 0;
        free(left);
        if (gone)
            return killed;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fail_msg("the pool's backends did not terminate");
    return killed;
}

/*
 * Make every pool slot hold a live connection: borrow all, ping each (a
 * connection found dead is marked lost and re-opened on its next borrow),
 * give all back; again until every ping succeeds.
 */
static void
open_all_pool_connections(void)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        struct store_conn *c[POOL_SIZE];
        bool all_alive = true;
        for (int i = 0; i < POOL_SIZE; i++)
            assert_int_equal(store_pool_acquire(h.app.pool, &c[i]), ERR_OK);
        for (int i = 0; i < POOL_SIZE; i++)
            if (store_ping(c[i]) != ERR_OK)
                all_alive = false;
        for (int i = 0; i < POOL_SIZE; i++)
            store_pool_release(h.app.pool, c[i]);
        if (all_alive)
            return;
    }
    fail_msg("the pool's connections could not all be opened");
}

static void
test_pool_reconnects_after_connection_loss(void **state)
{
    (void)state;
    struct http_resp r;
    struct store_pool_stats stats;
    char path[256];

    assert_int_equal(http_json(&h, "GET", "/v1/cases", NULL, NULL, &r), 200);
    http_resp_cleanup(&r);
    open_all_pool_connections();

    /* a write first: BEGIN meets the dead connection and is retried on a fresh one */
    assert_int_equal(kill_backends(), POOL_SIZE);
    char *body = harness_case_body("Written after connection loss", "minor");
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
    snprintf(path, sizeof path, "/v1/cases/%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    /* it was served on a re-opened connection: the old ones are all gone */
    assert_live_pool_backends("1");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
        assert_string_equal(tl_str(r.j, "title"), "Written after connection loss");
        http_resp_cleanup(&r);
        assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
        http_resp_cleanup(&r);
    }
    char *count = harness_sql(&h, "SELECT count(*) FROM cases "
                                  "WHERE title = 'Written after connection loss'");
    assert_string_equal(count, "4");
    free(count);

    /* a list first: the read is retried once on a fresh connection */
    open_all_pool_connections();
    assert_int_equal(kill_backends(), POOL_SIZE);
    assert_int_equal(http_json(&h, "GET", "/v1/cases?limit=100", NULL, NULL, &r), 200);
    assert_true(json_array_size(json_object_get(r.j, "items")) >= 4);
    http_resp_cleanup(&r);
    assert_live_pool_backends("1");
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    http_resp_cleanup(&r);

    /* a read of one case first */
    open_all_pool_connections();
    assert_int_equal(kill_backends(), POOL_SIZE);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_int_equal(tl_int(r.j, "version"), 1);
    http_resp_cleanup(&r);
    assert_live_pool_backends("1");

    /* a conditional write first */
    open_all_pool_connections();
    assert_int_equal(kill_backends(), POOL_SIZE);
    assert_int_equal(http_json(&h, "PATCH", path, "\"1\"", "{\"owner\":\"after-loss\"}", &r), 200);
    assert_int_equal(tl_int(r.j, "version"), 2);
    http_resp_cleanup(&r);
    assert_live_pool_backends("1");
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "owner"), "after-loss");
    http_resp_cleanup(&r);

    /* both slots dead, both busy at once: each request recovers on its own slot */
    open_all_pool_connections();
    assert_int_equal(kill_backends(), POOL_SIZE);
    struct store_conn *held = NULL;
    assert_int_equal(store_pool_acquire(h.app.pool, &held), ERR_OK);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    http_resp_cleanup(&r);
    assert_live_pool_backends("1");
    store_pool_release(h.app.pool, held);
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
    http_resp_cleanup(&r);
    assert_live_pool_backends("2");

    free(body);
    store_pool_stats(h.app.pool, &stats);
    assert_int_equal(stats.in_use, 0);
}

/* How many statements the session of c holds prepared, as text. Caller frees. */
static char *
session_prepared(struct store_conn *c)
{
    PGresult *res = NULL;
    assert_int_equal(db_exec(c, "SELECT count(*) FROM pg_prepared_statements", 0, NULL, &res),
                     ERR_OK);
    char *n = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

static void
assert_session_prepared(struct store_conn *c, const char *expected)
{
    char *n = session_prepared(c);
    assert_string_equal(n, expected);
    free(n);
}

/*
 * db_exec_prepared prepares a statement once per connection, runs it
 * prepared after that, prepares it again on a connection that replaced a
 * lost one, and prepares nothing when CAPA_DB_PREPARED_STATEMENTS is false.
 */
static void
test_statements_prepared_once_per_connection(void **state)
{
    (void)state;
    static const char *const sql = "SELECT $1::integer + 1";
    const char *params[] = {"41"};
    struct store_conn *c[POOL_SIZE];
    PGresult *res = NULL;

    for (int i = 0; i < POOL_SIZE; i++)
        assert_int_equal(store_pool_acquire(h.app.pool, &c[i]), ERR_OK);
    struct store_conn *a = c[0];
    for (int i = 1; i < POOL_SIZE; i++)
        store_pool_release(h.app.pool, c[i]);
    int before = a->n_prepared;
    char *listed = session_prepared(a);
    assert_int_equal(atoi(listed), before);
    free(listed);
    for (int run = 0; run < 3; run++) {
        assert_int_equal(db_exec_prepared(a, sql, 1, params, &res), ERR_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "42");
        PQclear(res);
        assert_int_equal(a->n_prepared, before + 1);
    }
    char expected[16];
    snprintf(expected, sizeof expected, "%d", before + 1);
    assert_session_prepared(a, expected);
    store_pool_release(h.app.pool, a);

    /* the connection is lost: its replacement prepares again */
    open_all_pool_connections();
    assert_int_equal(kill_backends(), POOL_SIZE);
    for (int i = 0; i < POOL_SIZE; i++)
        assert_int_equal(store_pool_acquire(h.app.pool, &c[i]), ERR_OK);
    for (int i = 0; i < POOL_SIZE; i++) {
        if (store_ping(c[i]) != ERR_OK) { /* found lost: re-opened on the next borrow */
            store_pool_release(h.app.pool, c[i]);
            assert_int_equal(store_pool_acquire(h.app.pool, &c[i]), ERR_OK);
        }
        assert_int_equal(c[i]->n_prepared, 0);
        assert_int_equal(db_exec_prepared(c[i], sql, 1, params, &res), ERR_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "42");
        PQclear(res);
        assert_session_prepared(c[i], "1");
        /* switched off: the same call runs unprepared */
        c[i]->prepare = false;
        params[0] = "1";
        assert_int_equal(db_exec_prepared(c[i], "SELECT $1::integer * 2", 1, params, &res), ERR_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "2");
        PQclear(res);
        params[0] = "41";
        assert_session_prepared(c[i], "1");
        c[i]->prepare = true;
    }
    for (int i = 0; i < POOL_SIZE; i++)
        store_pool_release(h.app.pool, c[i]);
}

/* synchronous_commit on c's session and where it comes from: "off session" etc. Caller frees. */
static char *
sync_commit(struct store_conn *c)
{
    PGresult *res = NULL;
    assert_int_equal(db_exec(c,
                             "SELECT setting || ' ' || source FROM pg_settings "
                             "WHERE name = 'synchronous_commit'",
                             0, NULL, &res),
                     ERR_OK);
    char *v = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return v;
}

/*
 * The relay's session commits without waiting for the WAL flush: it set that
 * itself. The pool's sessions keep the cluster's setting, whatever it is
 * (test clusters may run with it off).
 */
static void
test_relay_session_commits_asynchronously(void **state)
{
    (void)state;
    struct store_conn *s = NULL, *c = NULL;

    assert_int_equal(store_session_open(h.app.cfg.database_url, 5, &s), ERR_OK);
    char *v = sync_commit(s);
    assert_string_equal(v, "off session");
    free(v);
    store_session_close(s);
    assert_int_equal(store_pool_acquire(h.app.pool, &c), ERR_OK);
    v = sync_commit(c);
    assert_null(strstr(v, " session"));
    free(v);
    store_pool_release(h.app.pool, c);
}

static int
setup(void **state)
{
    (void)state;
    char value[16];
    snprintf(value, sizeof value, "%d", POOL_SIZE);
    setenv("CAPA_DB_POOL_SIZE", value, 1);
    snprintf(value, sizeof value, "%d", ACQUIRE_TIMEOUT_MS);
    setenv("CAPA_DB_ACQUIRE_TIMEOUT_MS", value, 1);
    return harness_start(&h, "store");
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
        cmocka_unit_test_setup_teardown(test_migrate_is_idempotent_and_concurrent, setup_db2,
                                        teardown_db2),
        cmocka_unit_test_setup_teardown(test_migrations_status_reports_pending_and_unknown,
                                        setup_db2, teardown_db2),
        cmocka_unit_test(test_readyz_ready_when_a_newer_build_migrated),
        cmocka_unit_test(test_pool_exhausted_answers_503_with_retry_after),
        cmocka_unit_test(test_pool_reconnects_after_connection_loss),
        cmocka_unit_test(test_statements_prepared_once_per_connection),
        cmocka_unit_test(test_relay_session_commits_asynchronously),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
