/*
 * records.c - the use cases of the records beneath a case (usecase.h):
 * create, update, list and read them, evidence, readiness, the control
 * catalogue. Each change locks the case, writes the record, and moves the
 * case's version on with a logged event, in one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "dtime.h"
#include "err.h"
#include "field.h"
#include "log.h"
#include "mem.h"
#include "sha256.h"
#include "tx.h"
#include "usecase.h"
#include "uuid.h"
#include "workflow.h"

static const struct principal system_actor = {.kind = "system", .subject = "capa"};

/* The record as clients and events see it: its content plus identity and authorship. */
static json_t *
record_json(const struct record_row *r)
{
    json_t *j =
        json_pack("{s:s, s:s, s:i}", "id", r->id, "case_id", r->case_id, "number", r->number);
    if (j == NULL)
        return NULL;
    json_object_update(j, r->j_data);
    json_object_set_new(j, "version", json_integer(r->version));
    json_object_set_new(j, "cycle", json_integer(r->cycle));
    json_object_set_new(j, "created_at", json_string(r->created_at));
    json_object_set(j, "created_by", r->j_created_by);
    json_object_set_new(j, "updated_at", json_string(r->updated_at));
    json_object_set(j, "updated_by", r->j_updated_by);
    if (r->kind == REC_LINK)
        json_object_set_new(j, "removed_at",
                            r->removed_at[0] ? json_string(r->removed_at) : json_null());
    return j;
}

/* Log a record change on its case: {"record": ..., "changes"?: ...} + the case snapshot. */
static int
touch_with_record(struct store_conn *c, struct case_record *rec, const char *type,
                  const struct record_row *r, const json_t *j_changes,
                  const struct uc_origin *origin, json_t **j_record)
{
    json_t *j_rec = record_json(r);
    json_t *j_change = j_rec ? json_pack("{s:O}", "record", j_rec) : NULL;
    int rc = ERR_INTERNAL;
    if (j_change != NULL) {
        if (j_changes != NULL)
            json_object_set(j_change, "changes", (json_t *)j_changes);
        rc = tx_case_touch(c, rec, type, j_change, origin);
    }
    if (rc == ERR_OK && j_record != NULL)
        *j_record = json_incref(j_rec);
    json_decref(j_change);
    json_decref(j_rec);
    return rc;
}

/*
 * The case's workflow, and whether the record may change now: on a closed
 * case only comments and links (tx_check_open). *def is the caller's to free.
 */
static int
load_open(struct store_conn *c, const struct case_record *rec, enum rec_kind kind,
          struct wf_definition **def, struct uc_status *st)
{
    int rc = tx_load_workflow(c, rec->workflow_id, def);
    if (rc == ERR_OK && !rec_kind_writable_when_closed(kind))
        rc = tx_check_open(*def, rec, st);
    return rc;
}

/* What the date rules of a write to rec compare with: the database's now, its detection. */
static int
when_of(struct store_conn *c, const struct case_record *rec, char now[DTIME_LEN],
        struct rec_when *when)
{
    when->now = now;
    when->detected_at = rec->detected_at;
    return store_now(c, now);
}

/* An approval names a step of the case's workflow: its index, or ERR_INVALID listing them. */
static int
approval_step(const struct wf_definition *def, const struct case_record *rec, const json_t *content,
              int *index, struct uc_status *st)
{
    char steps[256], detail[320];
    *index = wf_step_find(def, json_string_value(json_object_get(content, "step")));
    if (*index >= 0)
        return ERR_OK;
    if (def->n_steps == 0)
        snprintf(detail, sizeof detail, "the %s workflow of this case has no approval steps",
                 case_kind_text(rec->kind));
    else
        snprintf(detail, sizeof detail, "must be a step of this case's workflow: %s",
                 wf_steps_text(def, steps, sizeof steps));
    field_error_add(st->j_errors, "step", "unknown", detail);
    return ERR_INVALID;
}

/*
 * An approval of step i comes in its place: while the case is in the state
 * the step's transition leaves, once the transition's other guards are met.
 */
