/*
 * store.h - PostgreSQL persistence of capa. The only module that speaks SQL;
 * nothing of libpq leaves it (no PGconn, PGresult or libpq message).
 *
 *   pool        store_pool_new / _free / _acquire / _release, store_pool_stats
 *   transaction store_begin / store_commit / store_rollback
 *   migrations  store_migrate, store_migrations_status
 *   cases       store_case_insert / _select / _update / _list, store_key_next
 *   case log    store_log_head / _append / _scan
 *   idempotency store_idem_claim / _answered
 *   API keys    store_apikey_insert / _authenticate / _list / _revoke
 *   workflows   store_workflow_current / _by_id / _list
 *   facts       store_case_record_facts, store_case_select_with_facts
 *
 * Every function returns an enum err. Store errors: ERR_NOT_FOUND (no row),
 * ERR_CONFLICT (unique violation), ERR_RETRY (serialization failure or
 * deadlock: the caller retries the whole transaction), ERR_UNAVAILABLE (no
 * connection, connection lost, statement timeout), ERR_INTERNAL (anything
 * else; logged here with the SQLSTATE).
 */
#ifndef CAPA_STORE_H
#define CAPA_STORE_H

#include <jansson.h>
#include <stdbool.h>

#include "case.h"
#include "chain.h"
#include "query.h"
#include "record.h"
#include "trace.h"
#include "uuid.h"
#include "workflow.h"

struct store_pool;
struct store_conn;

struct store_pool_options {
    const char *url;        /* libpq URL or key=value connection string */
    int size;               /* connections */
    int acquire_timeout_ms; /* wait for a free connection at most this long */
    int statement_timeout_ms;
    int connect_timeout_s;
    const char *application_name;
    /* hot statements run as named prepared statements (off behind a proxy
     * that pools transactions, where a session's statements are not its own) */
    bool prepared_statements;
};

/*
 * Create a pool. Connections are opened on first use and re-opened when
 * lost. Returns 0 or ERR_INTERNAL (out of memory).
 */
int store_pool_new(const struct store_pool_options *o, struct store_pool **out);
/* Close every connection. All connections must have been released. Accepts NULL. */
void store_pool_free(struct store_pool *pool);
/*
 * Borrow a connection, waiting at most acquire_timeout_ms. Returns 0, or
 * ERR_UNAVAILABLE when none became free in time or the database cannot be
 * reached. The caller must release it in the same function.
 */
int store_pool_acquire(struct store_pool *pool, struct store_conn **out);
/* Return a connection; an open transaction is rolled back, a broken connection reset. */
void store_pool_release(struct store_pool *pool, struct store_conn *conn);
/* Whether the connection was found lost during its last statement. */
bool store_conn_lost(const struct store_conn *conn);

struct store_pool_stats {
    int size;
    int in_use;
    long waits;    /* acquisitions that had to wait */
    long timeouts; /* acquisitions that gave up */
};
void store_pool_stats(struct store_pool *pool, struct store_pool_stats *out);

/* Transactions (READ COMMITTED). */
int store_begin(struct store_conn *c);
int store_commit(struct store_conn *c);
void store_rollback(struct store_conn *c);
/* Ping: SELECT 1. */
int store_ping(struct store_conn *c);

/*
 * Migrations (sql/NNNN_name.sql compiled into the binary).
 * store_migrate applies every pending one, each in its own transaction, under
 * an advisory lock, on a dedicated connection. Returns 0, ERR_UNAVAILABLE,
 * ERR_CONFLICT when the database holds a migration this binary does not know
 * or one whose checksum differs, or ERR_INTERNAL when one fails.
 */
int store_migrate(const char *url, int connect_timeout_s);

struct store_migrations_status {
    int known;   /* compiled into this binary */
    int applied; /* recorded in schema_migrations and known */
    int pending; /* known, not applied */
    int newer;   /* applied, numbered above every migration this binary knows */
    int unknown; /* applied but otherwise not known to this binary, or checksum differs */
};
int store_migrations_status(struct store_conn *c, struct store_migrations_status *out);
int store_migrations_status_url(const char *url, int connect_timeout_s,
                                struct store_migrations_status *out);

/* The transaction's timestamp (now()), canonical text. */
int store_now(struct store_conn *c, char out[DTIME_LEN]);

