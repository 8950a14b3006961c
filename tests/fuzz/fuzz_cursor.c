/*
 * fuzz_cursor.c - the cursor query parameter of the list endpoints.
 *
 * The input is the parameter's value (up to a NUL, as a query string value
 * arrives). cursor_decode must refuse what it did not make without reading
 * or writing out of bounds; a cursor it accepts encodes again and decodes to
 * the same fields. Underneath, base64url: b64url_decode accepts only
 * canonical text (so encoding its output gives the input back), stops at
 * its output's size, and every byte string survives an encode and a decode.
 */
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "cursor.h"
#include "err.h"
#include "fuzz.h"

static void
check_cursor(const char *text)
{
    struct cursor c, again;
    char out[CURSOR_MAX];

    int rc = cursor_decode(text, &c);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_BAD_REQUEST);
    if (rc != ERR_OK)
        return;
    FUZZ_CHECK(c.sort[0] && c.key[0] && c.id[0]);
    FUZZ_CHECK(strlen(c.sort) < CURSOR_FIELD_MAX && strlen(c.key) < CURSOR_FIELD_MAX &&
               strlen(c.id) < CURSOR_FIELD_MAX);
    FUZZ_CHECK(cursor_encode(&c, out) == ERR_OK);
    FUZZ_CHECK(cursor_decode(out, &again) == ERR_OK);
    FUZZ_CHECK(strcmp(c.sort, again.sort) == 0 && strcmp(c.key, again.key) == 0 &&
               strcmp(c.id, again.id) == 0);
}

static void
check_b64url_decode(const char *text)
{
    size_t len = strlen(text), cap = len * 3 / 4 + 1;
    unsigned char *buf = malloc(cap);
    char *back = malloc(len + 4);

    FUZZ_CHECK(buf != NULL && back != NULL);
    long n = b64url_decode(text, strlen(text), buf, cap);
    if (n >= 0) {
        FUZZ_CHECK((size_t)n < cap);
        b64url_encode(buf, (size_t)n, back);
        FUZZ_CHECK(strcmp(back, text) == 0);
        if (n > 0) {
            /* one byte short: refused, and nothing written past the buffer */
            unsigned char *small = malloc((size_t)n - 1 ? (size_t)n - 1 : 1);
            FUZZ_CHECK(small != NULL);
            FUZZ_CHECK(b64url_decode(text, strlen(text), small, (size_t)n - 1) == -1);
            free(small);
        }
    }
    free(back);
    free(buf);
}

static void
check_b64url_round_trip(const uint8_t *data, size_t size)
{
    char *text = malloc(4 * ((size + 2) / 3) + 1);
    unsigned char *back = malloc(size + 1);

    FUZZ_CHECK(text != NULL && back != NULL);
    b64url_encode(data, size, text);
    FUZZ_CHECK(b64url_decode(text, strlen(text), back, size) == (long)size);
    FUZZ_CHECK(memcmp(back, data, size) == 0);
    free(back);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);

    check_cursor(text);
    check_b64url_decode(text);
    check_b64url_round_trip(data, size);
    free(text);
    return 0;
}