static int
check_approval(struct store_conn *c, const struct wf_definition *def, const struct case_record *rec,
               int i, struct uc_status *st)
{
    char unmet[160];
    struct wf_facts facts;
    struct wf_check check;
    const char *step = def->steps[i].name;
    int rc;

    if ((rc = tx_case_facts(c, rec, &facts)) != ERR_OK)
        return rc;
    if (wf_approval_check(def, rec->status, &facts, i, &check) == ERR_OK)
        return ERR_OK;
    const char *when = def->states[check.transition->from].name;
    if (check.n_unmet == 0) {
        snprintf(st->detail, sizeof st->detail,
                 "an approval of step %s is given while the case is %s; it is %s", step, when,
                 rec->status);
    } else {
        size_t off = 0;
        for (int g = 0; g < check.n_unmet && off < sizeof unmet; g++)
            off += (size_t)snprintf(unmet + off, sizeof unmet - off, "%s%s", g ? ", " : "",
                                    wf_guard_name(check.unmet[g]));
        snprintf(st->detail, sizeof st->detail,
                 "an approval of step %s can be given once the facts of the step are complete: "
                 "unmet %.100s",
                 step, unmet);
    }
    json_t *j_unmet = json_array();
    for (int g = 0; g < check.n_unmet; g++)
        json_array_append_new(j_unmet,
                              json_pack("{s:s, s:s}", "guard", wf_guard_name(check.unmet[g]),
                                        "detail", wf_guard_detail(check.unmet[g])));
    json_decref(st->j_extra);
    st->j_extra = json_pack("{s:s, s:s, s:s, s:o}", "step", step, "current_status", rec->status,
                            "approvable_in", when, "unmet_guards", j_unmet);
    return ERR_APPROVAL_ORDER;
}

/*
 * A verdict judges what this cycle did: its review is of the current cycle,
 * and the workflow says the case is ready for it (wf_verdict_check).
 */
static int
check_verdict(struct store_conn *c, const struct wf_definition *def, const struct case_record *rec,
              const struct record_row *review, struct uc_status *st)
{
    struct wf_facts facts;
    int rc;
    if (review->cycle != rec->cycle) {
        snprintf(st->detail, sizeof st->detail,
                 "this review belongs to cycle %d and the case is in cycle %d: schedule a review "
                 "of this cycle",
                 review->cycle, rec->cycle);
        return ERR_VERDICT_ORDER;
    }
    if ((rc = tx_case_facts(c, rec, &facts)) != ERR_OK)
        return rc;
    return wf_verdict_check(def, rec->status, &facts, st->detail, sizeof st->detail);
}

/* Links: the target case must exist and not be this one (controls: checked by the domain). */
static int
resolve_link(struct store_conn *c, const struct case_record *rec, json_t *content,
             struct uc_status *st)
{
    const char *target = json_string_value(json_object_get(content, "target_case"));
    if (target == NULL)
        return ERR_OK;
    struct case_record other = {0};
    int rc = store_case_select(c, target, false, &other);
    if (rc == ERR_NOT_FOUND) {
        field_error_add(st->j_errors, "target_case", "unknown", "no case has this id or key");
        rc = ERR_INVALID;
    } else if (rc == ERR_OK && strcmp(other.id, rec->id) == 0) {
        field_error_add(st->j_errors, "target_case", "self", "a case cannot be linked to itself");
        rc = ERR_INVALID;
    } else if (rc == ERR_OK) {
        json_object_del(content, "target_case");
        json_object_set_new(content, "target_case_id", json_string(other.id));
        json_object_set_new(content, "target_case_key", json_string(other.key));
    }
    case_record_cleanup(&other);
    return rc;
}

/*
 * Segregation of duties: who approves a case or judges its actions did not
 * own it, work on it, nor (approving) raise it.
 */
static int
check_duties(struct store_conn *c, const struct case_record *rec, const struct principal *p,
             const char *what, struct uc_status *st)
{
    json_t *j_assignees = NULL, *j_creator = NULL;
    int rc = store_case_people(c, rec->id, &j_assignees, &j_creator);
    if (rc == ERR_OK) {
        struct principal creator = {
            .kind = json_string_value(json_object_get(j_creator, "kind")),
            .subject = json_string_value(json_object_get(j_creator, "subject")),
            .on_behalf_of = json_string_value(json_object_get(j_creator, "on_behalf_of"))};
        rc = access_check_sod(p, what, rec->j_owner, j_assignees, &creator, st->detail,
                              sizeof st->detail);
    }
    json_decref(j_assignees);
    json_decref(j_creator);
    return rc;
}

/* ---- create ---- */

struct create_ctx {
    const struct uc_origin *origin;
    const char *case_ref;
    enum rec_kind kind;
    const json_t *j_body;  /* a record from JSON: validated in the transaction */
    const json_t *content; /* evidence: its metadata, already checked */
    int case_if_match;
    struct tx_idem idem;
    json_t *j_record;
    bool replayed;
    struct uc_status *st;
    /* evidence */
    const void *bytes;
    size_t len;
    const char *supersedes;
};

