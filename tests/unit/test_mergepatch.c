/* test_mergepatch.c - unit tests of service/domain/mergepatch.c (RFC 7386). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>

#include "mergepatch.h"

static json_t *
load(const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    return j;
}

/*
 * Apply patch to target and compare with want (all JSON text). Also checks that
 * neither input was modified.
 */
static void
expect_merge(const char *target_text, const char *patch_text, const char *want_text)
{
    json_t *target = load(target_text);
    json_t *patch = load(patch_text);
    json_t *want = load(want_text);
    json_t *result = mergepatch_apply(target, patch);

    assert_non_null(result);
    if (!json_equal(result, want)) {
        char *got = json_dumps(result, JSON_ENCODE_ANY | JSON_SORT_KEYS);
        print_error("merge of %s with %s: got %s, want %s\n", target_text, patch_text, got,
                    want_text);
        free(got);
        json_decref(result);
        json_decref(want);
        json_decref(patch);
        json_decref(target);
        fail();
    }
    json_t *target_again = load(target_text);
    json_t *patch_again = load(patch_text);
    assert_true(json_equal(target, target_again));
    assert_true(json_equal(patch, patch_again));
    json_decref(target_again);
    json_decref(patch_again);
    json_decref(result);
    json_decref(want);
    json_decref(patch);
    json_decref(target);
}

/* RFC 7386, Appendix A: every example, in order. */

