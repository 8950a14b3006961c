/*
 * migrate.c - schema migrations: sql/NNNN_name.sql, compiled into capad.
 *
 * Applied in order, each in its own transaction together with its row in
 * schema_migrations (version, name, SHA-256 of the file), under a session
 * advisory lock so that several instances starting at once apply each
 * migration exactly once. A database that records a migration this binary
 * does not know, or whose checksum differs, is refused: it was migrated by
 * a newer or a different build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "embedded.h"
#include "err.h"
#include "log.h"
#include "sha256.h"

/* pg_advisory_lock key: "capa" in ASCII */
#define MIGRATION_LOCK_KEY "1667330145"

static const char create_table_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       " version integer NOT NULL,"
                                       " name text NOT NULL,"
                                       " checksum text NOT NULL,"
                                       " applied_at timestamptz NOT NULL DEFAULT now(),"
                                       " CONSTRAINT schema_migrations_pkey PRIMARY KEY (version))";

static int
migration_version(const char *name)
{
    return atoi(name);
}

static int
count_known(void)
{
    int n = 0;
    while (capa_migrations[n].name != NULL)
        n++;
    return n;
}

/*
 * Compare what the database records with what this binary carries. Works on
 * a database without schema_migrations (everything pending).
 */
int
store_migrations_status(struct store_conn *c, struct store_migrations_status *out)
{
    PGresult *res = NULL;
    int rc;

    memset(out, 0, sizeof *out);
    out->known = count_known();
    rc = db_exec(c, "SELECT to_regclass('schema_migrations') IS NULL", 0, NULL, &res);
    if (rc != ERR_OK)
        goto out;
    if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
        out->pending = out->known;
        goto out;
    }
    PQclear(res);
    rc = db_exec(c, "SELECT version, checksum FROM schema_migrations ORDER BY version", 0, NULL,
                 &res);
    if (rc != ERR_OK)
        goto out;
    int max_known = 0;
    for (int i = 0; i < out->known; i++)
        if (migration_version(capa_migrations[i].name) > max_known)
            max_known = migration_version(capa_migrations[i].name);
    for (int row = 0; row < PQntuples(res); row++) {
        int version = atoi(PQgetvalue(res, row, 0));
        const char *checksum = PQgetvalue(res, row, 1);
        bool matched = false;
        for (int i = 0; i < out->known; i++) {
            char sum[CHAIN_HEX_LEN];
            if (migration_version(capa_migrations[i].name) != version)
                continue;
            sha256_hex(capa_migrations[i].data, capa_migrations[i].size, sum);
            matched = strcmp(sum, checksum) == 0;
        }
        if (matched)
            out->applied++;
        else if (version > max_known)
            out->newer++; /* a newer build's: migrations stay compatible with the release before */
        else
            out->unknown++;
    }
    out->pending = out->known - out->applied;
out:
    PQclear(res);
    return rc;
}

static int
applied(struct store_conn *c, int version, bool *yes)
{
    PGresult *res = NULL;
    char v[16];
    const char *params[] = {v};
    snprintf(v, sizeof v, "%d", version);
    int rc = db_exec(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, params, &res);
    *yes = rc == ERR_OK && PQntuples(res) == 1;
    PQclear(res);
    return rc;
}

/* Apply one migration and record it, in one transaction. */
static int
apply_one(struct store_conn *c, const struct embedded_file *m)
{
    char version[16], sum[CHAIN_HEX_LEN];
    const char *params[] = {version, m->name, sum};
    PGresult *res = NULL;
    int rc;

    snprintf(version, sizeof version, "%d", migration_version(m->name));
    sha256_hex(m->data, m->size, sum);
    if ((rc = db_exec(c, "BEGIN", 0, NULL, NULL)) != ERR_OK)
        return rc;
    /* a migration is a fixed file compiled into the binary, several statements long */
    res = PQexec(c->pg, m->data);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_error("migration %s failed: %s", m->name, PQresultErrorMessage(res));
        rc = ERR_INTERNAL;
        goto out;
    }
    rc = db_exec(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                 3, params, NULL);
    if (rc == ERR_OK)
        rc = db_exec(c, "COMMIT", 0, NULL, NULL);
    if (rc == ERR_OK)
        log_info("applied migration %s", m->name);
out:
    PQclear(res);
    if (rc != ERR_OK)
        db_exec(c, "ROLLBACK", 0, NULL, NULL);
    return rc;
}

int
store_migrations_status_url(const char *url, int connect_timeout_s,
                            struct store_migrations_status *out)
{
    struct store_conn c = {0};
    c.pg = db_connect(url, connect_timeout_s, 30000, "capad-migrate");
    if (c.pg == NULL)
        return ERR_UNAVAILABLE;
    int rc = store_migrations_status(&c, out);
    PQfinish(c.pg);
    return rc;
}

int
store_migrate(const char *url, int connect_timeout_s)
{
    struct store_conn c = {0};
    struct store_migrations_status st;
    int rc;

    /* migrations may rewrite big tables: no statement timeout */
    c.pg = db_connect(url, connect_timeout_s, 0, "capad-migrate");
    if (c.pg == NULL)
        return ERR_UNAVAILABLE;
    if ((rc = db_exec(&c, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", 0, NULL, NULL)))
        goto out;
    if ((rc = db_exec(&c, create_table_sql, 0, NULL, NULL)))
        goto unlock;
    if ((rc = store_migrations_status(&c, &st)))
        goto unlock;
    if (st.unknown > 0 || st.newer > 0) {
        log_error("the database holds %d migration(s) this capad does not know or that differ "
                  "from its own: refusing to migrate",
                  st.unknown + st.newer);
        rc = ERR_CONFLICT;
        goto unlock;
    }
    for (int i = 0; capa_migrations[i].name != NULL; i++) {
        bool yes = false;
        if ((rc = applied(&c, migration_version(capa_migrations[i].name), &yes)))
            goto unlock;
        if (!yes && (rc = apply_one(&c, &capa_migrations[i])))
            goto unlock;
    }
unlock:
    db_exec(&c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", 0, NULL, NULL);
out:
    PQfinish(c.pg);
    return rc;
}
