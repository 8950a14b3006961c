/*
 * events.c - the HTTP event feed and the metrics of the relay and the pool
 * (usecase.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "field.h"
#include "relay.h"
#include "tx.h"
#include "usecase.h"
#include "uuid.h"

#define FEED_LIMIT_MAX 1000
#define FEED_LIMIT_DEFAULT 100

struct feed_ctx {
    struct evt_options opts;
    char after_txid[24];
    char after_position[24];
    char type_stored[128];
    const char *case_id;
    int limit;
    json_t *j_items;
};

static int
feed_row(const struct log_row *row, void *arg)
{
    struct feed_ctx *x = arg;
    struct evt_record rec;
    relay_record(row, &rec);
    json_t *j = evt_to_json(&x->opts, &rec);
    if (j == NULL)
        return ERR_INTERNAL;
    json_array_append_new(x->j_items, j);
    return ERR_OK;
}

static int
feed_read(struct store_conn *c, void *arg)
{
    struct feed_ctx *x = arg;
    json_array_clear(x->j_items);
    return store_events_feed(c, x->after_txid, x->after_position,
                             x->type_stored[0] ? x->type_stored : NULL, x->case_id, x->limit,
                             feed_row, x);
}

/*
 * "<txid>.<position>": two decimal integers of at most 19 digits, the
 * position within bigint (a txid of 19 digits always fits xid8's 64 bits).
 */
static bool
parse_position(const char *s, char txid[24], char position[24])
{
    const char *dot = strchr(s, '.');
    size_t a = dot ? (size_t)(dot - s) : 0, b = dot ? strlen(dot + 1) : 0;
    if (a == 0 || a > 19 || b == 0 || b > 19 || strspn(s, "0123456789") != a ||
        strspn(dot + 1, "0123456789") != b)
        return false;
    /* equal lengths of digits compare as numbers */
    if (b == 19 && strcmp(dot + 1, "9223372036854775807") > 0)
        return false;
    snprintf(txid, 24, "%.*s", (int)a, s);
    snprintf(position, 24, "%s", dot + 1);
    return true;
}

int
uc_events_list(struct app *app, const json_t *j_params, json_t **j_page, struct uc_status *st)
{
    const struct cfg *cfg = &app->cfg;
    struct feed_ctx x = {
        .after_txid = "0",
        .after_position = "0",
        .limit = FEED_LIMIT_DEFAULT,
        .j_items = json_array(),
    };
    const char *name, *after = NULL;
    json_t *v;
    int rc = ERR_OK;

    *j_page = NULL;
    relay_options(cfg, &x.opts);
    json_object_foreach((json_t *)j_params, name, v)
    {
        const char *s = json_string_value(v);
        if (strcmp(name, "after") == 0) {
            after = s;
            if (!parse_position(s, x.after_txid, x.after_position))
                field_error_add(st->j_errors, name, "invalid",
                                "must be a feed position \"<txid>.<position>\" from next_after or "
                                "an event's feedposition");
        } else if (strcmp(name, "limit") == 0) {
            long n;
            if (!case_query_int(s, 1, FEED_LIMIT_MAX, &n))
                field_error_add(st->j_errors, name, "invalid", "must be an integer from 1 to 1000");
            else
                x.limit = (int)n;
        } else if (strcmp(name, "type") == 0) {
            /* a type of this deployment: its prefix, then the stored name */
            size_t n = strlen(cfg->event_type_prefix);
            if (strncmp(s, cfg->event_type_prefix, n) != 0 || strlen(s + n) == 0 ||
                strlen(s + n) > 100 ||
                strspn(s + n, "abcdefghijklmnopqrstuvwxyz._") != strlen(s + n))
                field_error_add(st->j_errors, name, "invalid",
                                "must be an event type of this service, e.g. capa.case.created");
            else
                snprintf(x.type_stored, sizeof x.type_stored, "capa.%s", s + n);
        } else if (strcmp(name, "case_id") == 0) {
            if (!uuid_valid(s))
                field_error_add(st->j_errors, name, "invalid", "must be a case id (UUID)");
            else
                x.case_id = s;
        } else {
            field_error_add(st->j_errors, name, "unknown",
                            "is not a query parameter of this endpoint");
        }
    }
    if (json_array_size(st->j_errors) > 0) {
        snprintf(st->detail, sizeof st->detail, "see errors for each query parameter");
        rc = ERR_BAD_REQUEST;
        goto out;
    }
    if ((rc = tx_read(app, feed_read, &x)) != ERR_OK)
        goto out;
    json_t *j_last = json_array_get(x.j_items, json_array_size(x.j_items) - 1);
    /* where to go on from: the last event, else where this page started */
    json_t *j_next = j_last  ? json_incref(json_object_get(j_last, "feedposition"))
                     : after ? json_string(after)
                             : json_null();
    *j_page = json_pack("{s:O, s:o}", "items", x.j_items, "next_after", j_next);
    rc = *j_page ? ERR_OK : ERR_INTERNAL;
out:
    json_decref(x.j_items);
    return rc;
}
