/* test_workflow.c - unit tests of service/domain/workflow.c (definitions, guards, engine). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "workflow.h"

/*
 * The two default definitions, character for character as in
 * sql/0002_default_workflows.sql (the text between the $json$ markers).
 */
static const char nc_definition[] =
    "{\n"
    "  \"kind\": \"nonconformity\",\n"
    "  \"initial\": \"reported\",\n"
    "  \"states\": [\n"
    "    {\"name\": \"reported\"},\n"
    "    {\"name\": \"contained\", \"contained\": true},\n"
    "    {\"name\": \"analysed\", \"contained\": true},\n"
    "    {\"name\": \"actions_in_progress\", \"contained\": true},\n"
    "    {\"name\": \"verifying\", \"contained\": true},\n"
    "    {\"name\": \"closed\", \"contained\": true, \"terminal\": true},\n"
    "    {\"name\": \"rejected\", \"terminal\": true}\n"
    "  ],\n"
    "  \"transitions\": [\n"
    "    {\"from\": \"reported\", \"to\": \"contained\",\n"
    "     \"guards\": [\"has_correction\"], \"roles\": [\"contributor\"]},\n"
    "    {\"from\": \"contained\", \"to\": \"analysed\",\n"
    "     \"guards\": [\"root_cause_complete\"], \"roles\": [\"contributor\"]},\n"
    "    {\"from\": \"analysed\", \"to\": \"actions_in_progress\",\n"
    "     \"guards\": [\"corrective_action_planned\"], \"roles\": [\"contributor\"]},\n"
    "    {\"from\": \"actions_in_progress\", \"to\": \"verifying\",\n"
    "     \"guards\": [\"actions_finished\", \"review_scheduled\"], \"roles\": "
    "[\"contributor\"]},\n"
    "    {\"from\": \"verifying\", \"to\": \"closed\",\n"
    "     \"guards\": [\"review_effective\", \"isms_change_decided\", "
    "\"closure_approved_if_major\"],\n"
    "     \"roles\": [\"approver\"]},\n"
    "    {\"from\": \"reported\", \"to\": \"rejected\",\n"
    "     \"guards\": [\"comment_given\"], \"roles\": [\"approver\"]},\n"
    "    {\"from\": \"contained\", \"to\": \"rejected\",\n"
    "     \"guards\": [\"comment_given\"], \"roles\": [\"approver\"]}\n"
    "  ],\n"
    "  \"sla_days\": {\n"
    "    \"major\":       {\"contain\": 2,    \"close\": 30},\n"
    "    \"minor\":       {\"contain\": 7,    \"close\": 90},\n"
    "    \"observation\": {\"contain\": null, \"close\": 180}\n"
    "  }\n"
    "}\n";

static const char ofi_definition[] =
    "{\n"
    "  \"kind\": \"improvement\",\n"
    "  \"initial\": \"proposed\",\n"
    "  \"states\": [\n"
    "    {\"name\": \"proposed\"},\n"
    "    {\"name\": \"approved\"},\n"
    "    {\"name\": \"in_progress\"},\n"
    "    {\"name\": \"implemented\"},\n"
    "    {\"name\": \"closed\", \"terminal\": true},\n"
    "    {\"name\": \"rejected\", \"terminal\": true}\n"
    "  ],\n"
    "  \"transitions\": [\n"
    "    {\"from\": \"proposed\", \"to\": \"approved\",\n"
    "     \"guards\": [\"improvement_approved\"], \"roles\": [\"approver\"]},\n"
    "    {\"from\": \"approved\", \"to\": \"in_progress\",\n"
    "     \"guards\": [\"improvement_action_planned\"], \"roles\": [\"contributor\"]},\n"
    "    {\"from\": \"in_progress\", \"to\": \"implemented\",\n"
    "     \"guards\": [\"actions_finished\"], \"roles\": [\"contributor\"]},\n"
    "    {\"from\": \"implemented\", \"to\": \"closed\",\n"
    "     \"guards\": [], \"roles\": [\"approver\"]},\n"
    "    {\"from\": \"proposed\", \"to\": \"rejected\",\n"
    "     \"guards\": [\"comment_given\"], \"roles\": [\"approver\"]},\n"
    "    {\"from\": \"approved\", \"to\": \"rejected\",\n"
    "     \"guards\": [\"comment_given\"], \"roles\": [\"approver\"]}\n"
    "  ],\n"
    "  \"sla_days\": {\n"
    "    \"none\": {\"contain\": null, \"close\": 180}\n"
    "  }\n"
    "}\n";

/*
 * The nonconformity workflow with a state "awaiting_budget" inserted between
 * analysed and actions_in_progress: what an organisation might configure.
 */
static const char extended_definition[] =
    "{\"kind\": \"nonconformity\", \"initial\": \"reported\","
    " \"states\": ["
    "  {\"name\": \"reported\"},"
    "  {\"name\": \"contained\", \"contained\": true},"
    "  {\"name\": \"analysed\", \"contained\": true},"
    "  {\"name\": \"awaiting_budget\", \"contained\": true},"
    "  {\"name\": \"actions_in_progress\", \"contained\": true},"
    "  {\"name\": \"verifying\", \"contained\": true},"
    "  {\"name\": \"closed\", \"contained\": true, \"terminal\": true},"
    "  {\"name\": \"rejected\", \"terminal\": true}],"
    " \"transitions\": ["
    "  {\"from\": \"reported\", \"to\": \"contained\","
    "   \"guards\": [\"has_correction\"], \"roles\": [\"contributor\"]},"
    "  {\"from\": \"contained\", \"to\": \"analysed\","
    "   \"guards\": [\"root_cause_complete\"], \"roles\": [\"contributor\"]},"
    "  {\"from\": \"analysed\", \"to\": \"awaiting_budget\","
    "   \"guards\": [\"corrective_action_planned\"], \"roles\": [\"contributor\"]},"
    "  {\"from\": \"awaiting_budget\", \"to\": \"actions_in_progress\","
    "   \"guards\": [\"comment_given\"], \"roles\": [\"admin\", \"approver\"]},"
    "  {\"from\": \"actions_in_progress\", \"to\": \"verifying\","
    "   \"guards\": [\"actions_finished\", \"review_scheduled\"], \"roles\": [\"contributor\"]},"
    "  {\"from\": \"verifying\", \"to\": \"closed\","
    "   \"guards\": [\"review_effective\", \"isms_change_decided\", \"closure_approved_if_major\"],"
    "   \"roles\": [\"approver\"]},"
    "  {\"from\": \"reported\", \"to\": \"rejected\","
    "   \"guards\": [\"comment_given\"], \"roles\": [\"approver\"]},"
    "  {\"from\": \"contained\", \"to\": \"rejected\","
    "   \"guards\": [\"comment_given\"], \"roles\": [\"approver\"]}],"
    " \"sla_days\": {"
    "  \"major\": {\"contain\": 2, \"close\": 30},"
    "  \"minor\": {\"contain\": 7, \"close\": 90},"
    "  \"observation\": {\"contain\": null, \"close\": 180}}}";

/* Every fact that any guard reads, set so that every guard is met. */
static const struct wf_facts all_facts = {
    .severity = CASE_SEV_MAJOR,
    .comment_given = true,
    .corrections = 1,
    .root_cause_complete = true,
    .corrective_actions_planned = 1,
    .improvement_actions_planned = 1,
    .actions_open = 0,
    .actions_done = 1,
    .reviews_scheduled = 1,
    .latest_verdict = WF_VERDICT_EFFECTIVE,
    .isms_changes = 1,
    .n_approved = 2,
    .approved = {"closure", "approve"},
};

/* Record the approval of a step in facts. */
static void
approve(struct wf_facts *f, const char *step)
{
    snprintf(f->approved[f->n_approved++], WF_NAME_MAX, "%s", step);
}

static json_t *
load(const char *text)
{
    json_error_t error;
    json_t *j = json_loads(text, 0, &error);
    if (j == NULL)
        fail_msg("bad JSON in test: %s (line %d)", error.text, error.line);
    return j;
}

static void
print_errors(const char *what, const json_t *j_errors)
{
    char *text = json_dumps(j_errors, JSON_COMPACT);
    print_error("%s: %s\n", what, text);
    free(text);
}

/* Parse definition text that must be valid. */
static struct wf_definition *
parse_ok(const char *text)
{
    json_t *j = load(text);
    json_t *j_errors = json_array();
    struct wf_definition *def = NULL;
    int rc = wf_definition_parse(j, &def, j_errors);
    bool ok = rc == ERR_OK && json_array_size(j_errors) == 0 && def != NULL;
    if (!ok)
        print_errors("definition refused", j_errors);
    json_decref(j_errors);
    json_decref(j);
    if (!ok) {
        wf_definition_free(def);
        fail();
    }
    return def;
}

static bool
has_error(const json_t *j_errors, const char *field, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(j_errors, i, e)
    {
        const char *f = json_string_value(json_object_get(e, "field"));
        const char *c = json_string_value(json_object_get(e, "code"));
        if (f && c && strcmp(f, field) == 0 && strcmp(c, code) == 0)
            return true;
    }
    return false;
}

/*
 * Parse j (stolen), which must be refused with an error field/code; when only
 * is true, that must be the only error.
 */
static void
expect_definition_error(json_t *j, const char *field, const char *code, bool only)
{
    json_t *j_errors = json_array();
    static struct wf_definition sentinel;
    struct wf_definition *def = &sentinel; /* must be reset to NULL */
    int rc = wf_definition_parse(j, &def, j_errors);
    bool ok = rc == ERR_INVALID && def == NULL && has_error(j_errors, field, code) &&
              (!only || json_array_size(j_errors) == 1);
    size_t i;
    json_t *e;
    json_array_foreach(j_errors, i, e)
    {
        ok = ok && json_object_size(e) == 3 && json_string_length(json_object_get(e, "detail")) > 0;
    }
    if (!ok) {
        char what[160];
        snprintf(what, sizeof what, "rc %d; expected %serror %s/%s, got", rc,
                 only ? "only the " : "", field, code);
        print_errors(what, j_errors);
        if (def != &sentinel)
            wf_definition_free(def);
    }
    json_decref(j_errors);
    json_decref(j);
    if (!ok)
        fail();
}

