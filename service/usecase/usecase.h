/*
 * usecase.h - one function per operation of capa. Each opens one transaction
 * (retried on serialization failure or deadlock), loads, asks the domain,
 * writes the change and its case-log row, and commits. The HTTP layer calls
 * these and nothing below them.
 *
 *   uc_case_create, uc_case_get, uc_case_list, uc_case_update,
 *   uc_case_transition, uc_case_transitions, uc_case_history, uc_case_verify,
 *   uc_workflow_list
 *
 * Every function returns an enum err and, for errors a client can act on,
 * fills a struct uc_status with what the problem response shows. Every
 * write takes the struct uc_origin of its request: who asks, and the trace
 * context its events carry.
 */
#ifndef CAPA_USECASE_H
#define CAPA_USECASE_H

#include <jansson.h>
#include <stdbool.h>

#include "access.h"
#include "apikey.h"
#include "app.h"
#include "case.h"
#include "query.h"
#include "record.h"
#include "trace.h"

/* What a refusal tells the client. Owned members; clean up with uc_status_cleanup. */
struct uc_status {
    json_t *j_errors;    /* per-field errors (array) */
    json_t *j_extra;     /* extension members of the problem (object) or NULL */
    char detail[256];    /* human detail, "" for the default of the error */
    int current_version; /* with ERR_PRECONDITION_FAILED: the version now */
};

void uc_status_init(struct uc_status *st);
void uc_status_cleanup(struct uc_status *st);

/*
 * Open app->pool with the database settings of app->cfg: size connections
 * that PostgreSQL sees as application_name (tx.c). ERR_INTERNAL when out of
 * memory; connections open on first use.
 */
int uc_pool_open(struct app *app, int size, const char *application_name);

/*
 * Authentication (auth.c). A request's identity owns the strings its
 * principal points at.
 */
struct uc_identity {
    struct principal p;
    char kind[16];
    char subject[256];
    char name[256];
    char on_behalf_of[256];
};

/*
 * Set up authentication: the cache of API keys (CAPA_AUTH_CACHE_S), and the
 * identity provider's keys when CAPA_JWT_JWKS_FILE or _PEM_FILE is set
 * (app->jwt). ERR_INVALID with a message logged when they cannot serve.
 * uc_auth_cleanup releases them.
 */
int uc_auth_init(struct app *app);
void uc_auth_cleanup(struct app *app);

/*
 * Who a bearer token is: an API key ("capa_...") or a JWT of the configured
 * issuer. ERR_UNAUTHORIZED with *reason (a static code for logs and metrics,
 * never shown to the client) when it is nobody; ERR_UNAVAILABLE when the
 * database cannot tell.
 */
int uc_authenticate(struct app *app, const char *token, struct uc_identity *id,
                    const char **reason);
/*
 * Let id act for a person (Capa-On-Behalf-Of): ERR_FORBIDDEN unless it is a
 * delegate, ERR_BAD_REQUEST for an empty, overlong or control-character name.
 */
int uc_identity_act_for(struct uc_identity *id, const char *person, struct uc_status *st);

/*
 * API keys (`capad apikey`). Create fills key with the secret, shown once;
 * *j_key = {id, name, roles, delegate}. ERR_INVALID for a bad name or no
 * role, ERR_CONFLICT when an active key has the name. List gives every key,
 * revoked ones too, without secrets. Revoke takes an id or a name.
 */
int uc_apikey_create(struct app *app, const char *name, unsigned roles, bool delegate,
                     char key[APIKEY_LEN + 1], json_t **j_key, struct uc_status *st);
int uc_apikey_list(struct app *app, json_t **j_items, struct uc_status *st);
int uc_apikey_revoke(struct app *app, const char *id_or_name, json_t **j_key, struct uc_status *st);

/*
 * Where a change comes from: the request context the HTTP layer fills once
 * per request and hands to every write use case. who acts: the case-log rows
 * the request writes name it as their actor, and what it may do is checked
 * against it (a change the system makes on the request's behalf, such as
 * reopening a case after a not-effective verdict, names the system instead).
 * trace is the request's W3C trace context: every row the request writes,
 * the system's too, carries it to its event (ce_traceparent, ce_tracestate)
 * and its feed item, beside the hashed content, never in it. All borrowed for
 * the call.
 */
