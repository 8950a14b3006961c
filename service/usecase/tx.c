/* tx.c - running use cases on pooled connections (tx.h). */
#include "tx.h"

#include "err.h"
#include "log.h"
#include "usecase.h"

#define TX_ATTEMPTS 3

int
uc_pool_open(struct app *app, int size, const char *application_name)
{
    struct store_pool_options po = {
        .url = app->cfg.database_url,
        .size = size,
        .acquire_timeout_ms = app->cfg.db_acquire_timeout_ms,
        .statement_timeout_ms = app->cfg.db_statement_timeout_ms,
        .connect_timeout_s = app->cfg.db_connect_timeout_s,
        .application_name = application_name,
        .prepared_statements = app->cfg.db_prepared_statements,
    };
    return store_pool_new(&po, &app->pool);
}

int
tx_run(struct app *app, tx_fn fn, void *ctx)
{
    struct store_conn *c = NULL;
    int rc = store_pool_acquire(app->pool, &c);
    if (rc != ERR_OK)
        return rc;
    for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
        if ((rc = store_begin(c)) != ERR_OK)
            break;
        rc = fn(c, ctx);
        if (rc == ERR_OK)
            rc = store_commit(c);
        else
            store_rollback(c);
        if (rc != ERR_RETRY)
            break;
    }
    if (rc == ERR_RETRY) {
        log_warn("transaction still conflicting after %d attempts", TX_ATTEMPTS);
        rc = ERR_UNAVAILABLE;
    }
    store_pool_release(app->pool, c);
    return rc;
}

int
tx_read(struct app *app, tx_fn fn, void *ctx)
{
    int rc = ERR_UNAVAILABLE;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct store_conn *c = NULL;
        if ((rc = store_pool_acquire(app->pool, &c)) != ERR_OK)
            return rc;
        rc = fn(c, ctx);
        bool lost = store_conn_lost(c);
        store_pool_release(app->pool, c);
        if (rc != ERR_UNAVAILABLE || !lost)
            break;
    }
    return rc;
}

struct json_read {
    tx_json_read_fn read;
    json_t *j_out;
};

static int
json_read(struct store_conn *c, void *arg)
{
    struct json_read *x = arg;
    json_decref(x->j_out); /* a retry starts over */
    x->j_out = NULL;
    return x->read(c, &x->j_out);
}

int
tx_read_json(struct app *app, tx_json_read_fn read, json_t **j_out)
{
    struct json_read x = {.read = read};
    int rc = tx_read(app, json_read, &x);
    if (rc != ERR_OK) {
        json_decref(x.j_out);
        x.j_out = NULL;
    }
    *j_out = x.j_out;
    return rc;
}
