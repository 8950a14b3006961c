/*
 * test_records_unit.c - unit tests of service/domain/record.c (the records beneath
 * a case: validation of create bodies and updates, overdue actions, evidence
 * file names and media types) and of wf_readiness_json (workflow.c).
 *
 * The checking helpers release everything they were given before they report,
 * so a failing test leaks nothing; tests collect the outcome of many cases in
 * `ok` and fail once at the end, after printing every case that went wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "err.h"
#include "field.h"
#include "record.h"
#include "workflow.h"

#define UUID_A "0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6d"
#define UUID_B "7f3c1a2b-9d8e-4f6a-b5c4-d3e2f1a0b9c8"

/*
 * The clock of every validation here: the service's now, and the detection
 * of the case the records belong to (struct rec_when).
 */
#define NOW "2026-03-05T12:00:00.000000Z"
static const struct rec_when when = {.now = NOW, .detected_at = "2026-01-01T00:00:00.000000Z"};

/* ---- valid bodies, one or more per kind ---- */

static const char correction_text[] =
    "{\"description\": \"Restored the backup\\nand re-ran the job\","
    " \"performed_by\": \"bob@example.com\","
    " \"performed_at\": \"2026-03-01T10:30:00+02:00\"}";
static const char correction_want[] =
    "{\"description\": \"Restored the backup\\nand re-ran the job\","
    " \"performed_by\": \"bob@example.com\","
    " \"performed_at\": \"2026-03-01T08:30:00.000000Z\"}";

static const char root_cause_text[] =
    "{\"method\": \"five_whys\","
    " \"analysis\": [{\"why\": \"Why was the restore never tested?\","
    "                 \"because\": \"No one owned the test\"}],"
    " \"root_cause\": \"Backup testing had no owner\\nand no schedule\","
    " \"similar_exist\": \"yes\","
    " \"similar_where\": \"Database backups\\nand file shares\","
    " \"similar_cases\": [\"" UUID_A "\"]}";

static const char action_text[] =
    "{\"type\": \"corrective\","
    " \"title\": \"Assign a backup test owner\","
    " \"description\": \"Name an owner\\nand a monthly test\","
    " \"assignee\": \"bob@example.com\","
    " \"due_date\": \"2026-04-30\","
    " \"external_refs\": [{\"system\": \"jira\", \"key\": \"SEC-42\","
    "                      \"url\": \"https://jira.example.com/browse/SEC-42\"}]}";

static const char review_text[] = "{\"scheduled_for\": \"2026-06-01\","
                                  " \"reviewer\": \"carol\","
                                  " \"criteria\": \"Three monthly restore tests pass\"}";
/* A review whose scheduled date has come (NOW is 2026-03-05). */
static const char review_due_text[] = "{\"scheduled_for\": \"2026-03-05\","
                                      " \"reviewer\": \"carol\","
                                      " \"criteria\": \"Three monthly restore tests pass\"}";

static const char isms_change_text[] =
    "{\"decision\": \"change\", \"type\": \"control\", \"reference\": \"A.8.13\","
    " \"description\": \"Monthly restore test added to the backup control\"}";
static const char isms_none_text[] =
    "{\"decision\": \"none_needed\","
    " \"justification\": \"The existing control covers it;\\nonly its operation failed\"}";

static const char link_control_text[] = "{\"type\": \"control\", \"control\": \"A.8.13\"}";
static const char link_case_text[] =
    "{\"type\": \"recurrence_of\", \"target_case\": \"NC-2025-0007\"}";

static const char comment_text[] = "{\"body\": \"Spoke to the team.\\nThey agree.\"}";

static const char approval_text[] =
    "{\"step\": \"closure\", \"decision\": \"approve\", \"comment\": \"Evidence reviewed\"}";
static const char reject_text[] =
    "{\"step\": \"closure\", \"decision\": \"reject\", \"comment\": \"The review is not done\"}";

/* An action as stored: created open. */
static const char action_open[] = "{\"type\": \"corrective\", \"title\": \"Assign an owner\","
                                  " \"assignee\": \"bob\", \"due_date\": \"2026-04-30\","
                                  " \"status\": \"open\"}";
static const char action_in_progress[] =
    "{\"type\": \"corrective\", \"title\": \"Assign an owner\","
    " \"assignee\": \"bob\", \"due_date\": \"2026-04-30\", \"status\": \"in_progress\"}";
static const char action_done[] =
    "{\"type\": \"corrective\", \"title\": \"Assign an owner\","
    " \"assignee\": \"bob\", \"due_date\": \"2026-04-30\", \"status\": \"done\","
    " \"completion_note\": \"Owner named\", \"completed_at\": \"" NOW "\"}";
static const char action_cancelled[] =
    "{\"type\": \"corrective\", \"title\": \"Assign an owner\","
    " \"assignee\": \"bob\", \"due_date\": \"2026-04-30\", \"status\": \"cancelled\","
    " \"reason\": \"Superseded\", \"cancelled_at\": \"" NOW "\"}";

/* ---- helpers ---- */

static json_t *
load(const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    return j;
}

/* The JSON text j with member set to value (stolen), or removed when value is NULL. */
static json_t *
with(const char *text, const char *member, json_t *value)
{
    json_t *j = load(text);
    assert_non_null(member);
    if (value == NULL)
        assert_int_equal(json_object_del(j, member), 0);
    else
        assert_int_equal(json_object_set_new(j, member, value), 0);
    return j;
}

static json_t *
without(const char *text, const char *member)
{
    return with(text, member, NULL);
}

static json_t *
string_of_n(const char *unit, int n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * (size_t)n + 1);
    assert_non_null(s);
    for (int i = 0; i < n; i++)
        memcpy(s + len * (size_t)i, unit, len);
    s[len * (size_t)n] = '\0';
    json_t *j = json_string(s);
    free(s);
    assert_non_null(j);
    return j;
}

static bool
has_error(const json_t *j_errors, const char *field, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(j_errors, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
            (code == NULL || strcmp(json_string_value(json_object_get(e, "code")), code) == 0))
            return true;
    }
    return false;
}

/* Every error entry has the documented shape: field, code, non-empty detail, nothing else. */
static bool
error_shape_ok(const json_t *j_errors)
{
    size_t i;
    json_t *e;
    json_array_foreach(j_errors, i, e)
    {
        if (!json_is_object(e) || json_object_size(e) != 3 ||
            !json_is_string(json_object_get(e, "field")) ||
            !json_is_string(json_object_get(e, "code")) ||
            json_string_length(json_object_get(e, "detail")) == 0)
            return false;
    }
    return true;
}

static void
report(const char *what, enum rec_kind k, const json_t *body, int rc, const json_t *j_errors,
       const json_t *content)
{
    char *b = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *e = j_errors ? json_dumps(j_errors, JSON_COMPACT) : NULL;
    char *c = content ? json_dumps(content, JSON_COMPACT) : NULL;
    print_error("%s [%s] body %s -> rc %d, errors %s, content %s\n", what, rec_kind_name(k),
                b ? b : "(null)", rc, e ? e : "(null)", c ? c : "(null)");
    free(b);
    free(e);
    free(c);
}

/*
 * Create body (stolen) as kind k and expect success; when want (stolen) is not
 * NULL the content must equal it exactly. The body must be left untouched.
 */
static bool
create_ok(enum rec_kind k, json_t *body, json_t *want)
{
    json_t *j_errors = json_array(), *content = NULL;
    json_t *copy = json_deep_copy(body);
    int rc = rec_validate_create(k, body, &when, &content, j_errors);
    bool ok = rc == ERR_OK && json_array_size(j_errors) == 0 && json_is_object(content) &&
              (want == NULL || json_equal(content, want)) && json_equal(body, copy);
    if (!ok) {
        report("expected success", k, body, rc, j_errors, content);
        if (want != NULL)
            report("  wanted content", k, NULL, ERR_OK, NULL, want);
    }
    json_decref(content);
    json_decref(copy);
    json_decref(j_errors);
    json_decref(body);
    json_decref(want);
    return ok;
}

/*
 * Create body (stolen) as kind k and expect ERR_INVALID, no content, and
 * exactly one well-formed error on field with code (any code when NULL).
 */
static bool
create_refused(enum rec_kind k, json_t *body, const char *field, const char *code)
{
    json_t *j_errors = json_array(), *content = (json_t *)1;
    int rc = rec_validate_create(k, body, &when, &content, j_errors);
    bool ok = rc == ERR_INVALID && content == NULL && error_shape_ok(j_errors) &&
              json_array_size(j_errors) == 1 && has_error(j_errors, field, code);
    if (!ok) {
        char what[160];
        snprintf(what, sizeof what, "expected exactly one error %s/%s", field, code ? code : "*");
        report(what, k, body, rc, j_errors, content == (json_t *)1 ? NULL : content);
    }
    if (content != (json_t *)1)
        json_decref(content);
    json_decref(j_errors);
    json_decref(body);
    return ok;
}

/* As create_refused, but other errors may come with the one named. */
static bool
create_refused_with(enum rec_kind k, json_t *body, const char *field, const char *code)
{
    json_t *j_errors = json_array(), *content = (json_t *)1;
    int rc = rec_validate_create(k, body, &when, &content, j_errors);
    bool ok = rc == ERR_INVALID && content == NULL && error_shape_ok(j_errors) &&
              has_error(j_errors, field, code);
    if (!ok) {
        char what[160];
        snprintf(what, sizeof what, "expected an error %s/%s", field, code ? code : "*");
        report(what, k, body, rc, j_errors, content == (json_t *)1 ? NULL : content);
    }
    if (content != (json_t *)1)
        json_decref(content);
    json_decref(j_errors);
    json_decref(body);
    return ok;
}

/* The detail of the only error of a refused create (copied into out). */
static bool
create_error_detail(enum rec_kind k, json_t *body, char *out, size_t size)
{
    json_t *j_errors = json_array(), *content = NULL;
    int rc = rec_validate_create(k, body, &when, &content, j_errors);
    bool ok = rc == ERR_INVALID && json_array_size(j_errors) == 1;
    out[0] = '\0';
    if (ok)
        snprintf(out, size, "%s",
                 json_string_value(json_object_get(json_array_get(j_errors, 0), "detail")));
    json_decref(content);
    json_decref(j_errors);
    json_decref(body);
    return ok;
}

/*
 * Update current (text) with patch (stolen) and expect success with content
 * equal to want (text) and event type event. current is not modified.
 */
static bool
update_ok(enum rec_kind k, const char *current_text, json_t *patch, const char *want_text,
          const char *event)
{
    json_t *current = load(current_text), *copy = load(current_text), *want = load(want_text);
    json_t *j_errors = json_array(), *content = NULL;
    const char *type = NULL;
    int rc = rec_validate_update(k, current, patch, &when, &content, &type, j_errors);
    bool ok = rc == ERR_OK && json_array_size(j_errors) == 0 && content != NULL &&
              json_equal(content, want) && type != NULL && strcmp(type, event) == 0 &&
              json_equal(current, copy);
    if (!ok) {
        report("expected update success", k, patch, rc, j_errors, content);
        report("  wanted content", k, NULL, ERR_OK, NULL, want);
        print_error("  event %s, wanted %s\n", type ? type : "(null)", event);
    }
    json_decref(content);
    json_decref(j_errors);
    json_decref(want);
    json_decref(copy);
    json_decref(current);
    json_decref(patch);
    return ok;
}

