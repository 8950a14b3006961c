/* test_query.c - unit tests of service/domain/query.c (the case list query). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "err.h"
#include "query.h"

static json_t *
load(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

/* Parse j_params (stolen): rc, and whether the only error is field/code. */
static int
parse(json_t *j_params, struct case_query *q, const char *field, const char *code, bool *only)
{
    json_t *j_errors = json_array();
    int rc = case_query_parse(j_params, q, j_errors);
    const json_t *e = json_array_get(j_errors, 0);
    *only = json_array_size(j_errors) == 1 &&
            strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
            strcmp(json_string_value(json_object_get(e, "code")), code) == 0;
    json_decref(j_errors);
    json_decref(j_params);
    return rc;
}

/* Parse a JSON object of parameters that must be valid; fails the test on any error. */
static void
parse_ok(const char *params, struct case_query *q)
{
    json_t *j_errors = json_array(), *j = load(params);
    int rc = case_query_parse(j, q, j_errors);
    if (rc != ERR_OK || json_array_size(j_errors) != 0) {
        char *text = json_dumps(j_errors, JSON_COMPACT);
        fail_msg("%s: rc %d, errors %s", params, rc, text);
    }
    json_decref(j_errors);
    json_decref(j);
}

/* The strings of a JSON array, joined with ",". */
static void
assert_list(const json_t *j_list, const char *want)
{
    char have[256] = "";
    size_t i, off = 0;
    json_t *v;
    assert_true(json_is_array(j_list));
    json_array_foreach(j_list, i, v) off +=
        (size_t)snprintf(have + off, sizeof have - off, "%s%s", i ? "," : "", json_string_value(v));
    assert_string_equal(have, want);
}

static void
test_case_query_parse_defaults(void **state)
{
    (void)state;
    struct case_query q;
    parse_ok("{}", &q);
    assert_null(q.j_status);
    assert_null(q.j_kind);
    assert_null(q.j_severity);
    assert_null(q.j_source);
    assert_null(q.owner);
    assert_null(q.tag);
    assert_null(q.clause_ref);
    assert_null(q.text);
    assert_null(q.control);
    assert_int_equal(q.has_recurrence, -1);
    assert_int_equal(q.overdue, -1);
    assert_string_equal(q.created_after, "");
    assert_string_equal(q.created_before, "");
    assert_string_equal(q.detected_after, "");
    assert_string_equal(q.detected_before, "");
    assert_int_equal(q.sort, CASE_SORT_CREATED_DESC);
    assert_int_equal(q.limit, QUERY_LIMIT_DEFAULT);
    assert_false(q.has_cursor);
    case_query_cleanup(&q);
}

/* Every filter, with the value it means. */
static void
test_case_query_parse_every_filter_value(void **state)
{
    (void)state;
    struct case_query q;
    parse_ok(
        "{\"status\": \"reported,contained\", \"kind\": \"nonconformity,improvement\","
        " \"severity\": \"major\", \"source\": \"internal_audit,incident\","
        " \"owner\": \"Sam Reyes\", \"tag\": \"access-control\", \"clause_ref\": \"A.5.18\","
        " \"control\": \"A.8.8\", \"q\": \"fire wall\", \"has_recurrence\": \"true\","
        " \"overdue\": \"false\", \"created_after\": \"2026-11-01\","
        " \"created_before\": \"2026-11-30T12:00:00+02:00\", \"detected_after\": \"2026-01-01\","
        " \"detected_before\": \"2026-12-31\", \"sort\": \"due_date\", \"limit\": \"200\"}",
        &q);
    assert_list(q.j_status, "reported,contained");
    assert_list(q.j_kind, "nonconformity,improvement");
    assert_list(q.j_severity, "major");
    assert_list(q.j_source, "internal_audit,incident");
    assert_string_equal(q.owner, "Sam Reyes");
    assert_string_equal(q.tag, "access-control");
    assert_string_equal(q.clause_ref, "A.5.18");
    assert_string_equal(q.control, "A.8.8");
    assert_string_equal(q.text, "fire wall");
    assert_int_equal(q.has_recurrence, 1);
    assert_int_equal(q.overdue, 0);
    assert_string_equal(q.created_after, "2026-11-01T00:00:00.000000Z");
    /* any offset, converted to UTC */
    assert_string_equal(q.created_before, "2026-11-30T10:00:00.000000Z");
    assert_string_equal(q.detected_after, "2026-01-01T00:00:00.000000Z");
    assert_string_equal(q.detected_before, "2026-12-31T00:00:00.000000Z");
    assert_int_equal(q.sort, CASE_SORT_DUE_ASC);
    assert_int_equal(q.limit, 200);
    case_query_cleanup(&q);
}