static json_t *
states_of(json_t *j)
{
    return json_object_get(j, "states");
}

static json_t *
transition(json_t *j, size_t i)
{
    return json_array_get(json_object_get(j, "transitions"), i);
}

static json_t *
sla_of(json_t *j, const char *sev)
{
    return json_object_get(json_object_get(j, "sla_days"), sev);
}

/* Checks of one move. `guards` lists the names of the unmet guards, in definition order. */
static void
expect_refused_n(const struct wf_definition *def, const char *from, const char *to,
                 const struct wf_facts *facts, const char *const *guards, int n)
{
    struct wf_check out;
    assert_int_equal(wf_check(def, from, to, facts, &out), ERR_TRANSITION);
    assert_non_null(out.transition);
    assert_int_equal(out.transition->from, wf_state_find(def, from));
    assert_int_equal(out.transition->to, wf_state_find(def, to));
    if (out.n_unmet != n)
        fail_msg("%s -> %s: %d unmet guards, want %d", from, to, out.n_unmet, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(wf_guard_name(out.unmet[i]), guards[i]);
}

#define EXPECT_REFUSED(def, from, to, facts, ...)                                                  \
    expect_refused_n(def, from, to, facts, (const char *const[]){__VA_ARGS__},                     \
                     (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

static void
expect_allowed(const struct wf_definition *def, const char *from, const char *to,
               const struct wf_facts *facts)
{
    struct wf_check out;
    int rc = wf_check(def, from, to, facts, &out);
    if (rc != ERR_OK)
        fail_msg("%s -> %s refused (%d, %d unmet)", from, to, rc, out.n_unmet);
    assert_non_null(out.transition);
    assert_int_equal(out.transition->from, wf_state_find(def, from));
    assert_int_equal(out.transition->to, wf_state_find(def, to));
    assert_int_equal(out.n_unmet, 0);
}

/* No transition from -> to exists: refused whatever the facts. */
static void
expect_undefined(const struct wf_definition *def, const char *from, const char *to)
{
    struct wf_check out;
    assert_int_equal(wf_check(def, from, to, &all_facts, &out), ERR_TRANSITION);
    assert_null(out.transition);
    assert_int_equal(out.n_unmet, 0);
}

static unsigned
role_bit(enum wf_role r)
{
    return 1u << r;
}

/* --- guard and role library ------------------------------------------------------------- */

static void
test_wf_guard_name_every_guard_named(void **state)
{
    (void)state;
    static const char *const names[WF_GUARD__COUNT] = {"comment_given",
                                                       "has_correction",
                                                       "root_cause_complete",
                                                       "corrective_action_planned",
                                                       "actions_finished",
                                                       "review_scheduled",
                                                       "review_effective",
                                                       "isms_change_decided",
                                                       "closure_approved_if_major",
                                                       "improvement_approved",
                                                       "improvement_action_planned",
                                                       "approved",
                                                       "benefit_confirmed"};
    for (int g = 0; g < WF_GUARD__COUNT; g++) {
        assert_string_equal(wf_guard_name((enum wf_guard)g), names[g]);
        assert_true(strlen(wf_guard_detail((enum wf_guard)g)) > 0);
        for (int h = 0; h < g; h++)
            assert_string_not_equal(wf_guard_detail((enum wf_guard)g),
                                    wf_guard_detail((enum wf_guard)h));
    }
}

static void
test_wf_role_from_text_round_trip(void **state)
{
    (void)state;
    static const char *const names[WF_ROLE__COUNT] = {"viewer", "reporter", "contributor",
                                                      "approver", "admin"};
    for (int r = 0; r < WF_ROLE__COUNT; r++) {
        assert_string_equal(wf_role_name((enum wf_role)r), names[r]);
        assert_int_equal(wf_role_from_text(names[r]), r);
    }
    assert_int_equal(wf_role_from_text("owner"), -1);
    assert_int_equal(wf_role_from_text("Admin"), -1);
    assert_int_equal(wf_role_from_text(""), -1);
}

/* --- the default nonconformity workflow ------------------------------------------------- */

static void
test_wf_definition_parse_default_nonconformity(void **state)
{
    (void)state;
    static const char *const names[] = {"reported",  "contained", "analysed", "actions_in_progress",
                                        "verifying", "closed",    "rejected"};
    static const bool terminal[] = {false, false, false, false, false, true, true};
    static const bool contained[] = {false, true, true, true, true, true, false};
    struct wf_definition *def = parse_ok(nc_definition);

    assert_int_equal(def->kind, CASE_KIND_NONCONFORMITY);
    assert_int_equal(def->n_states, 7);
    for (int i = 0; i < 7; i++) {
        assert_string_equal(def->states[i].name, names[i]);
        assert_int_equal(wf_state_find(def, names[i]), i);
        assert_int_equal(def->states[i].terminal, terminal[i]);
        assert_int_equal(def->states[i].contained, contained[i]);
    }
    assert_int_equal(def->initial, 0);
    assert_int_equal(def->n_transitions, 7);
    assert_int_equal(def->transitions[0].roles, role_bit(WF_ROLE_CONTRIBUTOR));
    assert_int_equal(def->transitions[4].roles, role_bit(WF_ROLE_APPROVER));
    assert_int_equal(def->transitions[4].n_guards, 3);
    assert_int_equal(wf_state_find(def, "nowhere"), -1);
    assert_int_equal(wf_state_find(def, NULL), -1);
    wf_definition_free(def);
}

static void
test_wf_check_nc_reported_to_contained_needs_correction(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {0};
    EXPECT_REFUSED(def, "reported", "contained", &facts, "has_correction");
    facts.corrections = 1;
    expect_allowed(def, "reported", "contained", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_nc_contained_to_analysed_needs_root_cause(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {0};
    EXPECT_REFUSED(def, "contained", "analysed", &facts, "root_cause_complete");
    facts.root_cause_complete = true;
    expect_allowed(def, "contained", "analysed", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_nc_analysed_to_actions_needs_planned_action(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {0};
    EXPECT_REFUSED(def, "analysed", "actions_in_progress", &facts, "corrective_action_planned");
    facts.improvement_actions_planned = 3; /* the wrong kind of action does not count */
    EXPECT_REFUSED(def, "analysed", "actions_in_progress", &facts, "corrective_action_planned");
    facts.corrective_actions_planned = 1;
    expect_allowed(def, "analysed", "actions_in_progress", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_nc_actions_to_verifying_needs_finished_and_review(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {0};
    EXPECT_REFUSED(def, "actions_in_progress", "verifying", &facts, "actions_finished",
                   "review_scheduled");
    facts.reviews_scheduled = 1;
    EXPECT_REFUSED(def, "actions_in_progress", "verifying", &facts, "actions_finished");
    facts.reviews_scheduled = 0;
    facts.actions_done = 2;
    EXPECT_REFUSED(def, "actions_in_progress", "verifying", &facts, "review_scheduled");
    facts.reviews_scheduled = 1;
    expect_allowed(def, "actions_in_progress", "verifying", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_nc_verifying_to_closed_major(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {.severity = CASE_SEV_MAJOR};
    EXPECT_REFUSED(def, "verifying", "closed", &facts, "review_effective", "isms_change_decided",
                   "closure_approved_if_major");
    facts.latest_verdict = WF_VERDICT_NOT_EFFECTIVE;
    facts.isms_changes = 1;
    EXPECT_REFUSED(def, "verifying", "closed", &facts, "review_effective",
                   "closure_approved_if_major");
    facts.latest_verdict = WF_VERDICT_EFFECTIVE;
    EXPECT_REFUSED(def, "verifying", "closed", &facts, "closure_approved_if_major");
    approve(&facts, "closure");
    expect_allowed(def, "verifying", "closed", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_nc_verifying_to_closed_minor_needs_no_approval(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {.severity = CASE_SEV_MINOR};
    EXPECT_REFUSED(def, "verifying", "closed", &facts, "review_effective", "isms_change_decided");
    facts.latest_verdict = WF_VERDICT_EFFECTIVE;
    facts.isms_changes = 1;
    expect_allowed(def, "verifying", "closed", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_nc_rejections_need_comment(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {0};
    EXPECT_REFUSED(def, "reported", "rejected", &facts, "comment_given");
    EXPECT_REFUSED(def, "contained", "rejected", &facts, "comment_given");
    facts.comment_given = true;
    expect_allowed(def, "reported", "rejected", &facts);
    expect_allowed(def, "contained", "rejected", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_closure_approved_if_major_by_severity(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {.latest_verdict = WF_VERDICT_EFFECTIVE, .isms_changes = 1};

    facts.severity = CASE_SEV_MINOR; /* met without approval */
    expect_allowed(def, "verifying", "closed", &facts);
    facts.severity = CASE_SEV_OBSERVATION;
    expect_allowed(def, "verifying", "closed", &facts);
    facts.severity = CASE_SEV_MAJOR; /* unmet without approval */
    EXPECT_REFUSED(def, "verifying", "closed", &facts, "closure_approved_if_major");
    approve(&facts, "closure");
    expect_allowed(def, "verifying", "closed", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_actions_finished_needs_done_and_none_open(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {.reviews_scheduled = 1};

    facts.actions_done = 0; /* nothing done */
    facts.actions_open = 0;
    EXPECT_REFUSED(def, "actions_in_progress", "verifying", &facts, "actions_finished");
    facts.actions_done = 1; /* one still open */
    facts.actions_open = 1;
    EXPECT_REFUSED(def, "actions_in_progress", "verifying", &facts, "actions_finished");
    facts.actions_done = 0;
    facts.actions_open = 2;
    EXPECT_REFUSED(def, "actions_in_progress", "verifying", &facts, "actions_finished");
    facts.actions_done = 1;
    facts.actions_open = 0;
    expect_allowed(def, "actions_in_progress", "verifying", &facts);
    facts.actions_done = 5;
    expect_allowed(def, "actions_in_progress", "verifying", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_nc_full_walk_to_closed(void **state)
{
    (void)state;
    static const char *const path[] = {"reported",  "contained", "analysed", "actions_in_progress",
                                       "verifying", "closed"};
    struct wf_definition *def = parse_ok(nc_definition);
    for (size_t i = 0; i + 1 < sizeof path / sizeof path[0]; i++)
        expect_allowed(def, path[i], path[i + 1], &all_facts);
    wf_definition_free(def);
}

static void
test_wf_check_nc_undefined_transition_refused(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    expect_undefined(def, "reported", "closed"); /* skipping ahead */
    expect_undefined(def, "reported", "analysed");
    expect_undefined(def, "analysed", "contained"); /* going back */
    expect_undefined(def, "verifying", "actions_in_progress");
    expect_undefined(def, "analysed", "rejected"); /* rejection only early */
    expect_undefined(def, "verifying", "rejected");
    expect_undefined(def, "reported", "reported"); /* staying put */
    expect_undefined(def, "reported", "nowhere");  /* no such target */
    expect_undefined(def, "reported", NULL);
    wf_definition_free(def);
}

static void
test_wf_check_nc_terminal_state_allows_nothing(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    for (int s = 0; s < def->n_states; s++) {
        expect_undefined(def, "closed", def->states[s].name);
        expect_undefined(def, "rejected", def->states[s].name);
    }
    wf_definition_free(def);
}

static void
test_wf_check_unknown_from_state_not_found(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_check out;
    assert_int_equal(wf_check(def, "nowhere", "contained", &all_facts, &out), ERR_NOT_FOUND);
    assert_null(out.transition);
    assert_int_equal(wf_check(def, "", "contained", &all_facts, &out), ERR_NOT_FOUND);
    assert_int_equal(wf_check(def, NULL, "contained", &all_facts, &out), ERR_NOT_FOUND);
    assert_int_equal(wf_check(def, "Reported", "contained", &all_facts, &out), ERR_NOT_FOUND);
    /* a state of the other workflow */
    assert_int_equal(wf_check(def, "proposed", "approved", &all_facts, &out), ERR_NOT_FOUND);
    wf_definition_free(def);
}

/* --- the default improvement workflow --------------------------------------------------- */

static void
test_wf_definition_parse_default_improvement(void **state)
{
    (void)state;
    static const char *const names[] = {"proposed",    "approved", "in_progress",
                                        "implemented", "closed",   "rejected"};
    struct wf_definition *def = parse_ok(ofi_definition);
    assert_int_equal(def->kind, CASE_KIND_IMPROVEMENT);
    assert_int_equal(def->n_states, 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(def->states[i].name, names[i]);
        assert_int_equal(def->states[i].terminal, i >= 4);
        assert_false(def->states[i].contained);
    }
    assert_int_equal(def->initial, 0);
    assert_int_equal(def->n_transitions, 6);
    assert_int_equal(def->transitions[3].n_guards, 0); /* implemented -> closed */
    wf_definition_free(def);
}

static void
test_wf_check_ofi_each_transition(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(ofi_definition);
    struct wf_facts facts = {.severity = CASE_SEV_NONE};

    EXPECT_REFUSED(def, "proposed", "approved", &facts, "improvement_approved");
    EXPECT_REFUSED(def, "approved", "in_progress", &facts, "improvement_action_planned");
    EXPECT_REFUSED(def, "in_progress", "implemented", &facts, "actions_finished");
    expect_allowed(def, "implemented", "closed", &facts); /* no guards */
    EXPECT_REFUSED(def, "proposed", "rejected", &facts, "comment_given");
    EXPECT_REFUSED(def, "approved", "rejected", &facts, "comment_given");

    approve(&facts, "approve");
    expect_allowed(def, "proposed", "approved", &facts);
    facts.corrective_actions_planned = 1; /* the wrong kind of action does not count */
    EXPECT_REFUSED(def, "approved", "in_progress", &facts, "improvement_action_planned");
    facts.improvement_actions_planned = 1;
    expect_allowed(def, "approved", "in_progress", &facts);
    facts.actions_done = 1;
    facts.actions_open = 1;
    EXPECT_REFUSED(def, "in_progress", "implemented", &facts, "actions_finished");
    facts.actions_open = 0;
    expect_allowed(def, "in_progress", "implemented", &facts);
    facts.comment_given = true;
    expect_allowed(def, "proposed", "rejected", &facts);
    expect_allowed(def, "approved", "rejected", &facts);
    wf_definition_free(def);
}

static void
test_wf_check_ofi_undefined_and_terminal(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(ofi_definition);
    struct wf_check out;
    expect_undefined(def, "proposed", "in_progress");
    expect_undefined(def, "proposed", "closed");
    expect_undefined(def, "in_progress", "rejected");
    expect_undefined(def, "implemented", "rejected");
    expect_undefined(def, "approved", "proposed");
    for (int s = 0; s < def->n_states; s++) {
        expect_undefined(def, "closed", def->states[s].name);
        expect_undefined(def, "rejected", def->states[s].name);
    }
    assert_int_equal(wf_check(def, "reported", "contained", &all_facts, &out), ERR_NOT_FOUND);
    assert_int_equal(wf_check(def, "nowhere", "closed", &all_facts, &out), ERR_NOT_FOUND);
    wf_definition_free(def);
}

/* --- wf_options_json -------------------------------------------------------------------- */

static json_t *
option(const char *to, bool allowed, const char *role, const char *const *guards, int n)
{
    json_t *j_unmet = json_array();
    for (int i = 0; i < n; i++) {
        int g = -1;
        for (int k = 0; k < WF_GUARD__COUNT; k++)
            if (strcmp(wf_guard_name((enum wf_guard)k), guards[i]) == 0)
                g = k;
        assert_true(g >= 0);
        json_array_append_new(j_unmet, json_pack("{s:s, s:s}", "guard", guards[i], "detail",
                                                 wf_guard_detail((enum wf_guard)g)));
    }
    return json_pack("{s:s, s:b, s:[s], s:o}", "to", to, "allowed", allowed, "roles", role,
                     "unmet_guards", j_unmet);
}

static void
expect_json(json_t *got, json_t *want)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        print_error("got  %s\nwant %s\n", g, w);
        free(g);
        free(w);
        fail();
    }
}

static void
test_wf_options_json_reported_with_no_facts(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {0};
    json_t *got = wf_options_json(def, "reported", &facts);
    json_t *want = json_array();
    json_array_append_new(want, option("contained", false, "contributor",
                                       (const char *const[]){"has_correction"}, 1));
    json_array_append_new(
        want, option("rejected", false, "approver", (const char *const[]){"comment_given"}, 1));
    expect_json(got, want);
    /* each option has exactly the four members */
    assert_int_equal(json_object_size(json_array_get(got, 0)), 4);
    json_decref(want);
    json_decref(got);
    wf_definition_free(def);
}

static void
test_wf_options_json_mixed_allowed(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {.corrections = 1};
    json_t *got = wf_options_json(def, "reported", &facts);
    json_t *want = json_array();
    json_array_append_new(want, option("contained", true, "contributor", NULL, 0));
    json_array_append_new(
        want, option("rejected", false, "approver", (const char *const[]){"comment_given"}, 1));
    expect_json(got, want);
    json_decref(want);
    json_decref(got);
    wf_definition_free(def);
}

static void
test_wf_options_json_verifying_lists_all_unmet(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    struct wf_facts facts = {.severity = CASE_SEV_MAJOR};
    json_t *got = wf_options_json(def, "verifying", &facts);
    json_t *want = json_array();
    json_t *j_closed = option("closed", false, "approver",
                              (const char *const[]){"review_effective", "isms_change_decided",
                                                    "closure_approved_if_major"},
                              3);
    /* the move that needs an approval names its step */
    json_object_set_new(j_closed, "approval_step", json_string("closure"));
    json_array_append_new(want, j_closed);
    expect_json(got, want);
    json_decref(want);
    json_decref(got);
    wf_definition_free(def);
}

static void
test_wf_options_json_unguarded_transition_allowed(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(ofi_definition);
    struct wf_facts facts = {.severity = CASE_SEV_NONE};
    json_t *got = wf_options_json(def, "implemented", &facts);
    json_t *want = json_array();
    json_array_append_new(want, option("closed", true, "approver", NULL, 0));
    expect_json(got, want);
    json_decref(want);
    json_decref(got);
    wf_definition_free(def);
}

static void
test_wf_options_json_terminal_or_unknown_state_empty(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    static const char *const froms[] = {"closed", "rejected", "nowhere"};
    for (size_t i = 0; i < 3; i++) {
        json_t *got = wf_options_json(def, froms[i], &all_facts);
        assert_true(json_is_array(got));
        assert_int_equal(json_array_size(got), 0);
        json_decref(got);
    }
    json_t *got = wf_options_json(def, NULL, &all_facts);
    assert_true(json_is_array(got));
    assert_int_equal(json_array_size(got), 0);
    json_decref(got);
    wf_definition_free(def);
}

static void
test_wf_options_json_roles_in_role_order(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(extended_definition);
    struct wf_facts facts = {.comment_given = true};
    json_t *got = wf_options_json(def, "awaiting_budget", &facts);
    json_t *want = load("[{\"to\": \"actions_in_progress\", \"allowed\": true,"
                        "  \"roles\": [\"approver\", \"admin\"], \"unmet_guards\": []}]");
    expect_json(got, want);
    json_decref(want);
    json_decref(got);
    wf_definition_free(def);
}

/* --- wf_sla_days ------------------------------------------------------------------------ */

static void
expect_sla(const struct wf_definition *def, enum case_severity sev, int contain, int close)
{
    int c1 = 99, c2 = 99;
    wf_sla_days(def, sev, &c1, &c2);
    assert_int_equal(c1, contain);
    assert_int_equal(c2, close);
}

static void
test_wf_sla_days_nonconformity(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(nc_definition);
    expect_sla(def, CASE_SEV_MAJOR, 2, 30);
    expect_sla(def, CASE_SEV_MINOR, 7, 90);
    expect_sla(def, CASE_SEV_OBSERVATION, -1, 180);
    expect_sla(def, CASE_SEV_NONE, -1, -1); /* not a severity of this kind */
    wf_definition_free(def);
}

static void
test_wf_sla_days_improvement(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(ofi_definition);
    expect_sla(def, CASE_SEV_NONE, -1, 180);
    expect_sla(def, CASE_SEV_MAJOR, -1, -1);
    wf_definition_free(def);
}

static void
test_wf_sla_days_range_ends_accepted(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_set_new(sla_of(j, "major"), "contain", json_integer(0));
    json_object_set_new(sla_of(j, "major"), "close", json_integer(3650));
    json_object_set_new(sla_of(j, "minor"), "contain", json_null());
    json_object_set_new(sla_of(j, "minor"), "close", json_null());
    json_t *j_errors = json_array();
    struct wf_definition *def = NULL;
    assert_int_equal(wf_definition_parse(j, &def, j_errors), ERR_OK);
    expect_sla(def, CASE_SEV_MAJOR, 0, 3650);
    expect_sla(def, CASE_SEV_MINOR, -1, -1);
    wf_definition_free(def);
    json_decref(j_errors);
    json_decref(j);
}

/* --- wf_definition_parse: valid variants ------------------------------------------------ */

static void
test_wf_definition_parse_extended_awaiting_budget_valid(void **state)
{
    (void)state;
    struct wf_definition *def = parse_ok(extended_definition);
    struct wf_facts facts = {0};
    assert_int_equal(def->n_states, 8);
    assert_int_equal(wf_state_find(def, "awaiting_budget"), 3);
    EXPECT_REFUSED(def, "analysed", "awaiting_budget", &facts, "corrective_action_planned");
    EXPECT_REFUSED(def, "awaiting_budget", "actions_in_progress", &facts, "comment_given");
    expect_allowed(def, "analysed", "awaiting_budget", &all_facts);
    expect_allowed(def, "awaiting_budget", "actions_in_progress", &all_facts);
    expect_undefined(def, "analysed", "actions_in_progress"); /* the old shortcut is gone */
    static const char *const path[] = {"reported",        "contained",           "analysed",
                                       "awaiting_budget", "actions_in_progress", "verifying",
                                       "closed"};
    for (size_t i = 0; i + 1 < sizeof path / sizeof path[0]; i++)
        expect_allowed(def, path[i], path[i + 1], &all_facts);
    wf_definition_free(def);
}

static void
test_wf_definition_parse_guards_member_optional(void **state)
{
    (void)state;
    json_t *j = load(ofi_definition);
    json_object_del(transition(j, 3), "guards"); /* implemented -> closed */
    json_t *j_errors = json_array();
    struct wf_definition *def = NULL;
    assert_int_equal(wf_definition_parse(j, &def, j_errors), ERR_OK);
    struct wf_facts facts = {0};
    expect_allowed(def, "implemented", "closed", &facts);
    wf_definition_free(def);
    json_decref(j_errors);
    json_decref(j);
}

/* --- wf_definition_parse: each problem -------------------------------------------------- */

static void
test_wf_definition_parse_not_object_refused(void **state)
{
    (void)state;
    expect_definition_error(load("[]"), "", "type", true);
}

static void
test_wf_definition_parse_unknown_guard_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_array_set_new(json_object_get(transition(j, 4), "guards"), 1,
                       json_string("magic_happened"));
    expect_definition_error(j, "transitions[4].guards[1]", "unknown_guard", true);

    j = load(nc_definition);
    json_array_set_new(json_object_get(transition(j, 0), "guards"), 0, json_integer(1));
    expect_definition_error(j, "transitions[0].guards[0]", "unknown_guard", true);

    j = load(nc_definition);
    json_object_set_new(transition(j, 0), "guards", json_string("has_correction"));
    expect_definition_error(j, "transitions[0].guards", "type", true);
}

static void
test_wf_definition_parse_unknown_role_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_array_append_new(json_object_get(transition(j, 2), "roles"), json_string("king"));
    expect_definition_error(j, "transitions[2].roles[1]", "unknown_role", true);

    j = load(nc_definition);
    json_object_set_new(transition(j, 2), "roles", json_array());
    expect_definition_error(j, "transitions[2].roles", "required", true);

    j = load(nc_definition);
    json_object_del(transition(j, 2), "roles");
    expect_definition_error(j, "transitions[2].roles", "required", true);
}

static void
test_wf_definition_parse_unreachable_state_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_array_append_new(states_of(j), load("{\"name\": \"orphan\", \"terminal\": true}"));
    expect_definition_error(j, "states[7]", "unreachable", true);

    /* reachable only from a state that is itself unreachable */
    j = load(nc_definition);
    json_array_append_new(states_of(j), load("{\"name\": \"island\"}"));
    json_array_append_new(
        json_object_get(j, "transitions"),
        load("{\"from\": \"island\", \"to\": \"closed\", \"roles\": [\"admin\"]}"));
    expect_definition_error(j, "states[7]", "unreachable", true);
}

static void
test_wf_definition_parse_terminal_state_with_exit_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_array_append_new(json_object_get(j, "transitions"),
                          load("{\"from\": \"closed\", \"to\": \"reported\", \"guards\": [],"
                               " \"roles\": [\"admin\"]}"));
    expect_definition_error(j, "transitions[7]", "terminal_exit", true);
}

static void
test_wf_definition_parse_initial_missing_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_del(j, "initial");
    expect_definition_error(j, "initial", "unknown_state", true);

    j = load(nc_definition);
    json_object_set_new(j, "initial", json_integer(0));
    expect_definition_error(j, "initial", "unknown_state", true);
}

static void
test_wf_definition_parse_initial_unknown_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_set_new(j, "initial", json_string("opened"));
    expect_definition_error(j, "initial", "unknown_state", true);
}

static void
test_wf_definition_parse_initial_terminal_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_set_new(j, "initial", json_string("closed"));
    expect_definition_error(j, "initial", "terminal", true);
}

static void
test_wf_definition_parse_duplicate_state_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_array_append_new(states_of(j), load("{\"name\": \"contained\"}"));
    expect_definition_error(j, "states[7]", "duplicate", true);
}

static void
test_wf_definition_parse_non_terminal_dead_end_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_array_append_new(states_of(j), load("{\"name\": \"limbo\"}"));
    json_array_append_new(json_object_get(j, "transitions"),
                          load("{\"from\": \"reported\", \"to\": \"limbo\", \"guards\": [],"
                               " \"roles\": [\"contributor\"]}"));
    expect_definition_error(j, "states[7]", "dead_end", true);
}

static void
test_wf_definition_parse_missing_sla_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_del(json_object_get(j, "sla_days"), "minor");
    expect_definition_error(j, "sla_days.minor", "required", true);

    j = load(ofi_definition);
    json_object_del(json_object_get(j, "sla_days"), "none");
    expect_definition_error(j, "sla_days.none", "required", true);

    j = load(nc_definition);
    json_object_del(j, "sla_days");
    expect_definition_error(j, "sla_days", "required", true);
}

static void
test_wf_definition_parse_bad_sla_value_refused(void **state)
{
    (void)state;
    json_t *values[] = {json_integer(-1), json_integer(3651), json_string("2"), json_real(1.5),
                        json_true()};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        json_t *j = load(nc_definition);
        json_object_set_new(sla_of(j, "major"), "contain", values[i]);
        expect_definition_error(j, "sla_days.major.contain", "range", true);
    }
    json_t *j = load(nc_definition);
    json_object_set_new(sla_of(j, "observation"), "close", json_integer(-30));
    expect_definition_error(j, "sla_days.observation.close", "range", true);
}

/* A malformed entry is reported as such (and the severity then also lacks an SLA). */
static void
test_wf_definition_parse_bad_sla_shape_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_del(sla_of(j, "major"), "close");
    expect_definition_error(j, "sla_days.major", "format", false);

    j = load(nc_definition);
    json_object_set_new(sla_of(j, "major"), "warn", json_integer(1));
    expect_definition_error(j, "sla_days.major", "format", false);

    j = load(nc_definition);
    json_object_set_new(json_object_get(j, "sla_days"), "major", json_integer(30));
    expect_definition_error(j, "sla_days.major", "format", false);
}

static void
test_wf_definition_parse_sla_severity_of_other_kind_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_set_new(json_object_get(j, "sla_days"), "none",
                        load("{\"contain\": null, \"close\": 180}"));
    expect_definition_error(j, "sla_days.none", "unknown_severity", true);

    j = load(ofi_definition);
    json_object_set_new(json_object_get(j, "sla_days"), "major",
                        load("{\"contain\": 2, \"close\": 30}"));
    expect_definition_error(j, "sla_days.major", "unknown_severity", true);

    j = load(nc_definition);
    json_object_set_new(json_object_get(j, "sla_days"), "critical",
                        load("{\"contain\": 1, \"close\": 10}"));
    expect_definition_error(j, "sla_days.critical", "unknown_severity", true);
}

static void
test_wf_definition_parse_unknown_member_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_set_new(j, "owner", json_string("quality"));
    expect_definition_error(j, "owner", "unknown", true);

    j = load(nc_definition);
    json_object_set_new(json_array_get(states_of(j), 1), "colour", json_string("red"));
    expect_definition_error(j, "states[1]", "unknown", true);

    j = load(nc_definition);
    json_object_set_new(transition(j, 0), "comment", json_string("why"));
    expect_definition_error(j, "transitions[0]", "unknown", true);
}

/*
 * A member whose name the error's detail quotes, so long that the detail is
 * cut inside a UTF-8 character: still refused (a lost error would store it).
 */
static void
test_wf_definition_parse_unknown_member_cut_name_refused(void **state)
{
    (void)state;
    char name[512], field[96];
    for (int i = 0; i < 200; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    name[400] = '\0';
    json_t *j = load(nc_definition);
    json_object_set_new(j, name, json_integer(1));
    expect_definition_error(j, name, "unknown", true);

    j = load(nc_definition);
    json_object_set_new(json_array_get(states_of(j), 0), name, json_integer(1));
    expect_definition_error(j, "states[0]", "unknown", true);

    /* the field quotes the first 60 bytes: an odd start cuts a character */
    name[0] = 'a';
    memmove(name + 1, name + 2, strlen(name + 2) + 1);
    j = load(nc_definition);
    json_object_set_new(json_object_get(j, "sla_days"), name,
                        load("{\"contain\": 1, \"close\": 10}"));
    snprintf(field, sizeof field, "sla_days.%.59s?", name);
    expect_definition_error(j, field, "unknown_severity", true);
}

static void
test_wf_definition_parse_unknown_kind_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_set_new(j, "kind", json_string("incident"));
    expect_definition_error(j, "kind", "enum", true);

    j = load(nc_definition);
    json_object_del(j, "kind");
    expect_definition_error(j, "kind", "enum", true);
}

static void
test_wf_definition_parse_transition_unknown_state_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_set_new(transition(j, 1), "to", json_string("analyzed"));
    expect_definition_error(j, "transitions[1].to", "unknown_state", true);

    j = load(nc_definition);
    json_object_del(transition(j, 1), "from");
    expect_definition_error(j, "transitions[1].from", "unknown_state", true);
}

/* A string of n bytes: n - 2 of c, then "é" (two bytes). */
static json_t *
long_text_ending_in_e_acute(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n - 2);
    memcpy(s + n - 2, "\xc3\xa9", 3);
    json_t *j = json_string(s);
    free(s);
    assert_non_null(j);
    return j;
}

/*
 * Found reading the code behind the fuzz targets' error-list check, and
 * caught by fuzz_workflow (UBSan): a state name long enough that the detail
 * "<name> is not a state of this workflow" was cut inside a character made
 * json_pack refuse the error. Nothing was recorded, so the transition was
 * kept with to = -1, and check_graph indexed seen[-1] and queue with it.
 */
static void
test_wf_definition_parse_long_unknown_state_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    /* the detail buffer is 256 bytes: the é spans bytes 255 and 256 */
    json_object_set_new(transition(j, 1), "to", long_text_ending_in_e_acute('x', 256));
    expect_definition_error(j, "transitions[1].to", "unknown_state", true);
}

/* The same loss through the field "sla_days.%.60s": an SLA for no severity was ignored. */
static void
test_wf_definition_parse_long_unknown_sla_key_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_t *name = long_text_ending_in_e_acute('x', 61);
    json_object_set(json_object_get(j, "sla_days"), json_string_value(name), sla_of(j, "major"));
    char field[96];
    memcpy(field, "sla_days.", 9);
    memset(field + 9, 'x', 59);
    memcpy(field + 9 + 59, "?", 2); /* the cut character's first byte */
    expect_definition_error(j, field, "unknown_severity", true);
    json_decref(name);
}

static void
test_wf_definition_parse_loop_and_duplicate_transition_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_array_append_new(json_object_get(j, "transitions"),
                          load("{\"from\": \"analysed\", \"to\": \"analysed\","
                               " \"roles\": [\"contributor\"]}"));
    expect_definition_error(j, "transitions[7]", "loop", true);

    j = load(nc_definition);
    json_array_append_new(json_object_get(j, "transitions"),
                          load("{\"from\": \"reported\", \"to\": \"contained\","
                               " \"guards\": [\"comment_given\"], \"roles\": [\"admin\"]}"));
    expect_definition_error(j, "transitions[7]", "duplicate", true);
}

