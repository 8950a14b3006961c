/*
 * trace.h - the W3C Trace Context (level 1) of a request: its traceparent and
 * tracestate headers, checked and kept. Pure: no I/O.
 *
 *   trace_parent_parse    a traceparent value, kept as its first 55 characters
 *   trace_state_valid     whether a tracestate value may be carried on
 *   trace_context_parse   both headers of a request into a struct trace_context
 *   trace_context_trace_id  the trace id of a context (for logs)
 *
 * The trace context is transport metadata: it travels with the events a
 * request produces (the CloudEvents Distributed Tracing extension) and never
 * into the hash chain of the case log. An invalid header never fails a
 * request: as the specification says, it is treated as absent, and a
 * tracestate is carried only with a valid traceparent.
 */
#ifndef CAPA_TRACE_H
#define CAPA_TRACE_H

#include <stdbool.h>

/* version-traceid-parentid-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 */
#define TRACE_PARENT_LEN 55
#define TRACE_ID_LEN 32
/* the longest tracestate carried on (the length every vendor must propagate) */
#define TRACE_STATE_MAX 512

/* A request's trace context; "" for a header that was absent or invalid. */
struct trace_context {
    char traceparent[TRACE_PARENT_LEN + 1];
    char tracestate[TRACE_STATE_MAX + 1];
};

/*
 * Check a traceparent value: lower-case hex fields, a version other than
 * "ff", a trace id and a parent id that are not all zeros. Version 00 is
 * exactly 55 characters; a higher version may carry more after a '-', of
 * which only the first 55 characters are kept (the specification's rule for
 * versions this parser does not know). Returns true and fills out with the
 * kept value; false (out "") for NULL or anything else.
 */
bool trace_parent_parse(const char *value, char out[TRACE_PARENT_LEN + 1]);

/*
 * Whether a tracestate value may be carried on: at most TRACE_STATE_MAX
 * printable ASCII characters, a comma-separated list of at most 32 members
 * "key=value" (optional spaces around each; empty members allowed, but not
 * only those), keys as the specification writes them (simple, or
 * tenant@system), each key once, values of 1 to 256 characters without ','
 * or '=' that do not end in a space. False for NULL.
 */
bool trace_state_valid(const char *value);

/*
 * The trace context of a request from its traceparent and tracestate header
 * values (NULL: absent). A tracestate is kept only with a valid traceparent.
 */
void trace_context_parse(const char *traceparent, const char *tracestate,
                         struct trace_context *out);

/* The trace id of t (32 hex digits) into out, or NULL when t holds no traceparent. */
const char *trace_context_trace_id(const struct trace_context *t, char out[TRACE_ID_LEN + 1]);

#endif