/* Update current (text) with patch (stolen) and expect ERR_INVALID with exactly one error. */
static bool
update_refused(enum rec_kind k, const char *current_text, json_t *patch, const char *field,
               const char *code)
{
    json_t *current = load(current_text), *copy = load(current_text);
    json_t *j_errors = json_array(), *content = (json_t *)1;
    const char *type = NULL;
    int rc = rec_validate_update(k, current, patch, &when, &content, &type, j_errors);
    bool ok = rc == ERR_INVALID && content == NULL && error_shape_ok(j_errors) &&
              json_array_size(j_errors) == 1 && has_error(j_errors, field, code) &&
              json_equal(current, copy);
    if (!ok) {
        char what[160];
        snprintf(what, sizeof what, "expected update refused with exactly one error %s/%s", field,
                 code ? code : "*");
        report(what, k, patch, rc, j_errors, content == (json_t *)1 ? NULL : content);
    }
    if (content != (json_t *)1)
        json_decref(content);
    json_decref(j_errors);
    json_decref(copy);
    json_decref(current);
    json_decref(patch);
    return ok;
}

/* As update_refused, but other errors may come with the one named. */
static bool
update_refused_with(enum rec_kind k, const char *current_text, json_t *patch, const char *field,
                    const char *code)
{
    json_t *current = load(current_text);
    json_t *j_errors = json_array(), *content = (json_t *)1;
    const char *type = NULL;
    int rc = rec_validate_update(k, current, patch, &when, &content, &type, j_errors);
    bool ok = rc == ERR_INVALID && content == NULL && error_shape_ok(j_errors) &&
              has_error(j_errors, field, code);
    if (!ok) {
        char what[160];
        snprintf(what, sizeof what, "expected update refused with an error %s/%s", field,
                 code ? code : "*");
        report(what, k, patch, rc, j_errors, content == (json_t *)1 ? NULL : content);
    }
    if (content != (json_t *)1)
        json_decref(content);
    json_decref(j_errors);
    json_decref(current);
    json_decref(patch);
    return ok;
}

/* n five-whys steps. */
static json_t *
whys(int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "why", "Why did it happen?", "because",
                                           "Because of the step before"));
    return a;
}

/* n fishbone categories, each with one cause. */
static json_t *
categories(int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "Category %d", i);
        json_array_append_new(a, json_pack("{s:s, s:[s]}", "category", name, "causes", "A cause"));
    }
    return a;
}

/* A root-cause body with method and analysis (stolen). */
static json_t *
root_cause_with(const char *method, json_t *analysis)
{
    json_t *j = with(root_cause_text, "method", json_string(method));
    assert_int_equal(json_object_set_new(j, "analysis", analysis), 0);
    return j;
}

/* ---- kinds ---- */

static void
test_rec_kind_names_events(void **state)
{
    (void)state;
    static const char *const names[REC__COUNT] = {"correction", "root_cause",  "action",
                                                  "review",     "isms_change", "link",
                                                  "evidence",   "comment",     "approval"};
    static const char *const events[REC__COUNT] = {
        "capa.correction.recorded", "capa.rootcause.recorded",   "capa.action.created",
        "capa.review.scheduled",    "capa.isms_change.recorded", "capa.link.added",
        "capa.evidence.added",      "capa.comment.added",        "capa.approval.recorded"};
    for (int k = 0; k < REC__COUNT; k++) {
        assert_string_equal(rec_kind_name((enum rec_kind)k), names[k]);
        assert_string_equal(rec_event_type((enum rec_kind)k), events[k]);
    }
}

/* names and event types are each unique */
static void
test_rec_kind_names_and_events_unique(void **state)
{
    (void)state;
    for (int k = 0; k < REC__COUNT; k++)
        for (int o = 0; o < k; o++) {
            assert_string_not_equal(rec_kind_name((enum rec_kind)k),
                                    rec_kind_name((enum rec_kind)o));
            assert_string_not_equal(rec_event_type((enum rec_kind)k),
                                    rec_event_type((enum rec_kind)o));
        }
}

/* ---- rec_validate_create: valid bodies give the canonical content ---- */

static void
test_create_correction_canonical(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_CORRECTION, load(correction_text), load(correction_want)) && ok;
    /* any offset, and a fraction, normalise to UTC with microseconds */
    ok = create_ok(
             REC_CORRECTION,
             with(correction_text, "performed_at", json_string("2026-03-01T00:30:00.5+01:00")),
             with(correction_want, "performed_at", json_string("2026-02-28T23:30:00.500000Z"))) &&
         ok;
    ok = create_ok(REC_CORRECTION,
                   with(correction_text, "performed_at", json_string("2026-03-01T08:30:00Z")),
                   load(correction_want)) &&
         ok;
    assert_true(ok);
}

static void
test_create_root_cause_canonical(void **state)
{
    (void)state;
    assert_true(create_ok(REC_ROOT_CAUSE, load(root_cause_text), load(root_cause_text)));
}

static void
test_create_action_canonical_starts_open(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_ACTION, load(action_text),
                   with(action_text, "status", json_string("open"))) &&
         ok;
    /* only the required members */
    ok = create_ok(REC_ACTION, load("{\"type\": \"preventive\", \"title\": \"Add a check\"}"),
                   load("{\"type\": \"preventive\", \"title\": \"Add a check\","
                        " \"status\": \"open\"}")) &&
         ok;
    /* null leaves an optional member out */
    ok = create_ok(REC_ACTION,
                   load("{\"type\": \"improvement\", \"title\": \"x\", \"assignee\": null,"
                        " \"due_date\": null, \"external_refs\": null}"),
                   load("{\"type\": \"improvement\", \"title\": \"x\", \"status\": \"open\"}")) &&
         ok;
    assert_true(ok);
}

static void
test_create_review_canonical(void **state)
{
    (void)state;
    assert_true(create_ok(REC_REVIEW, load(review_text), load(review_text)));
}

static void
test_create_isms_change_canonical(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_ISMS_CHANGE, load(isms_change_text), load(isms_change_text)) && ok;
    ok = create_ok(REC_ISMS_CHANGE, load(isms_none_text), load(isms_none_text)) && ok;
    assert_true(ok);
}

static void
test_create_link_canonical(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_LINK, load(link_control_text), load(link_control_text)) && ok;
    ok = create_ok(REC_LINK, load(link_case_text), load(link_case_text)) && ok;
    assert_true(ok);
}

static void
test_create_comment_canonical(void **state)
{
    (void)state;
    assert_true(create_ok(REC_COMMENT, load(comment_text), load(comment_text)));
}

static void
test_create_approval_canonical(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_APPROVAL, load(approval_text), load(approval_text)) && ok;
    ok = create_ok(REC_APPROVAL, load(reject_text), load(reject_text)) && ok;
    ok = create_ok(REC_APPROVAL, without(approval_text, "comment"),
                   without(approval_text, "comment")) &&
         ok;
    assert_true(ok);
}

static void
test_create_existing_errors_not_counted(void **state)
{
    (void)state;
    json_t *j_errors = json_array(), *content = NULL;
    json_t *body = load(comment_text);
    field_error_add(j_errors, "earlier", "code", "an earlier problem");
    assert_int_equal(rec_validate_create(REC_COMMENT, body, &when, &content, j_errors), ERR_OK);
    assert_non_null(content);
    assert_int_equal(json_array_size(j_errors), 1);
    json_decref(content);
    json_decref(body);

    /* and a refusal adds to them */
    body = load("{}");
    content = NULL;
    assert_int_equal(rec_validate_create(REC_COMMENT, body, &when, &content, j_errors),
                     ERR_INVALID);
    assert_null(content);
    assert_int_equal(json_array_size(j_errors), 2);
    assert_true(has_error(j_errors, "body", "required"));
    json_decref(body);
    json_decref(j_errors);
}

static void
test_create_evidence_not_from_json(void **state)
{
    (void)state;
    json_t *j_errors = json_array(), *content = (json_t *)1;
    json_t *body = load("{\"filename\": \"report.pdf\", \"media_type\": \"application/pdf\"}");
    assert_int_equal(rec_validate_create(REC_EVIDENCE, body, &when, &content, j_errors),
                     ERR_INVALID);
    assert_null(content);
    assert_true(error_shape_ok(j_errors));
    assert_int_equal(json_array_size(j_errors), 1);
    assert_true(has_error(j_errors, "", "unsupported"));
    json_decref(body);
    json_decref(j_errors);
}

/* ---- rec_validate_create: structure ---- */

static const struct {
    enum rec_kind kind;
    const char *body;
    const char *required[5];
} required_members[] = {
    {REC_CORRECTION, correction_text, {"description", "performed_by", "performed_at"}},
    {REC_ROOT_CAUSE, root_cause_text, {"method", "analysis", "root_cause", "similar_exist"}},
    {REC_ACTION, action_text, {"type", "title"}},
    {REC_REVIEW, review_text, {"scheduled_for", "reviewer", "criteria"}},
    {REC_ISMS_CHANGE, isms_none_text, {"decision"}},
    {REC_LINK, link_control_text, {"type"}},
    {REC_COMMENT, comment_text, {"body"}},
    {REC_APPROVAL, approval_text, {"step", "decision"}},
};

static void
test_create_each_required_member_missing(void **state)
{
    (void)state;
    bool ok = true;
    for (size_t i = 0; i < sizeof required_members / sizeof *required_members; i++)
        for (int r = 0; required_members[i].required[r]; r++)
            ok = create_refused(required_members[i].kind,
                                without(required_members[i].body, required_members[i].required[r]),
                                required_members[i].required[r], "required") &&
                 ok;
    assert_true(ok);
}

static void
test_create_all_required_missing_reported_together(void **state)
{
    (void)state;
    json_t *j_errors = json_array(), *content = NULL;
    json_t *body = load("{}");
    assert_int_equal(rec_validate_create(REC_CORRECTION, body, &when, &content, j_errors),
                     ERR_INVALID);
    assert_null(content);
    assert_int_equal(json_array_size(j_errors), 3);
    assert_true(has_error(j_errors, "description", "required"));
    assert_true(has_error(j_errors, "performed_by", "required"));
    assert_true(has_error(j_errors, "performed_at", "required"));
    json_decref(body);
    json_decref(j_errors);
}

/*
 * null leaves an optional member out, but a required one given as null is
 * still missing: it must be refused as required, not accepted and left out.
 */
static void
test_create_required_member_null_refused(void **state)
{
    (void)state;
    bool ok = true;
    for (size_t i = 0; i < sizeof required_members / sizeof *required_members; i++)
        for (int r = 0; required_members[i].required[r]; r++)
            ok = create_refused_with(
                     required_members[i].kind,
                     with(required_members[i].body, required_members[i].required[r], json_null()),
                     required_members[i].required[r], "required") &&
                 ok;
    assert_true(ok);
}