static void
test_wf_definition_parse_bad_state_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"name\": \"Closed_Twice\"}", "{\"name\": \"9lives\"}", "{\"name\": \"\"}",
        "{\"name\": \"has space\"}",    "{\"terminal\": true}",   "\"closed_twice\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = load(nc_definition);
        json_array_append_new(states_of(j), json_loads(bad[i], JSON_DECODE_ANY, NULL));
        expect_definition_error(j, "states[7]", "format", true);
    }
    json_t *j = load(nc_definition);
    json_object_set_new(json_array_get(states_of(j), 5), "terminal", json_string("yes"));
    expect_definition_error(j, "states[5].terminal", "type", true);

    j = load(nc_definition);
    json_object_set_new(j, "states", json_array());
    expect_definition_error(j, "states", "required", false);
}

static void
test_wf_definition_parse_transitions_not_array_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_object_set_new(j, "transitions", json_object());
    expect_definition_error(j, "transitions", "type", false);
}

/* Every problem is reported, not only the first. */
static void
test_wf_definition_parse_reports_all_problems(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_t *j_errors = json_array();
    struct wf_definition *def = NULL;
    json_object_set_new(j, "owner", json_string("quality"));
    json_array_set_new(json_object_get(transition(j, 0), "guards"), 0, json_string("magic"));
    json_array_set_new(json_object_get(transition(j, 1), "roles"), 0, json_string("king"));
    json_object_del(json_object_get(j, "sla_days"), "major");
    assert_int_equal(wf_definition_parse(j, &def, j_errors), ERR_INVALID);
    assert_null(def);
    assert_int_equal(json_array_size(j_errors), 4);
    assert_true(has_error(j_errors, "owner", "unknown"));
    assert_true(has_error(j_errors, "transitions[0].guards[0]", "unknown_guard"));
    assert_true(has_error(j_errors, "transitions[1].roles[0]", "unknown_role"));
    assert_true(has_error(j_errors, "sla_days.major", "required"));
    json_decref(j_errors);
    json_decref(j);
}

