/*
 * fuzz_records.c - the records beneath a case (POST, PATCH and PUT under
 * /v1/cases/{id}/...).
 *
 * Input: a byte that picks the kind (byte % REC__COUNT), then "<body>" or
 * "<body>\n---\n<patch>". The body goes through rec_validate_create as
 * uc_record_create calls it; accepted content must validate again to itself
 * (what is stored reads back the same). The patch goes through
 * rec_validate_update against that content, or when the body was refused,
 * against a valid record of the kind, as uc_record_update and
 * uc_root_cause_put call it. For evidence (not created from JSON) the body
 * text is also tried as a filename and a media type.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "record.h"

/*
 * The clock the date rules compare with (struct rec_when): the seeds' dates
 * lie around it, so that both sides of each rule are reached.
 */
static const struct rec_when when = {.now = "2026-03-05T12:00:00.000000Z",
                                     .detected_at = "2026-01-01T00:00:00.000000Z"};

/* Valid create bodies of the kinds that can be updated (from tests/unit/test_records_unit.c). */
static const char *const default_body[REC__COUNT] = {
    [REC_ROOT_CAUSE] = "{\"method\": \"five_whys\", \"analysis\": [{\"why\": \"Why?\","
                       " \"because\": \"No owner\"}], \"root_cause\": \"No owner\","
                       " \"similar_exist\": \"no\"}",
    [REC_ACTION] = "{\"type\": \"corrective\", \"title\": \"Assign an owner\","
                   " \"assignee\": \"bob\", \"due_date\": \"2026-04-30\"}",
    [REC_REVIEW] = "{\"scheduled_for\": \"2026-06-01\", \"reviewer\": \"carol\","
                   " \"criteria\": \"Three monthly restore tests pass\"}",
};

/*
 * Accepted content holds every non-null member of the body and nothing else
 * (but an action's status, which the service sets).
 */
static void
check_members(enum rec_kind k, const json_t *j_body, const json_t *content)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)j_body, key, v)
    {
        FUZZ_CHECK(json_is_null(v) == (json_object_get(content, key) == NULL));
    }
    json_object_foreach((json_t *)content, key, v)
    {
        FUZZ_CHECK(json_object_get(j_body, key) != NULL ||
                   (k == REC_ACTION && strcmp(key, "status") == 0));
    }
}

/* Accepted content, validated again, is itself (an action's status is set by the service). */
static void
check_stored(enum rec_kind k, const json_t *content)
{
    json_t *j_body = json_deep_copy(content), *j_errors = json_array(), *j_again = NULL;

    FUZZ_CHECK(json_is_object(content));
    if (k == REC_ACTION) {
        const char *status = json_string_value(json_object_get(content, "status"));
        FUZZ_CHECK(status != NULL && strcmp(status, "open") == 0);
        json_object_del(j_body, "status");
    }
    int rc = rec_validate_create(k, j_body, &when, &j_again, j_errors);
    fuzz_errors_ok(rc, j_errors, 0, "rec_validate_create of stored content");
    FUZZ_CHECK(rc == ERR_OK && json_equal(j_again, content));
    (void)rec_action_overdue(content, "2026-06-01");
    json_decref(j_again);
    json_decref(j_errors);
    json_decref(j_body);
}