static int
insert_record(struct store_conn *c, struct create_ctx *x, const json_t *content,
              struct case_record *rec, struct record_row *r)
{
    int rc;
    r->j_data = json_deep_copy(content);
    r->j_created_by = tx_actor_json(x->origin->who);
    r->kind = x->kind;
    r->cycle = rec->cycle;
    snprintf(r->case_id, sizeof r->case_id, "%s", rec->id);
    if (r->j_data == NULL || r->j_created_by == NULL || uuid_v4(r->id) != ERR_OK)
        return ERR_INTERNAL;
    if (x->kind == REC_LINK && (rc = resolve_link(c, rec, r->j_data, x->st)) != ERR_OK)
        return rc;
    if (x->kind == REC_EVIDENCE && x->supersedes != NULL) {
        struct record_row old = {0};
        rc = store_record_select(c, rec->id, REC_EVIDENCE, x->supersedes, false, &old);
        store_record_cleanup(&old);
        if (rc == ERR_NOT_FOUND) {
            field_error_add(x->st->j_errors, "supersedes", "unknown",
                            "is not an evidence record of this case");
            return ERR_INVALID;
        }
        if (rc != ERR_OK)
            return rc;
    }
    if ((rc = store_now(c, r->created_at)) != ERR_OK)
        return rc;
    if ((rc = store_record_insert(c, r)) != ERR_OK)
        return rc;
    return x->kind == REC_EVIDENCE ? store_evidence_insert(c, r->id, x->bytes, x->len) : ERR_OK;
}

static int
create_tx(struct store_conn *c, void *arg)
{
    struct create_ctx *x = arg;
    struct case_record rec = {0};
    struct record_row r = {0};
    struct wf_definition *def = NULL;
    struct rec_when when;
    char now[DTIME_LEN];
    json_t *j_content = NULL;
    int rc;

    json_decref(x->j_record);
    x->j_record = NULL;
    json_array_clear(x->st->j_errors);
    /* a retry answers as the first request was answered, whatever the case's version now */
    if ((rc = tx_lock_case(c, x->case_ref, 0, &rec, x->st)) != ERR_OK ||
        (rc = tx_idem_begin(c, &x->idem, rec.id, "record", &x->j_record, x->st)) != ERR_OK)
        goto out;
    if ((x->replayed = x->j_record != NULL))
        goto out;
    if ((rc = tx_check_version(&rec, x->case_if_match, x->st)) != ERR_OK ||
        (rc = load_open(c, &rec, x->kind, &def, x->st)) != ERR_OK)
        goto out;
    if (x->j_body != NULL) {
        if ((rc = when_of(c, &rec, now, &when)) != ERR_OK ||
            (rc = rec_validate_create(x->kind, x->j_body, &when, &j_content, x->st->j_errors)))
            goto out;
    } else {
        j_content = json_incref((json_t *)x->content);
    }
    /* an approval: of a step the workflow has, by whom it may be, when it counts */
    int step;
    if (x->kind == REC_APPROVAL &&
        ((rc = approval_step(def, &rec, j_content, &step, x->st)) != ERR_OK ||
         (rc = check_duties(c, &rec, x->origin->who, "approve", x->st)) != ERR_OK ||
         (rc = check_approval(c, def, &rec, step, x->st)) != ERR_OK))
        goto out;
    if ((rc = insert_record(c, x, j_content, &rec, &r)) != ERR_OK ||
        (rc = touch_with_record(c, &rec, rec_event_type(x->kind), &r, NULL, x->origin,
                                &x->j_record)) != ERR_OK)
        goto out;
    rc = tx_idem_end(c, &x->idem, rec.version);
out:
    json_decref(j_content);
    wf_definition_free(def);
    store_record_cleanup(&r);
    case_record_cleanup(&rec);
    return rc;
}

/* The operation a record write is for, with its target: what its idempotency key hashes. */
static void
record_op(char *out, size_t size, const char *verb, enum rec_kind kind, const char *case_ref,
          const char *record_id)
{
    snprintf(out, size, "%s %s %s%s%s", verb, rec_kind_name(kind), case_ref, record_id ? " " : "",
             record_id ? record_id : "");
}

