/* cloudevent.c - case-log rows as CloudEvents 1.0 (cloudevent.h). */
#include "cloudevent.h"

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

int
evt_headers_build(const struct evt_options *o, const struct evt_record *r, struct evt_headers *out)
{
    static const char *const names[EVT_N_HEADERS] = {
        "ce_specversion",  "ce_id",         "ce_source",       "ce_type",
        "ce_subject",      "ce_time",       "ce_partitionkey", "ce_sequence",
        "ce_feedposition", "ce_dataschema", "content-type"};
    const char *suffix = evt_type_suffix(r->type);
    int n[EVT_N_HEADERS];

    memcpy(out->names, names, sizeof names);
    n[0] = snprintf(out->values[0], EVT_HEADER_MAX, "1.0");
    n[1] = snprintf(out->values[1], EVT_HEADER_MAX, "%s", r->event_id);
    n[2] = snprintf(out->values[2], EVT_HEADER_MAX, "%s", o->source);
    n[3] = snprintf(out->values[3], EVT_HEADER_MAX, "%s%s", o->type_prefix, suffix);
    n[4] = snprintf(out->values[4], EVT_HEADER_MAX, "cases/%s", r->case_id);
    n[5] = snprintf(out->values[5], EVT_HEADER_MAX, "%s", r->occurred_at);
    n[6] = snprintf(out->values[6], EVT_HEADER_MAX, "%s", r->case_id);
    n[7] = snprintf(out->values[7], EVT_HEADER_MAX, "%d", r->sequence);
    n[8] = snprintf(out->values[8], EVT_HEADER_MAX, "%s", r->feed_position);
    n[9] = snprintf(out->values[9], EVT_HEADER_MAX, "%s%s.json", o->schema_base, suffix);
    n[10] = snprintf(out->values[10], EVT_HEADER_MAX, "application/json");
    for (int i = 0; i < EVT_N_HEADERS; i++)
        if (n[i] < 0 || n[i] >= EVT_HEADER_MAX)
            return ERR_INVALID;
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
    json_t *j_data = data_with_actor(r);
    if (j_data == NULL || evt_headers_build(o, r, &h) != ERR_OK) {
        json_decref(j_data);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "specversion",
                     h.values[0], "id", h.values[1], "source", h.values[2], "type", h.values[3],
                     "subject", h.values[4], "time", h.values[5], "datacontenttype", h.values[10],
                     "dataschema", h.values[9], "partitionkey", h.values[6], "sequence",
                     h.values[7], "feedposition", h.values[8], "data", j_data);
}
