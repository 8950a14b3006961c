/* cloudevent.c - case-log rows as CloudEvents 1.0 (cloudevent.h). */
#include "cloudevent.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define STORED_PREFIX "capa."

const char *
evt_type_suffix(const char *stored_type)
{
    size_t n = strlen(STORED_PREFIX);
    return strncmp(stored_type, STORED_PREFIX, n) == 0 ? stored_type + n : stored_type;
}

/* The trace context of r as carried on: a tracestate only beside a traceparent. NULL: none. */
static void
trace_of(const struct evt_record *r, const char **traceparent, const char **tracestate)
{
    bool has = r->traceparent != NULL && r->traceparent[0] != '\0';
    *traceparent = has ? r->traceparent : NULL;
    *tracestate = has && r->tracestate != NULL && r->tracestate[0] != '\0' ? r->tracestate : NULL;
}

static void
header_add(struct evt_headers *h, const char *name, const char *value)
{
    if (value == NULL)
        return;
    h->names[h->n] = name;
    h->values[h->n++] = value;
}

int
evt_headers_build(const struct evt_options *o, const struct evt_record *r, struct evt_headers *out)
{
    static const char *const names[EVT_N_CORE] = {
        "ce_specversion",  "ce_id",         "ce_source",       "ce_type",
        "ce_subject",      "ce_time",       "ce_partitionkey", "ce_sequence",
        "ce_feedposition", "ce_dataschema", "content-type"};
    const char *suffix = evt_type_suffix(r->type), *traceparent, *tracestate;
    char(*t)[EVT_HEADER_MAX] = out->text;
    int n[EVT_N_CORE];

    out->n = 0;
    n[0] = snprintf(t[0], EVT_HEADER_MAX, "1.0");
    n[1] = snprintf(t[1], EVT_HEADER_MAX, "%s", r->event_id);
    n[2] = snprintf(t[2], EVT_HEADER_MAX, "%s", o->source);
    n[3] = snprintf(t[3], EVT_HEADER_MAX, "%s%s", o->type_prefix, suffix);
    n[4] = snprintf(t[4], EVT_HEADER_MAX, "cases/%s", r->case_id);
    n[5] = snprintf(t[5], EVT_HEADER_MAX, "%s", r->occurred_at);
    n[6] = snprintf(t[6], EVT_HEADER_MAX, "%s", r->case_id);
    n[7] = snprintf(t[7], EVT_HEADER_MAX, "%d", r->sequence);
    n[8] = snprintf(t[8], EVT_HEADER_MAX, "%s", r->feed_position);
    n[9] = snprintf(t[9], EVT_HEADER_MAX, "%s%s.json", o->schema_base, suffix);
    n[10] = snprintf(t[10], EVT_HEADER_MAX, "application/json");
    for (int i = 0; i < EVT_N_CORE; i++)
        if (n[i] < 0 || n[i] >= EVT_HEADER_MAX)
            return ERR_INVALID;
    for (int i = 0; i < EVT_N_CORE; i++)
        header_add(out, names[i], t[i]);
    trace_of(r, &traceparent, &tracestate);
    header_add(out, "ce_traceparent", traceparent);
    header_add(out, "ce_tracestate", tracestate);
    return ERR_OK;
}

/* The data object with the actor: a new reference. */
static json_t *
data_with_actor(const struct evt_record *r)
{
    json_t *j_data = json_loads(r->data, 0, NULL);
    json_t *j_actor = json_loads(r->actor, 0, NULL);
    if (!json_is_object(j_data) || j_actor == NULL) {
        json_decref(j_data);
        json_decref(j_actor);
        return NULL;
    }
    /* set_new takes the actor even when it fails */
    if (json_object_set_new(j_data, "actor", j_actor) != 0) {
        json_decref(j_data);
        return NULL;
    }
    return j_data;
}

char *
evt_payload(const struct evt_record *r)
{
    json_t *j = data_with_actor(r);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

json_t *
evt_to_json(const struct evt_options *o, const struct evt_record *r)
{
    struct evt_headers h;
    const char *traceparent, *tracestate;
    json_t *j_data = data_with_actor(r);
    if (j_data == NULL || evt_headers_build(o, r, &h) != ERR_OK) {
        json_decref(j_data);
        return NULL;
    }
    trace_of(r, &traceparent, &tracestate);
    /* "s*": the trace attributes only when there is a trace context */
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s*, s:s*, s:o}",
                     "specversion", h.values[0], "id", h.values[1], "source", h.values[2], "type",
                     h.values[3], "subject", h.values[4], "time", h.values[5], "datacontenttype",
                     h.values[10], "dataschema", h.values[9], "partitionkey", h.values[6],
                     "sequence", h.values[7], "feedposition", h.values[8], "traceparent",
                     traceparent, "tracestate", tracestate, "data", j_data);
}