int
uc_record_create(struct app *app, const struct uc_origin *origin, const char *case_ref,
                 enum rec_kind kind, const json_t *j_body, int case_if_match,
                 const char *idempotency_key, json_t **j_record, bool *replayed,
                 struct uc_status *st)
{
    char op[160];
    struct create_ctx x = {.origin = origin,
                           .case_ref = case_ref,
                           .kind = kind,
                           .j_body = j_body,
                           .case_if_match = case_if_match,
                           .st = st};
    record_op(op, sizeof op, "record.create", kind, case_ref, NULL);
    int rc = tx_idem_init(&x.idem, idempotency_key, origin, op, j_body);
    if (rc == ERR_OK)
        rc = tx_run(app, create_tx, &x);
    *j_record = x.j_record;
    *replayed = x.replayed;
    return rc;
}

/* ---- update ---- */

struct update_ctx {
    const struct uc_origin *origin;
    const char *case_ref;
    enum rec_kind kind;
    const char *record_id; /* NULL: the latest (root cause) */
    int record_if_match;   /* 0: none (root cause put) */
    const json_t *j_patch;
    bool create_if_missing; /* root cause put */
    struct tx_idem idem;    /* verdicts */
    json_t *j_record;
    bool replayed;
    struct uc_status *st;
};

/*
 * A not_effective verdict starts the case's next cycle and sends it where its
 * workflow says (on_not_effective): a transition by the system, logged like
 * any other (in the trace of the verdict's request), and counted. A workflow
 * that names no such state leaves the case where it is, in its new cycle.
 */
static int
reopen_after_verdict(struct store_conn *c, struct case_record *rec, const struct wf_definition *def,
                     const struct uc_origin *verdict)
{
    struct uc_origin by_system = {.who = &system_actor, .trace = verdict->trace};
    int target = def->on_not_effective;
    if (target < 0 || strcmp(def->states[target].name, rec->status) == 0) {
        json_t *j_change = json_pack("{s:{s:{s:i, s:i}}}", "changes", "cycle", "before", rec->cycle,
                                     "after", rec->cycle + 1);
        rec->cycle++;
        rec->reopened_count++;
        int rc = j_change ? tx_case_touch(c, rec, "capa.case.updated", j_change, &by_system)
                          : ERR_INTERNAL;
        json_decref(j_change);
        return rc;
    }
    return tx_case_move(c, rec, &def->states[target],
                        "an effectiveness review found the actions not effective", true,
                        &by_system);
}

static json_t *
content_diff(const json_t *before, const json_t *after)
{
    json_t *j = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)after, key, v)
    {
        json_t *b = json_object_get(before, key);
        if (b == NULL || !json_equal(b, v))
            json_object_set_new(j, key,
                                json_pack("{s:O, s:O}", "before", b ? b : json_null(), "after", v));
    }
    json_object_foreach((json_t *)before, key, v) if (json_object_get(after, key) == NULL)
        json_object_set_new(j, key, json_pack("{s:O, s:n}", "before", v, "after"));
    return j;
}

/* Who did what the update records: the completion, cancellation or verdict's principal. */
static void
add_doer(json_t *content, const char *event_type, const struct principal *who)
{
    const char *member = strcmp(event_type, "capa.action.completed") == 0   ? "completed_by"
                         : strcmp(event_type, "capa.action.cancelled") == 0 ? "cancelled_by"
                         : strcmp(event_type, "capa.review.recorded") == 0  ? "performed_by"
                                                                            : NULL;
    if (member != NULL)
        json_object_set_new(content, member, tx_actor_json(who));
}

/* The first record of its kind in this cycle (a root cause of a new cycle): a create. */
static int
create_in_update(struct store_conn *c, struct update_ctx *x, struct case_record *rec,
                 const struct rec_when *when, struct record_row *r)
{
    struct create_ctx cx = {.origin = x->origin, .kind = x->kind, .st = x->st};
    json_t *content = NULL;
    int rc = rec_validate_create(x->kind, x->j_patch, when, &content, x->st->j_errors);
    if (rc == ERR_OK)
        rc = insert_record(c, &cx, content, rec, r);
    if (rc == ERR_OK)
        rc = touch_with_record(c, rec, rec_event_type(x->kind), r, NULL, x->origin, &x->j_record);
    json_decref(content);
    return rc;
}

