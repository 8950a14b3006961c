/* test_cursor.c - unit tests of service/domain/cursor.c (opaque pagination cursors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "cursor.h"
#include "err.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url of raw text, as a client forging a cursor would make it. */
static char *
b64(const char *text, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    assert_non_null(out);
    b64url_encode((const unsigned char *)text, n, out);
    return out;
}

/* cursor_decode of base64url(json) must fail with ERR_BAD_REQUEST. */
static void
expect_decode_refused_json(const char *json, size_t n)
{
    struct cursor c;
    char *text = b64(json, n);
    int rc = cursor_decode(text, &c);
    free(text);
    assert_int_equal(rc, ERR_BAD_REQUEST);
}

static void
expect_encode(const char *in, size_t n, const char *want)
{
    char out[64];
    assert_true(4 * ((n + 2) / 3) + 1 <= sizeof out);
    b64url_encode((const unsigned char *)in, n, out);
    assert_string_equal(out, want);
}

static void
expect_decode(const char *in, const char *want, size_t want_n)
{
    unsigned char out[64];
    long n = b64url_decode(in, strlen(in), out, sizeof out);
    assert_int_equal(n, (long)want_n);
    assert_memory_equal(out, want, want_n);
}

/* --- b64url_encode / b64url_decode --------------------------------------- */

/* RFC 4648 section 10, without the padding. */
static void
test_b64url_encode_rfc4648_vectors(void **state)
{
    (void)state;
    expect_encode("", 0, "");
    expect_encode("f", 1, "Zg");
    expect_encode("fo", 2, "Zm8");
    expect_encode("foo", 3, "Zm9v");
    expect_encode("foob", 4, "Zm9vYg");
    expect_encode("fooba", 5, "Zm9vYmE");
    expect_encode("foobar", 6, "Zm9vYmFy");
}

static void
test_b64url_decode_rfc4648_vectors(void **state)
{
    (void)state;
    expect_decode("", "", 0);
    expect_decode("Zg", "f", 1);
    expect_decode("Zm8", "fo", 2);
    expect_decode("Zm9v", "foo", 3);
    expect_decode("Zm9vYg", "foob", 4);
    expect_decode("Zm9vYmE", "fooba", 5);
    expect_decode("Zm9vYmFy", "foobar", 6);
}

/* Values 62 and 63 are '-' and '_' (URL alphabet), not '+' and '/'. */
static void
test_b64url_encode_url_alphabet(void **state)
{
    (void)state;
    expect_encode("\xfb\xff", 2, "-_8");      /* standard: "+/8=" */
    expect_encode("\xfb\xef\xbe", 3, "----"); /* standard: "++++" */
    expect_encode("\xff\xff\xff", 3, "____"); /* standard: "////" */
    expect_encode("\x00\x00\x00", 3, "AAAA");
}

static void
test_b64url_decode_url_alphabet(void **state)
{
    (void)state;
    expect_decode("-_8", "\xfb\xff", 2);
    expect_decode("----", "\xfb\xef\xbe", 3);
    expect_decode("____", "\xff\xff\xff", 3);
}

static void
test_b64url_decode_standard_alphabet_refused(void **state)
{
    (void)state;
    unsigned char out[16];
    assert_int_equal(b64url_decode("+/8", strlen("+/8"), out, sizeof out), -1);
    assert_int_equal(b64url_decode("++++", strlen("++++"), out, sizeof out), -1);
    assert_int_equal(b64url_decode("Zm8=", strlen("Zm8="), out, sizeof out), -1); /* padding */
    assert_int_equal(b64url_decode("Zm9v YmFy", strlen("Zm9v YmFy"), out, sizeof out), -1);
    assert_int_equal(b64url_decode("Zm9v\n", strlen("Zm9v\n"), out, sizeof out), -1);
}

static void
test_b64url_decode_nonzero_padding_bits_refused(void **state)
{
    (void)state;
    unsigned char out[16];
    /* "Zg" is "f"; "Zh" differs only in the 4 padding bits */
    assert_int_equal(b64url_decode("Zh", strlen("Zh"), out, sizeof out), -1);
    assert_int_equal(b64url_decode("Zv", strlen("Zv"), out, sizeof out), -1);
    /* "Zm8" is "fo"; "Zm9" differs only in the 2 padding bits */
    assert_int_equal(b64url_decode("Zm9", strlen("Zm9"), out, sizeof out), -1);
    assert_int_equal(b64url_decode("Zm_", strlen("Zm_"), out, sizeof out), -1);
}

