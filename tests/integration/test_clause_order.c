/*
 * test_clause_order.c - ISO/IEC 27001:2022 clause 10.2 in its order, over real
 * HTTP against a real database: a closed case stays closed until a reopening
 * starts its next cycle; approvals and verdicts count only in their place;
 * two cycles, each with its own guards, readiness and history; an
 * improvement judged by clause 10.1; times and references that cannot be
 * true refused; every POST safe to retry with an Idempotency-Key; a case
 * that started under the workflow of an earlier release finishes under it.
 *
 * Each refusal is checked to have changed nothing (the case's version, the
 * records listed).
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
#include "apikey.h"

static struct harness h;
static char approver[APIKEY_LEN + 1];    /* approver: approvals, verdicts, closing */
static char contributor[APIKEY_LEN + 1]; /* contributor only */
static char today[11];

#define DETECTED "2026-11-20T10:00:00Z"
#define CORRECTION                                                                                 \
    "{\"description\":\"Disabled the 3 accounts found\",\"performed_by\":\"it-ops\","              \
    "\"performed_at\":\"2026-11-21T09:00:00Z\"}"
#define ROOT_CAUSE                                                                                 \
    "{\"method\":\"five_whys\",\"analysis\":[{\"why\":\"Why did leavers keep access?\","           \
    "\"because\":\"IT was not told\"}],\"root_cause\":\"Offboarding has no IT step\","             \
    "\"similar_exist\":\"no\"}"
#define ACTION                                                                                     \
    "{\"type\":\"corrective\",\"title\":\"Add revocation to offboarding\","                        \
    "\"assignee\":\"hr-lead\",\"due_date\":\"2099-12-31\"}"
#define ISMS "{\"decision\":\"none_needed\",\"justification\":\"the procedure covers it\"}"
#define EFFECTIVE "{\"verdict\":\"effective\",\"rationale\":\"0 of 25 leavers had access\"}"
#define NOT_EFFECTIVE "{\"verdict\":\"not_effective\",\"rationale\":\"2 of 25 still had access\"}"
#define CLOSURE "{\"step\":\"closure\",\"decision\":\"approve\"}"

static int
setup(void **state)
{
    (void)state;
    harness_start(&h, "clause_order");
    harness_apikey(&h, "order-approver", ACCESS_ROLE_BIT(WF_ROLE_APPROVER), false, approver);
    harness_apikey(&h, "order-contributor", ACCESS_ROLE_BIT(WF_ROLE_CONTRIBUTOR), false,
                   contributor);
    tl_today(&h, today);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    harness_stop(&h);
    return 0;
}

/* ---- helpers ------------------------------------------------------------------------ */

static void
create_nc(const char *title, const char *severity, char id[37])
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"kind\":\"nonconformity\",\"title\":\"%s\",\"source\":\"internal_audit\","
             "\"severity\":\"%s\",\"detected_at\":\"" DETECTED "\","
             "\"reported_by\":\"auditor@example.com\",\"clause_refs\":[\"A.5.18\"]}",
             title, severity);
    tl_create_case(&h, body, id);
}

/* A review scheduled for today: its verdict is not early. Caller frees. */
static char *
schedule_review(const char *id)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"scheduled_for\":\"%s\",\"reviewer\":\"internal-audit\","
             "\"criteria\":\"No leaver keeps access\"}",
             today);
    return tl_post_ok(&h, id, "reviews", body);
}

static void
put_root_cause(const char *id)
{
    struct http_resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", id);
    if (http_json(&h, "PUT", path, NULL, ROOT_CAUSE, &r) != 200)
        fail_msg("PUT %s: %ld %s", path, r.status, r.body);
    http_resp_cleanup(&r);
}

/* reported -> verifying, with a corrective action done; the review's id (caller frees). */
static char *
walk_to_verifying(const char *id)
{
    free(tl_post_ok(&h, id, "corrections", CORRECTION));
    tl_move_ok(&h, id, "contained");
    put_root_cause(id);
    tl_move_ok(&h, id, "analysed");
    char *action = tl_post_ok(&h, id, "actions", ACTION);
    tl_move_ok(&h, id, "actions_in_progress");
    tl_patch_action_ok(&h, id, action, "{\"status\":\"done\",\"completion_note\":\"in place\"}");
    free(action);
    char *review = schedule_review(id);
    tl_move_ok(&h, id, "verifying");
    return review;
}

/* POST as the approver; the status. */
static long
as_approver(const char *path, const char *body, const char *const *extra, struct http_resp *r)
{
    tl_as(&h, approver);
    long status = tl_post(&h, path, body, extra, r);
    tl_as(&h, NULL);
    return status;
}

static long
verdict(const char *id, const char *review, const char *body, struct http_resp *r)
{
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/reviews/%s/verdict", id, review);
    return as_approver(path, body, NULL, r);
}

static long
approve(const char *id, const char *body, struct http_resp *r)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/cases/%s/approvals", id);
    return as_approver(path, body, NULL, r);
}

static void
expect_status(long got, long want, const struct http_resp *r, const char *what)
{
    if (got != want)
        fail_msg("%s: want %ld, got %ld %s", what, want, got, r->body);
}

/* The approver moves id (a comment may be NULL); the status. */
static long
move_as_approver(const char *id, const char *to, const char *comment, struct http_resp *r)
{
    tl_as(&h, approver);
    long status = tl_move(&h, id, to, comment, r);
    tl_as(&h, NULL);
    return status;
}

/* A major nonconformity, verifying -> closed as clause 10.2 asks. */
static void
close_major(const char *id, const char *review)
{
    struct http_resp r;
    expect_status(verdict(id, review, EFFECTIVE, &r), 200, &r, "effective verdict");
    http_resp_cleanup(&r);
    free(tl_post_ok(&h, id, "isms-changes", ISMS));
    expect_status(approve(id, CLOSURE, &r), 201, &r, "closure approval");
    http_resp_cleanup(&r);
    expect_status(move_as_approver(id, "closed", NULL, &r), 200, &r, "close");
    http_resp_cleanup(&r);
}

