/* test_dtime.c - unit tests of service/domain/dtime.c (RFC 3339, canonical UTC text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "dtime.h"
#include "err.h"

/* Parse s and expect the canonical text want. */
static void
expect_parse(const char *s, const char *want)
{
    char out[DTIME_LEN];
    assert_int_equal(dtime_parse(s, out), ERR_OK);
    assert_string_equal(out, want);
}

static void
expect_parse_invalid(const char *s)
{
    char out[DTIME_LEN];
    assert_int_equal(dtime_parse(s, out), ERR_INVALID);
}

static void
expect_add_days(const char *s, int days, const char *want)
{
    char out[DTIME_LEN];
    assert_int_equal(dtime_add_days(s, days, out), ERR_OK);
    assert_string_equal(out, want);
}

/* --- dtime_parse: accepted forms -------------------------------------------------------- */

static void
test_dtime_parse_utc_z_canonical(void **state)
{
    (void)state;
    expect_parse("2026-11-29T08:30:00Z", "2026-11-29T08:30:00.000000Z");
    assert_int_equal(strlen("2026-11-29T08:30:00.000000Z"), DTIME_LEN - 1);
}

static void
test_dtime_parse_lower_case_t_and_z_accepted(void **state)
{
    (void)state;
    expect_parse("2026-11-29t08:30:00z", "2026-11-29T08:30:00.000000Z");
}

static void
test_dtime_parse_positive_offset_normalised_to_utc(void **state)
{
    (void)state;
    expect_parse("2026-11-29T10:30:00+02:00", "2026-11-29T08:30:00.000000Z");
    /* crossing midnight backwards */
    expect_parse("2026-11-29T01:30:00+02:00", "2026-11-28T23:30:00.000000Z");
    /* minutes of the offset count too */
    expect_parse("2026-11-29T14:15:00+05:45", "2026-11-29T08:30:00.000000Z");
}

static void
test_dtime_parse_negative_offset_normalised_to_utc(void **state)
{
    (void)state;
    expect_parse("2026-11-29T03:00:00-05:30", "2026-11-29T08:30:00.000000Z");
    /* crossing a year end forwards */
    expect_parse("2026-12-31T22:00:00-05:30", "2027-01-01T03:30:00.000000Z");
}

static void
test_dtime_parse_zero_offsets_equal_z(void **state)
{
    (void)state;
    expect_parse("2026-11-29T08:30:00+00:00", "2026-11-29T08:30:00.000000Z");
    expect_parse("2026-11-29T08:30:00-00:00", "2026-11-29T08:30:00.000000Z");
}

static void
test_dtime_parse_offset_crossing_leap_day(void **state)
{
    (void)state;
    expect_parse("2024-03-01T01:00:00+03:00", "2024-02-29T22:00:00.000000Z");
    expect_parse("2026-03-01T01:00:00+03:00", "2026-02-28T22:00:00.000000Z");
}

static void
test_dtime_parse_fraction_one_to_nine_digits(void **state)
{
    (void)state;
    expect_parse("2026-11-29T08:30:00.1Z", "2026-11-29T08:30:00.100000Z");
    expect_parse("2026-11-29T08:30:00.12Z", "2026-11-29T08:30:00.120000Z");
    expect_parse("2026-11-29T08:30:00.123Z", "2026-11-29T08:30:00.123000Z");
    expect_parse("2026-11-29T08:30:00.000001Z", "2026-11-29T08:30:00.000001Z");
    expect_parse("2026-11-29T08:30:00.123456Z", "2026-11-29T08:30:00.123456Z");
    expect_parse("2026-11-29T08:30:00.1234567Z", "2026-11-29T08:30:00.123456Z");
    expect_parse("2026-11-29T08:30:00.123456789Z", "2026-11-29T08:30:00.123456Z");
}

static void
test_dtime_parse_fraction_truncated_not_rounded(void **state)
{
    (void)state;
    /* rounding would carry into the next second */
    expect_parse("2026-11-29T08:30:59.9999999Z", "2026-11-29T08:30:59.999999Z");
    expect_parse("2026-12-31T23:59:59.999999999Z", "2026-12-31T23:59:59.999999Z");
}

static void
test_dtime_parse_fraction_with_offset(void **state)
{
    (void)state;
    expect_parse("2026-11-29T09:30:00.5+01:00", "2026-11-29T08:30:00.500000Z");
}

static void
test_dtime_parse_fraction_invalid_digit_counts(void **state)
{
    (void)state;
    expect_parse_invalid("2026-11-29T08:30:00.Z");           /* no digits */
    expect_parse_invalid("2026-11-29T08:30:00.1234567890Z"); /* 10 digits */
    expect_parse_invalid("2026-11-29T08:30:00.12a4Z");
}

