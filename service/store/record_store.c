/* record_store.c - SQL of the records beneath a case (store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "uuid.h"

#define RECORD_COLUMNS                                                                             \
    "r.id, r.case_id, r.kind, r.number, r.data::text, r.version, capa_ts(r.created_at), "          \
    "r.created_by::text, capa_ts(r.updated_at), r.updated_by::text, capa_ts(r.removed_at), "       \
    "r.cycle"

void
store_record_cleanup(struct record_row *r)
{
    if (r == NULL)
        return;
    json_decref(r->j_data);
    json_decref(r->j_created_by);
    json_decref(r->j_updated_by);
    memset(r, 0, sizeof *r);
}

static void
copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static int
kind_from_name(const char *name)
{
    for (int k = 0; k < REC__COUNT; k++)
        if (strcmp(rec_kind_name(k), name) == 0)
            return k;
    return -1;
}

static int
decode_record(const PGresult *res, int row, struct record_row *r)
{
    int kind = kind_from_name(PQgetvalue(res, row, 2));
    copy_text(r->id, sizeof r->id, PQgetvalue(res, row, 0));
    copy_text(r->case_id, sizeof r->case_id, PQgetvalue(res, row, 1));
    r->kind = kind < 0 ? 0 : (enum rec_kind)kind;
    r->number = atoi(PQgetvalue(res, row, 3));
    r->j_data = json_loads(PQgetvalue(res, row, 4), 0, NULL);
    r->version = atoi(PQgetvalue(res, row, 5));
    copy_text(r->created_at, sizeof r->created_at, PQgetvalue(res, row, 6));
    r->j_created_by = json_loads(PQgetvalue(res, row, 7), 0, NULL);
    copy_text(r->updated_at, sizeof r->updated_at, PQgetvalue(res, row, 8));
    r->j_updated_by = json_loads(PQgetvalue(res, row, 9), 0, NULL);
    copy_text(r->removed_at, sizeof r->removed_at, db_value(res, row, 10));
    r->cycle = atoi(PQgetvalue(res, row, 11));
    if (kind < 0 || r->j_data == NULL || r->j_created_by == NULL || r->j_updated_by == NULL) {
        log_error("record %s is damaged", r->id);
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

int
store_record_insert(struct store_conn *c, struct record_row *r)
{
    PGresult *res = NULL;
    char *data = json_dumps(r->j_data, JSON_COMPACT | JSON_SORT_KEYS);
    char *by = json_dumps(r->j_created_by, JSON_COMPACT | JSON_SORT_KEYS);
    char cycle[16];
    int rc = ERR_INTERNAL;
    snprintf(cycle, sizeof cycle, "%d", r->cycle > 0 ? r->cycle : 1);
    if (data && by) {
        const char *params[] = {r->id, r->case_id, rec_kind_name(r->kind), data, r->created_at,
                                by,    cycle};
        /* the case row is locked: numbering per case and kind cannot race */
        rc = db_exec_prepared(
            c,
            "INSERT INTO case_records (id, case_id, kind, number, data, created_at, "
            " created_by, updated_at, updated_by, cycle) "
            "SELECT $1, $2, $3, coalesce(max(number), 0) + 1, $4::jsonb, $5, $6::jsonb, "
            " $5, $6::jsonb, $7 FROM case_records WHERE case_id = $2 AND kind = $3 "
            "RETURNING number",
            7, params, &res);
    }
    if (rc == ERR_OK) {
        r->number = atoi(PQgetvalue(res, 0, 0));
        r->version = 1;
        memcpy(r->updated_at, r->created_at, DTIME_LEN);
        json_decref(r->j_updated_by);
        r->j_updated_by = json_incref(r->j_created_by);
    }
    PQclear(res);
    free(data);
    free(by);
    return rc;
}

static int
select_one(struct store_conn *c, const char *sql, int n, const char *const *params,
           struct record_row *out)
{
    PGresult *res = NULL;
    int rc = db_exec_prepared(c, sql, n, params, &res);
    if (rc == ERR_OK)
        rc = PQntuples(res) == 1 ? decode_record(res, 0, out) : ERR_NOT_FOUND;
    PQclear(res);
    return rc;
}

