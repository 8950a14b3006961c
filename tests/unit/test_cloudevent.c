/*
 * test_cloudevent.c - unit tests of service/events/cloudevent.c: case-log rows
 * as CloudEvents 1.0 (Kafka binary-mode headers, the payload, the JSON format
 * of the HTTP feed), with the trace context of the Distributed Tracing
 * extension when the row has one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudevent.h"
#include "err.h"

#define EVENT_ID "6f1c0a52-3f4e-4b0e-9d55-2a7c1f3e8b10"
#define CASE_ID "0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6d"
#define OCCURRED "2026-11-29T08:30:00.123456Z"
#define ACTOR "{\"kind\":\"user\",\"subject\":\"alice\",\"name\":\"Alice A.\"}"
#define DATA                                                                                       \
    "{\"case\":{\"id\":\"" CASE_ID "\",\"version\":3,\"status\":\"contained\"},"                   \
    "\"transition\":{\"from\":\"reported\",\"to\":\"contained\",\"comment\":null}}"

static const struct evt_options default_opts = {
    .source = "urn:capa",
    .type_prefix = "capa.",
    .schema_base = "https://capa.example.org/schemas/events/",
};

static const struct evt_options custom_opts = {
    .source = "//capa.acme.example/prod",
    .type_prefix = "com.acme.quality.",
    .schema_base = "https://schemas.acme.example/capa/v2/",
};

static struct evt_record
sample_record(void)
{
    struct evt_record r = {
        .event_id = EVENT_ID,
        .case_id = CASE_ID,
        .sequence = 3,
        .type = "capa.case.transitioned",
        .occurred_at = OCCURRED,
        .actor = ACTOR,
        .data = DATA,
        .feed_position = "7421.42",
    };
    return r;
}

/* A string of n copies of c (caller frees). */
static char *
repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* --- evt_type_suffix -------------------------------------------------------------------- */

static void
test_evt_type_suffix_strips_stored_prefix(void **state)
{
    (void)state;
    const char *created = "capa.case.created";
    assert_string_equal(evt_type_suffix(created), "case.created");
    /* a pointer into the argument, not a copy */
    assert_ptr_equal(evt_type_suffix(created), created + 5);
    assert_string_equal(evt_type_suffix("capa.case.updated"), "case.updated");
    assert_string_equal(evt_type_suffix("capa.case.transitioned"), "case.transitioned");
    assert_string_equal(evt_type_suffix("capa."), "");
}

static void
test_evt_type_suffix_leaves_other_names(void **state)
{
    (void)state;
    const char *plain = "case.created";
    assert_ptr_equal(evt_type_suffix(plain), plain);
    assert_string_equal(evt_type_suffix("capacase.created"), "capacase.created");
    assert_string_equal(evt_type_suffix("capa"), "capa");
    assert_string_equal(evt_type_suffix("CAPA.case.created"), "CAPA.case.created");
    assert_string_equal(evt_type_suffix("xcapa.case.created"), "xcapa.case.created");
    assert_string_equal(evt_type_suffix(""), "");
}

/* --- evt_headers_build ------------------------------------------------------------------ */

static void
expect_header(const struct evt_headers *h, int i, const char *name, const char *value)
{
    assert_non_null(h->names[i]);
    assert_string_equal(h->names[i], name);
    assert_string_equal(h->values[i], value);
}

