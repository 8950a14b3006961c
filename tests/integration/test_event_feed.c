/*
 * test_event_feed.c - the HTTP event feed (GET /v1/events) over real HTTP
 * against a real database, without Kafka (CAPA_KAFKA_BROKERS unset).
 *
 * The property that matters: a consumer that pages with `after` sees every
 * case-log row exactly once, including rows whose transaction commits after
 * rows with higher positions (or higher transaction ids) were already
 * committed. Side transactions are opened on separate libpq connections to
 * produce exactly those interleavings.
 *
 * Worker threads never call cmocka assertions (they longjmp): they record
 * what they saw, and the main thread asserts after joining them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <pthread.h>

#include <cmocka.h>

#include "harness.h"
#include "testlib.h"

#define SCHEMA_BASE "https://capa.example.org/schemas/events/"
#define ANON_ACTOR "{\"kind\":\"anonymous\",\"subject\":\"anonymous\",\"name\":null}"
/* how long a drain waits for rows it knows are committed (other sessions of
 * the cluster may hold the snapshot's xmin back for a while) */
#define DRAIN_DEADLINE_S 60

static struct harness h;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* --- feed items ------------------------------------------------------------------------- */

struct item {
    char event_id[40];
    char case_id[40];
    char type[64];
    char feedposition[48];
    int sequence;
    unsigned long long txid, pos;
};

struct items {
    struct item *v;
    size_t n, cap;
};

static void
items_free(struct items *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static bool
items_push(struct items *s, const struct item *it)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct item *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL)
            return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = *it;
    return true;
}

/* How many times an event id occurs among the items. */
static int
items_count_id(const struct items *s, const char *event_id)
{
    int n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += strcmp(s->v[i].event_id, event_id) == 0;
    return n;
}

/* Index of an event id among the items, or -1. */
static long
items_index(const struct items *s, const char *event_id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].event_id, event_id) == 0)
            return (long)i;
    return -1;
}

/* "<txid>.<position>" as two integers. */
static bool
parse_feedposition(const char *s, unsigned long long *txid, unsigned long long *pos)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    *txid = strtoull(s, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        return false;
    *pos = strtoull(end + 1, &end, 10);
    return *end == '\0';
}

static bool
is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL)
            return false;
    }
    return true;
}

/*
 * Whether a feed item is a CloudEvent of a case-log row as the contract says;
 * fills *out. On false, err says why. No cmocka: threads use it too.
 */
static bool
check_item(const json_t *e, struct item *out, char *err, size_t err_size)
{
    static const char *const members[] = {
        "specversion",     "id",         "source",       "type",     "subject",      "time",
        "datacontenttype", "dataschema", "partitionkey", "sequence", "feedposition",
    };
    char want[256];
    memset(out, 0, sizeof *out);
#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(err, err_size, __VA_ARGS__);                                                      \
        return false;                                                                              \
    } while (0)
    if (!json_is_object(e))
        BAD("an item is not an object");
    for (size_t i = 0; i < sizeof members / sizeof *members; i++)
        if (!json_is_string(json_object_get(e, members[i])))
            BAD("member %s is missing or not a string", members[i]);
    if (json_object_size(e) != sizeof members / sizeof *members + 1)
        BAD("%zu members, want %zu", json_object_size(e), sizeof members / sizeof *members + 1);
    const char *id = tl_str(e, "id"), *type = tl_str(e, "type"),
               *case_id = tl_str(e, "partitionkey");
    if (strcmp(tl_str(e, "specversion"), "1.0") != 0)
        BAD("specversion %s", tl_str(e, "specversion"));
    if (!is_uuid(id))
        BAD("id %s", id);
    if (strcmp(tl_str(e, "source"), "urn:capa") != 0)
        BAD("source %s", tl_str(e, "source"));
    if (strcmp(type, "capa.case.created") != 0 && strcmp(type, "capa.case.updated") != 0 &&
        strcmp(type, "capa.case.transitioned") != 0)
        BAD("type %s", type);
    if (!is_uuid(case_id))
        BAD("partitionkey %s", case_id);
    snprintf(want, sizeof want, "cases/%s", case_id);
    if (strcmp(tl_str(e, "subject"), want) != 0)
        BAD("subject %s, want %s", tl_str(e, "subject"), want);
    const char *t = tl_str(e, "time");
    if (strlen(t) != 27 || t[10] != 'T' || t[26] != 'Z')
        BAD("time %s", t);
    if (strcmp(tl_str(e, "datacontenttype"), "application/json") != 0)
        BAD("datacontenttype %s", tl_str(e, "datacontenttype"));
    snprintf(want, sizeof want, SCHEMA_BASE "%s.json", type + strlen("capa."));
    if (strcmp(tl_str(e, "dataschema"), want) != 0)
        BAD("dataschema %s, want %s", tl_str(e, "dataschema"), want);
    const char *seq = tl_str(e, "sequence");
    char *end;
    long sequence = strtol(seq, &end, 10);
    if (*seq == '\0' || *end != '\0' || sequence < 1)
        BAD("sequence \"%s\"", seq);
    if (!parse_feedposition(tl_str(e, "feedposition"), &out->txid, &out->pos))
        BAD("feedposition %s", tl_str(e, "feedposition"));
    json_t *j_data = json_object_get(e, "data");
    if (!json_is_object(j_data))
        BAD("data is not an object");
    json_t *j_case = json_object_get(j_data, "case");
    if (!json_is_object(j_case))
        BAD("data.case is not an object");
    if (json_integer_value(json_object_get(j_case, "version")) != sequence)
        BAD("data.case.version %lld, sequence %ld",
            (long long)json_integer_value(json_object_get(j_case, "version")), sequence);
    if (tl_str(j_case, "id") == NULL || strcmp(tl_str(j_case, "id"), case_id) != 0)
        BAD("data.case.id %s, partitionkey %s", tl_str(j_case, "id"), case_id);
    json_t *j_actor = json_object_get(j_data, "actor");
    if (!json_is_object(j_actor) || tl_str(j_actor, "kind") == NULL)
        BAD("data.actor missing");
#undef BAD
    snprintf(out->event_id, sizeof out->event_id, "%s", id);
    snprintf(out->case_id, sizeof out->case_id, "%s", case_id);
    snprintf(out->type, sizeof out->type, "%s", type);
    snprintf(out->feedposition, sizeof out->feedposition, "%s", tl_str(e, "feedposition"));
    out->sequence = (int)sequence;
    return true;
}

