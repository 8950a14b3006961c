/*
 * tx.h - how a use case runs against the database, and the steps the use
 * cases share (private to usecase/: the tx_ prefix marks what no other layer
 * sees).
 *
 *   tx_run        fn inside one transaction, retried (up to 3 attempts) on
 *                 serialization failure or deadlock; fn must reset its outputs
 *                 at the start of each attempt
 *   tx_read       fn on a pooled connection without an explicit transaction
 *                 (single statements, or reads of append-only rows); retried
 *                 once when the connection turned out to be lost
 *   tx_read_json  tx_read of a store function that reads one JSON value
 */
#ifndef CAPA_TX_H
#define CAPA_TX_H

#include <jansson.h>
#include <stdbool.h>

#include "app.h"
#include "chain.h"
#include "store.h"

typedef int (*tx_fn)(struct store_conn *c, void *ctx);

int tx_run(struct app *app, tx_fn fn, void *ctx);
int tx_read(struct app *app, tx_fn fn, void *ctx);

/* A store read that fills *j_out with a new reference. */
typedef int (*tx_json_read_fn)(struct store_conn *c, json_t **j_out);
/* Run read with tx_read: *j_out is its value (new reference), or NULL on failure. */
int tx_read_json(struct app *app, tx_json_read_fn read, json_t **j_out);

/* Shared by the use cases of cases and of their records (cases.c). */
struct principal;
struct uc_origin;
struct uc_status;
struct wf_definition;

/*
 * The actor of a change (openapi.yaml's Actor): {kind, subject, name (null
 * when unknown), on_behalf_of (only for a delegate acting for a person)}.
 * tx_actor_json returns a new reference, tx_actor_text canonical JSON text
 * (caller frees); NULL when out of memory.
 */
json_t *tx_actor_json(const struct principal *p);
char *tx_actor_text(const struct principal *p);
/*
 * Load a case for writing (row locked) and, when if_match > 0, check its
 * version (tx_check_version).
 */
int tx_lock_case(struct store_conn *c, const char *id_or_key, int if_match, struct case_record *rec,
                 struct uc_status *st);
/* ERR_PRECONDITION_FAILED with st filled when if_match > 0 and rec is at another version. */
int tx_check_version(const struct case_record *rec, int if_match, struct uc_status *st);

/*
 * Idempotency-Key of a write, per principal: the key as sent (NULL: none),
 * whose it is, and the SHA-256 of the request it came with.
 */
struct tx_idem {
    const char *key;
    char owner[300];
    char hash[CHAIN_HEX_LEN];
};
/*
 * Fill idem for a request of origin with key (NULL: none). The hash is of
 * the canonical JSON of {"operation": op, "request": j_request}, or of
 * j_request alone when op is NULL (a case create, as earlier releases hashed
 * it). ERR_INTERNAL when out of memory.
 */
int tx_idem_init(struct tx_idem *idem, const char *key, const struct uc_origin *origin,
                 const char *op, const json_t *j_request);
/*
 * In the write's transaction, once the case it writes is locked: claim the
 * key for case_id. Returns 0 with *j_replay NULL when the write goes on (a
 * new key, or none); 0 with *j_replay (new reference) the answer the first
 * request with this key got, member ("record" or "case") of the case-log row
 * that answered it; ERR_IDEMPOTENCY_MISMATCH (st->detail) when the key came
 * with another request.
 */
int tx_idem_begin(struct store_conn *c, const struct tx_idem *idem, const char *case_id,
                  const char *member, json_t **j_replay, struct uc_status *st);
/* Keep the sequence of the case-log row that answers the claimed key (none: nothing). */
int tx_idem_end(struct store_conn *c, const struct tx_idem *idem, int sequence);
/* Load and validate the workflow a case runs under (free with wf_definition_free). */
int tx_load_workflow(struct store_conn *c, int workflow_id, struct wf_definition **def);
/* The guards' facts of rec's records in its current cycle (workflow.h, wf_facts_compute). */
struct wf_facts;
int tx_case_facts(struct store_conn *c, const struct case_record *rec, struct wf_facts *out);
/*
 * A case in a terminal state of def changes no more: ERR_CASE_CLOSED with st
 * saying so and how it can be reopened; 0 while it is open.
 */
int tx_check_open(const struct wf_definition *def, const struct case_record *rec,
                  struct uc_status *st);
/*
 * Append the case-log row of a change of rec (already written, version the
 * new one): data = j_change + the snapshot of rec as "case", actor
 * origin->who, and origin's trace context beside the hashed row.
 */
int tx_append_event(struct store_conn *c, const struct case_record *rec, const char *type,
                    const json_t *j_change, const struct uc_origin *origin);
/*
 * A change beneath the case (a record): the case's version and updated_at
 * move on, and the change is logged with its type.
 */
int tx_case_touch(struct store_conn *c, struct case_record *rec, const char *type,
                  const json_t *j_change, const struct uc_origin *origin);
/*
 * Move rec to target (a state of its workflow, already allowed): status,
 * contained_at and, the first time, containment_performed_at from its
 * corrections, closed_at, version, and the capa.case.transitioned row.
 * new_cycle starts the case's next cycle (a reopening): cycle and
 * reopened_count count it, and the row says so.
 */
struct wf_state;
int tx_case_move(struct store_conn *c, struct case_record *rec, const struct wf_state *target,
                 const char *comment, bool new_cycle, const struct uc_origin *origin);

#endif