static void
test_evt_headers_build_default_options(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    struct evt_headers h;
    memset(&h, 0x5a, sizeof h);
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    expect_header(&h, 0, "ce_specversion", "1.0");
    expect_header(&h, 1, "ce_id", EVENT_ID);
    expect_header(&h, 2, "ce_source", "urn:capa");
    expect_header(&h, 3, "ce_type", "capa.case.transitioned");
    expect_header(&h, 4, "ce_subject", "cases/" CASE_ID);
    expect_header(&h, 5, "ce_time", OCCURRED);
    expect_header(&h, 6, "ce_partitionkey", CASE_ID);
    expect_header(&h, 7, "ce_sequence", "3");
    expect_header(&h, 8, "ce_feedposition", "7421.42");
    expect_header(&h, 9, "ce_dataschema",
                  "https://capa.example.org/schemas/events/case.transitioned.json");
    expect_header(&h, 10, "content-type", "application/json");
    /* eleven distinct names, and no trace context without one */
    assert_int_equal(h.n, EVT_N_CORE);
    for (int i = 0; i < EVT_N_CORE; i++)
        for (int j = i + 1; j < EVT_N_CORE; j++)
            assert_string_not_equal(h.names[i], h.names[j]);
}

#define TRACEPARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void
test_evt_headers_build_trace_context(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    struct evt_headers h;
    /* the longest tracestate carried is longer than a core value may be */
    char *tracestate = repeat('v', 512);
    memcpy(tracestate, "k=", 2);

    r.traceparent = TRACEPARENT;
    r.tracestate = tracestate;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    assert_int_equal(h.n, EVT_MAX_HEADERS);
    expect_header(&h, 0, "ce_specversion", "1.0");
    expect_header(&h, 10, "content-type", "application/json");
    expect_header(&h, EVT_N_CORE, "ce_traceparent", TRACEPARENT);
    expect_header(&h, EVT_N_CORE + 1, "ce_tracestate", tracestate);

    /* a traceparent alone */
    r.tracestate = NULL;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    assert_int_equal(h.n, EVT_N_CORE + 1);
    expect_header(&h, EVT_N_CORE, "ce_traceparent", TRACEPARENT);
    r.tracestate = "";
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    assert_int_equal(h.n, EVT_N_CORE + 1);

    /* a tracestate means nothing without its traceparent: neither goes out */
    r.traceparent = "";
    r.tracestate = "rojo=1";
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    assert_int_equal(h.n, EVT_N_CORE);
    r.traceparent = NULL;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    assert_int_equal(h.n, EVT_N_CORE);
    free(tracestate);
}

static void
test_evt_headers_build_custom_options(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    struct evt_headers h;
    r.type = "capa.case.created";
    r.sequence = 1;
    r.feed_position = "18446744073709551.9223372036854775807";
    assert_int_equal(evt_headers_build(&custom_opts, &r, &h), ERR_OK);
    expect_header(&h, 0, "ce_specversion", "1.0");
    expect_header(&h, 1, "ce_id", EVENT_ID);
    expect_header(&h, 2, "ce_source", "//capa.acme.example/prod");
    /* the deployment's prefix replaces the stored "capa." */
    expect_header(&h, 3, "ce_type", "com.acme.quality.case.created");
    expect_header(&h, 4, "ce_subject", "cases/" CASE_ID);
    expect_header(&h, 5, "ce_time", OCCURRED);
    expect_header(&h, 6, "ce_partitionkey", CASE_ID);
    expect_header(&h, 7, "ce_sequence", "1");
    expect_header(&h, 8, "ce_feedposition", "18446744073709551.9223372036854775807");
    expect_header(&h, 9, "ce_dataschema", "https://schemas.acme.example/capa/v2/case.created.json");
    expect_header(&h, 10, "content-type", "application/json");
}

static void
test_evt_headers_build_sequence_is_decimal(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    struct evt_headers h;
    r.sequence = 2147483647;
    r.type = "capa.case.updated";
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    assert_string_equal(h.values[7], "2147483647");
    assert_string_equal(h.values[3], "capa.case.updated");
    assert_string_equal(h.values[9], "https://capa.example.org/schemas/events/case.updated.json");
}