static void
feed_path(char *path, size_t size, int limit, const char *after, const char *filter)
{
    snprintf(path, size, "/v1/events?limit=%d%s%s%s%s", limit, after ? "&after=" : "",
             after ? after : "", filter ? "&" : "", filter ? filter : "");
}

/*
 * One page: items appended to acc, next_after copied (empty when null).
 * Returns the number of items, or -1 with err set. No cmocka.
 */
static long
fetch_page(const char *path, const char *after, struct items *acc, char next[64], char *err,
           size_t err_size)
{
    struct http_resp r;
    long n = -1;
    next[0] = '\0';
    if (http_json(&h, "GET", path, NULL, NULL, &r) != 200 || r.j == NULL) {
        snprintf(err, err_size, "GET %s: status %ld: %.200s", path, r.status, r.body);
        goto out;
    }
    json_t *j_items = json_object_get(r.j, "items"), *j_next = json_object_get(r.j, "next_after");
    if (!json_is_array(j_items) || json_object_size(r.j) != 2 ||
        !(json_is_string(j_next) || json_is_null(j_next))) {
        snprintf(err, err_size, "GET %s: not a feed page: %.200s", path, r.body);
        goto out;
    }
    size_t i;
    json_t *e;
    json_array_foreach(j_items, i, e)
    {
        struct item it;
        if (!check_item(e, &it, err, err_size) || !items_push(acc, &it))
            goto out;
    }
    if (json_is_string(j_next))
        snprintf(next, 64, "%s", json_string_value(j_next));
    /* where to go on from: the last item, else the position given */
    const char *want =
        json_array_size(j_items) > 0
            ? tl_str(json_array_get(j_items, json_array_size(j_items) - 1), "feedposition")
            : after;
    if (want == NULL ? !json_is_null(j_next) : strcmp(next, want) != 0) {
        snprintf(err, err_size, "GET %s: next_after %s, want %s", path, next, want ? want : "null");
        goto out;
    }
    n = (long)json_array_size(j_items);
out:
    http_resp_cleanup(&r);
    return n;
}

/* Feed order: strictly increasing (txid, position). */
static bool
feed_ordered(const struct items *s, char *err, size_t err_size)
{
    for (size_t i = 1; i < s->n; i++) {
        const struct item *a = &s->v[i - 1], *b = &s->v[i];
        if (!(a->txid < b->txid || (a->txid == b->txid && a->pos < b->pos))) {
            snprintf(err, err_size, "item %zu (%s) does not follow item %zu (%s)", i,
                     b->feedposition, i - 1, a->feedposition);
            return false;
        }
    }
    return true;
}

/*
 * Page from after (NULL: the start) with limit and filter until a page is
 * empty. Appends to acc, copies the last next_after to next (empty when
 * null). Returns the number of items read.
 */
static size_t
drain(const char *after, int limit, const char *filter, struct items *acc, char next[64])
{
    char path[512], err[512], cursor[64] = "";
    size_t total = 0;
    if (after != NULL)
        snprintf(cursor, sizeof cursor, "%s", after);
    for (;;) {
        feed_path(path, sizeof path, limit, cursor[0] ? cursor : NULL, filter);
        long n = fetch_page(path, cursor[0] ? cursor : NULL, acc, next, err, sizeof err);
        if (n < 0)
            fail_msg("%s", err);
        if (n > limit)
            fail_msg("GET %s: %ld items, over the limit", path, n);
        if (n == 0)
            return total;
        /* each page moves past the position it was given (the order check catches repeats) */
        if (!feed_ordered(acc, err, sizeof err))
            fail_msg("GET %s: %s", path, err);
        if (strcmp(next, cursor) == 0)
            fail_msg("GET %s: %ld items but next_after did not move", path, n);
        total += (size_t)n;
        snprintf(cursor, sizeof cursor, "%s", next);
    }
}

/*
 * drain, again and again, until every one of ids was read (rows known to be
 * committed may be held back while some other session of the cluster keeps
 * an old transaction open).
 */
static void
drain_until(const char *after, int limit, const char *filter, struct items *acc, char next[64],
            const char *const *ids, size_t n_ids)
{
    char cursor[64] = "";
    double deadline = now_s() + DRAIN_DEADLINE_S;
    if (after != NULL)
        snprintf(cursor, sizeof cursor, "%s", after);
    for (;;) {
        drain(cursor[0] ? cursor : NULL, limit, filter, acc, next);
        snprintf(cursor, sizeof cursor, "%s", next);
        size_t missing = 0;
        for (size_t i = 0; i < n_ids; i++)
            missing += items_index(acc, ids[i]) < 0;
        if (missing == 0)
            return;
        if (now_s() > deadline)
            fail_msg("%zu of %zu committed events never came through the feed", missing, n_ids);
        sleep_ms(50);
    }
}

/* --- SQL -------------------------------------------------------------------------------- */

static PGconn *
side_open(void)
{
    PGconn *pg = PQconnectdb(h.db_url);
    if (PQstatus(pg) != CONNECTION_OK)
        fail_msg("cannot connect: %s", PQerrorMessage(pg));
    return pg;
}

