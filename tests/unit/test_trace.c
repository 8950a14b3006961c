/*
 * test_trace.c - the W3C Trace Context of a request (trace.h): traceparent
 * values kept and refused, class by class, later versions, tracestate
 * lists, and a tracestate carried only with a valid traceparent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "trace.h"

/* The example of the specification. */
#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define TRACE_ID "4bf92f3577b34da6a3ce929d0e0e4736"

/* A traceparent is refused, and leaves out empty. */
static void
refused_parent(const char *value)
{
    char out[TRACE_PARENT_LEN + 1];
    memset(out, 'x', sizeof out);
    if (trace_parent_parse(value, out))
        fail_msg("accepted traceparent \"%s\"", value);
    assert_string_equal(out, "");
}

static void
test_trace_parent_parse_valid(void **state)
{
    (void)state;
    char out[TRACE_PARENT_LEN + 1];
    const char *valid[] = {
        TP,
        /* not sampled, and any flags: only the sampled bit is defined, the rest is carried */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff",
        /* ids with a single non-zero digit */
        "00-00000000000000000000000000000001-0000000000000001-01",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        if (!trace_parent_parse(valid[i], out))
            fail_msg("refused traceparent \"%s\"", valid[i]);
        assert_string_equal(out, valid[i]);
        assert_int_equal(strlen(out), TRACE_PARENT_LEN);
    }
}

static void
test_trace_parent_parse_refuses_each_invalid_class(void **state)
{
    (void)state;
    const char *invalid[] = {
        /* absent, empty, short, long (version 00 is exactly 55) */
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
        TP "-",
        TP "-extra",
        TP " ",
        " " TP,
        /* version: not hex, ff, one digit */
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        /* trace id: a digit too few or too many (the dashes move), not hex, all zeros */
        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736000f067aa0ba902b-7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        /* parent id: not hex, all zeros */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba9z2b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        /* flags: not hex */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
        /* separators: other characters, or none */
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
        "004bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
    };
    refused_parent(NULL);
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        refused_parent(invalid[i]);
}