/* --- wf_request_decode ------------------------------------------------------------------- */

/* Decode j (stolen); expect ERR_INVALID with exactly one error field/code. */
static void
expect_request_error(json_t *j, const char *field, const char *code)
{
    char to[WF_NAME_MAX];
    const char *comment = "unset";
    json_t *j_errors = json_array();
    int rc = wf_request_decode(j, to, &comment, j_errors);
    bool ok =
        rc == ERR_INVALID && json_array_size(j_errors) == 1 && has_error(j_errors, field, code);
    if (!ok)
        print_errors("transition request", j_errors);
    json_decref(j_errors);
    json_decref(j);
    assert_true(ok);
}

static void
test_wf_request_decode_valid_with_comment(void **state)
{
    (void)state;
    char to[WF_NAME_MAX];
    const char *comment = NULL;
    json_t *j =
        load("{\"to\": \"rejected\", \"comment\": \"Duplicate of NC-2026-0041\\nsee there\"}");
    json_t *j_errors = json_array();
    assert_int_equal(wf_request_decode(j, to, &comment, j_errors), ERR_OK);
    assert_int_equal(json_array_size(j_errors), 0);
    assert_string_equal(to, "rejected");
    assert_string_equal(comment, "Duplicate of NC-2026-0041\nsee there");
    json_decref(j_errors);
    json_decref(j);
}