static void
test_create_unknown_member_refused(void **state)
{
    (void)state;
    bool ok = true;
    for (size_t i = 0; i < sizeof required_members / sizeof *required_members; i++)
        ok = create_refused(required_members[i].kind,
                            with(required_members[i].body, "colour", json_string("red")), "colour",
                            "unknown") &&
             ok;
    /* members of other kinds, and the identity the service sets, are unknown too */
    ok = create_refused(REC_COMMENT, with(comment_text, "id", json_string(UUID_A)), "id",
                        "unknown") &&
         ok;
    ok = create_refused(REC_REVIEW, with(review_text, "verdict", json_string("effective")),
                        "verdict", "unknown") &&
         ok;
    ok = create_refused(REC_CORRECTION, with(correction_text, "Description", json_string("x")),
                        "Description", "unknown") &&
         ok;
    assert_true(ok);
}

static void
test_create_non_object_body_refused(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const bodies[] = {"[]", "\"text\"", "42", "null"};
    for (int k = 0; k < REC__COUNT; k++) {
        if (k == REC_EVIDENCE)
            continue;
        for (size_t b = 0; b < sizeof bodies / sizeof *bodies; b++)
            ok = create_refused_with((enum rec_kind)k, load(bodies[b]), "", "type") && ok;
    }
    assert_true(ok);
}

/* An assignee or a reviewer may be a principal, compared by identity (access.h). */
static void
test_create_person_as_principal(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_ACTION,
                   load("{\"type\": \"corrective\", \"title\": \"t\", \"assignee\": "
                        "{\"kind\": \"api_key\", \"subject\": \"4f1c2a9b7e30\"}}"),
                   load("{\"type\": \"corrective\", \"title\": \"t\", \"assignee\": "
                        "{\"kind\": \"api_key\", \"subject\": \"4f1c2a9b7e30\"}, "
                        "\"status\": \"open\"}")) &&
         ok;
    ok = create_ok(REC_REVIEW,
                   load("{\"scheduled_for\": \"2026-06-01\", \"criteria\": \"c\", \"reviewer\": "
                        "{\"kind\": \"user\", \"subject\": \"u-7\", \"name\": \"Carol\"}}"),
                   NULL) &&
         ok;
    ok = create_refused(REC_ACTION,
                        load("{\"type\": \"corrective\", \"title\": \"t\", \"assignee\": "
                             "{\"kind\": \"robot\", \"subject\": \"r\"}}"),
                        "assignee.kind", "enum") &&
         ok;
    ok = create_refused(REC_ACTION,
                        load("{\"type\": \"corrective\", \"title\": \"t\", \"assignee\": "
                             "{\"kind\": \"user\", \"subject\": \"u\", \"email\": \"e\"}}"),
                        "assignee.email", "unknown") &&
         ok;
    assert_true(ok);
}

static void
test_create_wrong_types_refused(void **state)
{
    (void)state;
    static const struct {
        enum rec_kind kind;
        const char *body;
        const char *member;
        const char *value;
        const char *field;
    } cases[] = {
        {REC_CORRECTION, correction_text, "description", "42", "description"},
        {REC_CORRECTION, correction_text, "performed_by", "true", "performed_by"},
        {REC_CORRECTION, correction_text, "performed_at", "1772353800", "performed_at"},
        {REC_ROOT_CAUSE, root_cause_text, "method", "1", "method"},
        {REC_ROOT_CAUSE, root_cause_text, "root_cause", "[\"x\"]", "root_cause"},
        {REC_ROOT_CAUSE, root_cause_text, "similar_exist", "true", "similar_exist"},
        {REC_ROOT_CAUSE, root_cause_text, "similar_where", "{}", "similar_where"},
        {REC_ROOT_CAUSE, root_cause_text, "similar_cases", "\"" UUID_A "\"", "similar_cases"},
        {REC_ACTION, action_text, "type", "{}", "type"},
        {REC_ACTION, action_text, "title", "[\"x\"]", "title"},
        {REC_ACTION, action_text, "assignee", "7", "assignee"},
        {REC_ACTION, action_text, "due_date", "20260430", "due_date"},
        {REC_ACTION, action_text, "description", "false", "description"},
        {REC_ACTION, action_text, "external_refs", "{\"system\": \"jira\", \"key\": \"X-1\"}",
         "external_refs"},
        {REC_REVIEW, review_text, "scheduled_for", "20260601", "scheduled_for"},
        {REC_REVIEW, review_text, "reviewer", "[]", "reviewer"},
        {REC_REVIEW, review_text, "criteria", "1.5", "criteria"},
        {REC_ISMS_CHANGE, isms_change_text, "reference", "1", "reference"},
        {REC_ISMS_CHANGE, isms_change_text, "decision", "[]", "decision"},
        {REC_LINK, link_case_text, "target_case", "5", "target_case"},
        {REC_LINK, link_control_text, "control", "8.8", "control"},
        {REC_COMMENT, comment_text, "body", "5", "body"},
        {REC_APPROVAL, approval_text, "step", "1", "step"},
        {REC_APPROVAL, approval_text, "comment", "false", "comment"},
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        ok = create_refused(cases[i].kind,
                            with(cases[i].body, cases[i].member, load(cases[i].value)),
                            cases[i].field, "type") &&
             ok;
    assert_true(ok);
}

static void
test_create_too_long_text_refused(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_refused(REC_ACTION, with(action_text, "title", string_of_n("x", 201)), "title",
                        "too_long") &&
         ok;
    ok =
        create_ok(REC_ACTION, with(action_text, "title", string_of_n("\xc3\xa9", 200)), NULL) && ok;
    ok =
        create_refused(REC_CORRECTION, with(correction_text, "performed_by", string_of_n("x", 201)),
                       "performed_by", "too_long") &&
        ok;
    ok = create_ok(REC_COMMENT, with(comment_text, "body", string_of_n("x", REC_TEXT_MAX)), NULL) &&
         ok;
    ok = create_refused(REC_COMMENT, with(comment_text, "body", string_of_n("x", REC_TEXT_MAX + 1)),
                        "body", "too_long") &&
         ok;
    ok = create_refused(REC_ISMS_CHANGE, with(isms_change_text, "reference", string_of_n("r", 201)),
                        "reference", "too_long") &&
         ok;
    assert_true(ok);
}

/* ---- rec_validate_create: enums ---- */

static void
test_create_enum_values_refused(void **state)
{
    (void)state;
    static const struct {
        enum rec_kind kind;
        const char *body;
        const char *member;
        const char *value;
    } cases[] = {
        {REC_ROOT_CAUSE, root_cause_text, "method", "ishikawa"},
        {REC_ROOT_CAUSE, root_cause_text, "method", "Five_Whys"},
        {REC_ROOT_CAUSE, root_cause_text, "similar_exist", "maybe"},
        {REC_ACTION, action_text, "type", "fix"},
        {REC_ACTION, action_text, "type", "Corrective"},
        {REC_ISMS_CHANGE, isms_change_text, "decision", "later"},
        {REC_ISMS_CHANGE, isms_change_text, "type", "people"},
        {REC_LINK, link_case_text, "type", "parent"},
        {REC_APPROVAL, approval_text, "decision", "abstain"},
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        ok = create_refused(cases[i].kind,
                            with(cases[i].body, cases[i].member, json_string(cases[i].value)),
                            cases[i].member, "enum") &&
             ok;
    assert_true(ok);
}

static void
test_create_enum_detail_lists_values(void **state)
{
    (void)state;
    char detail[256];
    assert_true(create_error_detail(
        REC_ROOT_CAUSE, with(root_cause_text, "method", json_string("x")), detail, sizeof detail));
    assert_string_equal(detail, "must be one of: five_whys, fishbone, fault_tree, other");
    assert_true(create_error_detail(REC_ACTION, with(action_text, "type", json_string("x")), detail,
                                    sizeof detail));
    assert_string_equal(detail, "must be one of: correction, corrective, preventive, improvement, "
                                "isms_change");
}

static void
test_create_every_enum_value_accepted(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const action_types[] = {"correction", "corrective", "preventive",
                                               "improvement", "isms_change"};
    for (size_t i = 0; i < 5; i++)
        ok = create_ok(REC_ACTION, with(action_text, "type", json_string(action_types[i])), NULL) &&
             ok;
    static const char *const isms_types[] = {"policy", "control", "risk", "asset", "document"};
    for (size_t i = 0; i < 5; i++)
        ok = create_ok(REC_ISMS_CHANGE, with(isms_change_text, "type", json_string(isms_types[i])),
                       NULL) &&
             ok;
    static const char *const case_links[] = {"related_case", "recurrence_of", "duplicate_of"};
    for (size_t i = 0; i < 3; i++)
        ok = create_ok(REC_LINK, with(link_case_text, "type", json_string(case_links[i])), NULL) &&
             ok;
    ok = create_ok(REC_ROOT_CAUSE, with(root_cause_text, "similar_exist", json_string("no")),
                   NULL) &&
         ok;
    ok = create_ok(REC_ROOT_CAUSE, with(root_cause_text, "similar_exist", json_string("unknown")),
                   NULL) &&
         ok;
    assert_true(ok);
}

/* ---- rec_validate_create: dates ---- */

static void
test_create_dates(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const bad_dates[] = {"2026-02-30", "2026-13-01", "2026-04-31",
                                            "2025-02-29", "2026-00-10", "2026-4-30",
                                            "30.04.2026", "2026/04/30", "tomorrow"};
    for (size_t i = 0; i < sizeof bad_dates / sizeof *bad_dates; i++) {
        ok = create_refused(REC_ACTION, with(action_text, "due_date", json_string(bad_dates[i])),
                            "due_date", "format") &&
             ok;
        ok = create_refused(REC_REVIEW,
                            with(review_text, "scheduled_for", json_string(bad_dates[i])),
                            "scheduled_for", "format") &&
             ok;
    }
    /* a date-time is not a date */
    ok = create_refused(REC_REVIEW,
                        with(review_text, "scheduled_for", json_string("2026-06-01T09:00:00Z")),
                        "scheduled_for", NULL) &&
         ok;
    ok = create_refused(REC_ACTION,
                        with(action_text, "due_date", json_string("2026-04-30T00:00:00Z")),
                        "due_date", NULL) &&
         ok;
    ok = create_refused(REC_ACTION, with(action_text, "due_date", json_string("")), "due_date",
                        NULL) &&
         ok;
    /* a leap day is a date; a date is not a date-time */
    ok =
        create_ok(REC_ACTION, with(action_text, "due_date", json_string("2028-02-29")), NULL) && ok;
    ok = create_ok(REC_REVIEW, with(review_text, "scheduled_for", json_string("2026-12-31")),
                   NULL) &&
         ok;
    ok = create_refused(REC_CORRECTION,
                        with(correction_text, "performed_at", json_string("2026-03-01")),
                        "performed_at", "format") &&
         ok;
    ok = create_refused(REC_CORRECTION,
                        with(correction_text, "performed_at", json_string("2026-03-01 10:30")),
                        "performed_at", "format") &&
         ok;
    ok = create_refused(REC_CORRECTION,
                        with(correction_text, "performed_at", json_string("2026-02-30T10:00:00Z")),
                        "performed_at", "format") &&
         ok;
    ok = create_refused(REC_CORRECTION,
                        with(correction_text, "performed_at", json_string("yesterday")),
                        "performed_at", "format") &&
         ok;
    assert_true(ok);
}

/* ---- rec_validate_create: text ---- */

static void
test_create_control_characters(void **state)
{
    (void)state;
    bool ok = true;
    /* one-line text: no control characters, not even a newline or a tab */
    static const char *const one_line_bad[] = {"bob\nsmith", "bob\tsmith", "bob\r",
                                               "bob\x01",    "bob\x1b[0m", "bob\x7f"};
    for (size_t i = 0; i < sizeof one_line_bad / sizeof *one_line_bad; i++) {
        ok = create_refused(REC_CORRECTION,
                            with(correction_text, "performed_by", json_string(one_line_bad[i])),
                            "performed_by", "format") &&
             ok;
        ok = create_refused(REC_ACTION, with(action_text, "title", json_string(one_line_bad[i])),
                            "title", "format") &&
             ok;
    }
    /* multi-line text: newlines and tabs, but no other control characters */
    ok = create_ok(REC_CORRECTION,
                   with(correction_text, "description", json_string("a\r\nb\tc\nd")), NULL) &&
         ok;
    ok = create_ok(REC_COMMENT, with(comment_text, "body", json_string("one\n\ntwo\tthree")),
                   NULL) &&
         ok;
    static const char *const multi_bad[] = {"a\x07", "a\x1b[31m", "a\x7f", "\x0c"};
    for (size_t i = 0; i < sizeof multi_bad / sizeof *multi_bad; i++) {
        ok = create_refused(REC_CORRECTION,
                            with(correction_text, "description", json_string(multi_bad[i])),
                            "description", "format") &&
             ok;
        ok = create_refused(REC_COMMENT, with(comment_text, "body", json_string(multi_bad[i])),
                            "body", "format") &&
             ok;
    }
    /* NUL inside a string */
    ok = create_refused(REC_COMMENT, with(comment_text, "body", json_stringn("a\0b", 3)), "body",
                        "format") &&
         ok;
    ok = create_refused(REC_ACTION, with(action_text, "type", json_stringn("corrective\0x", 12)),
                        "type", NULL) &&
         ok;
    /* UTF-8 text is fine */
    ok = create_ok(REC_COMMENT,
                   with(comment_text, "body",
                        json_string("Gr\xc3\xbc\xc3\x9f"
                                    "e \xe2\x9c\x93")),
                   NULL) &&
         ok;
    assert_true(ok);
}

static void
test_create_comment_body(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_refused(REC_COMMENT, load("{}"), "body", "required") && ok;
    static const char *const blank[] = {"", " ", "   ", "\n", " \t\r\n "};
    for (size_t i = 0; i < sizeof blank / sizeof *blank; i++)
        ok = create_refused(REC_COMMENT, with(comment_text, "body", json_string(blank[i])), "body",
                            "required") &&
             ok;
    ok = create_ok(REC_COMMENT, load("{\"body\": \"x\"}"), load("{\"body\": \"x\"}")) && ok;
    assert_true(ok);
}

/* ---- rec_validate_create: root cause ---- */

static void
test_create_root_cause_five_whys(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_ROOT_CAUSE, root_cause_with("five_whys", whys(1)), NULL) && ok;
    ok = create_ok(REC_ROOT_CAUSE, root_cause_with("five_whys", whys(5)), NULL) && ok;
    ok = create_ok(REC_ROOT_CAUSE, root_cause_with("five_whys", whys(10)), NULL) && ok;
    /* the analysis is kept as given */
    json_t *a = whys(3);
    json_t *want = root_cause_with("five_whys", json_deep_copy(a));
    ok = create_ok(REC_ROOT_CAUSE, root_cause_with("five_whys", a), want) && ok;

    ok =
        create_refused(REC_ROOT_CAUSE, root_cause_with("five_whys", whys(0)), "analysis", "type") &&
        ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("five_whys", whys(11)), "analysis",
                        "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("five_whys", json_string("because")),
                        "analysis", "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("five_whys", load("{\"why\": \"a\", \"because\": \"b\"}")),
                        "analysis", "type") &&
         ok;
    /* each step is exactly {why, because} */
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("five_whys", load("[{\"why\": \"a\", \"because\": \"b\","
                                                          " \"who\": \"c\"}]")),
                        "analysis[0]", "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("five_whys", load("[{\"why\": \"a\"}]")),
                        "analysis[0]", "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("five_whys", load("[\"why?\"]")),
                        "analysis[0]", "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("five_whys", load("[{\"why\": \"a\", \"because\": \"b\"},"
                                                          " {\"why\": \"a\", \"reason\": \"b\"}]")),
                        "analysis[1].because", NULL) &&
         ok;
    ok =
        create_refused(REC_ROOT_CAUSE,
                       root_cause_with("five_whys", load("[{\"why\": \" \", \"because\": \"b\"}]")),
                       "analysis[0].why", "required") &&
        ok;
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("five_whys", load("[{\"why\": \"a\", \"because\": 3}]")),
                        "analysis[0].because", "type") &&
         ok;
    ok =
        create_refused(REC_ROOT_CAUSE,
                       root_cause_with("five_whys", json_pack("[{s:s, s:o}]", "why", "a", "because",
                                                              string_of_n("b", REC_SHORT_MAX + 1))),
                       "analysis[0].because", "too_long") &&
        ok;
    assert_true(ok);
}