/* Run one statement; returns the first value (caller frees), or NULL with err set. */
static char *
pg_value(PGconn *pg, const char *sql, int n, const char *const *params, char *err, size_t err_size)
{
    PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    char *v = NULL;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        snprintf(err, err_size, "%s: %s", sql, PQresultErrorMessage(res));
    else
        v = strdup(st == PGRES_TUPLES_OK && PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return v;
}

/* pg_value that must succeed (main thread). */
static char *
must_value(PGconn *pg, const char *sql, int n, const char *const *params)
{
    char err[1024];
    char *v = pg_value(pg, sql, n, params, err, sizeof err);
    if (v == NULL)
        fail_msg("%s", err);
    return v;
}

static void
must_exec(PGconn *pg, const char *sql)
{
    free(must_value(pg, sql, 0, NULL));
}

static long
sql_long(const char *sql)
{
    char *v = harness_sql(&h, sql);
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0')
        fail_msg("query did not return an integer (got \"%s\"): %s", v, sql);
    free(v);
    return n;
}

/* Every value of the first column, in order (caller frees each and the array). */
static char **
sql_column(const char *sql, size_t *n)
{
    PGconn *pg = side_open();
    PGresult *res = PQexec(pg, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    *n = (size_t)PQntuples(res);
    char **v = calloc(*n + 1, sizeof *v);
    for (size_t i = 0; i < *n; i++)
        v[i] = strdup(PQgetvalue(res, (int)i, 0));
    PQclear(res);
    PQfinish(pg);
    return v;
}

static void
column_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A hand-made case and its "created" row, as the service would write them. */
struct late_row {
    char case_id[40];
    char event_id[40];
    char position[24];
    char txid[24];
};

/*
 * In the open transaction of pg: a copy of the template case under a new id
 * and key, and its case.created row. No cmocka: threads use it too.
 */
static bool
insert_case_and_row(PGconn *pg, const char *template_id, const char *label, struct late_row *out,
                    char *err, size_t err_size)
{
    char *id = pg_value(pg, "SELECT gen_random_uuid()::text", 0, NULL, err, err_size);
    if (id == NULL)
        return false;
    /* a key of the template's kind, numbered from the new id: unique within this database */
    const char *p0[] = {id, template_id};
    char *key = pg_value(pg,
                         "SELECT CASE WHEN kind = 'improvement' THEN 'OFI' ELSE 'NC' END "
                         " || '-2099-' || lpad(((('x' || substr(md5($1), 1, 7))::bit(28))::int)"
                         "::text, 9, '0') FROM cases WHERE id = $2::uuid",
                         2, p0, err, err_size);
    if (key == NULL) {
        free(id);
        return false;
    }
    const char *p1[] = {id, template_id, label, key};
    char *ok = pg_value(
        pg,
        "INSERT INTO cases (id, key, kind, workflow_id, status, title, description, source, "
        " severity, detected_at, reported_by, owner, tags, clause_refs, external_refs, version, "
        " created_at, updated_at, contain_due_at, close_due_at, contained_at, closed_at, "
        " next_due_at) "
        "SELECT $1::uuid, $4, kind, workflow_id, status, 'Late commit ' || $3, "
        " description, source, severity, detected_at, reported_by, owner, tags, clause_refs, "
        " external_refs, 1, now(), now(), contain_due_at, close_due_at, NULL, NULL, next_due_at "
        "FROM cases WHERE id = $2::uuid RETURNING 'ok'",
        4, p1, err, err_size);
    bool inserted = ok != NULL && strcmp(ok, "ok") == 0;
    free(ok);
    if (!inserted) {
        if (ok != NULL)
            snprintf(err, err_size, "template case %s not found", template_id);
        free(id);
        free(key);
        return false;
    }
    /* the snapshot is the template's, as capad would have written it for this case */
    const char *p2[] = {id, label, template_id, key};
    char *row = pg_value(
        pg,
        "INSERT INTO case_events (event_id, case_id, sequence, type, actor, occurred_at, data, "
        " prev_hash, hash) "
        "VALUES (gen_random_uuid(), $1::uuid, 1, 'capa.case.created', '" ANON_ACTOR "', now(), "
        " jsonb_build_object('case', (SELECT (data->'case')::jsonb FROM case_events "
        "   WHERE case_id = $3::uuid ORDER BY sequence LIMIT 1) "
        "  || jsonb_build_object('id', $1::uuid, 'key', $4::text, 'version', 1, "
        "   'title', 'Late commit ' || $2)), "
        " repeat('0', 64), repeat('0', 64)) "
        "RETURNING event_id::text || ' ' || position::text || ' ' || txid::text",
        4, p2, err, err_size);
    free(key);
    bool good =
        row != NULL && sscanf(row, "%39s %23s %23s", out->event_id, out->position, out->txid) == 3;
    if (row != NULL && !good)
        snprintf(err, err_size, "unexpected RETURNING: %s", row);
    if (good)
        snprintf(out->case_id, sizeof out->case_id, "%s", id);
    free(row);
    free(id);
    return good;
}

/* --- cases through the API ------------------------------------------------------------- */

/* Create a case; returns its id (caller frees). */
static char *
create_case(const char *title)
{
    struct http_resp r;
    char *body = harness_case_body(title, "minor");
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
    char *id = strdup(tl_str(r.j, "id"));
    free(body);
    http_resp_cleanup(&r);
    return id;
}

static void
patch_case(const char *id, int version, const char *body)
{
    struct http_resp r;
    char path[128], etag[32];
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    snprintf(etag, sizeof etag, "\"%d\"", version);
    assert_int_equal(http_json(&h, "PATCH", path, etag, body, &r), 200);
    http_resp_cleanup(&r);
}

static void
transition_case(const char *id, int version, const char *body)
{
    struct http_resp r;
    char path[128], etag[32];
    snprintf(path, sizeof path, "/v1/cases/%s/transitions", id);
    snprintf(etag, sizeof etag, "\"%d\"", version);
    assert_int_equal(http_json(&h, "POST", path, etag, body, &r), 200);
    http_resp_cleanup(&r);
}

/* The event ids of a case in sequence order (from the database). */
static char **
case_event_ids(const char *case_id, size_t *n)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT event_id::text FROM case_events WHERE case_id = '%s' ORDER BY sequence",
             case_id);
    return sql_column(sql, n);
}

/* The end of the feed now: drain from the start, return next_after (caller frees). */
static char *
feed_end(void)
{
    struct items all = {0};
    char next[64];
    drain(NULL, 1000, NULL, &all, next);
    items_free(&all);
    return strdup(next);
}

/* --- tests ------------------------------------------------------------------------------ */

static void
assert_bad_request(const char *query, const char *field, const char *code)
{
    struct http_resp r;
    char path[512];
    snprintf(path, sizeof path, "/v1/events?%s", query);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 400);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_non_null(r.j);
    assert_string_equal(tl_str(r.j, "type"), "https://capa.example.org/problems/bad-request");
    assert_int_equal(json_integer_value(json_object_get(r.j, "status")), 400);
    bool named = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r.j, "errors"), i, e) named |=
        tl_str(e, "field") && strcmp(tl_str(e, "field"), field) == 0 && tl_str(e, "code") &&
        strcmp(tl_str(e, "code"), code) == 0;
    if (!named)
        fail_msg("GET %s: no error %s/%s in %s", path, field, code, r.body);
    http_resp_cleanup(&r);
}

