/*
 * fuzz_workflow.c - PUT /v1/workflows/{kind} and POST /v1/cases/{id}/transitions.
 *
 * Input: "<definition>" or "<definition>\n---\n<transition request>".
 * wf_definition_parse validates the definition as uc_workflow_put calls it;
 * what it accepts must keep its documented promises (states reachable,
 * terminal states without exits, the others with one, an SLA per severity,
 * nothing in it ignored), and the engine then walks it from the initial
 * state, with facts drawn from the input, checking that wf_options_json and
 * wf_check agree at each step. A transition request goes through
 * wf_request_decode (no member ignored), and when it is valid, wf_check from
 * the initial state, as uc_case_transition does.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "workflow.h"

#define WALK_STEPS 64

/* FNV-1a: the facts and the walk follow the input, deterministically. */
static uint32_t
hash(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

/* Facts from a hash; the approval steps of def (NULL: none) approved by its high bits. */
static void
facts_from(uint32_t h, const struct wf_definition *def, struct wf_facts *f)
{
    memset(f, 0, sizeof *f);
    f->severity = (enum case_severity)(h % CASE_SEV__COUNT);
    f->comment_given = h & 0x10;
    f->corrections = (h >> 5) & 1;
    f->root_cause_complete = (h >> 6) & 1;
    f->corrective_actions_planned = (h >> 7) & 1;
    f->improvement_actions_planned = (h >> 8) & 1;
    f->actions_open = (h >> 9) & 1;
    f->actions_done = (h >> 10) & 1;
    f->reviews_scheduled = (h >> 11) & 1;
    f->latest_verdict = (enum wf_verdict)((h >> 12) % 3);
    f->isms_changes = (h >> 14) & 1;
    f->evidence = (h >> 17) & 1;
    f->kind = def ? def->kind : CASE_KIND_NONCONFORMITY;
    f->cycle = 1 + (int)((h >> 18) & 1);
    f->corrective_actions_done = (h >> 19) & 1;
    for (int i = 0; def && i < def->n_steps && i < 12; i++)
        if ((h >> (20 + i)) & 1)
            snprintf(f->approved[f->n_approved++], WF_NAME_MAX, "%s", def->steps[i].name);
}

/* What wf_definition_parse promises of a definition it accepts. */
static void
check_definition(const struct wf_definition *def)
{
    FUZZ_CHECK(def->n_states >= 1 && def->n_states <= WF_MAX_STATES);
    FUZZ_CHECK(def->n_transitions >= 0 && def->n_transitions <= WF_MAX_TRANSITIONS);
    FUZZ_CHECK(def->initial >= 0 && def->initial < def->n_states);
    FUZZ_CHECK(!def->states[def->initial].terminal);
    for (int s = 0; s < def->n_states; s++)
        FUZZ_CHECK(wf_state_find(def, def->states[s].name) == s);
    for (int i = 0; i < def->n_transitions; i++) {
        const struct wf_transition *t = &def->transitions[i];
        FUZZ_CHECK(t->from >= 0 && t->from < def->n_states);
        FUZZ_CHECK(t->to >= 0 && t->to < def->n_states && t->to != t->from);
        /* terminal states are left by reopenings only, each with its reason, into an open state */
        FUZZ_CHECK(def->states[t->from].terminal == t->reopen);
        FUZZ_CHECK(!t->reopen || !def->states[t->to].terminal);
        bool commented = false, approval = false;
        for (int g = 0; g < t->n_guards; g++) {
            commented = commented || t->guards[g] == WF_GUARD_COMMENT_GIVEN;
            approval = approval || t->guards[g] == WF_GUARD_APPROVED ||
                       t->guards[g] == WF_GUARD_CLOSURE_APPROVED_IF_MAJOR ||
                       t->guards[g] == WF_GUARD_IMPROVEMENT_APPROVED;
        }
        FUZZ_CHECK(!t->reopen || commented);
        /* a transition has a step exactly when it has an approval guard, and the step is its */
        FUZZ_CHECK(approval == (t->step[0] != '\0'));
        if (approval) {
            int st = wf_step_find(def, t->step);
            FUZZ_CHECK(st >= 0 && def->steps[st].transition == i);
        }
        FUZZ_CHECK(t->n_guards >= 0 && t->n_guards <= WF_MAX_GUARDS);
        for (int g = 0; g < t->n_guards; g++)
            FUZZ_CHECK((int)t->guards[g] >= 0 && (int)t->guards[g] < WF_GUARD__COUNT);
        FUZZ_CHECK(t->roles != 0 && t->roles < (1u << WF_ROLE__COUNT));
    }
    FUZZ_CHECK(def->n_steps >= 0 && def->n_steps <= WF_MAX_STEPS);
    FUZZ_CHECK(def->verification == -1 ||
               (def->verification >= 0 && def->verification < def->n_states &&
                !def->states[def->verification].terminal));
    FUZZ_CHECK(def->on_not_effective == -1 ||
               (def->on_not_effective >= 0 && def->on_not_effective < def->n_states &&
                !def->states[def->on_not_effective].terminal));
    for (int sev = 0; sev < CASE_SEV__COUNT; sev++) {
        int contain, close;
        wf_sla_days(def, (enum case_severity)sev, &contain, &close);
        if (case_severity_allowed(def->kind, (enum case_severity)sev))
            FUZZ_CHECK(def->sla[sev].present);
        FUZZ_CHECK(contain >= -1 && contain <= 3650 && close >= -1 && close <= 3650);
    }
}

/* Whether every member of object j is one of the names (a NULL-terminated list). */
static bool
members_known(const json_t *j, const char *const *names)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        const char *const *n = names;
        while (*n && strcmp(*n, key) != 0)
            n++;
        if (*n == NULL)
            return false;
    }
    return true;
}