struct uc_origin {
    const struct principal *who; /* the authenticated caller (NULL only on public routes) */
    struct trace_context trace;  /* "" members: the request carried none, or none valid */
};

/*
 * Idempotency keys. Every write that a client POSTs takes the request's
 * Idempotency-Key (NULL: none), per principal: a retry with the same key and
 * the same request writes nothing and gets the answer the first request got,
 * as the case log kept it (*j_replay or *replayed); the same key with another
 * request is ERR_IDEMPOTENCY_MISMATCH. A key whose first request failed is
 * not kept.
 */

/*
 * Create a case from a request body (idempotency above: *j_replay, new
 * reference, is the case the first request created, as it was answered).
 * out must be zeroed; clean it up in every case.
 */
int uc_case_create(struct app *app, const struct uc_origin *origin, const json_t *j_body,
                   const char *idempotency_key, struct case_record *out, json_t **j_replay,
                   struct uc_status *st);

/*
 * Load a case by id or key, with its readiness for closure by element of
 * clause 10.2 (*j_readiness, new reference), both from one snapshot.
 * ERR_NOT_FOUND when there is none.
 */
int uc_case_get(struct app *app, const char *id_or_key, struct case_record *out,
                json_t **j_readiness, struct uc_status *st);

/*
 * A page of cases: *j_page = {"items": [...], "next_cursor": "..." | null}
 * (new reference). Query parameters come as a JSON object of strings.
 */
int uc_case_list(struct app *app, const json_t *j_params, json_t **j_page, struct uc_status *st);

/*
 * Apply a JSON Merge Patch to a case whose version is if_match.
 * ERR_PRECONDITION_FAILED when the version differs (st->current_version).
 * A patch that changes nothing writes nothing and returns the case.
 */
int uc_case_update(struct app *app, const struct uc_origin *origin, const char *id_or_key,
                   int if_match, const json_t *j_patch, struct case_record *out,
                   struct uc_status *st);

/*
 * Move a case to another state of its workflow: body {"to", "comment"}.
 * ERR_TRANSITION when the workflow refuses (st->j_extra holds current_status,
 * requested, unmet_guards and allowed_transitions). A replayed idempotency
 * key answers *j_replay (the case as the first move left it) and leaves out.
 */
int uc_case_transition(struct app *app, const struct uc_origin *origin, const char *id_or_key,
                       int if_match, const json_t *j_body, const char *idempotency_key,
                       struct case_record *out, json_t **j_replay, struct uc_status *st);

/* {"status", "transitions": [...]}: every move out of the current state. */
int uc_case_transitions(struct app *app, const char *id_or_key, json_t **j_out,
                        struct uc_status *st);

/* {"items": [...], "next_after": n | null}: the case log of one case. */
int uc_case_history(struct app *app, const char *id_or_key, int after, int limit, json_t **j_page,
                    struct uc_status *st);

/* Recompute the hash chain of a case: {"case_id", "valid", "events", "head", ...}. */
int uc_case_verify(struct app *app, const char *id_or_key, json_t **j_result, struct uc_status *st);

/*
 * Readiness: *j_checks = {"database": "ok" | "unreachable", "migrations":
 * "ok" | "pending" | "unknown" | "unchecked", "relay": "disabled" |
 * "connecting" | "standby" | "leader"} (new reference). Returns true when the
 * database and migrations are ok; the relay's state is information only.
 */
bool uc_ready(struct app *app, json_t **j_checks);

/*
 * The event feed: {"items": [CloudEvents], "next_after": "<feed position>" |
 * null}. Parameters (JSON object of strings): after (a feed position, from
 * next_after or an event's feedposition), limit (1-1000, default 100), type
 * (a CloudEvents type), case_id. ERR_BAD_REQUEST on bad parameters.
 */
