/*
 * cloudevent.h - case-log rows as CloudEvents 1.0. Pure: no I/O.
 *
 *   evt_type_suffix   "capa.case.created" -> "case.created"
 *   evt_headers_build the ce_* headers of Kafka binary content mode
 *   evt_payload       the event data: the row's data with its actor
 *   evt_to_json       the CloudEvents JSON format (the HTTP feed)
 *
 * An event whose writing request carried a W3C trace context has the
 * attributes of the CloudEvents Distributed Tracing extension too:
 * traceparent and tracestate (headers ce_traceparent, ce_tracestate).
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
    const char *traceparent;   /* the writing request's trace context, */
    const char *tracestate;    /* NULL (or "") when none */
};

/* Every event has the EVT_N_CORE headers; one with a trace context up to two more. */
#define EVT_N_CORE 11
#define EVT_MAX_HEADERS (EVT_N_CORE + 2)
/* The longest core header value, with its NUL. */
#define EVT_HEADER_MAX 256

/*
 * The headers of one event: n of them, names[i] = values[i]. The core values
 * live in text; the trace context's point into the evt_record they were
 * built from, and are valid as long as its strings are.
 */
struct evt_headers {
    int n;
    const char *names[EVT_MAX_HEADERS];
    const char *values[EVT_MAX_HEADERS];
    char text[EVT_N_CORE][EVT_HEADER_MAX];
};

/* The stored type without its "capa." prefix. */
const char *evt_type_suffix(const char *stored_type);

/*
 * The core headers, in a fixed order (ce_specversion first, content-type
 * last), then ce_traceparent and ce_tracestate when r has them. Returns 0,
 * or ERR_INVALID when a core value does not fit.
 */
int evt_headers_build(const struct evt_options *o, const struct evt_record *r,
                      struct evt_headers *out);

/* The data as JSON text with "actor" added (caller frees), or NULL when the row is damaged. */
char *evt_payload(const struct evt_record *r);

/* The feed item: a new reference, or NULL when the row is damaged. */
json_t *evt_to_json(const struct evt_options *o, const struct evt_record *r);

#endif
