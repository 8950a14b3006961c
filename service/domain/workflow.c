/* workflow.c - workflow definitions, the guard library and the engine (workflow.h). */
#include "workflow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "field.h"
#include "mem.h"

struct guard_entry {
    const char *name;
    const char *detail;
    bool (*met)(const struct wf_facts *f, const struct wf_transition *t);
    const char *step; /* an approval guard: the default name of its step; NULL otherwise */
};

static bool
g_comment_given(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->comment_given;
}

static bool
g_has_correction(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->corrections > 0;
}

static bool
g_root_cause_complete(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->root_cause_complete;
}

static bool
g_corrective_action_planned(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->corrective_actions_planned > 0;
}

static bool
g_actions_finished(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->actions_open == 0 && f->actions_done > 0;
}

static bool
g_review_scheduled(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->reviews_scheduled > 0;
}

static bool
g_review_effective(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->latest_verdict == WF_VERDICT_EFFECTIVE;
}

static bool
g_isms_change_decided(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->isms_changes > 0;
}

/* The latest decision on the transition's approval step, this cycle, is approve. */
static bool
g_approved(const struct wf_facts *f, const struct wf_transition *t)
{
    return t->step[0] != '\0' && wf_facts_approved(f, t->step);
}

static bool
g_closure_approved_if_major(const struct wf_facts *f, const struct wf_transition *t)
{
    return f->severity != CASE_SEV_MAJOR || g_approved(f, t);
}

static bool
g_improvement_action_planned(const struct wf_facts *f, const struct wf_transition *t)
{
    (void)t;
    return f->improvement_actions_planned > 0;
}

static const struct guard_entry guards[WF_GUARD__COUNT] = {
    [WF_GUARD_COMMENT_GIVEN] = {"comment_given", "a comment giving the reason is required",
                                g_comment_given, NULL},
    [WF_GUARD_HAS_CORRECTION] = {"has_correction", "at least one correction must be recorded",
                                 g_has_correction, NULL},
    [WF_GUARD_ROOT_CAUSE_COMPLETE] = {"root_cause_complete",
                                      "a complete root-cause analysis, with whether similar "
                                      "nonconformities exist answered, must be recorded in this "
                                      "cycle",
                                      g_root_cause_complete, NULL},
    [WF_GUARD_CORRECTIVE_ACTION_PLANNED] = {"corrective_action_planned",
                                            "at least one corrective action with an assignee "
                                            "and a due date must be planned in this cycle",
                                            g_corrective_action_planned, NULL},
    [WF_GUARD_ACTIONS_FINISHED] = {"actions_finished",
                                   "every action must be done or cancelled, at least one of "
                                   "this cycle done",
                                   g_actions_finished, NULL},
    [WF_GUARD_REVIEW_SCHEDULED] = {"review_scheduled",
                                   "an effectiveness review must be scheduled in this cycle",
                                   g_review_scheduled, NULL},
    [WF_GUARD_REVIEW_EFFECTIVE] = {"review_effective",
                                   "the latest effectiveness review of this cycle must find the "
                                   "actions effective",
                                   g_review_effective, NULL},
    [WF_GUARD_ISMS_CHANGE_DECIDED] = {"isms_change_decided",
                                      "an ISMS change, or the decision that none is needed, "
                                      "must be recorded in this cycle",
                                      g_isms_change_decided, NULL},
    [WF_GUARD_CLOSURE_APPROVED_IF_MAJOR] = {"closure_approved_if_major",
                                            "a major nonconformity needs an approver's sign-off: "
                                            "an approval of this transition's step",
                                            g_closure_approved_if_major, "closure"},
    [WF_GUARD_IMPROVEMENT_APPROVED] = {"improvement_approved",
                                       "an approver must approve the proposal: an approval of "
                                       "this transition's step",
                                       g_approved, "approve"},
    [WF_GUARD_IMPROVEMENT_ACTION_PLANNED] = {"improvement_action_planned",
                                             "at least one improvement action with an assignee "
                                             "and a due date must be planned in this cycle",
                                             g_improvement_action_planned, NULL},
    [WF_GUARD_APPROVED] = {"approved", "an approval of this transition's step must be recorded",
                           g_approved, ""},
    [WF_GUARD_BENEFIT_CONFIRMED] = {"benefit_confirmed",
                                    "a review of this cycle must find the improvement's benefit "
                                    "realised (verdict effective)",
                                    g_review_effective, NULL},
};

/* Whether a guard is one of approval: it reads a step's decision. */
static bool
approval_guard(enum wf_guard g)
{
    return guards[g].step != NULL;
}