static void
test_b64url_decode_impossible_length_refused(void **state)
{
    (void)state;
    unsigned char out[16];
    /* 4n+1 characters cannot come from any input */
    assert_int_equal(b64url_decode("A", strlen("A"), out, sizeof out), -1);
    assert_int_equal(b64url_decode("Zm9vA", strlen("Zm9vA"), out, sizeof out), -1);
}

static void
test_b64url_decode_output_too_small_refused(void **state)
{
    (void)state;
    unsigned char out[8];
    memset(out, 0xaa, sizeof out);
    assert_int_equal(b64url_decode("Zm9vYmFy", strlen("Zm9vYmFy"), out, 5), -1);
    assert_int_equal(out[5], 0xaa); /* nothing written past out_size */
    assert_int_equal(b64url_decode("Zm9vYmFy", strlen("Zm9vYmFy"), out, 6), 6);
    assert_memory_equal(out, "foobar", 6);
}

static void
test_b64url_encode_all_byte_values_round_trip(void **state)
{
    (void)state;
    unsigned char in[256], back[256];
    char text[4 * ((256 + 2) / 3) + 1];
    for (int i = 0; i < 256; i++)
        in[i] = (unsigned char)i;
    for (size_t n = 0; n <= sizeof in; n += 37) {
        b64url_encode(in, n, text);
        assert_int_equal(strlen(text), (4 * n + 2) / 3);
        assert_int_equal(strspn(text, alphabet), strlen(text));
        assert_int_equal(b64url_decode(text, strlen(text), back, sizeof back), (long)n);
        assert_memory_equal(back, in, n);
    }
}

/* --- cursor_encode / cursor_decode ------------------------------------------------------ */

static void
test_cursor_encode_round_trip(void **state)
{
    (void)state;
    struct cursor in = {0}, out;
    char text[CURSOR_MAX];
    snprintf(in.sort, sizeof in.sort, "%s", "-detected_at");
    snprintf(in.key, sizeof in.key, "%s", "2026-11-29T08:30:00.123456Z");
    snprintf(in.id, sizeof in.id, "%s", "0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6d");
    assert_int_equal(cursor_encode(&in, text), ERR_OK);
    assert_int_equal(strspn(text, alphabet), strlen(text)); /* URL-safe, no padding */
    assert_int_equal(cursor_decode(text, &out), ERR_OK);
    assert_string_equal(out.sort, in.sort);
    assert_string_equal(out.key, in.key);
    assert_string_equal(out.id, in.id);
}

/* The encoding is base64url of the compact JSON object with sorted keys. */
static void
test_cursor_encode_is_b64url_of_compact_json(void **state)
{
    (void)state;
    struct cursor in = {.sort = "key", .key = "NC-2026-0042", .id = "abc"};
    char text[CURSOR_MAX];
    unsigned char raw[CURSOR_MAX];
    const char *want = "{\"i\":\"abc\",\"k\":\"NC-2026-0042\",\"s\":\"key\"}";
    assert_int_equal(cursor_encode(&in, text), ERR_OK);
    long n = b64url_decode(text, strlen(text), raw, sizeof raw);
    assert_int_equal(n, (long)strlen(want));
    assert_memory_equal(raw, want, strlen(want));
}

static void
test_cursor_encode_longest_fields_round_trip(void **state)
{
    (void)state;
    struct cursor in, out;
    char text[CURSOR_MAX];
    memset(&in, 0, sizeof in);
    memset(in.sort, 's', CURSOR_FIELD_MAX - 1);
    memset(in.key, 'k', CURSOR_FIELD_MAX - 1);
    memset(in.id, 'i', CURSOR_FIELD_MAX - 1);
    assert_int_equal(cursor_encode(&in, text), ERR_OK);
    assert_int_equal(cursor_decode(text, &out), ERR_OK);
    assert_memory_equal(&out, &in, sizeof in);
}

static void
test_cursor_encode_utf8_field_round_trip(void **state)
{
    (void)state;
    struct cursor in = {.sort = "title", .key = "Z\xc3\xbcrich \xe2\x82\xac", .id = "7"}, out;
    char text[CURSOR_MAX];
    assert_int_equal(cursor_encode(&in, text), ERR_OK);
    assert_int_equal(cursor_decode(text, &out), ERR_OK);
    assert_string_equal(out.key, in.key);
}