static void
test_events_feed_pages_lifecycle(void **state)
{
    (void)state;
    enum { N_CASES = 4 };
    char *ids[N_CASES];
    char label[64], err[512], next[64], path[512];
    struct http_resp r;

    /* an empty selection from the start: no items, next_after null */
    assert_int_equal(http_json(&h, "GET", "/v1/events?case_id=00000000-0000-4000-8000-000000000000",
                               NULL, NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 0);
    assert_true(json_is_null(json_object_get(r.j, "next_after")));
    http_resp_cleanup(&r);

    /* cases: 1, 2, 3 and 4 events each */
    for (int i = 0; i < N_CASES; i++) {
        snprintf(label, sizeof label, "Feed lifecycle %d", i);
        ids[i] = create_case(label);
    }
    patch_case(ids[1], 1, "{\"owner\":\"qa\"}");
    patch_case(ids[2], 1, "{\"owner\":\"qa\"}");
    transition_case(ids[2], 2, "{\"to\":\"rejected\",\"comment\":\"duplicate\"}");
    patch_case(ids[3], 1, "{\"title\":\"Renamed\"}");
    patch_case(ids[3], 2, "{\"description\":\"more\"}");
    transition_case(ids[3], 3, "{\"to\":\"rejected\",\"comment\":\"not a finding\"}");

    /* page through everything with limit=3 */
    struct items all = {0};
    size_t n_log;
    char **log = sql_column("SELECT event_id::text FROM case_events", &n_log);
    drain_until(NULL, 3, NULL, &all, next, (const char *const *)log, n_log);
    if (!feed_ordered(&all, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(all.n, n_log);
    column_free(log, n_log);

    /* every event of every case exactly once, per case in sequence order */
    const int want_events[N_CASES] = {1, 2, 3, 4};
    for (int i = 0; i < N_CASES; i++) {
        size_t n;
        char **ev = case_event_ids(ids[i], &n);
        assert_int_equal(n, want_events[i]);
        long last = -1;
        for (size_t k = 0; k < n; k++) {
            assert_int_equal(items_count_id(&all, ev[k]), 1);
            long at = items_index(&all, ev[k]);
            assert_true(at > last);
            last = at;
            const struct item *it = &all.v[at];
            assert_string_equal(it->case_id, ids[i]);
            assert_int_equal(it->sequence, (int)k + 1);
        }
        column_free(ev, n);
    }
    /* the types, per case */
    for (size_t k = 0; k < all.n; k++) {
        const struct item *it = &all.v[k];
        if (strcmp(it->case_id, ids[2]) == 0)
            assert_string_equal(it->type, it->sequence == 1   ? "capa.case.created"
                                          : it->sequence == 2 ? "capa.case.updated"
                                                              : "capa.case.transitioned");
    }

    /* at the end: an empty page hands back the position given */
    char end[64];
    snprintf(end, sizeof end, "%s", next);
    assert_string_equal(end, all.v[all.n - 1].feedposition);
    feed_path(path, sizeof path, 3, end, NULL);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 0);
    assert_string_equal(tl_str(r.j, "next_after"), end);
    http_resp_cleanup(&r);

    /* a full page's next_after is its last item; the next page starts right after it */
    struct items two = {0};
    feed_path(path, sizeof path, 2, NULL, NULL);
    assert_int_equal(fetch_page(path, NULL, &two, next, err, sizeof err), 2);
    assert_string_equal(next, all.v[1].feedposition);
    feed_path(path, sizeof path, 2, next, NULL);
    assert_int_equal(fetch_page(path, next, &two, next, err, sizeof err), 2);
    for (size_t k = 0; k < 4; k++)
        assert_string_equal(two.v[k].event_id, all.v[k].event_id);
    items_free(&two);

    /* default limit: 100 (at most) */
    assert_int_equal(http_json(&h, "GET", "/v1/events", NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), all.n < 100 ? all.n : 100);
    http_resp_cleanup(&r);

    /* type filter: only updates, all of them */
    struct items upd = {0};
    drain(NULL, 3, "type=capa.case.updated", &upd, next);
    assert_int_equal(upd.n, sql_long("SELECT count(*) FROM case_events "
                                     "WHERE type = 'capa.case.updated'"));
    assert_true(upd.n >= 4);
    for (size_t k = 0; k < upd.n; k++)
        assert_string_equal(upd.v[k].type, "capa.case.updated");
    items_free(&upd);

    /* case filter: exactly that case's events, in order */
    struct items one = {0};
    char filter[128];
    snprintf(filter, sizeof filter, "case_id=%s", ids[3]);
    drain(NULL, 3, filter, &one, next);
    assert_int_equal(one.n, 4);
    for (size_t k = 0; k < one.n; k++) {
        assert_string_equal(one.v[k].case_id, ids[3]);
        assert_int_equal(one.v[k].sequence, (int)k + 1);
    }
    assert_string_equal(next, one.v[3].feedposition);
    items_free(&one);

    /* both filters */
    struct items both = {0};
    snprintf(filter, sizeof filter, "case_id=%s&type=capa.case.transitioned", ids[3]);
    drain(NULL, 3, filter, &both, next);
    assert_int_equal(both.n, 1);
    assert_int_equal(both.v[0].sequence, 4);
    items_free(&both);

    /* a filter with an after in the middle */
    struct items tail = {0};
    snprintf(filter, sizeof filter, "case_id=%s", ids[3]);
    drain(NULL, 1000, filter, &tail, next);
    struct items rest = {0};
    drain(tail.v[1].feedposition, 1, filter, &rest, next);
    assert_int_equal(rest.n, 2);
    assert_int_equal(rest.v[0].sequence, 3);
    assert_int_equal(rest.v[1].sequence, 4);
    items_free(&rest);
    items_free(&tail);

    /* bad parameters */
    assert_bad_request("after=abc", "after", "invalid");
    assert_bad_request("after=1", "after", "invalid");
    assert_bad_request("after=1.", "after", "invalid");
    assert_bad_request("after=.1", "after", "invalid");
    assert_bad_request("after=-1.5", "after", "invalid");
    assert_bad_request("after=1.2.3", "after", "invalid");
    assert_bad_request("after=", "after", "invalid");
    assert_bad_request("after=12345678901234567890.1", "after", "invalid");
    /* 19 digits, past bigint: the column's type would refuse it with a 500 */
    assert_bad_request("after=1.9223372036854775808", "after", "invalid");
    assert_bad_request("after=1.9999999999999999999", "after", "invalid");
    assert_bad_request("limit=0", "limit", "invalid");
    assert_bad_request("limit=1001", "limit", "invalid");
    assert_bad_request("limit=abc", "limit", "invalid");
    assert_bad_request("limit=%205", "limit", "invalid");
    assert_bad_request("limit=%2B5", "limit", "invalid");
    assert_bad_request("limit=", "limit", "invalid");
    assert_bad_request("type=other.case.created", "type", "invalid");
    assert_bad_request("type=capa.", "type", "invalid");
    assert_bad_request("type=capa.Case.Created", "type", "invalid");
    assert_bad_request("case_id=nope", "case_id", "invalid");
    assert_bad_request("unknown=1", "unknown", "unknown");
    assert_bad_request("limit=5&unknown=1", "unknown", "unknown");
    /* the limits themselves are fine */
    assert_int_equal(http_json(&h, "GET", "/v1/events?limit=1000", NULL, NULL, &r), 200);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/events?limit=1&after=0.0", NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 1);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET",
                               "/v1/events?after=9999999999999999999.9223372036854775807", NULL,
                               NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 0);
    http_resp_cleanup(&r);

    items_free(&all);
    for (int i = 0; i < N_CASES; i++)
        free(ids[i]);
}

/*
 * The dangerous interleaving, made deterministic: a transaction S writes a
 * case-log row (taking its position) and stays open; fast transactions then
 * commit rows with higher positions. A reader that kept "the highest
 * position seen" would move past S's position and never see S's row. The
 * feed must hold the fast rows back until S ends, and serve S's row after it
 * commits.
 */
static void
test_events_feed_never_skips_late_commits(void **state)
{
    (void)state;
    enum { N_FAST = 3 };
    char *fast[N_FAST];
    char err[512], sql[512], next[64];
    struct late_row s;

    char *template_id = create_case("Late template");
    char *cursor = feed_end();

    /* S: an xid first, then the row: its position is taken now */
    PGconn *pg = side_open();
    must_exec(pg, "BEGIN");
    char *s_xid = must_value(pg, "SELECT pg_current_xact_id()::text", 0, NULL);
    if (!insert_case_and_row(pg, template_id, "late-1", &s, err, sizeof err))
        fail_msg("%s", err);
    assert_string_equal(s.txid, s_xid);

    /* fast transactions through the API: they commit while S is open */
    for (int i = 0; i < N_FAST; i++) {
        char title[64];
        snprintf(title, sizeof title, "Fast %d", i);
        fast[i] = create_case(title);
    }
    patch_case(fast[0], 1, "{\"owner\":\"fast\"}");

    /* the fast rows: committed, after S's row by position and by transaction */
    long s_pos = atol(s.position);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM case_events WHERE position > %ld AND txid > '%s'::xid8 "
             "AND case_id IN ('%s', '%s', '%s')",
             s_pos, s.txid, fast[0], fast[1], fast[2]);
    assert_int_equal(sql_long(sql), N_FAST + 1);
    /* a naive reader, now: S's row is invisible, the fast rows are past it */
    long naive_max = sql_long("SELECT max(position) FROM case_events");
    assert_true(naive_max > s_pos);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE event_id = '%s'", s.event_id);
    assert_int_equal(sql_long(sql), 0);

    /* the feed now: nothing of S, and nothing that would put the cursor past S */
    struct items before = {0};
    drain(cursor, 2, NULL, &before, next);
    assert_int_equal(items_count_id(&before, s.event_id), 0);
    for (int i = 0; i < N_FAST; i++)
        for (size_t k = 0; k < before.n; k++)
            if (strcmp(before.v[k].case_id, fast[i]) == 0)
                fail_msg("fast row %s (%s) served while an older transaction is open: a "
                         "reader would move past %s.%s",
                         before.v[k].event_id, before.v[k].feedposition, s.txid, s.position);
    char saved[64];
    snprintf(saved, sizeof saved, "%s", next);
    {
        unsigned long long t, p;
        assert_true(parse_feedposition(saved, &t, &p));
        unsigned long long st = strtoull(s.txid, NULL, 10), sp = strtoull(s.position, NULL, 10);
        assert_true(t < st || (t == st && p < sp));
    }
    /* still nothing, however often it is asked */
    for (int i = 0; i < 3; i++) {
        struct items again = {0};
        drain(saved, 7, NULL, &again, next);
        assert_int_equal(items_count_id(&again, s.event_id), 0);
        assert_string_equal(next, saved);
        items_free(&again);
    }

    /* S commits late */
    must_exec(pg, "COMMIT");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE event_id = '%s'", s.event_id);
    assert_int_equal(sql_long(sql), 1);
    /* the naive reader's next query skips it for good */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM case_events WHERE position > %ld AND event_id = '%s'", naive_max,
             s.event_id);
    assert_int_equal(sql_long(sql), 0);

    /* the feed from the saved position: S's row, then the fast rows, each once */
    struct items after = {0};
    size_t n_fast_ids[N_FAST];
    char **fast_ids[N_FAST];
    const char *want[16];
    size_t n_want = 0;
    want[n_want++] = s.event_id;
    for (int i = 0; i < N_FAST; i++) {
        fast_ids[i] = case_event_ids(fast[i], &n_fast_ids[i]);
        for (size_t k = 0; k < n_fast_ids[i]; k++)
            want[n_want++] = fast_ids[i][k];
    }
    assert_int_equal(n_want, 1 + N_FAST + 1);
    drain_until(saved, 2, NULL, &after, next, want, n_want);
    if (!feed_ordered(&after, err, sizeof err))
        fail_msg("%s", err);
    for (size_t k = 0; k < n_want; k++)
        assert_int_equal(items_count_id(&after, want[k]) + items_count_id(&before, want[k]), 1);
    long at_s = items_index(&after, s.event_id);
    for (size_t k = 1; k < n_want; k++)
        assert_true(items_index(&after, want[k]) > at_s);
    const struct item *it = &after.v[at_s];
    assert_string_equal(it->case_id, s.case_id);
    assert_int_equal(it->sequence, 1);
    assert_string_equal(it->type, "capa.case.created");
    char fp[64];
    snprintf(fp, sizeof fp, "%s.%s", s.txid, s.position);
    assert_string_equal(it->feedposition, fp);

    for (int i = 0; i < N_FAST; i++) {
        column_free(fast_ids[i], n_fast_ids[i]);
        free(fast[i]);
    }
    items_free(&before);
    items_free(&after);
    PQfinish(pg);
    free(s_xid);
    free(cursor);
    free(template_id);
}

