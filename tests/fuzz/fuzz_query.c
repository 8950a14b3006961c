/*
 * fuzz_query.c - GET /v1/cases: the list query.
 *
 * The input is a query string ("status=open,closed&limit=5"), read into a
 * JSON object of name -> value the way api_query reads one (pairs split at
 * '&' and the first '=', percent-decoded with '+' as a space, bad escapes,
 * %00, control characters, repeated names and invalid UTF-8 refused); or,
 * when it starts with '{', a JSON object of parameters directly (the
 * domain's own contract, values of any type). case_query_parse must then
 * agree with its error list, and a query it accepts must be within its
 * bounds and use every parameter it was given.
 */
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "fuzz.h"
#include "query.h"
#include "uuid.h"

/* api_query with no list of allowed names (as the case list calls it). New reference or NULL. */
static json_t *
query_params(const char *query)
{
    json_t *j = NULL;
    char detail[160];
    int rc = query_string_decode(query, NULL, &j, detail, sizeof detail);
    FUZZ_CHECK((rc == ERR_OK) == (j != NULL));
    FUZZ_CHECK(rc == ERR_OK || (rc == ERR_BAD_REQUEST && detail[0] != '\0'));
    return j;
}

/* Each parameter of an accepted query takes effect: none is ignored. */
static void
check_params_used(const json_t *j_params, const struct case_query *q)
{
    const char *name;
    json_t *v;

    json_object_foreach((json_t *)j_params, name, v)
    {
        const char *s = json_string_value(v);
        FUZZ_CHECK(s != NULL);
        if (strcmp(name, "status") == 0)
            FUZZ_CHECK(q->j_status != NULL);
        else if (strcmp(name, "kind") == 0)
            FUZZ_CHECK(q->j_kind != NULL);
        else if (strcmp(name, "severity") == 0)
            FUZZ_CHECK(q->j_severity != NULL);
        else if (strcmp(name, "source") == 0)
            FUZZ_CHECK(q->j_source != NULL);
        else if (strcmp(name, "owner") == 0)
            FUZZ_CHECK(q->owner != NULL && strcmp(q->owner, s) == 0);
        else if (strcmp(name, "tag") == 0)
            FUZZ_CHECK(q->tag != NULL && strcmp(q->tag, s) == 0);
        else if (strcmp(name, "clause_ref") == 0)
            FUZZ_CHECK(q->clause_ref != NULL && strcmp(q->clause_ref, s) == 0);
        else if (strcmp(name, "control") == 0)
            FUZZ_CHECK(q->control != NULL && strcmp(q->control, s) == 0);
        else if (strcmp(name, "q") == 0)
            FUZZ_CHECK(q->text != NULL && strcmp(q->text, s) == 0);
        else if (strcmp(name, "has_recurrence") == 0)
            FUZZ_CHECK(q->has_recurrence == (strcmp(s, "true") == 0));
        else if (strcmp(name, "overdue") == 0)
            FUZZ_CHECK(q->overdue == (strcmp(s, "true") == 0));
        else if (strcmp(name, "created_after") == 0)
            FUZZ_CHECK(q->created_after[0] != '\0');
        else if (strcmp(name, "created_before") == 0)
            FUZZ_CHECK(q->created_before[0] != '\0');
        else if (strcmp(name, "detected_after") == 0)
            FUZZ_CHECK(q->detected_after[0] != '\0');
        else if (strcmp(name, "detected_before") == 0)
            FUZZ_CHECK(q->detected_before[0] != '\0');
        else if (strcmp(name, "sort") == 0)
            FUZZ_CHECK(strcmp(case_sort_text(q->sort), s) == 0);
        else if (strcmp(name, "limit") == 0)
            FUZZ_CHECK(q->limit == atoi(s));
        else if (strcmp(name, "cursor") == 0)
            FUZZ_CHECK(q->has_cursor);
        else
            fuzz_fail("an unknown parameter was accepted", __FILE__, __LINE__);
    }
}

static void
check_query(const struct case_query *q)
{
    FUZZ_CHECK(q->limit >= 1 && q->limit <= QUERY_LIMIT_MAX);
    FUZZ_CHECK(q->overdue >= -1 && q->overdue <= 1);
    FUZZ_CHECK(q->has_recurrence >= -1 && q->has_recurrence <= 1);
    FUZZ_CHECK(q->sort == CASE_SORT_CREATED_DESC || q->sort == CASE_SORT_CREATED_ASC ||
               q->sort == CASE_SORT_DUE_ASC);
    const json_t *lists[] = {q->j_status, q->j_kind, q->j_severity, q->j_source};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        FUZZ_CHECK(lists[i] == NULL ||
                   (json_array_size(lists[i]) >= 1 && json_array_size(lists[i]) <= 20));
    FUZZ_CHECK(q->text == NULL || (strlen(q->text) >= 1 && strlen(q->text) <= QUERY_TEXT_MAX));
    if (q->has_cursor) {
        FUZZ_CHECK(strcmp(q->after.sort, case_sort_text(q->sort)) == 0);
        FUZZ_CHECK(uuid_valid(q->after.id));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j_params = NULL, *j_errors = json_array();
    struct case_query q;
    char *text = NULL;

    if (size > 0 && data[0] == '{') {
        j_params = fuzz_json_body(data, size);
    } else {
        text = fuzz_text(data, size);
        j_params = query_params(text);
    }
    if (j_params != NULL) {
        int rc = case_query_parse(j_params, &q, j_errors);
        FUZZ_CHECK(rc == ERR_OK || rc == ERR_BAD_REQUEST);
        fuzz_errors_ok(rc, j_errors, 0, "case_query_parse");
        if (rc == ERR_OK) {
            check_query(&q);
            check_params_used(j_params, &q);
        }
        case_query_cleanup(&q);
    }
    free(text);
    json_decref(j_params);
    json_decref(j_errors);
    return 0;
}
