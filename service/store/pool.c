/*
 * pool.c - a fixed pool of libpq connections shared by the request threads.
 *
 * A PGconn is used by one thread at a time: a mutex and a condition variable
 * hand out free slots, and a timed wait turns exhaustion into ERR_UNAVAILABLE
 * (503 with Retry-After) instead of a hang. Connections open lazily, and one
 * found broken (lost server, failed reset) is re-opened on its next use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "mem.h"

struct store_pool {
    struct store_pool_options o;
    char *url;
    char *application_name;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int in_use;
    long waits;
    long timeouts;
    struct store_conn *conns;
};

int
store_pool_new(const struct store_pool_options *o, struct store_pool **out)
{
    struct store_pool *p = mem_calloc(1, sizeof *p);
    pthread_condattr_t attr;

    *out = NULL;
    p->o = *o;
    p->url = mem_strdup(o->url);
    p->application_name = mem_strdup(o->application_name ? o->application_name : "capad");
    p->conns = mem_calloc((size_t)o->size, sizeof *p->conns);
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->freed, &attr);
    pthread_condattr_destroy(&attr);
    *out = p;
    return ERR_OK;
}

void
store_pool_free(struct store_pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; p->conns && i < p->o.size; i++)
        PQfinish(p->conns[i].pg);
    if (p->conns) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->freed);
    }
    free(p->conns);
    free(p->url);
    free(p->application_name);
    free(p);
}

/* Make a slot's connection usable: open it, or re-open it when lost. */
static int
ensure_connected(struct store_pool *p, struct store_conn *c)
{
    if (c->pg != NULL && !c->broken && PQstatus(c->pg) == CONNECTION_OK)
        return ERR_OK;
    PQfinish(c->pg);
    db_prepared_forget(c);
    c->prepare = p->o.prepared_statements;
    c->pg =
        db_connect(p->url, p->o.connect_timeout_s, p->o.statement_timeout_ms, p->application_name);
    c->broken = c->pg == NULL;
    return c->pg ? ERR_OK : ERR_UNAVAILABLE;
}

int
store_pool_acquire(struct store_pool *p, struct store_conn **out)
{
    struct timespec deadline;
    struct store_conn *c = NULL;
    bool waited = false;
    int rc = ERR_OK;

    *out = NULL;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += p->o.acquire_timeout_ms / 1000;
    deadline.tv_nsec += (long)(p->o.acquire_timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->lock);
    while (p->in_use == p->o.size && rc == ERR_OK) {
        waited = true;
        if (pthread_cond_timedwait(&p->freed, &p->lock, &deadline) == ETIMEDOUT &&
            p->in_use == p->o.size)
            rc = ERR_UNAVAILABLE;
    }
    if (waited)
        p->waits++;
    if (rc != ERR_OK) {
        p->timeouts++;
        pthread_mutex_unlock(&p->lock);
        log_warn("no database connection free within %d ms", p->o.acquire_timeout_ms);
        return rc;
    }
    /* prefer a slot that is already connected */
    for (int i = 0; i < p->o.size; i++) {
        struct store_conn *s = &p->conns[i];
        if (!s->in_use && (c == NULL || (c->pg == NULL && s->pg != NULL)))
            c = s;
    }
    c->in_use = true;
    c->pool = p;
    p->in_use++;
    pthread_mutex_unlock(&p->lock);

    /* connecting happens outside the lock: it may take connect_timeout_s */
    rc = ensure_connected(p, c);
    if (rc != ERR_OK) {
        store_pool_release(p, c);
        return rc;
    }
    *out = c;
    return ERR_OK;
}

void
store_pool_release(struct store_pool *p, struct store_conn *c)
{
    if (c == NULL)
        return;
    if (c->pg != NULL && !c->broken && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PGresult *res = PQexec(c->pg, "ROLLBACK");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            c->broken = true;
        PQclear(res);
    }
    if (c->pg != NULL && PQstatus(c->pg) != CONNECTION_OK)
        c->broken = true;
    pthread_mutex_lock(&p->lock);
    c->in_use = false;
    p->in_use--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

bool
store_conn_lost(const struct store_conn *c)
{
    return c->broken;
}

void
store_pool_stats(struct store_pool *p, struct store_pool_stats *out)
{
    pthread_mutex_lock(&p->lock);
    out->size = p->o.size;
    out->in_use = p->in_use;
    out->waits = p->waits;
    out->timeouts = p->timeouts;
    pthread_mutex_unlock(&p->lock);
}

/*
 * A connection lost while idle (server restart, network cut) shows only on
 * its next statement. No transaction was open then, so BEGIN may safely be
 * retried once on a fresh connection.
 */
int
store_begin(struct store_conn *c)
{
    int rc = db_exec(c, "BEGIN", 0, NULL, NULL);
    if (rc == ERR_UNAVAILABLE && c->pool != NULL && ensure_connected(c->pool, c) == ERR_OK)
        rc = db_exec(c, "BEGIN", 0, NULL, NULL);
    return rc;
}

int
store_commit(struct store_conn *c)
{
    return db_exec(c, "COMMIT", 0, NULL, NULL);
}

void
store_rollback(struct store_conn *c)
{
    if (!c->broken && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        db_exec(c, "ROLLBACK", 0, NULL, NULL);
}

int
store_ping(struct store_conn *c)
{
    return db_exec(c, "SELECT 1", 0, NULL, NULL);
}