/* The number of items of a GET list. */
static size_t
count(const char *path)
{
    struct http_resp r;
    if (http_json(&h, "GET", path, NULL, NULL, &r) != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    size_t n = json_array_size(json_object_get(r.j, "items"));
    http_resp_cleanup(&r);
    return n;
}

/* ---- 1. a closed case stays closed, until a reopening ------------------------------- */

static void
test_closed_case_refuses_changes_until_reopened(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[200], etag[24], body[256];

    create_nc("Leavers keep VPN access", "major", id);
    char *review = walk_to_verifying(id);
    close_major(id, review);
    int version = tl_case_version(&h, id);

    /* its own fields: the severity lowered after sign-off is refused */
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    snprintf(etag, sizeof etag, "\"%d\"", version);
    expect_status(http_json(&h, "PATCH", path, etag, "{\"severity\":\"minor\"}", &r), 409, &r,
                  "PATCH a closed case");
    tl_assert_problem(&r, 409, "case-closed");
    assert_string_equal(tl_str(r.j, "current_status"), "closed");
    assert_non_null(strstr(tl_str(r.j, "detail"),
                           "reopen it with a transition to analysed (role approver, with a "
                           "comment)"));
    http_resp_cleanup(&r);

    /* its records, of every kind but comments and links */
    snprintf(body, sizeof body, "{\"scheduled_for\":\"%s\",\"reviewer\":\"x\",\"criteria\":\"y\"}",
             today);
    const char *const records[][2] = {{"corrections", CORRECTION},
                                      {"actions", ACTION},
                                      {"reviews", body},
                                      {"isms-changes", ISMS}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/v1/cases/%s/%s", id, records[i][0]);
        expect_status(tl_post(&h, path, records[i][1], NULL, &r), 409, &r, records[i][0]);
        tl_assert_problem(&r, 409, "case-closed");
        http_resp_cleanup(&r);
    }
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", id);
    expect_status(http_json(&h, "PUT", path, NULL, ROOT_CAUSE, &r), 409, &r, "root cause");
    tl_assert_problem(&r, 409, "case-closed");
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/evidence?filename=late.txt", id);
    const char *const ct[] = {"Content-Type: text/plain", NULL};
    expect_status(http_do(&h, "POST", path, ct, "late", 4, &r), 409, &r, "evidence");
    tl_assert_problem(&r, 409, "case-closed");
    http_resp_cleanup(&r);
    expect_status(approve(id, CLOSURE, &r), 409, &r, "approval on a closed case");
    tl_assert_problem(&r, 409, "case-closed");
    http_resp_cleanup(&r);
    expect_status(verdict(id, review, EFFECTIVE, &r), 409, &r, "verdict on a closed case");
    tl_assert_problem(&r, 409, "case-closed");
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, id), version);

    /* comments and links stay possible */
    free(tl_post_ok(&h, id, "comments", "{\"body\":\"sampled by the auditor\"}"));
    free(tl_post_ok(&h, id, "links", "{\"type\":\"control\",\"control\":\"A.5.18\"}"));
    version += 2;
    assert_int_equal(tl_case_version(&h, id), version);

    /* reopening: the approver's move, with a reason */
    tl_as(&h, contributor);
    expect_status(tl_move(&h, id, "analysed", "found another leaver", &r), 403, &r,
                  "a contributor reopening");
    tl_as(&h, NULL);
    tl_assert_problem(&r, 403, "forbidden");
    http_resp_cleanup(&r);
    expect_status(move_as_approver(id, "analysed", NULL, &r), 409, &r, "reopen without reason");
    tl_assert_problem(&r, 409, "transition-not-allowed");
    assert_string_equal(tl_str(json_array_get(json_object_get(r.j, "unmet_guards"), 0), "guard"),
                        "comment_given");
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, id), version);
    expect_status(move_as_approver(id, "analysed", "a leaver of November still has access", &r),
                  200, &r, "reopen");
    assert_string_equal(tl_str(r.j, "status"), "analysed");
    assert_int_equal(tl_int(r.j, "cycle"), 2);
    assert_int_equal(tl_int(r.j, "reopened_count"), 1);
    assert_true(json_is_null(json_object_get(r.j, "closed_at")));
    http_resp_cleanup(&r);

    /* logged like every transition, the new cycle said */
    snprintf(path, sizeof path, "/v1/cases/%s/history?after=%d", id, version);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    json_t *j_row = json_array_get(json_object_get(r.j, "items"), 0);
    assert_string_equal(tl_str(j_row, "type"), "capa.case.transitioned");
    json_t *j_data = json_object_get(j_row, "data");
    assert_true(json_is_true(json_object_get(json_object_get(j_data, "transition"), "new_cycle")));
    assert_int_equal(tl_int(json_object_get(json_object_get(j_data, "changes"), "cycle"), "after"),
                     2);
    assert_string_equal(tl_str(json_object_get(j_data, "transition"), "comment"),
                        "a leaver of November still has access");
    http_resp_cleanup(&r);

    /* open again: it changes, and the new cycle needs its own analysis and action */
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    snprintf(etag, sizeof etag, "\"%d\"", version + 1);
    expect_status(http_json(&h, "PATCH", path, etag, "{\"owner\":\"iam-lead\"}", &r), 200, &r,
                  "PATCH a reopened case");
    http_resp_cleanup(&r);
    tl_move_refused(
        &h, id, "actions_in_progress",
        (const char *const[]){"root_cause_complete", "corrective_action_planned", NULL});
    free(review);
}

/* ---- 2. an approval counts in its place only ----------------------------------------- */

