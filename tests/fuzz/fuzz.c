/* fuzz.c - helpers shared by the fuzz targets (fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mem.h"

__attribute__((weak)) void
fuzz_init(void)
{
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mem_install_jansson();
    fuzz_init();
    return 0;
}

json_t *
fuzz_json_body(const uint8_t *data, size_t size)
{
    /* api_body_json: json_loadb, duplicates rejected, an object or array at the top */
    return json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
}

bool
fuzz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *an, const uint8_t **b,
           size_t *bn)
{
    size_t sep = strlen(FUZZ_SEPARATOR);
    const uint8_t *p = size >= sep ? memmem(data, size, FUZZ_SEPARATOR, sep) : NULL;

    *a = data;
    if (p == NULL) {
        *an = size;
        *b = data + size;
        *bn = 0;
        return false;
    }
    *an = (size_t)(p - data);
    *b = p + sep;
    *bn = size - *an - sep;
    return true;
}

char *
fuzz_text(const uint8_t *data, size_t size)
{
    size_t n = strnlen((const char *)data, size);
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

void
fuzz_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "fuzz: property failed at %s:%d: %s\n", file, line, what);
    abort();
}

static bool
nonempty_string(const json_t *j)
{
    return json_is_string(j) && json_string_length(j) > 0;
}

void
fuzz_errors_ok(int rc, const json_t *j_errors, size_t n_before, const char *what)
{
    size_t n = json_array_size(j_errors);

    if ((rc == ERR_OK) != (n == n_before)) {
        fprintf(stderr, "fuzz: %s returned %d with %zu new error entries\n", what, rc,
                n - n_before);
        abort();
    }
    for (size_t i = n_before; i < n; i++) {
        const json_t *e = json_array_get(j_errors, i);
        FUZZ_CHECK(json_is_object(e) && json_object_size(e) == 3);
        FUZZ_CHECK(json_is_string(json_object_get(e, "field")));
        FUZZ_CHECK(nonempty_string(json_object_get(e, "code")));
        FUZZ_CHECK(nonempty_string(json_object_get(e, "detail")));
    }
}

/* The largest SLA in days that wf_definition_parse accepts. */
#define SLA_DAYS_MAX 3650

/* The case's editable fields and kind, as a create body. New reference. */
static json_t *
case_as_body(const struct case_record *rec)
{
    json_t *j = case_editable_json(rec);
    FUZZ_CHECK(j != NULL);
    FUZZ_CHECK(json_object_set_new(j, "kind", json_string(case_kind_text(rec->kind))) == 0);
    return j;
}

void
fuzz_case_ok(struct case_record *rec)
{
    struct case_record again = {0};
    json_t *j_body = case_as_body(rec), *j_errors = json_array(), *j_full = case_to_json(rec);
    json_t *j_again = NULL;
    char key[CASE_KEY_LEN];

    FUZZ_CHECK(rec->title != NULL && rec->description != NULL && rec->reported_by != NULL);
    FUZZ_CHECK(json_is_array(rec->j_tags) && json_is_array(rec->j_clause_refs) &&
               json_is_array(rec->j_external_refs));
    FUZZ_CHECK(case_severity_allowed(rec->kind, rec->severity));
    FUZZ_CHECK(rec->detected_at[0] != '\0');
    FUZZ_CHECK(j_full != NULL);

    /* what the service stores reads back as the same case */
    int rc = case_input_decode(j_body, &again, j_errors);
    fuzz_errors_ok(rc, j_errors, 0, "case_input_decode of an accepted case");
    FUZZ_CHECK(rc == ERR_OK);
    j_again = case_as_body(&again);
    FUZZ_CHECK(json_equal(j_body, j_again));

    /* uc_case_create and uc_case_update answer 500 when these fail */
    FUZZ_CHECK(case_due_dates(rec, SLA_DAYS_MAX, -1) == ERR_OK);
    FUZZ_CHECK(case_due_dates(rec, -1, -1) == ERR_OK && case_next_due(rec)[0] == '\0');
    FUZZ_CHECK(case_due_dates(rec, 0, SLA_DAYS_MAX) == ERR_OK);
    FUZZ_CHECK(strcmp(rec->contain_due_at, rec->detected_at) == 0);

    FUZZ_CHECK(case_key_format(rec->kind, 2026, 42, key) == ERR_OK && case_key_valid(key));

    case_record_cleanup(&again);
    json_decref(j_again);
    json_decref(j_full);
    json_decref(j_errors);
    json_decref(j_body);
}

static bool
known(const char *const *names, const char *key)
{
    for (; *names; names++)
        if (strcmp(*names, key) == 0)
            return true;
    return false;
}

void
fuzz_case_members_ok(const json_t *j_body, bool create)
{
    static const char *const editable[] = {"title",       "description",   "source", "severity",
                                           "detected_at", "reported_by",   "owner",  "tags",
                                           "clause_refs", "external_refs", NULL};
    static const char *const ref[] = {"system", "key", "url", NULL};
    const char *key;
    json_t *v, *item;
    size_t i;

    json_object_foreach((json_t *)j_body, key, v)
    {
        FUZZ_CHECK(known(editable, key) || (create && strcmp(key, "kind") == 0));
    }
    json_array_foreach(json_object_get(j_body, "external_refs"), i, item)
    {
        json_object_foreach(item, key, v)
        {
            FUZZ_CHECK(known(ref, key));
        }
    }
}
