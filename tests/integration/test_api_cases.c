/*
 * test_api_cases.c - the cases API over real HTTP against a real database:
 * the lifecycle, every error status, list filters and pagination, history
 * and its verification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "testlib.h"

static struct harness h;

/* Create a case; returns its id (caller frees). */
static char *
create_case(const char *title, const char *severity)
{
    struct http_resp r;
    char *body = harness_case_body(title, severity);
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
    char *id = strdup(tl_str(r.j, "id"));
    free(body);
    http_resp_cleanup(&r);
    return id;
}

static void
test_case_lifecycle_happy_path(void **state)
{
    (void)state;
    struct http_resp r;
    char path[256], etag[80];
    const char *body = "{\"kind\":\"nonconformity\",\"title\":\"Backups not tested\","
                       "\"description\":\"Restore tests skipped for 3 months\","
                       "\"source\":\"internal_audit\",\"severity\":\"major\","
                       "\"detected_at\":\"2026-11-20T10:00:00+02:00\","
                       "\"reported_by\":\"auditor@example.com\",\"owner\":\"ops-lead\","
                       "\"tags\":[\"backup\"],\"clause_refs\":[\"8.1\",\"A.8.13\"],"
                       "\"external_refs\":[{\"system\":\"jira\",\"key\":\"SEC-1\","
                       "\"url\":\"https://jira.example.com/browse/SEC-1\"}]}";

    /* create */
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 201);
    char *id = strdup(tl_str(r.j, "id"));
    char *key = strdup(tl_str(r.j, "key"));
    assert_string_equal(r.etag, "\"1\"");
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    assert_string_equal(r.location, path);
    assert_string_equal(tl_str(r.j, "status"), "reported");
    assert_int_equal(tl_int(r.j, "version"), 1);
    assert_string_equal(tl_str(r.j, "detected_at"), "2026-11-20T08:00:00.000000Z");
    /* major: contain in 2 days, close in 30, from detection */
    assert_string_equal(tl_str(r.j, "contain_due_at"), "2026-11-22T08:00:00.000000Z");
    assert_string_equal(tl_str(r.j, "close_due_at"), "2026-12-20T08:00:00.000000Z");
    assert_true(strncmp(key, "NC-", 3) == 0);
    http_resp_cleanup(&r);

    /* read by id and by key, conditional read */
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "key"), key);
    assert_string_equal(r.etag, "\"1\"");
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s", key);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "id"), id);
    http_resp_cleanup(&r);
    const char *inm[] = {"If-None-Match: \"1\"", NULL};
    assert_int_equal(http_do(&h, "GET", path, inm, NULL, 0, &r), 304);
    assert_int_equal(r.body_len, 0);
    http_resp_cleanup(&r);

    /* list finds it */
    assert_int_equal(http_json(&h, "GET", "/v1/cases?tag=backup&severity=major", NULL, NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 1);
    http_resp_cleanup(&r);

    /* patch */
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    assert_int_equal(
        http_json(&h, "PATCH", path, "\"1\"", "{\"owner\":\"ciso\",\"tags\":null}", &r), 200);
    assert_string_equal(tl_str(r.j, "owner"), "ciso");
    assert_int_equal(json_array_size(json_object_get(r.j, "tags")), 0);
    assert_int_equal(tl_int(r.j, "version"), 2);
    assert_string_equal(r.etag, "\"2\"");
    snprintf(etag, sizeof etag, "%s", r.etag);
    http_resp_cleanup(&r);

    /* transitions on offer: contained needs a correction, rejected a comment */
    snprintf(path, sizeof path, "/v1/cases/%s/transitions", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "status"), "reported");
    assert_int_equal(json_array_size(json_object_get(r.j, "transitions")), 2);
    http_resp_cleanup(&r);

    /* the workflow refuses contained: the guard is named */
    assert_int_equal(http_json(&h, "POST", path, etag, "{\"to\":\"contained\"}", &r), 409);
    tl_assert_problem(&r, 409, "transition-not-allowed");
    assert_string_equal(tl_str(r.j, "current_status"), "reported");
    json_t *j_unmet = json_array_get(json_object_get(r.j, "unmet_guards"), 0);
    assert_string_equal(tl_str(j_unmet, "guard"), "has_correction");
    assert_int_equal(json_array_size(json_object_get(r.j, "allowed_transitions")), 2);
    http_resp_cleanup(&r);

    /* rejected without a comment: refused by comment_given */
    assert_int_equal(http_json(&h, "POST", path, etag, "{\"to\":\"rejected\"}", &r), 409);
    j_unmet = json_array_get(json_object_get(r.j, "unmet_guards"), 0);
    assert_string_equal(tl_str(j_unmet, "guard"), "comment_given");
    http_resp_cleanup(&r);

    /* a move the workflow does not have */
    assert_int_equal(http_json(&h, "POST", path, etag, "{\"to\":\"closed\"}", &r), 409);
    assert_int_equal(json_array_size(json_object_get(r.j, "unmet_guards")), 0);
    http_resp_cleanup(&r);

    /* rejected with a comment */
    assert_int_equal(http_json(&h, "POST", path, etag,
                               "{\"to\":\"rejected\",\"comment\":\"duplicate of NC-2026-0001\"}",
                               &r),
                     200);
    assert_string_equal(tl_str(r.j, "status"), "rejected");
    assert_int_equal(tl_int(r.j, "version"), 3);
    assert_non_null(tl_str(r.j, "closed_at"));
    assert_false(json_is_true(json_object_get(r.j, "overdue")));
    http_resp_cleanup(&r);

    /* terminal: nothing further */
    assert_int_equal(http_json(&h, "POST", path, "\"3\"", "{\"to\":\"reported\"}", &r), 409);
    http_resp_cleanup(&r);

    /* history: three rows, chained, with the changes */
    snprintf(path, sizeof path, "/v1/cases/%s/history", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    json_t *j_items = json_object_get(r.j, "items");
    assert_int_equal(json_array_size(j_items), 3);
    const char *types[] = {"capa.case.created", "capa.case.updated", "capa.case.transitioned"};
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(j_items, i);
        assert_string_equal(tl_str(e, "type"), types[i]);
        assert_int_equal(tl_int(e, "sequence"), (json_int_t)i + 1);
        assert_string_equal(tl_str(json_object_get(e, "actor"), "kind"), "api_key");
        assert_int_equal(tl_int(json_object_get(json_object_get(e, "data"), "case"), "version"),
                         (json_int_t)i + 1);
        if (i > 0)
            assert_string_equal(tl_str(e, "prev_hash"),
                                tl_str(json_array_get(j_items, i - 1), "hash"));
    }
    json_t *j_changes =
        json_object_get(json_object_get(json_array_get(j_items, 1), "data"), "changes");
    assert_string_equal(tl_str(json_object_get(j_changes, "owner"), "before"), "ops-lead");
    assert_string_equal(tl_str(json_object_get(j_changes, "owner"), "after"), "ciso");
    json_t *j_tr =
        json_object_get(json_object_get(json_array_get(j_items, 2), "data"), "transition");
    assert_string_equal(tl_str(j_tr, "from"), "reported");
    assert_string_equal(tl_str(j_tr, "to"), "rejected");
    assert_string_equal(tl_str(j_tr, "comment"), "duplicate of NC-2026-0001");
    assert_true(json_is_null(json_object_get(r.j, "next_after")));
    http_resp_cleanup(&r);

    /* history paging */
    snprintf(path, sizeof path, "/v1/cases/%s/history?limit=2", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 2);
    assert_int_equal(tl_int(r.j, "next_after"), 2);
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/history?after=2", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 1);
    http_resp_cleanup(&r);
    /* integers are digits only: strtol would take " 2" and "+2" */
    static const char *const not_digits[] = {"limit=%202", "limit=%2B2", "after=%202", "after=2%20",
                                             "limit=2e0"};
    for (size_t i = 0; i < sizeof not_digits / sizeof not_digits[0]; i++) {
        snprintf(path, sizeof path, "/v1/cases/%s/history?%s", id, not_digits[i]);
        assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 400);
        http_resp_cleanup(&r);
    }

    /* verify */
    snprintf(path, sizeof path, "/v1/cases/%s/history/verify", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_true(json_is_true(json_object_get(r.j, "valid")));
    assert_int_equal(tl_int(r.j, "events"), 3);
    http_resp_cleanup(&r);

    free(id);
    free(key);
}

