/* health.c - readiness of this instance (usecase.h). */
#include <string.h>

#include "err.h"
#include "relay.h"
#include "store.h"
#include "usecase.h"

bool
uc_ready(struct app *app, json_t **j_checks)
{
    struct store_conn *c = NULL;
    struct store_migrations_status ms;
    const char *database = "unreachable", *migrations = "unchecked";

    if (store_pool_acquire(app->pool, &c) == ERR_OK && store_ping(c) == ERR_OK) {
        database = "ok";
        if (store_migrations_status(c, &ms) == ERR_OK)
            migrations = ms.unknown > 0   ? "unknown"
                         : ms.pending > 0 ? "pending"
                         : ms.newer > 0   ? "newer"
                                          : "ok";
    }
    store_pool_release(app->pool, c);
    struct relay_stats rs;
    relay_stats(app->relay, &rs);
    /* the relay informs, it does not gate: a Kafka outage must not stop writes */
    *j_checks = json_pack("{s:s, s:s, s:s}", "database", database, "migrations", migrations,
                          "relay", relay_state_name(rs.state));
    /* a newer build's migrations leave this one able to serve: no gap in a rolling upgrade */
    return strcmp(database, "ok") == 0 &&
           (strcmp(migrations, "ok") == 0 || strcmp(migrations, "newer") == 0);
}