/* Whether a guard asks for an effective verdict: its transition leaves the verification state. */
static bool
verdict_guard(enum wf_guard g)
{
    return g == WF_GUARD_REVIEW_EFFECTIVE || g == WF_GUARD_BENEFIT_CONFIRMED;
}

static const char *const role_names[WF_ROLE__COUNT] = {"viewer", "reporter", "contributor",
                                                       "approver", "admin"};

const char *
wf_guard_name(enum wf_guard g)
{
    return guards[g].name;
}

const char *
wf_guard_detail(enum wf_guard g)
{
    return guards[g].detail;
}

const char *
wf_role_name(enum wf_role r)
{
    return role_names[r];
}

int
wf_role_from_text(const char *s)
{
    for (int i = 0; i < WF_ROLE__COUNT; i++)
        if (strcmp(role_names[i], s) == 0)
            return i;
    return -1;
}

static int
guard_from_text(const char *s)
{
    for (int i = 0; i < WF_GUARD__COUNT; i++)
        if (strcmp(guards[i].name, s) == 0)
            return i;
    return -1;
}

int
wf_state_find(const struct wf_definition *def, const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < def->n_states; i++)
        if (strcmp(def->states[i].name, name) == 0)
            return i;
    return -1;
}

void
wf_definition_free(struct wf_definition *def)
{
    free(def);
}