static void
test_case_history_verify_detects_tampering(void **state)
{
    (void)state;
    struct http_resp r;
    char path[256], sql[512];
    char *id = create_case("Tamper target", "minor");

    snprintf(path, sizeof path, "/v1/cases/%s", id);
    assert_int_equal(http_json(&h, "PATCH", path, "\"1\"", "{\"title\":\"Renamed\"}", &r), 200);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PATCH", path, "\"2\"", "{\"owner\":\"bob\"}", &r), 200);
    http_resp_cleanup(&r);

    /* the log refuses updates and deletes... */
    snprintf(sql, sizeof sql, "UPDATE case_events SET type = 'x' WHERE case_id = '%s'", id);
    char *v = harness_sql(&h, sql);
    assert_string_equal(v, "ERROR");
    free(v);
    snprintf(sql, sizeof sql, "DELETE FROM case_events WHERE case_id = '%s'", id);
    v = harness_sql(&h, sql);
    assert_string_equal(v, "ERROR");
    free(v);
    /* ...but the relay's column may change */
    snprintf(sql, sizeof sql,
             "UPDATE case_events SET published_at = now() WHERE case_id = '%s' RETURNING 'ok'", id);
    v = harness_sql(&h, sql);
    assert_string_equal(v, "ok");
    free(v);

    /* a superuser who disables the trigger can alter a row: verify finds it */
    snprintf(sql, sizeof sql,
             "ALTER TABLE case_events DISABLE TRIGGER case_events_append_only; "
             "UPDATE case_events SET data = replace(data::text, 'Renamed', 'Innocent')::json "
             " WHERE case_id = '%s' AND sequence = 2; "
             "ALTER TABLE case_events ENABLE TRIGGER case_events_append_only",
             id);
    free(harness_sql(&h, sql));
    snprintf(path, sizeof path, "/v1/cases/%s/history/verify", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_false(json_is_true(json_object_get(r.j, "valid")));
    assert_int_equal(tl_int(r.j, "first_invalid_sequence"), 2);
    assert_non_null(strstr(tl_str(r.j, "reason"), "altered"));
    assert_true(json_is_null(json_object_get(r.j, "head")));
    http_resp_cleanup(&r);

    /* removing the last row is found too */
    char *id2 = create_case("Truncation target", "minor");
    snprintf(path, sizeof path, "/v1/cases/%s", id2);
    assert_int_equal(http_json(&h, "PATCH", path, "\"1\"", "{\"title\":\"Second\"}", &r), 200);
    http_resp_cleanup(&r);
    snprintf(sql, sizeof sql,
             "ALTER TABLE case_events DISABLE TRIGGER case_events_append_only; "
             "DELETE FROM case_events WHERE case_id = '%s' AND sequence = 2; "
             "ALTER TABLE case_events ENABLE TRIGGER case_events_append_only",
             id2);
    free(harness_sql(&h, sql));
    snprintf(path, sizeof path, "/v1/cases/%s/history/verify", id2);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_false(json_is_true(json_object_get(r.j, "valid")));
    assert_int_equal(tl_int(r.j, "first_invalid_sequence"), 2);
    http_resp_cleanup(&r);
    free(id);
    free(id2);
}