static void
test_dtime_parse_leap_years(void **state)
{
    (void)state;
    expect_parse("2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000000Z");
    expect_parse("2000-02-29T12:00:00Z", "2000-02-29T12:00:00.000000Z"); /* divisible by 400 */
    expect_parse_invalid("2026-02-29T12:00:00Z");                        /* not a leap year */
    expect_parse_invalid("1900-02-29T12:00:00Z");                        /* century, not 400 */
    expect_parse_invalid("2100-02-29T12:00:00Z");
}

/* --- dtime_parse: refused forms --------------------------------------------------------- */

static void
test_dtime_parse_impossible_dates_refused(void **state)
{
    (void)state;
    expect_parse_invalid("2026-02-30T00:00:00Z");
    expect_parse_invalid("2026-04-31T00:00:00Z");
    expect_parse_invalid("2026-13-01T00:00:00Z");
    expect_parse_invalid("2026-00-10T00:00:00Z");
    expect_parse_invalid("2026-01-00T00:00:00Z");
    expect_parse_invalid("2026-01-32T00:00:00Z");
}

static void
test_dtime_parse_impossible_times_refused(void **state)
{
    (void)state;
    expect_parse_invalid("2026-11-29T24:00:00Z");
    expect_parse_invalid("2026-11-29T23:60:00Z");
    expect_parse_invalid("2026-11-29T23:59:60Z");
    expect_parse_invalid("2026-11-29T8:30:00Z");
}

static void
test_dtime_parse_missing_offset_refused(void **state)
{
    (void)state;
    expect_parse_invalid("2026-11-29T08:30:00");
    expect_parse_invalid("2026-11-29T08:30:00.123456");
}

static void
test_dtime_parse_bad_offset_refused(void **state)
{
    (void)state;
    expect_parse_invalid("2026-11-29T08:30:00+0200");
    expect_parse_invalid("2026-11-29T08:30:00+2:00");
    expect_parse_invalid("2026-11-29T08:30:00+24:00");
    expect_parse_invalid("2026-11-29T08:30:00+02:60");
    expect_parse_invalid("2026-11-29T08:30:00+");
}

static void
test_dtime_parse_trailing_junk_refused(void **state)
{
    (void)state;
    expect_parse_invalid("2026-11-29T08:30:00Zx");
    expect_parse_invalid("2026-11-29T08:30:00Z ");
    expect_parse_invalid("2026-11-29T08:30:00+02:00:00");
    expect_parse_invalid("2026-11-29T08:30:00.5ZZ");
}

static void
test_dtime_parse_malformed_refused(void **state)
{
    (void)state;
    expect_parse_invalid("");
    expect_parse_invalid(NULL);
    expect_parse_invalid("2026-11-29");            /* a date alone is not a date-time */
    expect_parse_invalid(" 2026-11-29T08:30:00Z"); /* leading space */
    expect_parse_invalid("2026/11/29T08:30:00Z");
    expect_parse_invalid("2026-11-29X08:30:00Z");
    expect_parse_invalid("26-11-29T08:30:00Z");
    expect_parse_invalid("1899-12-31T23:59:59Z"); /* before the supported range */
}

/*
 * Everything dtime_parse accepts must be canonical text (DTIME_LEN - 1 characters,
 * ending in Z) that the module itself reads back. Refusing an instant whose UTC
 * form falls outside the supported years is correct too.
 */
static void
expect_parse_canonical_or_refused(const char *s)
{
    char out[DTIME_LEN];
    int64_t sec;
    if (dtime_parse(s, out) != ERR_OK)
        return;
    if (strlen(out) != DTIME_LEN - 1 || out[DTIME_LEN - 2] != 'Z' ||
        dtime_to_unix(out, &sec) != ERR_OK)
        fail_msg("dtime_parse(\"%s\") accepted, gave non-canonical \"%s\"", s, out);
}

static void
test_dtime_parse_utc_past_year_9999_not_truncated(void **state)
{
    (void)state;
    expect_parse_canonical_or_refused("9999-12-31T23:00:00-02:00"); /* UTC: year 10000 */
}

static void
test_dtime_parse_utc_before_year_1900_consistent(void **state)
{
    (void)state;
    expect_parse_canonical_or_refused("1900-01-01T00:30:00+01:00"); /* UTC: year 1899 */
}

/* --- dtime_parse_date ------------------------------------------------------------------- */