static void
test_evt_headers_build_longest_value_fits(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    struct evt_headers h;
    /* EVT_HEADER_MAX - 1 characters: the longest value that fits with its NUL */
    char *id = repeat('e', EVT_HEADER_MAX - 1);
    r.event_id = id;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    assert_string_equal(h.values[1], id);
    free(id);

    /* "cases/" + case_id: exactly EVT_HEADER_MAX - 1 */
    char *cid = repeat('c', EVT_HEADER_MAX - 1 - 6);
    r = sample_record();
    r.case_id = cid;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_OK);
    assert_int_equal(strlen(h.values[4]), EVT_HEADER_MAX - 1);
    assert_string_equal(h.values[6], cid);
    free(cid);
}

static void
test_evt_headers_build_too_long_is_invalid(void **state)
{
    (void)state;
    struct evt_record r;
    struct evt_headers h;
    struct evt_options o;
    char *big = repeat('x', EVT_HEADER_MAX);

    /* each value one character over, alone */
    r = sample_record();
    r.event_id = big;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_INVALID);

    r = sample_record();
    r.occurred_at = big;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_INVALID);

    r = sample_record();
    r.feed_position = big;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_INVALID);

    /* "cases/" + a case id of 250: 256 characters, one over */
    char *cid = repeat('c', EVT_HEADER_MAX - 6);
    r = sample_record();
    r.case_id = cid;
    assert_int_equal(evt_headers_build(&default_opts, &r, &h), ERR_INVALID);
    free(cid);

    r = sample_record();
    o = default_opts;
    o.source = big;
    assert_int_equal(evt_headers_build(&o, &r, &h), ERR_INVALID);

    /* prefix + suffix over, though each alone fits */
    char *prefix = repeat('p', EVT_HEADER_MAX - strlen("case.transitioned"));
    o = default_opts;
    o.type_prefix = prefix;
    assert_int_equal(evt_headers_build(&o, &r, &h), ERR_INVALID);
    free(prefix);
    prefix = repeat('p', EVT_HEADER_MAX - 1 - strlen("case.transitioned"));
    o.type_prefix = prefix;
    assert_int_equal(evt_headers_build(&o, &r, &h), ERR_OK);
    assert_int_equal(strlen(h.values[3]), EVT_HEADER_MAX - 1);
    free(prefix);

    /* schema base + suffix + ".json" over by one, then exactly fitting */
    char *base = repeat('b', EVT_HEADER_MAX - strlen("case.transitioned.json"));
    o = default_opts;
    o.schema_base = base;
    assert_int_equal(evt_headers_build(&o, &r, &h), ERR_INVALID);
    free(base);
    base = repeat('b', EVT_HEADER_MAX - 1 - strlen("case.transitioned.json"));
    o.schema_base = base;
    assert_int_equal(evt_headers_build(&o, &r, &h), ERR_OK);
    assert_int_equal(strlen(h.values[9]), EVT_HEADER_MAX - 1);
    free(base);

    free(big);
}

/* --- evt_payload ------------------------------------------------------------------------ */

static void
test_evt_payload_adds_actor_keeps_data(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    char *text = evt_payload(&r);
    assert_non_null(text);
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    assert_non_null(j);
    assert_true(json_is_object(j));
    /* the data's members, untouched, plus actor */
    assert_int_equal(json_object_size(j), 3);
    json_t *j_want_data = json_loads(DATA, 0, NULL);
    assert_true(json_equal(json_object_get(j, "case"), json_object_get(j_want_data, "case")));
    assert_true(
        json_equal(json_object_get(j, "transition"), json_object_get(j_want_data, "transition")));
    json_t *j_want_actor = json_loads(ACTOR, 0, NULL);
    assert_true(json_equal(json_object_get(j, "actor"), j_want_actor));
    /* compact: no whitespace between tokens */
    assert_null(strstr(text, ": "));
    assert_null(strstr(text, ", "));
    json_decref(j_want_actor);
    json_decref(j_want_data);
    json_decref(j);
    free(text);
}