int
store_record_select(struct store_conn *c, const char *case_id, enum rec_kind kind,
                    const char *record_id, bool for_update, struct record_row *out)
{
    const char *params[] = {case_id, rec_kind_name(kind), record_id};
    if (!uuid_valid(record_id))
        return ERR_NOT_FOUND;
    return select_one(c,
                      for_update ? "SELECT " RECORD_COLUMNS " FROM case_records r "
                                   "WHERE r.case_id = $1 AND r.kind = $2 AND r.id = $3 FOR UPDATE"
                                 : "SELECT " RECORD_COLUMNS " FROM case_records r "
                                   "WHERE r.case_id = $1 AND r.kind = $2 AND r.id = $3",
                      3, params, out);
}

int
store_record_latest(struct store_conn *c, const char *case_id, enum rec_kind kind,
                    struct record_row *out)
{
    const char *params[] = {case_id, rec_kind_name(kind)};
    return select_one(c,
                      "SELECT " RECORD_COLUMNS " FROM case_records r "
                      "WHERE r.case_id = $1 AND r.kind = $2 ORDER BY r.number DESC LIMIT 1",
                      2, params, out);
}

int
store_record_update(struct store_conn *c, const struct record_row *r, int expected_version)
{
    PGresult *res = NULL;
    char version[16], expected[16];
    char *data = json_dumps(r->j_data, JSON_COMPACT | JSON_SORT_KEYS);
    char *by = json_dumps(r->j_updated_by, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = ERR_INTERNAL;
    snprintf(version, sizeof version, "%d", r->version);
    snprintf(expected, sizeof expected, "%d", expected_version);
    if (data && by) {
        const char *params[] = {r->id,         data, version,
                                r->updated_at, by,   r->removed_at[0] ? r->removed_at : NULL,
                                expected};
        rc = db_exec_prepared(
            c,
            "UPDATE case_records SET data = $2::jsonb, version = $3, updated_at = $4, "
            " updated_by = $5::jsonb, removed_at = $6 "
            "WHERE id = $1 AND version = $7 RETURNING 1",
            7, params, &res);
    }
    if (rc == ERR_OK && PQntuples(res) != 1)
        rc = ERR_PRECONDITION_FAILED;
    PQclear(res);
    free(data);
    free(by);
    return rc;
}

int
store_record_list(struct store_conn *c, const char *case_id, enum rec_kind kind,
                  int (*fn)(const struct record_row *r, void *ctx), void *ctx)
{
    PGresult *res = NULL;
    const char *params[] = {case_id, rec_kind_name(kind)};
    /* links show from both ends: those of this case, then those pointing at it */
    int rc = db_exec_prepared(c,
                              "SELECT " RECORD_COLUMNS " FROM case_records r "
                              "WHERE r.kind = $2 AND (r.case_id = $1 OR (r.kind = 'link' AND "
                              " r.target_case_id = $1)) "
                              "ORDER BY r.case_id = $1 DESC, r.number",
                              2, params, &res);
    for (int row = 0; rc == ERR_OK && row < PQntuples(res); row++) {
        struct record_row r = {0};
        rc = decode_record(res, row, &r);
        if (rc == ERR_OK)
            rc = fn(&r, ctx);
        store_record_cleanup(&r);
    }
    PQclear(res);
    return rc;
}

int
store_evidence_insert(struct store_conn *c, const char *record_id, const void *bytes, size_t len)
{
    const char *values[] = {record_id, bytes};
    const int lengths[] = {0, (int)len};
    const int formats[] = {0, 1};
    if (c->broken)
        return ERR_UNAVAILABLE;
    /* the bytes travel in binary: no escaping, no copy into text */
    PGresult *res = PQexecParams(c->pg,
                                 "INSERT INTO evidence_contents (record_id, content) "
                                 "VALUES ($1, $2::bytea)",
                                 2, NULL, values, lengths, formats, 0);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? ERR_OK : db_error(c, res);
    PQclear(res);
    return rc;
}

int
store_evidence_content(struct store_conn *c, const char *record_id, void **bytes, size_t *len)
{
    const char *values[] = {record_id};
    *bytes = NULL;
    *len = 0;
    if (c->broken)
        return ERR_UNAVAILABLE;
    PGresult *res =
        PQexecParams(c->pg, "SELECT content FROM evidence_contents WHERE record_id = $1", 1, NULL,
                     values, NULL, NULL, 1);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? ERR_OK : db_error(c, res);
    if (rc == ERR_OK && PQntuples(res) != 1)
        rc = ERR_NOT_FOUND;
    if (rc == ERR_OK) {
        *len = (size_t)PQgetlength(res, 0, 0);
        *bytes = mem_alloc(*len ? *len : 1);
        memcpy(*bytes, PQgetvalue(res, 0, 0), *len);
    }
    PQclear(res);
    return rc;
}

int
store_case_people(struct store_conn *c, const char *case_id, json_t **j_assignees,
                  json_t **j_creator)
{
    PGresult *res = NULL;
    const char *params[] = {case_id};
    int rc = db_exec_prepared(
        c,
        "SELECT (SELECT coalesce(json_agg(DISTINCT data->'assignee'), '[]') FROM case_records "
        "         WHERE case_id = $1 AND kind = 'action' AND data ? 'assignee' "
        "           AND action_status IS DISTINCT FROM 'cancelled'), "
        "       (SELECT actor FROM case_events "
        "         WHERE case_id = $1 AND sequence = 1)",
        1, params, &res);
    *j_assignees = NULL;
    *j_creator = NULL;
    if (rc == ERR_OK && ((*j_assignees = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL ||
                         (*j_creator = json_loads(PQgetvalue(res, 0, 1), 0, NULL)) == NULL)) {
        json_decref(*j_assignees);
        *j_assignees = NULL;
        rc = ERR_INTERNAL;
    }
    PQclear(res);
    return rc;
}

int
store_controls_list(struct store_conn *c, json_t **j_items)
{
    PGresult *res = NULL;
    /* A.5.1, A.5.2, ..., A.5.10 in numeric order */
    int rc = db_exec(c,
                     "SELECT id, theme, title FROM controls ORDER BY "
                     "string_to_array(substr(id, 3), '.')::integer[]",
                     0, NULL, &res);
    *j_items = NULL;
    if (rc == ERR_OK) {
        *j_items = json_array();
        for (int row = 0; row < PQntuples(res); row++)
            json_array_append_new(
                *j_items, json_pack("{s:s, s:s, s:s}", "id", PQgetvalue(res, row, 0), "theme",
                                    PQgetvalue(res, row, 1), "title", PQgetvalue(res, row, 2)));
    }
    PQclear(res);
    return rc;
}

int
store_actions_list(struct store_conn *c, const struct action_query *q,
                   int (*fn)(const struct record_row *r, const char *case_key, void *ctx),
                   void *ctx)
{
    PGresult *res = NULL;
    char limit[16], *status = q->j_status ? json_dumps(q->j_status, JSON_COMPACT) : NULL;
    snprintf(limit, sizeof limit, "%d", q->limit);
    const char *params[] = {
        q->assignee,   status,       q->overdue < 0 ? NULL : q->overdue ? "true" : "false",
        q->due_before, q->due_after, q->after_due,
        q->after_id,   limit};
    int rc = db_exec(
        c,
        "SELECT " RECORD_COLUMNS ", k.key FROM case_records r JOIN cases k ON k.id = r.case_id "
        "WHERE r.kind = 'action' "
        "AND ($1::text IS NULL OR r.assignee = $1) "
        "AND ($2::jsonb IS NULL OR r.action_status = ANY (capa_text_array($2::jsonb))) "
        "AND ($3::boolean IS NULL OR (r.action_status IN ('open', 'in_progress') "
        "     AND coalesce(r.due_date < (now() AT TIME ZONE 'UTC')::date, false)) = $3) "
        "AND ($4::date IS NULL OR r.due_date < $4) "
        "AND ($5::date IS NULL OR r.due_date >= $5) "
        "AND ($6::date IS NULL OR (coalesce(r.due_date, '9999-12-31'), r.id) > ($6, $7::uuid)) "
        "ORDER BY coalesce(r.due_date, '9999-12-31'), r.id LIMIT $8",
        8, params, &res);
    for (int row = 0; rc == ERR_OK && row < PQntuples(res); row++) {
        struct record_row r = {0};
        rc = decode_record(res, row, &r);
        if (rc == ERR_OK)
            rc = fn(&r, PQgetvalue(res, row, 12), ctx);
        store_record_cleanup(&r);
    }
    PQclear(res);
    free(status);
    return rc;
}