static void
test_mergepatch_apply_rfc7386_replace_member(void **state)
{
    (void)state;
    expect_merge("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
}

static void
test_mergepatch_apply_rfc7386_add_member(void **state)
{
    (void)state;
    expect_merge("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
}

static void
test_mergepatch_apply_rfc7386_null_removes_only_member(void **state)
{
    (void)state;
    expect_merge("{\"a\":\"b\"}", "{\"a\":null}", "{}");
}

static void
test_mergepatch_apply_rfc7386_null_removes_one_member(void **state)
{
    (void)state;
    expect_merge("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
}

static void
test_mergepatch_apply_rfc7386_string_replaces_array(void **state)
{
    (void)state;
    expect_merge("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
}

static void
test_mergepatch_apply_rfc7386_array_replaces_string(void **state)
{
    (void)state;
    expect_merge("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
}

static void
test_mergepatch_apply_rfc7386_nested_object_merged(void **state)
{
    (void)state;
    expect_merge("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
                 "{\"a\":{\"b\":\"d\"}}");
}

static void
test_mergepatch_apply_rfc7386_array_replaced_not_merged(void **state)
{
    (void)state;
    expect_merge("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
}

static void
test_mergepatch_apply_rfc7386_array_target_array_patch(void **state)
{
    (void)state;
    expect_merge("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
}

static void
test_mergepatch_apply_rfc7386_array_patch_replaces_object(void **state)
{
    (void)state;
    expect_merge("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
}

static void
test_mergepatch_apply_rfc7386_null_patch_gives_null(void **state)
{
    (void)state;
    expect_merge("{\"a\":\"foo\"}", "null", "null");
}

static void
test_mergepatch_apply_rfc7386_string_patch_replaces_object(void **state)
{
    (void)state;
    expect_merge("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
}

static void
test_mergepatch_apply_rfc7386_existing_null_kept(void **state)
{
    (void)state;
    expect_merge("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
}

static void
test_mergepatch_apply_rfc7386_object_patch_on_array_target(void **state)
{
    (void)state;
    expect_merge("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
}

static void
test_mergepatch_apply_rfc7386_nested_null_leaves_empty_object(void **state)
{
    (void)state;
    expect_merge("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

/* RFC 7386 section 3: the worked example. */
static void
test_mergepatch_apply_rfc7386_section3_example(void **state)
{
    (void)state;
    expect_merge("{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\","
                 "\"familyName\":\"Doe\"},\"tags\":[\"example\",\"sample\"],"
                 "\"content\":\"This will be unchanged\"}",
                 "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\","
                 "\"author\":{\"familyName\":null},\"tags\":[\"example\"]}",
                 "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},"
                 "\"tags\":[\"example\"],\"content\":\"This will be unchanged\","
                 "\"phoneNumber\":\"+01-123-456-7890\"}");
}

static void
test_mergepatch_apply_empty_patch_copies_target(void **state)
{
    (void)state;
    expect_merge("{\"a\":{\"b\":[1,2]},\"c\":null}", "{}", "{\"a\":{\"b\":[1,2]},\"c\":null}");
}

static void
test_mergepatch_apply_null_for_absent_member_is_noop(void **state)
{
    (void)state;
    expect_merge("{\"a\":1}", "{\"z\":null}", "{\"a\":1}");
}

/* The result shares nothing with the inputs: changing it leaves them alone. */
static void
test_mergepatch_apply_inputs_not_modified_or_shared(void **state)
{
    (void)state;
    json_t *target = load("{\"keep\":{\"x\":1},\"drop\":2,\"list\":[1]}");
    json_t *patch = load("{\"drop\":null,\"keep\":{\"y\":2},\"new\":{\"n\":[3]}}");
    json_t *target_copy = json_deep_copy(target);
    json_t *patch_copy = json_deep_copy(patch);
    size_t target_refs = target->refcount, patch_refs = patch->refcount;

    json_t *result = mergepatch_apply(target, patch);
    assert_non_null(result);
    assert_ptr_not_equal(result, target);
    assert_true(json_equal(target, target_copy));
    assert_true(json_equal(patch, patch_copy));
    assert_int_equal(target->refcount, target_refs);
    assert_int_equal(patch->refcount, patch_refs);

    json_t *want = load("{\"keep\":{\"x\":1,\"y\":2},\"list\":[1],\"new\":{\"n\":[3]}}");
    assert_true(json_equal(result, want));
    json_decref(want);

    /* mutate the nested values of the result; the inputs must not see it */
    json_object_set_new(json_object_get(result, "keep"), "x", json_integer(99));
    json_array_append_new(json_object_get(result, "list"), json_integer(7));
    json_array_append_new(json_object_get(json_object_get(result, "new"), "n"), json_integer(8));
    assert_true(json_equal(target, target_copy));
    assert_true(json_equal(patch, patch_copy));

    json_decref(result);
    json_decref(target_copy);
    json_decref(patch_copy);
    json_decref(target);
    json_decref(patch);
}

static void
test_mergepatch_apply_non_object_patch_is_copy(void **state)
{
    (void)state;
    json_t *target = load("{\"a\":1}");
    json_t *patch = load("[{\"b\":2}]");
    json_t *result = mergepatch_apply(target, patch);
    assert_non_null(result);
    assert_ptr_not_equal(result, patch);
    assert_true(json_equal(result, patch));
    json_object_set_new(json_array_get(result, 0), "b", json_integer(3));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(patch, 0), "b")), 2);
    json_decref(result);
    json_decref(target);
    json_decref(patch);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mergepatch_apply_rfc7386_replace_member),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_add_member),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_null_removes_only_member),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_null_removes_one_member),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_string_replaces_array),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_array_replaces_string),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_nested_object_merged),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_array_replaced_not_merged),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_array_target_array_patch),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_array_patch_replaces_object),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_null_patch_gives_null),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_string_patch_replaces_object),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_existing_null_kept),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_object_patch_on_array_target),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_nested_null_leaves_empty_object),
        cmocka_unit_test(test_mergepatch_apply_rfc7386_section3_example),
        cmocka_unit_test(test_mergepatch_apply_empty_patch_copies_target),
        cmocka_unit_test(test_mergepatch_apply_null_for_absent_member_is_noop),
        cmocka_unit_test(test_mergepatch_apply_inputs_not_modified_or_shared),
        cmocka_unit_test(test_mergepatch_apply_non_object_patch_is_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
