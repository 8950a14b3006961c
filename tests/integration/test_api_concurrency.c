/*
 * test_api_concurrency.c - the cases API under concurrent clients: gapless
 * unique keys, optimistic concurrency (If-Match) with racing writers,
 * idempotent creates racing on one key, and keyset pagination while rows are
 * inserted.
 *
 * Each test gets a fresh database and server (per-test setup), so counts
 * over whole tables are exact. Worker threads never call cmocka assertions
 * (they longjmp): they record what they saw, and the main thread asserts
 * after joining them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "harness.h"
#include "testlib.h"
#include "store.h"

/* connections of the server's pool: one per racing writer */
#define POOL_SIZE 8

static struct harness h;

/* The first value of a query on the test database, as an integer. */
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

static void
sql_expect(const char *sql, const char *expected)
{
    char *v = harness_sql(&h, sql);
    if (strcmp(v, expected) != 0) {
        fprintf(stderr, "query: %s\n", sql);
        fprintf(stderr, "expected \"%s\", got \"%s\"\n", expected, v);
    }
    assert_string_equal(v, expected);
    free(v);
}

/* A create body: harness_case_body plus tags (may be NULL). Caller frees. */
static char *
case_body_tagged(const char *title, const char *tag)
{
    char *base = harness_case_body(title, "minor");
    json_t *j = json_loads(base, 0, NULL);
    free(base);
    if (tag != NULL)
        json_object_set_new(j, "tags", json_pack("[s]", tag));
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

static char *
improvement_body(const char *title)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "improvement", "title", title,
                          "source", "management_review", "detected_at", "2026-01-15T09:00:00Z",
                          "reported_by", "ciso");
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