/* A damaged row is refused and logged, one way: never read as an empty list. */
static void
test_case_damaged_row_refused_and_logged(void **state)
{
    (void)state;
    struct http_resp r;
    struct tl_capture cap;
    char path[256], sql[256];
    char *id = create_case("Damaged refs", "minor");

    /* only a superuser can write this: jsonb takes it, capad must not read it as [] */
    snprintf(sql, sizeof sql, "UPDATE cases SET external_refs = '{\"x\": 1}' WHERE id = '%s'", id);
    free(harness_sql(&h, sql));
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    const char *const extra[] = {"X-Request-Id: damaged-1", NULL};
    tl_stderr_begin(&cap);
    long status = http_json_with(&h, "GET", path, NULL, NULL, extra, &r);
    char *text = tl_stderr_end(&cap);
    assert_int_equal(status, 500);
    tl_assert_problem(&r, 500, "internal");
    http_resp_cleanup(&r);
    json_t *j = tl_log_line(text, "damaged-1", "case ");
    if (j == NULL || strstr(tl_str(j, "msg"), "damaged") == NULL)
        fail_msg("no log line naming the damaged case for request damaged-1:\n%s", text);
    assert_non_null(strstr(tl_str(j, "msg"), id));
    json_decref(j);
    /* repaired, it reads again (and the lists of the next tests do not fail on it) */
    snprintf(sql, sizeof sql, "UPDATE cases SET external_refs = '[]' WHERE id = '%s'", id);
    free(harness_sql(&h, sql));
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    http_resp_cleanup(&r);
    free(text);
    free(id);
}