static void
test_approval_refused_out_of_its_place(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[128];

    create_nc("Firewall rule left open", "major", id);
    snprintf(path, sizeof path, "/v1/cases/%s/approvals", id);

    /* a step the workflow does not know: 422 listing those it has */
    expect_status(approve(id, "{\"step\":\"final\",\"decision\":\"approve\"}", &r), 422, &r,
                  "unknown step");
    tl_assert_field_error(&r, "step", "unknown");
    assert_string_equal(tl_str(json_array_get(json_object_get(r.j, "errors"), 0), "detail"),
                        "must be a step of this case's workflow: closure");
    http_resp_cleanup(&r);

    /* a closure approval before anything was done */
    expect_status(approve(id, CLOSURE, &r), 409, &r, "closure approval while reported");
    tl_assert_problem(&r, 409, "approval-out-of-order");
    assert_string_equal(tl_str(r.j, "approvable_in"), "verifying");
    assert_string_equal(tl_str(r.j, "current_status"), "reported");
    assert_string_equal(tl_str(r.j, "step"), "closure");
    http_resp_cleanup(&r);

    /* in verifying, but before the effective verdict and the ISMS decision */
    char *review = walk_to_verifying(id);
    int version = tl_case_version(&h, id);
    expect_status(approve(id, CLOSURE, &r), 409, &r, "closure approval before the verdict");
    tl_assert_problem(&r, 409, "approval-out-of-order");
    json_t *j_unmet = json_object_get(r.j, "unmet_guards");
    assert_int_equal(json_array_size(j_unmet), 2);
    assert_string_equal(tl_str(json_array_get(j_unmet, 0), "guard"), "review_effective");
    assert_string_equal(tl_str(json_array_get(j_unmet, 1), "guard"), "isms_change_decided");
    http_resp_cleanup(&r);
    /* a rejection early is no more in its place than an approval */
    expect_status(
        approve(id, "{\"step\":\"closure\",\"decision\":\"reject\",\"comment\":\"no\"}", &r), 409,
        &r, "early rejection");
    http_resp_cleanup(&r);
    expect_status(verdict(id, review, EFFECTIVE, &r), 200, &r, "verdict");
    http_resp_cleanup(&r);
    expect_status(approve(id, CLOSURE, &r), 409, &r, "closure approval before the ISMS decision");
    assert_int_equal(json_array_size(json_object_get(r.j, "unmet_guards")), 1);
    http_resp_cleanup(&r);
    /* nothing was recorded by the refusals */
    assert_int_equal(count(path), 0);
    assert_int_equal(tl_case_version(&h, id), version + 1);

    free(tl_post_ok(&h, id, "isms-changes", ISMS));
    expect_status(approve(id, CLOSURE, &r), 201, &r, "closure approval in its place");
    assert_string_equal(tl_str(r.j, "step"), "closure");
    assert_int_equal(tl_int(r.j, "cycle"), 1);
    http_resp_cleanup(&r);
    expect_status(move_as_approver(id, "closed", NULL, &r), 200, &r, "close");
    http_resp_cleanup(&r);
    free(review);
}

/* ---- 3. a verdict judges what was done, when it may ----------------------------------- */

static void
test_verdict_refused_before_the_case_is_ready(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[200];

    create_nc("Backup restore untested", "minor", id);
    free(tl_post_ok(&h, id, "corrections", CORRECTION));
    tl_move_ok(&h, id, "contained");
    put_root_cause(id);
    tl_move_ok(&h, id, "analysed");
    char *corrective = tl_post_ok(&h, id, "actions", ACTION);
    char *preventive = tl_post_ok(&h, id, "actions",
                                  "{\"type\":\"preventive\",\"title\":\"Monthly report\","
                                  "\"assignee\":\"it-ops\",\"due_date\":\"2099-12-31\"}");
    tl_move_ok(&h, id, "actions_in_progress");
    char *review = schedule_review(id);

    /* not in the state the workflow names for verification */
    expect_status(verdict(id, review, EFFECTIVE, &r), 409, &r, "verdict in actions_in_progress");
    tl_assert_problem(&r, 409, "verdict-out-of-order");
    assert_string_equal(tl_str(r.j, "detail"),
                        "a verdict is recorded while the case is verifying; it is "
                        "actions_in_progress");
    http_resp_cleanup(&r);

    /* the corrective action cancelled, the preventive one done: nothing corrective to judge */
    tl_patch_action_ok(&h, id, corrective,
                       "{\"status\":\"cancelled\",\"reason\":\"merged into the report\"}");
    tl_patch_action_ok(&h, id, preventive, "{\"status\":\"done\",\"completion_note\":\"live\"}");
    tl_move_ok(&h, id, "verifying");
    expect_status(verdict(id, review, EFFECTIVE, &r), 409, &r, "verdict without corrective");
    tl_assert_problem(&r, 409, "verdict-out-of-order");
    assert_string_equal(tl_str(r.j, "detail"),
                        "a verdict judges what was done: no corrective action of cycle 1 is done");
    http_resp_cleanup(&r);
    /* an open action, added in verifying */
    char *late = tl_post_ok(&h, id, "actions", ACTION);
    tl_patch_action_ok(&h, id, late, "{\"status\":\"done\",\"completion_note\":\"done now\"}");
    char *open = tl_post_ok(&h, id, "actions", ACTION);
    expect_status(verdict(id, review, EFFECTIVE, &r), 409, &r, "verdict with an open action");
    assert_string_equal(tl_str(r.j, "detail"), "every action must be done or cancelled before "
                                               "the verdict: 1 open or in progress");
    http_resp_cleanup(&r);
    tl_patch_action_ok(&h, id, open, "{\"status\":\"cancelled\",\"reason\":\"duplicate\"}");

    /* performed in the future, or before the case was detected */
    expect_status(verdict(id, review,
                          "{\"verdict\":\"effective\",\"rationale\":\"ok\","
                          "\"performed_at\":\"2099-01-01T00:00:00Z\"}",
                          &r),
                  422, &r, "verdict in the future");
    tl_assert_field_error(&r, "performed_at", "future");
    http_resp_cleanup(&r);
    expect_status(verdict(id, review,
                          "{\"verdict\":\"effective\",\"rationale\":\"ok\","
                          "\"performed_at\":\"2026-11-19T10:00:00Z\"}",
                          &r),
                  422, &r, "verdict before the detection");
    tl_assert_field_error(&r, "performed_at", "before_detection");
    http_resp_cleanup(&r);

    /* now in its place: it records when and by whom, beside the schedule and the reviewer */
    expect_status(verdict(id, review, EFFECTIVE, &r), 200, &r, "verdict");
    assert_string_equal(tl_str(r.j, "reviewer"), "internal-audit");
    assert_string_equal(tl_str(r.j, "scheduled_for"), today);
    assert_non_null(tl_str(r.j, "performed_at"));
    json_t *j_by = json_object_get(r.j, "performed_by");
    assert_string_equal(tl_str(j_by, "kind"), "api_key");
    assert_string_equal(tl_str(j_by, "name"), "order-approver");
    http_resp_cleanup(&r);

    /* early: a review scheduled later needs the reason, which is kept */
    char id2[37];
    create_nc("Second review early", "minor", id2);
    char *review2 = walk_to_verifying(id2);
    snprintf(path, sizeof path, "/v1/cases/%s/reviews", id2);
    char *later = tl_post_ok(&h, id2, "reviews",
                             "{\"scheduled_for\":\"2099-06-30\",\"reviewer\":\"audit\","
                             "\"criteria\":\"no repeat\"}");
    expect_status(verdict(id2, later, EFFECTIVE, &r), 422, &r, "early verdict");
    tl_assert_field_error(&r, "early_reason", "required");
    http_resp_cleanup(&r);
    expect_status(verdict(id2, later,
                          "{\"verdict\":\"effective\",\"rationale\":\"ok\","
                          "\"early_reason\":\"the certification audit is next week\"}",
                          &r),
                  200, &r, "early verdict with its reason");
    assert_string_equal(tl_str(r.j, "early_reason"), "the certification audit is next week");
    http_resp_cleanup(&r);
    free(corrective);
    free(preventive);
    free(late);
    free(open);
    free(review);
    free(review2);
    free(later);
}