static void
test_wf_request_decode_comment_absent_or_null(void **state)
{
    (void)state;
    static const char *const bodies[] = {"{\"to\": \"contained\"}",
                                         "{\"to\": \"contained\", \"comment\": null}"};
    for (size_t i = 0; i < 2; i++) {
        char to[WF_NAME_MAX];
        const char *comment = "unset";
        json_t *j = load(bodies[i]);
        json_t *j_errors = json_array();
        assert_int_equal(wf_request_decode(j, to, &comment, j_errors), ERR_OK);
        assert_string_equal(to, "contained");
        assert_null(comment);
        json_decref(j_errors);
        json_decref(j);
    }
}

static void
test_wf_request_decode_to_missing_or_malformed(void **state)
{
    (void)state;
    expect_request_error(load("{\"comment\": \"why\"}"), "to", "required");
    expect_request_error(load("{\"to\": \"Closed\"}"), "to", "format");
    expect_request_error(load("{\"to\": \"\"}"), "to", "format");
    expect_request_error(load("{\"to\": 5}"), "to", "format");
    expect_request_error(json_pack("{s:o}", "to", json_stringn("closed\0x", 8)), "to", "format");
}

static void
test_wf_request_decode_comment_type_and_length(void **state)
{
    (void)state;
    expect_request_error(load("{\"to\": \"rejected\", \"comment\": 42}"), "comment", "type");
    /* the comment goes into the audit history: no terminal escapes */
    expect_request_error(load("{\"to\": \"rejected\", \"comment\": \"\\u001b[31mred\"}"), "comment",
                         "format");
    expect_request_error(
        json_pack("{s:s, s:o}", "to", "rejected", "comment", json_stringn("a\0b", 3)), "comment",
        "format");

    char *long_text = malloc(WF_COMMENT_MAX + 2);
    assert_non_null(long_text);
    memset(long_text, 'x', WF_COMMENT_MAX + 1);
    long_text[WF_COMMENT_MAX + 1] = '\0';
    json_t *too_long = json_pack("{s:s, s:s}", "to", "rejected", "comment", long_text);
    long_text[WF_COMMENT_MAX] = '\0'; /* exactly the limit */
    json_t *at_limit = json_pack("{s:s, s:s}", "to", "rejected", "comment", long_text);
    free(long_text);
    expect_request_error(too_long, "comment", "too_long");

    char to[WF_NAME_MAX];
    const char *comment = NULL;
    json_t *j_errors = json_array();
    assert_int_equal(wf_request_decode(at_limit, to, &comment, j_errors), ERR_OK);
    assert_int_equal(strlen(comment), WF_COMMENT_MAX);
    json_decref(j_errors);
    json_decref(at_limit);
}