static bool
name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= WF_NAME_MAX || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static void add_error(json_t *j_errors, const char *field, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add_error(json_t *j_errors, const char *field, const char *code, const char *fmt, ...)
{
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    field_error_add(j_errors, field, code, detail);
}

static bool
bool_member(const json_t *j, const char *key, const char *field, json_t *j_errors)
{
    const json_t *v = json_object_get(j, key);
    if (v != NULL && !json_is_boolean(v)) {
        char name[96];
        snprintf(name, sizeof name, "%s.%s", field, key);
        add_error(j_errors, name, "type", "must be a boolean");
    }
    return json_is_true(v);
}

static void
parse_states(const json_t *j_states, struct wf_definition *def, json_t *j_errors)
{
    char field[64];
    size_t i;
    json_t *j_state;

    if (!json_is_array(j_states) || json_array_size(j_states) == 0) {
        add_error(j_errors, "states", "required", "must be a non-empty array of states");
        return;
    }
    if (json_array_size(j_states) > WF_MAX_STATES) {
        add_error(j_errors, "states", "too_many", "must have at most 32 states");
        return;
    }
    json_array_foreach(j_states, i, j_state)
    {
        snprintf(field, sizeof field, "states[%zu]", i);
        const char *name = json_string_value(json_object_get(j_state, "name"));
        if (!json_is_object(j_state) || name == NULL || !name_valid(name)) {
            add_error(j_errors, field, "format",
                      "must be an object whose name is 1 to 63 lower-case letters, digits or "
                      "'_'");
            continue;
        }
        if (wf_state_find(def, name) >= 0) {
            add_error(j_errors, field, "duplicate", "state %s is defined twice", name);
            continue;
        }
        const char *key;
        json_t *v;
        json_object_foreach(j_state, key, v)
        {
            (void)v;
            if (strcmp(key, "name") && strcmp(key, "terminal") && strcmp(key, "contained"))
                add_error(j_errors, field, "unknown", "unknown member %s", key);
        }
        struct wf_state *st = &def->states[def->n_states++];
        snprintf(st->name, sizeof st->name, "%s", name);
        st->terminal = bool_member(j_state, "terminal", field, j_errors);
        st->contained = bool_member(j_state, "contained", field, j_errors);
    }
}

/* The approval step of t (its "approval" member, or its approval guard's default), registered. */
static void
parse_step(const json_t *j_t, const char *field, struct wf_transition *t, struct wf_definition *def,
           json_t *j_errors)
{
    char name[96];
    const json_t *j_step = json_object_get(j_t, "approval");
    const char *step = json_string_value(j_step);
    int approvals = 0;
    enum wf_guard g = WF_GUARD__COUNT;

    t->step[0] = '\0';
    for (int i = 0; i < t->n_guards; i++)
        if (approval_guard(t->guards[i]))
            approvals++, g = t->guards[i];
    snprintf(name, sizeof name, "%s.approval", field);
    if (j_step != NULL && (step == NULL || !name_valid(step))) {
        add_error(j_errors, name, "format",
                  "must be a step name: 1 to 63 lower-case letters, digits or '_'");
        return;
    }
    if (approvals > 1) {
        add_error(j_errors, field, "approvals", "a transition has at most one approval guard");
        return;
    }
    if (approvals == 0) {
        if (j_step != NULL)
            add_error(j_errors, name, "no_approval_guard",
                      "names the step of an approval guard: add approved, "
                      "closure_approved_if_major or improvement_approved");
        return;
    }
    if (step == NULL)
        step = guards[g].step;
    if (step[0] == '\0') {
        add_error(j_errors, name, "required", "the approved guard needs its step's name");
        return;
    }
    if (wf_step_find(def, step) >= 0) {
        add_error(j_errors, name, "duplicate", "step %s is defined twice", step);
        return;
    }
    if (def->n_steps == WF_MAX_STEPS) {
        add_error(j_errors, name, "too_many", "a workflow has at most 16 approval steps");
        return;
    }
    snprintf(def->steps[def->n_steps].name, WF_NAME_MAX, "%s", step);
    def->steps[def->n_steps++].transition = def->n_transitions;
    snprintf(t->step, sizeof t->step, "%s", step);
}

static void
parse_transition(const json_t *j_t, const char *field, struct wf_definition *def, json_t *j_errors)
{
    char name[96];
    size_t i;
    json_t *v;
    struct wf_transition t = {.from = -1, .to = -1};
    int n_errors = (int)json_array_size(j_errors);
    const char *key;

    if (!json_is_object(j_t)) {
        add_error(j_errors, field, "type", "must be an object");
        return;
    }
    json_object_foreach((json_t *)j_t, key, v)
    {
        if (strcmp(key, "from") && strcmp(key, "to") && strcmp(key, "guards") &&
            strcmp(key, "roles") && strcmp(key, "approval") && strcmp(key, "reopen"))
            add_error(j_errors, field, "unknown", "unknown member %s", key);
    }
    const char *from = json_string_value(json_object_get(j_t, "from"));
    const char *to = json_string_value(json_object_get(j_t, "to"));
    snprintf(name, sizeof name, "%s.from", field);
    if ((t.from = wf_state_find(def, from)) < 0)
        add_error(j_errors, name, "unknown_state", "%s is not a state of this workflow",
                  from ? from : "(missing)");
    snprintf(name, sizeof name, "%s.to", field);
    if ((t.to = wf_state_find(def, to)) < 0)
        add_error(j_errors, name, "unknown_state", "%s is not a state of this workflow",
                  to ? to : "(missing)");
    if (t.from >= 0 && t.from == t.to)
        add_error(j_errors, field, "loop", "a transition from %s to itself is not allowed", from);
    t.reopen = bool_member(j_t, "reopen", field, j_errors);
    if (t.from >= 0 && def->states[t.from].terminal && !t.reopen)
        add_error(j_errors, field, "terminal_exit",
                  "terminal state %s can only be left by a reopening (\"reopen\": true)", from);
    if (t.from >= 0 && !def->states[t.from].terminal && t.reopen)
        add_error(j_errors, field, "reopen",
                  "only a transition out of a terminal state reopens a case");
    if (t.to >= 0 && def->states[t.to].terminal && t.reopen)
        add_error(j_errors, field, "reopen", "a reopening leads to a state that is not terminal");

    const json_t *j_guards = json_object_get(j_t, "guards");
    snprintf(name, sizeof name, "%s.guards", field);
    if (j_guards != NULL && !json_is_array(j_guards))
        add_error(j_errors, name, "type", "must be an array of guard names");
    else if (json_array_size(j_guards) > WF_MAX_GUARDS)
        add_error(j_errors, name, "too_many", "must have at most 8 guards");
    json_array_foreach(j_guards, i, v)
    {
        if (i >= WF_MAX_GUARDS)
            break; /* reported as too_many above */
        snprintf(name, sizeof name, "%s.guards[%zu]", field, i);
        int g = json_is_string(v) ? guard_from_text(json_string_value(v)) : -1;
        if (g < 0)
            add_error(j_errors, name, "unknown_guard", "%s is not in the guard library",
                      json_is_string(v) ? json_string_value(v) : "(not a string)");
        else
            t.guards[t.n_guards++] = (enum wf_guard)g;
    }
    bool commented = false;
    for (int g = 0; g < t.n_guards; g++)
        commented = commented || t.guards[g] == WF_GUARD_COMMENT_GIVEN;
    if (t.reopen && !commented)
        add_error(j_errors, field, "reopen",
                  "a reopening needs the comment_given guard: its reason is recorded");

    const json_t *j_roles = json_object_get(j_t, "roles");
    snprintf(name, sizeof name, "%s.roles", field);
    if (!json_is_array(j_roles) || json_array_size(j_roles) == 0)
        add_error(j_errors, name, "required", "must be a non-empty array of role names");
    json_array_foreach(j_roles, i, v)
    {
        snprintf(name, sizeof name, "%s.roles[%zu]", field, i);
        int r = json_is_string(v) ? wf_role_from_text(json_string_value(v)) : -1;
        if (r < 0)
            add_error(j_errors, name, "unknown_role", "%s is not a role",
                      json_is_string(v) ? json_string_value(v) : "(not a string)");
        else
            t.roles |= 1u << r;
    }

    for (int k = 0; k < def->n_transitions; k++)
        if (def->transitions[k].from == t.from && def->transitions[k].to == t.to && t.from >= 0)
            add_error(j_errors, field, "duplicate", "the transition to %s is defined twice", to);
    /* check_graph indexes states by from and to: never keep one that names no state */
    if ((int)json_array_size(j_errors) != n_errors || t.from < 0 || t.to < 0)
        return;
    parse_step(j_t, field, &t, def, j_errors);
    if ((int)json_array_size(j_errors) == n_errors)
        def->transitions[def->n_transitions++] = t;
}

/* A top-level member naming a state that is not terminal: its index, -1 when invalid, -2 when
 * absent. */
static int
state_member(const json_t *j, const char *key, const struct wf_definition *def, json_t *j_errors)
{
    const json_t *v = json_object_get(j, key);
    if (v == NULL)
        return -2;
    int s = wf_state_find(def, json_string_value(v));
    if (s < 0 || def->states[s].terminal) {
        add_error(j_errors, key, "unknown_state",
                  "must name a state of this workflow that is not "
                  "terminal");
        return -1;
    }
    return s;
}

/* verification and on_not_effective, or what definitions without them mean (workflow.h). */
static void
parse_cycle_states(const json_t *j, struct wf_definition *def, json_t *j_errors)
{
    def->verification = state_member(j, "verification", def, j_errors);
    if (def->verification == -2) {
        def->verification = -1;
        for (int i = 0; i < def->n_transitions && def->verification < 0; i++)
            for (int g = 0; g < def->transitions[i].n_guards; g++)
                if (verdict_guard(def->transitions[i].guards[g]))
                    def->verification = def->transitions[i].from;
    }
    def->on_not_effective = state_member(j, "on_not_effective", def, j_errors);
    if (def->on_not_effective == -2) {
        int s = wf_state_find(def, "analysed");
        def->on_not_effective = s >= 0 && !def->states[s].terminal ? s : -1;
    }
}

static int
sla_value(const json_t *v, const char *field, json_t *j_errors)
{
    if (v == NULL || json_is_null(v))
        return -1;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > CASE_SLA_DAYS_MAX) {
        add_error(j_errors, field, "range", "must be null or whole days from 0 to 3650");
        return -1;
    }
    return (int)json_integer_value(v);
}