static void
test_trace_parent_parse_refuses_uppercase(void **state)
{
    (void)state;
    refused_parent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01");
    refused_parent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902B7-01");
    refused_parent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A");
    refused_parent("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

static void
test_trace_parent_parse_refuses_all_zero_ids(void **state)
{
    (void)state;
    refused_parent("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
    refused_parent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01");
    refused_parent("00-00000000000000000000000000000000-0000000000000000-00");
    /* a later version does not make them valid */
    refused_parent("01-00000000000000000000000000000000-00f067aa0ba902b7-01");
}

static void
test_trace_parent_parse_future_version(void **state)
{
    (void)state;
    char out[TRACE_PARENT_LEN + 1];
    const char *kept = "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    /* exactly 55, or more after a '-': the first 55 characters are kept */
    assert_true(trace_parent_parse(kept, out));
    assert_string_equal(out, kept);
    assert_true(trace_parent_parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"
                                   "what-the-future-holds",
                                   out));
    assert_string_equal(out, kept);
    /* more without a '-', or fewer than 55 */
    refused_parent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x");
    refused_parent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");
    /* its fields are checked as version 00's */
    refused_parent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g-x");
    refused_parent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 x");
    /* ff is never a version */
    refused_parent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x");
}

/* s repeated into a string of n characters in buf (n < size). Returns buf. */
static char *
filled(char *buf, size_t size, const char *s, size_t n)
{
    size_t k = strlen(s);
    assert_true(n < size);
    for (size_t i = 0; i < n; i++)
        buf[i] = s[i % k];
    buf[n] = '\0';
    return buf;
}

/* "a=vvv...,b=vvv..." of n characters in all (n >= 7), each value at most 256. */
static const char *
two_members(char *buf, size_t size, size_t n)
{
    size_t a = (n - 5) / 2 + (n - 5) % 2, b = (n - 5) / 2;
    assert_true(n < size && a <= 256);
    memcpy(buf, "a=", 2);
    memset(buf + 2, 'v', a);
    memcpy(buf + 2 + a, ",b=", 3);
    memset(buf + 5 + a, 'v', b);
    buf[n] = '\0';
    assert_int_equal(strlen(buf), n);
    return buf;
}

static void
test_trace_state_valid_lists(void **state)
{
    (void)state;
    char buf[1200];
    const char *valid[] = {
        "congo=t61rcWkgMzE",
        "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE",
        " rojo=1",
        "rojo=1,",
        ",,rojo=1,,",
        "tenant1@vendor=x",
        "0tenant@v_*-/9=x",
        "a_-*/9=value with spaces inside",
        "k=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
        if (!trace_state_valid(valid[i]))
            fail_msg("refused tracestate \"%s\"", valid[i]);
    /* 512 characters is the longest carried: two members of 256 and 255 */
    assert_true(trace_state_valid(two_members(buf, sizeof buf, TRACE_STATE_MAX)));
    /* 32 members is the most */
    size_t o = 0;
    for (int i = 0; i < 32; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%sk%d=v", i ? "," : "", i);
    assert_true(trace_state_valid(buf));
}

static void
test_trace_state_valid_refuses(void **state)
{
    (void)state;
    char buf[1200];
    const char *invalid[] = {
        /* nothing to carry */
        "",
        " ",
        ",",
        " , ",
        /* not key=value */
        "rojo",
        "rojo=",
        "=x",
        "rojo=1=2",
        /* keys: upper case, a first character the grammar does not allow, two '@' */
        "Rojo=1",
        "1rojo=1",
        "_rojo=1",
        "tenant@Vendor=1",
        "tenant@1vendor=1",
        "-tenant@vendor=1",
        "a@b@c=1",
        "@vendor=1",
        "tenant@=1",
        "ro jo=1",
        /* values: a comma inside is a new member, so it cannot be checked here; tab, non-ASCII */
        "rojo=a\tb",
        "rojo=caf\xc3\xa9",
        "rojo=1\x7f",
        /* the same key twice */
        "rojo=1,congo=2,rojo=3",
        "t@v=1,t@v=2",
    };
    assert_false(trace_state_valid(NULL));
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        if (trace_state_valid(invalid[i]))
            fail_msg("accepted tracestate \"%s\"", invalid[i]);
    /* 513 characters */
    assert_false(trace_state_valid(two_members(buf, sizeof buf, TRACE_STATE_MAX + 1)));
    /* a value of 257, a simple key of 257, a tenant of 242, a system of 15 */
    memcpy(filled(buf, sizeof buf, "v", 2 + 257), "k=", 2);
    assert_false(trace_state_valid(buf));
    memcpy(filled(buf, sizeof buf, "v", 2 + 256), "k=", 2);
    assert_true(trace_state_valid(buf));
    memcpy(filled(buf, sizeof buf, "k", 257) + 257, "=v", 3);
    assert_false(trace_state_valid(buf));
    memcpy(filled(buf, sizeof buf, "k", 256) + 256, "=v", 3);
    assert_true(trace_state_valid(buf));
    memcpy(filled(buf, sizeof buf, "t", 242) + 242, "@v=1", 5);
    assert_false(trace_state_valid(buf));
    memcpy(filled(buf, sizeof buf, "t", 241) + 241, "@v=1", 5);
    assert_true(trace_state_valid(buf));
    assert_false(trace_state_valid("t@vvvvvvvvvvvvvvv=1"));
    assert_true(trace_state_valid("t@vvvvvvvvvvvvvv=1"));
    /* 33 members, empty ones counted */
    size_t o = 0;
    for (int i = 0; i < 32; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%sk%d=v", i ? "," : "", i);
    snprintf(buf + o, sizeof buf - o, ",");
    assert_false(trace_state_valid(buf));
}

static void
test_trace_context_parse_keeps_state_only_with_parent(void **state)
{
    (void)state;
    struct trace_context t;
    char id[TRACE_ID_LEN + 1];

    trace_context_parse(TP, "rojo=00f067aa0ba902b7", &t);
    assert_string_equal(t.traceparent, TP);
    assert_string_equal(t.tracestate, "rojo=00f067aa0ba902b7");
    assert_string_equal(trace_context_trace_id(&t, id), TRACE_ID);

    /* an invalid tracestate is dropped, the traceparent kept */
    trace_context_parse(TP, "Rojo=1", &t);
    assert_string_equal(t.traceparent, TP);
    assert_string_equal(t.tracestate, "");

    /* without a valid traceparent, nothing: the tracestate goes too */
    trace_context_parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
                        "rojo=00f067aa0ba902b7", &t);
    assert_string_equal(t.traceparent, "");
    assert_string_equal(t.tracestate, "");
    assert_null(trace_context_trace_id(&t, id));
    trace_context_parse(NULL, "rojo=00f067aa0ba902b7", &t);
    assert_string_equal(t.traceparent, "");
    assert_string_equal(t.tracestate, "");
    trace_context_parse(NULL, NULL, &t);
    assert_string_equal(t.traceparent, "");
    assert_null(trace_context_trace_id(&t, id));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_parent_parse_valid),
        cmocka_unit_test(test_trace_parent_parse_refuses_each_invalid_class),
        cmocka_unit_test(test_trace_parent_parse_refuses_uppercase),
        cmocka_unit_test(test_trace_parent_parse_refuses_all_zero_ids),
        cmocka_unit_test(test_trace_parent_parse_future_version),
        cmocka_unit_test(test_trace_state_valid_lists),
        cmocka_unit_test(test_trace_state_valid_refuses),
        cmocka_unit_test(test_trace_context_parse_keeps_state_only_with_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