/* An accepted definition is all in def: no member, state, transition or SLA was ignored. */
static void
check_represented(const json_t *j, const struct wf_definition *def)
{
    static const char *const top[] = {"kind",     "initial",      "states",           "transitions",
                                      "sla_days", "verification", "on_not_effective", NULL};
    static const char *const state[] = {"name", "terminal", "contained", NULL};
    static const char *const transition[] = {"from",     "to",     "guards", "roles",
                                             "approval", "reopen", NULL};
    const json_t *j_states = json_object_get(j, "states"), *j_transitions;
    const char *key;
    json_t *v;
    size_t i;

    FUZZ_CHECK(members_known(j, top));
    FUZZ_CHECK((size_t)def->n_states == json_array_size(j_states));
    json_array_foreach(j_states, i, v) FUZZ_CHECK(members_known(v, state));
    j_transitions = json_object_get(j, "transitions");
    FUZZ_CHECK((size_t)def->n_transitions == json_array_size(j_transitions));
    json_array_foreach(j_transitions, i, v)
    {
        FUZZ_CHECK(members_known(v, transition));
        FUZZ_CHECK((size_t)def->transitions[i].n_guards ==
                   json_array_size(json_object_get(v, "guards")));
    }
    json_object_foreach(json_object_get(j, "sla_days"), key, v)
    {
        int sev = case_severity_from_text(key);
        FUZZ_CHECK(sev >= 0 && case_severity_allowed(def->kind, (enum case_severity)sev));
    }
}

/* wf_options_json of a state against wf_check of each move it lists. Returns the options. */
static json_t *
check_options(const struct wf_definition *def, int from, const struct wf_facts *facts)
{
    const char *name = def->states[from].name;
    json_t *j_options = wf_options_json(def, name, facts), *o;
    size_t i;

    FUZZ_CHECK(json_is_array(j_options));
    FUZZ_CHECK(def->states[from].terminal == (json_array_size(j_options) == 0));
    json_array_foreach(j_options, i, o)
    {
        struct wf_check check;
        const char *to = json_string_value(json_object_get(o, "to"));
        const json_t *unmet = json_object_get(o, "unmet_guards");
        FUZZ_CHECK(to != NULL && wf_state_find(def, to) >= 0);
        FUZZ_CHECK(json_is_array(json_object_get(o, "roles")) &&
                   json_array_size(json_object_get(o, "roles")) > 0);
        int rc = wf_check(def, name, to, facts, &check);
        FUZZ_CHECK(check.transition != NULL && check.transition->from == from);
        FUZZ_CHECK((rc == ERR_OK) == json_is_true(json_object_get(o, "allowed")));
        FUZZ_CHECK(rc == ERR_OK || rc == ERR_TRANSITION);
        FUZZ_CHECK((size_t)check.n_unmet == json_array_size(unmet));
        FUZZ_CHECK((rc == ERR_OK) == (check.n_unmet == 0));
    }
    return j_options;
}