static void
test_dtime_parse_date_plain_date_is_midnight_utc(void **state)
{
    (void)state;
    char out[DTIME_LEN];
    assert_int_equal(dtime_parse_date("2026-11-29", out), ERR_OK);
    assert_string_equal(out, "2026-11-29T00:00:00.000000Z");
    assert_int_equal(dtime_parse_date("2024-02-29", out), ERR_OK);
    assert_string_equal(out, "2024-02-29T00:00:00.000000Z");
}

static void
test_dtime_parse_date_date_time_accepted(void **state)
{
    (void)state;
    char out[DTIME_LEN];
    assert_int_equal(dtime_parse_date("2026-11-29T10:30:00.25+02:00", out), ERR_OK);
    assert_string_equal(out, "2026-11-29T08:30:00.250000Z");
}

static void
test_dtime_parse_date_invalid_refused(void **state)
{
    (void)state;
    char out[DTIME_LEN];
    assert_int_equal(dtime_parse_date("2026-02-30", out), ERR_INVALID);
    assert_int_equal(dtime_parse_date("2026-02-29", out), ERR_INVALID);
    assert_int_equal(dtime_parse_date("2026-11-29x", out), ERR_INVALID);
    assert_int_equal(dtime_parse_date("2026-11-2", out), ERR_INVALID);
    assert_int_equal(dtime_parse_date("2026-11-29T08:30:00", out), ERR_INVALID);
    assert_int_equal(dtime_parse_date("", out), ERR_INVALID);
    assert_int_equal(dtime_parse_date(NULL, out), ERR_INVALID);
}

/* --- dtime_from_unix / dtime_to_unix ---------------------------------------------------- */

static void
test_dtime_from_unix_known_instants(void **state)
{
    (void)state;
    char out[DTIME_LEN];
    dtime_from_unix(0, 0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
    dtime_from_unix(1795941000, 123456, out);
    assert_string_equal(out, "2026-11-29T08:30:00.123456Z");
    dtime_from_unix(951782400, 1, out);
    assert_string_equal(out, "2000-02-29T00:00:00.000001Z");
}

static void
test_dtime_to_unix_canonical_text(void **state)
{
    (void)state;
    int64_t sec = -1;
    assert_int_equal(dtime_to_unix("2026-11-29T08:30:00.123456Z", &sec), ERR_OK);
    assert_int_equal(sec, 1795941000);
    assert_int_equal(dtime_to_unix("1970-01-01T00:00:00.000000Z", &sec), ERR_OK);
    assert_int_equal(sec, 0);
}

static void
test_dtime_to_unix_non_canonical_refused(void **state)
{
    (void)state;
    int64_t sec = 42;
    assert_int_equal(dtime_to_unix("2026-11-29T08:30:00Z", &sec), ERR_INVALID);
    assert_int_equal(dtime_to_unix("2026-11-29T09:30:00.000000+01:00", &sec), ERR_INVALID);
    assert_int_equal(dtime_to_unix("2026-11-29t08:30:00.000000z", &sec), ERR_INVALID);
    assert_int_equal(dtime_to_unix("", &sec), ERR_INVALID);
    assert_int_equal(sec, 42);
}

static void
test_dtime_to_unix_round_trip(void **state)
{
    (void)state;
    static const int64_t instants[] = {0, 86399, 951782400, 1709164800, 1795941000, 4102444799};
    for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
        char out[DTIME_LEN];
        int64_t sec;
        dtime_from_unix(instants[i], 999999, out);
        assert_int_equal(dtime_to_unix(out, &sec), ERR_OK);
        assert_int_equal(sec, instants[i]);
    }
}

/* --- dtime_add_days --------------------------------------------------------------------- */

static void
test_dtime_add_days_within_month(void **state)
{
    (void)state;
    expect_add_days("2026-11-01T08:30:00.123456Z", 2, "2026-11-03T08:30:00.123456Z");
    expect_add_days("2026-11-01T08:30:00.123456Z", 0, "2026-11-01T08:30:00.123456Z");
}

static void
test_dtime_add_days_across_month_end(void **state)
{
    (void)state;
    expect_add_days("2026-01-31T10:00:00.000001Z", 1, "2026-02-01T10:00:00.000001Z");
    expect_add_days("2026-04-30T23:59:59.999999Z", 1, "2026-05-01T23:59:59.999999Z");
    expect_add_days("2026-11-29T08:30:00.000000Z", 30, "2026-12-29T08:30:00.000000Z");
}

static void
test_dtime_add_days_across_february(void **state)
{
    (void)state;
    expect_add_days("2026-02-28T00:00:00.000000Z", 1, "2026-03-01T00:00:00.000000Z");
    expect_add_days("2024-02-28T00:00:00.000000Z", 1, "2024-02-29T00:00:00.000000Z");
    expect_add_days("2024-02-28T00:00:00.000000Z", 2, "2024-03-01T00:00:00.000000Z");
}