static int
update_tx(struct store_conn *c, void *arg)
{
    struct update_ctx *x = arg;
    struct case_record rec = {0};
    struct record_row r = {0};
    struct wf_definition *def = NULL;
    struct rec_when when;
    json_t *content = NULL, *j_changes = NULL;
    const char *event_type = NULL;
    char now[DTIME_LEN];
    int rc;

    json_decref(x->j_record);
    x->j_record = NULL;
    json_array_clear(x->st->j_errors);
    if ((rc = tx_lock_case(c, x->case_ref, 0, &rec, x->st)) != ERR_OK ||
        (rc = tx_idem_begin(c, &x->idem, rec.id, "record", &x->j_record, x->st)) != ERR_OK)
        goto out;
    if ((x->replayed = x->j_record != NULL))
        goto out;
    rc = x->record_id ? store_record_select(c, rec.id, x->kind, x->record_id, true, &r)
                      : store_record_latest(c, rec.id, x->kind, &r);
    if (rc != ERR_OK && !(rc == ERR_NOT_FOUND && x->create_if_missing))
        goto out;
    if (rc == ERR_OK && x->record_if_match > 0 && r.version != x->record_if_match) {
        x->st->current_version = r.version;
        snprintf(x->st->detail, sizeof x->st->detail,
                 "the record is at version %d, the request was made against version %d", r.version,
                 x->record_if_match);
        rc = ERR_PRECONDITION_FAILED;
        goto out;
    }
    bool missing = rc == ERR_NOT_FOUND;
    if ((rc = load_open(c, &rec, x->kind, &def, x->st)) != ERR_OK ||
        (rc = when_of(c, &rec, now, &when)) != ERR_OK)
        goto out;
    /* a root-cause analysis of an earlier cycle stays as it was: this cycle gets its own */
    if (x->create_if_missing && (missing || r.cycle != rec.cycle)) {
        store_record_cleanup(&r);
        rc = create_in_update(c, x, &rec, &when, &r);
        goto out;
    }
    rc = rec_validate_update(x->kind, r.j_data, x->j_patch, &when, &content, &event_type,
                             x->st->j_errors);
    if (rc == ERR_CONFLICT)
        snprintf(x->st->detail, sizeof x->st->detail, "a %s cannot be changed",
                 rec_kind_name(x->kind));
    if (rc != ERR_OK)
        goto out;
    if (x->kind == REC_REVIEW && strcmp(event_type, "capa.review.recorded") == 0 &&
        ((rc = check_duties(c, &rec, x->origin->who, "judge", x->st)) != ERR_OK ||
         (rc = check_verdict(c, def, &rec, &r, x->st)) != ERR_OK))
        goto out;
    if (json_equal(content, r.j_data)) {
        x->j_record = record_json(&r); /* nothing changes */
        goto out;
    }
    add_doer(content, event_type, x->origin->who);
    j_changes = content_diff(r.j_data, content);
    json_decref(r.j_data);
    r.j_data = json_incref(content);
    json_decref(r.j_updated_by);
    r.j_updated_by = tx_actor_json(x->origin->who);
    r.version++;
    if ((rc = store_now(c, r.updated_at)) || (rc = store_record_update(c, &r, r.version - 1)))
        goto out;
    if ((rc = touch_with_record(c, &rec, event_type, &r, j_changes, x->origin, &x->j_record)))
        goto out;
    /* the record's own row answers a retry, not the system's move that may follow it */
    int answer = rec.version;
    const char *verdict = json_string_value(json_object_get(content, "verdict"));
    if (x->kind == REC_REVIEW && verdict && strcmp(verdict, "not_effective") == 0 &&
        (rc = reopen_after_verdict(c, &rec, def, x->origin)) != ERR_OK)
        goto out;
    rc = tx_idem_end(c, &x->idem, answer);
out:
    json_decref(content);
    json_decref(j_changes);
    wf_definition_free(def);
    store_record_cleanup(&r);
    case_record_cleanup(&rec);
    return rc;
}

int
uc_record_update(struct app *app, const struct uc_origin *origin, const char *case_ref,
                 enum rec_kind kind, const char *record_id, int record_if_match,
                 const json_t *j_patch, const char *idempotency_key, json_t **j_record,
                 bool *replayed, struct uc_status *st)
{
    char op[200];
    struct update_ctx x = {.origin = origin,
                           .case_ref = case_ref,
                           .kind = kind,
                           .record_id = record_id,
                           .record_if_match = record_if_match,
                           .j_patch = j_patch,
                           .st = st};
    record_op(op, sizeof op, "record.update", kind, case_ref, record_id);
    int rc = tx_idem_init(&x.idem, idempotency_key, origin, op, j_patch);
    if (rc == ERR_OK)
        rc = tx_run(app, update_tx, &x);
    *j_record = x.j_record;
    *replayed = x.replayed;
    return rc;
}