/* The approvals, verdicts and reopenings a state allows, against their definitions. */
static void
check_order(const struct wf_definition *def, int state, const struct wf_facts *facts)
{
    const char *name = def->states[state].name;
    char detail[256], text[512];
    struct wf_check check;

    for (int i = 0; i < def->n_steps; i++) {
        const struct wf_transition *t = &def->transitions[def->steps[i].transition];
        int rc = wf_approval_check(def, name, facts, i, &check);
        FUZZ_CHECK(check.transition == t);
        bool others_met = true;
        struct wf_check move;
        wf_check(def, name, def->states[t->to].name, facts, &move);
        for (int g = 0; t->from == state && g < move.n_unmet; g++)
            others_met = others_met && (move.unmet[g] == WF_GUARD_COMMENT_GIVEN ||
                                        move.unmet[g] == WF_GUARD_APPROVED ||
                                        move.unmet[g] == WF_GUARD_CLOSURE_APPROVED_IF_MAJOR ||
                                        move.unmet[g] == WF_GUARD_IMPROVEMENT_APPROVED);
        FUZZ_CHECK((rc == ERR_OK) == (t->from == state && others_met));
        FUZZ_CHECK(rc == ERR_OK || rc == ERR_APPROVAL_ORDER);
    }
    detail[0] = '\0';
    int rc = wf_verdict_check(def, name, facts, detail, sizeof detail);
    FUZZ_CHECK((rc == ERR_OK) == (!def->states[state].terminal &&
                                  (def->verification < 0 || def->verification == state) &&
                                  facts->actions_open == 0 && facts->corrective_actions_done > 0));
    FUZZ_CHECK(rc == ERR_OK || (rc == ERR_VERDICT_ORDER && detail[0] != '\0'));
    FUZZ_CHECK(wf_reopen_text(def, name, text, sizeof text)[0] != '\0');
}

/* wf_facts_compute over records made from a hash: each count is what the rows say. */
static void
check_facts_compute(const struct wf_definition *def, uint32_t h)
{
    struct wf_record_fact rows[16];
    struct wf_facts f;
    int n = (int)(h % 16), corrections = 0, open = 0, cycle = 1 + (int)((h >> 4) % 3);
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < n; i++) {
        uint32_t r = h * 2654435761u + (uint32_t)i * 40503u;
        rows[i].kind = (enum rec_kind)(r % REC__COUNT);
        rows[i].cycle = 1 + (int)((r >> 5) % 3);
        rows[i].action_type =
            rows[i].kind == REC_ACTION ? (int)((r >> 7) % REC_ACTION_TYPE__COUNT) : -1;
        rows[i].action_status =
            rows[i].kind == REC_ACTION ? (int)((r >> 10) % REC_ACTION_STATUS__COUNT) : -1;
        rows[i].planned = (r >> 12) & 1;
        rows[i].verdict = (enum wf_verdict)((r >> 13) % 3);
        rows[i].approve = (r >> 15) & 1;
        if (def->n_steps > 0)
            snprintf(rows[i].step, WF_NAME_MAX, "%s",
                     def->steps[(r >> 16) % (uint32_t)def->n_steps].name);
        corrections += rows[i].kind == REC_CORRECTION;
        open += rows[i].kind == REC_ACTION && (rows[i].action_status == REC_ACTION_OPEN ||
                                               rows[i].action_status == REC_ACTION_IN_PROGRESS);
    }
    wf_facts_compute(def->kind, CASE_SEV_MAJOR, cycle, rows, n, &f);
    FUZZ_CHECK(f.cycle == cycle && f.corrections == corrections && f.actions_open == open);
    FUZZ_CHECK(f.n_approved >= 0 && f.n_approved <= def->n_steps);
    for (int i = 0; i < f.n_approved; i++) {
        FUZZ_CHECK(wf_step_find(def, f.approved[i]) >= 0);
        /* the last decision of this cycle on the step is approve */
        int last = -1;
        for (int k = 0; k < n; k++)
            if (rows[k].kind == REC_APPROVAL && rows[k].cycle == cycle &&
                strcmp(rows[k].step, f.approved[i]) == 0)
                last = k;
        FUZZ_CHECK(last >= 0 && rows[last].approve);
    }
    FUZZ_CHECK(f.corrective_actions_done <= f.actions_done);
}

