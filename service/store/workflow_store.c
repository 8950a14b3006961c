/* workflow_store.c - SQL of workflow definitions (store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"

static int
load_definition(const char *text, json_t **j_definition)
{
    *j_definition = json_loads(text, 0, NULL);
    if (*j_definition == NULL) {
        log_error("a stored workflow definition is not valid JSON");
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

int
store_workflow_current(struct store_conn *c, enum case_kind kind, int *id, int *version,
                       json_t **j_definition)
{
    PGresult *res = NULL;
    const char *params[] = {case_kind_text(kind)};
    int rc = db_exec_prepared(c,
                              "SELECT id, version, definition::text FROM workflows WHERE kind = $1 "
                              "ORDER BY version DESC LIMIT 1",
                              1, params, &res);
    *j_definition = NULL;
    if (rc != ERR_OK)
        goto out;
    if (PQntuples(res) != 1) {
        log_error("no workflow is defined for kind %s", params[0]);
        rc = ERR_INTERNAL;
        goto out;
    }
    *id = atoi(PQgetvalue(res, 0, 0));
    *version = atoi(PQgetvalue(res, 0, 1));
    rc = load_definition(PQgetvalue(res, 0, 2), j_definition);
out:
    PQclear(res);
    return rc;
}

int
store_workflow_by_id(struct store_conn *c, int id, int *version, json_t **j_definition)
{
    PGresult *res = NULL;
    char id_text[16];
    const char *params[] = {id_text};
    int rc;

    *j_definition = NULL;
    snprintf(id_text, sizeof id_text, "%d", id);
    rc = db_exec_prepared(c, "SELECT version, definition::text FROM workflows WHERE id = $1", 1,
                          params, &res);
    if (rc != ERR_OK)
        goto out;
    if (PQntuples(res) != 1) {
        rc = ERR_NOT_FOUND;
        goto out;
    }
    *version = atoi(PQgetvalue(res, 0, 0));
    rc = load_definition(PQgetvalue(res, 0, 1), j_definition);
out:
    PQclear(res);
    return rc;
}

int
store_workflow_list(struct store_conn *c, json_t **j_items)
{
    PGresult *res = NULL;
    json_t *j_list = NULL;
    int rc = db_exec(c,
                     "SELECT DISTINCT ON (kind) kind, version, capa_ts(created_at), "
                     " definition::text FROM workflows ORDER BY kind, version DESC",
                     0, NULL, &res);
    *j_items = NULL;
    if (rc != ERR_OK)
        goto out;
    j_list = json_array();
    for (int row = 0; row < PQntuples(res); row++) {
        json_t *j_def = NULL;
        if ((rc = load_definition(PQgetvalue(res, row, 3), &j_def)) != ERR_OK)
            goto out;
        json_array_append_new(j_list,
                              json_pack("{s:s, s:i, s:s, s:o}", "kind", PQgetvalue(res, row, 0),
                                        "version", atoi(PQgetvalue(res, row, 1)), "created_at",
                                        PQgetvalue(res, row, 2), "definition", j_def));
    }
    *j_items = j_list;
    j_list = NULL;
out:
    json_decref(j_list);
    PQclear(res);
    return rc;
}

int
store_workflow_insert(struct store_conn *c, enum case_kind kind, const json_t *j_definition,
                      json_t **j_out)
{
    PGresult *res = NULL;
    char *text = json_dumps(j_definition, JSON_COMPACT);
    const char *params[] = {case_kind_text(kind), text};
    int rc = text ? ERR_OK : ERR_INTERNAL;

    *j_out = NULL;
    if (rc == ERR_OK)
        rc = db_exec(c,
                     "INSERT INTO workflows (kind, version, definition) "
                     "SELECT $1, coalesce(max(version), 0) + 1, $2::jsonb FROM workflows "
                     "WHERE kind = $1 RETURNING version, capa_ts(created_at)",
                     2, params, &res);
    if (rc == ERR_CONFLICT)
        rc = ERR_RETRY; /* two new versions at once: the loser tries again */
    if (rc == ERR_OK)
        *j_out = json_pack("{s:s, s:i, s:s, s:O}", "kind", params[0], "version",
                           atoi(PQgetvalue(res, 0, 0)), "created_at", PQgetvalue(res, 0, 1),
                           "definition", j_definition);
    PQclear(res);
    free(text);
    return rc == ERR_OK && *j_out == NULL ? ERR_INTERNAL : rc;
}