int
uc_root_cause_put(struct app *app, const struct uc_origin *origin, const char *case_ref,
                  const json_t *j_body, int if_match, json_t **j_record, struct uc_status *st)
{
    struct update_ctx x = {.origin = origin,
                           .case_ref = case_ref,
                           .kind = REC_ROOT_CAUSE,
                           .record_if_match = if_match,
                           .j_patch = j_body,
                           .create_if_missing = true,
                           .st = st};
    int rc = tx_run(app, update_tx, &x);
    *j_record = x.j_record;
    return rc;
}

/* ---- link removal ---- */

struct remove_ctx {
    const struct uc_origin *origin;
    const char *case_ref;
    const char *link_id;
    struct uc_status *st;
};

static int
remove_tx(struct store_conn *c, void *arg)
{
    struct remove_ctx *x = arg;
    struct case_record rec = {0};
    struct record_row r = {0};
    int rc;

    if ((rc = tx_lock_case(c, x->case_ref, 0, &rec, x->st)) != ERR_OK)
        goto out;
    if ((rc = store_record_select(c, rec.id, REC_LINK, x->link_id, true, &r)) != ERR_OK)
        goto out;
    if (r.removed_at[0]) {
        snprintf(x->st->detail, sizeof x->st->detail, "the link was removed at %s", r.removed_at);
        rc = ERR_CONFLICT;
        goto out;
    }
    json_decref(r.j_updated_by);
    r.j_updated_by = tx_actor_json(x->origin->who);
    r.version++;
    if ((rc = store_now(c, r.updated_at)) != ERR_OK)
        goto out;
    memcpy(r.removed_at, r.updated_at, DTIME_LEN);
    if ((rc = store_record_update(c, &r, r.version - 1)) != ERR_OK)
        goto out;
    rc = touch_with_record(c, &rec, "capa.link.removed", &r, NULL, x->origin, NULL);
out:
    store_record_cleanup(&r);
    case_record_cleanup(&rec);
    return rc;
}

int
uc_link_remove(struct app *app, const struct uc_origin *origin, const char *case_ref,
               const char *link_id, struct uc_status *st)
{
    struct remove_ctx x = {.origin = origin, .case_ref = case_ref, .link_id = link_id, .st = st};
    return tx_run(app, remove_tx, &x);
}

/* ---- reads ---- */

struct read_ctx {
    const char *case_ref;
    enum rec_kind kind;
    int cycle; /* lists: only this cycle's records; 0: every cycle */
    const char *record_id;
    json_t *j_out;
    bool want_bytes; /* evidence: read the content too */
    void *bytes;
    size_t len;
};

static int
append_record(const struct record_row *r, void *arg)
{
    struct read_ctx *x = arg;
    if (x->cycle > 0 && r->cycle != x->cycle)
        return ERR_OK;
    json_t *j = record_json(r);
    if (j == NULL)
        return ERR_INTERNAL;
    json_array_append_new(x->j_out, j);
    return ERR_OK;
}

static int
list_read(struct store_conn *c, void *arg)
{
    struct read_ctx *x = arg;
    struct case_record rec = {0};
    json_decref(x->j_out);
    x->j_out = json_array();
    int rc = store_case_select(c, x->case_ref, false, &rec);
    if (rc == ERR_OK)
        rc = store_record_list(c, rec.id, x->kind, append_record, x);
    case_record_cleanup(&rec);
    return rc;
}

int
uc_record_list(struct app *app, const char *case_ref, enum rec_kind kind, int cycle, json_t **j_out,
               struct uc_status *st)
{
    struct read_ctx x = {.case_ref = case_ref, .kind = kind, .cycle = cycle};
    (void)st;
    int rc = tx_read(app, list_read, &x);
    *j_out = rc == ERR_OK ? json_pack("{s:O}", "items", x.j_out) : NULL;
    json_decref(x.j_out);
    return rc == ERR_OK && *j_out == NULL ? ERR_INTERNAL : rc;
}

static int
get_read(struct store_conn *c, void *arg)
{
    struct read_ctx *x = arg;
    struct case_record rec = {0};
    struct record_row r = {0};
    json_decref(x->j_out);
    x->j_out = NULL;
    free(x->bytes);
    x->bytes = NULL;
    int rc = store_case_select(c, x->case_ref, false, &rec);
    if (rc == ERR_OK)
        rc = x->record_id ? store_record_select(c, rec.id, x->kind, x->record_id, false, &r)
                          : store_record_latest(c, rec.id, x->kind, &r);
    if (rc == ERR_OK && x->want_bytes)
        rc = store_evidence_content(c, r.id, &x->bytes, &x->len);
    if (rc == ERR_OK && (x->j_out = record_json(&r)) == NULL)
        rc = ERR_INTERNAL;
    store_record_cleanup(&r);
    case_record_cleanup(&rec);
    return rc;
}