static void
test_create_root_cause_fishbone(void **state)
{
    (void)state;
    bool ok = true;
    ok =
        create_ok(REC_ROOT_CAUSE,
                  root_cause_with("fishbone",
                                  load("[{\"category\": \"People\", \"causes\": [\"No owner\","
                                       " \"No training\"]},"
                                       " {\"category\": \"Process\", \"causes\": [\"No test\"]}]")),
                  NULL) &&
        ok;
    ok = create_ok(REC_ROOT_CAUSE, root_cause_with("fishbone", categories(1)), NULL) && ok;
    ok = create_ok(REC_ROOT_CAUSE, root_cause_with("fishbone", categories(12)), NULL) && ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("fishbone", categories(0)), "analysis",
                        "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("fishbone", categories(13)), "analysis",
                        "type") &&
         ok;
    ok = create_refused_with(REC_ROOT_CAUSE, root_cause_with("fishbone", whys(1)),
                             "analysis[0].category", "type") &&
         ok;
    ok = create_refused(
             REC_ROOT_CAUSE,
             root_cause_with("fishbone", load("[{\"category\": \"People\", \"causes\": []}]")),
             "analysis[0].causes", "type") &&
         ok;
    ok = create_refused(
             REC_ROOT_CAUSE,
             root_cause_with("fishbone", load("[{\"category\": \"People\", \"causes\": \"x\"}]")),
             "analysis[0].causes", "type") &&
         ok;
    ok = create_refused(
             REC_ROOT_CAUSE,
             root_cause_with("fishbone", load("[{\"category\": \"People\", \"causes\": [\"\"]}]")),
             "analysis[0].causes[0]", "required") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("fishbone", load("[{\"category\": \"People\","
                                                         " \"causes\": [\"a\"], \"x\": 1}]")),
                        "analysis[0]", "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("fishbone", load("[{\"category\": \"Peo\\nple\","
                                                         " \"causes\": [\"a\"]}]")),
                        "analysis[0].category", "format") &&
         ok;
    ok = create_refused(
             REC_ROOT_CAUSE,
             root_cause_with("fishbone", load("{\"category\": \"People\", \"causes\": [\"a\"]}")),
             "analysis", "type") &&
         ok;
    /* at most 20 causes a category */
    json_t *causes = json_array();
    for (int i = 0; i < 21; i++)
        json_array_append_new(causes, json_string("a cause"));
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("fishbone", json_pack("[{s:s, s:o}]", "category", "People",
                                                              "causes", causes)),
                        "analysis[0].causes", "type") &&
         ok;
    assert_true(ok);
}

static void
test_create_root_cause_fault_tree(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_ROOT_CAUSE,
                   root_cause_with("fault_tree",
                                   load("{\"top_event\": \"Restore failed\","
                                        " \"causes\": [\"Tape unreadable\", \"No test\"]}")),
                   NULL) &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("fault_tree", load("{\"top_event\": \"Restore failed\"}")),
                        "analysis", "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE,
                        root_cause_with("fault_tree", load("{\"top_event\": \"x\", \"causes\":"
                                                           " [\"a\"], \"gates\": []}")),
                        "analysis", "type") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("fault_tree", load("[\"Restore failed\"]")),
                        "analysis", "type") &&
         ok;
    ok = create_refused(
             REC_ROOT_CAUSE,
             root_cause_with("fault_tree", load("{\"top_event\": \"x\", \"causes\": []}")),
             "analysis.causes", "type") &&
         ok;
    ok = create_refused(
             REC_ROOT_CAUSE,
             root_cause_with("fault_tree", load("{\"top_event\": \"\", \"causes\": [\"a\"]}")),
             "analysis.top_event", "required") &&
         ok;
    ok = create_refused(
             REC_ROOT_CAUSE,
             root_cause_with("fault_tree", load("{\"event\": \"x\", \"causes\": [\"a\"]}")),
             "analysis.top_event", NULL) &&
         ok;
    assert_true(ok);
}

static void
test_create_root_cause_other(void **state)
{
    (void)state;
    bool ok = true;
    ok =
        create_ok(REC_ROOT_CAUSE,
                  root_cause_with("other", json_string("A free analysis\nover two lines")), NULL) &&
        ok;
    ok =
        create_refused(REC_ROOT_CAUSE, root_cause_with("other", whys(1)), "analysis", "type") && ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("other", json_string("  ")), "analysis",
                        "required") &&
         ok;
    ok = create_refused(REC_ROOT_CAUSE, root_cause_with("other", json_string("x\x01")), "analysis",
                        "format") &&
         ok;
    assert_true(ok);
}

static void
test_create_root_cause_similar(void **state)
{
    (void)state;
    bool ok = true;
    json_t *j;
    /* yes needs where, or cases */
    j = without(root_cause_text, "similar_where");
    json_object_del(j, "similar_cases");
    ok = create_refused(REC_ROOT_CAUSE, j, "similar_where", "required") && ok;
    ok = create_ok(REC_ROOT_CAUSE, without(root_cause_text, "similar_where"), NULL) && ok;
    ok = create_ok(REC_ROOT_CAUSE, without(root_cause_text, "similar_cases"), NULL) && ok;
    j = without(root_cause_text, "similar_where");
    json_object_set_new(j, "similar_cases", json_array());
    ok = create_refused(REC_ROOT_CAUSE, j, "similar_where", "required") && ok;
    /* no and unknown need neither */
    j = with(root_cause_text, "similar_exist", json_string("no"));
    json_object_del(j, "similar_where");
    json_object_del(j, "similar_cases");
    ok = create_ok(REC_ROOT_CAUSE, j, NULL) && ok;
    j = with(root_cause_text, "similar_exist", json_string("unknown"));
    json_object_del(j, "similar_where");
    json_object_del(j, "similar_cases");
    ok = create_ok(REC_ROOT_CAUSE, j, NULL) && ok;
    /* similar_cases: UUIDs */
    ok = create_ok(REC_ROOT_CAUSE,
                   with(root_cause_text, "similar_cases", load("[\"" UUID_A "\", \"" UUID_B "\"]")),
                   NULL) &&
         ok;
    static const char *const bad[] = {"[\"NC-2026-0001\"]",
                                      "[\"" UUID_A "\", \"x\"]",
                                      "[1]",
                                      "[null]",
                                      "[\"0b8e2f3c5d614a7b8c9d1e2f3a4b5c6d\"]",
                                      "[\"0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6z\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ok = create_refused(REC_ROOT_CAUSE, with(root_cause_text, "similar_cases", load(bad[i])),
                            "similar_cases", "format") &&
             ok;
    /* at most 50 */
    json_t *many = json_array();
    for (int i = 0; i < 51; i++)
        json_array_append_new(many, json_string(i % 2 ? UUID_A : UUID_B));
    ok = create_refused(REC_ROOT_CAUSE, with(root_cause_text, "similar_cases", many),
                        "similar_cases", "type") &&
         ok;
    assert_true(ok);
}

