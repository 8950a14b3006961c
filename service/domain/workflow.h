/*
 * workflow.h - workflows as data, and the engine that applies them. Pure: no I/O.
 *
 * A definition (JSON, stored in the database, versioned) names the states, the
 * initial state, the transitions with the guards and roles of each, and the
 * SLA days per severity. Guards are chosen from the library below; each reads
 * facts about a case that the store supplies.
 *
 *   wf_definition_parse  validate JSON into a definition (per-problem errors)
 *   wf_definition_free
 *   wf_state_find        index of a state by name
 *   wf_check             may a case in state `from` with these facts move to `to`?
 *   wf_options_json      every transition out of a state, with its unmet guards
 *   wf_sla_days          contain/close days for a severity
 *   wf_guard_name, wf_guard_detail
 */
#ifndef CAPA_WORKFLOW_H
#define CAPA_WORKFLOW_H

#include <jansson.h>
#include <stdbool.h>

#include "case.h"

#define WF_MAX_STATES 32
#define WF_MAX_TRANSITIONS 128
#define WF_MAX_GUARDS 8
#define WF_NAME_MAX 64

enum wf_guard {
    WF_GUARD_COMMENT_GIVEN,
    WF_GUARD_HAS_CORRECTION,
    WF_GUARD_ROOT_CAUSE_COMPLETE,
    WF_GUARD_CORRECTIVE_ACTION_PLANNED,
    WF_GUARD_ACTIONS_FINISHED,
    WF_GUARD_REVIEW_SCHEDULED,
    WF_GUARD_REVIEW_EFFECTIVE,
    WF_GUARD_ISMS_CHANGE_DECIDED,
    WF_GUARD_CLOSURE_APPROVED_IF_MAJOR,
    WF_GUARD_IMPROVEMENT_APPROVED,
    WF_GUARD_IMPROVEMENT_ACTION_PLANNED,
    WF_GUARD__COUNT
};

enum wf_role {
    WF_ROLE_VIEWER,
    WF_ROLE_REPORTER,
    WF_ROLE_CONTRIBUTOR,
    WF_ROLE_APPROVER,
    WF_ROLE_ADMIN,
    WF_ROLE__COUNT
};

enum wf_verdict { WF_VERDICT_NONE, WF_VERDICT_EFFECTIVE, WF_VERDICT_NOT_EFFECTIVE };

/*
 * What the guards read. The store fills it from the case's records; records
 * that do not exist yet count as absent (zero).
 */
struct wf_facts {
    enum case_severity severity;
    bool comment_given;              /* the transition request carries a comment */
    int corrections;                 /* corrections recorded */
    bool root_cause_complete;        /* analysis with statement and similar_exist answered */
    int corrective_actions_planned;  /* corrective actions with assignee and due date */
    int improvement_actions_planned; /* improvement actions with assignee and due date */
    int actions_open;                /* actions open or in progress */
    int actions_done;                /* actions done */
    int reviews_scheduled;           /* effectiveness reviews scheduled, no verdict yet */
    enum wf_verdict latest_verdict;  /* verdict of the latest effectiveness review */
    int isms_changes;                /* ISMS changes or a "none needed" decision */
    bool closure_approved;           /* an approval of step "closure" */
    bool improvement_approved;       /* an approval of step "approve" */
    int evidence;                    /* evidence files (not a guard: readiness, 10.2 f-g) */
};

struct wf_state {
    char name[WF_NAME_MAX];
    bool terminal;
    bool contained; /* reaching it satisfies the containment deadline */
};

struct wf_transition {
    int from;
    int to;
    int n_guards;
    enum wf_guard guards[WF_MAX_GUARDS];
    unsigned roles; /* bit set of 1u << enum wf_role */
};

struct wf_sla {
    bool present;
    int contain_days; /* -1: none */
    int close_days;   /* -1: none */
};

struct wf_definition {
    enum case_kind kind;
    int initial;
    int n_states;
    struct wf_state states[WF_MAX_STATES];
    int n_transitions;
    struct wf_transition transitions[WF_MAX_TRANSITIONS];
    struct wf_sla sla[CASE_SEV__COUNT];
};

/*
 * Validate a definition: exactly one initial state that exists, unique state
 * names, every state reachable from the initial one, terminal states without
 * exits, non-terminal states with at least one, every guard and role known, an
 * SLA for each severity of the kind. Returns 0 with *out set (free with
 * wf_definition_free), ERR_INVALID with entries appended to j_errors, or
 * ERR_INTERNAL when out of memory.
 */
int wf_definition_parse(const json_t *j, struct wf_definition **out, json_t *j_errors);
void wf_definition_free(struct wf_definition *def);

/* Index of the named state, or -1. */
int wf_state_find(const struct wf_definition *def, const char *name);

/* The outcome of asking the engine about one move. */
struct wf_check {
    const struct wf_transition *transition; /* NULL: no transition from -> to */
    int n_unmet;
    enum wf_guard unmet[WF_MAX_GUARDS];
};

/*
 * Returns 0 when the move is allowed, ERR_TRANSITION when it is not (no such
 * transition, or guards unmet: see out), ERR_NOT_FOUND when `from` is not a
 * state of def.
 */
int wf_check(const struct wf_definition *def, const char *from, const char *to,
             const struct wf_facts *facts, struct wf_check *out);

/*
 * Every transition out of `from` as a new JSON array:
 * [{"to": "...", "allowed": bool, "roles": [...], "unmet_guards": [{"guard", "detail"}]}].
 */
json_t *wf_options_json(const struct wf_definition *def, const char *from,
                        const struct wf_facts *facts);

/*
 * What stands between a case and closure, by element of ISO/IEC 27001:2022
 * clause 10.2: {"reaction", "cause", "actions", "effectiveness",
 * "isms_changes", "evidence": {"clause", "present", "detail"}, "complete"}.
 * A new reference (NULL only when out of memory).
 */
json_t *wf_readiness_json(const struct wf_facts *f);

/* The SLA days for a severity; both -1 when the definition has none. */
void wf_sla_days(const struct wf_definition *def, enum case_severity sev, int *contain_days,
                 int *close_days);

/*
 * Validate a transition request {"to": state, "comment": text?}. Fills to and
 * *comment (borrowed from j, NULL when absent). Returns 0 or ERR_INVALID with
 * entries appended to j_errors.
 */
#define WF_COMMENT_MAX 20000
int wf_request_decode(const json_t *j, char to[WF_NAME_MAX], const char **comment,
                      json_t *j_errors);

const char *wf_guard_name(enum wf_guard g);
/* What the guard requires, as a sentence fragment for problem details. */
const char *wf_guard_detail(enum wf_guard g);
const char *wf_role_name(enum wf_role r);
int wf_role_from_text(const char *s);

#endif