static void
parse_sla(const json_t *j_sla, struct wf_definition *def, json_t *j_errors)
{
    char field[96];
    const char *key;
    json_t *v;

    if (!json_is_object(j_sla)) {
        add_error(j_errors, "sla_days", "required", "must be an object keyed by severity");
        return;
    }
    json_object_foreach((json_t *)j_sla, key, v)
    {
        snprintf(field, sizeof field, "sla_days.%.60s", key);
        int sev = case_severity_from_text(key);
        if (sev < 0 || !case_severity_allowed(def->kind, (enum case_severity)sev)) {
            add_error(j_errors, field, "unknown_severity", "%s is not a severity of this kind",
                      key);
            continue;
        }
        if (!json_is_object(v) || json_object_size(v) != 2 || !json_object_get(v, "contain") ||
            !json_object_get(v, "close")) {
            add_error(j_errors, field, "format",
                      "must be {\"contain\": days|null, \"close\": days|null}");
            continue;
        }
        struct wf_sla *s = &def->sla[sev];
        s->present = true;
        snprintf(field, sizeof field, "sla_days.%.40s.contain", key);
        s->contain_days = sla_value(json_object_get(v, "contain"), field, j_errors);
        snprintf(field, sizeof field, "sla_days.%.40s.close", key);
        s->close_days = sla_value(json_object_get(v, "close"), field, j_errors);
    }
    for (int sev = 0; sev < CASE_SEV__COUNT; sev++) {
        if (case_severity_allowed(def->kind, (enum case_severity)sev) && !def->sla[sev].present) {
            snprintf(field, sizeof field, "sla_days.%s", case_severity_text(sev));
            add_error(j_errors, field, "required", "an SLA for severity %s is required",
                      case_severity_text(sev));
        }
    }
}