static void
test_case_query_parse_each_sort(void **state)
{
    (void)state;
    const struct {
        const char *text;
        enum case_sort sort;
    } sorts[] = {{"-created_at", CASE_SORT_CREATED_DESC},
                 {"created_at", CASE_SORT_CREATED_ASC},
                 {"due_date", CASE_SORT_DUE_ASC}};
    for (size_t i = 0; i < sizeof sorts / sizeof sorts[0]; i++) {
        struct case_query q;
        char params[64];
        snprintf(params, sizeof params, "{\"sort\": \"%s\"}", sorts[i].text);
        parse_ok(params, &q);
        assert_int_equal(q.sort, sorts[i].sort);
        assert_string_equal(case_sort_text(q.sort), sorts[i].text);
        case_query_cleanup(&q);
    }
}

/* A cursor of the same sort is taken whole; one of another sort, or damaged, is refused. */
static void
test_case_query_parse_cursor(void **state)
{
    (void)state;
    struct cursor c = {"due_date", "2026-12-01T00:00:00.000000Z",
                       "0b7c8a0e-2f41-4c39-9d2a-5d5c6f1a2b3c"};
    char text[CURSOR_MAX], params[CURSOR_MAX + 64];
    struct case_query q;
    bool only;

    assert_int_equal(cursor_encode(&c, text), ERR_OK);
    snprintf(params, sizeof params, "{\"sort\": \"due_date\", \"cursor\": \"%s\"}", text);
    parse_ok(params, &q);
    assert_true(q.has_cursor);
    assert_string_equal(q.after.key, c.key);
    assert_string_equal(q.after.id, c.id);
    case_query_cleanup(&q);
    /* the same cursor under the default sort */
    snprintf(params, sizeof params, "{\"cursor\": \"%s\"}", text);
    assert_int_equal(parse(load(params), &q, "cursor", "invalid", &only), ERR_BAD_REQUEST);
    assert_true(only);
    case_query_cleanup(&q);
    /* a due-date cursor of a case without due date sorts last */
    snprintf(c.key, sizeof c.key, "infinity");
    assert_int_equal(cursor_encode(&c, text), ERR_OK);
    snprintf(params, sizeof params, "{\"sort\": \"due_date\", \"cursor\": \"%s\"}", text);
    parse_ok(params, &q);
    assert_string_equal(q.after.key, "infinity");
    case_query_cleanup(&q);
    /* a key that is no timestamp, an id that is no UUID */
    const char *const damaged[][2] = {{"yesterday", "0b7c8a0e-2f41-4c39-9d2a-5d5c6f1a2b3c"},
                                      {"2026-12-01T00:00:00.000000Z", "not-a-uuid"}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(c.key, sizeof c.key, "%s", damaged[i][0]);
        snprintf(c.id, sizeof c.id, "%s", damaged[i][1]);
        assert_int_equal(cursor_encode(&c, text), ERR_OK);
        snprintf(params, sizeof params, "{\"sort\": \"due_date\", \"cursor\": \"%s\"}", text);
        assert_int_equal(parse(load(params), &q, "cursor", "invalid", &only), ERR_BAD_REQUEST);
        assert_true(only);
        case_query_cleanup(&q);
    }
}