/*
 * Next key number of (prefix, current UTC year), allocated in the caller's
 * transaction: gapless and unique, since the counter row stays locked until
 * commit and a rollback returns the number. Fills the year, the number and the
 * transaction's timestamp.
 */
int store_key_next(struct store_conn *c, const char *prefix, int *year, int *n,
                   char now[DTIME_LEN]);

/*
 * Earlier cases that look like recurrences of rec: linked to a control rec
 * names in its clause refs, sharing a clause ref, or with a similar title
 * (trigram similarity). At most 5, best first (control, clause ref, title
 * by similarity; then newest): [{"id", "key", "title", "reason"}] (new
 * reference). Each reason contributes its five newest matches, and the
 * search reads a bounded number of rows however many cases match. Similar
 * titles are looked for among the 1,000 newest cases only: a trigram index
 * cannot bound its own cost (at 1M benchmark cases, whose titles share most
 * of their trigrams, one title's GIN scan rechecked 100,000-300,000 rows,
 * 1-3 s). Clause refs are looked for in that window first, read in creation
 * order, and only when it holds fewer than five matches further back,
 * through the GIN index of the arrays, which is exact.
 */
int store_case_recurrences(struct store_conn *c, const struct case_record *rec, json_t **j_out);

/* Insert a new case. Fills c->overdue from the database. */
int store_case_insert(struct store_conn *c, struct case_record *rec);
/*
 * Load a case by UUID or key. for_update locks the row until the transaction
 * ends. Returns ERR_NOT_FOUND when there is none. rec must be zeroed.
 */
int store_case_select(struct store_conn *c, const char *id_or_key, bool for_update,
                      struct case_record *rec);
/*
 * Write rec (its version already incremented) over the row whose version is
 * expected_version. Fills rec->overdue. ERR_PRECONDITION_FAILED when the row
 * has another version.
 */
int store_case_update(struct store_conn *c, struct case_record *rec, int expected_version);

/* A page of cases. Free with store_case_page_cleanup. */
struct case_page {
    struct case_record *items;
    int n;
    bool more;          /* another page follows */
    struct cursor next; /* the cursor of the page after, when more */
};
int store_case_list(struct store_conn *c, const struct case_query *q, struct case_page *out);
void store_case_page_cleanup(struct case_page *page);

/* Hash of the newest log row of a case (chain_genesis when none). */
int store_log_head(struct store_conn *c, const char *case_id, char out[CHAIN_HEX_LEN]);
/*
 * Append one row to the case log, with the trace context of the request
 * that wrote it beside the hashed content (trace NULL, or "" members: none).
 */
int store_log_append(struct store_conn *c, const struct chain_entry *e, const char *prev_hash,
                     const char *hash, const struct trace_context *trace);

/* One case-log row as read back. Strings borrowed for the callback's duration. */
struct log_row {
    long long position;
    struct chain_entry entry;
    const char *prev_hash;
    const char *hash;
    const char *feed_position; /* "<txid>.<position>" (event reads only, else NULL) */
    const char *traceparent;   /* the writing request's trace context (event reads only); */
    const char *tracestate;    /* NULL when none */
};
/*
 * Call fn for each row of a case with sequence > after, in sequence order, at
 * most limit rows (limit <= 0: all, read in batches). fn returns 0 to go on,
 * STORE_SCAN_STOP to stop early (the scan then returns 0), or an error, which
 * stops the scan and is returned.
 */
#define STORE_SCAN_STOP 1000 /* outside enum err: stopping is no error */
int store_log_scan(struct store_conn *c, const char *case_id, int after, int limit,
                   int (*fn)(const struct log_row *row, void *ctx), void *ctx);

/*
 * Claim a principal's idempotency key for case_id with the request's hash.
 * Waits for a concurrent claim of the same key to finish. Returns 0 when
 * claimed; ERR_CONFLICT when the key exists, with what its first request
 * wrote: the case, the sequence of the case-log row that holds its answer (0
 * when none was kept: a case create of an earlier release), and whether the
 * request hash is the same.
 */
struct idem_claim {
    char case_id[UUID_LEN];
    int sequence;
    bool same_request;
};
int store_idem_claim(struct store_conn *c, const char *principal, const char *key,
                     const char *request_hash, const char *case_id, struct idem_claim *existing);
