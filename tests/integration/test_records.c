/*
 * test_records.c - the records of ISO/IEC 27001:2022 clause 10.2 beneath a
 * case, over real HTTP against a real database: each workflow guard refusing
 * until its record exists, the not-effective review that reopens a case (both
 * of its rows in the trace of its request), the improvement workflow,
 * evidence files, links and recurrences, actions across cases, validation,
 * and custom workflows (run last: workflows are global).
 *
 * With CAPA_EVENT_SAMPLES_DIR set, the last test writes every event of the
 * feed there, for the JSON Schema checks of another stage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "harness.h"
#include "sha256.h"
#include "testlib.h"
#include "iso27001.h"
#include "apikey.h"

#define MIB (1024 * 1024)
#define EVIDENCE_MAX (6 * MIB)

static struct harness h;

/* ---- helpers ---------------------------------------------------------------------------- */

/* POST a JSON body to path; returns the status. */
static long
post(const char *path, const char *body, struct http_resp *r)
{
    return http_json(&h, "POST", path, NULL, body, r);
}

/* Create a case from a JSON body; returns the response JSON (caller decrefs). */
static json_t *
create_case_json(const char *body)
{
    struct http_resp r;
    if (post("/v1/cases", body, &r) != 201)
        fail_msg("POST /v1/cases: %ld %s", r.status, r.body);
    json_t *j = json_incref(r.j);
    http_resp_cleanup(&r);
    return j;
}

/* Create a nonconformity; copies its id and key (37 and 32 bytes). */
static void
create_nc(const char *title, const char *severity, char id[37], char key[32])
{
    char *body = harness_case_body(title, severity);
    json_t *j = create_case_json(body);
    snprintf(id, 37, "%s", tl_str(j, "id"));
    if (key != NULL)
        snprintf(key, 32, "%s", tl_str(j, "key"));
    json_decref(j);
    free(body);
}

/* Create a minor nonconformity naming one clause ref; returns the response JSON (caller decrefs).
 */
static json_t *
create_nc_with_ref(const char *title, const char *clause_ref)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"kind\":\"nonconformity\",\"title\":\"%s\",\"source\":\"internal_audit\","
             "\"severity\":\"minor\",\"detected_at\":\"2026-11-25T10:00:00Z\","
             "\"reported_by\":\"auditor@example.com\",\"clause_refs\":[\"%s\"]}",
             title, clause_ref);
    return create_case_json(body);
}

/* POST a record beneath a case; returns its id (caller frees). */
/*
 * Approvals and verdicts come from another principal than the harness's key,
 * which raises the cases: segregation of duties refuses the one who raised a
 * case as its approver.
 */
static char approver_key[APIKEY_LEN + 1];

/* POST as the approver, with extra headers (NULL: none). */
static long
post_as_approver(const char *path, const char *body, const char *const *extra, struct http_resp *r)
{
    memcpy(h.bearer, approver_key, sizeof h.bearer);
    long status = http_json_with(&h, "POST", path, NULL, body, extra, r);
    memcpy(h.bearer, h.key, sizeof h.bearer);
    return status;
}

static char *
add_record(const char *case_id, const char *segment, const char *body)
{
    struct http_resp r;
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s/%s", case_id, segment);
    bool approval = strcmp(segment, "approvals") == 0;
    if ((approval ? post_as_approver(path, body, NULL, &r) : post(path, body, &r)) != 201)
        fail_msg("POST %s %s: %ld %s", path, body, r.status, r.body);
    char *id = strdup(tl_str(r.j, "id"));
    char location[256];
    snprintf(location, sizeof location, "%s/%s", path, id);
    assert_string_equal(r.location, location);
    assert_string_equal(tl_str(r.j, "case_id"), case_id);
    assert_string_equal(tl_str(json_object_get(r.j, "created_by"), "kind"), "api_key");
    http_resp_cleanup(&r);
    return id;
}

/* PATCH an action with its current ETag; returns the status, r holds the answer. */
static long
patch_action(const char *case_id, const char *action_id, const char *body, struct http_resp *r)
{
    struct http_resp g;
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/actions/%s", case_id, action_id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &g), 200);
    char etag[sizeof g.etag];
    snprintf(etag, sizeof etag, "%s", g.etag);
    assert_true(etag[0] != '\0');
    http_resp_cleanup(&g);
    return http_json(&h, "PATCH", path, etag, body, r);
}

/* Record a verdict on a review, with extra headers (NULL: none); returns the status. */
static long
verdict_with(const char *case_id, const char *review_id, const char *body, const char *const *extra,
             struct http_resp *r)
{
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/reviews/%s/verdict", case_id, review_id);
    return post_as_approver(path, body, extra, r);
}

static long
verdict(const char *case_id, const char *review_id, const char *body, struct http_resp *r)
{
    return verdict_with(case_id, review_id, body, NULL, r);
}

/* The whole history of a case (caller decrefs the items array). */
static json_t *
history(const char *id)
{
    struct http_resp r;
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s/history?limit=500", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_true(json_is_null(json_object_get(r.j, "next_after")));
    json_t *j = json_incref(json_object_get(r.j, "items"));
    http_resp_cleanup(&r);
    return j;
}

static void
assert_history_valid(const char *id, int events)
{
    struct http_resp r;
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s/history/verify", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    if (!json_is_true(json_object_get(r.j, "valid")))
        fail_msg("history of %s is not valid: %s", id, r.body);
    assert_int_equal(tl_int(r.j, "events"), events);
    http_resp_cleanup(&r);
}

/* Whether an items array holds an item whose member key is value. */
static bool
items_have(const json_t *j_items, const char *key, const char *value)
{
    size_t i;
    json_t *e;
    json_array_foreach(j_items, i,
                       e) if (tl_str(e, key) && strcmp(tl_str(e, key), value) == 0) return true;
    return false;
}