/* Every state reachable from the initial one; non-terminal states need an exit. */
static void
check_graph(const struct wf_definition *def, json_t *j_errors)
{
    bool seen[WF_MAX_STATES] = {false};
    int queue[WF_MAX_STATES], head = 0, tail = 0;

    seen[def->initial] = true;
    queue[tail++] = def->initial;
    while (head < tail) {
        int s = queue[head++];
        for (int i = 0; i < def->n_transitions; i++) {
            const struct wf_transition *t = &def->transitions[i];
            if (t->from == s && !seen[t->to]) {
                seen[t->to] = true;
                queue[tail++] = t->to;
            }
        }
    }
    for (int s = 0; s < def->n_states; s++) {
        char field[64];
        snprintf(field, sizeof field, "states[%d]", s);
        if (!seen[s])
            add_error(j_errors, field, "unreachable",
                      "state %s cannot be reached from the initial state", def->states[s].name);
        bool exits = false;
        for (int i = 0; i < def->n_transitions; i++)
            exits = exits || def->transitions[i].from == s;
        if (!def->states[s].terminal && !exits)
            add_error(j_errors, field, "dead_end",
                      "state %s is not terminal but has no transition out", def->states[s].name);
    }
}

int
wf_definition_parse(const json_t *j, struct wf_definition **out, json_t *j_errors)
{
    struct wf_definition *def = NULL;
    int n_errors = (int)json_array_size(j_errors);
    size_t i;
    json_t *v;
    const char *key;
    int rc = ERR_INVALID;

    *out = NULL;
    if (!json_is_object(j)) {
        add_error(j_errors, "", "type", "a workflow definition must be a JSON object");
        goto out;
    }
    def = mem_calloc(1, sizeof *def);
    json_object_foreach((json_t *)j, key, v)
    {
        (void)v;
        if (strcmp(key, "kind") && strcmp(key, "initial") && strcmp(key, "states") &&
            strcmp(key, "transitions") && strcmp(key, "sla_days") && strcmp(key, "verification") &&
            strcmp(key, "on_not_effective"))
            add_error(j_errors, key, "unknown", "%s is not a member of a workflow definition", key);
    }
    int kind = case_kind_from_text(json_string_value(json_object_get(j, "kind")));
    if (kind < 0) {
        add_error(j_errors, "kind", "enum", "must be nonconformity or improvement");
        goto out;
    }
    def->kind = (enum case_kind)kind;
    parse_states(json_object_get(j, "states"), def, j_errors);
    const char *initial = json_string_value(json_object_get(j, "initial"));
    def->initial = wf_state_find(def, initial);
    if (def->initial < 0)
        add_error(j_errors, "initial", "unknown_state",
                  "must name exactly one state of this workflow");
    else if (def->states[def->initial].terminal)
        add_error(j_errors, "initial", "terminal", "the initial state cannot be terminal");
    const json_t *j_transitions = json_object_get(j, "transitions");
    if (!json_is_array(j_transitions) || json_array_size(j_transitions) > WF_MAX_TRANSITIONS)
        add_error(j_errors, "transitions", "type", "must be an array of at most 128 transitions");
    else
        json_array_foreach(j_transitions, i, v)
        {
            char field[64];
            snprintf(field, sizeof field, "transitions[%zu]", i);
            parse_transition(v, field, def, j_errors);
        }
    parse_sla(json_object_get(j, "sla_days"), def, j_errors);
    if ((int)json_array_size(j_errors) > n_errors)
        goto out;
    parse_cycle_states(j, def, j_errors);
    if ((int)json_array_size(j_errors) > n_errors)
        goto out;
    check_graph(def, j_errors);
    if ((int)json_array_size(j_errors) > n_errors)
        goto out;
    *out = def;
    def = NULL;
    rc = ERR_OK;
out:
    free(def);
    return rc;
}

static const struct wf_transition *
find_transition(const struct wf_definition *def, int from, int to)
{
    for (int i = 0; i < def->n_transitions; i++)
        if (def->transitions[i].from == from && def->transitions[i].to == to)
            return &def->transitions[i];
    return NULL;
}

static void
evaluate(const struct wf_transition *t, const struct wf_facts *facts, struct wf_check *out)
{
    out->transition = t;
    out->n_unmet = 0;
    for (int g = 0; g < t->n_guards; g++)
        if (!guards[t->guards[g]].met(facts, t))
            out->unmet[out->n_unmet++] = t->guards[g];
}

