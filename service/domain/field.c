/* field.c - per-field errors and text made safe for JSON (field.h). */
#include "field.h"

#include <stdlib.h>

#include "mem.h"

/* Length of the valid UTF-8 sequence at s, 0 when there is none. */
static size_t
utf8_sequence(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* past U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

void
field_utf8_repair(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = utf8_sequence(p);
        if (n == 0)
            *p++ = '?';
        else
            p += n;
    }
}

void
field_error_add(json_t *j_errors, const char *field, const char *code, const char *detail)
{
    if (j_errors == NULL)
        return;
    char *f = mem_strdup(field ? field : ""), *d = mem_strdup(detail ? detail : "");
    field_utf8_repair(f);
    field_utf8_repair(d);
    json_t *j = json_pack("{s:s, s:s, s:s}", "field", f, "code", code, "detail", d);
    /* code is one of ours; should it still fail, the error must not be lost */
    json_array_append_new(j_errors, j ? j
                                      : json_pack("{s:s, s:s, s:s}", "field", f, "code", "invalid",
                                                  "detail", "is not valid"));
    free(f);
    free(d);
}