/* GET a list path; returns its items (caller decrefs). */
static json_t *
list_items(const char *path)
{
    struct http_resp r;
    if (http_json(&h, "GET", path, NULL, NULL, &r) != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(json_object_get(r.j, "items"));
    assert_non_null(j);
    http_resp_cleanup(&r);
    return j;
}

/* Standard record bodies. */
#define CORRECTION                                                                                 \
    "{\"description\":\"Blocked the exposed port at the edge firewall\","                          \
    "\"performed_by\":\"ops-lead\",\"performed_at\":\"2026-11-21T09:00:00Z\"}"
#define ROOT_CAUSE                                                                                 \
    "{\"method\":\"five_whys\",\"analysis\":["                                                     \
    "{\"why\":\"Why was the port open?\",\"because\":\"A temporary rule was never removed\"},"     \
    "{\"why\":\"Why was it never removed?\",\"because\":\"Rules have no expiry date\"}],"          \
    "\"root_cause\":\"Firewall rules carry no owner or expiry\","                                  \
    "\"similar_exist\":\"yes\",\"similar_where\":\"the DMZ and the office firewalls\"}"
#define REVIEW                                                                                     \
    "{\"scheduled_for\":\"2027-01-15\",\"reviewer\":\"internal-audit\","                           \
    "\"criteria\":\"No rule without owner and expiry in the next quarterly export\"}"
/* The reviews above are scheduled later than the tests give their verdicts: they say why. */
#define EARLY "\"early_reason\":\"the auditor samples it this week\""

/* Drive a nonconformity from reported to analysed. */
static void
to_analysed(const char *id)
{
    free(add_record(id, "corrections", CORRECTION));
    tl_move_ok(&h, id, "contained");
    struct http_resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", id);
    if (http_json(&h, "PUT", path, NULL, ROOT_CAUSE, &r) != 200)
        fail_msg("PUT root-cause: %ld %s", r.status, r.body);
    http_resp_cleanup(&r);
    tl_move_ok(&h, id, "analysed");
}

/* ---- 1. a major nonconformity from reported to closed ---------------------------------- */

static void
test_major_nonconformity_reported_to_closed(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[200];
    static const char *const produced[] = {
        "capa.case.created",      "capa.case.updated",         "capa.correction.recorded",
        "capa.case.transitioned", "capa.rootcause.recorded",   "capa.action.created",
        "capa.action.updated",    "capa.action.completed",     "capa.review.scheduled",
        "capa.review.recorded",   "capa.isms_change.recorded", "capa.approval.recorded",
        "capa.evidence.added",    "capa.comment.added",        NULL};

    create_nc("Temporary firewall rule left open", "major", id, NULL);
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    assert_int_equal(http_json(&h, "PATCH", path, "\"1\"", "{\"owner\":\"network-lead\"}", &r),
                     200);
    http_resp_cleanup(&r);

    /* reported -> contained: has_correction */
    tl_move_refused(&h, id, "contained", (const char *const[]){"has_correction", NULL});
    char *correction = add_record(id, "corrections", CORRECTION);
    snprintf(path, sizeof path, "/v1/cases/%s/corrections/%s", id, correction);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "performed_at"), "2026-11-21T09:00:00.000000Z");
    assert_int_equal(tl_int(r.j, "number"), 1);
    http_resp_cleanup(&r);
    tl_move_ok(&h, id, "contained");

    /* contained -> analysed: root_cause_complete */
    tl_move_refused(&h, id, "analysed", (const char *const[]){"root_cause_complete", NULL});
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 404);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PUT", path, NULL, ROOT_CAUSE, &r), 200);
    assert_string_equal(tl_str(r.j, "method"), "five_whys");
    assert_string_equal(tl_str(r.j, "similar_exist"), "yes");
    assert_int_equal(json_array_size(json_object_get(r.j, "analysis")), 2);
    http_resp_cleanup(&r);
    tl_move_ok(&h, id, "analysed");

    /* analysed -> actions_in_progress: a corrective action with assignee and due date */
    tl_move_refused(&h, id, "actions_in_progress",
                    (const char *const[]){"corrective_action_planned", NULL});
    char *a1 = add_record(id, "actions",
                          "{\"type\":\"corrective\",\"title\":\"Give every rule an owner\","
                          "\"due_date\":\"2099-03-31\"}");
    /* a preventive action, assigned and dated, does not plan the correction either */
    char *a2 = add_record(id, "actions",
                          "{\"type\":\"preventive\",\"title\":\"Expire temporary rules\","
                          "\"assignee\":\"network-lead\",\"due_date\":\"2099-04-30\"}");
    /* without an assignee the corrective action does not count */
    tl_move_refused(&h, id, "actions_in_progress",
                    (const char *const[]){"corrective_action_planned", NULL});
    snprintf(path, sizeof path, "/v1/cases/%s/actions/%s", id, a1);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "status"), "open");
    assert_string_equal(r.etag, "\"1\"");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PATCH", path, NULL, "{\"assignee\":\"ops-lead\"}", &r), 428);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PATCH", path, "\"7\"", "{\"assignee\":\"ops-lead\"}", &r), 412);
    http_resp_cleanup(&r);
    /* "01" is not the action's tag "1" */
    assert_int_equal(http_json(&h, "PATCH", path, "\"01\"", "{\"assignee\":\"ops-lead\"}", &r),
                     400);
    http_resp_cleanup(&r);
    tl_patch_action_ok(&h, id, a1, "{\"assignee\":\"ops-lead\"}");
    tl_move_ok(&h, id, "actions_in_progress");

    /* actions_in_progress -> verifying: actions_finished and review_scheduled */
    tl_move_refused(&h, id, "verifying",
                    (const char *const[]){"actions_finished", "review_scheduled", NULL});
    tl_patch_action_ok(&h, id, a1, "{\"status\":\"in_progress\"}");
    /* done needs a completion note */
    assert_int_equal(patch_action(id, a1, "{\"status\":\"done\"}", &r), 422);
    tl_assert_field_error(&r, "completion_note", "required");
    http_resp_cleanup(&r);
    tl_patch_action_ok(&h, id, a1,
                       "{\"status\":\"done\",\"completion_note\":\"Owners set on all 212 rules\"}");
    /* one action still open: not finished */
    tl_move_refused(&h, id, "verifying",
                    (const char *const[]){"actions_finished", "review_scheduled", NULL});
    tl_patch_action_ok(&h, id, a2,
                       "{\"status\":\"done\",\"completion_note\":\"Expiry enforced by the "
                       "rule template\"}");
    /* a done action cannot change any more */
    assert_int_equal(patch_action(id, a2, "{\"status\":\"open\"}", &r), 422);
    tl_assert_field_error(&r, "status", "transition");
    http_resp_cleanup(&r);
    tl_move_refused(&h, id, "verifying", (const char *const[]){"review_scheduled", NULL});
    char *review = add_record(id, "reviews", REVIEW);
    tl_move_ok(&h, id, "verifying");

    /* verifying -> closed: review_effective, isms_change_decided, closure_approved_if_major */
    tl_move_refused(&h, id, "closed",
                    (const char *const[]){"review_effective", "isms_change_decided",
                                          "closure_approved_if_major", NULL});
    assert_int_equal(verdict(id, review,
                             "{\"verdict\":\"effective\",\"rationale\":\"The quarterly export "
                             "shows owners and expiry on every rule\"," EARLY "}",
                             &r),
                     200);
    assert_string_equal(tl_str(r.j, "verdict"), "effective");
    assert_string_equal(tl_str(r.j, "reviewer"), "internal-audit");
    http_resp_cleanup(&r);
    tl_move_refused(
        &h, id, "closed",
        (const char *const[]){"isms_change_decided", "closure_approved_if_major", NULL});
    free(add_record(id, "isms-changes",
                    "{\"decision\":\"change\",\"type\":\"policy\",\"reference\":\"POL-NET-04\","
                    "\"description\":\"Firewall rules need an owner and an expiry date\"}"));
    tl_move_refused(&h, id, "closed", (const char *const[]){"closure_approved_if_major", NULL});
    /* a rejected closure does not approve; the latest decision counts */
    free(add_record(id, "approvals",
                    "{\"step\":\"closure\",\"decision\":\"reject\","
                    "\"comment\":\"attach the rule export first\"}"));
    tl_move_refused(&h, id, "closed", (const char *const[]){"closure_approved_if_major", NULL});

    /* evidence, a comment, the approval */
    snprintf(path, sizeof path, "/v1/cases/%s/evidence?filename=rule-export.csv", id);
    const char *csv = "rule,owner,expires\n1,ops-lead,2027-03-31\n";
    const char *hd[] = {"Content-Type: text/csv", NULL};
    assert_int_equal(http_do(&h, "POST", path, hd, csv, strlen(csv), &r), 201);
    assert_int_equal(tl_int(r.j, "size"), (json_int_t)strlen(csv));
    assert_string_equal(tl_str(r.j, "media_type"), "text/csv");
    http_resp_cleanup(&r);
    free(add_record(id, "comments", "{\"body\":\"Export attached\"}"));
    free(add_record(id, "approvals", "{\"step\":\"closure\",\"decision\":\"approve\"}"));
    tl_move_ok(&h, id, "closed");

    /* readiness: every element of 10.2 present */
    json_t *j_case = tl_case(&h, id);
    assert_string_equal(tl_str(j_case, "status"), "closed");
    assert_non_null(tl_str(j_case, "closed_at"));
    assert_non_null(tl_str(j_case, "contained_at"));
    json_t *j_ready = json_object_get(j_case, "readiness");
    const char *elements[] = {"reaction",      "cause",        "actions",
                              "effectiveness", "isms_changes", "evidence"};
    for (size_t i = 0; i < 6; i++) {
        json_t *e = json_object_get(j_ready, elements[i]);
        if (!json_is_true(json_object_get(e, "present")))
            fail_msg("readiness %s not present", elements[i]);
        assert_non_null(tl_str(e, "clause"));
    }
    assert_true(json_is_true(json_object_get(j_ready, "complete")));
    int version = (int)tl_int(j_case, "version");
    json_decref(j_case);

    /* the history: every change, each by the harness key, sequence = case version */
    assert_history_valid(id, version);
    json_t *j_items = history(id);
    assert_int_equal(json_array_size(j_items), version);
    size_t i;
    json_t *e;
    json_array_foreach(j_items, i, e)
    {
        json_t *j_actor = json_object_get(e, "actor");
        assert_string_equal(tl_str(j_actor, "kind"), "api_key");
        assert_non_null(tl_str(j_actor, "subject"));
        assert_int_equal(tl_int(e, "sequence"), (json_int_t)i + 1);
        assert_int_equal(tl_int(json_object_get(json_object_get(e, "data"), "case"), "version"),
                         (json_int_t)i + 1);
        /* every type is one this test produced */
        bool known = false;
        for (const char *const *t = produced; *t; t++)
            known = known || strcmp(*t, tl_str(e, "type")) == 0;
        if (!known)
            fail_msg("unexpected event type %s", tl_str(e, "type"));
        if (strncmp(tl_str(e, "type"), "capa.case.", 10) != 0)
            assert_non_null(tl_str(json_object_get(json_object_get(e, "data"), "record"), "id"));
    }
    for (const char *const *t = produced; *t; t++)
        if (!items_have(j_items, "type", *t))
            fail_msg("the history has no %s event", *t);
    /* the completion is the action's change from in_progress to done */
    bool completed = false;
    json_array_foreach(j_items, i, e)
    {
        if (strcmp(tl_str(e, "type"), "capa.action.completed") != 0)
            continue;
        json_t *j_status =
            json_object_get(json_object_get(json_object_get(e, "data"), "changes"), "status");
        assert_string_equal(tl_str(j_status, "after"), "done");
        completed = true;
    }
    assert_true(completed);
    json_decref(j_items);

    /* a closed case takes no more actions */
    snprintf(path, sizeof path, "/v1/cases/%s/actions", id);
    assert_int_equal(post(path, "{\"type\":\"corrective\",\"title\":\"late\"}", &r), 409);
    http_resp_cleanup(&r);
    free(correction);
    free(a1);
    free(a2);
    free(review);
}

/* ---- 2. a not-effective verdict reopens the case ---------------------------------------- */

#define TRACEPARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define TRACESTATE "congo=t61rcWkgMzE"