static void
test_wf_request_decode_unknown_member_or_not_object(void **state)
{
    (void)state;
    expect_request_error(load("{\"to\": \"closed\", \"state\": \"closed\"}"), "state", "unknown");
    expect_request_error(load("[\"closed\"]"), "", "type");
}

static void
test_wf_request_decode_unknown_member_cut_name_refused(void **state)
{
    (void)state;
    char name[512];
    for (int i = 0; i < 200; i++)
        memcpy(name + 2 * i, "\xc3\xa9", 2);
    name[400] = '\0';
    json_t *j = json_pack("{s:s, s:s, s:i}", "to", "closed", "comment", "c", name, 1);
    expect_request_error(j, name, "unknown");
}

/* The same loss in a transition request: an unknown member with a long name was accepted. */
static void
test_wf_request_decode_long_unknown_member_refused(void **state)
{
    (void)state;
    json_t *j = load("{\"to\": \"closed\"}");
    json_t *name = long_text_ending_in_e_acute('k', 256);
    json_object_set_new(j, json_string_value(name), json_true());
    expect_request_error(j, json_string_value(name), "unknown");
    json_decref(name);
}

/*
 * More guards than a transition holds is reported as too_many, and must not be
 * written past the transition's guard array. Last in the suite: when the bound
 * is not respected AddressSanitizer stops the program here.
 */
static void
test_wf_definition_parse_too_many_guards_refused(void **state)
{
    (void)state;
    json_t *j = load(nc_definition);
    json_t *guards = json_array();
    for (int i = 0; i < 4 * WF_MAX_GUARDS; i++)
        json_array_append_new(guards, json_string("comment_given"));
    json_object_set_new(transition(j, 0), "guards", guards);
    expect_definition_error(j, "transitions[0].guards", "too_many", true);
}

/* --- version 2 of the defaults (sql/0007): cycles, reopening, steps -------------------- */

/*
 * The n-th definition (0-based) between $json$ markers of a migration, as
 * shipped (caller decrefs).
 */
static json_t *
shipped_definition(const char *migration, int n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CAPA_SQL_DIR, migration);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    static char text[65536];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    char *p = text;
    for (int i = 0; i <= n; i++) {
        p = strstr(p, "$json$");
        if (p == NULL)
            fail_msg("%s has no definition %d", path, n);
        p += 6;
        char *end = strstr(p, "$json$");
        if (end == NULL)
            fail_msg("%s: definition %d is not closed", path, n);
        if (i == n) {
            *end = '\0';
            return load(p);
        }
        p = end + 6;
    }
    return NULL;
}

static struct wf_definition *
parse_json_ok(json_t *j)
{
    json_t *j_errors = json_array();
    struct wf_definition *def = NULL;
    int rc = wf_definition_parse(j, &def, j_errors);
    if (rc != ERR_OK) {
        char *e = json_dumps(j_errors, JSON_COMPACT);
        fail_msg("definition refused: %s", e);
    }
    json_decref(j_errors);
    json_decref(j);
    return def;
}

static void
test_wf_definition_parse_default_v2(void **state)
{
    (void)state;
    struct wf_definition *nc = parse_json_ok(shipped_definition("0007_clause_order.sql", 0));
    assert_int_equal(nc->kind, CASE_KIND_NONCONFORMITY);
    assert_int_equal(nc->verification, wf_state_find(nc, "verifying"));
    assert_int_equal(nc->on_not_effective, wf_state_find(nc, "analysed"));
    assert_int_equal(nc->n_steps, 1);
    assert_string_equal(nc->steps[0].name, "closure");
    const struct wf_transition *close = &nc->transitions[nc->steps[0].transition];
    assert_int_equal(close->from, wf_state_find(nc, "verifying"));
    assert_int_equal(close->to, wf_state_find(nc, "closed"));
    /* closed -> analysed reopens, for an approver with a comment */
    struct wf_check check;
    struct wf_facts facts = {.severity = CASE_SEV_MAJOR};
    EXPECT_REFUSED(nc, "closed", "analysed", &facts, "comment_given");
    facts.comment_given = true;
    expect_allowed(nc, "closed", "analysed", &facts);
    assert_int_equal(wf_check(nc, "closed", "analysed", &facts, &check), ERR_OK);
    assert_true(check.transition->reopen);
    assert_int_equal(check.transition->roles, role_bit(WF_ROLE_APPROVER));
    expect_undefined(nc, "rejected", "reported");
    /* back in analysed, a new cycle needs its own analysis and corrective action */
    facts = (struct wf_facts){.severity = CASE_SEV_MINOR};
    EXPECT_REFUSED(nc, "analysed", "actions_in_progress", &facts, "root_cause_complete",
                   "corrective_action_planned");
    wf_definition_free(nc);

    struct wf_definition *ofi = parse_json_ok(shipped_definition("0007_clause_order.sql", 1));
    assert_int_equal(ofi->kind, CASE_KIND_IMPROVEMENT);
    assert_int_equal(ofi->verification, wf_state_find(ofi, "implemented"));
    assert_int_equal(ofi->on_not_effective, wf_state_find(ofi, "in_progress"));
    assert_int_equal(wf_step_find(ofi, "approve"), 0);
    facts = (struct wf_facts){.severity = CASE_SEV_NONE, .kind = CASE_KIND_IMPROVEMENT};
    /* the benefit is reviewed before it closes */
    EXPECT_REFUSED(ofi, "implemented", "closed", &facts, "benefit_confirmed");
    facts.latest_verdict = WF_VERDICT_EFFECTIVE;
    expect_allowed(ofi, "implemented", "closed", &facts);
    EXPECT_REFUSED(ofi, "in_progress", "implemented", &facts, "actions_finished",
                   "review_scheduled");
    facts.comment_given = true;
    expect_allowed(ofi, "closed", "in_progress", &facts);
    wf_definition_free(ofi);
}

/* Definitions stored before verification and on_not_effective existed read as workflow.h says. */
static void
test_wf_definition_parse_v1_defaults_for_cycles(void **state)
{
    (void)state;
    struct wf_definition *nc = parse_ok(nc_definition);
    assert_int_equal(nc->verification, wf_state_find(nc, "verifying"));
    assert_int_equal(nc->on_not_effective, wf_state_find(nc, "analysed"));
    /* the approval guard's step keeps its historic name */
    assert_int_equal(nc->n_steps, 1);
    assert_string_equal(nc->steps[0].name, "closure");
    wf_definition_free(nc);
    struct wf_definition *ofi = parse_ok(ofi_definition);
    assert_int_equal(ofi->verification, -1); /* no transition asks for a verdict */
    assert_int_equal(ofi->on_not_effective, -1);
    assert_string_equal(ofi->steps[0].name, "approve");
    wf_definition_free(ofi);
}

/* A transition appended to the v1 definition, refused at transitions[7] with code. */
static void
expect_extra_transition_refused(const char *transition, const char *field, const char *code)
{
    json_t *j = load(nc_definition);
    json_array_append_new(json_object_get(j, "transitions"), load(transition));
    expect_definition_error(j, field, code, true);
}

static void
test_wf_definition_parse_reopen_rules(void **state)
{
    (void)state;
    /* out of a terminal state only by reopening; reopening only out of one */
    expect_extra_transition_refused("{\"from\": \"closed\", \"to\": \"analysed\", \"guards\": "
                                    "[\"comment_given\"], \"roles\": [\"approver\"]}",
                                    "transitions[7]", "terminal_exit");
    expect_extra_transition_refused(
        "{\"from\": \"analysed\", \"to\": \"reported\", \"reopen\": "
        "true, \"guards\": [\"comment_given\"], \"roles\": [\"admin\"]}",
        "transitions[7]", "reopen");
    /* into a state that is not terminal, always with a reason */
    expect_extra_transition_refused(
        "{\"from\": \"closed\", \"to\": \"rejected\", \"reopen\": "
        "true, \"guards\": [\"comment_given\"], \"roles\": [\"admin\"]}",
        "transitions[7]", "reopen");
    expect_extra_transition_refused("{\"from\": \"closed\", \"to\": \"analysed\", \"reopen\": "
                                    "true, \"guards\": [], \"roles\": [\"approver\"]}",
                                    "transitions[7]", "reopen");
    /* not a boolean: the type, and so no reopening (two errors) */
    json_t *j_yes = load(nc_definition);
    json_array_append_new(json_object_get(j_yes, "transitions"),
                          load("{\"from\": \"closed\", \"to\": \"analysed\", \"reopen\": \"yes\","
                               " \"guards\": [\"comment_given\"], \"roles\": [\"approver\"]}"));
    expect_definition_error(j_yes, "transitions[7].reopen", "type", false);
    /* and with the reason, accepted */
    json_t *j = load(nc_definition);
    json_array_append_new(json_object_get(j, "transitions"),
                          load("{\"from\": \"closed\", \"to\": \"analysed\", \"reopen\": true,"
                               " \"guards\": [\"comment_given\"], \"roles\": [\"approver\"]}"));
    struct wf_definition *def = parse_json_ok(j);
    assert_true(def->transitions[7].reopen);
    wf_definition_free(def);
}