/*
 * The other interleaving: S takes its transaction id first, fast
 * transactions commit, and only then S writes its row (the highest
 * position, the lowest transaction id). A reader in (txid, position) order
 * that did not wait for S would have moved past S's txid.
 */
static void
test_events_feed_never_skips_early_xid_late_row(void **state)
{
    (void)state;
    enum { N_FAST = 3 };
    char *fast[N_FAST];
    char err[512], next[64];
    struct late_row s;

    char *template_id = create_case("Early xid template");
    char *cursor = feed_end();

    PGconn *pg = side_open();
    must_exec(pg, "BEGIN");
    char *s_xid = must_value(pg, "SELECT pg_current_xact_id()::text", 0, NULL);

    for (int i = 0; i < N_FAST; i++) {
        char title[64];
        snprintf(title, sizeof title, "Fast early-xid %d", i);
        fast[i] = create_case(title);
    }
    /* committed and newer than S: not served while S is open */
    struct items before = {0};
    drain(cursor, 5, NULL, &before, next);
    for (int i = 0; i < N_FAST; i++)
        for (size_t k = 0; k < before.n; k++)
            if (strcmp(before.v[k].case_id, fast[i]) == 0)
                fail_msg("fast row %s served while transaction %s (older) is open",
                         before.v[k].feedposition, s_xid);
    char saved[64];
    snprintf(saved, sizeof saved, "%s", next);

    /* S's row: the highest position, the oldest transaction */
    if (!insert_case_and_row(pg, template_id, "early-xid-1", &s, err, sizeof err))
        fail_msg("%s", err);
    assert_string_equal(s.txid, s_xid);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM case_events WHERE position < %s AND txid > '%s'::xid8",
             s.position, s.txid);
    assert_true(sql_long(sql) >= N_FAST);
    must_exec(pg, "COMMIT");

    struct items after = {0};
    const char *want[N_FAST + 1];
    want[0] = s.event_id;
    char **ev[N_FAST];
    size_t n_ev[N_FAST];
    for (int i = 0; i < N_FAST; i++) {
        ev[i] = case_event_ids(fast[i], &n_ev[i]);
        assert_int_equal(n_ev[i], 1);
        want[i + 1] = ev[i][0];
    }
    drain_until(saved, 1, NULL, &after, next, want, N_FAST + 1);
    if (!feed_ordered(&after, err, sizeof err))
        fail_msg("%s", err);
    for (int i = 0; i <= N_FAST; i++)
        assert_int_equal(items_count_id(&after, want[i]) + items_count_id(&before, want[i]), 1);
    /* S's row comes first: its transaction is the oldest */
    long at_s = items_index(&after, s.event_id);
    for (int i = 1; i <= N_FAST; i++)
        assert_true(items_index(&after, want[i]) > at_s);

    for (int i = 0; i < N_FAST; i++) {
        column_free(ev[i], n_ev[i]);
        free(fast[i]);
    }
    items_free(&before);
    items_free(&after);
    PQfinish(pg);
    free(s_xid);
    free(cursor);
    free(template_id);
}

