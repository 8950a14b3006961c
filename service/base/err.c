/* err.c - names of the error codes, and the table as JSON (err.h). */
#include "err.h"

#include <jansson.h>
#include <stdlib.h>

#define ERR_ROW(code, name, status, slug, title, meaning)                                          \
    [code] = {#code, name, status, slug, title, meaning},
static const struct {
    const char *code, *name;
    int status;
    const char *slug, *title, *meaning;
} rows[ERR__COUNT] = {ERR_TABLE(ERR_ROW)};
#undef ERR_ROW

const char *
err_name(int err)
{
    if (err < 0 || err >= ERR__COUNT)
        return "unknown";
    return rows[err].name;
}

char *
err_table_text(void)
{
    json_t *j = json_array();
    for (int e = ERR_OK + 1; e < ERR__COUNT; e++)
        json_array_append_new(j, json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "code", rows[e].code,
                                           "name", rows[e].name, "status", rows[e].status, "slug",
                                           rows[e].slug, "title", rows[e].title, "meaning",
                                           rows[e].meaning));
    char *text = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    return text;
}