static void
test_case_errors_each_status(void **state)
{
    (void)state;
    struct http_resp r;
    char path[256];
    char *id = create_case("Error target", "minor");
    snprintf(path, sizeof path, "/v1/cases/%s", id);

    /* 400: malformed JSON, bad query, bad If-Match, bad Idempotency-Key */
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, "{\"kind\":", &r), 400);
    tl_assert_problem(&r, 400, "bad-request");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/cases?limit=1000", NULL, NULL, &r), 400);
    assert_true(tl_has_field_error(r.j, "limit", "invalid"));
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/cases?limit=%201", NULL, NULL, &r), 400);
    assert_true(tl_has_field_error(r.j, "limit", "invalid"));
    http_resp_cleanup(&r);
    assert_int_equal(
        http_json(&h, "GET", "/v1/cases?status=reported&status=closed", NULL, NULL, &r), 400);
    http_resp_cleanup(&r);
    char with_query[300];
    snprintf(with_query, sizeof with_query, "%s?id=other", path);
    assert_int_equal(http_json(&h, "GET", with_query, NULL, NULL, &r), 400);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PATCH", path, "W/\"1\"", "{\"title\":\"x\"}", &r), 400);
    http_resp_cleanup(&r);
    /* not the tag of version 1: tags compare character by character */
    assert_int_equal(http_json(&h, "PATCH", path, "\"01\"", "{\"title\":\"x\"}", &r), 400);
    http_resp_cleanup(&r);
    /* a detail or field quoting a name or value cut inside a UTF-8 character: still a 400 */
    char cut[400];
    snprintf(cut, sizeof cut, "%s?a", path);
    for (int i = 0; i < 40; i++)
        strcat(cut, "%C3%A9");
    strcat(cut, "=1");
    assert_int_equal(http_json(&h, "GET", cut, NULL, NULL, &r), 400);
    tl_assert_problem(&r, 400, "bad-request");
    http_resp_cleanup(&r);
    snprintf(cut, sizeof cut, "/v1/cases?status=%063d%%C3%%A9%%C3%%A9", 0);
    assert_int_equal(http_json(&h, "GET", cut, NULL, NULL, &r), 400);
    assert_true(tl_has_field_error(r.j, "status", "invalid"));
    http_resp_cleanup(&r);
    const char *bad_key[] = {"Content-Type: application/json", "Idempotency-Key: has space", NULL};
    char *body = harness_case_body("x", "minor");
    assert_int_equal(http_do(&h, "POST", "/v1/cases", bad_key, body, strlen(body), &r), 400);
    http_resp_cleanup(&r);

    /* 404 */
    assert_int_equal(
        http_json(&h, "GET", "/v1/cases/00000000-0000-4000-8000-000000000000", NULL, NULL, &r),
        404);
    tl_assert_problem(&r, 404, "not-found");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/cases/NC-1999-0001", NULL, NULL, &r), 404);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/cases/..%2F..%2Fetc%2Fpasswd", NULL, NULL, &r), 404);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/nothing", NULL, NULL, &r), 404);
    http_resp_cleanup(&r);

    /* 405 with Allow */
    assert_int_equal(http_json(&h, "DELETE", path, NULL, NULL, &r), 405);
    tl_assert_problem(&r, 405, "method-not-allowed");
    assert_string_equal(r.allow, "GET, PATCH");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PUT", "/v1/cases", NULL, "{}", &r), 405);
    assert_string_equal(r.allow, "POST, GET");
    http_resp_cleanup(&r);
    /* methods are case-sensitive */
    assert_int_equal(http_json(&h, "get", "/v1/cases", NULL, NULL, &r), 405);
    assert_string_equal(r.allow, "POST, GET");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "Delete", "/v1/cases", NULL, NULL, &r), 405);
    http_resp_cleanup(&r);

    /* 412 with the current ETag, 428 */
    assert_int_equal(http_json(&h, "PATCH", path, "\"7\"", "{\"title\":\"x\"}", &r), 412);
    tl_assert_problem(&r, 412, "precondition-failed");
    assert_string_equal(r.etag, "\"1\"");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PATCH", path, NULL, "{\"title\":\"x\"}", &r), 428);
    tl_assert_problem(&r, 428, "precondition-required");
    http_resp_cleanup(&r);
    char tpath[300];
    snprintf(tpath, sizeof tpath, "%s/transitions", path);
    assert_int_equal(http_json(&h, "POST", tpath, NULL, "{\"to\":\"rejected\"}", &r), 428);
    http_resp_cleanup(&r);

    /* 413: one byte over the limit (CAPA_MAX_BODY_BYTES=4096 in main) */
    size_t big = 4097;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, huge, &r), 413);
    tl_assert_problem(&r, 413, "payload-too-large");
    http_resp_cleanup(&r);
    huge[big - 2] = '}';
    huge[big - 1] = '\0'; /* exactly at the limit: parsed, then refused as invalid */
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, huge, &r), 422);
    http_resp_cleanup(&r);
    free(huge);

    /* 415 */
    const char *text[] = {"Content-Type: text/plain", NULL};
    assert_int_equal(http_do(&h, "POST", "/v1/cases", text, body, strlen(body), &r), 415);
    tl_assert_problem(&r, 415, "unsupported-media-type");
    http_resp_cleanup(&r);
    const char *json_patch[] = {"Content-Type: application/json", "If-Match: \"1\"", NULL};
    assert_int_equal(http_do(&h, "PATCH", path, json_patch, "{}", 2, &r), 415);
    http_resp_cleanup(&r);

    /* 422: per-field errors, read-only and unknown fields */
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL,
                               "{\"kind\":\"nonconformity\",\"title\":\"\",\"source\":\"rumour\","
                               "\"severity\":\"none\",\"detected_at\":\"yesterday\","
                               "\"status\":\"closed\",\"colour\":\"red\"}",
                               &r),
                     422);
    tl_assert_problem(&r, 422, "validation");
    assert_true(tl_has_field_error(r.j, "title", "required"));
    assert_true(tl_has_field_error(r.j, "source", "enum"));
    assert_true(tl_has_field_error(r.j, "severity", "enum"));
    assert_true(tl_has_field_error(r.j, "detected_at", "format"));
    assert_true(tl_has_field_error(r.j, "reported_by", "required"));
    assert_true(tl_has_field_error(r.j, "status", "read_only"));
    assert_true(tl_has_field_error(r.j, "colour", "unknown"));
    http_resp_cleanup(&r);
    /* a detection so late that its due dates (+90 days for minor) would pass 9999 */
    char *late = harness_case_body("Too late", "minor");
    char *at = strstr(late, "2026-11-20T10:00:00Z");
    memcpy(at, "9999-12-31", 10);
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, late, &r), 422);
    assert_true(tl_has_field_error(r.j, "detected_at", "range"));
    http_resp_cleanup(&r);
    free(late);
    assert_int_equal(
        http_json(&h, "PATCH", path, "\"1\"", "{\"detected_at\":\"9999-12-31T00:00:00Z\"}", &r),
        422);
    assert_true(tl_has_field_error(r.j, "detected_at", "range"));
    http_resp_cleanup(&r);
    const char *ro[] = {"status", "key", "version", "kind", "created_at"};
    for (size_t i = 0; i < 5; i++) {
        char patch[96];
        snprintf(patch, sizeof patch, "{\"%s\":\"x\"}", ro[i]);
        assert_int_equal(http_json(&h, "PATCH", path, "\"1\"", patch, &r), 422);
        assert_true(tl_has_field_error(r.j, ro[i], "read_only"));
        http_resp_cleanup(&r);
    }
    /* nothing changed by all of the above */
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_int_equal(tl_int(r.j, "version"), 1);
    assert_string_equal(tl_str(r.j, "title"), "Error target");
    http_resp_cleanup(&r);
    free(body);
    free(id);
}

