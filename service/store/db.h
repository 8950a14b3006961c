/*
 * db.h - libpq helpers private to the store: executing parameterised
 * statements and translating SQLSTATE to enum err. Never include outside
 * service/store/.
 */
#ifndef CAPA_DB_H
#define CAPA_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "store.h"

struct store_conn {
    struct store_pool *pool;
    PGconn *pg;
    bool in_use;
    bool broken; /* lost: reset before the next use */
};

/*
 * Run one parameterised statement (text parameters, text results; NULL
 * parameter = SQL NULL). On success *res (when res is not NULL) holds the
 * result, which the caller clears; on failure *res is NULL and the error is
 * logged with its SQLSTATE. Returns 0 or the translated error.
 */
int db_exec(struct store_conn *c, const char *sql, int n_params, const char *const *params,
            PGresult **res);

/* Translate a failed result's SQLSTATE (res may be NULL: connection-level failure). */
int db_error(struct store_conn *c, const PGresult *res);

/* Field value, or NULL when SQL NULL. */
const char *db_value(const PGresult *res, int row, int col);

/* Open a connection with capa's per-connection settings. Returns NULL on failure (logged). */
PGconn *db_connect(const char *url, int connect_timeout_s, int statement_timeout_ms,
                   const char *application_name);

#endif