/* ---- 4. two cycles: not effective, then effective ------------------------------------ */

/* readiness element `name` of a case read now: present or not */
static bool
ready(const json_t *j_case, const char *name)
{
    return json_is_true(
        json_object_get(json_object_get(json_object_get(j_case, "readiness"), name), "present"));
}

static void
test_two_cycles_each_with_its_guards_readiness_and_history(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[200];

    create_nc("Access reviews skipped", "major", id);
    char *review1 = walk_to_verifying(id);
    json_t *j = tl_case(&h, id);
    assert_int_equal(tl_int(j, "cycle"), 1);
    assert_int_equal(tl_int(json_object_get(j, "readiness"), "cycle"), 1);
    assert_true(ready(j, "cause") && ready(j, "actions") && !ready(j, "effectiveness"));
    /* containment as the corrections say, beside when the case moved */
    assert_string_equal(tl_str(j, "containment_performed_at"), "2026-11-21T09:00:00.000000Z");
    assert_non_null(tl_str(j, "contained_at"));
    json_decref(j);

    /* cycle 1 ends not effective: back to analysed, by the system, in cycle 2 */
    expect_status(verdict(id, review1, NOT_EFFECTIVE, &r), 200, &r, "not effective");
    assert_int_equal(tl_int(r.j, "cycle"), 1); /* the review is of cycle 1 */
    http_resp_cleanup(&r);
    j = tl_case(&h, id);
    assert_string_equal(tl_str(j, "status"), "analysed");
    assert_int_equal(tl_int(j, "cycle"), 2);
    assert_int_equal(tl_int(j, "reopened_count"), 1);
    json_t *j_ready = json_object_get(j, "readiness");
    assert_int_equal(tl_int(j_ready, "cycle"), 2);
    /* the reaction stays; the cause, actions and verdict of cycle 1 count no more */
    assert_true(ready(j, "reaction"));
    assert_false(ready(j, "cause") || ready(j, "actions") || ready(j, "effectiveness"));
    int after_cycle1 = (int)tl_int(j, "version");
    json_decref(j);

    /* cycle 2's guards: a revised root cause, a new corrective action, a new review */
    tl_move_refused(
        &h, id, "actions_in_progress",
        (const char *const[]){"root_cause_complete", "corrective_action_planned", NULL});
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", id);
    assert_int_equal(http_json(&h, "PUT", path, NULL, ROOT_CAUSE, &r), 200);
    assert_int_equal(tl_int(r.j, "cycle"), 2);
    assert_int_equal(tl_int(r.j, "number"), 2); /* cycle 1's analysis stays as it was */
    http_resp_cleanup(&r);
    tl_move_refused(&h, id, "actions_in_progress",
                    (const char *const[]){"corrective_action_planned", NULL});
    char *action2 = tl_post_ok(&h, id, "actions", ACTION);
    tl_move_ok(&h, id, "actions_in_progress");
    tl_move_refused(&h, id, "verifying",
                    (const char *const[]){"actions_finished", "review_scheduled", NULL});
    tl_patch_action_ok(&h, id, action2, "{\"status\":\"done\",\"completion_note\":\"again\"}");
    /* cycle 1's review, judged, does not schedule cycle 2's */
    tl_move_refused(&h, id, "verifying", (const char *const[]){"review_scheduled", NULL});
    char *review2 = schedule_review(id);
    tl_move_ok(&h, id, "verifying");
    /* the verdict of an earlier cycle's review is refused */
    expect_status(verdict(id, review1, EFFECTIVE, &r), 422, &r, "verdict given twice");
    http_resp_cleanup(&r);
    /* cycle 1's closure facts do not carry over: cycle 2 needs its own ISMS decision */
    free(tl_post_ok(&h, id, "isms-changes", ISMS));
    expect_status(verdict(id, review2, EFFECTIVE, &r), 200, &r, "effective");
    http_resp_cleanup(&r);
    expect_status(approve(id, CLOSURE, &r), 201, &r, "closure approval, cycle 2");
    assert_int_equal(tl_int(r.j, "cycle"), 2);
    http_resp_cleanup(&r);
    expect_status(move_as_approver(id, "closed", NULL, &r), 200, &r, "close");
    http_resp_cleanup(&r);

    /* readiness of cycle 2, and every record listed by its cycle */
    j = tl_case(&h, id);
    assert_int_equal(tl_int(j, "cycle"), 2);
    assert_true(ready(j, "cause") && ready(j, "actions") && ready(j, "effectiveness") &&
                ready(j, "isms_changes"));
    json_decref(j);
    snprintf(path, sizeof path, "/v1/cases/%s/actions?cycle=1", id);
    assert_int_equal(count(path), 1);
    snprintf(path, sizeof path, "/v1/cases/%s/actions?cycle=2", id);
    assert_int_equal(count(path), 1);
    snprintf(path, sizeof path, "/v1/cases/%s/reviews", id);
    assert_int_equal(count(path), 2);
    snprintf(path, sizeof path, "/v1/cases/%s/actions?cycle=0", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 400);
    tl_assert_problem(&r, 400, "bad-request");
    http_resp_cleanup(&r);

    /* the history shows the cycles: each snapshot says its cycle, the switch is one row */
    snprintf(path, sizeof path, "/v1/cases/%s/history?limit=500", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    size_t i;
    json_t *e;
    int switches = 0;
    json_array_foreach(json_object_get(r.j, "items"), i, e)
    {
        json_t *j_data = json_object_get(e, "data");
        int cycle = (int)tl_int(json_object_get(j_data, "case"), "cycle");
        assert_int_equal(cycle, tl_int(e, "sequence") <= after_cycle1 - 1 ? 1 : 2);
        if (json_is_true(json_object_get(json_object_get(j_data, "transition"), "new_cycle"))) {
            switches++;
            assert_string_equal(tl_str(json_object_get(e, "actor"), "kind"), "system");
            assert_int_equal(tl_int(e, "sequence"), after_cycle1);
        }
    }
    assert_int_equal(switches, 1);
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/history/verify", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_true(json_is_true(json_object_get(r.j, "valid")));
    http_resp_cleanup(&r);
    free(review1);
    free(review2);
    free(action2);
}

/* ---- 5. an improvement is judged by clause 10.1 ------------------------------------- */

static void
test_improvement_judged_by_its_own_checklist(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37];

    tl_create_case(&h,
                   "{\"kind\":\"improvement\",\"title\":\"Automate the access review export\","
                   "\"source\":\"management_review\",\"detected_at\":\"" DETECTED "\","
                   "\"reported_by\":\"ciso\"}",
                   id);
    json_t *j = tl_case(&h, id);
    json_t *j_ready = json_object_get(j, "readiness");
    static const char *const elements[] = {"proposal", "approval", "actions", "implementation",
                                           "benefit"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(tl_str(json_object_get(j_ready, elements[i]), "clause"), "10.1");
    assert_null(json_object_get(j_ready, "reaction")); /* not the nonconformity checklist */
    assert_true(ready(j, "proposal") && !ready(j, "approval"));
    json_decref(j);

    expect_status(approve(id, "{\"step\":\"approve\",\"decision\":\"approve\"}", &r), 201, &r,
                  "approve the proposal");
    http_resp_cleanup(&r);
    expect_status(move_as_approver(id, "approved", NULL, &r), 200, &r, "approved");
    http_resp_cleanup(&r);
    char *action = tl_post_ok(&h, id, "actions",
                              "{\"type\":\"improvement\",\"title\":\"Script the export\","
                              "\"assignee\":\"iam-team\",\"due_date\":\"2099-12-31\"}");
    tl_move_ok(&h, id, "in_progress");
    tl_patch_action_ok(&h, id, action, "{\"status\":\"done\",\"completion_note\":\"scripted\"}");
    char *review = schedule_review(id);
    tl_move_ok(&h, id, "implemented");
    /* the benefit review comes before closing */
    tl_as(&h, approver);
    tl_move_refused(&h, id, "closed", (const char *const[]){"benefit_confirmed", NULL});
    tl_as(&h, NULL);
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/evidence?filename=export.csv", id);
    const char *const ct[] = {"Content-Type: text/csv", NULL};
    assert_int_equal(http_do(&h, "POST", path, ct, "user,active\n", 12, &r), 201);
    http_resp_cleanup(&r);
    expect_status(verdict(id, review, EFFECTIVE, &r), 200, &r, "benefit review");
    http_resp_cleanup(&r);
    j = tl_case(&h, id);
    for (size_t i = 0; i < 5; i++)
        if (!ready(j, elements[i]))
            fail_msg("readiness %s missing", elements[i]);
    assert_true(json_is_true(json_object_get(json_object_get(j, "readiness"), "complete")));
    json_decref(j);
    expect_status(move_as_approver(id, "closed", NULL, &r), 200, &r, "close the improvement");
    http_resp_cleanup(&r);
    free(action);
    free(review);
}

/* ---- 6. times and references that cannot be true ------------------------------------- */

static void
test_impossible_times_and_references_refused(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[200], body[512];
    char *now = harness_sql(&h, "SELECT capa_ts(now() + interval '4 minutes')");
    char *later = harness_sql(&h, "SELECT capa_ts(now() + interval '10 minutes')");
    char *yesterday = harness_sql(&h, "SELECT to_char((now() AT TIME ZONE 'UTC')::date - 1, "
                                      "'YYYY-MM-DD')");

    /* a detection in the future; four minutes ahead is clock skew */
    snprintf(body, sizeof body,
             "{\"kind\":\"nonconformity\",\"title\":\"Future\",\"source\":\"incident\","
             "\"severity\":\"minor\",\"detected_at\":\"%s\",\"reported_by\":\"x\"}",
             later);
    expect_status(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 422, &r, "future detection");
    tl_assert_field_error(&r, "detected_at", "future");
    http_resp_cleanup(&r);
    snprintf(body, sizeof body,
             "{\"kind\":\"nonconformity\",\"title\":\"Skew\",\"source\":\"incident\","
             "\"severity\":\"minor\",\"detected_at\":\"%s\",\"reported_by\":\"x\"}",
             now);
    tl_create_case(&h, body, id);

    /* clause references the standard does not have, by shape and by catalogue */
    static const char *const bad_refs[][2] = {{"8.13", "unknown"},
                                              {"A.9.2.1", "unknown"},
                                              {"11", "unknown"},
                                              {"A.8.35", "unknown"},
                                              {"A.", "format"}};
    for (size_t i = 0; i < 5; i++) {
        snprintf(body, sizeof body,
                 "{\"kind\":\"nonconformity\",\"title\":\"Ref\",\"source\":\"incident\","
                 "\"severity\":\"minor\",\"detected_at\":\"" DETECTED "\",\"reported_by\":\"x\","
                 "\"clause_refs\":[\"9.2.1\",\"%s\"]}",
                 bad_refs[i][0]);
        expect_status(http_json(&h, "POST", "/v1/cases", NULL, body, &r), 422, &r, bad_refs[i][0]);
        tl_assert_field_error(&r, "clause_refs[1]", bad_refs[i][1]);
        http_resp_cleanup(&r);
    }
    snprintf(path, sizeof path, "/v1/cases/%s/links", id);
    expect_status(tl_post(&h, path, "{\"type\":\"control\",\"control\":\"A.9.1\"}", NULL, &r), 422,
                  &r, "unknown control");
    tl_assert_field_error(&r, "control", "unknown");
    http_resp_cleanup(&r);

    /* records: done in the future, before the detection; due dates before today */
    char d2[37];
    create_nc("Dates of records", "minor", d2);
    int version = tl_case_version(&h, d2);
    snprintf(path, sizeof path, "/v1/cases/%s/corrections", d2);
    snprintf(body, sizeof body,
             "{\"description\":\"x\",\"performed_by\":\"y\",\"performed_at\":\"%s\"}", later);
    expect_status(tl_post(&h, path, body, NULL, &r), 422, &r, "correction in the future");
    tl_assert_field_error(&r, "performed_at", "future");
    http_resp_cleanup(&r);
    expect_status(tl_post(&h, path,
                          "{\"description\":\"x\",\"performed_by\":\"y\","
                          "\"performed_at\":\"2026-11-20T09:59:59Z\"}",
                          NULL, &r),
                  422, &r, "correction before the detection");
    tl_assert_field_error(&r, "performed_at", "before_detection");
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/actions", d2);
    snprintf(body, sizeof body,
             "{\"type\":\"corrective\",\"title\":\"t\",\"assignee\":\"a\",\"due_date\":\"%s\"}",
             yesterday);
    expect_status(tl_post(&h, path, body, NULL, &r), 422, &r, "due yesterday");
    tl_assert_field_error(&r, "due_date", "past");
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/reviews", d2);
    snprintf(body, sizeof body, "{\"scheduled_for\":\"%s\",\"reviewer\":\"r\",\"criteria\":\"c\"}",
             yesterday);
    expect_status(tl_post(&h, path, body, NULL, &r), 422, &r, "review scheduled yesterday");
    tl_assert_field_error(&r, "scheduled_for", "past");
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, d2), version);

    /* an action completed in the future is refused; completed now, it says when and by whom */
    char *action = tl_post_ok(&h, d2, "actions", ACTION);
    snprintf(body, sizeof body,
             "{\"status\":\"done\",\"completion_note\":\"n\",\"completed_at\":\"%s\"}", later);
    struct http_resp g;
    snprintf(path, sizeof path, "/v1/cases/%s/actions/%s", d2, action);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &g), 200);
    char etag[sizeof g.etag];
    snprintf(etag, sizeof etag, "%s", g.etag);
    http_resp_cleanup(&g);
    expect_status(http_json(&h, "PATCH", path, etag, body, &r), 422, &r, "completed in future");
    tl_assert_field_error(&r, "completed_at", "future");
    http_resp_cleanup(&r);
    expect_status(http_json(&h, "PATCH", path, etag,
                            "{\"status\":\"done\",\"completion_note\":\"n\","
                            "\"completed_at\":\"2026-11-25T12:00:00+01:00\"}",
                            &r),
                  200, &r, "completed");
    assert_string_equal(tl_str(r.j, "completed_at"), "2026-11-25T11:00:00.000000Z");
    assert_string_equal(tl_str(json_object_get(r.j, "completed_by"), "kind"), "api_key");
    http_resp_cleanup(&r);
    /* a due date set behind the service's back stays: the action can still be worked */
    free(action);
    free(now);
    free(later);
    free(yesterday);
}

