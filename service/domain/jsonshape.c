/* jsonshape.c - depth and member-name bounds of request JSON (jsonshape.h). */
#include "jsonshape.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

static int
check(const json_t *j, int depth, char *detail, size_t detail_size)
{
    const char *key;
    json_t *v;
    size_t i;

    if (!json_is_object(j) && !json_is_array(j))
        return ERR_OK;
    if (depth >= JSHAPE_MAX_DEPTH) {
        snprintf(detail, detail_size, "the body nests deeper than %d levels", JSHAPE_MAX_DEPTH);
        return ERR_BAD_REQUEST;
    }
    if (json_is_array(j)) {
        json_array_foreach(j, i, v)
        {
            if (check(v, depth + 1, detail, detail_size) != ERR_OK)
                return ERR_BAD_REQUEST;
        }
        return ERR_OK;
    }
    json_object_foreach((json_t *)j, key, v)
    {
        if (strlen(key) > JSHAPE_MAX_KEY) {
            snprintf(detail, detail_size, "the body has a member name over %d bytes",
                     JSHAPE_MAX_KEY);
            return ERR_BAD_REQUEST;
        }
        if (check(v, depth + 1, detail, detail_size) != ERR_OK)
            return ERR_BAD_REQUEST;
    }
    return ERR_OK;
}

int
jshape_check(const json_t *j, char *detail, size_t detail_size)
{
    return check(j, 0, detail, detail_size);
}