static void
test_not_effective_verdict_reopens_case(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37];

    create_nc("Backup restore test failed", "minor", id, NULL);
    to_analysed(id);
    char *a1 = add_record(id, "actions",
                          "{\"type\":\"corrective\",\"title\":\"Fix the restore script\","
                          "\"assignee\":\"ops-lead\",\"due_date\":\"2099-01-31\"}");
    /* an assignee named as a principal travels in the events as it was given */
    char *a2 =
        add_record(id, "actions",
                   "{\"type\":\"preventive\",\"title\":\"Buy a second tape drive\","
                   "\"assignee\":{\"kind\":\"user\",\"subject\":\"u-ops\",\"name\":\"Ops\"}}");
    tl_move_ok(&h, id, "actions_in_progress");
    tl_patch_action_ok(&h, id, a1, "{\"status\":\"done\",\"completion_note\":\"script fixed\"}");
    /* one done and one cancelled (with a reason) finish the actions */
    assert_int_equal(patch_action(id, a2, "{\"status\":\"cancelled\"}", &r), 422);
    tl_assert_field_error(&r, "reason", "required");
    http_resp_cleanup(&r);
    tl_patch_action_ok(&h, id, a2,
                       "{\"status\":\"cancelled\",\"reason\":\"a cloud copy replaces it\"}");
    char *review1 = add_record(id, "reviews", REVIEW);
    tl_move_ok(&h, id, "verifying");

    /* not effective: back to analysed, by the system, in the trace of the verdict's request */
    int before = tl_case_version(&h, id);
    assert_int_equal(verdict_with(id, review1,
                                  "{\"verdict\":\"not_effective\",\"rationale\":\"the restore of "
                                  "December failed again\"," EARLY "}",
                                  (const char *const[]){"traceparent: " TRACEPARENT,
                                                        "tracestate: " TRACESTATE, NULL},
                                  &r),
                     200);
    assert_string_equal(tl_str(r.j, "verdict"), "not_effective");
    http_resp_cleanup(&r);
    json_t *j_case = tl_case(&h, id);
    assert_string_equal(tl_str(j_case, "status"), "analysed");
    assert_int_equal(tl_int(j_case, "reopened_count"), 1);
    assert_int_equal(tl_int(j_case, "version"), before + 2);
    json_t *j_ready = json_object_get(j_case, "readiness");
    assert_false(
        json_is_true(json_object_get(json_object_get(j_ready, "effectiveness"), "present")));
    assert_false(json_is_true(json_object_get(j_ready, "complete")));
    json_decref(j_case);

    json_t *j_items = history(id);
    size_t n = json_array_size(j_items);
    assert_int_equal(n, before + 2);
    json_t *j_rec = json_array_get(j_items, n - 2), *j_tr = json_array_get(j_items, n - 1);
    assert_string_equal(tl_str(j_rec, "type"), "capa.review.recorded");
    assert_string_equal(tl_str(json_object_get(j_rec, "actor"), "kind"), "api_key");
    assert_string_equal(tl_str(j_tr, "type"), "capa.case.transitioned");
    assert_string_equal(tl_str(json_object_get(j_tr, "actor"), "kind"), "system");
    json_t *j_move = json_object_get(json_object_get(j_tr, "data"), "transition");
    assert_string_equal(tl_str(j_move, "from"), "verifying");
    assert_string_equal(tl_str(j_move, "to"), "analysed");
    assert_int_equal(
        tl_int(json_object_get(json_object_get(j_tr, "data"), "case"), "reopened_count"), 1);
    bool cancelled = items_have(j_items, "type", "capa.action.cancelled");
    json_decref(j_items);
    assert_true(cancelled);
    assert_history_valid(id, before + 2);
    /* both rows of the one request carry its trace context; the rows before carry none */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(type || ' ' || coalesce(traceparent, '-') || ' ' || "
             "coalesce(tracestate, '-'), ',' ORDER BY sequence) FROM case_events "
             "WHERE case_id = '%s' AND (sequence > %d OR traceparent IS NOT NULL)",
             id, before);
    char *rows = harness_sql(&h, sql);
    assert_string_equal(rows, "capa.review.recorded " TRACEPARENT " " TRACESTATE
                              ",capa.case.transitioned " TRACEPARENT " " TRACESTATE);
    free(rows);

    /* the verdict is recorded: the review cannot take another */
    assert_int_equal(
        verdict(id, review1, "{\"verdict\":\"effective\",\"rationale\":\"x\"," EARLY "}", &r), 422);
    tl_assert_field_error(&r, "verdict", "recorded");
    http_resp_cleanup(&r);

    /* cycle 2: the first cycle's analysis and done action count no more */
    tl_move_refused(
        &h, id, "actions_in_progress",
        (const char *const[]){"root_cause_complete", "corrective_action_planned", NULL});
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", id);
    assert_int_equal(http_json(&h, "PUT", path, NULL, ROOT_CAUSE, &r), 200);
    assert_int_equal(tl_int(r.j, "cycle"), 2);
    http_resp_cleanup(&r);
    char *a3 = add_record(id, "actions",
                          "{\"type\":\"corrective\",\"title\":\"Test restores monthly\","
                          "\"assignee\":\"ops-lead\",\"due_date\":\"2099-02-28\"}");
    tl_move_ok(&h, id, "actions_in_progress");
    tl_move_refused(&h, id, "verifying",
                    (const char *const[]){"actions_finished", "review_scheduled", NULL});
    tl_patch_action_ok(&h, id, a3,
                       "{\"status\":\"done\",\"completion_note\":\"January test passed\"}");
    tl_move_refused(&h, id, "verifying", (const char *const[]){"review_scheduled", NULL});
    char *review2 = add_record(id, "reviews", REVIEW);
    tl_move_ok(&h, id, "verifying");
    assert_int_equal(verdict(id, review2,
                             "{\"verdict\":\"effective\",\"rationale\":\"January restore "
                             "succeeded\"," EARLY "}",
                             &r),
                     200);
    http_resp_cleanup(&r);
    j_case = tl_case(&h, id);
    assert_string_equal(tl_str(j_case, "status"), "verifying");
    assert_int_equal(tl_int(j_case, "reopened_count"), 1);
    assert_true(json_is_true(json_object_get(
        json_object_get(json_object_get(j_case, "readiness"), "effectiveness"), "present")));
    json_decref(j_case);
    free(a1);
    free(a2);
    free(a3);
    free(review1);
    free(review2);
}

/* ---- 3. the improvement workflow --------------------------------------------------------- */

static void
test_improvement_workflow(void **state)
{
    (void)state;
    json_t *j = create_case_json(
        "{\"kind\":\"improvement\",\"title\":\"Automate certificate renewal\","
        "\"source\":\"management_review\",\"detected_at\":\"2026-11-01T09:00:00Z\","
        "\"reported_by\":\"ciso\"}");
    char id[37];
    snprintf(id, sizeof id, "%s", tl_str(j, "id"));
    assert_string_equal(tl_str(j, "status"), "proposed");
    json_decref(j);

    /* owned by a principal */
    char owner_path[128];
    snprintf(owner_path, sizeof owner_path, "/v1/cases/%s", id);
    struct http_resp o;
    assert_int_equal(http_json(&h, "PATCH", owner_path, "\"1\"",
                               "{\"owner\":{\"kind\":\"user\",\"subject\":\"u-ciso\"}}", &o),
                     200);
    http_resp_cleanup(&o);
    tl_move_refused(&h, id, "approved", (const char *const[]){"improvement_approved", NULL});
    /* a step the workflow does not have is no approval: 422 naming the steps it has */
    struct http_resp r;
    char path[160];
    snprintf(path, sizeof path, "/v1/cases/%s/approvals", id);
    assert_int_equal(
        post_as_approver(path, "{\"step\":\"budget\",\"decision\":\"approve\"}", NULL, &r), 422);
    tl_assert_field_error(&r, "step", "unknown");
    assert_non_null(strstr(r.body, "must be a step of this case's workflow: approve"));
    http_resp_cleanup(&r);
    tl_move_refused(&h, id, "approved", (const char *const[]){"improvement_approved", NULL});
    free(add_record(id, "approvals", "{\"step\":\"approve\",\"decision\":\"approve\"}"));
    tl_move_ok(&h, id, "approved");

    tl_move_refused(&h, id, "in_progress",
                    (const char *const[]){"improvement_action_planned", NULL});
    /* a corrective action, or one without a due date, does not plan an improvement */
    char *a0 = add_record(id, "actions",
                          "{\"type\":\"corrective\",\"title\":\"Not an improvement\","
                          "\"assignee\":\"pki-team\",\"due_date\":\"2099-02-28\"}");
    char *a1 = add_record(id, "actions",
                          "{\"type\":\"improvement\",\"title\":\"Deploy ACME clients\","
                          "\"assignee\":\"pki-team\"}");
    tl_move_refused(&h, id, "in_progress",
                    (const char *const[]){"improvement_action_planned", NULL});
    tl_patch_action_ok(&h, id, a1, "{\"due_date\":\"2099-02-28\"}");
    tl_move_ok(&h, id, "in_progress");

    tl_move_refused(&h, id, "implemented",
                    (const char *const[]){"actions_finished", "review_scheduled", NULL});
    tl_patch_action_ok(&h, id, a1, "{\"status\":\"done\",\"completion_note\":\"ACME everywhere\"}");
    tl_move_refused(&h, id, "implemented",
                    (const char *const[]){"actions_finished", "review_scheduled", NULL});
    tl_patch_action_ok(&h, id, a0, "{\"status\":\"cancelled\",\"reason\":\"raised by mistake\"}");
    /* clause 10.1: the benefit is reviewed before the improvement closes */
    char *review = add_record(id, "reviews",
                              "{\"scheduled_for\":\"2099-03-01\",\"reviewer\":\"ciso\","
                              "\"criteria\":\"No certificate expired unnoticed for a quarter\"}");
    tl_move_ok(&h, id, "implemented");
    tl_move_refused(&h, id, "closed", (const char *const[]){"benefit_confirmed", NULL});
    assert_int_equal(
        verdict(id, review,
                "{\"verdict\":\"effective\",\"rationale\":\"no expiry since\"," EARLY "}", &r),
        200);
    http_resp_cleanup(&r);
    tl_move_ok(&h, id, "closed");
    json_t *j_case = tl_case(&h, id);
    assert_non_null(tl_str(j_case, "closed_at"));
    assert_history_valid(id, (int)tl_int(j_case, "version"));
    json_decref(j_case);
    free(a0);
    free(a1);
    free(review);
}

/* ---- 4. custom workflows apply to new cases only ---------------------------------------- */

/* PUT a definition; returns the status, r holds the answer. */
static long
put_workflow(const char *kind, const json_t *j_def, struct http_resp *r)
{
    char path[64];
    char *body = json_dumps(j_def, JSON_COMPACT);
    snprintf(path, sizeof path, "/v1/workflows/%s", kind);
    long status = http_json(&h, "PUT", path, NULL, body, r);
    free(body);
    return status;
}

/* The current definition of a kind (caller decrefs) and its version. */
static json_t *
current_workflow(const char *kind, int *version)
{
    json_t *j_items = list_items("/v1/workflows"), *j_def = NULL;
    size_t i;
    json_t *w;
    json_array_foreach(j_items, i, w)
    {
        if (strcmp(tl_str(w, "kind"), kind) == 0) {
            j_def = json_deep_copy(json_object_get(w, "definition"));
            *version = (int)tl_int(w, "version");
        }
    }
    json_decref(j_items);
    assert_non_null(j_def);
    return j_def;
}

/* PUT an invalid definition: 422 naming field with code; the current version stays. */
static void
assert_definition_refused(const json_t *j_def, const char *const *fields, const char *const *codes)
{
    struct http_resp r;
    int before, after;
    json_decref(current_workflow("nonconformity", &before));
    assert_int_equal(put_workflow("nonconformity", j_def, &r), 422);
    for (size_t i = 0; fields[i]; i++)
        tl_assert_field_error(&r, fields[i], codes[i]);
    http_resp_cleanup(&r);
    json_decref(current_workflow("nonconformity", &after));
    assert_int_equal(after, before);
}