/* Escaping can make the JSON too long for a cursor: refused, not truncated. */
static void
test_cursor_encode_oversize_refused(void **state)
{
    (void)state;
    struct cursor in;
    char text[CURSOR_MAX];
    memset(&in, 0, sizeof in);
    memset(in.sort, 0x01, CURSOR_FIELD_MAX - 1); /* each becomes \u0001 */
    memset(in.key, 0x01, CURSOR_FIELD_MAX - 1);
    memset(in.id, 0x01, CURSOR_FIELD_MAX - 1);
    assert_int_equal(cursor_encode(&in, text), ERR_INVALID);
}

static void
test_cursor_decode_garbage_refused(void **state)
{
    (void)state;
    struct cursor c;
    assert_int_equal(cursor_decode(NULL, &c), ERR_BAD_REQUEST);
    assert_int_equal(cursor_decode("", &c), ERR_BAD_REQUEST);
    assert_int_equal(cursor_decode("not a cursor!", &c), ERR_BAD_REQUEST);
    assert_int_equal(cursor_decode("A", &c), ERR_BAD_REQUEST);
    assert_int_equal(cursor_decode("Zm9vYmFy", &c), ERR_BAD_REQUEST); /* "foobar": not JSON */
    /* a JSON prefix that does not finish */
    const char *unfinished = "{\"s\":\"a\",\"k\":\"b\",\"i\":\"c\"";
    expect_decode_refused_json(unfinished, strlen(unfinished));
}

static void
test_cursor_decode_wrong_alphabet_refused(void **state)
{
    (void)state;
    struct cursor in = {.sort = "key", .key = "NC-2026-0042", .id = "abc"}, c;
    char text[CURSOR_MAX];
    assert_int_equal(cursor_encode(&in, text), ERR_OK);
    assert_int_equal(cursor_decode(text, &c), ERR_OK);
    static const char bad[] = {'+', '/', '=', '.', '~', '%'};
    for (size_t i = 0; i < sizeof bad; i++) {
        char copy[CURSOR_MAX];
        memcpy(copy, text, sizeof copy);
        copy[3] = bad[i];
        assert_int_equal(cursor_decode(copy, &c), ERR_BAD_REQUEST);
    }
}

static void
test_cursor_decode_bad_padding_bits_refused(void **state)
{
    (void)state;
    struct cursor in = {.sort = "key", .key = "NC-2026-0042", .id = "abc"}, c;
    char text[CURSOR_MAX];
    assert_int_equal(cursor_encode(&in, text), ERR_OK);
    size_t len = strlen(text);
    assert_true(len % 4 == 2 || len % 4 == 3); /* the last character carries padding bits */
    const char *p = strchr(alphabet, text[len - 1]);
    assert_non_null(p);
    int idx = (int)(p - alphabet);
    assert_int_equal(idx & 1, 0);
    text[len - 1] = alphabet[idx | 1];
    assert_int_equal(cursor_decode(text, &c), ERR_BAD_REQUEST);
}