static void
check_update(enum rec_kind k, const json_t *current, const json_t *j_patch)
{
    json_t *j_errors = json_array(), *content = NULL, *again = NULL, *j_empty = json_object();
    const char *event_type = NULL, *again_type = NULL;

    int rc = rec_validate_update(k, current, j_patch, &when, &content, &event_type, j_errors);
    if (k != REC_ACTION && k != REC_REVIEW && k != REC_ROOT_CAUSE && json_is_object(j_patch)) {
        FUZZ_CHECK(rc == ERR_CONFLICT && json_array_size(j_errors) == 0 && content == NULL);
        goto out;
    }
    fuzz_errors_ok(rc, j_errors, 0, "rec_validate_update");
    FUZZ_CHECK((rc == ERR_OK) == (content != NULL));
    if (rc != ERR_OK)
        goto out;
    FUZZ_CHECK(json_is_object(content));
    FUZZ_CHECK(event_type != NULL && strncmp(event_type, "capa.", 5) == 0);
    /* who did it is the caller's to add, never the patch's */
    static const char *const server[] = {"completed_by", "cancelled_by", "performed_by"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *now = json_object_get(content, server[i]);
        const json_t *was = json_object_get(current, server[i]);
        FUZZ_CHECK((now == NULL && was == NULL) || json_equal(now, was));
    }
    /* a completion, a cancellation and a verdict say when they happened */
    if (strcmp(event_type, "capa.action.completed") == 0)
        FUZZ_CHECK(json_is_string(json_object_get(content, "completed_at")));
    if (strcmp(event_type, "capa.action.cancelled") == 0)
        FUZZ_CHECK(json_is_string(json_object_get(content, "cancelled_at")));
    if (strcmp(event_type, "capa.review.recorded") == 0)
        FUZZ_CHECK(json_is_string(json_object_get(content, "performed_at")));
    if (k == REC_ACTION) {
        /* an empty patch of the new content changes nothing and is allowed */
        rc = rec_validate_update(k, content, j_empty, &when, &again, &again_type, j_errors);
        fuzz_errors_ok(rc, j_errors, 0, "rec_validate_update with {}");
        FUZZ_CHECK(rc == ERR_OK && json_equal(again, content));
    } else if (k == REC_REVIEW) {
        /* a verdict is given once */
        FUZZ_CHECK(json_object_get(content, "verdict") != NULL);
        rc = rec_validate_update(k, content, j_patch, &when, &again, &again_type, j_errors);
        FUZZ_CHECK(rc == ERR_INVALID && again == NULL);
    }
out:
    json_decref(again);
    json_decref(j_empty);
    json_decref(content);
    json_decref(j_errors);
}

static void
check_evidence_names(const uint8_t *data, size_t size)
{
    char *s = fuzz_text(data, size);
    if (rec_filename_valid(s))
        FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 255 && strpbrk(s, "/\\") == NULL);
    if (rec_media_type_valid(s))
        FUZZ_CHECK(strlen(s) <= 255 && strchr(s, '/') != NULL);
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *a, *b;
    size_t an, bn;
    json_t *j_body = NULL, *j_patch = NULL, *j_default = NULL, *content = NULL;
    json_t *j_errors = json_array();

    if (size == 0)
        goto out;
    enum rec_kind k = (enum rec_kind)(data[0] % REC__COUNT);
    bool two = fuzz_split(data + 1, size - 1, &a, &an, &b, &bn);
    if (k == REC_EVIDENCE)
        check_evidence_names(a, an);
    if ((j_body = fuzz_json_body(a, an)) != NULL) {
        int rc = rec_validate_create(k, j_body, &when, &content, j_errors);
        fuzz_errors_ok(rc, j_errors, 0, "rec_validate_create");
        FUZZ_CHECK((rc == ERR_OK) == (content != NULL));
        FUZZ_CHECK(k != REC_EVIDENCE || rc == ERR_INVALID);
        if (rc == ERR_OK) {
            check_members(k, j_body, content);
            check_stored(k, content);
        }
    }
    if (!two || (j_patch = fuzz_json_body(b, bn)) == NULL)
        goto out;
    if (content == NULL && default_body[k] != NULL) {
        json_array_clear(j_errors);
        j_default = json_loads(default_body[k], 0, NULL);
        FUZZ_CHECK(rec_validate_create(k, j_default, &when, &content, j_errors) == ERR_OK);
    }
    if (content != NULL)
        check_update(k, content, j_patch);
out:
    json_decref(content);
    json_decref(j_default);
    json_decref(j_patch);
    json_decref(j_body);
    json_decref(j_errors);
    return 0;
}