static void
test_wf_definition_parse_approval_steps(void **state)
{
    (void)state;
    /* a step named on a transition without an approval guard could never be checked */
    expect_extra_transition_refused("{\"from\": \"contained\", \"to\": \"reported\", "
                                    "\"approval\": \"back\", \"guards\": [], \"roles\": "
                                    "[\"admin\"]}",
                                    "transitions[7].approval", "no_approval_guard");
    /* the generic guard needs the name of its step */
    expect_extra_transition_refused("{\"from\": \"contained\", \"to\": \"reported\", "
                                    "\"guards\": [\"approved\"], \"roles\": [\"admin\"]}",
                                    "transitions[7].approval", "required");
    /* a name used twice */
    expect_extra_transition_refused("{\"from\": \"contained\", \"to\": \"reported\", "
                                    "\"approval\": \"closure\", \"guards\": [\"approved\"], "
                                    "\"roles\": [\"admin\"]}",
                                    "transitions[7].approval", "duplicate");
    expect_extra_transition_refused("{\"from\": \"contained\", \"to\": \"reported\", "
                                    "\"approval\": \"Back!\", \"guards\": [\"approved\"], "
                                    "\"roles\": [\"admin\"]}",
                                    "transitions[7].approval", "format");
    expect_extra_transition_refused("{\"from\": \"contained\", \"to\": \"reported\", "
                                    "\"approval\": \"back\", \"guards\": [\"approved\", "
                                    "\"closure_approved_if_major\"], \"roles\": [\"admin\"]}",
                                    "transitions[7]", "approvals");
    /* a step of its own name */
    json_t *j = load(nc_definition);
    json_array_append_new(json_object_get(j, "transitions"),
                          load("{\"from\": \"contained\", \"to\": \"reported\", \"approval\": "
                               "\"back\", \"guards\": [\"approved\"], \"roles\": [\"admin\"]}"));
    struct wf_definition *def = parse_json_ok(j);
    char text[64];
    assert_string_equal(wf_steps_text(def, text, sizeof text), "closure, back");
    assert_int_equal(wf_step_find(def, "back"), 1);
    assert_int_equal(wf_step_find(def, "nope"), -1);
    struct wf_facts facts = {0};
    EXPECT_REFUSED(def, "contained", "reported", &facts, "approved");
    approve(&facts, "closure"); /* another step's approval does not count */
    EXPECT_REFUSED(def, "contained", "reported", &facts, "approved");
    approve(&facts, "back");
    expect_allowed(def, "contained", "reported", &facts);
    wf_definition_free(def);
}