static void
test_custom_workflow_applies_to_new_cases_only(void **state)
{
    (void)state;
    struct http_resp r;
    char a[37], b[37];
    int version;

    create_nc("Workflow A: badge reader offline", "minor", a, NULL);
    json_t *j_case = tl_case(&h, a);
    assert_int_equal(tl_int(j_case, "workflow_version"), 2);
    json_decref(j_case);

    json_t *j_default = current_workflow("nonconformity", &version);
    assert_int_equal(version, 2);

    /* analysed -> awaiting_budget -> actions_in_progress */
    json_t *j_custom = json_deep_copy(j_default);
    json_array_append_new(json_object_get(j_custom, "states"),
                          json_pack("{s:s, s:b}", "name", "awaiting_budget", "contained", 1));
    size_t i;
    json_t *t;
    bool rerouted = false;
    json_array_foreach(json_object_get(j_custom, "transitions"), i, t)
    {
        if (strcmp(tl_str(t, "from"), "analysed") == 0 &&
            strcmp(tl_str(t, "to"), "actions_in_progress") == 0) {
            json_object_set_new(t, "to", json_string("awaiting_budget"));
            rerouted = true;
        }
    }
    assert_true(rerouted);
    json_array_append_new(json_object_get(j_custom, "transitions"),
                          json_pack("{s:s, s:s, s:[s], s:[s]}", "from", "awaiting_budget", "to",
                                    "actions_in_progress", "guards", "corrective_action_planned",
                                    "roles", "approver"));
    assert_int_equal(put_workflow("nonconformity", j_custom, &r), 200);
    assert_int_equal(tl_int(r.j, "version"), 3);
    assert_string_equal(tl_str(r.j, "kind"), "nonconformity");
    http_resp_cleanup(&r);
    json_t *j_now = current_workflow("nonconformity", &version);
    assert_int_equal(version, 3);
    assert_true(json_equal(j_now, j_custom));
    json_decref(j_now);

    /* case A keeps version 2 of the workflow (the default of sql/0007) */
    to_analysed(a);
    free(add_record(a, "actions",
                    "{\"type\":\"corrective\",\"title\":\"Replace the reader\","
                    "\"assignee\":\"facilities\",\"due_date\":\"2099-05-31\"}"));
    tl_move_ok(&h, a, "actions_in_progress");
    j_case = tl_case(&h, a);
    assert_int_equal(tl_int(j_case, "workflow_version"), 2);
    json_decref(j_case);

    /* case B follows version 3 */
    create_nc("Workflow B: badge reader offline again", "minor", b, NULL);
    j_case = tl_case(&h, b);
    assert_int_equal(tl_int(j_case, "workflow_version"), 3);
    json_decref(j_case);
    to_analysed(b);
    free(add_record(b, "actions",
                    "{\"type\":\"corrective\",\"title\":\"Replace the reader\","
                    "\"assignee\":\"facilities\",\"due_date\":\"2099-05-31\"}"));
    assert_int_equal(tl_move(&h, b, "actions_in_progress", NULL, &r), 409);
    tl_assert_problem(&r, 409, "transition-not-allowed");
    assert_int_equal(json_array_size(json_object_get(r.j, "unmet_guards")), 0);
    json_t *j_allowed = json_object_get(r.j, "allowed_transitions");
    assert_int_equal(json_array_size(j_allowed), 1);
    assert_string_equal(tl_str(json_array_get(j_allowed, 0), "to"), "awaiting_budget");
    http_resp_cleanup(&r);
    tl_move_ok(&h, b, "awaiting_budget");
    tl_move_ok(&h, b, "actions_in_progress");
    j_case = tl_case(&h, b);
    assert_int_equal(tl_int(j_case, "workflow_version"), 3);
    assert_history_valid(b, (int)tl_int(j_case, "version"));
    json_decref(j_case);

    /* invalid definitions name each problem, and nothing is stored */
    json_t *j_bad = json_deep_copy(j_default);
    json_t *j_t0 = json_array_get(json_object_get(j_bad, "transitions"), 0);
    json_array_append_new(json_object_get(j_t0, "guards"), json_string("wishful_thinking"));
    assert_definition_refused(j_bad, (const char *const[]){"transitions[0].guards[1]", NULL},
                              (const char *const[]){"unknown_guard", NULL});
    json_decref(j_bad);

    j_bad = json_deep_copy(j_default);
    j_t0 = json_array_get(json_object_get(j_bad, "transitions"), 0);
    json_array_append_new(json_object_get(j_t0, "roles"), json_string("wizard"));
    assert_definition_refused(j_bad, (const char *const[]){"transitions[0].roles[1]", NULL},
                              (const char *const[]){"unknown_role", NULL});
    json_decref(j_bad);

    j_bad = json_deep_copy(j_default);
    size_t n_states = json_array_size(json_object_get(j_bad, "states"));
    json_array_append_new(json_object_get(j_bad, "states"),
                          json_pack("{s:s, s:b}", "name", "limbo", "terminal", 1));
    char unreachable[32];
    snprintf(unreachable, sizeof unreachable, "states[%zu]", n_states);
    assert_definition_refused(j_bad, (const char *const[]){unreachable, NULL},
                              (const char *const[]){"unreachable", NULL});
    json_decref(j_bad);

    j_bad = json_deep_copy(j_default);
    size_t n_tr = json_array_size(json_object_get(j_bad, "transitions"));
    json_array_append_new(json_object_get(j_bad, "transitions"),
                          json_pack("{s:s, s:s, s:[], s:[s]}", "from", "closed", "to", "reported",
                                    "guards", "roles", "admin"));
    char terminal[32];
    snprintf(terminal, sizeof terminal, "transitions[%zu]", n_tr);
    assert_definition_refused(j_bad, (const char *const[]){terminal, NULL},
                              (const char *const[]){"terminal_exit", NULL});
    /* several problems at once: each is named */
    j_t0 = json_array_get(json_object_get(j_bad, "transitions"), 0);
    json_array_append_new(json_object_get(j_t0, "guards"), json_string("wishful_thinking"));
    json_array_append_new(json_object_get(j_t0, "roles"), json_string("wizard"));
    assert_definition_refused(
        j_bad,
        (const char *const[]){terminal, "transitions[0].guards[1]", "transitions[0].roles[1]",
                              NULL},
        (const char *const[]){"terminal_exit", "unknown_guard", "unknown_role", NULL});
    json_decref(j_bad);

    /* no such kind; a definition of another kind */
    assert_int_equal(put_workflow("other", j_default, &r), 404);
    tl_assert_problem(&r, 404, "not-found");
    http_resp_cleanup(&r);
    assert_int_equal(put_workflow("improvement", j_default, &r), 422);
    tl_assert_field_error(&r, "kind", "mismatch");
    http_resp_cleanup(&r);
    int ofi_version;
    json_decref(current_workflow("improvement", &ofi_version));
    assert_int_equal(ofi_version, 2);

    /* restore the default for what follows: a new version equal to version 2 */
    assert_int_equal(put_workflow("nonconformity", j_default, &r), 200);
    assert_int_equal(tl_int(r.j, "version"), 4);
    http_resp_cleanup(&r);
    j_now = current_workflow("nonconformity", &version);
    assert_int_equal(version, 4);
    assert_true(json_equal(j_now, j_default));
    json_decref(j_now);

    json_decref(j_custom);
    json_decref(j_default);
}

/* ---- 5. evidence: round trip and limits ------------------------------------------------- */

static uint64_t
xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static char *
pseudo_random_bytes(size_t len, uint64_t seed)
{
    unsigned char *b = malloc(len);
    assert_non_null(b);
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = xorshift(&seed);
        for (size_t k = 0; k < 8 && i + k < len; k++)
            b[i + k] = (unsigned char)(v >> (8 * k));
    }
    return (char *)b;
}

static long
upload(const char *case_id, const char *query, const char *media_type, const char *bytes,
       size_t len, struct http_resp *r)
{
    char path[400], ct[160];
    snprintf(path, sizeof path, "/v1/cases/%s/evidence%s", case_id, query);
    snprintf(ct, sizeof ct, "Content-Type: %s", media_type);
    const char *hd[] = {ct, NULL};
    return http_do(&h, "POST", path, media_type ? hd : NULL, bytes, len, r);
}

struct header_out {
    char *value;
    size_t size;
};

static size_t
on_etag(char *line, size_t size, size_t n, void *arg)
{
    struct header_out *out = arg;
    size_t len = size * n;
    if (len > 5 && strncasecmp(line, "ETag:", 5) == 0) {
        const char *v = line + 5;
        while (*v == ' ')
            v++;
        size_t vlen = len - (size_t)(v - line);
        while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
            vlen--;
        snprintf(out->value, out->size, "%.*s", (int)vlen, v);
    }
    return len;
}

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

/* The ETag of a GET, whole. */
static void
get_etag(const char *path, char *out, size_t size)
{
    char url[512];
    struct header_out ctx = {out, size};
    CURL *curl = curl_easy_init();
    long status = 0;
    assert_non_null(curl);
    out[0] = '\0';
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", h.port, path);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", h.key);
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_etag);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ctx);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    assert_int_equal(status, 200);
}

static char *
count_evidence(const char *case_id)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) || '/' || (SELECT count(*) FROM evidence_contents) "
             "FROM case_records WHERE case_id = '%s' AND kind = 'evidence'",
             case_id);
    return harness_sql(&h, sql);
}