int uc_events_list(struct app *app, const json_t *j_params, json_t **j_page, struct uc_status *st);

/* Prometheus text exposition of the service's own metrics (caller frees). */
char *uc_metrics_text(struct app *app);

/*
 * Records beneath a case (records.c): corrections, the root-cause analysis,
 * actions, effectiveness reviews, ISMS changes, links, comments, approvals;
 * evidence has its own calls. Every change bumps the case's version and is
 * logged with its event type in the same transaction.
 *
 * Creates check case_if_match when it is > 0 (412 when stale); without it
 * they append to the case as it is. Updates need record_if_match, the
 * record's version. The record JSON is the content plus id, case_id, number,
 * version and who created and last changed it.
 */
int uc_record_create(struct app *app, const struct uc_origin *origin, const char *case_ref,
                     enum rec_kind kind, const json_t *j_body, int case_if_match,
                     const char *idempotency_key, json_t **j_record, bool *replayed,
                     struct uc_status *st);
/* An action's PATCH, or a review's verdict (POST: with an idempotency key). */
int uc_record_update(struct app *app, const struct uc_origin *origin, const char *case_ref,
                     enum rec_kind kind, const char *record_id, int record_if_match,
                     const json_t *j_patch, const char *idempotency_key, json_t **j_record,
                     bool *replayed, struct uc_status *st);
/* The current root-cause analysis is replaced as a whole: create or new revision. */
int uc_root_cause_put(struct app *app, const struct uc_origin *origin, const char *case_ref,
                      const json_t *j_body, int if_match, json_t **j_record, struct uc_status *st);
/* Remove a link (kept, marked removed; capa.link.removed). */
int uc_link_remove(struct app *app, const struct uc_origin *origin, const char *case_ref,
                   const char *link_id, struct uc_status *st);
/*
 * {"items": [...]} of a kind (of one cycle when cycle > 0); one record; the
 * current root cause (ERR_NOT_FOUND when none).
 */
int uc_record_list(struct app *app, const char *case_ref, enum rec_kind kind, int cycle,
                   json_t **j_out, struct uc_status *st);
int uc_record_get(struct app *app, const char *case_ref, enum rec_kind kind, const char *record_id,
                  json_t **j_record, struct uc_status *st);

/*
 * Evidence: bytes stored with their SHA-256; supersedes names an earlier
 * evidence record of the case that this one replaces (NULL: none).
 */
int uc_evidence_add(struct app *app, const struct uc_origin *origin, const char *case_ref,
                    const char *filename, const char *media_type, const void *bytes, size_t len,
                    const char *supersedes, int case_if_match, const char *idempotency_key,
                    json_t **j_record, bool *replayed, struct uc_status *st);
/* The bytes of an evidence record with its metadata (caller frees *bytes, decrefs *j_record). */
int uc_evidence_content(struct app *app, const char *case_ref, const char *evidence_id,
                        void **bytes, size_t *len, json_t **j_record, struct uc_status *st);

/*
 * Actions across cases: {"items": [action + case_key + overdue], "next_cursor"}.
 * Parameters: assignee, status (comma list), overdue (true|false), due_before,
 * due_after (YYYY-MM-DD), limit (1-200), cursor. Ordered by due date, undated last.
 */
int uc_actions_list(struct app *app, const json_t *j_params, json_t **j_page, struct uc_status *st);

/* {"items": [...]}: the Annex A control catalogue. */
int uc_controls_list(struct app *app, json_t **j_out, struct uc_status *st);

/*
 * Replace the workflow of a kind ("nonconformity" | "improvement") with a new
 * version, after validating it (ERR_INVALID naming each problem). Cases
 * already open keep the version they started under. ERR_NOT_FOUND for an
 * unknown kind.
 */
int uc_workflow_put(struct app *app, const char *kind, const json_t *j_definition, json_t **j_out,
                    struct uc_status *st);

/* {"items": [...]}: the newest workflow definition of each kind. */
int uc_workflow_list(struct app *app, json_t **j_out, struct uc_status *st);

#endif
