/* test_chain.c - unit tests of service/domain/chain.c (hash chain, UUIDs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "err.h"
#include "sha256.h"
#include "uuid.h"

static const char hex_digits[] = "0123456789abcdef";

static struct chain_entry
sample_entry(void)
{
    struct chain_entry e = {
        .event_id = "6f1c0a52-3f4e-4b0e-9d55-2a7c1f3e8b10",
        .case_id = "0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6d",
        .sequence = 1,
        .type = "case.created",
        .actor = "{\"sub\":\"alice\"}",
        .occurred_at = "2026-11-29T08:30:00.123456Z",
        .data = "{\"title\":\"x\"}",
    };
    return e;
}

static void
expect_sha256(const char *input, const char *want)
{
    char out[CHAIN_HEX_LEN];
    assert_int_equal(sha256_hex(input, strlen(input), out), ERR_OK);
    assert_string_equal(out, want);
}

/* --- sha256_hex ------------------------------------------------------------------- */

static void
test_sha256_hex_known_vectors(void **state)
{
    (void)state;
    /* FIPS 180-2 / NIST examples */
    expect_sha256("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect_sha256("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_sha256_hex_binary_input_uses_length(void **state)
{
    (void)state;
    char with_nul[CHAIN_HEX_LEN], prefix[CHAIN_HEX_LEN];
    assert_int_equal(sha256_hex("abc\0def", 7, with_nul), ERR_OK);
    assert_int_equal(sha256_hex("abc", 3, prefix), ERR_OK);
    assert_string_not_equal(with_nul, prefix);
    assert_int_equal(strlen(with_nul), CHAIN_HEX_LEN - 1);
    assert_int_equal(strspn(with_nul, hex_digits), CHAIN_HEX_LEN - 1);
}

/* --- chain_hash ------------------------------------------------------------------------- */

static void
test_chain_genesis_all_zero(void **state)
{
    (void)state;
    assert_int_equal(strlen(chain_genesis), CHAIN_HEX_LEN - 1);
    assert_int_equal(strspn(chain_genesis, "0"), CHAIN_HEX_LEN - 1);
}

/*
 * The byte layout is part of the stored data: hashes already in the database must
 * verify after any change of code. The value is SHA-256 over the eight fields
 * joined with 0x1f, computed independently (Python hashlib).
 */
static void
test_chain_hash_known_value(void **state)
{
    (void)state;
    struct chain_entry e = sample_entry();
    char out[CHAIN_HEX_LEN];
    assert_int_equal(chain_hash(chain_genesis, &e, out), ERR_OK);
    assert_string_equal(out, "9418b234bdf2339ad48a292114279793e476ee165ab105dfbf0e12240b673a01");
}

static void
test_chain_hash_equals_sha256_of_joined_fields(void **state)
{
    (void)state;
    struct chain_entry e = sample_entry();
    char prev[CHAIN_HEX_LEN], joined[1024], want[CHAIN_HEX_LEN], got[CHAIN_HEX_LEN];
    assert_int_equal(sha256_hex("previous", 8, prev), ERR_OK);
    e.sequence = 17;
    int n = snprintf(joined, sizeof joined, "%s\x1f%s\x1f%s\x1f%d\x1f%s\x1f%s\x1f%s\x1f%s", prev,
                     e.event_id, e.case_id, e.sequence, e.type, e.actor, e.occurred_at, e.data);
    assert_true(n > 0 && (size_t)n < sizeof joined);
    assert_int_equal(sha256_hex(joined, (size_t)n, want), ERR_OK);
    assert_int_equal(chain_hash(prev, &e, got), ERR_OK);
    assert_string_equal(got, want);
}

static void
test_chain_hash_deterministic(void **state)
{
    (void)state;
    struct chain_entry e = sample_entry();
    char a[CHAIN_HEX_LEN], b[CHAIN_HEX_LEN];
    assert_int_equal(chain_hash(chain_genesis, &e, a), ERR_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(chain_hash(chain_genesis, &e, b), ERR_OK);
        assert_string_equal(a, b);
    }
    assert_int_equal(strlen(a), CHAIN_HEX_LEN - 1);
    assert_int_equal(strspn(a, hex_digits), CHAIN_HEX_LEN - 1);
}

static void
test_chain_hash_changes_with_each_field(void **state)
{
    (void)state;
    const struct chain_entry base = sample_entry();
    char h0[CHAIN_HEX_LEN], h[CHAIN_HEX_LEN];
    assert_int_equal(chain_hash(chain_genesis, &base, h0), ERR_OK);

    for (int field = 0; field < 7; field++) {
        struct chain_entry e = base;
        switch (field) {
        case 0:
            e.event_id = "6f1c0a52-3f4e-4b0e-9d55-2a7c1f3e8b11";
            break;
        case 1:
            e.case_id = "0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6e";
            break;
        case 2:
            e.sequence = 2;
            break;
        case 3:
            e.type = "case.updated";
            break;
        case 4:
            e.actor = "{\"sub\":\"bob\"}";
            break;
        case 5:
            e.occurred_at = "2026-11-29T08:30:00.123457Z";
            break;
        case 6:
            e.data = "{\"title\":\"y\"}";
            break;
        }
        assert_int_equal(chain_hash(chain_genesis, &e, h), ERR_OK);
        if (strcmp(h, h0) == 0)
            fail_msg("changing field %d did not change the hash", field);
    }
}

static void
test_chain_hash_changes_with_prev_hash(void **state)
{
    (void)state;
    struct chain_entry e = sample_entry();
    char prev[CHAIN_HEX_LEN], h0[CHAIN_HEX_LEN], h1[CHAIN_HEX_LEN];
    assert_int_equal(chain_hash(chain_genesis, &e, h0), ERR_OK);
    memcpy(prev, chain_genesis, CHAIN_HEX_LEN);
    prev[63] = '1';
    assert_int_equal(chain_hash(prev, &e, h1), ERR_OK);
    assert_string_not_equal(h0, h1);
}

/* The separator keeps field boundaries: moving text from one field to the next changes the hash. */
static void
test_chain_hash_field_boundaries_matter(void **state)
{
    (void)state;
    struct chain_entry a = sample_entry(), b = sample_entry();
    char ha[CHAIN_HEX_LEN], hb[CHAIN_HEX_LEN];
    a.type = "case.created{";
    a.actor = "\"sub\":\"alice\"}";
    b.type = "case.created";
    b.actor = "{\"sub\":\"alice\"}";
    assert_int_equal(chain_hash(chain_genesis, &a, ha), ERR_OK);
    assert_int_equal(chain_hash(chain_genesis, &b, hb), ERR_OK);
    assert_string_not_equal(ha, hb);
}

/* Chaining: the hash of row 2 depends on row 1's content through its hash. */
static void
test_chain_hash_chain_detects_altered_history(void **state)
{
    (void)state;
    struct chain_entry r1 = sample_entry(), r2 = sample_entry(), r1_altered = sample_entry();
    char h1[CHAIN_HEX_LEN], h2[CHAIN_HEX_LEN], h1x[CHAIN_HEX_LEN], h2x[CHAIN_HEX_LEN];
    r2.sequence = 2;
    r2.type = "case.transitioned";
    r1_altered.data = "{\"title\":\"forged\"}";
    assert_int_equal(chain_hash(chain_genesis, &r1, h1), ERR_OK);
    assert_int_equal(chain_hash(h1, &r2, h2), ERR_OK);
    assert_int_equal(chain_hash(chain_genesis, &r1_altered, h1x), ERR_OK);
    assert_int_equal(chain_hash(h1x, &r2, h2x), ERR_OK);
    assert_string_not_equal(h2, h2x);
}

/* --- uuid_v4 ---------------------------------------------------------------------- */

static int
compare_uuid(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void
test_uuid_v4_format(void **state)
{
    (void)state;
    for (int n = 0; n < 200; n++) {
        char u[UUID_LEN];
        assert_int_equal(uuid_v4(u), ERR_OK);
        assert_int_equal(strlen(u), 36);
        for (int i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                assert_int_equal(u[i], '-');
            else
                assert_non_null(strchr(hex_digits, u[i])); /* lower-case hex only */
        }
        assert_int_equal(u[14], '4');           /* version 4 */
        assert_non_null(strchr("89ab", u[19])); /* RFC 4122 variant */
        assert_true(uuid_valid(u));
    }
}

static void
test_uuid_v4_unique(void **state)
{
    (void)state;
    enum { N = 5000 };
    char(*ids)[UUID_LEN] = calloc(N, UUID_LEN);
    assert_non_null(ids);
    for (int i = 0; i < N; i++)
        assert_int_equal(uuid_v4(ids[i]), ERR_OK);
    qsort(ids, N, UUID_LEN, compare_uuid);
    for (int i = 1; i < N; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0) {
            free(ids);
            fail_msg("duplicate uuid after %d draws", N);
        }
    free(ids);
}

static void
test_uuid_v4_random_bits_vary(void **state)
{
    (void)state;
    /* every non-fixed hex position takes more than one value over many draws */
    char seen[36][16] = {{0}};
    for (int n = 0; n < 500; n++) {
        char u[UUID_LEN];
        assert_int_equal(uuid_v4(u), ERR_OK);
        for (int i = 0; i < 36; i++) {
            const char *p = strchr(hex_digits, u[i]);
            if (p != NULL && u[i] != '\0')
                seen[i][p - hex_digits] = 1;
        }
    }
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23 || i == 14)
            continue;
        int distinct = 0;
        for (int d = 0; d < 16; d++)
            distinct += seen[i][d];
        if (i == 19)
            assert_in_range(distinct, 2, 4);
        else
            assert_true(distinct > 1);
    }
}

/* --- uuid_valid ---------------------------------------------------------------------- */

static void
test_uuid_valid_accepts_canonical_forms(void **state)
{
    (void)state;
    assert_true(uuid_valid("0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6d"));
    assert_true(uuid_valid("0B8E2F3C-5D61-4A7B-8C9D-1E2F3A4B5C6D"));
    assert_true(uuid_valid("00000000-0000-0000-0000-000000000000"));
}

static void
test_uuid_valid_rejects_bad_forms(void **state)
{
    (void)state;
    assert_false(uuid_valid(NULL));
    assert_false(uuid_valid(""));
    assert_false(uuid_valid("0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6"));   /* 35 chars */
    assert_false(uuid_valid("0b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6d0")); /* 37 chars */
    assert_false(uuid_valid("0b8e2f3c5d614a7b8c9d1e2f3a4b5c6d"));      /* no hyphens */
    assert_false(uuid_valid("0b8e2f3c-5d61-4a7b-8c9d1-e2f3a4b5c6d"));  /* hyphen moved */
    assert_false(uuid_valid("0b8e2f3g-5d61-4a7b-8c9d-1e2f3a4b5c6d"));  /* not hex */
    assert_false(uuid_valid("{b8e2f3c-5d61-4a7b-8c9d-1e2f3a4b5c6d}"));
    assert_false(uuid_valid("0b8e2f3c 5d61-4a7b-8c9d-1e2f3a4b5c6d"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_hex_known_vectors),
        cmocka_unit_test(test_sha256_hex_binary_input_uses_length),
        cmocka_unit_test(test_chain_genesis_all_zero),
        cmocka_unit_test(test_chain_hash_known_value),
        cmocka_unit_test(test_chain_hash_equals_sha256_of_joined_fields),
        cmocka_unit_test(test_chain_hash_deterministic),
        cmocka_unit_test(test_chain_hash_changes_with_each_field),
        cmocka_unit_test(test_chain_hash_changes_with_prev_hash),
        cmocka_unit_test(test_chain_hash_field_boundaries_matter),
        cmocka_unit_test(test_chain_hash_chain_detects_altered_history),
        cmocka_unit_test(test_uuid_v4_format),
        cmocka_unit_test(test_uuid_v4_unique),
        cmocka_unit_test(test_uuid_v4_random_bits_vary),
        cmocka_unit_test(test_uuid_valid_accepts_canonical_forms),
        cmocka_unit_test(test_uuid_valid_rejects_bad_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
