/*
 * case_store.c - SQL of the case aggregate: cases, key counters, the case log,
 * idempotency keys and the guard facts. Every statement is a constant with
 * parameters; array values travel as JSON text (capa_text_array).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "uuid.h"

#define CASE_COLUMNS                                                                               \
    "c.id, c.key, c.kind, c.workflow_id, w.version, c.status, c.title, c.description, "            \
    "c.source, c.severity, capa_ts(c.detected_at), c.reported_by, "                                \
    "coalesce(c.owner_principal, to_jsonb(c.owner), 'null')::text, "                               \
    "to_json(c.tags)::text, to_json(c.clause_refs)::text, c.external_refs::text, c.version, "      \
    "capa_ts(c.created_at), capa_ts(c.updated_at), capa_ts(c.contain_due_at), "                    \
    "capa_ts(c.close_due_at), capa_ts(c.contained_at), capa_ts(c.closed_at), "                     \
    "case_is_overdue(c.closed_at, c.contained_at, c.contain_due_at, c.close_due_at), "             \
    "c.reopened_count, c.recurrence_candidates::text, c.cycle, "                                   \
    "capa_ts(c.containment_performed_at)"
#define CASE_N_COLUMNS 28
#define CASE_FROM " FROM cases c JOIN workflows w ON w.id = c.workflow_id "

static void
copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* A JSON array column (new reference), or NULL when the row is damaged. */
static json_t *
load_array(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    if (j != NULL && !json_is_array(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* Fill rec from columns CASE_COLUMNS of a row. rec must be zeroed. */
static int
decode_case(const PGresult *res, int row, struct case_record *rec)
{
    int kind = case_kind_from_text(db_value(res, row, 2));
    int source = case_source_from_text(db_value(res, row, 8));
    int severity = case_severity_from_text(db_value(res, row, 9));
    if (kind < 0 || source < 0 || severity < 0) {
        log_error("case %s has an unknown kind, source or severity", db_value(res, row, 0));
        return ERR_INTERNAL;
    }
    copy_text(rec->id, sizeof rec->id, db_value(res, row, 0));
    copy_text(rec->key, sizeof rec->key, db_value(res, row, 1));
    rec->kind = (enum case_kind)kind;
    rec->workflow_id = atoi(db_value(res, row, 3));
    rec->workflow_version = atoi(db_value(res, row, 4));
    copy_text(rec->status, sizeof rec->status, db_value(res, row, 5));
    rec->title = mem_strdup(db_value(res, row, 6));
    rec->description = mem_strdup(db_value(res, row, 7));
    rec->source = (enum case_source)source;
    rec->severity = (enum case_severity)severity;
    copy_text(rec->detected_at, sizeof rec->detected_at, db_value(res, row, 10));
    rec->reported_by = mem_strdup(db_value(res, row, 11));
    /* the owner: a principal, free text, or none (JSON null) */
    rec->j_owner = json_loads(db_value(res, row, 12), JSON_DECODE_ANY, NULL);
    if (rec->j_owner == NULL) {
        log_error("case %s has a damaged owner", db_value(res, row, 0));
        return ERR_INTERNAL;
    }
    if (json_is_null(rec->j_owner)) {
        json_decref(rec->j_owner);
        rec->j_owner = NULL;
    } else {
        const json_t *j_text =
            json_is_object(rec->j_owner) ? json_object_get(rec->j_owner, "subject") : rec->j_owner;
        rec->owner = json_string_value(j_text) ? mem_strdup(json_string_value(j_text)) : NULL;
    }
    rec->j_tags = load_array(db_value(res, row, 13));
    rec->j_clause_refs = load_array(db_value(res, row, 14));
    rec->j_external_refs = load_array(db_value(res, row, 15));
    rec->j_recurrences = load_array(db_value(res, row, 25));
    /* damaged rows are refused and logged, never read as empty */
    if (!rec->j_tags || !rec->j_clause_refs || !rec->j_external_refs || !rec->j_recurrences) {
        log_error("case %s has a damaged tags, clause_refs, external_refs or recurrences column",
                  db_value(res, row, 0));
        return ERR_INTERNAL;
    }
    rec->version = atoi(db_value(res, row, 16));
    copy_text(rec->created_at, sizeof rec->created_at, db_value(res, row, 17));
    copy_text(rec->updated_at, sizeof rec->updated_at, db_value(res, row, 18));
    copy_text(rec->contain_due_at, sizeof rec->contain_due_at, db_value(res, row, 19));
    copy_text(rec->close_due_at, sizeof rec->close_due_at, db_value(res, row, 20));
    copy_text(rec->contained_at, sizeof rec->contained_at, db_value(res, row, 21));
    copy_text(rec->closed_at, sizeof rec->closed_at, db_value(res, row, 22));
    rec->overdue = strcmp(db_value(res, row, 23), "t") == 0;
    rec->reopened_count = atoi(db_value(res, row, 24));
    rec->cycle = atoi(db_value(res, row, 26));
    copy_text(rec->containment_performed_at, sizeof rec->containment_performed_at,
              db_value(res, row, 27));
    return ERR_OK;
}

static const char *
null_if_empty(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* Parameter texts of a record, owned by the struct (free with case_params_cleanup). */
struct case_params {
    char workflow_id[16];
    char version[16];
    char cycle[16];
    char *owner_principal; /* JSON text, NULL for free text or no owner */
    char *tags;
    char *clause_refs;
    char *external_refs;
};

static int
case_params_init(struct case_params *p, const struct case_record *rec)
{
    snprintf(p->workflow_id, sizeof p->workflow_id, "%d", rec->workflow_id);
    snprintf(p->version, sizeof p->version, "%d", rec->version);
    snprintf(p->cycle, sizeof p->cycle, "%d", rec->cycle > 0 ? rec->cycle : 1);
    if (json_is_object(rec->j_owner) &&
        (p->owner_principal = json_dumps(rec->j_owner, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
        return ERR_INTERNAL;
    p->tags = json_dumps(rec->j_tags, JSON_COMPACT | JSON_ENCODE_ANY);
    p->clause_refs = json_dumps(rec->j_clause_refs, JSON_COMPACT | JSON_ENCODE_ANY);
    p->external_refs = json_dumps(rec->j_external_refs, JSON_COMPACT | JSON_ENCODE_ANY);
    return p->tags && p->clause_refs && p->external_refs ? ERR_OK : ERR_INTERNAL;
}

static void
case_params_cleanup(struct case_params *p)
{
    free(p->owner_principal);
    free(p->tags);
    free(p->clause_refs);
    free(p->external_refs);
}

static int
read_overdue(PGresult *res, struct case_record *rec)
{
    if (PQntuples(res) != 1)
        return ERR_PRECONDITION_FAILED;
    rec->overdue = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    return ERR_OK;
}

int
store_case_insert(struct store_conn *c, struct case_record *rec)
{
    struct case_params p = {0};
    PGresult *res = NULL;
    char *recurrences = NULL;
    int rc = case_params_init(&p, rec);
    if (rc != ERR_OK)
        goto out;
    if (rec->j_recurrences &&
        (recurrences = json_dumps(rec->j_recurrences, JSON_COMPACT)) == NULL) {
        rc = ERR_INTERNAL;
        goto out;
    }
    const char *params[] = {
        rec->id,
        rec->key,
        case_kind_text(rec->kind),
        p.workflow_id,
        rec->status,
        rec->title,
        rec->description,
        case_source_text(rec->source),
        case_severity_text(rec->severity),
        rec->detected_at,
        rec->reported_by,
        rec->owner,
        p.tags,
        p.clause_refs,
        p.external_refs,
        p.version,
        rec->created_at,
        null_if_empty(rec->contain_due_at),
        null_if_empty(rec->close_due_at),
        null_if_empty(rec->contained_at),
        null_if_empty(rec->closed_at),
        null_if_empty(case_next_due(rec)),
        recurrences,
        p.cycle,
        null_if_empty(rec->containment_performed_at),
        p.owner_principal,
    };
    rc = db_exec_prepared(
        c,
        "INSERT INTO cases (id, key, kind, workflow_id, status, title, description, "
        " source, severity, detected_at, reported_by, owner, tags, clause_refs, "
        " external_refs, version, created_at, updated_at, contain_due_at, close_due_at, "
        " contained_at, closed_at, next_due_at, recurrence_candidates, cycle, "
        " containment_performed_at, owner_principal) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
        " capa_text_array($13::jsonb), capa_text_array($14::jsonb), $15::jsonb, $16, "
        " $17, $17, $18, $19, $20, $21, coalesce($22::timestamptz, 'infinity'), "
        " coalesce($23::jsonb, '[]'), $24, $25, $26::jsonb) "
        "RETURNING case_is_overdue(closed_at, contained_at, contain_due_at, "
        " close_due_at)",
        26, params, &res);
    if (rc == ERR_OK)
        rc = read_overdue(res, rec);
out:
    PQclear(res);
    free(recurrences);
    case_params_cleanup(&p);
    return rc;
}

/*
 * The newest cases read in creation order for similar titles, and for clause
 * refs before the search falls back to the GIN index (see store.h).
 */
#define RECURRENCE_WINDOW "1000"

int
store_case_recurrences(struct store_conn *c, const struct case_record *rec, json_t **j_out)
{
    PGresult *res = NULL;
    char *refs = json_dumps(rec->j_clause_refs, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *params[] = {rec->id, refs, rec->title, RECURRENCE_WINDOW};
    int rc = refs ? ERR_OK : ERR_INTERNAL;

    *j_out = NULL;
    /*
     * Per reason, its five newest matches. Clause refs: from the window of
     * the newest $4 cases when it holds five (the older part is then never
     * executed), else also from the cases before it. Those are a ref rare of
     * late: they are gathered whole (MATERIALIZED: through the GIN index)
     * and sorted, never found by walking back through every case in
     * creation order, which the planner chose for a ref it had no
     * statistics of (1.2 s over 1M cases). Controls: the cases linked to
     * them, gathered whole likewise. Titles: in the window only.
     */
    if (rc == ERR_OK)
        rc = db_exec(
            c,
            "WITH recent AS ("
            "  SELECT k.id, k.key, k.title, k.clause_refs, k.created_at FROM cases k "
            "  ORDER BY k.created_at DESC, k.id DESC LIMIT $4::integer), "
            " older_refs AS MATERIALIZED ("
            "  SELECT k.id, k.key, k.title, k.created_at FROM cases k "
            "  WHERE k.id <> $1::uuid AND k.clause_refs && capa_text_array($2::jsonb) "
            "   AND (k.created_at, k.id) < (SELECT o.created_at, o.id FROM cases o "
            "    ORDER BY o.created_at DESC, o.id DESC OFFSET $4::integer - 1 LIMIT 1)), "
            " linked AS MATERIALIZED ("
            "  SELECT DISTINCT l.case_id FROM case_records l WHERE l.kind = 'link' "
            "   AND l.removed_at IS NULL AND l.control_id = ANY (capa_text_array($2::jsonb))) "
            "SELECT id, key, title, reason FROM ("
            " SELECT DISTINCT ON (id) id, key, title, reason, score, created_at FROM ("
            "  (SELECT k.id, k.key, k.title, 'control' AS reason, 3.0 AS score, k.created_at "
            "    FROM linked JOIN cases k ON k.id = linked.case_id WHERE k.id <> $1::uuid "
            "    ORDER BY k.created_at DESC, k.id DESC LIMIT 5) "
            "  UNION ALL "
            "  (SELECT * FROM ("
            "    (SELECT r.id, r.key, r.title, 'clause_ref', 2.0, r.created_at FROM recent r "
            "      WHERE r.id <> $1::uuid AND r.clause_refs && capa_text_array($2::jsonb) "
            "      ORDER BY r.created_at DESC, r.id DESC) "
            "    UNION ALL "
            "    (SELECT o.id, o.key, o.title, 'clause_ref', 2.0, o.created_at FROM older_refs o "
            "      ORDER BY o.created_at DESC, o.id DESC LIMIT 5)"
            "   ) by_ref LIMIT 5) "
            "  UNION ALL "
            "  (SELECT r.id, r.key, r.title, 'similar_title', 1.0 + similarity(r.title, $3), "
            "    r.created_at FROM recent r WHERE r.id <> $1::uuid AND r.title % $3 "
            "    ORDER BY r.created_at DESC, r.id DESC LIMIT 5)"
            " ) candidates ORDER BY id, score DESC"
            ") best ORDER BY score DESC, created_at DESC LIMIT 5",
            4, params, &res);
    if (rc == ERR_OK) {
        *j_out = json_array();
        for (int row = 0; row < PQntuples(res); row++)
            json_array_append_new(
                *j_out, json_pack("{s:s, s:s, s:s, s:s}", "id", PQgetvalue(res, row, 0), "key",
                                  PQgetvalue(res, row, 1), "title", PQgetvalue(res, row, 2),
                                  "reason", PQgetvalue(res, row, 3)));
    }
    PQclear(res);
    free(refs);
    return rc;
}

int
store_case_update(struct store_conn *c, struct case_record *rec, int expected_version)
{
    struct case_params p = {0};
    PGresult *res = NULL;
    char expected[16], reopened[16];
    int rc = case_params_init(&p, rec);
    if (rc != ERR_OK)
        goto out;
    snprintf(expected, sizeof expected, "%d", expected_version);
    snprintf(reopened, sizeof reopened, "%d", rec->reopened_count);
    const char *params[] = {
        rec->id,
        expected,
        rec->status,
        rec->title,
        rec->description,
        case_source_text(rec->source),
        case_severity_text(rec->severity),
        rec->detected_at,
        rec->reported_by,
        rec->owner,
        p.tags,
        p.clause_refs,
        p.external_refs,
        p.version,
        rec->updated_at,
        null_if_empty(rec->contain_due_at),
        null_if_empty(rec->close_due_at),
        null_if_empty(rec->contained_at),
        null_if_empty(rec->closed_at),
        null_if_empty(case_next_due(rec)),
        reopened,
        p.cycle,
        null_if_empty(rec->containment_performed_at),
        p.owner_principal,
    };
    rc = db_exec_prepared(
        c,
        "UPDATE cases SET status = $3, title = $4, description = $5, source = $6, "
        " severity = $7, detected_at = $8, reported_by = $9, owner = $10, "
        " tags = capa_text_array($11::jsonb), clause_refs = capa_text_array($12::jsonb), "
        " external_refs = $13::jsonb, version = $14, updated_at = $15, "
        " contain_due_at = $16, close_due_at = $17, contained_at = $18, closed_at = $19, "
        " next_due_at = coalesce($20::timestamptz, 'infinity'), reopened_count = $21, "
        " cycle = $22, containment_performed_at = $23, owner_principal = $24::jsonb "
        "WHERE id = $1 AND version = $2 "
        "RETURNING case_is_overdue(closed_at, contained_at, contain_due_at, "
        " close_due_at)",
        24, params, &res);
    if (rc == ERR_OK)
        rc = read_overdue(res, rec);
out:
    PQclear(res);
    case_params_cleanup(&p);
    return rc;
}

/*
 * Read the case named by id_or_key (a UUID or a key) into rec with by_id or
 * by_key, the same statement but for its WHERE ($1). *res keeps the row, for
 * columns after CASE_COLUMNS; the caller clears it. ERR_NOT_FOUND when none.
 */
static int
select_case_row(struct store_conn *c, const char *id_or_key, const char *by_id, const char *by_key,
                struct case_record *rec, PGresult **res)
{
    const char *params[] = {id_or_key};
    bool is_id = uuid_valid(id_or_key);

    *res = NULL;
    if (!is_id && !case_key_valid(id_or_key))
        return ERR_NOT_FOUND;
    int rc = db_exec_prepared(c, is_id ? by_id : by_key, 1, params, res);
    if (rc == ERR_OK && PQntuples(*res) == 0)
        rc = ERR_NOT_FOUND;
    return rc == ERR_OK ? decode_case(*res, 0, rec) : rc;
}

int
store_case_select(struct store_conn *c, const char *id_or_key, bool for_update,
                  struct case_record *rec)
{
    PGresult *res = NULL;
    int rc =
        for_update
            ? select_case_row(
                  c, id_or_key, "SELECT " CASE_COLUMNS CASE_FROM "WHERE c.id = $1 FOR UPDATE OF c",
                  "SELECT " CASE_COLUMNS CASE_FROM "WHERE c.key = $1 FOR UPDATE OF c", rec, &res)
            : select_case_row(c, id_or_key, "SELECT " CASE_COLUMNS CASE_FROM "WHERE c.id = $1",
                              "SELECT " CASE_COLUMNS CASE_FROM "WHERE c.key = $1", rec, &res);
    PQclear(res);
    return rc;
}

/*
 * The list: one statement per sort order, sharing the filter. Each filter is
 * "parameter is NULL or the row matches", so a single constant statement
 * serves every combination; PQexecParams plans it with the actual values, so
 * the NULL branches fold away.
 */
#define LIST_FILTER                                                                                \
    "($1::jsonb IS NULL OR c.status = ANY (capa_text_array($1::jsonb))) "                          \
    "AND ($2::jsonb IS NULL OR c.kind = ANY (capa_text_array($2::jsonb))) "                        \
    "AND ($3::jsonb IS NULL OR c.severity = ANY (capa_text_array($3::jsonb))) "                    \
    "AND ($4::jsonb IS NULL OR c.source = ANY (capa_text_array($4::jsonb))) "                      \
    "AND ($5::text IS NULL OR c.owner = $5) "                                                      \
    "AND ($6::text IS NULL OR c.tags @> ARRAY[$6::text]) "                                         \
    "AND ($7::text IS NULL OR c.clause_refs @> ARRAY[$7::text]) "                                  \
    "AND ($8::boolean IS NULL OR case_is_overdue(c.closed_at, c.contained_at, "                    \
    "     c.contain_due_at, c.close_due_at) = $8) "                                                \
    "AND ($9::timestamptz IS NULL OR c.created_at >= $9) "                                         \
    "AND ($10::timestamptz IS NULL OR c.created_at < $10) "                                        \
    "AND ($11::timestamptz IS NULL OR c.detected_at >= $11) "                                      \
    "AND ($12::timestamptz IS NULL OR c.detected_at < $12) "                                       \
    "AND ($13::text IS NULL OR c.search @@ websearch_to_tsquery('english', $13)) "                 \
    "AND ($17::text IS NULL OR EXISTS (SELECT 1 FROM case_records l WHERE l.case_id = c.id "       \
    "     AND l.kind = 'link' AND l.control_id = $17 AND l.removed_at IS NULL)) "                  \
    "AND ($18::boolean IS NULL OR (jsonb_array_length(c.recurrence_candidates) > 0) = $18) "

static const char *const list_sql[] = {
    [CASE_SORT_CREATED_DESC] =
        "SELECT " CASE_COLUMNS ", capa_ts(c.created_at)" CASE_FROM "WHERE " LIST_FILTER
        "AND ($14::timestamptz IS NULL OR (c.created_at, c.id) < ($14, $15::uuid)) "
        "ORDER BY c.created_at DESC, c.id DESC LIMIT $16",
    [CASE_SORT_CREATED_ASC] =
        "SELECT " CASE_COLUMNS ", capa_ts(c.created_at)" CASE_FROM "WHERE " LIST_FILTER
        "AND ($14::timestamptz IS NULL OR (c.created_at, c.id) > ($14, $15::uuid)) "
        "ORDER BY c.created_at, c.id LIMIT $16",
    [CASE_SORT_DUE_ASC] =
        "SELECT " CASE_COLUMNS ", CASE WHEN isfinite(c.next_due_at) THEN capa_ts(c.next_due_at) "
        "ELSE 'infinity' END" CASE_FROM "WHERE " LIST_FILTER
        "AND ($14::timestamptz IS NULL OR (c.next_due_at, c.id) > ($14, $15::uuid)) "
        "ORDER BY c.next_due_at, c.id LIMIT $16",
};

static char *
dump_or_null(const json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

int
store_case_list(struct store_conn *c, const struct case_query *q, struct case_page *out)
{
    char *status = dump_or_null(q->j_status), *kind = dump_or_null(q->j_kind);
    char *severity = dump_or_null(q->j_severity), *source = dump_or_null(q->j_source);
    char limit[16];
    PGresult *res = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    /* one row more than asked tells whether another page follows */
    snprintf(limit, sizeof limit, "%d", q->limit + 1);
    const char *params[] = {
        status,
        kind,
        severity,
        source,
        q->owner,
        q->tag,
        q->clause_ref,
        q->overdue < 0 ? NULL
        : q->overdue   ? "true"
                       : "false",
        null_if_empty(q->created_after),
        null_if_empty(q->created_before),
        null_if_empty(q->detected_after),
        null_if_empty(q->detected_before),
        q->text,
        q->has_cursor ? q->after.key : NULL,
        q->has_cursor ? q->after.id : NULL,
        limit,
        q->control,
        q->has_recurrence < 0 ? NULL
        : q->has_recurrence   ? "true"
                              : "false",
    };
    rc = db_exec(c, list_sql[q->sort], 18, params, &res);
    if (rc != ERR_OK)
        goto out;
    int n = PQntuples(res);
    out->more = n > q->limit;
    if (out->more)
        n = q->limit;
    out->items = mem_calloc((size_t)(n > 0 ? n : 1), sizeof *out->items);
    for (int row = 0; row < n; row++) {
        if ((rc = decode_case(res, row, &out->items[row])) != ERR_OK)
            goto out;
        out->n++;
    }
    if (out->more) {
        snprintf(out->next.sort, sizeof out->next.sort, "%s", case_sort_text(q->sort));
        copy_text(out->next.key, sizeof out->next.key, db_value(res, n - 1, CASE_N_COLUMNS));
        copy_text(out->next.id, sizeof out->next.id, out->items[n - 1].id);
    }
out:
    PQclear(res);
    free(status);
    free(kind);
    free(severity);
    free(source);
    return rc;
}

void
store_case_page_cleanup(struct case_page *page)
{
    if (page == NULL)
        return;
    for (int i = 0; i < page->n; i++)
        case_record_cleanup(&page->items[i]);
    free(page->items);
    memset(page, 0, sizeof *page);
}

int
store_now(struct store_conn *c, char out[DTIME_LEN])
{
    return db_exec_text(c, "SELECT capa_ts(now())", 0, NULL, out, DTIME_LEN);
}

int
store_key_next(struct store_conn *c, const char *prefix, int *year, int *n, char now[DTIME_LEN])
{
    PGresult *res = NULL;
    const char *params[] = {prefix};
    int rc = db_exec_prepared(c,
                              "INSERT INTO case_key_counters AS k (prefix, year, last) "
                              "VALUES ($1, extract(year FROM now() AT TIME ZONE 'UTC'), 1) "
                              "ON CONFLICT (prefix, year) DO UPDATE SET last = k.last + 1 "
                              "RETURNING k.year, k.last, capa_ts(now())",
                              1, params, &res);
    if (rc == ERR_OK) {
        *year = atoi(PQgetvalue(res, 0, 0));
        *n = atoi(PQgetvalue(res, 0, 1));
        copy_text(now, DTIME_LEN, PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return rc;
}

int
store_log_head(struct store_conn *c, const char *case_id, char out[CHAIN_HEX_LEN])
{
    const char *params[] = {case_id};
    int rc = db_exec_text(c,
                          "SELECT hash FROM case_events WHERE case_id = $1 "
                          "ORDER BY sequence DESC LIMIT 1",
                          1, params, out, CHAIN_HEX_LEN);
    /* a case without rows yet: its first row follows the genesis hash */
    if (rc == ERR_OK && out[0] == '\0')
        memcpy(out, chain_genesis, CHAIN_HEX_LEN);
    return rc;
}

int
store_log_append(struct store_conn *c, const struct chain_entry *e, const char *prev_hash,
                 const char *hash, const struct trace_context *trace)
{
    char seq[16];
    /* beside the hashed row, never in it */
    const char *traceparent = trace ? null_if_empty(trace->traceparent) : NULL;
    const char *tracestate = trace ? null_if_empty(trace->tracestate) : NULL;
    snprintf(seq, sizeof seq, "%d", e->sequence);
    const char *params[] = {e->event_id, e->case_id, seq,  e->type,     e->actor,  e->occurred_at,
                            e->data,     prev_hash,  hash, traceparent, tracestate};
    return db_exec_prepared(c,
                            "INSERT INTO case_events (event_id, case_id, sequence, type, actor, "
                            " occurred_at, data, prev_hash, hash, traceparent, tracestate) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8, $9, $10, $11)",
                            11, params, NULL);
}

#define LOG_SCAN_BATCH 500

int
store_log_scan(struct store_conn *c, const char *case_id, int after, int limit,
               int (*fn)(const struct log_row *row, void *ctx), void *ctx)
{
    PGresult *res = NULL;
    char after_text[16], limit_text[16];
    const char *params[] = {case_id, after_text, limit_text};
    int rc = ERR_OK, remaining = limit > 0 ? limit : -1;

    for (;;) {
        int batch = remaining < 0 || remaining > LOG_SCAN_BATCH ? LOG_SCAN_BATCH : remaining;
        snprintf(after_text, sizeof after_text, "%d", after);
        snprintf(limit_text, sizeof limit_text, "%d", batch);
        rc = db_exec(c,
                     "SELECT position, event_id, case_id, sequence, type, actor, "
                     " capa_ts(occurred_at), data::text, prev_hash, hash "
                     "FROM case_events WHERE case_id = $1 AND sequence > $2 "
                     "ORDER BY sequence LIMIT $3",
                     3, params, &res);
        if (rc != ERR_OK)
            goto out;
        int n = PQntuples(res);
        for (int row = 0; row < n; row++) {
            struct log_row r = {
                .position = atoll(PQgetvalue(res, row, 0)),
                .entry = {.event_id = PQgetvalue(res, row, 1),
                          .case_id = PQgetvalue(res, row, 2),
                          .sequence = atoi(PQgetvalue(res, row, 3)),
                          .type = PQgetvalue(res, row, 4),
                          .actor = PQgetvalue(res, row, 5),
                          .occurred_at = PQgetvalue(res, row, 6),
                          .data = PQgetvalue(res, row, 7)},
                .prev_hash = PQgetvalue(res, row, 8),
                .hash = PQgetvalue(res, row, 9),
            };
            if ((rc = fn(&r, ctx)) != ERR_OK) {
                if (rc == STORE_SCAN_STOP)
                    rc = ERR_OK;
                goto out;
            }
            after = r.entry.sequence;
        }
        if (remaining > 0)
            remaining -= n;
        if (n < batch || remaining == 0)
            break;
        PQclear(res);
        res = NULL;
    }
out:
    PQclear(res);
    return rc;
}

int
store_idem_claim(struct store_conn *c, const char *principal, const char *key,
                 const char *request_hash, const char *case_id, struct idem_claim *existing)
{
    PGresult *res = NULL;
    const char *params[] = {principal, key, request_hash, case_id};
    int rc;

    memset(existing, 0, sizeof *existing);
    /* a concurrent claim of the same key makes this wait for its transaction */
    rc = db_exec_prepared(
        c,
        "INSERT INTO idempotency_keys (principal, key, request_hash, case_id) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (principal, key) DO NOTHING RETURNING 1",
        4, params, &res);
    if (rc != ERR_OK || PQntuples(res) == 1)
        goto out;
    PQclear(res);
    rc = db_exec_prepared(c,
                          "SELECT request_hash, case_id, coalesce(sequence, 0) "
                          "FROM idempotency_keys WHERE principal = $1 AND key = $2",
                          2, params, &res);
    if (rc != ERR_OK)
        goto out;
    if (PQntuples(res) != 1) {
        /* the other claim rolled back between our two statements: try again */
        rc = ERR_RETRY;
        goto out;
    }
    existing->same_request = strcmp(PQgetvalue(res, 0, 0), request_hash) == 0;
    copy_text(existing->case_id, UUID_LEN, PQgetvalue(res, 0, 1));
    existing->sequence = atoi(PQgetvalue(res, 0, 2));
    rc = ERR_CONFLICT;
out:
    PQclear(res);
    return rc;
}

int
store_idem_answered(struct store_conn *c, const char *principal, const char *key, int sequence)
{
    PGresult *res = NULL;
    char seq[16];
    snprintf(seq, sizeof seq, "%d", sequence);
    const char *params[] = {principal, key, seq};
    int rc = db_exec_prepared(
        c, "UPDATE idempotency_keys SET sequence = $3 WHERE principal = $1 AND key = $2", 3, params,
        &res);
    PQclear(res);
    return rc;
}

/*
 * What the guards read of the records of the case whose id is the SQL
 * expression ID ("$1", or "c.id" beside the case's own columns): one JSON
 * array per record, [kind, cycle, type, status, planned, verdict, step,
 * decision], in the order they were last changed, decoded by decode_facts.
 * What the facts mean is the domain's (wf_facts_compute); this only reads.
 */
#define RECORD_FACTS(ID)                                                                           \
    "(SELECT coalesce(json_agg(json_build_array(r.kind, r.cycle, r.data->>'type', "                \
    "  r.data->>'status', r.data ? 'assignee' AND r.data ? 'due_date', r.data->>'verdict', "       \
    "  r.data->>'step', r.data->>'decision') ORDER BY r.updated_at, r.number), '[]')::text "       \
    " FROM case_records r WHERE r.case_id = " ID " AND r.kind NOT IN ('comment', 'link'))"

static int
decode_fact(const json_t *j, const json_t *j_approve, struct wf_record_fact *f)
{
    const char *kind = json_string_value(json_array_get(j, 0));
    const char *verdict = json_string_value(json_array_get(j, 5));
    const char *step = json_string_value(json_array_get(j, 6));
    int k = -1;
    for (int i = 0; kind && i < REC__COUNT && k < 0; i++)
        k = strcmp(rec_kind_name(i), kind) == 0 ? i : -1;
    if (k < 0 || json_array_size(j) != 8)
        return ERR_INTERNAL;
    memset(f, 0, sizeof *f);
    f->kind = (enum rec_kind)k;
    f->cycle = (int)json_integer_value(json_array_get(j, 1));
    f->action_type = -1;
    f->action_status = -1;
    if (f->kind == REC_ACTION) {
        f->action_type = rec_action_type_from_text(json_string_value(json_array_get(j, 2)));
        f->action_status = rec_action_status_from_text(json_string_value(json_array_get(j, 3)));
        f->planned = json_is_true(json_array_get(j, 4));
        if (f->action_type < 0 || f->action_status < 0)
            return ERR_INTERNAL;
    }
    f->verdict = verdict == NULL                     ? WF_VERDICT_NONE
                 : strcmp(verdict, "effective") == 0 ? WF_VERDICT_EFFECTIVE
                                                     : WF_VERDICT_NOT_EFFECTIVE;
    snprintf(f->step, sizeof f->step, "%s", step ? step : "");
    f->approve = f->kind == REC_APPROVAL && json_equal(json_array_get(j, 7), j_approve);
    return ERR_OK;
}

/* The RECORD_FACTS text into a new array *rows of *n (caller frees). Damaged rows are refused. */
static int
decode_facts(const char *case_id, const char *text, struct wf_record_fact **rows, int *n)
{
    json_t *j = json_loads(text ? text : "", 0, NULL), *j_approve = json_string("approve");
    size_t i;
    json_t *item;
    int rc = ERR_OK;

    *rows = NULL;
    *n = 0;
    if (!json_is_array(j)) {
        rc = ERR_INTERNAL;
        goto out;
    }
    if (json_array_size(j) > 0)
        *rows = mem_calloc(json_array_size(j), sizeof **rows);
    json_array_foreach(j, i, item)
    {
        if ((rc = decode_fact(item, j_approve, &(*rows)[i])) != ERR_OK)
            goto out;
        (*n)++;
    }
out:
    if (rc != ERR_OK) {
        log_error("the records of case %s are damaged: their facts cannot be read", case_id);
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    json_decref(j);
    json_decref(j_approve);
    return rc;
}

int
store_case_record_facts(struct store_conn *c, const char *case_id, struct wf_record_fact **rows,
                        int *n)
{
    PGresult *res = NULL;
    const char *params[] = {case_id};
    int rc = db_exec_prepared(c, "SELECT " RECORD_FACTS("$1"), 1, params, &res);
    *rows = NULL;
    *n = 0;
    if (rc == ERR_OK)
        rc = decode_facts(case_id, PQgetvalue(res, 0, 0), rows, n);
    PQclear(res);
    return rc;
}

int
store_case_select_with_facts(struct store_conn *c, const char *id_or_key, struct case_record *rec,
                             struct wf_record_fact **rows, int *n)
{
    PGresult *res = NULL;
    /* one statement, so one snapshot: the case and what its records say agree */
    int rc = select_case_row(
        c, id_or_key, "SELECT " CASE_COLUMNS ", " RECORD_FACTS("c.id") CASE_FROM "WHERE c.id = $1",
        "SELECT " CASE_COLUMNS ", " RECORD_FACTS("c.id") CASE_FROM "WHERE c.key = $1", rec, &res);
    *rows = NULL;
    *n = 0;
    if (rc == ERR_OK)
        rc = decode_facts(rec->id, PQgetvalue(res, 0, CASE_N_COLUMNS), rows, n);
    PQclear(res);
    return rc;
}

int
store_case_containment(struct store_conn *c, const char *case_id, char out[DTIME_LEN])
{
    const char *params[] = {case_id};
    return db_exec_text(c,
                        "SELECT capa_ts(max((data->>'performed_at')::timestamptz)) "
                        "FROM case_records WHERE case_id = $1 AND kind = 'correction'",
                        1, params, out, DTIME_LEN);
}

int
store_case_status_counts(struct store_conn *c, json_t **j_counts)
{
    /* an index-only scan of cases_status_idx where the visibility map allows */
    return db_exec_json(c,
                        "SELECT coalesce(json_object_agg(status, n), '{}') "
                        "FROM (SELECT status, count(*) AS n FROM cases GROUP BY status) s",
                        0, NULL, j_counts);
}