static void
test_evt_payload_actor_replaces_member_of_same_name(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    r.data = "{\"actor\":\"forged\",\"case\":{\"version\":1}}";
    r.actor = "{\"kind\":\"anonymous\",\"subject\":\"anonymous\",\"name\":null}";
    char *text = evt_payload(&r);
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 2);
    json_t *j_actor = json_object_get(j, "actor");
    assert_true(json_is_object(j_actor));
    assert_string_equal(json_string_value(json_object_get(j_actor, "kind")), "anonymous");
    assert_true(json_is_null(json_object_get(j_actor, "name")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "case"), "version")), 1);
    json_decref(j);
    free(text);
}

static void
test_evt_payload_empty_data_object(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    r.data = "{}";
    char *text = evt_payload(&r);
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    assert_int_equal(json_object_size(j), 1);
    assert_non_null(json_object_get(j, "actor"));
    json_decref(j);
    free(text);
}

static void
test_evt_payload_damaged_data_is_null(void **state)
{
    (void)state;
    /* each with a valid actor: nothing may leak (ASan) */
    const char *bad_data[] = {"", "{", "not json", "[1,2]", "\"text\"", "42", "null", "{\"a\":1}x"};
    for (size_t i = 0; i < sizeof bad_data / sizeof *bad_data; i++) {
        struct evt_record r = sample_record();
        r.data = bad_data[i];
        char *text = evt_payload(&r);
        if (text != NULL)
            fail_msg("data %s: payload %s", bad_data[i], text);
    }
}

static void
test_evt_payload_damaged_actor_is_null(void **state)
{
    (void)state;
    const char *bad_actor[] = {"", "{", "anonymous", "{\"kind\":}", "{} {}"};
    for (size_t i = 0; i < sizeof bad_actor / sizeof *bad_actor; i++) {
        struct evt_record r = sample_record();
        r.actor = bad_actor[i];
        char *text = evt_payload(&r);
        if (text != NULL)
            fail_msg("actor %s: payload %s", bad_actor[i], text);
    }
}

/* --- evt_to_json ------------------------------------------------------------------------ */

static void
test_evt_to_json_cloudevents_format(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    json_t *j = evt_to_json(&default_opts, &r);
    assert_non_null(j);
    assert_true(json_is_object(j));

    static const char *const want[][2] = {
        {"specversion", "1.0"},
        {"id", EVENT_ID},
        {"source", "urn:capa"},
        {"type", "capa.case.transitioned"},
        {"subject", "cases/" CASE_ID},
        {"time", OCCURRED},
        {"datacontenttype", "application/json"},
        {"dataschema", "https://capa.example.org/schemas/events/case.transitioned.json"},
        {"partitionkey", CASE_ID},
        {"sequence", "3"},
        {"feedposition", "7421.42"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        json_t *v = json_object_get(j, want[i][0]);
        if (!json_is_string(v))
            fail_msg("member %s is not a string", want[i][0]);
        assert_string_equal(json_string_value(v), want[i][1]);
    }
    /* exactly these members and data: nothing else (no data_base64, no extras) */
    assert_int_equal(json_object_size(j), sizeof want / sizeof *want + 1);

    json_t *j_data = json_object_get(j, "data");
    assert_true(json_is_object(j_data));
    json_t *j_want_data = json_loads(DATA, 0, NULL);
    json_t *j_want_actor = json_loads(ACTOR, 0, NULL);
    json_object_set(j_want_data, "actor", j_want_actor);
    assert_true(json_equal(j_data, j_want_data));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j_data, "actor"), "subject")), "alice");
    json_decref(j_want_actor);
    json_decref(j_want_data);
    json_decref(j);
}