static void
test_evidence_round_trip_and_limits(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], other[37], path[300], sha[65];
    size_t len = 5 * MIB;

    create_nc("Evidence target", "minor", id, NULL);
    create_nc("Evidence elsewhere", "minor", other, NULL);

    /* 5 MiB of binary, with NUL and 0xFF bytes */
    char *bytes = pseudo_random_bytes(len, 0x9E3779B97F4A7C15ull);
    bytes[0] = '\0';
    bytes[len - 1] = (char)0xFF;
    assert_non_null(memchr(bytes + 1, 0, len - 2));
    assert_non_null(memchr(bytes + 1, 0xFF, len - 2));
    tl_sha256_hex(bytes, len, sha);

    assert_int_equal(upload(id, "?filename=dump.bin", "application/octet-stream", bytes, len, &r),
                     201);
    assert_string_equal(tl_str(r.j, "sha256"), sha);
    assert_int_equal(tl_int(r.j, "size"), (json_int_t)len);
    assert_string_equal(tl_str(r.j, "filename"), "dump.bin");
    assert_string_equal(tl_str(r.j, "media_type"), "application/octet-stream");
    char *ev1 = strdup(tl_str(r.j, "id"));
    http_resp_cleanup(&r);

    /* the same bytes back, typed, tagged with their hash */
    snprintf(path, sizeof path, "/v1/cases/%s/evidence/%s/content", id, ev1);
    assert_int_equal(http_do(&h, "GET", path, NULL, NULL, 0, &r), 200);
    assert_int_equal(r.body_len, len);
    assert_memory_equal(r.body, bytes, len);
    assert_string_equal(r.content_type, "application/octet-stream");
    char etag[80], full_etag[128];
    snprintf(etag, sizeof etag, "\"%s\"", sha);
    http_resp_cleanup(&r);
    /* (the harness keeps 63 characters of an ETag: read this 66-character one whole) */
    get_etag(path, full_etag, sizeof full_etag);
    assert_string_equal(full_etag, etag);
    char inm[100];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *inm_hd[] = {inm, NULL};
    assert_int_equal(http_do(&h, "GET", path, inm_hd, NULL, 0, &r), 304);
    assert_int_equal(r.body_len, 0);
    http_resp_cleanup(&r);
    /* the metadata alone */
    snprintf(path, sizeof path, "/v1/cases/%s/evidence/%s", id, ev1);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "sha256"), sha);
    http_resp_cleanup(&r);
    /* not beneath another case */
    snprintf(path, sizeof path, "/v1/cases/%s/evidence/%s/content", other, ev1);
    assert_int_equal(http_do(&h, "GET", path, NULL, NULL, 0, &r), 404);
    http_resp_cleanup(&r);
    free(bytes);

    /* one byte over the limit: 413, nothing stored */
    int version = tl_case_version(&h, id);
    char *counted = count_evidence(id);
    char *big = pseudo_random_bytes(EVIDENCE_MAX + 1, 42);
    assert_int_equal(
        upload(id, "?filename=big.bin", "application/octet-stream", big, EVIDENCE_MAX + 1, &r),
        413);
    tl_assert_problem(&r, 413, "payload-too-large");
    http_resp_cleanup(&r);
    free(big);
    char *now = count_evidence(id);
    assert_string_equal(now, counted);
    free(now);
    free(counted);
    assert_int_equal(tl_case_version(&h, id), version);

    /* names: no paths, not empty, no control characters; a name is required */
    const char *small = "hello";
    const char *bad_names[] = {"?filename=..%2Fetc%2Fpasswd", "?filename=", "?filename=..",
                               "?filename=a%5Cb.txt"};
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        assert_int_equal(upload(id, bad_names[i], "text/plain", small, 5, &r), 422);
        tl_assert_field_error(&r, "filename", "format");
        http_resp_cleanup(&r);
    }
    assert_int_equal(upload(id, "?filename=", "not a media type", small, 5, &r), 422);
    tl_assert_field_error(&r, "media_type", "format");
    http_resp_cleanup(&r);
    /* parameters that are not ASCII text (invalid UTF-8 here: it was a 500) */
    assert_int_equal(upload(id, "?filename=x.txt", "text/plain; charset=\xff", small, 5, &r), 422);
    tl_assert_field_error(&r, "media_type", "format");
    http_resp_cleanup(&r);
    assert_int_equal(upload(id, "?filename=x.txt", "text/pl ain", small, 5, &r), 422);
    tl_assert_field_error(&r, "media_type", "format");
    http_resp_cleanup(&r);
    assert_int_equal(upload(id, "", "text/plain", small, 5, &r), 400);
    tl_assert_problem(&r, 400, "bad-request");
    http_resp_cleanup(&r);
    assert_int_equal(upload(id, "?filename=x.txt&colour=red", "text/plain", small, 5, &r), 400);
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, id), version);

    /* supersedes: an evidence id of this case only */
    assert_int_equal(upload(other, "?filename=other.txt", "text/plain", small, 5, &r), 201);
    char *ev_other = strdup(tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    char query[200];
    snprintf(query, sizeof query, "?filename=dump-v2.bin&supersedes=%s", ev_other);
    assert_int_equal(upload(id, query, "application/octet-stream", small, 5, &r), 422);
    tl_assert_field_error(&r, "supersedes", "unknown");
    http_resp_cleanup(&r);
    assert_int_equal(upload(id, "?filename=dump-v2.bin&supersedes=nope", "application/octet-stream",
                            small, 5, &r),
                     422);
    tl_assert_field_error(&r, "supersedes", "format");
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, id), version);
    snprintf(query, sizeof query, "?filename=dump-v2.bin&supersedes=%s", ev1);
    assert_int_equal(upload(id, query, "application/octet-stream", small, 5, &r), 201);
    assert_string_equal(tl_str(r.j, "supersedes"), ev1);
    assert_int_equal(tl_int(r.j, "number"), 2);
    char *ev2 = strdup(tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/evidence", id);
    json_t *j_items = list_items(path);
    assert_int_equal(json_array_size(j_items), 2);
    assert_true(items_have(j_items, "id", ev1));
    assert_true(items_have(j_items, "id", ev2));
    json_decref(j_items);
    assert_int_equal(tl_case_version(&h, id), version + 1);
    free(ev1);
    free(ev2);
    free(ev_other);

    /*
     * A control character in the name (a line feed) never reaches the
     * filename rule: the HTTP layer refuses control characters in any query
     * value, with 400.
     */
    long status = upload(id, "?filename=evil%0Aname.txt", "text/plain", small, 5, &r);
    assert_int_equal(status, 400);
    assert_string_equal(json_string_value(json_object_get(r.j, "type")),
                        "https://capa.example.org/problems/bad-request");
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, id), version + 1);
}

/* ---- 6. links, controls and recurrences ------------------------------------------------- */

static void
test_links_controls_and_recurrence(void **state)
{
    (void)state;
    struct http_resp r;
    char x[37], xkey[32], y[37], ykey[32], path[200];

    /* the Annex A catalogue */
    json_t *j_controls = list_items("/v1/controls");
    assert_int_equal(json_array_size(j_controls), 93);
    int themes[4] = {0};
    const char *names[4] = {"organizational", "people", "physical", "technological"};
    size_t i;
    json_t *e;
    json_array_foreach(j_controls, i, e) for (int t = 0; t < 4; t++) themes[t] +=
        strcmp(tl_str(e, "theme"), names[t]) == 0;
    assert_int_equal(themes[0], 37);
    assert_int_equal(themes[1], 8);
    assert_int_equal(themes[2], 14);
    assert_int_equal(themes[3], 34);
    assert_string_equal(tl_str(json_array_get(j_controls, 0), "id"), "A.5.1");
    /* the table of the migrations and the domain's catalogue are the same 93, in order */
    assert_int_equal(json_array_size(j_controls), (size_t)iso_control_count());
    json_array_foreach(j_controls, i, e)
    {
        char id[ISO_CONTROL_ID_LEN];
        iso_control_id((int)i, id);
        assert_string_equal(tl_str(e, "id"), id);
    }
    json_decref(j_controls);

    /* a control link */
    create_nc("Unpatched VPN appliance firmware", "minor", x, xkey);
    snprintf(path, sizeof path, "/v1/cases/%s/links", x);
    char *control_link = add_record(x, "links", "{\"type\":\"control\",\"control\":\"A.8.8\"}");
    assert_int_equal(post(path, "{\"type\":\"control\",\"control\":\"A.9.1\"}", &r), 422);
    tl_assert_field_error(&r, "control", "unknown");
    http_resp_cleanup(&r);
    assert_int_equal(post(path, "{\"type\":\"control\",\"control\":\"8.8\"}", &r), 422);
    tl_assert_field_error(&r, "control", "format");
    http_resp_cleanup(&r);
    assert_int_equal(post(path, "{\"type\":\"control\",\"target_case\":\"NC-2026-0001\"}", &r),
                     422);
    tl_assert_field_error(&r, "control", "required");
    http_resp_cleanup(&r);
    json_t *j_found = list_items("/v1/cases?control=A.8.8");
    assert_int_equal(json_array_size(j_found), 1);
    assert_string_equal(tl_str(json_array_get(j_found, 0), "id"), x);
    json_decref(j_found);

    /* recurrences: by the control of an earlier case, by a similar title */
    json_t *j_y = create_case_json(
        "{\"kind\":\"nonconformity\",\"title\":\"Vulnerability scan findings ignored\","
        "\"source\":\"internal_audit\",\"severity\":\"minor\","
        "\"detected_at\":\"2026-11-25T10:00:00Z\",\"reported_by\":\"auditor@example.com\","
        "\"clause_refs\":[\"A.8.8\"]}");
    snprintf(y, sizeof y, "%s", tl_str(j_y, "id"));
    snprintf(ykey, sizeof ykey, "%s", tl_str(j_y, "key"));
    json_t *j_cand = json_object_get(j_y, "recurrence_candidates");
    assert_true(items_have(j_cand, "id", x));
    json_array_foreach(j_cand, i, e) if (strcmp(tl_str(e, "id"), x) == 0)
    {
        assert_string_equal(tl_str(e, "key"), xkey);
        assert_string_equal(tl_str(e, "reason"), "control");
    }
    json_decref(j_y);
    char z[37];
    create_nc("Unpatched VPN appliance firmware again", "minor", z, NULL);
    json_t *j_z = tl_case(&h, z);
    j_cand = json_object_get(j_z, "recurrence_candidates");
    assert_true(items_have(j_cand, "id", x));
    json_array_foreach(j_cand, i, e) if (strcmp(tl_str(e, "id"), x) == 0)
        assert_string_equal(tl_str(e, "reason"), "similar_title");
    json_decref(j_z);
    j_found = list_items("/v1/cases?has_recurrence=true&limit=200");
    assert_true(items_have(j_found, "id", y));
    assert_true(items_have(j_found, "id", z));
    json_array_foreach(j_found, i, e)
        assert_true(json_array_size(json_object_get(e, "recurrence_candidates")) > 0);
    json_decref(j_found);
    j_found = list_items("/v1/cases?has_recurrence=false&limit=200");
    assert_false(items_have(j_found, "id", y));
    json_decref(j_found);

    /* a case link shows on both cases */
    char body[200];
    snprintf(body, sizeof body, "{\"type\":\"related_case\",\"target_case\":\"%s\"}", ykey);
    char *case_link = add_record(x, "links", body);
    snprintf(path, sizeof path, "/v1/cases/%s/links/%s", x, case_link);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 200);
    assert_string_equal(tl_str(r.j, "target_case_id"), y);
    assert_string_equal(tl_str(r.j, "target_case_key"), ykey);
    assert_true(json_is_null(json_object_get(r.j, "removed_at")));
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/links", x);
    json_t *j_links = list_items(path);
    assert_int_equal(json_array_size(j_links), 2);
    assert_true(items_have(j_links, "id", case_link));
    assert_true(items_have(j_links, "id", control_link));
    json_decref(j_links);
    snprintf(path, sizeof path, "/v1/cases/%s/links", y);
    j_links = list_items(path);
    assert_int_equal(json_array_size(j_links), 1);
    assert_string_equal(tl_str(json_array_get(j_links, 0), "id"), case_link);
    assert_string_equal(tl_str(json_array_get(j_links, 0), "case_id"), x);
    json_decref(j_links);

    /* not to itself, not to a case that does not exist */
    snprintf(path, sizeof path, "/v1/cases/%s/links", x);
    snprintf(body, sizeof body, "{\"type\":\"duplicate_of\",\"target_case\":\"%s\"}", xkey);
    assert_int_equal(post(path, body, &r), 422);
    tl_assert_field_error(&r, "target_case", "self");
    http_resp_cleanup(&r);
    snprintf(body, sizeof body, "{\"type\":\"duplicate_of\",\"target_case\":\"%s\"}", x);
    assert_int_equal(post(path, body, &r), 422);
    tl_assert_field_error(&r, "target_case", "self");
    http_resp_cleanup(&r);
    assert_int_equal(
        post(path, "{\"type\":\"recurrence_of\",\"target_case\":\"NC-1999-0001\"}", &r), 422);
    tl_assert_field_error(&r, "target_case", "unknown");
    http_resp_cleanup(&r);

    /* removal: kept, marked, no longer found by the control */
    int version = tl_case_version(&h, x);
    snprintf(path, sizeof path, "/v1/cases/%s/links/%s", x, control_link);
    assert_int_equal(http_json(&h, "DELETE", path, NULL, NULL, &r), 204);
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, x), version + 1);
    assert_int_equal(http_json(&h, "DELETE", path, NULL, NULL, &r), 409);
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/links", x);
    j_links = list_items(path);
    assert_int_equal(json_array_size(j_links), 2);
    json_array_foreach(j_links, i, e)
    {
        if (strcmp(tl_str(e, "id"), control_link) == 0)
            assert_non_null(tl_str(e, "removed_at"));
        else
            assert_true(json_is_null(json_object_get(e, "removed_at")));
    }
    json_decref(j_links);
    j_found = list_items("/v1/cases?control=A.8.8");
    assert_int_equal(json_array_size(j_found), 0);
    json_decref(j_found);
    json_t *j_hist = history(x);
    assert_true(items_have(j_hist, "type", "capa.link.removed"));
    json_decref(j_hist);
    assert_history_valid(x, version + 1);
    free(control_link);
    free(case_link);
}