int
uc_record_get(struct app *app, const char *case_ref, enum rec_kind kind, const char *record_id,
              json_t **j_record, struct uc_status *st)
{
    struct read_ctx x = {.case_ref = case_ref, .kind = kind, .record_id = record_id};
    (void)st;
    int rc = tx_read(app, get_read, &x);
    *j_record = x.j_out;
    return rc;
}

/* ---- evidence ---- */

int
uc_evidence_add(struct app *app, const struct uc_origin *origin, const char *case_ref,
                const char *filename, const char *media_type, const void *bytes, size_t len,
                const char *supersedes, int case_if_match, const char *idempotency_key,
                json_t **j_record, bool *replayed, struct uc_status *st)
{
    char op[160];
    char sha[CHAIN_HEX_LEN];
    json_t *content = NULL;
    struct create_ctx x = {.origin = origin,
                           .case_ref = case_ref,
                           .kind = REC_EVIDENCE,
                           .case_if_match = case_if_match,
                           .st = st,
                           .bytes = bytes,
                           .len = len,
                           .supersedes = supersedes};
    int rc;

    *j_record = NULL;
    if (!rec_filename_valid(filename))
        field_error_add(st->j_errors, "filename", "format",
                        "must be 1 to 255 bytes without '/', '\\\\' or control characters");
    if (!rec_media_type_valid(media_type))
        field_error_add(st->j_errors, "media_type", "format", "must be a media type type/subtype");
    if (supersedes != NULL && !uuid_valid(supersedes))
        field_error_add(st->j_errors, "supersedes", "format", "must be an evidence id");
    if (json_array_size(st->j_errors) > 0)
        return ERR_INVALID;
    if (sha256_hex(bytes, len, sha) != ERR_OK)
        return ERR_INTERNAL;
    content =
        json_pack("{s:s, s:s, s:I, s:s, s:s?}", "filename", filename, "media_type", media_type,
                  "size", (json_int_t)len, "sha256", sha, "supersedes", supersedes);
    if (content == NULL)
        return ERR_INTERNAL;
    x.content = content;
    /* the request is the file (by its hash) and what names it */
    record_op(op, sizeof op, "record.create", REC_EVIDENCE, case_ref, NULL);
    if ((rc = tx_idem_init(&x.idem, idempotency_key, origin, op, content)) == ERR_OK)
        rc = tx_run(app, create_tx, &x);
    *j_record = x.j_record;
    *replayed = x.replayed;
    json_decref(content);
    return rc;
}

int
uc_evidence_content(struct app *app, const char *case_ref, const char *evidence_id, void **bytes,
                    size_t *len, json_t **j_record, struct uc_status *st)
{
    struct read_ctx x = {
        .case_ref = case_ref, .kind = REC_EVIDENCE, .record_id = evidence_id, .want_bytes = true};
    (void)st;
    int rc = tx_read(app, get_read, &x);
    *bytes = rc == ERR_OK ? x.bytes : NULL;
    *len = rc == ERR_OK ? x.len : 0;
    *j_record = x.j_out;
    if (rc != ERR_OK) {
        free(x.bytes);
        json_decref(x.j_out);
        *j_record = NULL;
    }
    return rc;
}

/* ---- controls ---- */

int
uc_controls_list(struct app *app, json_t **j_out, struct uc_status *st)
{
    json_t *j_items = NULL;
    (void)st;
    *j_out = NULL;
    int rc = tx_read_json(app, store_controls_list, &j_items);
    if (rc == ERR_OK && (*j_out = json_pack("{s:o}", "items", j_items)) == NULL)
        rc = ERR_INTERNAL;
    return rc;
}

/* ---- actions across cases ---- */

struct actions_ctx {
    struct action_query q;
    char today[11];
    json_t *j_items;
    struct cursor last;
};

static int
append_action(const struct record_row *r, const char *case_key, void *arg)
{
    struct actions_ctx *x = arg;
    json_t *j = record_json(r);
    if (j == NULL)
        return ERR_INTERNAL;
    json_object_set_new(j, "case_key", json_string(case_key));
    json_object_set_new(j, "overdue", json_boolean(rec_action_overdue(r->j_data, x->today)));
    json_array_append_new(x->j_items, j);
    return ERR_OK;
}

static int
actions_read(struct store_conn *c, void *arg)
{
    struct actions_ctx *x = arg;
    char now[DTIME_LEN];
    json_array_clear(x->j_items);
    int rc = store_now(c, now);
    if (rc == ERR_OK) {
        snprintf(x->today, sizeof x->today, "%.10s", now);
        rc = store_actions_list(c, &x->q, append_action, x);
    }
    return rc;
}