/* --- concurrent --------------------------------------------------------------------------- */

#define N_WRITERS 4
#define WRITE_SECONDS 3
#define READER_LIMIT 7

struct shared {
    pthread_mutex_t lock;
    volatile int stop;  /* writers and side sessions */
    volatile int drain; /* reader: stop once target items are read */
    long target;
    const char *template_id;
    /* case ids created by the writers (for the locker) */
    char (*cases)[40];
    size_t n_cases, cap_cases;
};

struct worker {
    struct shared *sh;
    int index;
    long ops, errors;
    char first_error[512];
    /* side sessions */
    long slow_rows, overtaken, locks;
    /* reader */
    struct items seen;
    long pages, empty_pages;
    char next[64];
};

static void
worker_error(struct worker *w, const char *fmt, ...)
{
    va_list ap;
    if (w->errors++ == 0) {
        va_start(ap, fmt);
        vsnprintf(w->first_error, sizeof w->first_error, fmt, ap);
        va_end(ap);
    }
}

static void
share_case(struct shared *sh, const char *id)
{
    pthread_mutex_lock(&sh->lock);
    if (sh->n_cases == sh->cap_cases) {
        size_t cap = sh->cap_cases ? sh->cap_cases * 2 : 256;
        void *v = realloc(sh->cases, cap * sizeof *sh->cases);
        if (v != NULL) {
            sh->cases = v;
            sh->cap_cases = cap;
        }
    }
    if (sh->n_cases < sh->cap_cases)
        snprintf(sh->cases[sh->n_cases++], 40, "%s", id);
    pthread_mutex_unlock(&sh->lock);
}

/* Create cases and change them: creates (half with an Idempotency-Key), patches, transitions. */
static void *
writer_main(void *arg)
{
    struct worker *w = arg;
    struct http_resp r;
    char path[160], etag[32], key[96], body_text[256];
    unsigned seed = 1234u + (unsigned)w->index;
    for (int n = 0; !w->sh->stop; n++) {
        snprintf(body_text, sizeof body_text, "Concurrent w%d #%d", w->index, n);
        char *body = harness_case_body(body_text, "minor");
        snprintf(key, sizeof key, "Idempotency-Key: feed-w%d-%d-%d", w->index, n, (int)getpid());
        const char *hdr[] = {"Content-Type: application/json", key, NULL};
        if (n % 2 == 0)
            hdr[1] = NULL;
        long st = http_do(&h, "POST", "/v1/cases", hdr, body, strlen(body), &r);
        free(body);
        w->ops++;
        if (st != 201 || tl_str(r.j, "id") == NULL) {
            worker_error(w, "create: %ld %.200s", st, r.body);
            http_resp_cleanup(&r);
            continue;
        }
        char id[40];
        snprintf(id, sizeof id, "%s", tl_str(r.j, "id"));
        http_resp_cleanup(&r);
        share_case(w->sh, id);
        int version = 1, patches = 1 + (int)(rand_r(&seed) % 3);
        snprintf(path, sizeof path, "/v1/cases/%s", id);
        for (int p = 0; p < patches && !w->sh->stop; p++) {
            snprintf(etag, sizeof etag, "\"%d\"", version);
            snprintf(body_text, sizeof body_text, "{\"owner\":\"w%d-%d\"}", w->index, p);
            st = http_json(&h, "PATCH", path, etag, body_text, &r);
            w->ops++;
            if (st != 200)
                worker_error(w, "patch: %ld %.200s", st, r.body);
            else
                version++;
            http_resp_cleanup(&r);
        }
        if (n % 3 == 0 && !w->sh->stop) {
            snprintf(path, sizeof path, "/v1/cases/%s/transitions", id);
            snprintf(etag, sizeof etag, "\"%d\"", version);
            st = http_json(&h, "POST", path, etag, "{\"to\":\"rejected\",\"comment\":\"dup\"}", &r);
            w->ops++;
            if (st != 200)
                worker_error(w, "transition: %ld %.200s", st, r.body);
            http_resp_cleanup(&r);
        }
    }
    return NULL;
}

