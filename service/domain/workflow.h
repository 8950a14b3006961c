/*
 * workflow.h - workflows as data, and the engine that applies them. Pure: no I/O.
 *
 * A definition (JSON, stored in the database, versioned) names the states, the
 * initial state, the transitions with the guards and roles of each, the
 * approval steps, the state where effectiveness is verified, where a case goes
 * when its actions were not effective, and the SLA days per severity. Guards
 * are chosen from the library below; each reads facts that wf_facts_compute
 * derives from the case's records.
 *
 *   wf_definition_parse  validate JSON into a definition (per-problem errors)
 *   wf_definition_free
 *   wf_state_find        index of a state by name
 *   wf_step_find         index of an approval step by name; wf_steps_text lists them
 *   wf_facts_compute     the guards' facts from a case's records, for its cycle
 *   wf_check             may a case in state `from` with these facts move to `to`?
 *   wf_approval_check    may an approval of a step be given now?
 *   wf_verdict_check     may an effectiveness verdict be recorded now?
 *   wf_reopen_text       how a case in a terminal state can be reopened (for problems)
 *   wf_options_json      every transition out of a state, with its unmet guards
 *   wf_readiness_json    what stands between a case and closure, per clause element
 *   wf_sla_days          contain/close days for a severity
 *   wf_guard_name, wf_guard_detail
 *
 * Cycles. A case starts in cycle 1; a not_effective verdict, and every
 * reopening of a closed case, starts the next. Records carry the cycle they
 * were written in, and the guards count the records of the case's current
 * cycle only, so that a second cycle needs its own root-cause analysis,
 * corrective actions, review and ISMS decision. Two facts look at every
 * cycle (struct wf_facts): the corrections, and the actions still open.
 */
#ifndef CAPA_WORKFLOW_H
#define CAPA_WORKFLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "case.h"
#include "record.h"

#define WF_MAX_STATES 32
#define WF_MAX_TRANSITIONS 128
#define WF_MAX_GUARDS 8
#define WF_MAX_STEPS 16
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
    WF_GUARD_APPROVED,
    WF_GUARD_BENEFIT_CONFIRMED,
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
 * What the guards read, derived from the case's records by wf_facts_compute.
 * "This cycle" counts the records written in the case's current cycle only.
 */
struct wf_facts {
    enum case_kind kind;
    enum case_severity severity;
    int cycle;                      /* the case's current cycle, 1 first */
    bool comment_given;             /* the transition request carries a comment */
    int corrections;                /* every cycle: corrections recorded (the reaction to the
                                       nonconformity is not repeated by a new cycle) */
    bool root_cause_complete;       /* this cycle: a root-cause analysis (complete by validation) */
    int corrective_actions_planned; /* this cycle: corrective actions with assignee and due date,
                                       not cancelled */
    int improvement_actions_planned; /* this cycle: the same, of improvement actions */
    int actions_open;                /* every cycle: actions open or in progress */
    int actions_done;                /* this cycle: actions done */
    int corrective_actions_done;     /* this cycle: corrective (improvement: improvement) actions
                                        done */
    int reviews_scheduled;           /* this cycle: effectiveness reviews without a verdict */
    enum wf_verdict latest_verdict;  /* this cycle: the verdict recorded last */
    int isms_changes;                /* this cycle: ISMS changes or "none needed" decisions */
    int n_approved;                  /* this cycle: the approval steps whose latest decision */
    char approved[WF_MAX_STEPS][WF_NAME_MAX]; /* is approve */
    int evidence;                             /* every cycle: evidence files (readiness only) */
};

/* What the facts are computed from: one record beneath a case, typed. */
struct wf_record_fact {
    enum rec_kind kind;
    int cycle;
    int action_type;         /* actions: enum rec_action_type; -1 otherwise */
    int action_status;       /* actions: enum rec_action_status; -1 otherwise */
    bool planned;            /* actions: has an assignee and a due date */
    enum wf_verdict verdict; /* reviews */
    char step[WF_NAME_MAX];  /* approvals: the step */
    bool approve;            /* approvals: the decision is approve */
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
    unsigned roles;         /* bit set of 1u << enum wf_role */
    char step[WF_NAME_MAX]; /* the approval step it needs, "" for none */
    bool reopen;            /* out of a terminal state: reopens the case, a new cycle */
};