static void
test_case_create_idempotent_retry(void **state)
{
    (void)state;
    struct http_resp r1, r2, r3;
    char *body = harness_case_body("Idempotent", "minor");
    /* the same JSON value in another layout is the same request */
    json_t *j = json_loads(body, 0, NULL);
    char *relaid = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    const char *hd[] = {"Content-Type: application/json", "Idempotency-Key: retry-1", NULL};

    assert_int_equal(http_do(&h, "POST", "/v1/cases", hd, body, strlen(body), &r1), 201);
    assert_int_equal(http_do(&h, "POST", "/v1/cases", hd, relaid, strlen(relaid), &r2), 201);
    assert_string_equal(tl_str(r1.j, "id"), tl_str(r2.j, "id"));
    assert_string_equal(tl_str(r1.j, "key"), tl_str(r2.j, "key"));
    assert_string_equal(r2.replayed, "true");
    assert_string_equal(r1.replayed, "");
    char *other = harness_case_body("Idempotent but different", "minor");
    assert_int_equal(http_do(&h, "POST", "/v1/cases", hd, other, strlen(other), &r3), 422);
    tl_assert_problem(&r3, 422, "idempotency-key-reused");
    char *count = harness_sql(&h, "SELECT count(*) FROM cases WHERE title LIKE 'Idempotent%'");
    assert_string_equal(count, "1");
    free(count);
    http_resp_cleanup(&r1);
    http_resp_cleanup(&r2);
    http_resp_cleanup(&r3);
    free(body);
    free(relaid);
    free(other);
    json_decref(j);
}