/*
 * Slow side transactions, alternately: (a) the row first, then a pause, then
 * COMMIT (an early position committed late); (b) an xid first, a pause, then
 * the row (the oldest transaction, the newest position).
 */
static void *
slow_main(void *arg)
{
    struct worker *w = arg;
    char err[512], label[64], sql[256], pause[32];
    unsigned seed = 99u + (unsigned)w->index;
    PGconn *pg = PQconnectdb(h.db_url), *peek = PQconnectdb(h.db_url);
    if (PQstatus(pg) != CONNECTION_OK || PQstatus(peek) != CONNECTION_OK) {
        worker_error(w, "connect: %s", PQerrorMessage(pg));
        goto out;
    }
    for (int n = 0; !w->sh->stop; n++) {
        struct late_row s;
        char *v;
        snprintf(label, sizeof label, "slow-%d-%d-%d", w->index, n, (int)getpid());
        snprintf(pause, sizeof pause, "SELECT pg_sleep(%.3f)", 0.05 + (rand_r(&seed) % 250) / 1e3);
        bool row_first = n % 2 == 0;
        if ((v = pg_value(pg, "BEGIN", 0, NULL, err, sizeof err)) == NULL)
            goto fail;
        free(v);
        if ((v = pg_value(pg, "SELECT pg_current_xact_id()", 0, NULL, err, sizeof err)) == NULL)
            goto fail;
        free(v);
        if (row_first && !insert_case_and_row(pg, w->sh->template_id, label, &s, err, sizeof err))
            goto fail;
        if ((v = pg_value(pg, pause, 0, NULL, err, sizeof err)) == NULL)
            goto fail;
        free(v);
        if (!row_first && !insert_case_and_row(pg, w->sh->template_id, label, &s, err, sizeof err))
            goto fail;
        if (row_first) {
            /* has a row with a higher position committed meanwhile? */
            snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE position > %s",
                     s.position);
            if ((v = pg_value(peek, sql, 0, NULL, err, sizeof err)) == NULL)
                goto fail;
            w->overtaken += atol(v) > 0;
            free(v);
        }
        if ((v = pg_value(pg, "COMMIT", 0, NULL, err, sizeof err)) == NULL)
            goto fail;
        free(v);
        w->slow_rows++;
        w->ops++;
        continue;
    fail:
        worker_error(w, "%s", err);
        free(pg_value(pg, "ROLLBACK", 0, NULL, err, sizeof err));
    }
out:
    PQfinish(pg);
    PQfinish(peek);
    return NULL;
}

/* Hold row locks on the writers' cases for a while: their writes wait, xids in hand. */
static void *
locker_main(void *arg)
{
    struct worker *w = arg;
    char err[512], id[40];
    unsigned seed = 7u;
    PGconn *pg = PQconnectdb(h.db_url);
    if (PQstatus(pg) != CONNECTION_OK) {
        worker_error(w, "connect: %s", PQerrorMessage(pg));
        goto out;
    }
    while (!w->sh->stop) {
        pthread_mutex_lock(&w->sh->lock);
        size_t n = w->sh->n_cases;
        if (n > 0)
            snprintf(id, sizeof id, "%s", w->sh->cases[rand_r(&seed) % n]);
        pthread_mutex_unlock(&w->sh->lock);
        if (n == 0) {
            sleep_ms(10);
            continue;
        }
        const char *params[] = {id};
        char *v;
        if ((v = pg_value(pg, "BEGIN", 0, NULL, err, sizeof err)) == NULL)
            goto fail;
        free(v);
        if ((v = pg_value(pg, "SELECT pg_current_xact_id()", 0, NULL, err, sizeof err)) == NULL)
            goto fail;
        free(v);
        if ((v = pg_value(pg, "SELECT 1 FROM cases WHERE id = $1::uuid FOR UPDATE", 1, params, err,
                          sizeof err)) == NULL)
            goto fail;
        free(v);
        if ((v = pg_value(pg, "SELECT pg_sleep(0.1)", 0, NULL, err, sizeof err)) == NULL)
            goto fail;
        free(v);
        if ((v = pg_value(pg, "COMMIT", 0, NULL, err, sizeof err)) == NULL)
            goto fail;
        free(v);
        w->locks++;
        continue;
    fail:
        worker_error(w, "%s", err);
        free(pg_value(pg, "ROLLBACK", 0, NULL, err, sizeof err));
    }
out:
    PQfinish(pg);
    return NULL;
}