static void
test_dtime_add_days_across_year_end(void **state)
{
    (void)state;
    expect_add_days("2026-12-31T12:00:00.500000Z", 1, "2027-01-01T12:00:00.500000Z");
    expect_add_days("2026-12-15T08:30:00.000000Z", 30, "2027-01-14T08:30:00.000000Z");
    expect_add_days("2026-11-29T08:30:00.000000Z", 365, "2027-11-29T08:30:00.000000Z");
    expect_add_days("2023-03-01T00:00:00.000000Z", 366, "2024-03-01T00:00:00.000000Z");
}

static void
test_dtime_add_days_negative(void **state)
{
    (void)state;
    expect_add_days("2027-01-01T00:00:00.000000Z", -1, "2026-12-31T00:00:00.000000Z");
    expect_add_days("2024-03-01T06:00:00.000000Z", -1, "2024-02-29T06:00:00.000000Z");
}

static void
test_dtime_add_days_non_canonical_refused(void **state)
{
    (void)state;
    char out[DTIME_LEN];
    assert_int_equal(dtime_add_days("2026-11-29T08:30:00Z", 1, out), ERR_INVALID);
    assert_int_equal(dtime_add_days("2026-11-29", 1, out), ERR_INVALID);
    assert_int_equal(dtime_add_days("", 1, out), ERR_INVALID);
}

/* A result that the canonical form cannot hold (year 10000) must not be written truncated. */
static void
test_dtime_add_days_past_year_9999_not_truncated(void **state)
{
    (void)state;
    char out[DTIME_LEN];
    int64_t sec;
    if (dtime_add_days("9999-12-31T00:00:00.000000Z", 1, out) != ERR_OK)
        return; /* refusing is correct */
    if (strlen(out) != DTIME_LEN - 1 || out[DTIME_LEN - 2] != 'Z' ||
        dtime_to_unix(out, &sec) != ERR_OK)
        fail_msg("dtime_add_days accepted, gave non-canonical \"%s\"", out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtime_parse_utc_z_canonical),
        cmocka_unit_test(test_dtime_parse_lower_case_t_and_z_accepted),
        cmocka_unit_test(test_dtime_parse_positive_offset_normalised_to_utc),
        cmocka_unit_test(test_dtime_parse_negative_offset_normalised_to_utc),
        cmocka_unit_test(test_dtime_parse_zero_offsets_equal_z),
        cmocka_unit_test(test_dtime_parse_offset_crossing_leap_day),
        cmocka_unit_test(test_dtime_parse_fraction_one_to_nine_digits),
        cmocka_unit_test(test_dtime_parse_fraction_truncated_not_rounded),
        cmocka_unit_test(test_dtime_parse_fraction_with_offset),
        cmocka_unit_test(test_dtime_parse_fraction_invalid_digit_counts),
        cmocka_unit_test(test_dtime_parse_leap_years),
        cmocka_unit_test(test_dtime_parse_impossible_dates_refused),
        cmocka_unit_test(test_dtime_parse_impossible_times_refused),
        cmocka_unit_test(test_dtime_parse_missing_offset_refused),
        cmocka_unit_test(test_dtime_parse_bad_offset_refused),
        cmocka_unit_test(test_dtime_parse_trailing_junk_refused),
        cmocka_unit_test(test_dtime_parse_malformed_refused),
        cmocka_unit_test(test_dtime_parse_utc_past_year_9999_not_truncated),
        cmocka_unit_test(test_dtime_parse_utc_before_year_1900_consistent),
        cmocka_unit_test(test_dtime_parse_date_plain_date_is_midnight_utc),
        cmocka_unit_test(test_dtime_parse_date_date_time_accepted),
        cmocka_unit_test(test_dtime_parse_date_invalid_refused),
        cmocka_unit_test(test_dtime_from_unix_known_instants),
        cmocka_unit_test(test_dtime_to_unix_canonical_text),
        cmocka_unit_test(test_dtime_to_unix_non_canonical_refused),
        cmocka_unit_test(test_dtime_to_unix_round_trip),
        cmocka_unit_test(test_dtime_add_days_within_month),
        cmocka_unit_test(test_dtime_add_days_across_month_end),
        cmocka_unit_test(test_dtime_add_days_across_february),
        cmocka_unit_test(test_dtime_add_days_across_year_end),
        cmocka_unit_test(test_dtime_add_days_negative),
        cmocka_unit_test(test_dtime_add_days_non_canonical_refused),
        cmocka_unit_test(test_dtime_add_days_past_year_9999_not_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