/* ---- 7. every POST is safe to retry --------------------------------------------------- */

/* POST path twice with key; the second is the first's answer, marked, and writes nothing. */
static void
replayed(const char *what, const char *id, const char *path, const char *key, const char *body,
         bool approver_posts, long status)
{
    struct http_resp a, b;
    char header[256];
    snprintf(header, sizeof header, "Idempotency-Key: %s", key);
    const char *const extra[] = {header, NULL};
    if (approver_posts)
        tl_as(&h, approver);
    long first = tl_post(&h, path, body, extra, &a);
    int version = tl_case_version(&h, id);
    long second = tl_post(&h, path, body, extra, &b);
    tl_as(&h, NULL);
    if (first != status || second != status)
        fail_msg("%s: %ld then %ld, want %ld twice: %s | %s", what, first, second, status, a.body,
                 b.body);
    assert_string_equal(a.replayed, "");
    assert_string_equal(b.replayed, "true");
    if (!json_equal(a.j, b.j))
        fail_msg("%s: the retry answered %s, the first %s", what, b.body, a.body);
    assert_string_equal(a.etag, b.etag);
    assert_string_equal(a.location, b.location);
    assert_int_equal(tl_case_version(&h, id), version);
    http_resp_cleanup(&a);
    http_resp_cleanup(&b);
}

