/*
 * fuzz_trace.c - the W3C trace context headers of a request (trace.h).
 *
 * The input is a traceparent value, then FUZZ_SEPARATOR and a tracestate
 * value (each up to a NUL, as header values arrive). Properties: a
 * traceparent is kept exactly when a plain reading of the specification's
 * layout accepts it, and what is kept is its first 55 characters, which
 * parse again to themselves; a tracestate that is accepted fits a Kafka
 * header and a log line (printable ASCII, at most 512), and every member is
 * key=value with one '='; repeating one of its keys, or adding an empty
 * member, keeps that verdict consistent; trace_context_parse carries a
 * tracestate only beside a kept traceparent.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trace.h"

#define ZEROS "00000000000000000000000000000000"

/* The traceparent layout, read independently of trace.c. */
static bool
parent_expected(const char *s)
{
    size_t n = strlen(s);
    if (n < TRACE_PARENT_LEN || strncmp(s, "ff", 2) == 0 ||
        (strncmp(s, "00", 2) == 0 && n != TRACE_PARENT_LEN) ||
        (n > TRACE_PARENT_LEN && s[TRACE_PARENT_LEN] != '-'))
        return false;
    for (size_t i = 0; i < TRACE_PARENT_LEN; i++) {
        bool dash = i == 2 || i == 35 || i == 52;
        if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL)
            return false;
    }
    return strncmp(s + 3, ZEROS, 32) != 0 && strncmp(s + 36, ZEROS, 16) != 0;
}

static void
check_parent(const char *value)
{
    char out[TRACE_PARENT_LEN + 1], again[TRACE_PARENT_LEN + 1];
    bool kept = trace_parent_parse(value, out);

    FUZZ_CHECK(kept == parent_expected(value));
    if (!kept) {
        FUZZ_CHECK(out[0] == '\0');
        return;
    }
    FUZZ_CHECK(strlen(out) == TRACE_PARENT_LEN && strncmp(out, value, TRACE_PARENT_LEN) == 0);
    FUZZ_CHECK(trace_parent_parse(out, again) && strcmp(again, out) == 0);
}

/* Every non-empty member of an accepted list is key=value with exactly one '='. */
static void
check_members(const char *value)
{
    int members = 0;
    for (const char *p = value;; p++) {
        size_t n = strcspn(p, ",");
        const char *eq = memchr(p, '=', n);
        members++;
        if (strspn(p, " ") < n) {
            FUZZ_CHECK(eq != NULL && memchr(eq + 1, '=', n - (size_t)(eq - p) - 1) == NULL);
            FUZZ_CHECK(eq > p && eq[-1] != ' ' && eq + 1 < p + n && eq[1] != ',');
        }
        p += n;
        if (*p == '\0')
            break;
    }
    FUZZ_CHECK(members <= 32);
}

static void
check_state(const char *value)
{
    size_t n = strlen(value);
    char *longer = malloc(2 * n + 2);

    FUZZ_CHECK(longer != NULL);
    if (trace_state_valid(value)) {
        FUZZ_CHECK(n >= 3 && n <= TRACE_STATE_MAX);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK((unsigned char)value[i] >= 0x20 && (unsigned char)value[i] <= 0x7e);
        check_members(value);
        /* the list twice repeats every key */
        snprintf(longer, 2 * n + 2, "%s,%s", value, value);
        FUZZ_CHECK(!trace_state_valid(longer));
    }
    /* an empty member changes nothing, but counts towards the 32 */
    snprintf(longer, 2 * n + 2, "%s,", value);
    if (trace_state_valid(longer))
        FUZZ_CHECK(trace_state_valid(value));
    free(longer);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *a, *b;
    size_t an, bn;
    struct trace_context t;
    char kept[TRACE_PARENT_LEN + 1];

    fuzz_split(data, size, &a, &an, &b, &bn);
    char *parent = fuzz_text(a, an), *state = fuzz_text(b, bn);
    check_parent(parent);
    check_state(state);
    trace_context_parse(parent, state, &t);
    bool has_parent = trace_parent_parse(parent, kept);
    FUZZ_CHECK(strcmp(t.traceparent, kept) == 0);
    FUZZ_CHECK(strcmp(t.tracestate, has_parent && trace_state_valid(state) ? state : "") == 0);
    free(parent);
    free(state);
    return 0;
}
