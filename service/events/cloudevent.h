/*
 * cloudevent.h - case-log rows as CloudEvents 1.0. Pure: no I/O.
 *
 *   evt_type_suffix   "capa.case.created" -> "case.created"
 *   evt_headers_build the ce_* headers of Kafka binary content mode
 *   evt_payload       the event data: the row's data with its actor
 *   evt_to_json       the CloudEvents JSON format (the HTTP feed)
 *
 * The contract (headers, data schemas) is api/asyncapi.yaml and api/events/.
 */
#ifndef CAPA_CLOUDEVENT_H
#define CAPA_CLOUDEVENT_H

#include <jansson.h>

/* How this deployment names its events. Strings borrowed. */
struct evt_options {
    const char *source;      /* ce_source, a URI-reference */
    const char *type_prefix; /* prepended to "case.created" etc. */
    const char *schema_base; /* ce_dataschema = schema_base + suffix + ".json" */
};

/* One case-log row, as published. Strings borrowed. */
struct evt_record {
    const char *event_id;
    const char *case_id;
    int sequence;
    const char *type; /* as stored: "capa.case.created" */
    const char *occurred_at;
    const char *actor;         /* JSON text */
    const char *data;          /* JSON text */
    const char *feed_position; /* "<txid>.<position>" */
};

#define EVT_N_HEADERS 11
#define EVT_HEADER_MAX 256

struct evt_headers {
    const char *names[EVT_N_HEADERS];
    char values[EVT_N_HEADERS][EVT_HEADER_MAX];
};

/* The stored type without its "capa." prefix. */
const char *evt_type_suffix(const char *stored_type);

/* Returns 0, or ERR_INVALID when a value does not fit. */
int evt_headers_build(const struct evt_options *o, const struct evt_record *r,
                      struct evt_headers *out);

/* The data as JSON text with "actor" added (caller frees), or NULL when the row is damaged. */
char *evt_payload(const struct evt_record *r);

/* The feed item: a new reference, or NULL when the row is damaged. */
json_t *evt_to_json(const struct evt_options *o, const struct evt_record *r);

#endif
