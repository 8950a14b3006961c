/*
 * test_base.c - the generic helpers written once: hex digits (hex.h), the
 * monotonic clock (clock.h) and whole-file reads (file.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "file.h"
#include "hex.h"

static void
test_hex_digit_each_character(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        const char *digits = "0123456789abcdef", *upper = "0123456789ABCDEF";
        const char *at = c ? strchr(digits, c) : NULL, *up = c ? strchr(upper, c) : NULL;
        int want = at ? (int)(at - digits) : up ? (int)(up - upper) : -1;
        if (hex_digit(c) != want)
            fail_msg("hex_digit(%d) is %d, not %d", c, hex_digit(c), want);
    }
}

static void
test_hex_encode_lower_case_with_nul(void **state)
{
    (void)state;
    const unsigned char bin[] = {0x00, 0x0f, 0xa5, 0xff};
    char out[9];
    memset(out, 'x', sizeof out);
    hex_encode(bin, sizeof bin, out);
    assert_string_equal(out, "000fa5ff");
    hex_encode(bin, 0, out);
    assert_string_equal(out, "");
}

static void
test_clock_is_monotonic_in_both_units(void **state)
{
    (void)state;
    long ms = clock_mono_ms();
    double s = clock_mono_s();
    usleep(20000);
    assert_true(clock_mono_ms() - ms >= 20);
    assert_true(clock_mono_s() - s >= 0.02);
    /* the same clock: seconds and milliseconds agree */
    assert_true(labs(clock_mono_ms() - (long)(clock_mono_s() * 1000)) <= 2);
}

/* A temporary file of n bytes of 'k' (path into p, 64 bytes). */
static void
file_of(char *p, size_t n)
{
    snprintf(p, 64, "/tmp/capa_test_base_XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(write(fd, "k", 1), 1);
    close(fd);
}

static void
test_file_read_all_sizes_and_failures(void **state)
{
    (void)state;
    char p[64], *data;
    size_t len;

    file_of(p, 10);
    assert_int_equal(file_read_all(p, 10, &data, &len), 0);
    assert_int_equal(len, 10);
    assert_string_equal(data, "kkkkkkkkkk");
    free(data);
    assert_int_equal(file_read_all(p, 9, &data, &len), EFBIG);
    assert_null(data);
    unlink(p);

    file_of(p, 0);
    assert_int_equal(file_read_all(p, 10, &data, &len), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    unlink(p);

    assert_int_equal(file_read_all("/nonexistent/capa/file", 10, &data, &len), ENOENT);
    assert_null(data);
    assert_int_equal(file_read_all("/tmp", 10, &data, &len), EISDIR);
    assert_null(data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_digit_each_character),
        cmocka_unit_test(test_hex_encode_lower_case_with_nul),
        cmocka_unit_test(test_clock_is_monotonic_in_both_units),
        cmocka_unit_test(test_file_read_all_sizes_and_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