/*
 * Each reason contributes its five newest cases, whatever the number that
 * match: of seven earlier cases sharing a clause reference, a new one names
 * the five newest, newest first.
 */
static void
test_recurrences_are_the_newest_matches(void **state)
{
    (void)state;
    static const char *titles[] = {"Asset inventory stale", "Media disposal unlogged",
                                   "Screen lock disabled",  "Courier receipts missing",
                                   "Key escrow untested",   "Printer firmware old",
                                   "Guest wifi unsegmented"};
    char ids[7][37];
    for (int i = 0; i < 7; i++) {
        json_t *j = create_nc_with_ref(titles[i], "A.5.30");
        snprintf(ids[i], sizeof ids[i], "%s", tl_str(j, "id"));
        json_decref(j);
    }
    json_t *j_new = create_nc_with_ref("Continuity plan never exercised", "A.5.30");
    json_t *j_cand = json_object_get(j_new, "recurrence_candidates");
    assert_int_equal(json_array_size(j_cand), 5);
    for (int i = 0; i < 5; i++) {
        json_t *e = json_array_get(j_cand, (size_t)i);
        assert_string_equal(tl_str(e, "id"), ids[6 - i]);
        assert_string_equal(tl_str(e, "title"), titles[6 - i]);
        assert_string_equal(tl_str(e, "reason"), "clause_ref");
    }
    json_decref(j_new);
}

/*
 * Beyond the window of the 1,000 newest cases, a shared clause ref is still
 * found (through the index) and a similar title no longer is: two earlier
 * cases, then 1,000 unrelated ones inserted by SQL (dated within the last
 * millisecond: after those two, before the next), then cases repeating the
 * first one's clause ref and the second one's title.
 */
static void
test_recurrences_found_before_the_newest_cases(void **state)
{
    (void)state;
    char ref_id[37], title_id[37];
    json_t *j = create_nc_with_ref("Archive tapes left unlabelled", "A.7.10");
    snprintf(ref_id, sizeof ref_id, "%s", tl_str(j, "id"));
    json_decref(j);
    create_nc("Badge readers logging disabled in the east wing", "minor", title_id, NULL);
    free(harness_sql(
        &h, "INSERT INTO cases (id, key, kind, workflow_id, status, title, source, severity, "
            " detected_at, reported_by, version, created_at, updated_at, next_due_at) "
            "SELECT gen_random_uuid(), 'NC-2098-' || lpad(i::text, 4, '0'), kind, workflow_id, "
            " status, 'Unrelated filler ' || md5(i::text), source, severity, detected_at, "
            " reported_by, 1, clock_timestamp() - i * interval '1 microsecond', now(), 'infinity' "
            "FROM cases, generate_series(1, 1000) AS i WHERE id = (SELECT id FROM cases "
            " ORDER BY created_at DESC LIMIT 1)"));

    j = create_nc_with_ref("Media sanitisation records missing", "A.7.10");
    json_t *j_cand = json_object_get(j, "recurrence_candidates");
    assert_int_equal(json_array_size(j_cand), 1);
    assert_string_equal(tl_str(json_array_get(j_cand, 0), "id"), ref_id);
    assert_string_equal(tl_str(json_array_get(j_cand, 0), "reason"), "clause_ref");
    json_decref(j);

    char again[37];
    create_nc("Badge readers logging disabled in the east wing again", "minor", again, NULL);
    j = tl_case(&h, again);
    assert_int_equal(json_array_size(json_object_get(j, "recurrence_candidates")), 0);
    json_decref(j);
    /* the same title among the newest is found */
    create_nc("Badge readers logging disabled in the east wing once more", "minor", again, NULL);
    j = tl_case(&h, again);
    j_cand = json_object_get(j, "recurrence_candidates");
    assert_int_equal(json_array_size(j_cand), 1);
    assert_string_not_equal(tl_str(json_array_get(j_cand, 0), "id"), title_id);
    assert_string_equal(tl_str(json_array_get(j_cand, 0), "reason"), "similar_title");
    json_decref(j);
}

/* ---- 7. actions across cases ------------------------------------------------------------ */

/* GET a path that answers 200 with JSON; returns the whole answer (caller decrefs). */
static json_t *
actions_page(const char *path)
{
    struct http_resp r;
    if (http_json(&h, "GET", path, NULL, NULL, &r) != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.j);
    http_resp_cleanup(&r);
    return j;
}

/* The ids in items, among mine, as a bit set over mine[]. */
static unsigned
mine_in(const json_t *j_items, char *const *mine, size_t n)
{
    unsigned set = 0;
    for (size_t k = 0; k < n; k++)
        if (items_have(j_items, "id", mine[k]))
            set |= 1u << k;
    return set;
}

/*
 * An action of case_id planned for the future, then made due on a past date
 * behind the service's back, as time passing would (a live write refuses a
 * due date before today). Returns its id (caller frees).
 */
static char *
past_due_action(const char *case_id, const char *title, const char *assignee, const char *due)
{
    char body[256], sql[512];
    snprintf(body, sizeof body,
             "{\"type\":\"corrective\",\"title\":\"%s\",\"assignee\":\"%s\","
             "\"due_date\":\"2099-12-01\"}",
             title, assignee);
    char *id = add_record(case_id, "actions", body);
    snprintf(sql, sizeof sql,
             "UPDATE case_records SET data = jsonb_set(data, '{due_date}', to_jsonb('%s'::text)) "
             "WHERE id = '%s' RETURNING due_date::text",
             due, id);
    char *got = harness_sql(&h, sql);
    assert_string_equal(got, due);
    free(got);
    return id;
}