/* Page continuously with limit=7, from the start of the feed. */
static void *
reader_main(void *arg)
{
    struct worker *w = arg;
    char path[256], err[512], cursor[64] = "";
    double deadline = 0;
    for (;;) {
        int draining = w->sh->drain;
        if (draining && deadline == 0)
            deadline = now_s() + DRAIN_DEADLINE_S;
        feed_path(path, sizeof path, READER_LIMIT, cursor[0] ? cursor : NULL, NULL);
        size_t before = w->seen.n;
        long n = fetch_page(path, cursor[0] ? cursor : NULL, &w->seen, w->next, err, sizeof err);
        w->pages++;
        if (n < 0) {
            worker_error(w, "%s", err);
            if (w->errors > 20)
                return NULL;
            sleep_ms(20);
            continue;
        }
        if (n > READER_LIMIT)
            worker_error(w, "%ld items on a page of %d", n, READER_LIMIT);
        if (n > 0) {
            /* feed order holds across pages */
            for (size_t i = before > 0 ? before : 1; i < w->seen.n; i++) {
                const struct item *a = &w->seen.v[i - 1], *b = &w->seen.v[i];
                if (!(a->txid < b->txid || (a->txid == b->txid && a->pos < b->pos)))
                    worker_error(w, "out of order: %s after %s", b->feedposition, a->feedposition);
            }
            if (strcmp(cursor, w->next) == 0) {
                worker_error(w, "%ld items but next_after did not move from %s", n, cursor);
                return NULL;
            }
            snprintf(cursor, sizeof cursor, "%s", w->next);
            if (w->errors > 20)
                return NULL;
            continue;
        }
        w->empty_pages++;
        if (draining && (long)w->seen.n >= w->sh->target)
            return NULL;
        if (draining && now_s() > deadline) {
            worker_error(w, "drain: %zu of %ld events after %d s", w->seen.n, w->sh->target,
                         DRAIN_DEADLINE_S);
            return NULL;
        }
        sleep_ms(draining ? 50 : 5);
    }
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_events_feed_concurrent_writers_reader_sees_all_once(void **state)
{
    (void)state;
    struct shared sh = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct worker writers[N_WRITERS], slow[2], locker, reader;
    pthread_t t_writers[N_WRITERS], t_slow[2], t_locker, t_reader;
    char *template_id = create_case("Concurrent template");
    sh.template_id = template_id;

    memset(writers, 0, sizeof writers);
    memset(slow, 0, sizeof slow);
    memset(&locker, 0, sizeof locker);
    memset(&reader, 0, sizeof reader);
    reader.sh = locker.sh = &sh;
    assert_int_equal(pthread_create(&t_reader, NULL, reader_main, &reader), 0);
    for (int i = 0; i < N_WRITERS; i++) {
        writers[i].sh = &sh;
        writers[i].index = i;
        assert_int_equal(pthread_create(&t_writers[i], NULL, writer_main, &writers[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        slow[i].sh = &sh;
        slow[i].index = i;
        assert_int_equal(pthread_create(&t_slow[i], NULL, slow_main, &slow[i]), 0);
    }
    assert_int_equal(pthread_create(&t_locker, NULL, locker_main, &locker), 0);

    sleep(WRITE_SECONDS);
    sh.stop = 1;
    for (int i = 0; i < N_WRITERS; i++)
        pthread_join(t_writers[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t_slow[i], NULL);
    pthread_join(t_locker, NULL);

    /* everything has committed: the reader drains to the table's count */
    pthread_mutex_lock(&sh.lock);
    sh.target = sql_long("SELECT count(*) FROM case_events");
    pthread_mutex_unlock(&sh.lock);
    sh.drain = 1;
    pthread_join(t_reader, NULL);

    long ops = 0, slow_rows = 0, overtaken = 0;
    for (int i = 0; i < N_WRITERS; i++) {
        if (writers[i].errors)
            fail_msg("writer %d: %ld errors, first: %s", i, writers[i].errors,
                     writers[i].first_error);
        ops += writers[i].ops;
    }
    for (int i = 0; i < 2; i++) {
        if (slow[i].errors)
            fail_msg("side session %d: %ld errors, first: %s", i, slow[i].errors,
                     slow[i].first_error);
        slow_rows += slow[i].slow_rows;
        overtaken += slow[i].overtaken;
    }
    if (locker.errors)
        fail_msg("locker: %ld errors, first: %s", locker.errors, locker.first_error);
    if (reader.errors)
        fail_msg("reader: %ld errors, first: %s", reader.errors, reader.first_error);
    /* rows served after a row with a higher position: an oldest transaction's late row */
    long inversions = 0;
    unsigned long long max_pos = 0;
    for (size_t k = 0; k < reader.seen.n; k++) {
        inversions += reader.seen.v[k].pos < max_pos;
        if (reader.seen.v[k].pos > max_pos)
            max_pos = reader.seen.v[k].pos;
    }
    print_message("writers: %ld requests; side rows: %ld (%ld overtaken before commit); "
                  "locks: %ld; reader: %zu events in %ld pages (%ld empty), %ld served "
                  "after a higher position\n",
                  ops, slow_rows, overtaken, locker.locks, reader.seen.n, reader.pages,
                  reader.empty_pages, inversions);
    /* the run did produce what the test is about: rows committed after rows with
     * higher positions (a position cursor would skip them), rows of old
     * transactions written late (a txid cursor without the wait would skip them) */
    assert_true(ops > 20);
    assert_true(slow_rows >= 4);
    assert_true(overtaken >= 1);
    assert_true(inversions >= 1);

    /* nothing more to come */
    struct items extra = {0};
    char next[64];
    drain(reader.next, READER_LIMIT, NULL, &extra, next);
    assert_int_equal(extra.n, 0);
    items_free(&extra);

    /* every row of the log exactly once */
    size_t n_db;
    char **db = sql_column("SELECT event_id::text FROM case_events ORDER BY event_id", &n_db);
    char **got = calloc(reader.seen.n + 1, sizeof *got);
    for (size_t i = 0; i < reader.seen.n; i++)
        got[i] = reader.seen.v[i].event_id;
    qsort(got, reader.seen.n, sizeof *got, cmp_str);
    for (size_t i = 1; i < reader.seen.n; i++)
        if (strcmp(got[i - 1], got[i]) == 0)
            fail_msg("event %s served twice", got[i]);
    size_t i = 0, j = 0;
    while (i < n_db || j < reader.seen.n) {
        int c = i == n_db ? 1 : j == reader.seen.n ? -1 : strcmp(db[i], got[j]);
        if (c < 0)
            fail_msg("event %s never served (%zu in the log, %zu served)", db[i], n_db,
                     reader.seen.n);
        if (c > 0)
            fail_msg("event %s served but not in the log", got[j]);
        i++;
        j++;
    }
    assert_int_equal(reader.seen.n, n_db);

    /* per case: sequences 1, 2, 3... in feed order */
    size_t n_cases;
    char **cases = sql_column("SELECT case_id::text || ' ' || max(sequence) FROM case_events "
                              "GROUP BY case_id",
                              &n_cases);
    for (size_t c = 0; c < n_cases; c++) {
        char id[40];
        int max_seq = 0, expect = 1;
        assert_int_equal(sscanf(cases[c], "%39s %d", id, &max_seq), 2);
        for (size_t k = 0; k < reader.seen.n; k++)
            if (strcmp(reader.seen.v[k].case_id, id) == 0) {
                if (reader.seen.v[k].sequence != expect)
                    fail_msg("case %s: sequence %d where %d was due", id, reader.seen.v[k].sequence,
                             expect);
                expect++;
            }
        assert_int_equal(expect - 1, max_seq);
    }
    column_free(cases, n_cases);

    free(got);
    column_free(db, n_db);
    items_free(&reader.seen);
    free(sh.cases);
    free(template_id);
}

static int
setup(void **state)
{
    (void)state;
    unsetenv("CAPA_KAFKA_BROKERS");
    return harness_start(&h, "event_feed");
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
        cmocka_unit_test(test_events_feed_pages_lifecycle),
        cmocka_unit_test(test_events_feed_never_skips_late_commits),
        cmocka_unit_test(test_events_feed_never_skips_early_xid_late_row),
        cmocka_unit_test(test_events_feed_concurrent_writers_reader_sees_all_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