static bool
iso_date(const char *s)
{
    char canon[DTIME_LEN];
    return s && strlen(s) == 10 && dtime_parse_date(s, canon) == ERR_OK;
}

int
uc_actions_list(struct app *app, const json_t *j_params, json_t **j_page, struct uc_status *st)
{
    struct actions_ctx x = {.q = {.overdue = -1, .limit = 50}, .j_items = json_array()};
    struct cursor after;
    char next[CURSOR_MAX];
    const char *name;
    json_t *v;
    int rc;

    *j_page = NULL;
    json_object_foreach((json_t *)j_params, name, v)
    {
        const char *s = json_string_value(v);
        if (strcmp(name, "assignee") == 0 && s[0] && strlen(s) <= 200) {
            x.q.assignee = s;
        } else if (strcmp(name, "status") == 0) {
            json_decref(x.q.j_status);
            x.q.j_status = json_array();
            char *copy = mem_strdup(s), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (strcmp(t, "open") && strcmp(t, "in_progress") && strcmp(t, "done") &&
                    strcmp(t, "cancelled"))
                    field_error_add(st->j_errors, name, "invalid",
                                    "must be a comma list of open, in_progress, done, cancelled");
                json_array_append_new(x.q.j_status, json_string(t));
            }
            free(copy);
            if (json_array_size(x.q.j_status) == 0)
                field_error_add(st->j_errors, name, "invalid", "must not be empty");
        } else if (strcmp(name, "overdue") == 0 &&
                   (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
            x.q.overdue = strcmp(s, "true") == 0;
        } else if (strcmp(name, "due_before") == 0 && iso_date(s)) {
            x.q.due_before = s;
        } else if (strcmp(name, "due_after") == 0 && iso_date(s)) {
            x.q.due_after = s;
        } else if (strcmp(name, "limit") == 0) {
            long n;
            if (!case_query_int(s, 1, 200, &n))
                field_error_add(st->j_errors, name, "invalid", "must be an integer from 1 to 200");
            else
                x.q.limit = (int)n;
        } else if (strcmp(name, "cursor") == 0) {
            if (cursor_decode(s, &after) != ERR_OK || strcmp(after.sort, "actions") != 0 ||
                !iso_date(after.key) || !uuid_valid(after.id)) {
                field_error_add(st->j_errors, name, "invalid", "is not a cursor of this list");
            } else {
                x.last = after;
                x.q.after_due = x.last.key;
                x.q.after_id = x.last.id;
            }
        } else if (strcmp(name, "assignee") == 0 || strcmp(name, "overdue") == 0 ||
                   strcmp(name, "due_before") == 0 || strcmp(name, "due_after") == 0) {
            field_error_add(st->j_errors, name, "invalid",
                            "assignee: 1 to 200 characters; overdue: true or false; dates: "
                            "YYYY-MM-DD");
        } else {
            field_error_add(st->j_errors, name, "unknown",
                            "is not a query parameter of this endpoint");
        }
    }
    if (json_array_size(st->j_errors) > 0) {
        snprintf(st->detail, sizeof st->detail, "see errors for each query parameter");
        rc = ERR_BAD_REQUEST;
        goto out;
    }
    /* one more than the page tells whether another follows */
    x.q.limit++;
    if ((rc = tx_read(app, actions_read, &x)) != ERR_OK)
        goto out;
    bool more = (int)json_array_size(x.j_items) == x.q.limit;
    if (more) {
        json_array_remove(x.j_items, json_array_size(x.j_items) - 1);
        json_t *last = json_array_get(x.j_items, json_array_size(x.j_items) - 1);
        const char *due = json_string_value(json_object_get(last, "due_date"));
        snprintf(x.last.sort, sizeof x.last.sort, "actions");
        snprintf(x.last.key, sizeof x.last.key, "%s", due ? due : "9999-12-31");
        snprintf(x.last.id, sizeof x.last.id, "%s", json_string_value(json_object_get(last, "id")));
        if (cursor_encode(&x.last, next) != ERR_OK) {
            rc = ERR_INTERNAL;
            goto out;
        }
    }
    *j_page = json_pack("{s:O, s:s?}", "items", x.j_items, "next_cursor", more ? next : NULL);
    rc = *j_page ? ERR_OK : ERR_INTERNAL;
out:
    json_decref(x.j_items);
    json_decref(x.q.j_status);
    return rc;
}