/* An approval step: a transition that needs an approver's decision. */
struct wf_step {
    char name[WF_NAME_MAX];
    int transition;
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
    int n_steps;
    struct wf_step steps[WF_MAX_STEPS];
    int verification;     /* where verdicts are recorded; -1: any state that is not terminal */
    int on_not_effective; /* where a not_effective verdict sends the case; -1: it stays */
    struct wf_sla sla[CASE_SEV__COUNT];
};

/*
 * Validate a definition: exactly one initial state that exists, unique state
 * names, every state reachable from the initial one, non-terminal states with
 * at least one exit, terminal states left only by reopening transitions
 * ("reopen": true, with the comment_given guard, into a state that is not
 * terminal), every guard and role known, approval steps named once ("approval"
 * on a transition, or the default step of its approval guard: "closure" for
 * closure_approved_if_major, "approve" for improvement_approved; the guard
 * "approved" needs a name), "verification" and "on_not_effective" naming
 * states that are not terminal, an SLA for each severity of the kind.
 *
 * Definitions stored before "verification" and "on_not_effective" existed
 * read as: verification in the state a transition requiring an effective
 * review leaves (any non-terminal state when none does), and back to a state
 * named "analysed" when there is one.
 *
 * Returns 0 with *out set (free with wf_definition_free), ERR_INVALID with
 * entries appended to j_errors, or ERR_INTERNAL when out of memory.
 */
int wf_definition_parse(const json_t *j, struct wf_definition **out, json_t *j_errors);
void wf_definition_free(struct wf_definition *def);

/* Index of the named state, or -1. */
int wf_state_find(const struct wf_definition *def, const char *name);
/* Index of the named approval step, or -1. */
int wf_step_find(const struct wf_definition *def, const char *name);
/* "closure, approve" (the step names, in definition order; "" for none). Returns buf. */
const char *wf_steps_text(const struct wf_definition *def, char *buf, size_t size);

/*
 * The facts of a case of kind and severity in its cycle, from its records
 * (n rows, in the order they were last changed: the latest verdict and the
 * latest decision on a step are the last ones).
 */
void wf_facts_compute(enum case_kind kind, enum case_severity severity, int cycle,
                      const struct wf_record_fact *rows, int n, struct wf_facts *out);
/* Whether the latest decision of this cycle on the named step is approve. */
bool wf_facts_approved(const struct wf_facts *f, const char *step);

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
 * An approval of step (an index of def->steps) counts only when it is given
 * while the case is in the state the step's transition leaves, once every
 * other guard of that transition is met. Returns 0 when it may be given now;
 * ERR_APPROVAL_ORDER otherwise, with out->transition the step's transition
 * and out->unmet the guards still unmet (none when only the state is wrong).
 */
int wf_approval_check(const struct wf_definition *def, const char *status,
                      const struct wf_facts *facts, int step, struct wf_check *out);

/*
 * An effectiveness verdict needs the case in the verification state, every
 * action done or cancelled and, this cycle, a corrective action done (an
 * improvement action, for an improvement). Returns 0, or ERR_VERDICT_ORDER
 * with what is missing in detail.
 */
int wf_verdict_check(const struct wf_definition *def, const char *status,
                     const struct wf_facts *facts, char *detail, size_t size);

/*
 * How a case in state `status` can be reopened, as a sentence for a problem
 * detail ("reopen it with a transition to analysed (role approver, with a
 * comment)", or that the workflow defines no reopening). Returns buf.
 */
const char *wf_reopen_text(const struct wf_definition *def, const char *status, char *buf,
                           size_t size);

/*
 * Every transition out of `from` as a new JSON array:
 * [{"to": "...", "allowed": bool, "roles": [...], "unmet_guards": [{"guard", "detail"}]}].
 */
json_t *wf_options_json(const struct wf_definition *def, const char *from,
                        const struct wf_facts *facts);

/*
 * What stands between a case and closure, in its current cycle. A
 * nonconformity by element of ISO/IEC 27001:2022 clause 10.2: {"reaction",
 * "cause", "actions", "effectiveness", "isms_changes", "evidence"}; an
 * improvement by what clause 10.1 asks of it: {"proposal", "approval",
 * "actions", "implementation", "benefit"}; each {"clause", "present",
 * "detail"}, then "complete" and "cycle". A new reference (NULL only when out
 * of memory).
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