/* records.c: F_IDS is "array of UUIDs (at most 50, unique)": a repeated id is refused. */
static void
test_create_root_cause_similar_cases_unique(void **state)
{
    (void)state;
    assert_true(create_refused(
        REC_ROOT_CAUSE,
        with(root_cause_text, "similar_cases", load("[\"" UUID_A "\", \"" UUID_A "\"]")),
        "similar_cases", NULL));
}

/* ---- rec_validate_create: action ---- */

static void
test_create_action_status_members_read_only(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const statuses[] = {"open", "in_progress", "done", "cancelled"};
    for (size_t i = 0; i < 4; i++)
        ok = create_refused(REC_ACTION, with(action_text, "status", json_string(statuses[i])),
                            "status", "read_only") &&
             ok;
    ok = create_refused(REC_ACTION, with(action_text, "completion_note", json_string("done")),
                        "status", "read_only") &&
         ok;
    ok = create_refused(REC_ACTION, with(action_text, "reason", json_string("no longer needed")),
                        "status", "read_only") &&
         ok;
    /* null is absence: no error */
    ok = create_ok(REC_ACTION, with(action_text, "status", json_null()),
                   with(action_text, "status", json_string("open"))) &&
         ok;
    assert_true(ok);
}

static void
test_create_action_external_refs(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_ok(REC_ACTION, with(action_text, "external_refs", json_array()), NULL) && ok;
    ok = create_ok(REC_ACTION,
                   with(action_text, "external_refs",
                        load("[{\"system\": \"jira\", \"key\": \"SEC-1\"},"
                             " {\"system\": \"servicenow\", \"key\": \"CHG0001\"}]")),
                   NULL) &&
         ok;
    static const struct {
        const char *value;
        const char *field;
        const char *code;
    } bad[] = {
        {"\"SEC-1\"", "external_refs", "type"},
        {"[\"SEC-1\"]", "external_refs[0]", "type"},
        {"[{\"system\": \"jira\"}]", "external_refs[0].key", "required"},
        {"[{\"key\": \"SEC-1\"}]", "external_refs[0].system", "required"},
        {"[{\"system\": \"Jira!\", \"key\": \"SEC-1\"}]", "external_refs[0].system", "format"},
        {"[{\"system\": \"jira\", \"key\": \"SEC-1\", \"url\": \"ftp://x\"}]",
         "external_refs[0].url", "format"},
        {"[{\"system\": \"jira\", \"key\": \"SEC-1\", \"id\": 1}]", "external_refs[0].id",
         "unknown"},
        {"[{\"system\": \"jira\", \"key\": \"SEC-1\"}, {\"system\": \"jira\", \"key\": \"SEC-1\"}]",
         "external_refs[1]", "duplicate"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ok = create_refused(REC_ACTION, with(action_text, "external_refs", load(bad[i].value)),
                            bad[i].field, bad[i].code) &&
             ok;
    json_t *many = json_array();
    for (int i = 0; i < 51; i++)
        json_array_append_new(many, json_pack("{s:s, s:i}", "system", "jira", "key", i));
    ok = create_refused(REC_ACTION, with(action_text, "external_refs", many), "external_refs",
                        "too_many") &&
         ok;
    assert_true(ok);
}

/* ---- rec_validate_create: ISMS change ---- */

static void
test_create_isms_change_decision_change(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const need[] = {"type", "reference", "description"};
    for (size_t i = 0; i < 3; i++)
        ok = create_refused(REC_ISMS_CHANGE, without(isms_change_text, need[i]), need[i],
                            "required") &&
             ok;
    ok = create_refused(REC_ISMS_CHANGE,
                        with(isms_change_text, "justification", json_string("because")),
                        "justification", "unexpected") &&
         ok;
    /* all three missing: all three reported */
    json_t *j_errors = json_array(), *content = NULL;
    json_t *body = load("{\"decision\": \"change\"}");
    int rc = rec_validate_create(REC_ISMS_CHANGE, body, &when, &content, j_errors);
    bool all = rc == ERR_INVALID && content == NULL && json_array_size(j_errors) == 3 &&
               has_error(j_errors, "type", "required") &&
               has_error(j_errors, "reference", "required") &&
               has_error(j_errors, "description", "required");
    if (!all)
        report("expected three required errors", REC_ISMS_CHANGE, body, rc, j_errors, content);
    json_decref(content);
    json_decref(body);
    json_decref(j_errors);
    assert_true(ok && all);
}

static void
test_create_isms_change_none_needed(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_refused(REC_ISMS_CHANGE, without(isms_none_text, "justification"), "justification",
                        "required") &&
         ok;
    ok = create_refused(REC_ISMS_CHANGE, with(isms_none_text, "type", json_string("policy")),
                        "type", "unexpected") &&
         ok;
    ok = create_refused(REC_ISMS_CHANGE, with(isms_none_text, "reference", json_string("POL-7")),
                        "reference", "unexpected") &&
         ok;
    ok = create_refused(REC_ISMS_CHANGE, with(isms_none_text, "description", json_string("x")),
                        "description", "unexpected") &&
         ok;
    /* a change body relabelled none_needed: three unexpected and justification required */
    json_t *j_errors = json_array(), *content = NULL;
    json_t *body = with(isms_change_text, "decision", json_string("none_needed"));
    int rc = rec_validate_create(REC_ISMS_CHANGE, body, &when, &content, j_errors);
    bool all = rc == ERR_INVALID && content == NULL && json_array_size(j_errors) == 4 &&
               has_error(j_errors, "justification", "required") &&
               has_error(j_errors, "type", "unexpected") &&
               has_error(j_errors, "reference", "unexpected") &&
               has_error(j_errors, "description", "unexpected");
    if (!all)
        report("expected four errors", REC_ISMS_CHANGE, body, rc, j_errors, content);
    json_decref(content);
    json_decref(body);
    json_decref(j_errors);
    assert_true(ok && all);
}

/* ---- rec_validate_create: link ---- */

static void
test_create_link_control(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const good[] = {"A.5.1", "A.8.8", "A.8.13", "A.8.34"};
    for (size_t i = 0; i < 4; i++)
        ok = create_ok(REC_LINK, with(link_control_text, "control", json_string(good[i])), NULL) &&
             ok;
    static const char *const bad[] = {"8.8",   "a.8.8",       "A-8.8",       "A.8.8x",
                                      "A 8.8", "Annex A.8.8", "A.8.8.8.8.8", "A.8.13\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ok = create_refused(REC_LINK, with(link_control_text, "control", json_string(bad[i])),
                            "control", "format") &&
             ok;
    ok = create_refused(REC_LINK, without(link_control_text, "control"), "control", "required") &&
         ok;
    ok = create_refused(REC_LINK, with(link_control_text, "target_case", json_string(UUID_A)),
                        "target_case", "unexpected") &&
         ok;
    assert_true(ok);
}

/* A control is named A.x.y (clause A.5 to A.8, then the control): "A." or "A.8" name none. */
static void
test_create_link_control_needs_x_y_form(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const bad[] = {"A.", "A..", "A.8", "A.8.", "A..8", "A.8..8"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ok = create_refused(REC_LINK, with(link_control_text, "control", json_string(bad[i])),
                            "control", "format") &&
             ok;
    assert_true(ok);
}

static void
test_create_link_case(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const good[] = {UUID_A, "NC-2026-0001", "OFI-2026-0042",
                                       "NC-2026-123456789"};
    for (size_t i = 0; i < 4; i++)
        ok = create_ok(REC_LINK, with(link_case_text, "target_case", json_string(good[i])), NULL) &&
             ok;
    static const char *const bad[] = {
        "nc-2026-0001", "NC-26-0001", "NC-2026-001", "case 1", "0b8e2f3c5d614a7b8c9d1e2f3a4b5c6d",
        "A.8.8"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ok = create_refused(REC_LINK, with(link_case_text, "target_case", json_string(bad[i])),
                            "target_case", "format") &&
             ok;
    ok = create_refused(REC_LINK, without(link_case_text, "target_case"), "target_case",
                        "required") &&
         ok;
    ok = create_refused(REC_LINK, with(link_case_text, "control", json_string("A.8.8")), "control",
                        "unexpected") &&
         ok;
    /* a case link naming only a control: both problems */
    ok = create_refused_with(REC_LINK, load("{\"type\": \"related_case\", \"control\": \"A.8.8\"}"),
                             "target_case", "required") &&
         ok;
    ok = create_refused_with(REC_LINK, load("{\"type\": \"related_case\", \"control\": \"A.8.8\"}"),
                             "control", "unexpected") &&
         ok;
    /* a control link naming only a case */
    ok = create_refused_with(REC_LINK,
                             load("{\"type\": \"control\", \"target_case\": \"" UUID_A "\"}"),
                             "control", "required") &&
         ok;
    assert_true(ok);
}

/* ---- rec_validate_create: approval ---- */

static void
test_create_approval(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const good[] = {"closure", "approve", "step_2", "a", "x9"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        ok = create_ok(REC_APPROVAL, with(approval_text, "step", json_string(good[i])), NULL) && ok;
    ok = create_ok(REC_APPROVAL, with(approval_text, "step", string_of_n("a", 63)), NULL) && ok;
    ok = create_refused(REC_APPROVAL, with(approval_text, "step", string_of_n("a", 64)), "step",
                        NULL) &&
         ok;
    static const char *const bad[] = {
        "Closure", "2nd", "_closure", "clo sure", "clo-sure", "clos\xc3\xbcre", "closure\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ok = create_refused(REC_APPROVAL, with(approval_text, "step", json_string(bad[i])), "step",
                            "format") &&
             ok;
    ok = create_refused(REC_APPROVAL, with(approval_text, "step", json_string("")), "step", NULL) &&
         ok;
    /* a rejection needs a comment; an approval does not */
    ok = create_refused(REC_APPROVAL, without(reject_text, "comment"), "comment", "required") && ok;
    ok = create_refused(REC_APPROVAL, with(reject_text, "comment", json_null()), "comment",
                        "required") &&
         ok;
    ok = create_ok(REC_APPROVAL, with(approval_text, "comment", json_null()),
                   without(approval_text, "comment")) &&
         ok;
    ok = create_ok(REC_APPROVAL, with(reject_text, "comment", json_string("Not yet\nsee review")),
                   NULL) &&
         ok;
    assert_true(ok);
}

/*
 * Members that become required by a rule (a none_needed justification, a
 * rejection's comment, the note that completes an action, the reason that
 * cancels one, where similar nonconformities are) are not given by blank text,
 * as a required member is not.
 */
static void
test_conditionally_required_member_blank_refused(void **state)
{
    (void)state;
    bool ok = true;
    ok = create_refused(REC_ISMS_CHANGE, with(isms_none_text, "justification", json_string(" ")),
                        "justification", "required") &&
         ok;
    ok = create_refused(REC_APPROVAL, with(reject_text, "comment", json_string(" \n")), "comment",
                        "required") &&
         ok;
    json_t *j = with(root_cause_text, "similar_where", json_string("  "));
    json_object_del(j, "similar_cases");
    ok = create_refused(REC_ROOT_CAUSE, j, "similar_where", "required") && ok;
    ok = update_refused(REC_ACTION, action_open,
                        load("{\"status\": \"done\", \"completion_note\": \" \"}"),
                        "completion_note", "required") &&
         ok;
    ok = update_refused(REC_ACTION, action_in_progress,
                        load("{\"status\": \"cancelled\", \"reason\": \"\\t\\n\"}"), "reason",
                        "required") &&
         ok;
    assert_true(ok);
}

/* ---- rec_validate_update: actions ---- */

static void
test_update_action_lifecycle(void **state)
{
    (void)state;
    bool ok = true;
    ok = update_ok(REC_ACTION, action_open, load("{\"status\": \"in_progress\"}"),
                   action_in_progress, "capa.action.updated") &&
         ok;
    ok = update_ok(REC_ACTION, action_in_progress,
                   load("{\"status\": \"done\", \"completion_note\": \"Owner named\"}"),
                   action_done, "capa.action.completed") &&
         ok;
    /* straight from open too */
    ok = update_ok(REC_ACTION, action_open,
                   load("{\"status\": \"done\", \"completion_note\": \"Owner named\"}"),
                   action_done, "capa.action.completed") &&
         ok;
    ok = update_ok(REC_ACTION, action_in_progress,
                   load("{\"status\": \"cancelled\", \"reason\": \"Superseded\"}"),
                   action_cancelled, "capa.action.cancelled") &&
         ok;
    ok = update_ok(REC_ACTION, action_open,
                   load("{\"status\": \"cancelled\", \"reason\": \"Superseded\"}"),
                   action_cancelled, "capa.action.cancelled") &&
         ok;
    /* back from in progress to open */
    ok = update_ok(REC_ACTION, action_in_progress, load("{\"status\": \"open\"}"), action_open,
                   "capa.action.updated") &&
         ok;
    assert_true(ok);
}

static void
test_update_action_fields(void **state)
{
    (void)state;
    bool ok = true;
    ok = update_ok(REC_ACTION, action_open, load("{\"title\": \"Name an owner\"}"),
                   "{\"type\": \"corrective\", \"title\": \"Name an owner\","
                   " \"assignee\": \"bob\", \"due_date\": \"2026-04-30\", \"status\": \"open\"}",
                   "capa.action.updated") &&
         ok;
    /* null removes an optional member */
    ok = update_ok(REC_ACTION, action_in_progress,
                   load("{\"assignee\": null, \"due_date\": \"2026-05-15\"}"),
                   "{\"type\": \"corrective\", \"title\": \"Assign an owner\","
                   " \"due_date\": \"2026-05-15\", \"status\": \"in_progress\"}",
                   "capa.action.updated") &&
         ok;
    /* the same status is no move: a plain update */
    ok = update_ok(REC_ACTION, action_open, load("{\"status\": \"open\"}"), action_open,
                   "capa.action.updated") &&
         ok;
    ok = update_ok(REC_ACTION, action_open,
                   load("{\"external_refs\": [{\"system\": \"jira\", \"key\": \"SEC-9\"}]}"),
                   "{\"type\": \"corrective\", \"title\": \"Assign an owner\","
                   " \"assignee\": \"bob\", \"due_date\": \"2026-04-30\", \"status\": \"open\","
                   " \"external_refs\": [{\"system\": \"jira\", \"key\": \"SEC-9\"}]}",
                   "capa.action.updated") &&
         ok;
    assert_true(ok);
}

static void
test_update_action_refused(void **state)
{
    (void)state;
    bool ok = true;
    /* completing needs a note, cancelling a reason */
    ok = update_refused(REC_ACTION, action_in_progress, load("{\"status\": \"done\"}"),
                        "completion_note", "required") &&
         ok;
    ok = update_refused(REC_ACTION, action_open, load("{\"status\": \"cancelled\"}"), "reason",
                        "required") &&
         ok;
    /* the patched whole is validated */
    ok = update_refused(REC_ACTION, action_open, load("{\"title\": null}"), "title", "required") &&
         ok;
    ok =
        update_refused(REC_ACTION, action_open, load("{\"status\": null}"), "status", "required") &&
        ok;
    ok = update_refused(REC_ACTION, action_open, load("{\"due_date\": \"2026-02-30\"}"), "due_date",
                        "format") &&
         ok;
    ok = update_refused(REC_ACTION, action_open, load("{\"title\": \"a\\nb\"}"), "title",
                        "format") &&
         ok;
    ok = update_refused(REC_ACTION, action_open, load("{\"type\": \"fix\"}"), "type", "enum") && ok;
    ok =
        update_refused(REC_ACTION, action_open, load("{\"owner\": \"bob\"}"), "owner", "unknown") &&
        ok;
    ok = update_refused(REC_ACTION, action_open,
                        load("{\"external_refs\": [{\"system\": \"jira\"}]}"),
                        "external_refs[0].key", "required") &&
         ok;
    ok = update_refused_with(REC_ACTION, action_open, load("{\"status\": \"closed\"}"), "status",
                             "enum") &&
         ok;
    ok = update_refused(REC_ACTION, action_open, load("[]"), "", "type") && ok;
    assert_true(ok);
}

static void
test_update_action_closed_cannot_move_or_change(void **state)
{
    (void)state;
    bool ok = true;
    static const char *const from_done[] = {"open", "in_progress", "cancelled"};
    for (size_t i = 0; i < 3; i++) {
        json_t *patch = json_pack("{s:s, s:s}", "status", from_done[i], "reason", "r");
        ok = update_refused(REC_ACTION, action_done, patch, "status", "transition") && ok;
    }
    ok = update_refused(REC_ACTION, action_done, load("{\"status\": \"open\"}"), "status",
                        "transition") &&
         ok;
    static const char *const from_cancelled[] = {"open", "in_progress", "done"};
    for (size_t i = 0; i < 3; i++) {
        json_t *patch =
            json_pack("{s:s, s:s}", "status", from_cancelled[i], "completion_note", "n");
        ok = update_refused(REC_ACTION, action_cancelled, patch, "status", "transition") && ok;
    }
    /* a done or cancelled action cannot change at all */
    ok = update_refused(REC_ACTION, action_done, load("{\"title\": \"New title\"}"), "status",
                        "closed") &&
         ok;
    ok = update_refused(REC_ACTION, action_done, load("{\"completion_note\": \"Other note\"}"),
                        "status", "closed") &&
         ok;
    ok =
        update_refused(REC_ACTION, action_done, load("{\"assignee\": null}"), "status", "closed") &&
        ok;
    ok = update_refused(REC_ACTION, action_cancelled, load("{\"due_date\": \"2026-12-31\"}"),
                        "status", "closed") &&
         ok;
    ok = update_refused(REC_ACTION, action_done,
                        load("{\"status\": \"done\", \"title\": \"New title\"}"), "status",
                        "closed") &&
         ok;
    assert_true(ok);
}

static void
test_update_action_transition_detail(void **state)
{
    (void)state;
    json_t *current = load(action_done), *patch = load("{\"status\": \"open\"}");
    json_t *j_errors = json_array(), *content = NULL;
    const char *type = NULL;
    assert_int_equal(
        rec_validate_update(REC_ACTION, current, patch, &when, &content, &type, j_errors),
        ERR_INVALID);
    assert_null(content);
    assert_int_equal(json_array_size(j_errors), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j_errors, 0), "detail")),
                        "an action that is done cannot become open");
    json_decref(j_errors);
    json_decref(patch);
    json_decref(current);
}

/* ---- rec_validate_update: reviews ---- */

static void
test_update_review_verdict(void **state)
{
    (void)state;
    bool ok = true;
    ok =
        update_ok(REC_REVIEW, review_due_text,
                  load("{\"verdict\": \"effective\", \"rationale\": \"Three tests passed\","
                       " \"evidence\": [\"" UUID_A "\", \"" UUID_B "\"]}"),
                  "{\"scheduled_for\": \"2026-03-05\", \"reviewer\": \"carol\","
                  " \"criteria\": \"Three monthly restore tests pass\","
                  " \"verdict\": \"effective\", \"rationale\": \"Three tests passed\","
                  " \"evidence\": [\"" UUID_A "\", \"" UUID_B "\"], \"performed_at\": \"" NOW "\"}",
                  "capa.review.recorded") &&
        ok;
    ok = update_ok(REC_REVIEW, review_due_text,
                   load("{\"verdict\": \"not_effective\", \"rationale\": \"One failed\\nagain\"}"),
                   "{\"scheduled_for\": \"2026-03-05\", \"reviewer\": \"carol\","
                   " \"criteria\": \"Three monthly restore tests pass\","
                   " \"verdict\": \"not_effective\", \"rationale\": \"One failed\\nagain\","
                   " \"performed_at\": \"" NOW "\"}",
                   "capa.review.recorded") &&
         ok;
    /* performed when the reviewer says, not when it was recorded; canonical */
    ok = update_ok(REC_REVIEW, review_due_text,
                   load("{\"verdict\": \"effective\", \"rationale\": \"ok\", \"evidence\": [],"
                        " \"performed_at\": \"2026-03-05T10:00:00+01:00\"}"),
                   "{\"scheduled_for\": \"2026-03-05\", \"reviewer\": \"carol\","
                   " \"criteria\": \"Three monthly restore tests pass\","
                   " \"verdict\": \"effective\", \"rationale\": \"ok\", \"evidence\": [],"
                   " \"performed_at\": \"2026-03-05T09:00:00.000000Z\"}",
                   "capa.review.recorded") &&
         ok;
    /* before the scheduled date, with the reason it is early */
    ok = update_ok(REC_REVIEW, review_text,
                   load("{\"verdict\": \"effective\", \"rationale\": \"ok\","
                        " \"early_reason\": \"the auditor visits in May\"}"),
                   "{\"scheduled_for\": \"2026-06-01\", \"reviewer\": \"carol\","
                   " \"criteria\": \"Three monthly restore tests pass\","
                   " \"verdict\": \"effective\", \"rationale\": \"ok\","
                   " \"early_reason\": \"the auditor visits in May\", \"performed_at\": \"" NOW
                   "\"}",
                   "capa.review.recorded") &&
         ok;
    assert_true(ok);
}

/* When a verdict was performed: not early without a reason, not in the future, not before. */
static void
test_update_review_verdict_times_refused(void **state)
{
    (void)state;
    bool ok = true;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"ok\"}"), "early_reason",
                        "required") &&
         ok;
    ok = update_refused(REC_REVIEW, review_due_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"ok\","
                             " \"early_reason\": \"no reason\"}"),
                        "early_reason", "unexpected") &&
         ok;
    /* five minutes of skew pass, more do not */
    ok = update_ok(REC_REVIEW, review_due_text,
                   load("{\"verdict\": \"effective\", \"rationale\": \"ok\","
                        " \"performed_at\": \"2026-03-05T12:04:59Z\"}"),
                   "{\"scheduled_for\": \"2026-03-05\", \"reviewer\": \"carol\","
                   " \"criteria\": \"Three monthly restore tests pass\","
                   " \"verdict\": \"effective\", \"rationale\": \"ok\","
                   " \"performed_at\": \"2026-03-05T12:04:59.000000Z\"}",
                   "capa.review.recorded") &&
         ok;
    ok = update_refused(REC_REVIEW, review_due_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"ok\","
                             " \"performed_at\": \"2026-03-05T12:05:01Z\"}"),
                        "performed_at", "future") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"ok\","
                             " \"performed_at\": \"2025-12-31T23:59:59Z\"}"),
                        "performed_at", "before_detection") &&
         ok;
    assert_true(ok);
}