static void
test_actions_across_cases(void **state)
{
    (void)state;
    struct http_resp r;
    char p[37], q[37];
    size_t i;
    json_t *e;

    create_nc("Actions P: patching lag", "minor", p, NULL);
    create_nc("Actions Q: access reviews late", "minor", q, NULL);
    char *a[6];
    /* a0 alice overdue open; a1 bob future open; a2 alice past due but done */
    a[0] = past_due_action(p, "a0", "alice", "2020-01-15");
    a[1] = add_record(p, "actions",
                      "{\"type\":\"preventive\",\"title\":\"a1\","
                      "\"assignee\":\"bob\",\"due_date\":\"2099-06-30\"}");
    a[2] = past_due_action(p, "a2", "alice", "2021-03-01");
    tl_patch_action_ok(&h, p, a[2], "{\"status\":\"done\",\"completion_note\":\"done late\"}");
    /* a3 alice future in progress; a4 bob overdue in progress; a5 alice without due date */
    a[3] = add_record(q, "actions",
                      "{\"type\":\"preventive\",\"title\":\"a3\","
                      "\"assignee\":\"alice\",\"due_date\":\"2099-01-31\"}");
    tl_patch_action_ok(&h, q, a[3], "{\"status\":\"in_progress\"}");
    a[4] = past_due_action(q, "a4", "bob", "2020-06-30");
    tl_patch_action_ok(&h, q, a[4], "{\"status\":\"in_progress\"}");
    a[5] = add_record(q, "actions",
                      "{\"type\":\"corrective\",\"title\":\"a5\","
                      "\"assignee\":\"alice\"}");

    /* alice's, in due-date order, undated last */
    json_t *j = actions_page("/v1/actions?assignee=alice");
    json_t *j_items = json_object_get(j, "items");
    assert_int_equal(json_array_size(j_items), 4);
    const int order[] = {0, 2, 3, 5};
    for (i = 0; i < 4; i++)
        assert_string_equal(tl_str(json_array_get(j_items, i), "id"), a[order[i]]);
    json_t *j_a0 = json_array_get(j_items, 0);
    assert_true(json_is_true(json_object_get(j_a0, "overdue")));
    assert_string_equal(tl_str(j_a0, "case_id"), p);
    assert_non_null(tl_str(j_a0, "case_key"));
    assert_false(json_is_true(json_object_get(json_array_get(j_items, 1), "overdue")));
    assert_true(json_is_null(json_object_get(j, "next_cursor")));
    json_decref(j);
    j = actions_page("/v1/actions?assignee=bob");
    assert_int_equal(mine_in(json_object_get(j, "items"), a, 6), (1u << 1) | (1u << 4));
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    json_decref(j);

    /* by status */
    j = actions_page("/v1/actions?assignee=alice&status=open,in_progress");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 3);
    assert_int_equal(mine_in(json_object_get(j, "items"), a, 6), (1u << 0) | (1u << 3) | (1u << 5));
    json_decref(j);
    j = actions_page("/v1/actions?status=open,in_progress&limit=200");
    assert_int_equal(mine_in(json_object_get(j, "items"), a, 6),
                     (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5));
    json_array_foreach(json_object_get(j, "items"), i, e)
        assert_true(strcmp(tl_str(e, "status"), "open") == 0 ||
                    strcmp(tl_str(e, "status"), "in_progress") == 0);
    json_decref(j);
    j = actions_page("/v1/actions?status=done&limit=200");
    assert_int_equal(mine_in(json_object_get(j, "items"), a, 6), 1u << 2);
    json_array_foreach(json_object_get(j, "items"), i, e)
        assert_string_equal(tl_str(e, "status"), "done");
    json_decref(j);
    /* a limit is digits only */
    assert_int_equal(http_json(&h, "GET", "/v1/actions?limit=%2010", NULL, NULL, &r), 400);
    http_resp_cleanup(&r);

    /* overdue: open or in progress, due before today */
    j = actions_page("/v1/actions?overdue=true&limit=200");
    assert_int_equal(mine_in(json_object_get(j, "items"), a, 6), (1u << 0) | (1u << 4));
    json_array_foreach(json_object_get(j, "items"), i, e)
        assert_true(json_is_true(json_object_get(e, "overdue")));
    json_decref(j);
    j = actions_page("/v1/actions?overdue=true&assignee=bob");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 1);
    assert_string_equal(tl_str(json_array_get(json_object_get(j, "items"), 0), "id"), a[4]);
    json_decref(j);

    /* due dates */
    j = actions_page("/v1/actions?due_before=2022-01-01&assignee=alice");
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    assert_int_equal(mine_in(json_object_get(j, "items"), a, 6), (1u << 0) | (1u << 2));
    json_decref(j);
    j = actions_page("/v1/actions?due_before=2022-01-01&limit=200");
    json_array_foreach(json_object_get(j, "items"), i, e)
        assert_true(tl_str(e, "due_date") && strcmp(tl_str(e, "due_date"), "2022-01-01") < 0);
    json_decref(j);
    j = actions_page("/v1/actions?due_after=2099-01-01&due_before=2099-03-01");
    assert_int_equal(mine_in(json_object_get(j, "items"), a, 6), 1u << 3);
    json_decref(j);

    /* pages of one cover every action exactly once, in order */
    json_t *j_all = actions_page("/v1/actions?limit=200");
    size_t total = json_array_size(json_object_get(j_all, "items"));
    assert_true(total >= 6);
    assert_true(json_is_null(json_object_get(j_all, "next_cursor")));
    json_t *j_seen = json_object();
    char path[600], cursor[500] = "";
    size_t pages = 0;
    char last_due[16] = "";
    do {
        snprintf(path, sizeof path, "/v1/actions?limit=1%s%s", cursor[0] ? "&cursor=" : "", cursor);
        j = actions_page(path);
        j_items = json_object_get(j, "items");
        assert_int_equal(json_array_size(j_items), 1);
        e = json_array_get(j_items, 0);
        assert_null(json_object_get(j_seen, tl_str(e, "id")));
        json_object_set_new(j_seen, tl_str(e, "id"), json_true());
        const char *due = tl_str(e, "due_date") ? tl_str(e, "due_date") : "9999-12-31";
        assert_true(strcmp(last_due, due) <= 0);
        snprintf(last_due, sizeof last_due, "%s", due);
        const char *next = tl_str(j, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        json_decref(j);
        pages++;
    } while (cursor[0] && pages <= total + 1);
    assert_int_equal(pages, total);
    json_array_foreach(json_object_get(j_all, "items"), i, e)
        assert_non_null(json_object_get(j_seen, tl_str(e, "id")));
    json_decref(j_seen);
    json_decref(j_all);
    /* and with a filter */
    cursor[0] = '\0';
    pages = 0;
    unsigned seen = 0;
    do {
        snprintf(path, sizeof path, "/v1/actions?assignee=alice&limit=1%s%s",
                 cursor[0] ? "&cursor=" : "", cursor);
        j = actions_page(path);
        unsigned one = mine_in(json_object_get(j, "items"), a, 6);
        assert_int_equal(seen & one, 0);
        seen |= one;
        const char *next = tl_str(j, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        json_decref(j);
        pages++;
    } while (cursor[0] && pages < 10);
    assert_int_equal(pages, 4);
    assert_int_equal(seen, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 5));

    /* bad parameters */
    const char *bad[] = {"overdue=maybe",
                         "due_before=2020-13-01",
                         "due_after=20200101",
                         "limit=0",
                         "limit=201",
                         "status=closed",
                         "status=",
                         "status=open,,done,x",
                         "cursor=bm90LWEtY3Vyc29y",
                         "colour=red",
                         "assignee="};
    const char *field[] = {"overdue", "due_before", "due_after", "limit",  "limit",   "status",
                           "status",  "status",     "cursor",    "colour", "assignee"};
    for (i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(path, sizeof path, "/v1/actions?%s", bad[i]);
        if (http_json(&h, "GET", path, NULL, NULL, &r) != 400)
            fail_msg("GET %s: %ld %s", path, r.status, r.body);
        tl_assert_problem(&r, 400, "bad-request");
        bool named = false;
        size_t k;
        json_array_foreach(json_object_get(r.j, "errors"), k, e) named =
            named || strcmp(tl_str(e, "field"), field[i]) == 0;
        if (!named)
            fail_msg("GET %s: no error for %s in %s", path, field[i], r.body);
        http_resp_cleanup(&r);
    }

    /* not overdue: done, due later, or without a due date (a5 shows "overdue": false) */
    j = actions_page("/v1/actions?overdue=false&assignee=alice");
    json_array_foreach(json_object_get(j, "items"), i, e)
        assert_false(json_is_true(json_object_get(e, "overdue")));
    unsigned not_overdue = mine_in(json_object_get(j, "items"), a, 6);
    json_decref(j);
    for (i = 0; i < 6; i++)
        free(a[i]);
    assert_int_equal(not_overdue, (1u << 2) | (1u << 3) | (1u << 5));
}

/* ---- 8. a closed case refuses records, but takes comments -------------------------------- */

static void
test_closed_case_refuses_records(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[200];

    create_nc("Duplicate report of the door alarm", "minor", id, NULL);
    struct http_resp t;
    assert_int_equal(tl_move(&h, id, "rejected", "duplicate of an open case", &t), 200);
    assert_string_equal(tl_str(t.j, "status"), "rejected");
    http_resp_cleanup(&t);
    int version = tl_case_version(&h, id);

    const char *refused_records[][2] = {
        {"corrections", CORRECTION},
        {"actions", "{\"type\":\"corrective\",\"title\":\"x\"}"},
        {"reviews", REVIEW},
        {"isms-changes", "{\"decision\":\"none_needed\",\"justification\":\"duplicate\"}"},
        {"approvals", "{\"step\":\"closure\",\"decision\":\"approve\"}"},
    };
    for (size_t i = 0; i < sizeof refused_records / sizeof *refused_records; i++) {
        snprintf(path, sizeof path, "/v1/cases/%s/%s", id, refused_records[i][0]);
        if (post(path, refused_records[i][1], &r) != 409)
            fail_msg("POST %s on a rejected case: %ld %s", path, r.status, r.body);
        tl_assert_problem(&r, 409, "case-closed");
        http_resp_cleanup(&r);
    }
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", id);
    assert_int_equal(http_json(&h, "PUT", path, NULL, ROOT_CAUSE, &r), 409);
    tl_assert_problem(&r, 409, "case-closed");
    http_resp_cleanup(&r);
    assert_int_equal(upload(id, "?filename=late.txt", "text/plain", "late", 4, &r), 409);
    tl_assert_problem(&r, 409, "case-closed");
    http_resp_cleanup(&r);
    /* nor do its own fields, with the way to reopen it named */
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    char etag[24];
    snprintf(etag, sizeof etag, "\"%d\"", version);
    assert_int_equal(http_json(&h, "PATCH", path, etag, "{\"severity\":\"major\"}", &r), 409);
    tl_assert_problem(&r, 409, "case-closed");
    assert_string_equal(tl_str(r.j, "current_status"), "rejected");
    assert_non_null(strstr(tl_str(r.j, "detail"), "defines no reopening of a rejected case"));
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, id), version);

    char *comment = add_record(id, "comments",
                               "{\"body\":\"Closed as a duplicate of the "
                               "alarm case\"}");
    snprintf(path, sizeof path, "/v1/cases/%s/comments", id);
    json_t *j_items = list_items(path);
    assert_int_equal(json_array_size(j_items), 1);
    assert_string_equal(tl_str(json_array_get(j_items, 0), "id"), comment);
    json_decref(j_items);
    assert_int_equal(tl_case_version(&h, id), version + 1);
    free(comment);
}