int
wf_check(const struct wf_definition *def, const char *from, const char *to,
         const struct wf_facts *facts, struct wf_check *out)
{
    int f = wf_state_find(def, from);
    memset(out, 0, sizeof *out);
    if (f < 0)
        return ERR_NOT_FOUND;
    const struct wf_transition *t = find_transition(def, f, wf_state_find(def, to));
    if (t == NULL)
        return ERR_TRANSITION;
    evaluate(t, facts, out);
    return out->n_unmet == 0 ? ERR_OK : ERR_TRANSITION;
}

int
wf_step_find(const struct wf_definition *def, const char *name)
{
    for (int i = 0; name && i < def->n_steps; i++)
        if (strcmp(def->steps[i].name, name) == 0)
            return i;
    return -1;
}

const char *
wf_steps_text(const struct wf_definition *def, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < def->n_steps && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", def->steps[i].name);
    return buf;
}

bool
wf_facts_approved(const struct wf_facts *f, const char *step)
{
    for (int i = 0; i < f->n_approved; i++)
        if (strcmp(f->approved[i], step) == 0)
            return true;
    return false;
}

/* Record the latest decision on a step: approved steps are kept in the set, rejected leave it. */
static void
decide(struct wf_facts *f, const char *step, bool approve)
{
    int i = 0;
    while (i < f->n_approved && strcmp(f->approved[i], step) != 0)
        i++;
    if (approve && i == f->n_approved && f->n_approved < WF_MAX_STEPS)
        snprintf(f->approved[f->n_approved++], WF_NAME_MAX, "%s", step);
    else if (!approve && i < f->n_approved)
        memcpy(f->approved[i], f->approved[--f->n_approved], WF_NAME_MAX);
}

void
wf_facts_compute(enum case_kind kind, enum case_severity severity, int cycle,
                 const struct wf_record_fact *rows, int n, struct wf_facts *out)
{
    /* what counts as "the" action of this kind of case: corrective, or improvement */
    int own = kind == CASE_KIND_IMPROVEMENT ? REC_ACTION_IMPROVEMENT : REC_ACTION_CORRECTIVE;

    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->severity = severity;
    out->cycle = cycle;
    for (int i = 0; i < n; i++) {
        const struct wf_record_fact *r = &rows[i];
        bool now = r->cycle == cycle;
        switch (r->kind) {
        case REC_CORRECTION:
            out->corrections++;
            break;
        case REC_ROOT_CAUSE:
            out->root_cause_complete = out->root_cause_complete || now;
            break;
        case REC_ACTION: {
            bool open =
                r->action_status == REC_ACTION_OPEN || r->action_status == REC_ACTION_IN_PROGRESS;
            bool done = r->action_status == REC_ACTION_DONE;
            out->actions_open += open;
            if (!now)
                break;
            out->actions_done += done;
            out->corrective_actions_done += done && r->action_type == own;
            if (r->planned && r->action_status != REC_ACTION_CANCELLED) {
                out->corrective_actions_planned += r->action_type == REC_ACTION_CORRECTIVE;
                out->improvement_actions_planned += r->action_type == REC_ACTION_IMPROVEMENT;
            }
            break;
        }
        case REC_REVIEW:
            if (!now)
                break;
            if (r->verdict == WF_VERDICT_NONE)
                out->reviews_scheduled++;
            else
                out->latest_verdict = r->verdict;
            break;
        case REC_ISMS_CHANGE:
            out->isms_changes += now;
            break;
        case REC_APPROVAL:
            if (now && r->step[0])
                decide(out, r->step, r->approve);
            break;
        case REC_EVIDENCE:
            out->evidence++;
            break;
        default:
            break;
        }
    }
}

int
wf_approval_check(const struct wf_definition *def, const char *status, const struct wf_facts *facts,
                  int step, struct wf_check *out)
{
    memset(out, 0, sizeof *out);
    const struct wf_transition *t = &def->transitions[def->steps[step].transition];
    out->transition = t;
    if (wf_state_find(def, status) != t->from)
        return ERR_APPROVAL_ORDER;
    /* the facts the step needs: every guard but its own approval and the request's comment */
    for (int g = 0; g < t->n_guards; g++) {
        enum wf_guard guard = t->guards[g];
        if (!approval_guard(guard) && guard != WF_GUARD_COMMENT_GIVEN &&
            !guards[guard].met(facts, t))
            out->unmet[out->n_unmet++] = guard;
    }
    return out->n_unmet == 0 ? ERR_OK : ERR_APPROVAL_ORDER;
}