static void
test_every_post_is_safe_to_retry(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[200], body[256];

    create_nc("Retried writes", "major", id);
    snprintf(path, sizeof path, "/v1/cases/%s/corrections", id);
    replayed("correction", id, path, "k-correction", CORRECTION, false, 201);
    snprintf(path, sizeof path, "/v1/cases/%s/corrections", id);
    assert_int_equal(count(path), 1);
    snprintf(path, sizeof path, "/v1/cases/%s/transitions", id);
    /* the retry of a move answers as the move did, though its If-Match is stale by then */
    char etag[24];
    snprintf(etag, sizeof etag, "\"%d\"", tl_case_version(&h, id));
    const char *const move_hd[] = {"Idempotency-Key: k-move", NULL};
    struct http_resp a, b;
    assert_int_equal(http_json_with(&h, "POST", path, etag, "{\"to\":\"contained\"}", move_hd, &a),
                     200);
    assert_int_equal(http_json_with(&h, "POST", path, etag, "{\"to\":\"contained\"}", move_hd, &b),
                     200);
    assert_string_equal(b.replayed, "true");
    assert_true(json_equal(a.j, b.j));
    assert_string_equal(a.etag, b.etag);
    http_resp_cleanup(&a);
    http_resp_cleanup(&b);
    /* without the key, the stale If-Match is what it is */
    assert_int_equal(http_json(&h, "POST", path, etag, "{\"to\":\"analysed\"}", &r), 412);
    http_resp_cleanup(&r);

    put_root_cause(id);
    tl_move_ok(&h, id, "analysed");
    snprintf(path, sizeof path, "/v1/cases/%s/actions", id);
    replayed("action", id, path, "k-action", ACTION, false, 201);
    assert_int_equal(count(path), 1);
    json_t *j_actions = NULL;
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    j_actions = json_incref(json_object_get(r.j, "items"));
    http_resp_cleanup(&r);
    tl_move_ok(&h, id, "actions_in_progress");
    tl_patch_action_ok(&h, id, tl_str(json_array_get(j_actions, 0), "id"),
                       "{\"status\":\"done\",\"completion_note\":\"done\"}");
    json_decref(j_actions);
    snprintf(path, sizeof path, "/v1/cases/%s/reviews", id);
    snprintf(body, sizeof body,
             "{\"scheduled_for\":\"%s\",\"reviewer\":\"audit\",\"criteria\":\"c\"}", today);
    replayed("review", id, path, "k-review", body, false, 201);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    char review[37];
    snprintf(review, sizeof review, "%s",
             tl_str(json_array_get(json_object_get(r.j, "items"), 0), "id"));
    assert_int_equal(json_array_size(json_object_get(r.j, "items")), 1);
    http_resp_cleanup(&r);
    tl_move_ok(&h, id, "verifying");
    snprintf(path, sizeof path, "/v1/cases/%s/reviews/%s/verdict", id, review);
    replayed("verdict", id, path, "k-verdict", EFFECTIVE, true, 200);
    snprintf(path, sizeof path, "/v1/cases/%s/isms-changes", id);
    replayed("ISMS change", id, path, "k-isms", ISMS, false, 201);
    snprintf(path, sizeof path, "/v1/cases/%s/links", id);
    replayed("link", id, path, "k-link", "{\"type\":\"control\",\"control\":\"A.5.18\"}", false,
             201);
    snprintf(path, sizeof path, "/v1/cases/%s/comments", id);
    replayed("comment", id, path, "k-comment", "{\"body\":\"sampled\"}", false, 201);
    assert_int_equal(count(path), 1);
    snprintf(path, sizeof path, "/v1/cases/%s/approvals", id);
    replayed("approval", id, path, "k-approval", CLOSURE, true, 201);
    assert_int_equal(count(path), 1);

    /* evidence: the same bytes and name again */
    snprintf(path, sizeof path, "/v1/cases/%s/evidence?filename=export.csv", id);
    const char *const ev[] = {"Content-Type: text/csv", "Idempotency-Key: k-evidence", NULL};
    assert_int_equal(http_do(&h, "POST", path, ev, "a,b\n", 4, &a), 201);
    assert_int_equal(http_do(&h, "POST", path, ev, "a,b\n", 4, &b), 201);
    assert_string_equal(b.replayed, "true");
    assert_true(json_equal(a.j, b.j));
    http_resp_cleanup(&a);
    http_resp_cleanup(&b);
    /* other bytes under the same key are another request */
    assert_int_equal(http_do(&h, "POST", path, ev, "a,c\n", 4, &r), 422);
    tl_assert_problem(&r, 422, "idempotency-key-reused");
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/evidence", id);
    assert_int_equal(count(path), 1);

    /* the same key with another body, or on another endpoint, is a 422 and writes nothing */
    int version = tl_case_version(&h, id);
    snprintf(path, sizeof path, "/v1/cases/%s/comments", id);
    const char *const reuse[] = {"Idempotency-Key: k-comment", NULL};
    assert_int_equal(tl_post(&h, path, "{\"body\":\"another\"}", reuse, &r), 422);
    tl_assert_problem(&r, 422, "idempotency-key-reused");
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/isms-changes", id);
    assert_int_equal(tl_post(&h, path, ISMS, reuse, &r), 422);
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, id), version);
    /* per principal: the approver's key of the same name is its own */
    snprintf(path, sizeof path, "/v1/cases/%s/comments", id);
    tl_as(&h, approver);
    assert_int_equal(tl_post(&h, path, "{\"body\":\"sampled\"}", reuse, &r), 201);
    tl_as(&h, NULL);
    assert_string_equal(r.replayed, "");
    http_resp_cleanup(&r);
    /* a malformed key is a 400 */
    const char *const bad[] = {"Idempotency-Key: has space", NULL};
    assert_int_equal(tl_post(&h, path, "{\"body\":\"x\"}", bad, &r), 400);
    tl_assert_problem(&r, 400, "bad-request");
    http_resp_cleanup(&r);
    /* and a case create replays the case as it was created, though it changed since */
    const char *const create[] = {"Idempotency-Key: k-create", NULL};
    char *case_body = harness_case_body("Created once", "minor");
    assert_int_equal(tl_post(&h, "/v1/cases", case_body, create, &a), 201);
    free(tl_post_ok(&h, tl_str(a.j, "id"), "comments", "{\"body\":\"changed since\"}"));
    assert_int_equal(tl_post(&h, "/v1/cases", case_body, create, &b), 201);
    assert_string_equal(b.replayed, "true");
    assert_true(json_equal(a.j, b.j));
    assert_int_equal(tl_int(b.j, "version"), 1);
    assert_string_equal(a.location, b.location);
    http_resp_cleanup(&a);
    http_resp_cleanup(&b);
    free(case_body);
}

