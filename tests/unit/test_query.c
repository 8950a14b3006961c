/* test_query.c - unit tests of service/domain/query.c (the case list query). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
test_case_query_parse_defaults_and_filters(void **state)
{
    (void)state;
    struct case_query q;
    json_t *j_errors = json_array();
    json_t *j = load("{\"status\": \"reported,contained\", \"kind\": \"nonconformity\","
                     " \"limit\": \"5\", \"sort\": \"due_date\", \"overdue\": \"true\"}");
    int rc = case_query_parse(j, &q, j_errors);
    bool ok = rc == ERR_OK && json_array_size(j_errors) == 0 && json_array_size(q.j_status) == 2 &&
              json_array_size(q.j_kind) == 1 && q.j_severity == NULL && q.limit == 5 &&
              q.sort == CASE_SORT_DUE_ASC && q.overdue == 1 && q.has_recurrence == -1 &&
              !q.has_cursor;
    case_query_cleanup(&q);
    json_decref(j_errors);
    json_decref(j);
    assert_true(ok);
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
        cmocka_unit_test(test_case_query_parse_defaults_and_filters),
        cmocka_unit_test(test_case_query_parse_long_bad_list_value_refused),
        cmocka_unit_test(test_query_string_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