static void
test_cursor_decode_non_object_json_refused(void **state)
{
    (void)state;
    static const char *const docs[] = {"[\"key\",\"NC-2026-0042\",\"abc\"]", "\"abc\"", "42",
                                       "null", "true"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        expect_decode_refused_json(docs[i], strlen(docs[i]));
}

static void
test_cursor_decode_missing_field_refused(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"s\":\"key\",\"k\":\"NC-2026-0042\"}",
        "{\"k\":\"NC-2026-0042\",\"i\":\"abc\"}",
        "{\"s\":\"key\",\"i\":\"abc\"}",
        "{\"s\":\"key\",\"k\":\"NC-2026-0042\",\"x\":\"abc\"}", /* three members, no "i" */
        "{}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        expect_decode_refused_json(docs[i], strlen(docs[i]));
}

static void
test_cursor_decode_extra_field_refused(void **state)
{
    (void)state;
    const char *doc = "{\"s\":\"key\",\"k\":\"NC-2026-0042\",\"i\":\"abc\",\"x\":\"y\"}";
    expect_decode_refused_json(doc, strlen(doc));
}

static void
test_cursor_decode_duplicate_member_refused(void **state)
{
    (void)state;
    const char *doc = "{\"s\":\"key\",\"k\":\"NC-2026-0042\",\"i\":\"abc\",\"i\":\"def\"}";
    expect_decode_refused_json(doc, strlen(doc));
}

static void
test_cursor_decode_bad_field_values_refused(void **state)
{
    (void)state;
    char long_field[160];
    static const char *const docs[] = {
        "{\"s\":\"\",\"k\":\"NC-2026-0042\",\"i\":\"abc\"}", /* empty */
        "{\"s\":\"key\",\"k\":42,\"i\":\"abc\"}",            /* not a string */
        "{\"s\":\"key\",\"k\":null,\"i\":\"abc\"}",
        "{\"s\":\"key\",\"k\":\"NC-2026-0042\",\"i\":[\"abc\"]}",
        "{\"s\":\"key\",\"k\":\"NC\\u0000-2026\",\"i\":\"abc\"}", /* NUL inside */
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        expect_decode_refused_json(docs[i], strlen(docs[i]));

    /* 64 characters: one more than a field holds */
    int n =
        snprintf(long_field, sizeof long_field, "{\"s\":\"key\",\"k\":\"%064d\",\"i\":\"abc\"}", 0);
    expect_decode_refused_json(long_field, (size_t)n);
    /* 63 characters fit */
    struct cursor c;
    n = snprintf(long_field, sizeof long_field, "{\"s\":\"key\",\"k\":\"%063d\",\"i\":\"abc\"}", 0);
    char *text = b64(long_field, (size_t)n);
    int rc = cursor_decode(text, &c);
    free(text);
    assert_int_equal(rc, ERR_OK);
    assert_int_equal(strlen(c.key), 63);
}

/*
 * A cursor of CURSOR_MAX - 1 characters is the longest accepted. JSON whitespace
 * pads a valid cursor to any length, so only the size check can refuse it.
 */
static void
test_cursor_decode_oversize_refused(void **state)
{
    (void)state;
    const char *core = "{\"s\":\"key\",\"k\":\"NC-2026-0042\",\"i\":\"abc\"";
    char doc[600];
    struct cursor c;
    char *text;
    int rc;

    /* 383 bytes encode to 511 characters: accepted */
    memset(doc, ' ', sizeof doc);
    memcpy(doc, core, strlen(core));
    doc[382] = '}';
    text = b64(doc, 383);
    assert_int_equal(strlen(text), CURSOR_MAX - 1);
    rc = cursor_decode(text, &c);
    free(text);
    assert_int_equal(rc, ERR_OK);
    assert_string_equal(c.id, "abc");

    /* 384 bytes encode to 512 characters: refused */
    doc[382] = ' ';
    doc[383] = '}';
    text = b64(doc, 384);
    assert_int_equal(strlen(text), CURSOR_MAX);
    rc = cursor_decode(text, &c);
    free(text);
    assert_int_equal(rc, ERR_BAD_REQUEST);

    /* far longer */
    doc[383] = ' ';
    doc[599] = '}';
    text = b64(doc, 600);
    rc = cursor_decode(text, &c);
    free(text);
    assert_int_equal(rc, ERR_BAD_REQUEST);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url_encode_rfc4648_vectors),
        cmocka_unit_test(test_b64url_decode_rfc4648_vectors),
        cmocka_unit_test(test_b64url_encode_url_alphabet),
        cmocka_unit_test(test_b64url_decode_url_alphabet),
        cmocka_unit_test(test_b64url_decode_standard_alphabet_refused),
        cmocka_unit_test(test_b64url_decode_nonzero_padding_bits_refused),
        cmocka_unit_test(test_b64url_decode_impossible_length_refused),
        cmocka_unit_test(test_b64url_decode_output_too_small_refused),
        cmocka_unit_test(test_b64url_encode_all_byte_values_round_trip),
        cmocka_unit_test(test_cursor_encode_round_trip),
        cmocka_unit_test(test_cursor_encode_is_b64url_of_compact_json),
        cmocka_unit_test(test_cursor_encode_longest_fields_round_trip),
        cmocka_unit_test(test_cursor_encode_utf8_field_round_trip),
        cmocka_unit_test(test_cursor_encode_oversize_refused),
        cmocka_unit_test(test_cursor_decode_garbage_refused),
        cmocka_unit_test(test_cursor_decode_wrong_alphabet_refused),
        cmocka_unit_test(test_cursor_decode_bad_padding_bits_refused),
        cmocka_unit_test(test_cursor_decode_non_object_json_refused),
        cmocka_unit_test(test_cursor_decode_missing_field_refused),
        cmocka_unit_test(test_cursor_decode_extra_field_refused),
        cmocka_unit_test(test_cursor_decode_duplicate_member_refused),
        cmocka_unit_test(test_cursor_decode_bad_field_values_refused),
        cmocka_unit_test(test_cursor_decode_oversize_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