/* ---- 8. a case started under the release before finishes under it --------------------- */

static void
test_case_of_an_earlier_release_finishes_under_its_workflow(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], sql[512];

    /* as 0006 left it: version 1 of the workflow, mid-way, records without cycle facts */
    create_nc("Started before the upgrade", "major", id);
    free(tl_post_ok(&h, id, "corrections", CORRECTION));
    tl_move_ok(&h, id, "contained");
    put_root_cause(id);
    snprintf(sql, sizeof sql,
             "UPDATE cases SET workflow_id = (SELECT id FROM workflows WHERE kind = "
             "'nonconformity' AND version = 1) WHERE id = '%s' RETURNING workflow_id",
             id);
    free(harness_sql(&h, sql));
    json_t *j = tl_case(&h, id);
    assert_int_equal(tl_int(j, "workflow_version"), 1);
    json_decref(j);

    /* version 1's guards, and its historic step name */
    tl_move_ok(&h, id, "analysed");
    char *action = tl_post_ok(&h, id, "actions", ACTION);
    tl_move_ok(&h, id, "actions_in_progress"); /* version 1 asks no root cause here */
    tl_patch_action_ok(&h, id, action, "{\"status\":\"done\",\"completion_note\":\"done\"}");
    char *review = schedule_review(id);
    tl_move_ok(&h, id, "verifying");
    close_major(id, review);
    j = tl_case(&h, id);
    assert_string_equal(tl_str(j, "status"), "closed");
    json_decref(j);
    /* version 1 defines no reopening, and says so */
    expect_status(move_as_approver(id, "analysed", "reopen", &r), 409, &r, "reopen under v1");
    tl_assert_problem(&r, 409, "transition-not-allowed");
    http_resp_cleanup(&r);
    char path[128], etag[24];
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    snprintf(etag, sizeof etag, "\"%d\"", tl_case_version(&h, id));
    assert_int_equal(http_json(&h, "PATCH", path, etag, "{\"owner\":\"x\"}", &r), 409);
    assert_non_null(strstr(tl_str(r.j, "detail"), "defines no reopening of a closed case"));
    http_resp_cleanup(&r);
    free(action);
    free(review);
}