/* Keep, on a claimed key, the sequence of the case-log row that answers it. */
int store_idem_answered(struct store_conn *c, const char *principal, const char *key, int sequence);

/*
 * The people segregation of duties looks at (new references): *j_assignees
 * the assignees of the case's corrective actions that are not cancelled,
 * *j_creator the actor that raised the case (the first case-log row's).
 */
int store_case_people(struct store_conn *c, const char *case_id, json_t **j_assignees,
                      json_t **j_creator);

/* An API key as stored (no secret). */
struct apikey_row {
    char id[16];
    char name[64];
    unsigned roles;
    bool delegate;
    bool revoked;
};
/* Store a new key. ERR_CONFLICT when an active key has the name. */
int store_apikey_insert(struct store_conn *c, const struct apikey_row *k,
                        const char *secret_sha256);
/*
 * The active key with this id and hash, ERR_NOT_FOUND when none (unknown,
 * revoked or another secret). Records its use (at most once a minute).
 */
int store_apikey_authenticate(struct store_conn *c, const char *id, const char *secret_sha256,
                              struct apikey_row *out);
/* [{id, name, roles, delegate, created_at, last_used_at, revoked_at}], newest first. */
int store_apikey_list(struct store_conn *c, json_t **j_items);
/* Revoke the active key with this id or name. ERR_NOT_FOUND when none. */
int store_apikey_revoke(struct store_conn *c, const char *id_or_name, struct apikey_row *out);

/*
 * Workflows. The definition is returned as a new JSON reference; callers parse
 * it with wf_definition_parse.
 */
int store_workflow_current(struct store_conn *c, enum case_kind kind, int *id, int *version,
                           json_t **j_definition);
int store_workflow_by_id(struct store_conn *c, int id, int *version, json_t **j_definition);
/*
 * Store a definition as the next version of its kind: {kind, version,
 * created_at, definition} (new reference). ERR_RETRY when another version
 * was stored concurrently.
 */
int store_workflow_insert(struct store_conn *c, enum case_kind kind, const json_t *j_definition,
                          json_t **j_out);
/* [{kind, version, created_at, definition}] of the newest version of each kind. */
int store_workflow_list(struct store_conn *c, json_t **j_items);

/*
 * What the workflow guards read of a case's records: one typed row per record
 * (comments and links have none), in the order they were last changed.
 * *rows is a new array of *n (caller frees; NULL when n is 0). ERR_INTERNAL
 * for a damaged record (logged).
 */
int store_case_record_facts(struct store_conn *c, const char *case_id, struct wf_record_fact **rows,
                            int *n);
/* When the case's corrections say containment was performed (the latest); "" when none. */
int store_case_containment(struct store_conn *c, const char *case_id, char out[DTIME_LEN]);
/* store_case_select (no lock) and store_case_record_facts in one statement, one snapshot. */
int store_case_select_with_facts(struct store_conn *c, const char *id_or_key,
                                 struct case_record *rec, struct wf_record_fact **rows, int *n);

/*
 * Records beneath a case (record_store.c). A record row as stored; json
 * members are owned references, clean up with store_record_cleanup.
 */
struct record_row {
    char id[UUID_LEN];
    char case_id[UUID_LEN];
    enum rec_kind kind;
    int number;
    json_t *j_data;
    int version;
    char created_at[DTIME_LEN];
    json_t *j_created_by;
    char updated_at[DTIME_LEN];
    json_t *j_updated_by;
    char removed_at[DTIME_LEN]; /* "" unless removed (links) */
    int cycle;                  /* the case's cycle when the record was written */
};
void store_record_cleanup(struct record_row *r);

/*
 * Insert r (id, case_id, kind, j_data, cycle, created_at, j_created_by set; the
 * case row locked by the caller's transaction). Fills number (1, 2, ... per
 * case and kind) and the updated_* copies.
 */
int store_record_insert(struct store_conn *c, struct record_row *r);
/* Load one record of a case; for_update locks it. ERR_NOT_FOUND when none. */
int store_record_select(struct store_conn *c, const char *case_id, enum rec_kind kind,
                        const char *record_id, bool for_update, struct record_row *out);
