/*
 * db.h - libpq helpers private to the store: executing parameterised
 * statements and translating SQLSTATE to enum err. Never include outside
 * service/store/.
 */
#ifndef CAPA_DB_H
#define CAPA_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "store.h"

/* Statements a connection can hold prepared (db_exec_prepared); more run unprepared. */
#define DB_PREPARED_MAX 64

struct store_conn {
    struct store_pool *pool;
    PGconn *pg;
    bool in_use;
    bool broken;  /* lost: reset before the next use */
    bool prepare; /* db_exec_prepared prepares (CAPA_DB_PREPARED_STATEMENTS) */
    /* the statements prepared on pg, by the address of their text: capa_<index> */
    const char *prepared[DB_PREPARED_MAX];
    int n_prepared;
};

/*
 * Run one parameterised statement (text parameters, text results; NULL
 * parameter = SQL NULL). On success *res (when res is not NULL) holds the
 * result, which the caller clears; on failure *res is NULL and the error is
 * logged with its SQLSTATE. Returns 0 or the translated error.
 */
int db_exec(struct store_conn *c, const char *sql, int n_params, const char *const *params,
            PGresult **res);

/*
 * db_exec for the statements of the request path whose best plan does not
 * depend on their parameters (lookups and writes by key): the first run on
 * a connection prepares sql as a named statement, later runs only bind and
 * execute it, so PostgreSQL parses once and may keep a generic plan. sql
 * must be a string literal (or otherwise live as long as the process): its
 * address names the statement. Statements with optional filters (the list,
 * the feed, the recurrence search) stay with db_exec, which plans every run
 * for its values.
 */
int db_exec_prepared(struct store_conn *c, const char *sql, int n_params, const char *const *params,
                     PGresult **res);

/*
 * db_exec of a statement whose one row and column is JSON text: *j_out is
 * that value (new reference), NULL on failure (ERR_INTERNAL when the text
 * is not JSON).
 */
int db_exec_json(struct store_conn *c, const char *sql, int n_params, const char *const *params,
                 json_t **j_out);

/*
 * db_exec_prepared of a statement that reads one value: its text (cut to
 * size) into out, "" when there is no row or the value is NULL.
 */
int db_exec_text(struct store_conn *c, const char *sql, int n_params, const char *const *params,
                 char *out, size_t size);

/* Forget the statements prepared on c's connection (it was replaced). */
void db_prepared_forget(struct store_conn *c);

/* Translate a failed result's SQLSTATE (res may be NULL: connection-level failure). */
int db_error(struct store_conn *c, const PGresult *res);

/* Field value, or NULL when SQL NULL. */
const char *db_value(const PGresult *res, int row, int col);

/* Open a connection with capa's per-connection settings. Returns NULL on failure (logged). */
PGconn *db_connect(const char *url, int connect_timeout_s, int statement_timeout_ms,
                   const char *application_name);

#endif