/* ---- 9. segregation of duties between people, not spellings ---------------------------- */

static void
test_segregation_compares_principals_and_folded_names(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[128], etag[24], body[256], key_id[13];
    snprintf(key_id, sizeof key_id, "%.12s", approver + 5); /* capa_<id>_<secret> */

    /* the owner named as the approver's principal: the approver may not sign it off */
    create_nc("Owner is a principal", "major", id);
    char *review = walk_to_verifying(id);
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    snprintf(etag, sizeof etag, "\"%d\"", tl_case_version(&h, id));
    snprintf(body, sizeof body, "{\"owner\":{\"kind\":\"api_key\",\"subject\":\"%s\"}}", key_id);
    expect_status(http_json(&h, "PATCH", path, etag, body, &r), 200, &r, "principal owner");
    assert_string_equal(tl_str(json_object_get(r.j, "owner"), "subject"), key_id);
    http_resp_cleanup(&r);
    expect_status(verdict(id, review, EFFECTIVE, &r), 403, &r, "the owner judging");
    tl_assert_problem(&r, 403, "segregation-of-duties");
    http_resp_cleanup(&r);
    /* the list finds the case by the principal's subject */
    snprintf(path, sizeof path, "/v1/cases?owner=%s", key_id);
    assert_int_equal(count(path), 1);

    /* the same person spelt otherwise: "Order Approver" is the key named order-approver */
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    snprintf(etag, sizeof etag, "\"%d\"", tl_case_version(&h, id));
    expect_status(http_json(&h, "PATCH", path, etag, "{\"owner\":\"Order Approver\"}", &r), 200, &r,
                  "free-text owner");
    http_resp_cleanup(&r);
    expect_status(verdict(id, review, EFFECTIVE, &r), 403, &r, "the owner, spelt otherwise");
    tl_assert_problem(&r, 403, "segregation-of-duties");
    http_resp_cleanup(&r);

    /* someone else owns it: the verdict is the approver's to give */
    snprintf(etag, sizeof etag, "\"%d\"", tl_case_version(&h, id));
    expect_status(http_json(&h, "PATCH", path, etag, "{\"owner\":\"it-operations\"}", &r), 200, &r,
                  "another owner");
    http_resp_cleanup(&r);
    expect_status(verdict(id, review, EFFECTIVE, &r), 200, &r, "verdict by someone else");
    http_resp_cleanup(&r);

    /* an assignee named as a principal: the approver worked it, so may not approve it */
    char id2[37];
    create_nc("Assignee is a principal", "minor", id2);
    free(tl_post_ok(&h, id2, "corrections", CORRECTION));
    tl_move_ok(&h, id2, "contained");
    put_root_cause(id2);
    tl_move_ok(&h, id2, "analysed");
    snprintf(body, sizeof body,
             "{\"type\":\"corrective\",\"title\":\"t\",\"due_date\":\"2099-12-31\","
             "\"assignee\":{\"kind\":\"api_key\",\"subject\":\"%s\",\"name\":\"order-approver\"}}",
             key_id);
    char *action = tl_post_ok(&h, id2, "actions", body);
    snprintf(path, sizeof path, "/v1/actions?assignee=%s", key_id);
    assert_int_equal(count(path), 1);
    tl_move_ok(&h, id2, "actions_in_progress");
    tl_patch_action_ok(&h, id2, action, "{\"status\":\"done\",\"completion_note\":\"n\"}");
    char *review2 = schedule_review(id2);
    tl_move_ok(&h, id2, "verifying");
    expect_status(verdict(id2, review2, EFFECTIVE, &r), 403, &r, "the assignee judging");
    tl_assert_problem(&r, 403, "segregation-of-duties");
    assert_non_null(strstr(tl_str(r.j, "detail"), "order-approver"));
    http_resp_cleanup(&r);
    free(review);
    free(review2);
    free(action);
}

/* ---- main ---------------------------------------------------------------------------- */

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_case_refuses_changes_until_reopened),
        cmocka_unit_test(test_approval_refused_out_of_its_place),
        cmocka_unit_test(test_verdict_refused_before_the_case_is_ready),
        cmocka_unit_test(test_two_cycles_each_with_its_guards_readiness_and_history),
        cmocka_unit_test(test_improvement_judged_by_its_own_checklist),
        cmocka_unit_test(test_impossible_times_and_references_refused),
        cmocka_unit_test(test_every_post_is_safe_to_retry),
        cmocka_unit_test(test_case_of_an_earlier_release_finishes_under_its_workflow),
        cmocka_unit_test(test_segregation_compares_principals_and_folded_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