static void
test_update_review_refused(void **state)
{
    (void)state;
    bool ok = true;
    static const char recorded[] =
        "{\"scheduled_for\": \"2026-06-01\", \"reviewer\": \"carol\", \"criteria\": \"c\","
        " \"verdict\": \"not_effective\", \"rationale\": \"failed\"}";
    ok = update_refused(REC_REVIEW, recorded,
                        load("{\"verdict\": \"effective\", \"rationale\": \"now it works\"}"),
                        "verdict", "recorded") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"ok\", \"rationale\": \"x\"}"), "verdict", "enum") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"Effective\", \"rationale\": \"x\"}"), "verdict",
                        "enum") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text, load("{\"rationale\": \"x\"}"), "verdict",
                        "required") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text, load("{\"verdict\": \"effective\"}"), "rationale",
                        "required") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"  \"}"), "rationale",
                        "required") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"x\","
                             " \"evidence\": [\"report.pdf\"]}"),
                        "evidence", "format") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"x\","
                             " \"evidence\": [42]}"),
                        "evidence", "format") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"x\","
                             " \"evidence\": \"" UUID_A "\"}"),
                        "evidence", "type") &&
         ok;
    /* the schedule is not the verdict's to change */
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"effective\", \"rationale\": \"x\","
                             " \"reviewer\": \"dave\"}"),
                        "reviewer", "unknown") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text, load("\"effective\""), "", "type") && ok;
    assert_true(ok);
}