/* The newest record of a kind (the current root-cause analysis). ERR_NOT_FOUND when none. */
int store_record_latest(struct store_conn *c, const char *case_id, enum rec_kind kind,
                        struct record_row *out);
/* Write r's data, updated_*, removed_at and version (already incremented) over expected_version. */
int store_record_update(struct store_conn *c, const struct record_row *r, int expected_version);
/*
 * Every record of a kind of a case, in number order (links: also the links of
 * other cases to this one, so both directions show). Calls fn per row.
 */
int store_record_list(struct store_conn *c, const char *case_id, enum rec_kind kind,
                      int (*fn)(const struct record_row *r, void *ctx), void *ctx);

/* Evidence bytes, written once with their record. */
int store_evidence_insert(struct store_conn *c, const char *record_id, const void *bytes,
                          size_t len);
/* The bytes of an evidence record (*bytes malloc'd, caller frees). */
int store_evidence_content(struct store_conn *c, const char *record_id, void **bytes, size_t *len);

/* [{"id", "theme", "title"}] of the catalogue. */
int store_controls_list(struct store_conn *c, json_t **j_items);

/* Actions across cases (GET /v1/actions). */
struct action_query {
    const char *assignee;   /* NULL: any */
    json_t *j_status;       /* array of statuses, NULL: any */
    int overdue;            /* -1 any, 0, 1 */
    const char *due_before; /* YYYY-MM-DD exclusive, NULL: none */
    const char *due_after;  /* inclusive */
    int limit;
    const char *after_due; /* keyset: the last row's due date ("9999-12-31" for none) */
    const char *after_id;
};
/* Calls fn per action row, ordered by due date (undated last) then id. */
int store_actions_list(struct store_conn *c, const struct action_query *q,
                       int (*fn)(const struct record_row *r, const char *case_key, void *ctx),
                       void *ctx);

/*
 * Publication and the event feed (event_store.c).
 *
 * A session is a dedicated connection outside the pool, for the relay: it
 * holds the relay's advisory lock (so exactly one relay publishes at a time,
 * and another takes over when the holder's connection ends) and LISTENs for
 * committed case-log rows.
 */
int store_session_open(const char *url, int connect_timeout_s, struct store_conn **out);
void store_session_close(struct store_conn *s);
/* Try to become the relay: *got tells whether this session holds the lock now. */
int store_session_try_lock(struct store_conn *s, bool *got);
int store_session_listen(struct store_conn *s);
/*
 * Wait at most timeout_ms for a notification of committed rows. *notified
 * tells whether one came. ERR_UNAVAILABLE when the connection is lost.
 */
int store_session_wait(struct store_conn *s, int timeout_ms, bool *notified);

/*
 * The oldest unpublished rows, in position order, at most limit, skipping
 * cases that have a row failed for good (their order must hold). Calls fn
 * per row (feed_position filled). Returns fn's first non-zero result, or the
 * store error.
 */
int store_events_unpublished(struct store_conn *c, int limit,
                             int (*fn)(const struct log_row *row, void *ctx), void *ctx);
/* Mark rows published (after a persisted delivery report). */
int store_events_mark_published(struct store_conn *c, const long long *positions, int n);
/* Count a failed attempt; with permanent, the row is failed for good with reason. */
int store_events_mark_failed(struct store_conn *c, long long position, bool permanent,
                             const char *reason);

struct store_backlog {
    long long unpublished;
    double oldest_age_s; /* 0 when none */
    long long failed;    /* rows failed for good, waiting for an operator */
};
int store_events_backlog(struct store_conn *c, struct store_backlog *out);

/* {"<status>": count, ...} of every case (new reference). */
int store_case_status_counts(struct store_conn *c, json_t **j_counts);

/*
 * The feed: rows after (after_txid, after_position) in (txid, position)
 * order, only from transactions older than every transaction still running,
 * so a reader paging with the last row's feed position never misses a row
 * that commits late. type_stored and case_id filter (NULL: all).
 */
int store_events_feed(struct store_conn *c, const char *after_txid, const char *after_position,
                      const char *type_stored, const char *case_id, int limit,
                      int (*fn)(const struct log_row *row, void *ctx), void *ctx);

#endif
