/*
 * event_store.c - SQL of publication and of the event feed (store.h): the
 * relay's session (advisory lock, LISTEN), unpublished rows, marks, backlog,
 * and the gapless feed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "mem.h"

/* pg_advisory_lock key of the relay: "capR" */
#define RELAY_LOCK_KEY "1667330130"

int
store_session_open(const char *url, int connect_timeout_s, struct store_conn **out)
{
    struct store_conn *s = mem_calloc(1, sizeof *s);
    *out = NULL;
    /* the relay's statements are short; a long one means trouble */
    s->pg = db_connect(url, connect_timeout_s, 30000, "capad-relay");
    if (s->pg == NULL) {
        free(s);
        return ERR_UNAVAILABLE;
    }
    /*
     * What this session writes (rows marked published or failed) may be
     * lost in a crash without harm: the rows are sent again, and delivery
     * is at least once anyway. Its commits need not wait for the WAL flush,
     * which takes one disk flush out of every relay round.
     */
    int rc = db_exec(s, "SET synchronous_commit = off", 0, NULL, NULL);
    if (rc != ERR_OK) {
        store_session_close(s);
        return rc;
    }
    *out = s;
    return ERR_OK;
}

void
store_session_close(struct store_conn *s)
{
    if (s == NULL)
        return;
    PQfinish(s->pg); /* ends the session: the advisory lock goes with it */
    free(s);
}

int
store_session_try_lock(struct store_conn *s, bool *got)
{
    PGresult *res = NULL;
    int rc = db_exec(s, "SELECT pg_try_advisory_lock(" RELAY_LOCK_KEY ")", 0, NULL, &res);
    *got = rc == ERR_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return rc;
}

int
store_session_listen(struct store_conn *s)
{
    return db_exec(s, "LISTEN capa_case_events", 0, NULL, NULL);
}

static bool
drain_notifications(struct store_conn *s)
{
    bool any = false;
    PGnotify *n;
    while ((n = PQnotifies(s->pg)) != NULL) {
        any = true;
        PQfreemem(n);
    }
    return any;
}

int
store_session_wait(struct store_conn *s, int timeout_ms, bool *notified)
{
    struct pollfd pfd = {.fd = PQsocket(s->pg), .events = POLLIN};

    *notified = false;
    if (PQconsumeInput(s->pg) == 0)
        goto lost;
    if ((*notified = drain_notifications(s)))
        return ERR_OK;
    int n = poll(&pfd, 1, timeout_ms);
    if (n < 0 && errno != EINTR)
        goto lost;
    if (n > 0) {
        if (PQconsumeInput(s->pg) == 0)
            goto lost;
        *notified = drain_notifications(s);
    }
    return ERR_OK;
lost:
    s->broken = true;
    log_error("relay: database connection lost: %s", PQerrorMessage(s->pg));
    return ERR_UNAVAILABLE;
}

#define EVENT_COLUMNS                                                                              \
    "position, event_id, case_id, sequence, type, actor, capa_ts(occurred_at), data::text, "       \
    "prev_hash, hash, txid::text || '.' || position::text, traceparent, tracestate"

static int
scan_rows(PGresult *res, int (*fn)(const struct log_row *row, void *ctx), void *ctx)
{
    for (int row = 0; row < PQntuples(res); row++) {
        struct log_row r = {
            .position = atoll(PQgetvalue(res, row, 0)),
            .entry = {.event_id = PQgetvalue(res, row, 1),
                      .case_id = PQgetvalue(res, row, 2),
                      .sequence = atoi(PQgetvalue(res, row, 3)),
                      .type = PQgetvalue(res, row, 4),
                      .actor = PQgetvalue(res, row, 5),
                      .occurred_at = PQgetvalue(res, row, 6),
                      .data = PQgetvalue(res, row, 7)},
            .prev_hash = PQgetvalue(res, row, 8),
            .hash = PQgetvalue(res, row, 9),
            .feed_position = PQgetvalue(res, row, 10),
            .traceparent = db_value(res, row, 11),
            .tracestate = db_value(res, row, 12),
        };
        int rc = fn(&r, ctx);
        if (rc != ERR_OK)
            return rc;
    }
    return ERR_OK;
}