static void
test_case_list_filters_and_sort(void **state)
{
    (void)state;
    struct http_resp r;
    const char *improvement = "{\"kind\":\"improvement\",\"title\":\"Automate access reviews\","
                              "\"description\":\"quarterly spreadsheets are slow\","
                              "\"source\":\"management_review\","
                              "\"detected_at\":\"2026-01-15\","
                              "\"reported_by\":\"ciso\",\"tags\":[\"iam\"],"
                              "\"clause_refs\":[\"A.5.18\"]}";
    /* a date without a time is not a date-time */
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, improvement, &r), 422);
    http_resp_cleanup(&r);
    char *fixed = strdup(improvement);
    char *p = strstr(fixed, "2026-01-15");
    memcpy(p, "2026-01-15", 10);
    json_t *j = json_loads(fixed, 0, NULL);
    json_object_set_new(j, "detected_at", json_string("2026-01-15T09:00:00Z"));
    char *ok = json_dumps(j, JSON_COMPACT);
    assert_int_equal(http_json(&h, "POST", "/v1/cases", NULL, ok, &r), 201);
    assert_true(strncmp(tl_str(r.j, "key"), "OFI-", 4) == 0);
    assert_string_equal(tl_str(r.j, "severity"), "none");
    assert_string_equal(tl_str(r.j, "status"), "proposed");
    http_resp_cleanup(&r);

    assert_int_equal(
        http_json(&h, "GET", "/v1/cases?kind=improvement&clause_ref=A.5.18", NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 1);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/cases?q=spreadsheets", NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 1);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/cases?q=spreadsheet+quarterly&kind=nonconformity",
                               NULL, NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 0);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET",
                               "/v1/cases?detected_after=2026-01-01&detected_before=2026-02-01",
                               NULL, NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 1);
    http_resp_cleanup(&r);
    /* detected long ago, not contained: overdue */
    assert_int_equal(
        http_json(&h, "GET", "/v1/cases?overdue=true&kind=improvement", NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 1);
    http_resp_cleanup(&r);
    assert_int_equal(
        http_json(&h, "GET", "/v1/cases?status=proposed,reported&source=nope", NULL, NULL, &r),
        400);
    assert_true(tl_has_field_error(r.j, "source", "invalid"));
    http_resp_cleanup(&r);

    /* due-date order: the improvement (due 2026-07) comes before later deadlines */
    assert_int_equal(http_json(&h, "GET", "/v1/cases?sort=due_date&limit=200", NULL, NULL, &r),
                     200);
    json_t *items = json_object_get(r.j, "items");
    assert_true(json_array_size(items) >= 1);
    for (size_t i = 1; i < json_array_size(items); i++) {
        const char *a = tl_str(json_array_get(items, i - 1), "close_due_at");
        const char *b = tl_str(json_array_get(items, i), "close_due_at");
        if (a && b && !tl_str(json_array_get(items, i - 1), "closed_at") &&
            !tl_str(json_array_get(items, i), "closed_at") &&
            json_is_null(json_object_get(json_array_get(items, i), "contain_due_at")) &&
            json_is_null(json_object_get(json_array_get(items, i - 1), "contain_due_at")))
            assert_true(strcmp(a, b) <= 0);
    }
    http_resp_cleanup(&r);
    free(fixed);
    free(ok);
    json_decref(j);
}