/* ---- 9. validation errors ---------------------------------------------------------------- */

static void
test_records_validation_errors(void **state)
{
    (void)state;
    struct http_resp r;
    char id[37], path[200];
    create_nc("Validation target", "minor", id, NULL);
    int version = tl_case_version(&h, id);

    /* root cause */
    snprintf(path, sizeof path, "/v1/cases/%s/root-cause", id);
    assert_int_equal(http_json(&h, "PUT", path, NULL,
                               "{\"method\":\"five_whys\",\"analysis\":[],"
                               "\"root_cause\":\"x\",\"similar_exist\":\"no\"}",
                               &r),
                     422);
    tl_assert_field_error(&r, "analysis", "type");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PUT", path, NULL,
                               "{\"method\":\"five_whys\",\"analysis\":[{\"why\":\" \","
                               "\"because\":\"b\"}],\"root_cause\":\"x\","
                               "\"similar_exist\":\"no\"}",
                               &r),
                     422);
    tl_assert_field_error(&r, "analysis[0].why", "required");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PUT", path, NULL,
                               "{\"method\":\"five_whys\",\"analysis\":[{\"why\":\"a\","
                               "\"because\":\"b\"}],\"root_cause\":\"x\","
                               "\"similar_exist\":\"yes\"}",
                               &r),
                     422);
    tl_assert_field_error(&r, "similar_where", "required");
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "PUT", path, NULL,
                               "{\"method\":\"guesswork\",\"analysis\":\"x\",\"root_cause\":\"x\"}",
                               &r),
                     422);
    tl_assert_field_error(&r, "method", "enum");
    tl_assert_field_error(&r, "similar_exist", "required");
    http_resp_cleanup(&r);

    /* ISMS change */
    snprintf(path, sizeof path, "/v1/cases/%s/isms-changes", id);
    assert_int_equal(post(path,
                          "{\"decision\":\"change\",\"type\":\"policy\","
                          "\"description\":\"new rule\"}",
                          &r),
                     422);
    tl_assert_field_error(&r, "reference", "required");
    http_resp_cleanup(&r);
    assert_int_equal(post(path, "{\"decision\":\"none_needed\"}", &r), 422);
    tl_assert_field_error(&r, "justification", "required");
    http_resp_cleanup(&r);

    /* approval */
    snprintf(path, sizeof path, "/v1/cases/%s/approvals", id);
    assert_int_equal(post(path, "{\"step\":\"closure\",\"decision\":\"reject\"}", &r), 422);
    tl_assert_field_error(&r, "comment", "required");
    http_resp_cleanup(&r);
    assert_int_equal(post(path, "{\"step\":\"Closure!\",\"decision\":\"maybe\"}", &r), 422);
    tl_assert_field_error(&r, "step", "format");
    tl_assert_field_error(&r, "decision", "enum");
    http_resp_cleanup(&r);

    /* action */
    snprintf(path, sizeof path, "/v1/cases/%s/actions", id);
    assert_int_equal(
        post(path, "{\"type\":\"corrective\",\"title\":\"x\",\"status\":\"done\"}", &r), 422);
    tl_assert_field_error(&r, "status", "read_only");
    http_resp_cleanup(&r);
    assert_int_equal(post(path,
                          "{\"type\":\"fix\",\"title\":\"\",\"due_date\":\"2026-02-30\","
                          "\"colour\":\"red\"}",
                          &r),
                     422);
    tl_assert_field_error(&r, "type", "enum");
    tl_assert_field_error(&r, "title", "required");
    tl_assert_field_error(&r, "due_date", "format");
    tl_assert_field_error(&r, "colour", "unknown");
    http_resp_cleanup(&r);

    /* other bodies */
    snprintf(path, sizeof path, "/v1/cases/%s/reviews", id);
    assert_int_equal(post(path, "{\"scheduled_for\":\"soon\"}", &r), 422);
    tl_assert_field_error(&r, "scheduled_for", "format");
    tl_assert_field_error(&r, "reviewer", "required");
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/comments", id);
    assert_int_equal(post(path, "[]", &r), 422);
    http_resp_cleanup(&r);
    assert_int_equal(post(path, "{\"body\":", &r), 400);
    http_resp_cleanup(&r);
    const char *text[] = {"Content-Type: text/plain", NULL};
    assert_int_equal(http_do(&h, "POST", path, text, "{}", 2, &r), 415);
    http_resp_cleanup(&r);
    assert_int_equal(tl_case_version(&h, id), version);

    /* If-Match on a create: the case's ETag */
    snprintf(path, sizeof path, "/v1/cases/%s/corrections", id);
    char stale[16], current[16];
    snprintf(stale, sizeof stale, "\"%d\"", version);
    assert_int_equal(http_json(&h, "POST", path, stale, CORRECTION, &r), 201);
    http_resp_cleanup(&r);
    snprintf(current, sizeof current, "\"%d\"", version + 1);
    assert_int_equal(http_json(&h, "POST", path, stale, CORRECTION, &r), 412);
    tl_assert_problem(&r, 412, "precondition-failed");
    assert_string_equal(r.etag, current);
    http_resp_cleanup(&r);
    assert_int_equal(http_json(&h, "POST", path, "W/\"1\"", CORRECTION, &r), 400);
    http_resp_cleanup(&r);
    json_t *j_items = list_items(path);
    assert_int_equal(json_array_size(j_items), 1);
    json_decref(j_items);
    assert_int_equal(tl_case_version(&h, id), version + 1);

    /* records of a case that does not exist, kinds that do not exist */
    assert_int_equal(
        post("/v1/cases/00000000-0000-4000-8000-000000000000/comments", "{\"body\":\"x\"}", &r),
        404);
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/corrections/00000000-0000-4000-8000-000000000000",
             id);
    assert_int_equal(http_json(&h, "GET", path, NULL, NULL, &r), 404);
    http_resp_cleanup(&r);
}

/* ---- 10. event samples for the schema checks --------------------------------------------- */

static void
write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        fail_msg("cannot write %s", path);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void
test_event_samples(void **state)
{
    (void)state;
    const char *dir = getenv("CAPA_EVENT_SAMPLES_DIR");
    const char *prefix = h.app.cfg.event_type_prefix;
    char path[200], after[64] = "";
    if (dir == NULL || *dir == '\0')
        skip();
    char *count = harness_sql(&h, "SELECT count(*) FROM case_events");
    long want = atol(count), got = 0;
    free(count);
    json_t *j_types = json_object();
    /*
     * The feed serves a row once every older transaction of the cluster has
     * ended: another program's open transaction may hold it back a while.
     */
    for (int waited = 0; got < want && waited < 300;) {
        snprintf(path, sizeof path, "/v1/events?limit=1000%s%s", after[0] ? "&after=" : "", after);
        json_t *j = actions_page(path);
        json_t *j_items = json_object_get(j, "items");
        size_t i;
        json_t *e;
        json_array_foreach(j_items, i, e)
        {
            char name[256];
            const char *type = tl_str(e, "type");
            assert_true(strncmp(type, prefix, strlen(prefix)) == 0);
            char *data = json_dumps(json_object_get(e, "data"), JSON_INDENT(2));
            char *whole = json_dumps(e, JSON_INDENT(2));
            snprintf(name, sizeof name, "%s.%s.json", type + strlen(prefix), tl_str(e, "id"));
            write_file(dir, name, data);
            snprintf(name, sizeof name, "cloudevent.%s.json", tl_str(e, "id"));
            write_file(dir, name, whole);
            json_object_set_new(j_types, type + strlen(prefix), json_true());
            free(data);
            free(whole);
            got++;
        }
        if (tl_str(j, "next_after"))
            snprintf(after, sizeof after, "%s", tl_str(j, "next_after"));
        if (json_array_size(j_items) == 0) {
            sleep_ms(100);
            waited++;
        }
        json_decref(j);
    }
    if (got != want)
        fail_msg("the feed served %ld of %ld events", got, want);
    /* every type of the records, and of the cases */
    const char *types[] = {"case.created",        "case.updated",       "case.transitioned",
                           "correction.recorded", "rootcause.recorded", "action.created",
                           "action.updated",      "action.completed",   "action.cancelled",
                           "review.scheduled",    "review.recorded",    "isms_change.recorded",
                           "link.added",          "link.removed",       "evidence.added",
                           "comment.added",       "approval.recorded"};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (json_object_get(j_types, types[i]) == NULL)
            fail_msg("no %s event in the feed", types[i]);
    json_decref(j_types);
}

/* ---- main -------------------------------------------------------------------------------- */

static int
setup(void **state)
{
    (void)state;
    char limit[32];
    snprintf(limit, sizeof limit, "%d", EVIDENCE_MAX);
    setenv("CAPA_EVIDENCE_MAX_BYTES", limit, 1);
    int rc = harness_start(&h, "records");
    harness_apikey(&h, "quality-approver", ACCESS_ROLE_BIT(WF_ROLE_APPROVER), false, approver_key);
    return rc;
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
        cmocka_unit_test(test_major_nonconformity_reported_to_closed),
        cmocka_unit_test(test_not_effective_verdict_reopens_case),
        cmocka_unit_test(test_improvement_workflow),
        cmocka_unit_test(test_evidence_round_trip_and_limits),
        cmocka_unit_test(test_links_controls_and_recurrence),
        cmocka_unit_test(test_recurrences_are_the_newest_matches),
        cmocka_unit_test(test_recurrences_found_before_the_newest_cases),
        cmocka_unit_test(test_actions_across_cases),
        cmocka_unit_test(test_closed_case_refuses_records),
        cmocka_unit_test(test_records_validation_errors),
        /* workflows are global: the custom one is tried last, and the default restored */
        cmocka_unit_test(test_custom_workflow_applies_to_new_cases_only),
        cmocka_unit_test(test_event_samples),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
