/*
 * test_iso27001.c - the references into ISO/IEC 27001:2022 a case may make
 * (iso27001.h): every clause and control known, their neighbours not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "iso27001.h"

static void
test_iso_clause_known_every_clause(void **state)
{
    (void)state;
    static const char *const known[] = {
        "4",     "4.1",   "4.2",   "4.3",   "4.4",   "5",   "5.1",  "5.2", "5.3", "6",   "6.1",
        "6.1.1", "6.1.2", "6.1.3", "6.2",   "6.3",   "7",   "7.1",  "7.2", "7.3", "7.4", "7.5",
        "7.5.1", "7.5.2", "7.5.3", "8",     "8.1",   "8.2", "8.3",  "9",   "9.1", "9.2", "9.2.1",
        "9.2.2", "9.3",   "9.3.1", "9.3.2", "9.3.3", "10",  "10.1", "10.2"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!iso_clause_known(known[i]) || !iso_ref_known(known[i]))
            fail_msg("clause %s not known", known[i]);
    static const char *const unknown[] = {"",      "0",   "1",     "3",   "11",   "4.5", "6.4",
                                          "6.1.4", "7.6", "7.5.4", "8.4", "8.13", "9.4", "9.2.3",
                                          "10.3",  "04",  "4.",    " 4",  "4.1 ", "A.4", "10.2.1"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        if (iso_clause_known(unknown[i]))
            fail_msg("\"%s\" taken for a clause", unknown[i]);
}

static void
test_iso_control_known_bounds_of_each_theme(void **state)
{
    (void)state;
    static const char *const known[] = {"A.5.1",  "A.5.37", "A.6.1",  "A.6.8", "A.7.1",
                                        "A.7.14", "A.8.1",  "A.8.34", "A.8.8", "A.5.15"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!iso_control_known(known[i]) || !iso_ref_known(known[i]))
            fail_msg("control %s not known", known[i]);
    static const char *const unknown[] = {
        "A.5.0",  "A.5.38", "A.6.0",   "A.6.9",  "A.7.15", "A.8.35",  "A.4.1", "A.9.1",
        "A.05.1", "A.5.01", "A.5",     "A.5.",   "A..1",   "A.5.1.1", "a.5.1", "A.8.100",
        "A-5-1",  "A.5.1 ", "A.9.2.1", "A.12.1", "A.5.1x", ""};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        if (iso_control_known(unknown[i]) || iso_clause_known(unknown[i]))
            fail_msg("\"%s\" taken for a control", unknown[i]);
}

/* The catalogue in order: 37 + 8 + 14 + 34 = 93, each known, each once. */
static void
test_iso_control_id_lists_the_catalogue(void **state)
{
    (void)state;
    char id[ISO_CONTROL_ID_LEN], prev[ISO_CONTROL_ID_LEN] = "";
    assert_int_equal(iso_control_count(), 93);
    iso_control_id(0, id);
    assert_string_equal(id, "A.5.1");
    iso_control_id(36, id);
    assert_string_equal(id, "A.5.37");
    iso_control_id(37, id);
    assert_string_equal(id, "A.6.1");
    iso_control_id(92, id);
    assert_string_equal(id, "A.8.34");
    for (int i = 0; i < 93; i++) {
        iso_control_id(i, id);
        assert_true(iso_control_known(id));
        assert_string_not_equal(id, prev);
        memcpy(prev, id, sizeof id);
    }
    iso_control_id(93, id);
    assert_string_equal(id, "");
    iso_control_id(-1, id);
    assert_string_equal(id, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_clause_known_every_clause),
        cmocka_unit_test(test_iso_control_known_bounds_of_each_theme),
        cmocka_unit_test(test_iso_control_id_lists_the_catalogue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