/* Each bad value is refused naming its parameter, with the code and a detail that says why. */
static void
test_case_query_parse_bad_values(void **state)
{
    (void)state;
    const struct {
        const char *params, *field, *code;
    } bad[] = {
        {"{\"status\": \"Reported\"}", "status", "invalid"},
        {"{\"kind\": \"incident\"}", "kind", "invalid"},
        {"{\"severity\": \"critical\"}", "severity", "invalid"},
        {"{\"source\": \"rumour\"}", "source", "invalid"},
        {"{\"owner\": \"a\\u0001b\"}", "owner", "invalid"},
        {"{\"tag\": \"Access Control\"}", "tag", "invalid"},
        {"{\"clause_ref\": \"clause 8\"}", "clause_ref", "invalid"},
        {"{\"control\": \"8.8\"}", "control", "invalid"},
        {"{\"has_recurrence\": \"yes\"}", "has_recurrence", "invalid"},
        {"{\"overdue\": \"1\"}", "overdue", "invalid"},
        {"{\"created_after\": \"last week\"}", "created_after", "invalid"},
        {"{\"detected_before\": \"2026-02-30\"}", "detected_before", "invalid"},
        {"{\"sort\": \"title\"}", "sort", "invalid"},
        {"{\"limit\": \"0\"}", "limit", "invalid"},
        {"{\"limit\": \"201\"}", "limit", "invalid"},
        {"{\"limit\": \"+5\"}", "limit", "invalid"},
        {"{\"limit\": \"5e1\"}", "limit", "invalid"},
        {"{\"cursor\": \"not a cursor\"}", "cursor", "invalid"},
        {"{\"page\": \"2\"}", "page", "unknown"},
        {"{\"limit\": 5}", "limit", "invalid"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct case_query q;
        bool only;
        int rc = parse(load(bad[i].params), &q, bad[i].field, bad[i].code, &only);
        case_query_cleanup(&q);
        if (rc != ERR_BAD_REQUEST || !only)
            fail_msg("%s: rc %d, the only error %s/%s: %d", bad[i].params, rc, bad[i].field,
                     bad[i].code, only);
    }
}

/*
 * Found reading the code behind fuzz_query's error-list check: a list value
 * whose 64th byte is inside a character made the detail "%.64s is not a valid
 * value" invalid UTF-8; json_pack refused it, the error was lost, and the
 * query answered 200 without the filter instead of 400.
 */
static void
test_case_query_parse_long_bad_list_value_refused(void **state)
{
    (void)state;
    static const char *const names[] = {"status", "kind", "severity", "source"};
    char value[80];
    memset(value, 'x', 63);
    snprintf(value + 63, sizeof value - 63, "%s", "\xc3\xa9"); /* é across bytes 64 and 65 */
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct case_query q;
        bool only;
        json_t *j = json_object();
        json_object_set_new(j, names[i], json_string(value));
        int rc = parse(j, &q, names[i], "invalid", &only);
        case_query_cleanup(&q);
        if (rc != ERR_BAD_REQUEST || !only)
            print_error("%s: rc %d, only one error: %d\n", names[i], rc, only);
        assert_int_equal(rc, ERR_BAD_REQUEST);
        assert_true(only);
    }
}

static void
test_query_string_decode(void **state)
{
    (void)state;
    static const char *const allowed[] = {"status", "q", "limit", NULL};
    char detail[160];
    json_t *j = NULL;

    assert_int_equal(query_string_decode("status=open%2Cclosed&q=fire+wall&limit=", allowed, &j,
                                         detail, sizeof detail),
                     ERR_OK);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "open,closed");
    assert_string_equal(json_string_value(json_object_get(j, "q")), "fire wall");
    assert_string_equal(json_string_value(json_object_get(j, "limit")), "");
    json_decref(j);
    assert_int_equal(query_string_decode(NULL, allowed, &j, detail, sizeof detail), ERR_OK);
    assert_int_equal(json_object_size(j), 0);
    json_decref(j);

    const struct {
        const char *qs, *why;
    } bad[] = {
        {"status=a&status=b", "more than once"},
        {"state=open", "not a query parameter"},
        {"q=%zz", "bad escape"},
        {"q=%00", "bad escape"},
        {"q=%0a", "control character"},
        {"q=%ff", "UTF-8"},
        {"q=%c3", "UTF-8"},
        {"q=%2", "bad escape"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = NULL;
        assert_int_equal(query_string_decode(bad[i].qs, allowed, &j, detail, sizeof detail),
                         ERR_BAD_REQUEST);
        assert_null(j);
        if (strstr(detail, bad[i].why) == NULL)
            fail_msg("%s: \"%s\" does not say %s", bad[i].qs, detail, bad[i].why);
    }
    /* any name when nothing is listed */
    assert_int_equal(query_string_decode("anything=1", NULL, &j, detail, sizeof detail), ERR_OK);
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_query_parse_defaults),
        cmocka_unit_test(test_case_query_parse_every_filter_value),
        cmocka_unit_test(test_case_query_parse_each_sort),
        cmocka_unit_test(test_case_query_parse_cursor),
        cmocka_unit_test(test_case_query_parse_bad_values),
        cmocka_unit_test(test_case_query_parse_long_bad_list_value_refused),
        cmocka_unit_test(test_query_string_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