/* A walk from the initial state, choosing among the moves by the input's hash. */
static void
walk(const struct wf_definition *def, uint32_t h)
{
    struct wf_facts facts;
    struct wf_check check;
    int state = def->initial;

    facts_from(h, def, &facts);
    FUZZ_CHECK(wf_check(def, "no such state", def->states[0].name, &facts, &check) ==
               ERR_NOT_FOUND);
    FUZZ_CHECK(wf_check(def, def->states[state].name, "no such state", &facts, &check) ==
                   ERR_TRANSITION &&
               check.transition == NULL);
    check_facts_compute(def, h);
    for (int step = 0; step < WALK_STEPS && !def->states[state].terminal; step++) {
        check_order(def, state, &facts);
        json_t *j_options = check_options(def, state, &facts);
        size_t n = json_array_size(j_options);
        const char *to = json_string_value(
            json_object_get(json_array_get(j_options, (h >> (step % 24)) % n), "to"));
        state = wf_state_find(def, to);
        json_decref(j_options);
        facts_from(h * 31u + (uint32_t)step, def, &facts);
    }
    json_t *j_ready = wf_readiness_json(&facts);
    FUZZ_CHECK(json_is_object(j_ready) && json_is_boolean(json_object_get(j_ready, "complete")));
    json_decref(j_ready);
}

static void
check_request(const struct wf_definition *def, const json_t *j_request, uint32_t h)
{
    json_t *j_errors = json_array();
    char to[WF_NAME_MAX];
    const char *comment = NULL;
    struct wf_facts facts;
    struct wf_check check;

    int rc = wf_request_decode(j_request, to, &comment, j_errors);
    fuzz_errors_ok(rc, j_errors, 0, "wf_request_decode");
    if (rc == ERR_OK) {
        static const char *const members[] = {"to", "comment", NULL};
        FUZZ_CHECK(members_known(j_request, members));
        FUZZ_CHECK(to[0] != '\0' && strlen(to) < WF_NAME_MAX);
        FUZZ_CHECK(comment == NULL || strlen(comment) <= WF_COMMENT_MAX);
        if (def != NULL) {
            facts_from(h, def, &facts);
            facts.comment_given = comment != NULL;
            rc = wf_check(def, def->states[def->initial].name, to, &facts, &check);
            FUZZ_CHECK(rc == ERR_OK || rc == ERR_TRANSITION);
        }
    }
    json_decref(j_errors);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *a, *b;
    size_t an, bn;
    bool two = fuzz_split(data, size, &a, &an, &b, &bn);
    json_t *j_def = fuzz_json_body(a, an), *j_request = two ? fuzz_json_body(b, bn) : NULL;
    json_t *j_errors = json_array();
    struct wf_definition *def = NULL;
    uint32_t h = hash(data, size);

    if (j_def != NULL) {
        int rc = wf_definition_parse(j_def, &def, j_errors);
        fuzz_errors_ok(rc, j_errors, 0, "wf_definition_parse");
        FUZZ_CHECK((rc == ERR_OK) == (def != NULL));
        if (def != NULL) {
            check_definition(def);
            check_represented(j_def, def);
            walk(def, h);
        }
    }
    if (j_request != NULL)
        check_request(def, j_request, h);
    wf_definition_free(def);
    json_decref(j_errors);
    json_decref(j_request);
    json_decref(j_def);
    return 0;
}