/* A verdict given as null is no verdict: it must be refused, not recorded without one. */
static void
test_update_review_verdict_null_refused(void **state)
{
    (void)state;
    bool ok = true;
    ok = update_refused(REC_REVIEW, review_text, load("{\"verdict\": null, \"rationale\": \"x\"}"),
                        "verdict", "required") &&
         ok;
    ok = update_refused(REC_REVIEW, review_text,
                        load("{\"verdict\": \"effective\", \"rationale\": null}"), "rationale",
                        "required") &&
         ok;
    assert_true(ok);
}

/* ---- rec_validate_update: root cause, other kinds ---- */

static void
test_update_root_cause_revision(void **state)
{
    (void)state;
    bool ok = true;
    static const char revision[] =
        "{\"method\": \"fault_tree\","
        " \"analysis\": {\"top_event\": \"Restore failed\", \"causes\": [\"No test\"]},"
        " \"root_cause\": \"No restore test\", \"similar_exist\": \"no\"}";
    /* a full replacement: nothing of the old analysis remains */
    ok = update_ok(REC_ROOT_CAUSE, root_cause_text, load(revision), revision,
                   "capa.rootcause.recorded") &&
         ok;
    /* a partial body is not a revision */
    json_t *j_errors = json_array(), *content = NULL, *current = load(root_cause_text);
    json_t *patch = load("{\"root_cause\": \"Something else\"}");
    const char *type = NULL;
    int rc = rec_validate_update(REC_ROOT_CAUSE, current, patch, &when, &content, &type, j_errors);
    bool partial = rc == ERR_INVALID && content == NULL && json_array_size(j_errors) == 3 &&
                   has_error(j_errors, "method", "required") &&
                   has_error(j_errors, "analysis", "required") &&
                   has_error(j_errors, "similar_exist", "required");
    if (!partial)
        report("expected three required errors", REC_ROOT_CAUSE, patch, rc, j_errors, content);
    json_decref(content);
    json_decref(patch);
    json_decref(current);
    json_decref(j_errors);
    /* and the revision is validated like a create */
    json_t *bad = load(revision);
    json_object_set_new(bad, "analysis", load("{\"top_event\": \"x\", \"causes\": []}"));
    ok = update_refused(REC_ROOT_CAUSE, root_cause_text, bad, "analysis.causes", "type") && ok;
    bad = load(revision);
    json_object_set_new(bad, "similar_exist", json_string("yes"));
    ok = update_refused(REC_ROOT_CAUSE, root_cause_text, bad, "similar_where", "required") && ok;
    bad = load(revision);
    json_object_set_new(bad, "method", json_string("five_whys"));
    ok = update_refused(REC_ROOT_CAUSE, root_cause_text, bad, "analysis", "type") && ok;
    ok = update_refused(REC_ROOT_CAUSE, root_cause_text, with(revision, "version", json_integer(2)),
                        "version", "unknown") &&
         ok;
    assert_true(ok && partial);
}

static void
test_update_other_kinds_conflict(void **state)
{
    (void)state;
    static const struct {
        enum rec_kind kind;
        const char *current;
    } cases[] = {
        {REC_CORRECTION, correction_want}, {REC_ISMS_CHANGE, isms_change_text},
        {REC_LINK, link_case_text},        {REC_EVIDENCE, "{\"filename\": \"a.pdf\"}"},
        {REC_COMMENT, comment_text},       {REC_APPROVAL, approval_text},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *current = load(cases[i].current), *patch = load("{\"colour\": \"red\"}");
        json_t *j_errors = json_array(), *content = (json_t *)1;
        const char *type = "x";
        int rc =
            rec_validate_update(cases[i].kind, current, patch, &when, &content, &type, j_errors);
        size_t n = json_array_size(j_errors);
        json_decref(j_errors);
        json_decref(patch);
        json_decref(current);
        assert_int_equal(rc, ERR_CONFLICT);
        assert_null(content);
        assert_null(type);
        assert_int_equal(n, 0);
    }
}

/* ---- rec_action_overdue ---- */

static void
test_rec_action_overdue(void **state)
{
    (void)state;
    static const struct {
        const char *content;
        const char *today;
        bool overdue;
    } cases[] = {
        {"{\"status\": \"open\", \"due_date\": \"2026-03-01\"}", "2026-03-02", true},
        {"{\"status\": \"in_progress\", \"due_date\": \"2026-03-01\"}", "2026-03-02", true},
        {"{\"status\": \"open\", \"due_date\": \"2025-12-31\"}", "2026-01-01", true},
        {"{\"status\": \"open\", \"due_date\": \"2026-03-01\"}", "2026-03-01", false},
        {"{\"status\": \"open\", \"due_date\": \"2026-03-01\"}", "2026-02-28", false},
        {"{\"status\": \"in_progress\", \"due_date\": \"2026-03-01\"}", "2026-03-01", false},
        {"{\"status\": \"done\", \"due_date\": \"2026-03-01\"}", "2026-03-02", false},
        {"{\"status\": \"cancelled\", \"due_date\": \"2026-03-01\"}", "2026-03-02", false},
        {"{\"status\": \"open\"}", "2026-03-02", false},
        {"{\"due_date\": \"2026-03-01\"}", "2026-03-02", false},
        {"{\"status\": \"open\", \"due_date\": null}", "2026-03-02", false},
        {"{}", "2026-03-02", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *c = load(cases[i].content);
        bool overdue = rec_action_overdue(c, cases[i].today);
        json_decref(c);
        if (overdue != cases[i].overdue)
            print_error("%s on %s\n", cases[i].content, cases[i].today);
        assert_int_equal(overdue, cases[i].overdue);
    }
}

/* ---- rec_filename_valid, rec_media_type_valid ---- */

static void
test_rec_filename_valid(void **state)
{
    (void)state;
    static const char *const good[] = {"report 2026.pdf",
                                       "r\xc3\xa9sum\xc3\xa9.pdf",
                                       "\xe8\xa8\xbc\xe6\x8b\xa0.png",
                                       "a",
                                       "...",
                                       ".hidden",
                                       "x..y",
                                       "name with spaces and (brackets).tar.gz"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        if (!rec_filename_valid(good[i]))
            print_error("refused %s\n", good[i]);
        assert_true(rec_filename_valid(good[i]));
    }
    static const char *const bad[] = {"",   ".",    "..",   "../x", "a/b",   "a\\b",    "/etc",
                                      "x/", "a\nb", "a\tb", "a\rb", "a\x01", "\x1b[0m", "a\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (rec_filename_valid(bad[i]))
            print_error("accepted bad[%zu]\n", i);
        assert_false(rec_filename_valid(bad[i]));
    }
    char name[300];
    memset(name, 'x', sizeof name);
    name[255] = '\0';
    assert_true(rec_filename_valid(name));
    name[255] = 'x';
    name[256] = '\0';
    assert_false(rec_filename_valid(name));
}

static void
test_rec_media_type_valid(void **state)
{
    (void)state;
    static const char *const good[] = {"application/pdf",
                                       "text/plain; charset=utf-8",
                                       "text/plain;charset=utf-8",
                                       "image/png",
                                       "application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet",
                                       "application/ld+json",
                                       "application/octet-stream",
                                       "text/plain ; charset=utf-8",
                                       "text/plain\t;\tcharset=\"utf-8\""};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        if (!rec_media_type_valid(good[i]))
            print_error("refused %s\n", good[i]);
        assert_true(rec_media_type_valid(good[i]));
    }
    static const char *const bad[] = {
        "", "pdf", "/x", "a/", "a b/c", "/", "a/b/c", "text /plain", "a/(b)", "te\nxt/plain",
        /* what follows the subtype */
        "text/pl ain", "text/plain x", "text/plain\xff",
        /* parameters: no control characters, no bytes past ASCII */
        "text/plain; charset=\xff\xfe", "text/plain; charset=\xc3\xa9", "text/plain;\x01",
        "text/plain; a=\x7f", "text/plain; a=b\r\nX-Injected: 1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (rec_media_type_valid(bad[i]))
            print_error("accepted %s\n", bad[i]);
        assert_false(rec_media_type_valid(bad[i]));
    }
    char type[300];
    memset(type, 'a', sizeof type);
    type[0] = 'x';
    type[1] = '/';
    type[255] = '\0';
    assert_true(rec_media_type_valid(type));
    type[255] = 'a';
    type[256] = '\0';
    assert_false(rec_media_type_valid(type));
}

/* ---- wf_readiness_json ---- */

static const struct wf_facts full_facts = {
    .severity = CASE_SEV_MAJOR,
    .corrections = 1,
    .root_cause_complete = true,
    .corrective_actions_planned = 1,
    .actions_done = 2,
    .actions_open = 0,
    .latest_verdict = WF_VERDICT_EFFECTIVE,
    .isms_changes = 1,
    .n_approved = 1,
    .approved = {"closure"},
    .evidence = 3,
    .cycle = 1,
};