int
wf_verdict_check(const struct wf_definition *def, const char *status, const struct wf_facts *facts,
                 char *detail, size_t size)
{
    int s = wf_state_find(def, status);
    const char *own = facts->kind == CASE_KIND_IMPROVEMENT ? "improvement" : "corrective";

    if (s < 0 || def->states[s].terminal || (def->verification >= 0 && s != def->verification)) {
        if (def->verification >= 0)
            snprintf(detail, size, "a verdict is recorded while the case is %s; it is %s",
                     def->states[def->verification].name, status);
        else
            snprintf(detail, size, "a verdict cannot be recorded on a case that is %s", status);
        return ERR_VERDICT_ORDER;
    }
    if (facts->actions_open > 0) {
        snprintf(detail, size,
                 "every action must be done or cancelled before the verdict: %d open or in "
                 "progress",
                 facts->actions_open);
        return ERR_VERDICT_ORDER;
    }
    if (facts->corrective_actions_done == 0) {
        snprintf(detail, size, "a verdict judges what was done: no %s action of cycle %d is done",
                 own, facts->cycle);
        return ERR_VERDICT_ORDER;
    }
    return ERR_OK;
}

const char *
wf_reopen_text(const struct wf_definition *def, const char *status, char *buf, size_t size)
{
    int s = wf_state_find(def, status);
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < def->n_transitions && s >= 0; i++) {
        const struct wf_transition *t = &def->transitions[i];
        char roles[96] = "";
        size_t r_off = 0;
        if (t->from != s || !t->reopen || off >= size)
            continue;
        for (int r = 0; r < WF_ROLE__COUNT; r++)
            if (t->roles & (1u << r))
                r_off += (size_t)snprintf(roles + r_off, sizeof roles - r_off, "%s%s",
                                          r_off ? " or " : "", role_names[r]);
        off += (size_t)snprintf(buf + off, size - off,
                                "%s a transition to %s (role %s, with a "
                                "comment)",
                                off ? " or" : "reopen it with", def->states[t->to].name, roles);
    }
    if (buf[0] == '\0')
        snprintf(buf, size, "its workflow defines no reopening of a %s case", status);
    return buf;
}

json_t *
wf_options_json(const struct wf_definition *def, const char *from, const struct wf_facts *facts)
{
    json_t *j_options = json_array();
    int f = wf_state_find(def, from);
    for (int i = 0; i < def->n_transitions && f >= 0; i++) {
        const struct wf_transition *t = &def->transitions[i];
        struct wf_check check;
        if (t->from != f)
            continue;
        evaluate(t, facts, &check);
        json_t *j_unmet = json_array();
        for (int g = 0; g < check.n_unmet; g++)
            json_array_append_new(j_unmet,
                                  json_pack("{s:s, s:s}", "guard", wf_guard_name(check.unmet[g]),
                                            "detail", wf_guard_detail(check.unmet[g])));
        json_t *j_roles = json_array();
        for (int r = 0; r < WF_ROLE__COUNT; r++)
            if (t->roles & (1u << r))
                json_array_append_new(j_roles, json_string(role_names[r]));
        json_t *j_option =
            json_pack("{s:s, s:b, s:o, s:o}", "to", def->states[t->to].name, "allowed",
                      check.n_unmet == 0, "roles", j_roles, "unmet_guards", j_unmet);
        /* what sets a move apart, only where it applies */
        if (j_option != NULL && t->step[0])
            json_object_set_new(j_option, "approval_step", json_string(t->step));
        if (j_option != NULL && t->reopen)
            json_object_set_new(j_option, "reopen", json_true());
        json_array_append_new(j_options, j_option);
    }
    return j_options;
}

void
wf_sla_days(const struct wf_definition *def, enum case_severity sev, int *contain_days,
            int *close_days)
{
    const struct wf_sla *s = &def->sla[sev];
    *contain_days = s->present ? s->contain_days : -1;
    *close_days = s->present ? s->close_days : -1;
}

