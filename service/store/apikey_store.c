/*
 * apikey_store.c - API keys of services (table api_keys, sql/0005). Roles
 * cross the boundary as JSON arrays of names; the secret only as its hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "err.h"

static void
row_from(const PGresult *res, int row, struct apikey_row *out)
{
    json_t *j_roles = json_loads(PQgetvalue(res, row, 2), 0, NULL);
    bool named_delegate;
    snprintf(out->id, sizeof out->id, "%s", PQgetvalue(res, row, 0));
    snprintf(out->name, sizeof out->name, "%s", PQgetvalue(res, row, 1));
    out->roles = access_roles_from_json(j_roles, &named_delegate);
    out->delegate = strcmp(PQgetvalue(res, row, 3), "t") == 0;
    out->revoked = strcmp(PQgetvalue(res, row, 4), "t") == 0;
    json_decref(j_roles);
}

/* The one key a statement returned into *out, clearing res: ERR_NOT_FOUND when none. */
static int
one_key(int rc, PGresult *res, struct apikey_row *out)
{
    if (rc == ERR_OK && PQntuples(res) != 1)
        rc = ERR_NOT_FOUND;
    if (rc == ERR_OK)
        row_from(res, 0, out);
    PQclear(res);
    return rc;
}

/* The columns row_from reads. */
#define APIKEY_COLUMNS "id, name, array_to_json(roles), delegate, revoked_at IS NOT NULL"

int
store_apikey_insert(struct store_conn *c, const struct apikey_row *k, const char *secret_sha256)
{
    json_t *j_roles = access_roles_json(k->roles);
    char *roles = NULL;
    int rc = ERR_INTERNAL;

    if (j_roles == NULL || (roles = json_dumps(j_roles, JSON_COMPACT)) == NULL)
        goto out;
    const char *params[] = {k->id, k->name, secret_sha256, roles, k->delegate ? "true" : "false"};
    rc = db_exec(c,
                 "INSERT INTO api_keys (id, name, secret_sha256, roles, delegate) "
                 "VALUES ($1, $2, $3, capa_text_array($4::jsonb), $5)",
                 5, params, NULL);
out:
    free(roles);
    json_decref(j_roles);
    return rc;
}

int
store_apikey_authenticate(struct store_conn *c, const char *id, const char *secret_sha256,
                          struct apikey_row *out)
{
    PGresult *res = NULL;
    const char *params[] = {id, secret_sha256};
    /* comparing hashes, not secrets: the comparison's timing tells nothing */
    int rc = db_exec_prepared(
        c,
        "WITH used AS (UPDATE api_keys SET last_used_at = now() "
        "  WHERE id = $1 AND secret_sha256 = $2 AND revoked_at IS NULL "
        "    AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')) "
        "SELECT " APIKEY_COLUMNS " FROM api_keys "
        "WHERE id = $1 AND secret_sha256 = $2 AND revoked_at IS NULL",
        2, params, &res);
    return one_key(rc, res, out);
}

int
store_apikey_list(struct store_conn *c, json_t **j_items)
{
    return db_exec_json(
        c,
        "SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, "
        "  'roles', roles, 'delegate', delegate, 'created_at', capa_ts(created_at), "
        "  'last_used_at', capa_ts(last_used_at), 'revoked_at', capa_ts(revoked_at)) "
        "  ORDER BY created_at DESC, id), '[]') FROM api_keys",
        0, NULL, j_items);
}

int
store_apikey_revoke(struct store_conn *c, const char *id_or_name, struct apikey_row *out)
{
    PGresult *res = NULL;
    const char *params[] = {id_or_name};
    int rc = db_exec(c,
                     "UPDATE api_keys SET revoked_at = now() "
                     "WHERE revoked_at IS NULL AND (id = $1 OR (name = $1 AND NOT EXISTS "
                     "  (SELECT 1 FROM api_keys WHERE id = $1))) "
                     "RETURNING " APIKEY_COLUMNS,
                     1, params, &res);
    return one_key(rc, res, out);
}