static void
test_case_list_pages_with_cursor(void **state)
{
    (void)state;
    struct http_resp r;
    char path[700];
    json_t *j_seen = json_object();

    for (int i = 0; i < 23; i++) {
        char title[64];
        snprintf(title, sizeof title, "Paged %d", i);
        free(create_case(title, "observation"));
    }
    const char *sorts[] = {"-created_at", "created_at", "due_date"};
    for (int s = 0; s < 3; s++) {
        char cursor[600] = "";
        int pages = 0, total = 0;
        json_object_clear(j_seen);
        do {
            snprintf(path, sizeof path, "/v1/cases?severity=observation&limit=5&sort=%s%s%s",
                     sorts[s], cursor[0] ? "&cursor=" : "", cursor);
            assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
            size_t i;
            json_t *item;
            json_array_foreach(json_object_get(r.j, "items"), i, item)
            {
                assert_null(json_object_get(j_seen, tl_str(item, "id")));
                json_object_set_new(j_seen, tl_str(item, "id"), json_true());
                total++;
            }
            const char *next = tl_str(r.j, "next_cursor");
            snprintf(cursor, sizeof cursor, "%s", next ? next : "");
            pages++;
            http_resp_cleanup(&r);
        } while (cursor[0] && pages < 20);
        assert_int_equal(total, 23);
        assert_int_equal(pages, 5);
    }
    /* a cursor of one sort used with another is refused */
    assert_int_equal(http_json(&h, "GET", "/v1/cases?limit=1", NULL, NULL, &r), 200);
    snprintf(path, sizeof path, "/v1/cases?sort=due_date&cursor=%s", tl_str(r.j, "next_cursor"));
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 400);
    assert_true(tl_has_field_error(r.j, "cursor", "invalid"));
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/v1/cases?cursor=bm90LWEtY3Vyc29y", NULL, NULL, &r),
                     400);
    http_resp_cleanup(&r);
    json_decref(j_seen);
}

static void
test_workflows_list_defaults(void **state)
{
    (void)state;
    struct http_resp r;
    assert_int_equal(http_json(&h, "GET", "/v1/workflows", NULL, NULL, &r), 200);
    json_t *items = json_object_get(r.j, "items");
    assert_int_equal(json_array_size(items), 2);
    bool nc = false, ofi = false;
    size_t i;
    json_t *w;
    json_array_foreach(items, i, w)
    {
        const char *kind = tl_str(w, "kind");
        json_t *def = json_object_get(w, "definition");
        if (strcmp(kind, "nonconformity") == 0) {
            nc = true;
            assert_string_equal(tl_str(def, "initial"), "reported");
            assert_string_equal(tl_str(def, "verification"), "verifying");
            assert_string_equal(tl_str(def, "on_not_effective"), "analysed");
        } else if (strcmp(kind, "improvement") == 0) {
            ofi = true;
            assert_string_equal(tl_str(def, "initial"), "proposed");
            assert_string_equal(tl_str(def, "verification"), "implemented");
        }
        /* version 2 of each (sql/0007): reopening, named steps, where verdicts are given */
        assert_int_equal(tl_int(w, "version"), 2);
    }
    assert_true(nc && ofi);
    http_resp_cleanup(&r);
}

static void
test_health_and_openapi(void **state)
{
    (void)state;
    struct http_resp r;
    assert_int_equal(http_json(&h, "GET", "/healthz", NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "status"), "ok");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/readyz", NULL, NULL, &r), 200);
    assert_string_equal(tl_str(json_object_get(r.j, "checks"), "migrations"), "ok");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "GET", "/openapi.yaml", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "openapi: 3.1"));
    assert_string_equal(r.content_type, "application/yaml");
    http_resp_cleanup(&r);
}

static int
setup(void **state)
{
    (void)state;
    setenv("CAPA_MAX_BODY_BYTES", "4096", 1);
    return harness_start(&h, "api_cases");
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
        cmocka_unit_test(test_case_lifecycle_happy_path),
        cmocka_unit_test(test_case_history_verify_detects_tampering),
        cmocka_unit_test(test_case_damaged_row_refused_and_logged),
        cmocka_unit_test(test_case_errors_each_status),
        cmocka_unit_test(test_case_create_idempotent_retry),
        cmocka_unit_test(test_case_list_filters_and_sort),
        cmocka_unit_test(test_case_list_pages_with_cursor),
        cmocka_unit_test(test_workflows_list_defaults),
        cmocka_unit_test(test_health_and_openapi),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
