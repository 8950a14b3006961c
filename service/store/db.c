/* db.c - statement execution and SQLSTATE translation (db.h). */
#include "db.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"

const char *
db_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

int
db_error(struct store_conn *c, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

    if (PQstatus(c->pg) != CONNECTION_OK)
        c->broken = true;
    if (c->broken || state == NULL || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "57P", 3) == 0) {
        c->broken = true;
        log_error("database connection lost: %s", PQerrorMessage(c->pg));
        return ERR_UNAVAILABLE;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        log_info("transaction must be retried: sqlstate %s: %s", state, msg ? msg : "");
        return ERR_RETRY;
    }
    if (strcmp(state, "23505") == 0)
        return ERR_CONFLICT;
    if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0) {
        log_error("statement timed out: sqlstate %s: %s", state, msg ? msg : "");
        return ERR_UNAVAILABLE;
    }
    log_error("statement failed: sqlstate %s: %s", state, msg ? msg : "");
    return ERR_INTERNAL;
}

/* Hand a statement's result to the caller (res may be NULL), or translate its failure. */
static int
db_result(struct store_conn *c, PGresult *r, PGresult **res)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = db_error(c, r);
        PQclear(r);
        return rc;
    }
    if (res != NULL)
        *res = r;
    else
        PQclear(r);
    return ERR_OK;
}

int
db_exec(struct store_conn *c, const char *sql, int n_params, const char *const *params,
        PGresult **res)
{
    if (res != NULL)
        *res = NULL;
    if (c->broken)
        return ERR_UNAVAILABLE;
    return db_result(c, PQexecParams(c->pg, sql, n_params, NULL, params, NULL, NULL, 0), res);
}

int
db_exec_prepared(struct store_conn *c, const char *sql, int n_params, const char *const *params,
                 PGresult **res)
{
    char name[16];
    int i = 0, rc;

    while (i < c->n_prepared && c->prepared[i] != sql)
        i++;
    if (!c->prepare || (i == c->n_prepared && i == DB_PREPARED_MAX))
        return db_exec(c, sql, n_params, params, res);
    if (res != NULL)
        *res = NULL;
    if (c->broken)
        return ERR_UNAVAILABLE;
    snprintf(name, sizeof name, "capa_%d", i);
    if (i == c->n_prepared) {
        if ((rc = db_result(c, PQprepare(c->pg, name, sql, n_params, NULL), NULL)) != ERR_OK)
            return rc;
        c->prepared[c->n_prepared++] = sql;
    }
    return db_result(c, PQexecPrepared(c->pg, name, n_params, params, NULL, NULL, 0), res);
}

int
db_exec_json(struct store_conn *c, const char *sql, int n_params, const char *const *params,
             json_t **j_out)
{
    PGresult *res = NULL;
    int rc = db_exec(c, sql, n_params, params, &res);
    *j_out = NULL;
    if (rc == ERR_OK && (PQntuples(res) != 1 || PQnfields(res) != 1 ||
                         (*j_out = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL))
        rc = ERR_INTERNAL;
    PQclear(res);
    return rc;
}

int
db_exec_text(struct store_conn *c, const char *sql, int n_params, const char *const *params,
             char *out, size_t size)
{
    PGresult *res = NULL;
    int rc = db_exec_prepared(c, sql, n_params, params, &res);
    const char *v = rc == ERR_OK && PQntuples(res) > 0 ? db_value(res, 0, 0) : NULL;
    snprintf(out, size, "%s", v ? v : "");
    PQclear(res);
    return rc;
}

void
db_prepared_forget(struct store_conn *c)
{
    c->n_prepared = 0;
}

/* Server notices (e.g. "relation already exists, skipping") go to the debug log. */
static void
on_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("database notice: %s", message);
}

PGconn *
db_connect(const char *url, int connect_timeout_s, int statement_timeout_ms,
           const char *application_name)
{
    char timeout[16], options[192];
    snprintf(timeout, sizeof timeout, "%d", connect_timeout_s);
    /*
     * Settings every connection carries: statements and idle transactions
     * cannot hold a connection for ever, lock waits end, and timestamps
     * come back in UTC.
     */
    snprintf(options, sizeof options,
             "-c statement_timeout=%d -c lock_timeout=%d "
             "-c idle_in_transaction_session_timeout=%d -c TimeZone=UTC",
             statement_timeout_ms, statement_timeout_ms, statement_timeout_ms * 4);
    const char *keys[] = {
        "dbname",          "connect_timeout",     "application_name", "options", "keepalives",
        "keepalives_idle", "keepalives_interval", "keepalives_count", NULL};
    const char *values[] = {url, timeout, application_name, options, "1", "30", "10", "3", NULL};
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        /* the message may hold the host but never the password */
        log_error("cannot connect to the database: %s", pg ? PQerrorMessage(pg) : "out of memory");
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, on_notice, NULL);
    return pg;
}
