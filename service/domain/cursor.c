/* cursor.c - opaque keyset-pagination cursors (cursor.h). */
#include "cursor.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64url.h"
#include "err.h"

int
cursor_encode(const struct cursor *c, char out[CURSOR_MAX])
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "s", c->sort, "k", c->key, "i", c->id);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int rc = ERR_INVALID;
    size_t n = text ? strlen(text) : 0;

    if (text != NULL && 4 * ((n + 2) / 3) + 1 <= CURSOR_MAX) {
        b64url_encode((const unsigned char *)text, n, out);
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
    long n = b64url_decode(text, strlen(text), buf, sizeof buf);
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