static void
test_wf_definition_parse_cycle_states_refused(void **state)
{
    (void)state;
    const char *bad[][2] = {{"verification", "closed"},
                            {"verification", "nowhere"},
                            {"on_not_effective", "rejected"},
                            {"on_not_effective", "nowhere"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = load(nc_definition);
        json_object_set_new(j, bad[i][0], json_string(bad[i][1]));
        expect_definition_error(j, bad[i][0], "unknown_state", true);
    }
    json_t *j = load(nc_definition);
    json_object_set_new(j, "verification", json_integer(4));
    expect_definition_error(j, "verification", "unknown_state", true);
}

/* A record fact of kind in cycle. */
static struct wf_record_fact
fact(enum rec_kind kind, int cycle)
{
    return (struct wf_record_fact){
        .kind = kind, .cycle = cycle, .action_type = -1, .action_status = -1};
}

static struct wf_record_fact
action_fact(int cycle, enum rec_action_type type, enum rec_action_status status, bool planned)
{
    struct wf_record_fact f = fact(REC_ACTION, cycle);
    f.action_type = (int)type;
    f.action_status = (int)status;
    f.planned = planned;
    return f;
}

static void
test_wf_facts_compute_counts_the_current_cycle(void **state)
{
    (void)state;
    struct wf_record_fact rows[16];
    int n = 0;
    rows[n++] = fact(REC_CORRECTION, 1);
    rows[n++] = fact(REC_ROOT_CAUSE, 1);
    rows[n++] = action_fact(1, REC_ACTION_CORRECTIVE, REC_ACTION_DONE, true);
    rows[n++] = action_fact(1, REC_ACTION_PREVENTIVE, REC_ACTION_OPEN, true);
    struct wf_record_fact review = fact(REC_REVIEW, 1);
    review.verdict = WF_VERDICT_NOT_EFFECTIVE;
    rows[n++] = review;
    rows[n++] = fact(REC_ISMS_CHANGE, 1);
    struct wf_record_fact approval = fact(REC_APPROVAL, 1);
    snprintf(approval.step, WF_NAME_MAX, "closure");
    approval.approve = true;
    rows[n++] = approval;
    rows[n++] = fact(REC_EVIDENCE, 1);

    struct wf_facts f;
    wf_facts_compute(CASE_KIND_NONCONFORMITY, CASE_SEV_MAJOR, 1, rows, n, &f);
    assert_int_equal(f.cycle, 1);
    assert_int_equal(f.corrections, 1);
    assert_true(f.root_cause_complete);
    assert_int_equal(f.corrective_actions_planned, 1);
    assert_int_equal(f.actions_done, 1);
    assert_int_equal(f.corrective_actions_done, 1);
    assert_int_equal(f.actions_open, 1);
    assert_int_equal(f.latest_verdict, WF_VERDICT_NOT_EFFECTIVE);
    assert_int_equal(f.isms_changes, 1);
    assert_true(wf_facts_approved(&f, "closure"));
    assert_int_equal(f.evidence, 1);

    /* in cycle 2 only the corrections, the open action and the evidence still count */
    wf_facts_compute(CASE_KIND_NONCONFORMITY, CASE_SEV_MAJOR, 2, rows, n, &f);
    assert_int_equal(f.cycle, 2);
    assert_int_equal(f.corrections, 1);
    assert_false(f.root_cause_complete);
    assert_int_equal(f.corrective_actions_planned, 0);
    assert_int_equal(f.actions_done, 0);
    assert_int_equal(f.corrective_actions_done, 0);
    assert_int_equal(f.actions_open, 1);
    assert_int_equal(f.reviews_scheduled, 0);
    assert_int_equal(f.latest_verdict, WF_VERDICT_NONE);
    assert_int_equal(f.isms_changes, 0);
    assert_false(wf_facts_approved(&f, "closure"));
    assert_int_equal(f.evidence, 1);

    /* cycle 2 records of its own */
    rows[n++] = fact(REC_ROOT_CAUSE, 2);
    rows[n++] = action_fact(2, REC_ACTION_CORRECTIVE, REC_ACTION_IN_PROGRESS, true);
    rows[n++] = fact(REC_REVIEW, 2);
    wf_facts_compute(CASE_KIND_NONCONFORMITY, CASE_SEV_MAJOR, 2, rows, n, &f);
    assert_true(f.root_cause_complete);
    assert_int_equal(f.corrective_actions_planned, 1);
    assert_int_equal(f.actions_open, 2);
    assert_int_equal(f.reviews_scheduled, 1);
}

static void
test_wf_facts_compute_latest_decisions(void **state)
{
    (void)state;
    struct wf_record_fact rows[6];
    const struct {
        const char *step;
        bool approve;
    } decisions[] = {{"closure", true},
                     {"closure", false},
                     {"budget", true},
                     {"closure", true},
                     {"budget", false}};
    for (int i = 0; i < 5; i++) {
        rows[i] = fact(REC_APPROVAL, 1);
        snprintf(rows[i].step, WF_NAME_MAX, "%s", decisions[i].step);
        rows[i].approve = decisions[i].approve;
    }
    struct wf_facts f;
    wf_facts_compute(CASE_KIND_NONCONFORMITY, CASE_SEV_MAJOR, 1, rows, 3, &f);
    assert_false(wf_facts_approved(&f, "closure")); /* approved, then rejected */
    assert_true(wf_facts_approved(&f, "budget"));
    wf_facts_compute(CASE_KIND_NONCONFORMITY, CASE_SEV_MAJOR, 1, rows, 5, &f);
    assert_true(wf_facts_approved(&f, "closure"));
    assert_false(wf_facts_approved(&f, "budget"));
    assert_int_equal(f.n_approved, 1);
    /* the latest verdict is the last one changed; an improvement counts improvement actions */
    rows[0] = fact(REC_REVIEW, 1), rows[0].verdict = WF_VERDICT_EFFECTIVE;
    rows[1] = fact(REC_REVIEW, 1), rows[1].verdict = WF_VERDICT_NOT_EFFECTIVE;
    rows[2] = action_fact(1, REC_ACTION_IMPROVEMENT, REC_ACTION_DONE, true);
    rows[3] = action_fact(1, REC_ACTION_CORRECTIVE, REC_ACTION_DONE, true);
    wf_facts_compute(CASE_KIND_IMPROVEMENT, CASE_SEV_NONE, 1, rows, 4, &f);
    assert_int_equal(f.latest_verdict, WF_VERDICT_NOT_EFFECTIVE);
    assert_int_equal(f.corrective_actions_done, 1);
    assert_int_equal(f.improvement_actions_planned, 1);
    assert_int_equal(f.corrective_actions_planned, 1);
}

static void
test_wf_approval_check_in_its_place(void **state)
{
    (void)state;
    struct wf_definition *nc = parse_json_ok(shipped_definition("0007_clause_order.sql", 0));
    struct wf_facts facts = {.severity = CASE_SEV_MAJOR};
    struct wf_check check;
    int closure = wf_step_find(nc, "closure");
    /* not before the case is verifying */
    assert_int_equal(wf_approval_check(nc, "analysed", &facts, closure, &check),
                     ERR_APPROVAL_ORDER);
    assert_int_equal(check.n_unmet, 0);
    assert_int_equal(check.transition->from, wf_state_find(nc, "verifying"));
    /* in verifying, not before the effective verdict and the ISMS decision */
    assert_int_equal(wf_approval_check(nc, "verifying", &facts, closure, &check),
                     ERR_APPROVAL_ORDER);
    assert_int_equal(check.n_unmet, 2);
    assert_int_equal(check.unmet[0], WF_GUARD_REVIEW_EFFECTIVE);
    assert_int_equal(check.unmet[1], WF_GUARD_ISMS_CHANGE_DECIDED);
    facts.latest_verdict = WF_VERDICT_EFFECTIVE;
    facts.isms_changes = 1;
    assert_int_equal(wf_approval_check(nc, "verifying", &facts, closure, &check), ERR_OK);
    /* and never on a closed case */
    assert_int_equal(wf_approval_check(nc, "closed", &facts, closure, &check), ERR_APPROVAL_ORDER);
    wf_definition_free(nc);
}

static void
test_wf_verdict_check_needs_what_it_judges(void **state)
{
    (void)state;
    struct wf_definition *nc = parse_json_ok(shipped_definition("0007_clause_order.sql", 0));
    struct wf_facts facts = {.severity = CASE_SEV_MINOR, .cycle = 2};
    char detail[256];
    assert_int_equal(wf_verdict_check(nc, "actions_in_progress", &facts, detail, sizeof detail),
                     ERR_VERDICT_ORDER);
    assert_string_equal(detail, "a verdict is recorded while the case is verifying; it is "
                                "actions_in_progress");
    assert_int_equal(wf_verdict_check(nc, "verifying", &facts, detail, sizeof detail),
                     ERR_VERDICT_ORDER);
    assert_string_equal(detail,
                        "a verdict judges what was done: no corrective action of cycle 2 is done");
    facts.corrective_actions_done = 1;
    facts.actions_open = 1;
    assert_int_equal(wf_verdict_check(nc, "verifying", &facts, detail, sizeof detail),
                     ERR_VERDICT_ORDER);
    assert_string_equal(detail, "every action must be done or cancelled before the verdict: 1 "
                                "open or in progress");
    facts.actions_open = 0;
    assert_int_equal(wf_verdict_check(nc, "verifying", &facts, detail, sizeof detail), ERR_OK);
    assert_int_equal(wf_verdict_check(nc, "closed", &facts, detail, sizeof detail),
                     ERR_VERDICT_ORDER);
    wf_definition_free(nc);
    /* a workflow without a verification state takes verdicts in any open state */
    struct wf_definition *ofi = parse_ok(ofi_definition);
    facts.kind = CASE_KIND_IMPROVEMENT;
    assert_int_equal(wf_verdict_check(ofi, "in_progress", &facts, detail, sizeof detail), ERR_OK);
    assert_int_equal(wf_verdict_check(ofi, "closed", &facts, detail, sizeof detail),
                     ERR_VERDICT_ORDER);
    wf_definition_free(ofi);
}

static void
test_wf_reopen_text_names_the_way_back(void **state)
{
    (void)state;
    char text[256];
    struct wf_definition *nc = parse_json_ok(shipped_definition("0007_clause_order.sql", 0));
    assert_string_equal(wf_reopen_text(nc, "closed", text, sizeof text),
                        "reopen it with a transition to analysed (role approver, with a comment)");
    assert_string_equal(wf_reopen_text(nc, "rejected", text, sizeof text),
                        "its workflow defines no reopening of a rejected case");
    wf_definition_free(nc);
    struct wf_definition *v1 = parse_ok(nc_definition);
    assert_string_equal(wf_reopen_text(v1, "closed", text, sizeof text),
                        "its workflow defines no reopening of a closed case");
    wf_definition_free(v1);
}

static void
test_wf_readiness_json_improvement_checklist(void **state)
{
    (void)state;
    struct wf_facts f = {.kind = CASE_KIND_IMPROVEMENT, .severity = CASE_SEV_NONE, .cycle = 1};
    json_t *j = wf_readiness_json(&f);
    static const char *const elements[] = {"proposal", "approval", "actions", "implementation",
                                           "benefit"};
    assert_int_equal(json_object_size(j), 7);
    for (size_t i = 0; i < 5; i++) {
        json_t *e = json_object_get(j, elements[i]);
        assert_string_equal(json_string_value(json_object_get(e, "clause")), "10.1");
        assert_int_equal(json_is_true(json_object_get(e, "present")), i == 0);
    }
    assert_true(json_is_false(json_object_get(j, "complete")));
    json_decref(j);
    approve(&f, "approve");
    f.corrective_actions_done = 1;
    f.actions_done = 1;
    f.evidence = 1;
    f.latest_verdict = WF_VERDICT_EFFECTIVE;
    j = wf_readiness_json(&f);
    for (size_t i = 0; i < 5; i++)
        assert_true(json_is_true(json_object_get(json_object_get(j, elements[i]), "present")));
    assert_true(json_is_true(json_object_get(j, "complete")));
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wf_guard_name_every_guard_named),
        cmocka_unit_test(test_wf_role_from_text_round_trip),
        cmocka_unit_test(test_wf_definition_parse_default_nonconformity),
        cmocka_unit_test(test_wf_check_nc_reported_to_contained_needs_correction),
        cmocka_unit_test(test_wf_check_nc_contained_to_analysed_needs_root_cause),
        cmocka_unit_test(test_wf_check_nc_analysed_to_actions_needs_planned_action),
        cmocka_unit_test(test_wf_check_nc_actions_to_verifying_needs_finished_and_review),
        cmocka_unit_test(test_wf_check_nc_verifying_to_closed_major),
        cmocka_unit_test(test_wf_check_nc_verifying_to_closed_minor_needs_no_approval),
        cmocka_unit_test(test_wf_check_nc_rejections_need_comment),
        cmocka_unit_test(test_wf_check_closure_approved_if_major_by_severity),
        cmocka_unit_test(test_wf_definition_parse_default_v2),
        cmocka_unit_test(test_wf_definition_parse_v1_defaults_for_cycles),
        cmocka_unit_test(test_wf_definition_parse_reopen_rules),
        cmocka_unit_test(test_wf_definition_parse_approval_steps),
        cmocka_unit_test(test_wf_definition_parse_cycle_states_refused),
        cmocka_unit_test(test_wf_facts_compute_counts_the_current_cycle),
        cmocka_unit_test(test_wf_facts_compute_latest_decisions),
        cmocka_unit_test(test_wf_approval_check_in_its_place),
        cmocka_unit_test(test_wf_verdict_check_needs_what_it_judges),
        cmocka_unit_test(test_wf_reopen_text_names_the_way_back),
        cmocka_unit_test(test_wf_readiness_json_improvement_checklist),
        cmocka_unit_test(test_wf_check_actions_finished_needs_done_and_none_open),
        cmocka_unit_test(test_wf_check_nc_full_walk_to_closed),
        cmocka_unit_test(test_wf_check_nc_undefined_transition_refused),
        cmocka_unit_test(test_wf_check_nc_terminal_state_allows_nothing),
        cmocka_unit_test(test_wf_check_unknown_from_state_not_found),
        cmocka_unit_test(test_wf_definition_parse_default_improvement),
        cmocka_unit_test(test_wf_check_ofi_each_transition),
        cmocka_unit_test(test_wf_check_ofi_undefined_and_terminal),
        cmocka_unit_test(test_wf_options_json_reported_with_no_facts),
        cmocka_unit_test(test_wf_options_json_mixed_allowed),
        cmocka_unit_test(test_wf_options_json_verifying_lists_all_unmet),
        cmocka_unit_test(test_wf_options_json_unguarded_transition_allowed),
        cmocka_unit_test(test_wf_options_json_terminal_or_unknown_state_empty),
        cmocka_unit_test(test_wf_options_json_roles_in_role_order),
        cmocka_unit_test(test_wf_sla_days_nonconformity),
        cmocka_unit_test(test_wf_sla_days_improvement),
        cmocka_unit_test(test_wf_sla_days_range_ends_accepted),
        cmocka_unit_test(test_wf_definition_parse_extended_awaiting_budget_valid),
        cmocka_unit_test(test_wf_definition_parse_guards_member_optional),
        cmocka_unit_test(test_wf_definition_parse_not_object_refused),
        cmocka_unit_test(test_wf_definition_parse_unknown_guard_refused),
        cmocka_unit_test(test_wf_definition_parse_unknown_role_refused),
        cmocka_unit_test(test_wf_definition_parse_unreachable_state_refused),
        cmocka_unit_test(test_wf_definition_parse_terminal_state_with_exit_refused),
        cmocka_unit_test(test_wf_definition_parse_initial_missing_refused),
        cmocka_unit_test(test_wf_definition_parse_initial_unknown_refused),
        cmocka_unit_test(test_wf_definition_parse_initial_terminal_refused),
        cmocka_unit_test(test_wf_definition_parse_duplicate_state_refused),
        cmocka_unit_test(test_wf_definition_parse_non_terminal_dead_end_refused),
        cmocka_unit_test(test_wf_definition_parse_missing_sla_refused),
        cmocka_unit_test(test_wf_definition_parse_bad_sla_value_refused),
        cmocka_unit_test(test_wf_definition_parse_bad_sla_shape_refused),
        cmocka_unit_test(test_wf_definition_parse_sla_severity_of_other_kind_refused),
        cmocka_unit_test(test_wf_definition_parse_unknown_member_refused),
        cmocka_unit_test(test_wf_definition_parse_unknown_member_cut_name_refused),
        cmocka_unit_test(test_wf_request_decode_unknown_member_cut_name_refused),
        cmocka_unit_test(test_wf_definition_parse_unknown_kind_refused),
        cmocka_unit_test(test_wf_definition_parse_transition_unknown_state_refused),
        cmocka_unit_test(test_wf_definition_parse_long_unknown_state_refused),
        cmocka_unit_test(test_wf_definition_parse_long_unknown_sla_key_refused),
        cmocka_unit_test(test_wf_definition_parse_loop_and_duplicate_transition_refused),
        cmocka_unit_test(test_wf_definition_parse_bad_state_refused),
        cmocka_unit_test(test_wf_definition_parse_transitions_not_array_refused),
        cmocka_unit_test(test_wf_definition_parse_reports_all_problems),
        cmocka_unit_test(test_wf_request_decode_valid_with_comment),
        cmocka_unit_test(test_wf_request_decode_comment_absent_or_null),
        cmocka_unit_test(test_wf_request_decode_to_missing_or_malformed),
        cmocka_unit_test(test_wf_request_decode_comment_type_and_length),
        cmocka_unit_test(test_wf_request_decode_unknown_member_or_not_object),
        cmocka_unit_test(test_wf_request_decode_long_unknown_member_refused),
        cmocka_unit_test(test_wf_definition_parse_too_many_guards_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