static void
test_readiness_empty_facts(void **state)
{
    (void)state;
    struct wf_facts f;
    memset(&f, 0, sizeof f);
    f.cycle = 1;
    json_t *got = wf_readiness_json(&f);
    json_t *want =
        load("{\"reaction\": {\"clause\": \"10.2 a\", \"present\": false,"
             "                \"detail\": \"0 correction(s) recorded\"},"
             " \"cause\": {\"clause\": \"10.2 b\", \"present\": false,"
             "             \"detail\": \"no root-cause analysis recorded in this cycle\"},"
             " \"actions\": {\"clause\": \"10.2 c\", \"present\": false,"
             "               \"detail\": \"0 action(s) of this cycle done, 0 open or in "
             "progress\"},"
             " \"effectiveness\": {\"clause\": \"10.2 d\", \"present\": false,"
             "                     \"detail\": \"no verdict recorded in this cycle\"},"
             " \"isms_changes\": {\"clause\": \"10.2 e\", \"present\": false,"
             "                    \"detail\": \"0 ISMS change record(s) in this cycle\"},"
             " \"evidence\": {\"clause\": \"10.2 f-g\", \"present\": false,"
             "                \"detail\": \"0 evidence file(s)\"},"
             " \"complete\": false, \"cycle\": 1}");
    bool ok = got != NULL && json_equal(got, want);
    if (!ok)
        report("readiness of empty facts", REC_CORRECTION, got, 0, NULL, want);
    json_decref(got);
    json_decref(want);
    assert_true(ok);
}

static void
test_readiness_full_facts(void **state)
{
    (void)state;
    json_t *got = wf_readiness_json(&full_facts);
    json_t *want = load(
        "{\"reaction\": {\"clause\": \"10.2 a\", \"present\": true,"
        "                \"detail\": \"1 correction(s) recorded\"},"
        " \"cause\": {\"clause\": \"10.2 b\", \"present\": true,"
        "             \"detail\": \"root cause analysed in this cycle, similar nonconformities "
        "considered\"},"
        " \"actions\": {\"clause\": \"10.2 c\", \"present\": true,"
        "               \"detail\": \"2 action(s) of this cycle done, 0 open or in progress\"},"
        " \"effectiveness\": {\"clause\": \"10.2 d\", \"present\": true,"
        "                     \"detail\": \"latest review of this cycle: effective\"},"
        " \"isms_changes\": {\"clause\": \"10.2 e\", \"present\": true,"
        "                    \"detail\": \"1 ISMS change record(s) in this cycle\"},"
        " \"evidence\": {\"clause\": \"10.2 f-g\", \"present\": true,"
        "                \"detail\": \"3 evidence file(s)\"},"
        " \"complete\": true, \"cycle\": 1}");
    bool ok = got != NULL && json_equal(got, want);
    if (!ok)
        report("readiness of full facts", REC_CORRECTION, got, 0, NULL, want);
    json_decref(got);
    json_decref(want);
    assert_true(ok);
}

/* Each element missing on its own: that element absent, the rest present, not complete. */
static void
test_readiness_each_element_missing(void **state)
{
    (void)state;
    static const char *const elements[] = {"reaction",      "cause",        "actions",
                                           "effectiveness", "isms_changes", "evidence"};
    static const char *const clauses[] = {"10.2 a", "10.2 b", "10.2 c",
                                          "10.2 d", "10.2 e", "10.2 f-g"};
    for (int missing = 0; missing < 7; missing++) {
        struct wf_facts f = full_facts;
        const char *absent = NULL;
        switch (missing) {
        case 0:
            f.corrections = 0, absent = "reaction";
            break;
        case 1:
            f.root_cause_complete = false, absent = "cause";
            break;
        case 2:
            f.actions_open = 1, absent = "actions";
            break; /* one still open */
        case 3:
            f.actions_done = 0, absent = "actions";
            break; /* none done */
        case 4:
            f.latest_verdict = WF_VERDICT_NOT_EFFECTIVE, absent = "effectiveness";
            break;
        case 5:
            f.isms_changes = 0, absent = "isms_changes";
            break;
        case 6:
            f.evidence = 0, absent = "evidence";
            break;
        }
        json_t *got = wf_readiness_json(&f);
        assert_non_null(got);
        bool ok = json_is_false(json_object_get(got, "complete")) && json_object_size(got) == 8;
        for (int e = 0; e < 6; e++) {
            json_t *el = json_object_get(got, elements[e]);
            bool present = json_is_true(json_object_get(el, "present"));
            ok = ok && json_object_size(el) == 3 &&
                 json_string_length(json_object_get(el, "detail")) > 0 &&
                 strcmp(json_string_value(json_object_get(el, "clause")), clauses[e]) == 0 &&
                 present == (strcmp(elements[e], absent) != 0);
        }
        if (missing == 2)
            ok = ok && strcmp(json_string_value(
                                  json_object_get(json_object_get(got, "actions"), "detail")),
                              "2 action(s) of this cycle done, 1 open or in progress") == 0;
        if (missing == 4)
            ok = ok && strcmp(json_string_value(
                                  json_object_get(json_object_get(got, "effectiveness"), "detail")),
                              "latest review of this cycle: not effective") == 0;
        if (!ok)
            report("readiness with one element missing", REC_CORRECTION, got, missing, NULL, NULL);
        json_decref(got);
        assert_true(ok);
    }
}

/*
 * Readiness and the guards read the same facts the same way: each element is
 * present exactly when the guard that asks for it in the workflow is met.
 */
static bool
guard_met(const char *guard, const struct wf_facts *f)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"kind\": \"nonconformity\", \"initial\": \"a\","
             " \"states\": [{\"name\": \"a\"}, {\"name\": \"b\", \"terminal\": true}],"
             " \"transitions\": [{\"from\": \"a\", \"to\": \"b\", \"guards\": [\"%s\"],"
             "                    \"roles\": [\"contributor\"]}],"
             " \"sla_days\": {\"major\": {\"contain\": 2, \"close\": 30},"
             "                \"minor\": {\"contain\": 7, \"close\": 90},"
             "                \"observation\": {\"contain\": null, \"close\": 180}}}",
             guard);
    json_t *j = load(text), *j_errors = json_array();
    struct wf_definition *def = NULL;
    int rc = wf_definition_parse(j, &def, j_errors);
    json_decref(j);
    json_decref(j_errors);
    assert_int_equal(rc, ERR_OK);
    struct wf_check check;
    rc = wf_check(def, "a", "b", f, &check);
    wf_definition_free(def);
    return rc == ERR_OK;
}

static void
test_readiness_agrees_with_guards(void **state)
{
    (void)state;
    static const struct {
        const char *element;
        const char *guard;
    } pairs[] = {
        {"reaction", "has_correction"},          {"cause", "root_cause_complete"},
        {"actions", "actions_finished"},         {"effectiveness", "review_effective"},
        {"isms_changes", "isms_change_decided"},
    };
    struct wf_facts variants[8];
    memset(variants, 0, sizeof variants);
    variants[1] = full_facts;
    variants[2] = full_facts, variants[2].actions_open = 3;
    variants[3] = full_facts, variants[3].actions_done = 0, variants[3].actions_open = 0;
    variants[4] = full_facts, variants[4].latest_verdict = WF_VERDICT_NOT_EFFECTIVE;
    variants[5] = full_facts, variants[5].corrections = 0, variants[5].isms_changes = 0;
    variants[6].actions_done = 1, variants[6].corrections = 2;
    variants[7].root_cause_complete = true, variants[7].latest_verdict = WF_VERDICT_EFFECTIVE;
    for (size_t v = 0; v < 8; v++) {
        json_t *got = wf_readiness_json(&variants[v]);
        assert_non_null(got);
        for (size_t p = 0; p < sizeof pairs / sizeof *pairs; p++) {
            bool present =
                json_is_true(json_object_get(json_object_get(got, pairs[p].element), "present"));
            bool met = guard_met(pairs[p].guard, &variants[v]);
            if (present != met)
                print_error("variant %zu: %s present %d, guard %s met %d\n", v, pairs[p].element,
                            present, pairs[p].guard, met);
            if (present != met)
                json_decref(got);
            assert_int_equal(present, met);
        }
        json_decref(got);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rec_kind_names_events),
        cmocka_unit_test(test_rec_kind_names_and_events_unique),
        cmocka_unit_test(test_create_correction_canonical),
        cmocka_unit_test(test_create_root_cause_canonical),
        cmocka_unit_test(test_create_action_canonical_starts_open),
        cmocka_unit_test(test_create_review_canonical),
        cmocka_unit_test(test_create_isms_change_canonical),
        cmocka_unit_test(test_create_link_canonical),
        cmocka_unit_test(test_create_comment_canonical),
        cmocka_unit_test(test_create_approval_canonical),
        cmocka_unit_test(test_create_existing_errors_not_counted),
        cmocka_unit_test(test_create_evidence_not_from_json),
        cmocka_unit_test(test_create_each_required_member_missing),
        cmocka_unit_test(test_create_all_required_missing_reported_together),
        cmocka_unit_test(test_create_required_member_null_refused),
        cmocka_unit_test(test_create_unknown_member_refused),
        cmocka_unit_test(test_create_non_object_body_refused),
        cmocka_unit_test(test_create_wrong_types_refused),
        cmocka_unit_test(test_create_person_as_principal),
        cmocka_unit_test(test_create_too_long_text_refused),
        cmocka_unit_test(test_create_enum_values_refused),
        cmocka_unit_test(test_create_enum_detail_lists_values),
        cmocka_unit_test(test_create_every_enum_value_accepted),
        cmocka_unit_test(test_create_dates),
        cmocka_unit_test(test_create_control_characters),
        cmocka_unit_test(test_create_comment_body),
        cmocka_unit_test(test_create_root_cause_five_whys),
        cmocka_unit_test(test_create_root_cause_fishbone),
        cmocka_unit_test(test_create_root_cause_fault_tree),
        cmocka_unit_test(test_create_root_cause_other),
        cmocka_unit_test(test_create_root_cause_similar),
        cmocka_unit_test(test_create_root_cause_similar_cases_unique),
        cmocka_unit_test(test_create_action_status_members_read_only),
        cmocka_unit_test(test_create_action_external_refs),
        cmocka_unit_test(test_create_isms_change_decision_change),
        cmocka_unit_test(test_create_isms_change_none_needed),
        cmocka_unit_test(test_create_link_control),
        cmocka_unit_test(test_create_link_control_needs_x_y_form),
        cmocka_unit_test(test_create_link_case),
        cmocka_unit_test(test_create_approval),
        cmocka_unit_test(test_conditionally_required_member_blank_refused),
        cmocka_unit_test(test_update_action_lifecycle),
        cmocka_unit_test(test_update_action_fields),
        cmocka_unit_test(test_update_action_refused),
        cmocka_unit_test(test_update_action_closed_cannot_move_or_change),
        cmocka_unit_test(test_update_action_transition_detail),
        cmocka_unit_test(test_update_review_verdict),
        cmocka_unit_test(test_update_review_verdict_times_refused),
        cmocka_unit_test(test_update_review_refused),
        cmocka_unit_test(test_update_review_verdict_null_refused),
        cmocka_unit_test(test_update_root_cause_revision),
        cmocka_unit_test(test_update_other_kinds_conflict),
        cmocka_unit_test(test_rec_action_overdue),
        cmocka_unit_test(test_rec_filename_valid),
        cmocka_unit_test(test_rec_media_type_valid),
        cmocka_unit_test(test_readiness_empty_facts),
        cmocka_unit_test(test_readiness_full_facts),
        cmocka_unit_test(test_readiness_each_element_missing),
        cmocka_unit_test(test_readiness_agrees_with_guards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
