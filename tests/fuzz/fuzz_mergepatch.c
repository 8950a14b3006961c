/*
 * fuzz_mergepatch.c - JSON Merge Patch, and PATCH /v1/cases/{id}.
 *
 * Input: "<target>\n---\n<patch>", or only "<patch>" (the target is then a
 * valid nonconformity). mergepatch_apply must keep RFC 7386: the target is
 * not modified, a non-object patch replaces it, null removes a member, any
 * other value is merged in, and applying the same patch twice changes
 * nothing more. Then case_patch, as uc_case_update calls it, patches the
 * target when it is a valid case (else the default case): on success the
 * case stays valid and the diff tells what changed; on failure the case is
 * untouched.
 */
#include <stdlib.h>

#include "case.h"
#include "err.h"
#include "fuzz.h"
#include "mergepatch.h"

static const char default_case[] =
    "{\"kind\": \"nonconformity\", \"title\": \"Backups not tested\","
    " \"description\": \"Line one\\nLine two\", \"source\": \"internal_audit\","
    " \"severity\": \"major\", \"detected_at\": \"2026-11-29T10:30:00+02:00\","
    " \"reported_by\": \"alice@example.com\", \"owner\": \"bob@example.com\","
    " \"tags\": [\"backup\", \"it-ops\"], \"clause_refs\": [\"8.1\", \"A.8.13\"],"
    " \"external_refs\": [{\"system\": \"jira\", \"key\": \"SEC-42\","
    " \"url\": \"https://jira.example.com/browse/SEC-42\"}]}";

static void
check_rfc7386(const json_t *target, const json_t *patch)
{
    json_t *j_before = json_deep_copy(target);
    json_t *j_result = mergepatch_apply(target, patch);
    json_t *j_twice = NULL;
    const char *key;
    json_t *v;

    FUZZ_CHECK(j_result != NULL);
    FUZZ_CHECK(json_equal(target, j_before));
    if (!json_is_object(patch)) {
        FUZZ_CHECK(json_equal(j_result, patch));
        goto out;
    }
    FUZZ_CHECK(json_is_object(j_result));
    json_object_foreach((json_t *)patch, key, v)
    {
        json_t *r = json_object_get(j_result, key);
        if (json_is_null(v))
            FUZZ_CHECK(r == NULL);
        else if (json_is_object(v))
            FUZZ_CHECK(json_is_object(r));
        else
            FUZZ_CHECK(json_equal(r, v));
    }
    if (json_is_object(target))
        json_object_foreach((json_t *)target, key, v)
        {
            if (json_object_get(patch, key) == NULL)
                FUZZ_CHECK(json_equal(json_object_get(j_result, key), v));
        }
    j_twice = mergepatch_apply(j_result, patch);
    FUZZ_CHECK(json_equal(j_twice, j_result));
out:
    json_decref(j_twice);
    json_decref(j_result);
    json_decref(j_before);
}

/* Each change in the diff is {"before": old value, "after": new value}; the rest is unchanged. */
static void
check_diff(const json_t *before, const json_t *after, const json_t *diff)
{
    const char *key;
    json_t *v;

    FUZZ_CHECK(json_is_object(diff));
    json_object_foreach((json_t *)after, key, v)
    {
        const json_t *d = json_object_get(diff, key), *b = json_object_get(before, key);
        if (d == NULL) {
            FUZZ_CHECK(json_equal(b, v));
            continue;
        }
        FUZZ_CHECK(json_equal(json_object_get(d, "after"), v));
        FUZZ_CHECK(json_equal(json_object_get(d, "before"), b));
        FUZZ_CHECK(!json_equal(b, v));
    }
}

static void
check_case_patch(const json_t *target, const json_t *patch)
{
    struct case_record rec = {0};
    json_t *j_errors = json_array(), *j_diff = NULL, *j_before = NULL, *j_after = NULL;
    json_t *j_default = NULL;

    if (target == NULL || case_input_decode(target, &rec, j_errors) != ERR_OK) {
        case_record_cleanup(&rec);
        json_array_clear(j_errors);
        j_default = json_loads(default_case, 0, NULL);
        FUZZ_CHECK(case_input_decode(j_default, &rec, j_errors) == ERR_OK);
    }
    j_before = case_to_json(&rec);
    FUZZ_CHECK(j_before != NULL);

    int rc = case_patch(&rec, patch, &j_diff, j_errors);
    fuzz_errors_ok(rc, j_errors, 0, "case_patch");
    j_after = case_to_json(&rec);
    FUZZ_CHECK(j_after != NULL);
    if (rc != ERR_OK) {
        FUZZ_CHECK(j_diff == NULL);
        FUZZ_CHECK(json_equal(j_before, j_after));
        goto out;
    }
    check_diff(j_before, j_after, j_diff);
    fuzz_case_members_ok(patch, false);
    fuzz_case_ok(&rec);
out:
    case_record_cleanup(&rec);
    json_decref(j_default);
    json_decref(j_before);
    json_decref(j_after);
    json_decref(j_diff);
    json_decref(j_errors);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *a, *b;
    size_t an, bn;
    json_t *j_target = NULL, *j_patch = NULL, *j_default = NULL;

    bool two = fuzz_split(data, size, &a, &an, &b, &bn);

    if (two) {
        /* a stored document may be any JSON value */
        j_target = json_loadb((const char *)a, an, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        j_patch = fuzz_json_body(b, bn);
    } else {
        j_patch = fuzz_json_body(a, an);
    }
    if (j_patch == NULL || (two && j_target == NULL))
        goto out;
    if (j_target != NULL) {
        check_rfc7386(j_target, j_patch);
    } else {
        j_default = json_loads(default_case, 0, NULL);
        check_rfc7386(j_default, j_patch);
    }
    check_case_patch(j_target, j_patch);
out:
    json_decref(j_default);
    json_decref(j_target);
    json_decref(j_patch);
    return 0;
}
