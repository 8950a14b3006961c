/*
 * cases.c - the use cases of the case aggregate (usecase.h): create, read,
 * list, patch, transition, history and its verification.
 *
 * Every write appends its case-log row in the same transaction: the row's
 * sequence is the case's new version, its data the change and the snapshot
 * after it, its hash chained over the case's previous row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "field.h"
#include "log.h"
#include "sha256.h"
#include "tx.h"
#include "usecase.h"
#include "uuid.h"
#include "workflow.h"

void
uc_status_init(struct uc_status *st)
{
    memset(st, 0, sizeof *st);
    st->j_errors = json_array();
}

void
uc_status_cleanup(struct uc_status *st)
{
    if (st == NULL)
        return;
    json_decref(st->j_errors);
    json_decref(st->j_extra);
    memset(st, 0, sizeof *st);
}

/*
 * Canonical JSON text: sorted keys, compact. Caller frees. (json_pack's "s?"
 * writes null for a NULL string, so optional members are always present.)
 */
static char *
canonical(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

json_t *
tx_actor_json(const struct principal *p)
{
    /* the Actor schema: name always there (null when unknown), on_behalf_of only when given */
    return json_pack("{s:s, s:s, s:s?, s:s*}", "kind", p->kind, "subject", p->subject, "name",
                     p->name, "on_behalf_of", p->on_behalf_of);
}

char *
tx_actor_text(const struct principal *p)
{
    json_t *j = tx_actor_json(p);
    char *text = j ? canonical(j) : NULL;
    json_decref(j);
    return text;
}

int
tx_idem_init(struct tx_idem *idem, const char *key, const struct uc_origin *origin, const char *op,
             const json_t *j_request)
{
    json_t *j = NULL;
    char *text = NULL;
    int rc = ERR_INTERNAL;

    memset(idem, 0, sizeof *idem);
    if ((idem->key = key) == NULL)
        return ERR_OK;
    if (op != NULL && (j = json_pack("{s:s, s:O}", "operation", op, "request", j_request)) == NULL)
        return ERR_INTERNAL;
    /* keys are per principal: its kind and subject, as a key id and a token sub may match */
    snprintf(idem->owner, sizeof idem->owner, "%s:%s", origin->who->kind, origin->who->subject);
    /* the same request is the same JSON value, however its text was laid out */
    if ((text = canonical(op ? j : j_request)) != NULL)
        rc = sha256_hex(text, strlen(text), idem->hash);
    free(text);
    json_decref(j);
    return rc;
}

struct answer_ctx {
    const char *member;
    json_t *j_answer;
};

static int
answer_row(const struct log_row *row, void *arg)
{
    struct answer_ctx *x = arg;
    json_t *j_data = json_loads(row->entry.data, 0, NULL);
    x->j_answer = json_incref(json_object_get(j_data, x->member));
    json_decref(j_data);
    return ERR_OK;
}

int
tx_idem_begin(struct store_conn *c, const struct tx_idem *idem, const char *case_id,
              const char *member, json_t **j_replay, struct uc_status *st)
{
    struct idem_claim was;
    struct answer_ctx x = {.member = member};
    *j_replay = NULL;
    if (idem->key == NULL)
        return ERR_OK;
    int rc = store_idem_claim(c, idem->owner, idem->key, idem->hash, case_id, &was);
    if (rc != ERR_CONFLICT)
        return rc;
    if (!was.same_request) {
        snprintf(st->detail, sizeof st->detail,
                 "the Idempotency-Key was used before with a different request");
        return ERR_IDEMPOTENCY_MISMATCH;
    }
    if (was.sequence == 0) {
        /* a case created by an earlier release, which kept no answer: the case as it is */
        struct case_record rec = {0};
        if ((rc = store_case_select(c, was.case_id, false, &rec)) == ERR_OK &&
            (*j_replay = case_to_json(&rec)) == NULL)
            rc = ERR_INTERNAL;
        case_record_cleanup(&rec);
        return rc;
    }
    /* a retry of a request that succeeded: its answer is in the row it wrote */
    if ((rc = store_log_scan(c, was.case_id, was.sequence - 1, 1, answer_row, &x)) != ERR_OK)
        return rc;
    if (x.j_answer == NULL) {
        log_error("case %s has no answer to an idempotency key at sequence %d", case_id,
                  was.sequence);
        return ERR_INTERNAL;
    }
    *j_replay = x.j_answer;
    return ERR_OK;
}

int
tx_idem_end(struct store_conn *c, const struct tx_idem *idem, int sequence)
{
    return idem->key ? store_idem_answered(c, idem->owner, idem->key, sequence) : ERR_OK;
}

/*
 * Append the case-log row of a change to rec (already written, version
 * already the new one). j_data holds the change (borrowed); the snapshot of
 * rec is added as "case".
 */
int
tx_append_event(struct store_conn *c, const struct case_record *rec, const char *type,
                const json_t *j_change, const struct uc_origin *origin)
{
    char event_id[UUID_LEN], prev[CHAIN_HEX_LEN], hash[CHAIN_HEX_LEN];
    json_t *j_data = j_change ? json_deep_copy(j_change) : json_object();
    char *data = NULL, *actor_json = tx_actor_text(origin->who);
    int rc = ERR_INTERNAL;

    if (j_data == NULL || actor_json == NULL ||
        json_object_set_new(j_data, "case", case_to_json(rec)) != 0)
        goto out;
    if ((data = canonical(j_data)) == NULL || uuid_v4(event_id) != ERR_OK)
        goto out;
    if (rec->version == 1)
        memcpy(prev, chain_genesis, CHAIN_HEX_LEN);
    else if ((rc = store_log_head(c, rec->id, prev)) != ERR_OK)
        goto out;
    struct chain_entry e = {
        .event_id = event_id,
        .case_id = rec->id,
        .sequence = rec->version,
        .type = type,
        .actor = actor_json,
        .occurred_at = rec->updated_at,
        .data = data,
    };
    if ((rc = chain_hash(prev, &e, hash)) != ERR_OK)
        goto out;
    /* the trace context is transport metadata: hashed rows stay as they were */
    rc = store_log_append(c, &e, prev, hash, &origin->trace);
out:
    free(data);
    free(actor_json);
    json_decref(j_data);
    return rc;
}

int
tx_load_workflow(struct store_conn *c, int workflow_id, struct wf_definition **def)
{
    json_t *j_def = NULL, *j_errors = json_array();
    int version, rc = store_workflow_by_id(c, workflow_id, &version, &j_def);
    if (rc == ERR_OK && wf_definition_parse(j_def, def, j_errors) != ERR_OK) {
        log_error("stored workflow %d is invalid", workflow_id);
        rc = ERR_INTERNAL;
    }
    json_decref(j_def);
    json_decref(j_errors);
    return rc;
}

int
tx_case_facts(struct store_conn *c, const struct case_record *rec, struct wf_facts *out)
{
    struct wf_record_fact *rows = NULL;
    int n = 0;
    int rc = store_case_record_facts(c, rec->id, &rows, &n);
    if (rc == ERR_OK)
        wf_facts_compute(rec->kind, rec->severity, rec->cycle, rows, n, out);
    free(rows);
    return rc;
}

int
tx_check_open(const struct wf_definition *def, const struct case_record *rec, struct uc_status *st)
{
    char how[160];
    int s = wf_state_find(def, rec->status);
    if (s < 0 || !def->states[s].terminal)
        return ERR_OK;
    snprintf(st->detail, sizeof st->detail,
             "case %s is %s: it and its records change no more (comments and links excepted); "
             "%s",
             rec->key, rec->status, wf_reopen_text(def, rec->status, how, sizeof how));
    json_decref(st->j_extra);
    st->j_extra = json_pack("{s:s}", "current_status", rec->status);
    return ERR_CASE_CLOSED;
}

int
tx_case_touch(struct store_conn *c, struct case_record *rec, const char *type,
              const json_t *j_change, const struct uc_origin *origin)
{
    int rc = store_now(c, rec->updated_at);
    if (rc != ERR_OK)
        return rc;
    rec->version++;
    if ((rc = store_case_update(c, rec, rec->version - 1)) != ERR_OK)
        return rc;
    return tx_append_event(c, rec, type, j_change, origin);
}

/*
 * The due dates of rec under def's SLA. A detection so late that they would
 * fall after 9999 (the last year of the canonical timestamps) is refused as
 * the client's error on detected_at.
 */
static int
due_dates(struct case_record *rec, const struct wf_definition *def, json_t *j_errors)
{
    int contain_days, close_days;
    wf_sla_days(def, rec->severity, &contain_days, &close_days);
    if (case_due_dates(rec, contain_days, close_days) == ERR_OK)
        return ERR_OK;
    field_error_add(j_errors, "detected_at", "range",
                    "is too late: the due dates it gives would fall after 9999-12-31");
    return ERR_INVALID;
}

/* ---- create ---- */

struct create_ctx {
    const struct uc_origin *origin;
    struct tx_idem idem;
    struct case_record *rec;
    json_t *j_replay; /* a retry's answer: the case as the first request answered */
    struct uc_status *st;
};

static int
create_tx(struct store_conn *c, void *arg)
{
    struct create_ctx *x = arg;
    struct case_record *rec = x->rec;
    struct wf_definition *def = NULL;
    json_t *j_def = NULL, *j_errors = json_array();
    char now[DTIME_LEN];
    int rc, year, n;

    json_decref(x->j_replay);
    x->j_replay = NULL;
    json_array_clear(x->st->j_errors);
    if ((rc = uuid_v4(rec->id)) != ERR_OK)
        goto out;
    /* a retry of a request that already succeeded is answered as it was answered */
    if ((rc = tx_idem_begin(c, &x->idem, rec->id, "case", &x->j_replay, x->st)) != ERR_OK ||
        x->j_replay != NULL)
        goto out;
    if ((rc = store_workflow_current(c, rec->kind, &rec->workflow_id, &rec->workflow_version,
                                     &j_def)) != ERR_OK)
        goto out;
    if (wf_definition_parse(j_def, &def, j_errors) != ERR_OK) {
        log_error("the current %s workflow is invalid", case_kind_text(rec->kind));
        rc = ERR_INTERNAL;
        goto out;
    }
    if ((rc = due_dates(rec, def, x->st->j_errors)) != ERR_OK)
        goto out;
    if ((rc = store_now(c, now)) != ERR_OK ||
        (rc = case_check_detected(rec, now, x->st->j_errors)) != ERR_OK)
        goto out;
    /*
     * Look for recurrences before taking a key: the counter row stays locked
     * until commit and serialises every create of the kind, so nothing slow
     * may run after it.
     */
    json_decref(rec->j_recurrences);
    rec->j_recurrences = NULL;
    if ((rc = store_case_recurrences(c, rec, &rec->j_recurrences)) != ERR_OK)
        goto out;
    if ((rc = store_key_next(c, case_key_prefix(rec->kind), &year, &n, rec->created_at)))
        goto out;
    if ((rc = case_key_format(rec->kind, year, n, rec->key)) != ERR_OK) {
        rc = ERR_INTERNAL;
        goto out;
    }
    const struct wf_state *initial = &def->states[def->initial];
    snprintf(rec->status, sizeof rec->status, "%s", initial->name);
    memcpy(rec->updated_at, rec->created_at, DTIME_LEN);
    rec->contained_at[0] = rec->closed_at[0] = '\0';
    if (initial->contained)
        memcpy(rec->contained_at, rec->created_at, DTIME_LEN);
    rec->version = 1;
    rec->cycle = 1;
    if ((rc = store_case_insert(c, rec)) != ERR_OK)
        goto out;
    if ((rc = tx_append_event(c, rec, "capa.case.created", NULL, x->origin)) != ERR_OK)
        goto out;
    rc = tx_idem_end(c, &x->idem, rec->version);
out:
    wf_definition_free(def);
    json_decref(j_def);
    json_decref(j_errors);
    return rc;
}

int
uc_case_create(struct app *app, const struct uc_origin *origin, const json_t *j_body,
               const char *idempotency_key, struct case_record *out, json_t **j_replay,
               struct uc_status *st)
{
    struct create_ctx x = {.origin = origin, .rec = out, .st = st};
    int rc;

    *j_replay = NULL;
    if ((rc = case_input_decode(j_body, out, st->j_errors)) != ERR_OK)
        return rc;
    if ((rc = tx_idem_init(&x.idem, idempotency_key, origin, NULL, j_body)) != ERR_OK)
        return rc;
    rc = tx_run(app, create_tx, &x);
    *j_replay = x.j_replay;
    return rc;
}

/* ---- get ---- */

struct get_ctx {
    const char *id_or_key;
    struct case_record *rec;
    struct wf_facts facts;
};

static int
get_read(struct store_conn *c, void *arg)
{
    struct get_ctx *x = arg;
    struct wf_record_fact *rows = NULL;
    int n = 0;
    case_record_cleanup(x->rec);
    int rc = store_case_select_with_facts(c, x->id_or_key, x->rec, &rows, &n);
    if (rc == ERR_OK)
        wf_facts_compute(x->rec->kind, x->rec->severity, x->rec->cycle, rows, n, &x->facts);
    free(rows);
    return rc;
}

int
uc_case_get(struct app *app, const char *id_or_key, struct case_record *out, json_t **j_readiness,
            struct uc_status *st)
{
    struct get_ctx x = {.id_or_key = id_or_key, .rec = out};
    (void)st;
    *j_readiness = NULL;
    int rc = tx_read(app, get_read, &x);
    if (rc == ERR_OK && (*j_readiness = wf_readiness_json(&x.facts)) == NULL)
        rc = ERR_INTERNAL;
    return rc;
}

/* ---- list ---- */

struct list_ctx {
    const struct case_query *q;
    struct case_page page;
};

static int
list_read(struct store_conn *c, void *arg)
{
    struct list_ctx *x = arg;
    store_case_page_cleanup(&x->page);
    return store_case_list(c, x->q, &x->page);
}

int
uc_case_list(struct app *app, const json_t *j_params, json_t **j_page, struct uc_status *st)
{
    struct case_query q;
    struct list_ctx x = {.q = &q};
    json_t *j_items = NULL;
    char cursor[CURSOR_MAX];
    int rc;

    *j_page = NULL;
    if ((rc = case_query_parse(j_params, &q, st->j_errors)) != ERR_OK)
        goto out;
    if ((rc = tx_read(app, list_read, &x)) != ERR_OK)
        goto out;
    j_items = json_array();
    for (int i = 0; i < x.page.n; i++)
        json_array_append_new(j_items, case_to_json(&x.page.items[i]));
    if (x.page.more && cursor_encode(&x.page.next, cursor) != ERR_OK) {
        rc = ERR_INTERNAL;
        goto out;
    }
    *j_page =
        json_pack("{s:O, s:s?}", "items", j_items, "next_cursor", x.page.more ? cursor : NULL);
    rc = *j_page ? ERR_OK : ERR_INTERNAL;
out:
    json_decref(j_items);
    store_case_page_cleanup(&x.page);
    case_query_cleanup(&q);
    return rc;
}

/* ---- update (merge patch) ---- */

struct update_ctx {
    const struct uc_origin *origin;
    const char *id_or_key;
    int if_match;
    const json_t *j_patch;
    struct case_record *rec;
    struct uc_status *st;
};

int
tx_check_version(const struct case_record *rec, int if_match, struct uc_status *st)
{
    if (if_match <= 0 || rec->version == if_match)
        return ERR_OK;
    st->current_version = rec->version;
    snprintf(st->detail, sizeof st->detail,
             "the case is at version %d, the request was made against version %d", rec->version,
             if_match);
    return ERR_PRECONDITION_FAILED;
}

int
tx_lock_case(struct store_conn *c, const char *id_or_key, int if_match, struct case_record *rec,
             struct uc_status *st)
{
    case_record_cleanup(rec);
    int rc = store_case_select(c, id_or_key, true, rec);
    return rc == ERR_OK ? tx_check_version(rec, if_match, st) : rc;
}

static int
update_tx(struct store_conn *c, void *arg)
{
    struct update_ctx *x = arg;
    struct case_record *rec = x->rec;
    struct wf_definition *def = NULL;
    json_t *j_diff = NULL, *j_change = NULL;
    char now[DTIME_LEN];
    int rc;

    json_array_clear(x->st->j_errors);
    if ((rc = tx_lock_case(c, x->id_or_key, x->if_match, rec, x->st)) != ERR_OK)
        goto out;
    if ((rc = tx_load_workflow(c, rec->workflow_id, &def)) != ERR_OK ||
        (rc = tx_check_open(def, rec, x->st)) != ERR_OK)
        goto out;
    if ((rc = case_patch(rec, x->j_patch, &j_diff, x->st->j_errors)) != ERR_OK)
        goto out;
    if (json_object_size(j_diff) == 0)
        goto out; /* nothing changes: no new version, no event */
    if (json_object_get(j_diff, "detected_at") &&
        ((rc = store_now(c, now)) != ERR_OK ||
         (rc = case_check_detected(rec, now, x->st->j_errors)) != ERR_OK))
        goto out;
    if ((json_object_get(j_diff, "severity") || json_object_get(j_diff, "detected_at")) &&
        (rc = due_dates(rec, def, x->st->j_errors)) != ERR_OK)
        goto out;
    j_change = json_pack("{s:O}", "changes", j_diff);
    rc = tx_case_touch(c, rec, "capa.case.updated", j_change, x->origin);
out:
    wf_definition_free(def);
    json_decref(j_diff);
    json_decref(j_change);
    return rc;
}

int
uc_case_update(struct app *app, const struct uc_origin *origin, const char *id_or_key, int if_match,
               const json_t *j_patch, struct case_record *out, struct uc_status *st)
{
    struct update_ctx x = {.origin = origin,
                           .id_or_key = id_or_key,
                           .if_match = if_match,
                           .j_patch = j_patch,
                           .rec = out,
                           .st = st};
    return tx_run(app, update_tx, &x);
}

/* ---- transition ---- */

struct transition_ctx {
    const struct uc_origin *origin;
    const char *id_or_key;
    int if_match;
    const char *to;
    const char *comment;
    struct tx_idem idem;
    struct case_record *rec;
    json_t *j_replay;
    struct uc_status *st;
};

static bool
blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

static void
refusal(const struct wf_definition *def, const struct case_record *rec, const char *to,
        const struct wf_facts *facts, const struct wf_check *check, struct uc_status *st)
{
    json_t *j_unmet = json_array();
    for (int g = 0; g < check->n_unmet; g++)
        json_array_append_new(j_unmet,
                              json_pack("{s:s, s:s}", "guard", wf_guard_name(check->unmet[g]),
                                        "detail", wf_guard_detail(check->unmet[g])));
    json_decref(st->j_extra);
    st->j_extra = json_pack("{s:s, s:s, s:o, s:o}", "current_status", rec->status, "requested", to,
                            "unmet_guards", j_unmet, "allowed_transitions",
                            wf_options_json(def, rec->status, facts));
    if (check->transition == NULL) {
        snprintf(st->detail, sizeof st->detail, "the %s workflow has no transition from %s to %s",
                 case_kind_text(rec->kind), rec->status, to);
    } else {
        size_t off = (size_t)snprintf(st->detail, sizeof st->detail,
                                      "cannot move from %s to %s: unmet guard%s", rec->status, to,
                                      check->n_unmet > 1 ? "s" : "");
        for (int g = 0; g < check->n_unmet && off < sizeof st->detail; g++)
            off += (size_t)snprintf(st->detail + off, sizeof st->detail - off, "%s %s",
                                    g ? "," : "", wf_guard_name(check->unmet[g]));
    }
}

int
tx_case_move(struct store_conn *c, struct case_record *rec, const struct wf_state *target,
             const char *comment, bool new_cycle, const struct uc_origin *origin)
{
    char from[CASE_STATUS_LEN];
    json_t *j_change = NULL;
    int rc;

    snprintf(from, sizeof from, "%s", rec->status);
    snprintf(rec->status, sizeof rec->status, "%s", target->name);
    if ((rc = store_now(c, rec->updated_at)) != ERR_OK)
        return rc;
    if (target->contained && !rec->contained_at[0]) {
        memcpy(rec->contained_at, rec->updated_at, DTIME_LEN);
        if ((rc = store_case_containment(c, rec->id, rec->containment_performed_at)) != ERR_OK)
            return rc;
    }
    rec->closed_at[0] = '\0';
    if (target->terminal)
        memcpy(rec->closed_at, rec->updated_at, DTIME_LEN);
    j_change = json_pack("{s:{s:s, s:s, s:s?}, s:{s:{s:s, s:s}}}", "transition", "from", from, "to",
                         rec->status, "comment", comment, "changes", "status", "before", from,
                         "after", rec->status);
    if (j_change != NULL && new_cycle) {
        /* a new cycle: the guards count its records only from now on */
        json_object_set_new(json_object_get(j_change, "transition"), "new_cycle", json_true());
        json_object_set_new(json_object_get(j_change, "changes"), "cycle",
                            json_pack("{s:i, s:i}", "before", rec->cycle, "after", rec->cycle + 1));
        rec->cycle++;
        rec->reopened_count++;
    }
    rc =
        j_change ? tx_case_touch(c, rec, "capa.case.transitioned", j_change, origin) : ERR_INTERNAL;
    json_decref(j_change);
    return rc;
}

static int
transition_tx(struct store_conn *c, void *arg)
{
    struct transition_ctx *x = arg;
    struct case_record *rec = x->rec;
    struct wf_definition *def = NULL;
    struct wf_facts facts;
    struct wf_check check;
    int rc;

    json_decref(x->j_replay);
    x->j_replay = NULL;
    /* a retry answers as the move did, though the case has moved on since */
    if ((rc = tx_lock_case(c, x->id_or_key, 0, rec, x->st)) != ERR_OK ||
        (rc = tx_idem_begin(c, &x->idem, rec->id, "case", &x->j_replay, x->st)) != ERR_OK ||
        x->j_replay != NULL || (rc = tx_check_version(rec, x->if_match, x->st)) != ERR_OK)
        goto out;
    if ((rc = tx_load_workflow(c, rec->workflow_id, &def)) != ERR_OK)
        goto out;
    if ((rc = tx_case_facts(c, rec, &facts)) != ERR_OK)
        goto out;
    facts.comment_given = !blank(x->comment);
    rc = wf_check(def, rec->status, x->to, &facts, &check);
    if (rc == ERR_NOT_FOUND) {
        log_error("case %s is in state %s, which its workflow does not define", rec->id,
                  rec->status);
        rc = ERR_INTERNAL;
    }
    /* who may take a move comes before whether the case is ready for it */
    if ((rc == ERR_OK || rc == ERR_TRANSITION) && check.transition &&
        (check.transition->roles & x->origin->who->roles) == 0) {
        char roles[96];
        snprintf(x->st->detail, sizeof x->st->detail,
                 "the workflow lets only the role %s move a case from %s to %s",
                 access_roles_text(check.transition->roles, roles, sizeof roles), rec->status,
                 x->to);
        /* as the route's own 403: the roles that may, by name */
        json_decref(x->st->j_extra);
        x->st->j_extra =
            json_pack("{s:o}", "required_roles", access_roles_json(check.transition->roles));
        rc = ERR_FORBIDDEN;
        goto out;
    }
    if (rc == ERR_TRANSITION)
        refusal(def, rec, x->to, &facts, &check, x->st);
    if (rc != ERR_OK)
        goto out;

    if ((rc = tx_case_move(c, rec, &def->states[check.transition->to], x->comment,
                           check.transition->reopen, x->origin)) != ERR_OK)
        goto out;
    rc = tx_idem_end(c, &x->idem, rec->version);
out:
    wf_definition_free(def);
    return rc;
}

int
uc_case_transition(struct app *app, const struct uc_origin *origin, const char *id_or_key,
                   int if_match, const json_t *j_body, const char *idempotency_key,
                   struct case_record *out, json_t **j_replay, struct uc_status *st)
{
    char to[WF_NAME_MAX], op[160];
    struct transition_ctx x = {.origin = origin,
                               .id_or_key = id_or_key,
                               .if_match = if_match,
                               .to = to,
                               .rec = out,
                               .st = st};
    *j_replay = NULL;
    int rc = wf_request_decode(j_body, to, &x.comment, st->j_errors);
    if (rc != ERR_OK)
        return rc;
    snprintf(op, sizeof op, "case.transition %s", id_or_key);
    if ((rc = tx_idem_init(&x.idem, idempotency_key, origin, op, j_body)) != ERR_OK)
        return rc;
    rc = tx_run(app, transition_tx, &x);
    *j_replay = x.j_replay;
    return rc;
}

struct options_ctx {
    const char *id_or_key;
    json_t *j_out;
};

static int
options_read(struct store_conn *c, void *arg)
{
    struct options_ctx *x = arg;
    struct case_record rec = {0};
    struct wf_definition *def = NULL;
    struct wf_facts facts;
    int rc;

    json_decref(x->j_out);
    x->j_out = NULL;
    if ((rc = store_case_select(c, x->id_or_key, false, &rec)) != ERR_OK)
        goto out;
    if ((rc = tx_load_workflow(c, rec.workflow_id, &def)) != ERR_OK)
        goto out;
    if ((rc = tx_case_facts(c, &rec, &facts)) != ERR_OK)
        goto out;
    /* a comment can always be given with the request: do not count it as missing */
    facts.comment_given = true;
    x->j_out = json_pack("{s:s, s:o}", "status", rec.status, "transitions",
                         wf_options_json(def, rec.status, &facts));
    rc = x->j_out ? ERR_OK : ERR_INTERNAL;
out:
    wf_definition_free(def);
    case_record_cleanup(&rec);
    return rc;
}

int
uc_case_transitions(struct app *app, const char *id_or_key, json_t **j_out, struct uc_status *st)
{
    struct options_ctx x = {.id_or_key = id_or_key};
    (void)st;
    int rc = tx_read(app, options_read, &x);
    *j_out = x.j_out;
    return rc;
}

/* ---- history ---- */

struct history_ctx {
    const char *id_or_key;
    int after;
    int limit;
    json_t *j_items;
    struct case_record rec;
};

static int
history_row(const struct log_row *row, void *arg)
{
    struct history_ctx *x = arg;
    json_t *j_actor = json_loads(row->entry.actor, 0, NULL);
    json_t *j_data = json_loads(row->entry.data, 0, NULL);
    /* damaged rows are refused and logged, never shown as null */
    if (j_actor == NULL || j_data == NULL) {
        log_error("case %s: the history row at sequence %d is damaged (its actor or data is "
                  "not JSON)",
                  row->entry.case_id, row->entry.sequence);
        json_decref(j_actor);
        json_decref(j_data);
        return ERR_INTERNAL;
    }
    json_t *j = json_pack("{s:I, s:s, s:s, s:i, s:s, s:o, s:s, s:o, s:s, s:s}", "position",
                          (json_int_t)row->position, "event_id", row->entry.event_id, "case_id",
                          row->entry.case_id, "sequence", row->entry.sequence, "type",
                          row->entry.type, "actor", j_actor, "occurred_at", row->entry.occurred_at,
                          "data", j_data, "prev_hash", row->prev_hash, "hash", row->hash);
    if (j == NULL)
        return ERR_INTERNAL;
    json_array_append_new(x->j_items, j);
    return ERR_OK;
}

static int
history_read(struct store_conn *c, void *arg)
{
    struct history_ctx *x = arg;
    int rc;
    case_record_cleanup(&x->rec);
    json_array_clear(x->j_items);
    if ((rc = store_case_select(c, x->id_or_key, false, &x->rec)) != ERR_OK)
        return rc;
    /* one row more than the page tells whether another page follows */
    return store_log_scan(c, x->rec.id, x->after, x->limit + 1, history_row, x);
}

int
uc_case_history(struct app *app, const char *id_or_key, int after, int limit, json_t **j_page,
                struct uc_status *st)
{
    struct history_ctx x = {
        .id_or_key = id_or_key, .after = after, .limit = limit, .j_items = json_array()};
    (void)st;
    *j_page = NULL;
    int rc = tx_read(app, history_read, &x);
    if (rc == ERR_OK) {
        bool more = (int)json_array_size(x.j_items) > limit;
        if (more)
            json_array_remove(x.j_items, (size_t)limit);
        json_t *j_last = json_array_get(x.j_items, json_array_size(x.j_items) - 1);
        *j_page = json_pack("{s:O, s:o}", "items", x.j_items, "next_after",
                            more ? json_incref(json_object_get(j_last, "sequence")) : json_null());
        rc = *j_page ? ERR_OK : ERR_INTERNAL;
    }
    json_decref(x.j_items);
    case_record_cleanup(&x.rec);
    return rc;
}

/* ---- verify ---- */

struct verify_ctx {
    const char *id_or_key;
    struct case_record rec;
    int events;
    char expected_prev[CHAIN_HEX_LEN];
    int first_invalid; /* 0: none */
    const char *reason;
};

static int
verify_row(const struct log_row *row, void *arg)
{
    struct verify_ctx *x = arg;
    char hash[CHAIN_HEX_LEN];
    int expected_seq = x->events + 1;

    x->events++;
    if (row->entry.sequence != expected_seq)
        x->reason = "a row is missing before this sequence";
    else if (strcmp(row->prev_hash, x->expected_prev) != 0)
        x->reason = "prev_hash does not match the hash of the preceding row";
    else if (chain_hash(x->expected_prev, &row->entry, hash) != ERR_OK)
        return ERR_INTERNAL;
    else if (strcmp(hash, row->hash) != 0)
        x->reason = "the row's content does not match its hash: it was altered";
    if (x->reason != NULL) {
        x->first_invalid = expected_seq;
        return STORE_SCAN_STOP; /* the chain is broken here */
    }
    memcpy(x->expected_prev, row->hash, CHAIN_HEX_LEN);
    return ERR_OK;
}

static int
verify_read(struct store_conn *c, void *arg)
{
    struct verify_ctx *x = arg;
    int rc;
    case_record_cleanup(&x->rec);
    x->events = 0;
    x->first_invalid = 0;
    x->reason = NULL;
    memcpy(x->expected_prev, chain_genesis, CHAIN_HEX_LEN);
    if ((rc = store_case_select(c, x->id_or_key, false, &x->rec)) != ERR_OK)
        return rc;
    rc = store_log_scan(c, x->rec.id, 0, 0, verify_row, x);
    if (rc == ERR_OK && x->reason == NULL && x->events != x->rec.version) {
        x->first_invalid = x->events + 1;
        x->reason = "the history ends before the case's current version: rows were removed";
    }
    return rc;
}

int
uc_case_verify(struct app *app, const char *id_or_key, json_t **j_result, struct uc_status *st)
{
    struct verify_ctx x = {.id_or_key = id_or_key};
    (void)st;
    *j_result = NULL;
    int rc = tx_read(app, verify_read, &x);
    if (rc == ERR_OK) {
        bool valid = x.reason == NULL;
        *j_result =
            json_pack("{s:s, s:b, s:i, s:s?, s:o, s:s?}", "case_id", x.rec.id, "valid", valid,
                      "events", x.events, "head", x.events > 0 && valid ? x.expected_prev : NULL,
                      "first_invalid_sequence", valid ? json_null() : json_integer(x.first_invalid),
                      "reason", x.reason);
        if (*j_result == NULL)
            rc = ERR_INTERNAL;
    }
    case_record_cleanup(&x.rec);
    return rc;
}
