/* cursor.c - opaque keyset-pagination cursors (cursor.h). */
#include "cursor.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
cursor_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
}

long
cursor_b64url_decode(const char *in, unsigned char *out, size_t out_size)
{
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    for (; *in; in++) {
        const char *p = strchr(alphabet, *in);
        if (p == NULL || *in == '\0')
            return -1;
        acc = (acc << 6) | (unsigned)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= out_size)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* leftover bits must be zero padding of the last group (at most 4 bits) */
    if (bits >= 6 || acc != 0)
        return -1;
    return (long)o;
}

int
cursor_encode(const struct cursor *c, char out[CURSOR_MAX])
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "s", c->sort, "k", c->key, "i", c->id);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = ERR_INVALID;
    size_t n = text ? strlen(text) : 0;

    if (text != NULL && 4 * ((n + 2) / 3) + 1 <= CURSOR_MAX) {
        cursor_b64url_encode((const unsigned char *)text, n, out);
        rc = ERR_OK;
    }
    free(text);
    json_decref(j);
    return rc;
}

static int
copy_field(const json_t *j, const char *name, char out[CURSOR_FIELD_MAX])
{
    const json_t *v = json_object_get(j, name);
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= CURSOR_FIELD_MAX ||
        json_string_length(v) != strlen(json_string_value(v)))
        return ERR_BAD_REQUEST;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return ERR_OK;
}

int
cursor_decode(const char *text, struct cursor *c)
{
    unsigned char buf[CURSOR_MAX];
    json_t *j = NULL;
    int rc = ERR_BAD_REQUEST;

    memset(c, 0, sizeof *c);
    if (text == NULL || strlen(text) >= CURSOR_MAX)
        goto out;
    long n = cursor_b64url_decode(text, buf, sizeof buf);
    if (n <= 0)
        goto out;
    j = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j) || json_object_size(j) != 3)
        goto out;
    if (copy_field(j, "s", c->sort) || copy_field(j, "k", c->key) || copy_field(j, "i", c->id))
        goto out;
    rc = ERR_OK;
out:
    json_decref(j);
    return rc;
}