int
store_events_unpublished(struct store_conn *c, int limit,
                         int (*fn)(const struct log_row *row, void *ctx), void *ctx)
{
    PGresult *res = NULL;
    char limit_text[16];
    const char *params[] = {limit_text};
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    int rc = db_exec(c,
                     "SELECT " EVENT_COLUMNS " FROM case_events e "
                     "WHERE published_at IS NULL AND publish_failed_at IS NULL "
                     "AND NOT EXISTS (SELECT 1 FROM case_events f WHERE f.case_id = e.case_id "
                     "  AND f.publish_failed_at IS NOT NULL AND f.published_at IS NULL) "
                     "ORDER BY position LIMIT $1",
                     1, params, &res);
    if (rc == ERR_OK)
        rc = scan_rows(res, fn, ctx);
    PQclear(res);
    return rc;
}

int
store_events_mark_published(struct store_conn *c, const long long *positions, int n)
{
    json_t *j = json_array();
    char *list = NULL;
    int rc = ERR_INTERNAL;
    for (int i = 0; i < n; i++)
        json_array_append_new(j, json_integer(positions[i]));
    if ((list = json_dumps(j, JSON_COMPACT)) != NULL) {
        const char *params[] = {list};
        rc = db_exec(c,
                     "UPDATE case_events SET published_at = now(), "
                     " publish_attempts = publish_attempts + 1 "
                     "WHERE position IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint) "
                     " AND published_at IS NULL",
                     1, params, NULL);
    }
    free(list);
    json_decref(j);
    return rc;
}

int
store_events_mark_failed(struct store_conn *c, long long position, bool permanent,
                         const char *reason)
{
    char pos[24];
    const char *params[] = {pos, permanent ? "true" : "false", reason};
    snprintf(pos, sizeof pos, "%lld", position);
    return db_exec(c,
                   "UPDATE case_events SET publish_attempts = publish_attempts + 1, "
                   " publish_error = $3, "
                   " publish_failed_at = CASE WHEN $2::boolean THEN now() END "
                   "WHERE position = $1 AND published_at IS NULL",
                   3, params, NULL);
}

int
store_events_backlog(struct store_conn *c, struct store_backlog *out)
{
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = db_exec(c,
                     "SELECT count(*), "
                     " coalesce(extract(epoch FROM now() - min(occurred_at)), 0), "
                     " count(*) FILTER (WHERE publish_failed_at IS NOT NULL) "
                     "FROM case_events WHERE published_at IS NULL",
                     0, NULL, &res);
    if (rc == ERR_OK) {
        out->unpublished = atoll(PQgetvalue(res, 0, 0));
        out->oldest_age_s = atof(PQgetvalue(res, 0, 1));
        out->failed = atoll(PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return rc;
}

int
store_events_feed(struct store_conn *c, const char *after_txid, const char *after_position,
                  const char *type_stored, const char *case_id, int limit,
                  int (*fn)(const struct log_row *row, void *ctx), void *ctx)
{
    PGresult *res = NULL;
    char limit_text[16];
    const char *params[] = {after_txid, after_position, type_stored, case_id, limit_text};
    snprintf(limit_text, sizeof limit_text, "%d", limit);
    /*
     * One statement, one snapshot: a row is served only when its transaction
     * is older than every transaction still running, so any row that
     * commits later belongs to a younger transaction and sorts after every
     * row served now.
     */
    int rc = db_exec(c,
                     "SELECT " EVENT_COLUMNS " FROM case_events "
                     "WHERE (txid, position) > ($1::xid8, $2::bigint) "
                     "AND txid < pg_snapshot_xmin(pg_current_snapshot()) "
                     "AND ($3::text IS NULL OR type = $3) "
                     "AND ($4::uuid IS NULL OR case_id = $4) "
                     "ORDER BY txid, position LIMIT $5",
                     5, params, &res);
    if (rc == ERR_OK)
        rc = scan_rows(res, fn, ctx);
    PQclear(res);
    return rc;
}
