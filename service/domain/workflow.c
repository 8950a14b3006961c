/* workflow.c - workflow definitions, the guard library and the engine (workflow.h). */
#include "workflow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct guard_entry {
    const char *name;
    const char *detail;
    bool (*met)(const struct wf_facts *f);
};

static bool
g_comment_given(const struct wf_facts *f)
{
    return f->comment_given;
}

static bool
g_has_correction(const struct wf_facts *f)
{
    return f->corrections > 0;
}

static bool
g_root_cause_complete(const struct wf_facts *f)
{
    return f->root_cause_complete;
}

static bool
g_corrective_action_planned(const struct wf_facts *f)
{
    return f->corrective_actions_planned > 0;
}

static bool
g_actions_finished(const struct wf_facts *f)
{
    return f->actions_open == 0 && f->actions_done > 0;
}

static bool
g_review_scheduled(const struct wf_facts *f)
{
    return f->reviews_scheduled > 0;
}

static bool
g_review_effective(const struct wf_facts *f)
{
    return f->latest_verdict == WF_VERDICT_EFFECTIVE;
}

static bool
g_isms_change_decided(const struct wf_facts *f)
{
    return f->isms_changes > 0;
}

static bool
g_closure_approved_if_major(const struct wf_facts *f)
{
    return f->severity != CASE_SEV_MAJOR || f->closure_approved;
}

static bool
g_improvement_approved(const struct wf_facts *f)
{
    return f->improvement_approved;
}

static bool
g_improvement_action_planned(const struct wf_facts *f)
{
    return f->improvement_actions_planned > 0;
}

static const struct guard_entry guards[WF_GUARD__COUNT] = {
    [WF_GUARD_COMMENT_GIVEN] = {"comment_given", "a comment giving the reason is required",
                                g_comment_given},
    [WF_GUARD_HAS_CORRECTION] = {"has_correction", "at least one correction must be recorded",
                                 g_has_correction},
    [WF_GUARD_ROOT_CAUSE_COMPLETE] = {"root_cause_complete",
                                      "a complete root-cause analysis, with whether similar "
                                      "nonconformities exist answered, must be recorded",
                                      g_root_cause_complete},
    [WF_GUARD_CORRECTIVE_ACTION_PLANNED] = {"corrective_action_planned",
                                            "at least one corrective action with an assignee "
                                            "and a due date must be planned",
                                            g_corrective_action_planned},
    [WF_GUARD_ACTIONS_FINISHED] = {"actions_finished",
                                   "every action must be done or cancelled, at least one done",
                                   g_actions_finished},
    [WF_GUARD_REVIEW_SCHEDULED] = {"review_scheduled", "an effectiveness review must be scheduled",
                                   g_review_scheduled},
    [WF_GUARD_REVIEW_EFFECTIVE] = {"review_effective",
                                   "the latest effectiveness review must find the actions "
                                   "effective",
                                   g_review_effective},
    [WF_GUARD_ISMS_CHANGE_DECIDED] = {"isms_change_decided",
                                      "an ISMS change, or the decision that none is needed, "
                                      "must be recorded",
                                      g_isms_change_decided},
    [WF_GUARD_CLOSURE_APPROVED_IF_MAJOR] = {"closure_approved_if_major",
                                            "a major nonconformity needs an approval of step "
                                            "closure",
                                            g_closure_approved_if_major},
    [WF_GUARD_IMPROVEMENT_APPROVED] = {"improvement_approved",
                                       "an approval of step approve must be recorded",
                                       g_improvement_approved},
    [WF_GUARD_IMPROVEMENT_ACTION_PLANNED] = {"improvement_action_planned",
                                             "at least one improvement action with an assignee "
                                             "and a due date must be planned",
                                             g_improvement_action_planned},
};

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
    case_error_add(j_errors, field, code, detail);
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
            strcmp(key, "roles"))
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
    if (t.from >= 0 && def->states[t.from].terminal)
        add_error(j_errors, field, "terminal_exit", "terminal state %s cannot have exits", from);

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
    if ((int)json_array_size(j_errors) == n_errors && t.from >= 0 && t.to >= 0)
        def->transitions[def->n_transitions++] = t;
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
    if ((def = calloc(1, sizeof *def)) == NULL) {
        rc = ERR_INTERNAL;
        goto out;
    }
    json_object_foreach((json_t *)j, key, v)
    {
        (void)v;
        if (strcmp(key, "kind") && strcmp(key, "initial") && strcmp(key, "states") &&
            strcmp(key, "transitions") && strcmp(key, "sla_days"))
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
        if (!guards[t->guards[g]].met(facts))
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
        json_array_append_new(
            j_options, json_pack("{s:s, s:b, s:o, s:o}", "to", def->states[t->to].name, "allowed",
                                 check.n_unmet == 0, "roles", j_roles, "unmet_guards", j_unmet));
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
        case_error_add(j_errors, "", "type", "the request body must be a JSON object");
        return ERR_INVALID;
    }
    json_object_foreach((json_t *)j, key, v)
    {
        if (strcmp(key, "to") == 0) {
            const char *s = json_string_value(v);
            if (s == NULL || json_string_length(v) != strlen(s) || !name_valid(s))
                case_error_add(j_errors, "to", "format",
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
        case_error_add(j_errors, "to", "required", "is required");
    return (int)json_array_size(j_errors) > n_errors ? ERR_INVALID : ERR_OK;
}

static json_t *
element(const char *clause, bool present, const char *detail)
{
    return json_pack("{s:s, s:b, s:s}", "clause", clause, "present", present, "detail", detail);
}

json_t *
wf_readiness_json(const struct wf_facts *f)
{
    char reaction[64], actions[96], isms[64], evidence[64];
    bool actions_done = f->actions_done > 0 && f->actions_open == 0;
    snprintf(reaction, sizeof reaction, "%d correction(s) recorded", f->corrections);
    snprintf(actions, sizeof actions, "%d action(s) done, %d open or in progress", f->actions_done,
             f->actions_open);
    snprintf(isms, sizeof isms, "%d ISMS change record(s)", f->isms_changes);
    snprintf(evidence, sizeof evidence, "%d evidence file(s)", f->evidence);
    bool effective = f->latest_verdict == WF_VERDICT_EFFECTIVE;
    bool complete = f->corrections > 0 && f->root_cause_complete && actions_done && effective &&
                    f->isms_changes > 0 && f->evidence > 0;
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "reaction",
        element("10.2 a", f->corrections > 0, reaction), "cause",
        element("10.2 b", f->root_cause_complete,
                f->root_cause_complete ? "root cause analysed, similar nonconformities considered"
                                       : "no root-cause analysis recorded"),
        "actions", element("10.2 c", actions_done, actions), "effectiveness",
        element("10.2 d", effective,
                f->latest_verdict == WF_VERDICT_EFFECTIVE       ? "latest review: effective"
                : f->latest_verdict == WF_VERDICT_NOT_EFFECTIVE ? "latest review: not effective"
                                                                : "no verdict recorded"),
        "isms_changes", element("10.2 e", f->isms_changes > 0, isms), "evidence",
        element("10.2 f-g", f->evidence > 0, evidence), "complete", complete);
}