int
wf_request_decode(const json_t *j, char to[WF_NAME_MAX], const char **comment, json_t *j_errors)
{
    int n_errors = (int)json_array_size(j_errors);
    const char *key;
    json_t *v;

    to[0] = '\0';
    *comment = NULL;
    if (!json_is_object(j)) {
        field_error_add(j_errors, "", "type", "the request body must be a JSON object");
        return ERR_INVALID;
    }
    json_object_foreach((json_t *)j, key, v)
    {
        if (strcmp(key, "to") == 0) {
            const char *s = json_string_value(v);
            if (s == NULL || json_string_length(v) != strlen(s) || !name_valid(s))
                field_error_add(j_errors, "to", "format",
                                "must be the name of a state: 1 to 63 lower-case letters, "
                                "digits or '_'");
            else
                snprintf(to, WF_NAME_MAX, "%s", s);
        } else if (strcmp(key, "comment") == 0) {
            if (json_is_null(v))
                continue;
            /* it goes into the audit history: no control characters but newlines and tabs */
            *comment = case_text_field(v, "comment", WF_COMMENT_MAX, true, false, j_errors);
        } else {
            add_error(j_errors, key, "unknown", "%s is not a member of a transition request", key);
        }
    }
    if (json_object_get(j, "to") == NULL)
        field_error_add(j_errors, "to", "required", "is required");
    return (int)json_array_size(j_errors) > n_errors ? ERR_INVALID : ERR_OK;
}

static json_t *
element(const char *clause, bool present, const char *detail)
{
    return json_pack("{s:s, s:b, s:s}", "clause", clause, "present", present, "detail", detail);
}

/* Clause 10.2, a nonconformity's elements. */
static json_t *
readiness_nc(const struct wf_facts *f)
{
    char reaction[64], actions[96], isms[64], evidence[64];
    bool actions_done = f->actions_done > 0 && f->actions_open == 0;
    snprintf(reaction, sizeof reaction, "%d correction(s) recorded", f->corrections);
    snprintf(actions, sizeof actions, "%d action(s) of this cycle done, %d open or in progress",
             f->actions_done, f->actions_open);
    snprintf(isms, sizeof isms, "%d ISMS change record(s) in this cycle", f->isms_changes);
    snprintf(evidence, sizeof evidence, "%d evidence file(s)", f->evidence);
    bool effective = f->latest_verdict == WF_VERDICT_EFFECTIVE;
    bool complete = f->corrections > 0 && f->root_cause_complete && actions_done && effective &&
                    f->isms_changes > 0 && f->evidence > 0;
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:i}", "reaction",
        element("10.2 a", f->corrections > 0, reaction), "cause",
        element("10.2 b", f->root_cause_complete,
                f->root_cause_complete ? "root cause analysed in this cycle, similar "
                                         "nonconformities considered"
                                       : "no root-cause analysis recorded in this cycle"),
        "actions", element("10.2 c", actions_done, actions), "effectiveness",
        element("10.2 d", effective,
                f->latest_verdict == WF_VERDICT_EFFECTIVE ? "latest review of this cycle: effective"
                : f->latest_verdict == WF_VERDICT_NOT_EFFECTIVE
                    ? "latest review of this cycle: not effective"
                    : "no verdict recorded in this cycle"),
        "isms_changes", element("10.2 e", f->isms_changes > 0, isms), "evidence",
        element("10.2 f-g", f->evidence > 0, evidence), "complete", complete, "cycle", f->cycle);
}

/*
 * Clause 10.1, an opportunity for improvement: proposed, approved (a step of
 * its workflow approved in this cycle), done, shown, worth it.
 */
static json_t *
readiness_ofi(const struct wf_facts *f)
{
    char actions[96], evidence[64];
    bool approved = f->n_approved > 0;
    bool actions_done = f->corrective_actions_done > 0 && f->actions_open == 0;
    bool benefit = f->latest_verdict == WF_VERDICT_EFFECTIVE;
    snprintf(actions, sizeof actions,
             "%d improvement action(s) of this cycle done, %d open or in progress",
             f->corrective_actions_done, f->actions_open);
    snprintf(evidence, sizeof evidence, "%d evidence file(s)", f->evidence);
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:b, s:i}", "proposal",
        element("10.1", true, "the improvement is proposed"), "approval",
        element("10.1", approved,
                approved ? "approved by an approver" : "no approval of the proposal recorded"),
        "actions", element("10.1", actions_done, actions), "implementation",
        element("10.1", f->evidence > 0, evidence), "benefit",
        element("10.1", benefit,
                benefit ? "a review found the benefit realised"
                : f->latest_verdict == WF_VERDICT_NOT_EFFECTIVE
                    ? "the latest review found no benefit"
                    : "no review of the benefit recorded in this cycle"),
        "complete", approved && actions_done && f->evidence > 0 && benefit, "cycle", f->cycle);
}

json_t *
wf_readiness_json(const struct wf_facts *f)
{
    return f->kind == CASE_KIND_IMPROVEMENT ? readiness_ofi(f) : readiness_nc(f);
}