/* Create a case from the main thread; returns its id (caller frees). */
static char *
create_case(const char *title, const char *tag)
{
    struct http_resp r;
    char *body = case_body_tagged(title, tag);
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
    char *id = strdup(tl_str(r.j, "id"));
    free(body);
    http_resp_cleanup(&r);
    return id;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* ---- concurrent creates: keys unique and gapless ---- */

#define NC_THREADS 8
#define NC_PER_THREAD 25
#define OFI_THREADS 2
#define OFI_PER_THREAD 10
#define MAX_PER_THREAD 25

struct create_job {
    pthread_barrier_t *start;
    int thread;
    int n;
    bool improvement;
    long status[MAX_PER_THREAD];
    char key[MAX_PER_THREAD][32];
    char id[MAX_PER_THREAD][40];
};

static void *
create_worker(void *arg)
{
    struct create_job *job = arg;
    pthread_barrier_wait(job->start);
    for (int i = 0; i < job->n; i++) {
        struct http_resp r;
        char title[64];
        snprintf(title, sizeof title, "Concurrent %s t%d #%d", job->improvement ? "OFI" : "NC",
                 job->thread, i);
        char *body = job->improvement ? improvement_body(title) : case_body_tagged(title, NULL);
        job->status[i] = http_json(&h, "POST", "/v1/cases", NULL, body, &r);
        snprintf(job->key[i], sizeof job->key[i], "%s",
                 r.j && tl_str(r.j, "key") ? tl_str(r.j, "key") : "");
        snprintf(job->id[i], sizeof job->id[i], "%s",
                 r.j && tl_str(r.j, "id") ? tl_str(r.j, "id") : "");
        http_resp_cleanup(&r);
        free(body);
    }
    return NULL;
}

/* Keys of one prefix, sorted, must be PREFIX-year-0001 .. PREFIX-year-n. */
static void
assert_keys_gapless(char (*keys)[32], int n, const char *prefix, long year)
{
    qsort(keys, (size_t)n, sizeof keys[0], cmp_str);
    for (int i = 0; i < n; i++) {
        char expected[32];
        snprintf(expected, sizeof expected, "%s-%ld-%04d", prefix, year, i + 1);
        if (strcmp(keys[i], expected) != 0)
            fail_msg("key #%d is %s, expected %s (duplicate or gap)", i + 1, keys[i], expected);
    }
}

static void
test_case_create_concurrent_keys_unique_gapless(void **state)
{
    (void)state;
    enum { N_JOBS = NC_THREADS + OFI_THREADS };
    static struct create_job jobs[N_JOBS];
    pthread_t tid[N_JOBS];
    pthread_barrier_t start;
    static char nc_keys[NC_THREADS * NC_PER_THREAD][32];
    static char ofi_keys[OFI_THREADS * OFI_PER_THREAD][32];
    static char ids[N_JOBS * MAX_PER_THREAD][40];
    int n_nc = 0, n_ofi = 0, n_ids = 0;

    memset(jobs, 0, sizeof jobs);
    /* all ten writers (NC and OFI counters side by side) released at once */
    pthread_barrier_init(&start, NULL, N_JOBS);
    for (int t = 0; t < N_JOBS; t++) {
        jobs[t].start = &start;
        jobs[t].thread = t;
        jobs[t].improvement = t >= NC_THREADS;
        jobs[t].n = jobs[t].improvement ? OFI_PER_THREAD : NC_PER_THREAD;
        assert_int_equal(pthread_create(&tid[t], NULL, create_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < N_JOBS; t++)
        pthread_join(tid[t], NULL);
    pthread_barrier_destroy(&start);

    for (int t = 0; t < N_JOBS; t++) {
        for (int i = 0; i < jobs[t].n; i++) {
            if (jobs[t].status[i] != 201)
                fail_msg("thread %d create #%d answered %ld, expected 201", t, i,
                         jobs[t].status[i]);
            if (jobs[t].improvement)
                snprintf(ofi_keys[n_ofi++], sizeof ofi_keys[0], "%s", jobs[t].key[i]);
            else
                snprintf(nc_keys[n_nc++], sizeof nc_keys[0], "%s", jobs[t].key[i]);
            snprintf(ids[n_ids++], sizeof ids[0], "%s", jobs[t].id[i]);
        }
    }
    assert_int_equal(n_nc, NC_THREADS * NC_PER_THREAD);
    assert_int_equal(n_ofi, OFI_THREADS * OFI_PER_THREAD);

    /* the year is the database's current UTC year, as the key shows it */
    long year = sql_long("SELECT extract(year FROM now() AT TIME ZONE 'UTC')::int");
    assert_keys_gapless(nc_keys, n_nc, "NC", year);
    assert_keys_gapless(ofi_keys, n_ofi, "OFI", year);

    /* every response named a distinct case */
    qsort(ids, (size_t)n_ids, sizeof ids[0], cmp_str);
    for (int i = 0; i < n_ids; i++) {
        assert_int_equal(strlen(ids[i]), 36);
        if (i > 0 && strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("two creates answered the same id %s", ids[i]);
    }

    /* the database agrees: one row per create, one created event per case */
    char expected[16];
    snprintf(expected, sizeof expected, "%d", n_nc + n_ofi);
    sql_expect("SELECT count(*) FROM cases", expected);
    sql_expect("SELECT count(DISTINCT key) FROM cases", expected);
    sql_expect("SELECT count(*) FROM case_events", expected);
    sql_expect("SELECT count(*) FROM cases c WHERE "
               " (SELECT count(*) FROM case_events e WHERE e.case_id = c.id) = 1 "
               " AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id "
               "             AND e.sequence = 1 AND e.type = 'capa.case.created')",
               expected);
    snprintf(expected, sizeof expected, "%d", n_nc);
    sql_expect("SELECT count(*) FROM cases WHERE key LIKE 'NC-%'", expected);
    sql_expect("SELECT last FROM case_key_counters WHERE prefix = 'NC'", expected);
    snprintf(expected, sizeof expected, "%d", n_ofi);
    sql_expect("SELECT last FROM case_key_counters WHERE prefix = 'OFI'", expected);
}

/* ---- racing conditional writes ---- */

struct write_job {
    pthread_barrier_t *start;
    const char *method;
    const char *path;
    char body[128];
    long status;
    char etag[80];
    char content_type[128];
    char type[128];
    json_int_t version;
    char title[64];
    char case_status[32];
};

static void *
write_worker(void *arg)
{
    struct write_job *job = arg;
    struct http_resp r;
    pthread_barrier_wait(job->start);
    job->status = http_json(&h, job->method, job->path, "\"1\"", job->body, &r);
    snprintf(job->etag, sizeof job->etag, "%s", r.etag);
    snprintf(job->content_type, sizeof job->content_type, "%s", r.content_type);
    snprintf(job->type, sizeof job->type, "%s",
             r.j && tl_str(r.j, "type") ? tl_str(r.j, "type") : "");
    snprintf(job->title, sizeof job->title, "%s",
             r.j && tl_str(r.j, "title") ? tl_str(r.j, "title") : "");
    snprintf(job->case_status, sizeof job->case_status, "%s",
             r.j && tl_str(r.j, "status") ? tl_str(r.j, "status") : "");
    job->version = r.j ? tl_int(r.j, "version") : 0;
    http_resp_cleanup(&r);
    return NULL;
}

/* Run n write jobs released together; returns the index of the one 200 (fails otherwise). */
static int
race_writes(struct write_job *jobs, int n)
{
    pthread_t tid[16];
    pthread_barrier_t start;
    int winner = -1, n_ok = 0, n_412 = 0;

    assert_true(n <= 16);
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int t = 0; t < n; t++) {
        jobs[t].start = &start;
        assert_int_equal(pthread_create(&tid[t], NULL, write_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < n; t++)
        pthread_join(tid[t], NULL);
    pthread_barrier_destroy(&start);

    for (int t = 0; t < n; t++) {
        if (jobs[t].status == 200) {
            n_ok++;
            winner = t;
            assert_string_equal(jobs[t].etag, "\"2\"");
            assert_int_equal(jobs[t].version, 2);
        } else if (jobs[t].status == 412) {
            n_412++;
            /* the loser learns the version it lost to */
            assert_string_equal(jobs[t].etag, "\"2\"");
            assert_string_equal(jobs[t].content_type, "application/problem+json");
            assert_string_equal(jobs[t].type,
                                "https://capa.example.org/problems/precondition-failed");
        } else {
            fail_msg("writer %d answered %ld: expected 200 or 412", t, jobs[t].status);
        }
    }
    assert_int_equal(n_ok, 1);
    assert_int_equal(n_412, n - 1);
    return winner;
}

/* The case's history: n rows, sequences 1..n, chained; verify says valid. */
static void
assert_history(const char *id, int n)
{
    struct http_resp r;
    char path[256];
    snprintf(path, sizeof path, "/v1/cases/%s/history", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    json_t *j_items = json_object_get(r.j, "items");
    assert_int_equal(json_array_size(j_items), n);
    for (int i = 0; i < n; i++) {
        json_t *e = json_array_get(j_items, (size_t)i);
        assert_int_equal(tl_int(e, "sequence"), i + 1);
        if (i > 0)
            assert_string_equal(tl_str(e, "prev_hash"),
                                tl_str(json_array_get(j_items, (size_t)i - 1), "hash"));
    }
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/history/verify", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_true(json_is_true(json_object_get(r.j, "valid")));
    assert_int_equal(tl_int(r.j, "events"), n);
    http_resp_cleanup(&r);

    char sql[256];
    char expected[16];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE case_id = '%s'", id);
    snprintf(expected, sizeof expected, "%d", n);
    sql_expect(sql, expected);
}

#define PATCHERS 8
#define PATCH_ROUNDS 3

static void
test_case_patch_concurrent_same_if_match(void **state)
{
    (void)state;
    /* several rounds: each is a fresh case and a fresh race */
    for (int round = 0; round < PATCH_ROUNDS; round++) {
        struct write_job jobs[PATCHERS];
        struct http_resp r;
        char path[256], title[64], winner_title[64];
        snprintf(title, sizeof title, "Patch race target %d", round);
        char *id = create_case(title, NULL);

        snprintf(path, sizeof path, "/v1/cases/%s", id);
        memset(jobs, 0, sizeof jobs);
        for (int t = 0; t < PATCHERS; t++) {
            jobs[t].method = "PATCH";
            jobs[t].path = path;
            snprintf(jobs[t].body, sizeof jobs[t].body, "{\"title\":\"Racer %d-%d\"}", round, t);
        }
        int winner = race_writes(jobs, PATCHERS);
        snprintf(winner_title, sizeof winner_title, "Racer %d-%d", round, winner);
        assert_string_equal(jobs[winner].title, winner_title);

        /* the winner's change, and only it, is the case now */
        assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
        assert_int_equal(tl_int(r.j, "version"), 2);
        assert_string_equal(r.etag, "\"2\"");
        assert_string_equal(tl_str(r.j, "title"), winner_title);
        http_resp_cleanup(&r);
        assert_history(id, 2);

        /* the history's update row records the winner's change */
        snprintf(path, sizeof path, "/v1/cases/%s/history?after=1", id);
        assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
        json_t *j_title = json_object_get(
            json_object_get(
                json_object_get(json_array_get(json_object_get(r.j, "items"), 0), "data"),
                "changes"),
            "title");
        assert_string_equal(tl_str(j_title, "before"), title);
        assert_string_equal(tl_str(j_title, "after"), winner_title);
        http_resp_cleanup(&r);
        free(id);
    }
}

#define TRANSITION_ROUNDS 5

static void
test_case_transition_concurrent(void **state)
{
    (void)state;
    /* several rounds: each is a fresh case and a fresh race */
    for (int round = 0; round < TRANSITION_ROUNDS; round++) {
        struct write_job jobs[2];
        struct http_resp r;
        char path[256], title[64];
        snprintf(title, sizeof title, "Transition race %d", round);
        char *id = create_case(title, NULL);

        snprintf(path, sizeof path, "/v1/cases/%s/transitions", id);
        memset(jobs, 0, sizeof jobs);
        for (int t = 0; t < 2; t++) {
            jobs[t].method = "POST";
            jobs[t].path = path;
            snprintf(jobs[t].body, sizeof jobs[t].body,
                     "{\"to\":\"rejected\",\"comment\":\"duplicate, says %d\"}", t);
        }
        int winner = race_writes(jobs, 2);
        assert_string_equal(jobs[winner].case_status, "rejected");

        snprintf(path, sizeof path, "/v1/cases/%s", id);
        assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
        assert_string_equal(tl_str(r.j, "status"), "rejected");
        assert_int_equal(tl_int(r.j, "version"), 2);
        assert_non_null(tl_str(r.j, "closed_at"));
        http_resp_cleanup(&r);
        assert_history(id, 2);

        /* the one transition row names the winner's comment */
        char sql[256], expected[64];
        snprintf(sql, sizeof sql,
                 "SELECT data->'transition'->>'comment' FROM case_events "
                 "WHERE case_id = '%s' AND type = 'capa.case.transitioned'",
                 id);
        snprintf(expected, sizeof expected, "duplicate, says %d", winner);
        sql_expect(sql, expected);
        free(id);
    }
}

/* ---- racing idempotent creates ---- */

#define IDEM_THREADS 6
#define IDEM_ROUNDS 3

struct idem_job {
    pthread_barrier_t *start;
    const char *const *headers;
    const char *body;
    long status;
    char id[40];
    char key[32];
    char replayed[16];
};

static void *
idem_worker(void *arg)
{
    struct idem_job *job = arg;
    struct http_resp r;
    pthread_barrier_wait(job->start);
    job->status = http_do(&h, "POST", "/v1/cases", job->headers, job->body, strlen(job->body), &r);
    snprintf(job->id, sizeof job->id, "%s", r.j && tl_str(r.j, "id") ? tl_str(r.j, "id") : "");
    snprintf(job->key, sizeof job->key, "%s", r.j && tl_str(r.j, "key") ? tl_str(r.j, "key") : "");
    snprintf(job->replayed, sizeof job->replayed, "%s", r.replayed);
    http_resp_cleanup(&r);
    return NULL;
}

static void
test_case_create_concurrent_same_idempotency_key(void **state)
{
    (void)state;
    for (int round = 0; round < IDEM_ROUNDS; round++) {
        struct idem_job jobs[IDEM_THREADS];
        pthread_t tid[IDEM_THREADS];
        pthread_barrier_t start;
        char title[64], key_header[64], sql[256];
        snprintf(title, sizeof title, "Idempotent race %d", round);
        snprintf(key_header, sizeof key_header, "Idempotency-Key: race-%d", round);
        const char *headers[] = {"Content-Type: application/json", key_header, NULL};
        char *body = case_body_tagged(title, NULL);

        memset(jobs, 0, sizeof jobs);
        pthread_barrier_init(&start, NULL, IDEM_THREADS);
        for (int t = 0; t < IDEM_THREADS; t++) {
            jobs[t].start = &start;
            jobs[t].headers = headers;
            jobs[t].body = body;
            assert_int_equal(pthread_create(&tid[t], NULL, idem_worker, &jobs[t]), 0);
        }
        for (int t = 0; t < IDEM_THREADS; t++)
            pthread_join(tid[t], NULL);
        pthread_barrier_destroy(&start);
        free(body);

        int originals = 0;
        for (int t = 0; t < IDEM_THREADS; t++) {
            if (jobs[t].status != 201)
                fail_msg("round %d thread %d answered %ld, expected 201", round, t, jobs[t].status);
            assert_string_equal(jobs[t].id, jobs[0].id);
            assert_string_equal(jobs[t].key, jobs[0].key);
            if (jobs[t].replayed[0] == '\0')
                originals++;
            else
                assert_string_equal(jobs[t].replayed, "true");
        }
        /* one request created the case; every other one was answered as a replay */
        assert_int_equal(originals, 1);

        snprintf(sql, sizeof sql, "SELECT count(*) FROM cases WHERE title = '%s'", title);
        sql_expect(sql, "1");
        snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE case_id = '%s'",
                 jobs[0].id);
        sql_expect(sql, "1");
        snprintf(sql, sizeof sql, "SELECT case_id FROM idempotency_keys WHERE key = 'race-%d'",
                 round);
        sql_expect(sql, jobs[0].id);
    }
    char expected[16];
    snprintf(expected, sizeof expected, "%d", IDEM_ROUNDS);
    sql_expect("SELECT count(*) FROM cases", expected);
    /* no key number was burnt by the replays */
    sql_expect("SELECT last FROM case_key_counters WHERE prefix = 'NC'", expected);
}

/* ---- pagination while rows are inserted ---- */

#define PAGE_PRE 60
#define PAGE_NEW 40
#define PAGE_LIMIT 7
/* the writer creates this many cases per page the reader fetches */
#define NEW_PER_PAGE 2

/*
 * The writer and the reader keep pace with each other, so that inserts land
 * between the pages of both passes whatever the scheduling: after the
 * reader's page k the writer may create cases up to NEW_PER_PAGE * k, and the
 * reader goes on to page k + 1 only once NEW_PER_PAGE * (k - 1) exist. The
 * writer's creates still overlap the reader's next request.
 */
struct page_writer {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int pages_fetched; /* by the reader */
    bool reader_done;
    int created; /* by the writer */
    long status[PAGE_NEW];
};

static void *
page_writer_main(void *arg)
{
    struct page_writer *w = arg;
    for (int i = 0; i < PAGE_NEW; i++) {
        pthread_mutex_lock(&w->lock);
        while (!w->reader_done && w->pages_fetched * NEW_PER_PAGE <= i)
            pthread_cond_wait(&w->cond, &w->lock);
        pthread_mutex_unlock(&w->lock);

        struct http_resp r;
        char title[64];
        snprintf(title, sizeof title, "Inserted while paging %d", i);
        char *body = case_body_tagged(title, "pagetest");
        long status = http_json(&h, "POST", "/v1/cases", NULL, body, &r);
        http_resp_cleanup(&r);
        free(body);

        pthread_mutex_lock(&w->lock);
        w->status[i] = status;
        w->created++;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

static void
page_fetched(struct page_writer *w)
{
    pthread_mutex_lock(&w->lock);
    w->pages_fetched++;
    pthread_cond_broadcast(&w->cond);
    int want = NEW_PER_PAGE * (w->pages_fetched - 1);
    if (want > PAGE_NEW)
        want = PAGE_NEW;
    while (!w->reader_done && w->created < want)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

static int
writer_created(struct page_writer *w)
{
    pthread_mutex_lock(&w->lock);
    int n = w->created;
    pthread_mutex_unlock(&w->lock);
    return n;
}

/*
 * One pass through ?tag=pagetest in the given sort (NULL: the default).
 * Checks no id twice and (created_at, id) in order across pages; counts the
 * items and how many of them are pre-existing ones. Does not assert (the
 * writer must be joined first): returns false with the reason in err.
 */
static bool
page_pass(struct page_writer *w, const char *sort, bool descending, json_t *j_pre, int *pre_seen,
          int *total, char *err, size_t err_size)
{
    json_t *j_seen = json_object();
    char cursor[600] = "", path[800], last[128] = "";
    const char *name = sort ? sort : "default";
    int pages = 0;
    *pre_seen = 0;
    *total = 0;
    err[0] = '\0';
    do {
        struct http_resp r;
        snprintf(path, sizeof path, "/v1/cases?tag=pagetest&limit=%d%s%s%s%s", PAGE_LIMIT,
                 sort ? "&sort=" : "", sort ? sort : "", cursor[0] ? "&cursor=" : "", cursor);
        long status = http_json(&h, "GET", path, NULL, NULL, &r);
        json_t *j_items = json_object_get(r.j, "items");
        const char *next = tl_str(r.j, "next_cursor");
        size_t i;
        json_t *item;
        if (status != 200 || !json_is_array(j_items))
            snprintf(err, err_size, "sort %s page %d: answered %ld", name, pages, status);
        else if (json_array_size(j_items) > PAGE_LIMIT)
            snprintf(err, err_size, "sort %s page %d: %zu items", name, pages,
                     json_array_size(j_items));
        else if (next == NULL && !json_is_null(json_object_get(r.j, "next_cursor")))
            snprintf(err, err_size, "sort %s page %d: next_cursor neither text nor null", name,
                     pages);
        json_array_foreach(j_items, i, item)
        {
            const char *id = tl_str(item, "id");
            char order[128];
            if (err[0])
                break;
            if (json_object_get(j_seen, id) != NULL) {
                snprintf(err, err_size, "sort %s page %d: id %s seen twice", name, pages, id);
                break;
            }
            json_object_set_new(j_seen, id, json_true());
            if (json_object_get(j_pre, id) != NULL)
                (*pre_seen)++;
            (*total)++;
            /* keyset order holds across page boundaries */
            snprintf(order, sizeof order, "%s %s", tl_str(item, "created_at"), id);
            if (last[0] && (descending ? strcmp(order, last) >= 0 : strcmp(order, last) <= 0)) {
                snprintf(err, err_size, "sort %s: %s came after %s", name, order, last);
                break;
            }
            snprintf(last, sizeof last, "%s", order);
        }
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        http_resp_cleanup(&r);
        pages++;
        page_fetched(w);
    } while (!err[0] && cursor[0] && pages < 50);
    if (!err[0] && pages >= 50)
        snprintf(err, err_size, "sort %s: still paging after %d pages", name, pages);
    json_decref(j_seen);
    return err[0] == '\0';
}

static void
test_case_list_pagination_stable_under_concurrent_inserts(void **state)
{
    (void)state;
    struct page_writer w = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    json_t *j_pre = json_object();
    pthread_t writer;
    int pre_seen[2], total[2], created_before[2], created_after[2];
    const char *sorts[2] = {NULL, "created_at"}; /* the default is -created_at */

    for (int i = 0; i < PAGE_PRE; i++) {
        char title[64];
        snprintf(title, sizeof title, "Before paging %d", i);
        char *id = create_case(title, "pagetest");
        json_object_set_new(j_pre, id, json_true());
        free(id);
    }
    assert_int_equal(json_object_size(j_pre), PAGE_PRE);

    char err[2][256] = {"", ""};
    assert_int_equal(pthread_create(&writer, NULL, page_writer_main, &w), 0);
    for (int p = 0; p < 2; p++) {
        created_before[p] = writer_created(&w);
        page_pass(&w, sorts[p], p == 0, j_pre, &pre_seen[p], &total[p], err[p], sizeof err[p]);
        created_after[p] = writer_created(&w);
    }
    pthread_mutex_lock(&w.lock);
    w.reader_done = true;
    pthread_cond_broadcast(&w.cond);
    pthread_mutex_unlock(&w.lock);
    pthread_join(writer, NULL);

    for (int i = 0; i < PAGE_NEW; i++)
        if (w.status[i] != 201)
            fail_msg("writer create #%d answered %ld, expected 201", i, w.status[i]);
    for (int p = 0; p < 2; p++) {
        if (err[p][0])
            fail_msg("%s", err[p]);
        /* inserts really landed while this pass paged */
        assert_true(created_after[p] > created_before[p]);
        /* every case that existed before is seen, none twice (checked per page) */
        assert_int_equal(pre_seen[p], PAGE_PRE);
        assert_true(total[p] >= PAGE_PRE && total[p] <= PAGE_PRE + PAGE_NEW);
    }

    char expected[16];
    snprintf(expected, sizeof expected, "%d", PAGE_PRE + PAGE_NEW);
    sql_expect("SELECT count(*) FROM cases WHERE tags @> ARRAY['pagetest']", expected);

    /* and with the writer gone, one pass sees every one of them exactly once */
    int all_seen, all_total;
    if (!page_pass(&w, "created_at", false, j_pre, &all_seen, &all_total, err[0], sizeof err[0]))
        fail_msg("%s", err[0]);
    assert_int_equal(all_seen, PAGE_PRE);
    assert_int_equal(all_total, PAGE_PRE + PAGE_NEW);

    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    json_decref(j_pre);
}

/*
 * Open every connection of the pool up front. Connections open lazily, and
 * opening one takes far longer than a request: racers that each had to
 * connect first would arrive one after the other, and the race would not
 * happen.
 */
static void
warm_pool(void)
{
    struct store_conn *c[POOL_SIZE];
    int n = 0;
    for (; n < POOL_SIZE; n++)
        if (store_pool_acquire(h.app.pool, &c[n]) != 0)
            break;
    for (int i = 0; i < n; i++)
        store_pool_release(h.app.pool, c[i]);
    if (n != POOL_SIZE)
        fail_msg("could open only %d of %d pool connections", n, POOL_SIZE);
}

static int
setup(void **state)
{
    (void)state;
    char size[16];
    /* enough connections for the racing writers: each waits on a row lock, not on the pool */
    snprintf(size, sizeof size, "%d", POOL_SIZE);
    setenv("CAPA_DB_POOL_SIZE", size, 1);
    harness_start(&h, "api_concurrency");
    warm_pool();
    return 0;
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
        cmocka_unit_test_setup_teardown(test_case_create_concurrent_keys_unique_gapless, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_case_patch_concurrent_same_if_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_transition_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case_create_concurrent_same_idempotency_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_case_list_pagination_stable_under_concurrent_inserts,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