static void
test_evt_to_json_custom_options(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    r.type = "capa.case.updated";
    r.sequence = 12;
    r.feed_position = "900.7";
    json_t *j = evt_to_json(&custom_opts, &r);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "source")),
                        "//capa.acme.example/prod");
    assert_string_equal(json_string_value(json_object_get(j, "type")),
                        "com.acme.quality.case.updated");
    assert_string_equal(json_string_value(json_object_get(j, "dataschema")),
                        "https://schemas.acme.example/capa/v2/case.updated.json");
    /* sequence is a string attribute (CloudEvents sequence extension) */
    assert_true(json_is_string(json_object_get(j, "sequence")));
    assert_string_equal(json_string_value(json_object_get(j, "sequence")), "12");
    assert_string_equal(json_string_value(json_object_get(j, "feedposition")), "900.7");
    assert_string_equal(json_string_value(json_object_get(j, "specversion")), "1.0");
    json_decref(j);
}

static void
test_evt_to_json_trace_context(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    r.traceparent = TRACEPARENT;
    r.tracestate = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";
    json_t *j = evt_to_json(&default_opts, &r);
    assert_non_null(j);
    /* the Distributed Tracing extension's attributes, beside the others */
    assert_string_equal(json_string_value(json_object_get(j, "traceparent")), TRACEPARENT);
    assert_string_equal(json_string_value(json_object_get(j, "tracestate")),
                        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    assert_int_equal(json_object_size(j), 12 + 2);
    json_decref(j);

    r.tracestate = NULL;
    j = evt_to_json(&default_opts, &r);
    assert_string_equal(json_string_value(json_object_get(j, "traceparent")), TRACEPARENT);
    assert_null(json_object_get(j, "tracestate"));
    json_decref(j);

    /* none: absent, not null */
    r.traceparent = "";
    r.tracestate = "rojo=1";
    j = evt_to_json(&default_opts, &r);
    assert_null(json_object_get(j, "traceparent"));
    assert_null(json_object_get(j, "tracestate"));
    assert_int_equal(json_object_size(j), 12);
    json_decref(j);
}

static void
test_evt_to_json_damaged_row_is_null(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    r.data = "[\"not\",\"an\",\"object\"]";
    assert_null(evt_to_json(&default_opts, &r));
    r = sample_record();
    r.data = "{broken";
    assert_null(evt_to_json(&default_opts, &r));
    r = sample_record();
    r.actor = "nobody";
    assert_null(evt_to_json(&default_opts, &r));
}

static void
test_evt_to_json_too_long_is_null(void **state)
{
    (void)state;
    struct evt_record r = sample_record();
    char *big = repeat('z', EVT_HEADER_MAX);
    r.event_id = big;
    /* the data was parsed before the headers failed: it must not leak (ASan) */
    assert_null(evt_to_json(&default_opts, &r));
    free(big);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evt_type_suffix_strips_stored_prefix),
        cmocka_unit_test(test_evt_type_suffix_leaves_other_names),
        cmocka_unit_test(test_evt_headers_build_default_options),
        cmocka_unit_test(test_evt_headers_build_custom_options),
        cmocka_unit_test(test_evt_headers_build_sequence_is_decimal),
        cmocka_unit_test(test_evt_headers_build_longest_value_fits),
        cmocka_unit_test(test_evt_headers_build_too_long_is_invalid),
        cmocka_unit_test(test_evt_headers_build_trace_context),
        cmocka_unit_test(test_evt_payload_adds_actor_keeps_data),
        cmocka_unit_test(test_evt_payload_actor_replaces_member_of_same_name),
        cmocka_unit_test(test_evt_payload_empty_data_object),
        cmocka_unit_test(test_evt_payload_damaged_data_is_null),
        cmocka_unit_test(test_evt_payload_damaged_actor_is_null),
        cmocka_unit_test(test_evt_to_json_cloudevents_format),
        cmocka_unit_test(test_evt_to_json_custom_options),
        cmocka_unit_test(test_evt_to_json_trace_context),
        cmocka_unit_test(test_evt_to_json_damaged_row_is_null),
        cmocka_unit_test(test_evt_to_json_too_long_is_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
