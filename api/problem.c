/*
 * problem.c - RFC 9457 problem responses of the error table (err_table.h): its
 * status and problem type per enum err.
 */
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "field.h"
#include "http.h"

#define PROBLEM_BASE "https://capa.example.org/problems/"

#define PROBLEM_ROW(code, name, status, slug, title, meaning) [code] = {status, slug, title},
static const struct {
    unsigned status;
    const char *slug;
    const char *title;
} problems[ERR__COUNT] = {ERR_TABLE(PROBLEM_ROW)};
#undef PROBLEM_ROW

static const char *const default_details[ERR__COUNT] = {
    [ERR_INVALID] = "see errors for each field",
    [ERR_NOT_FOUND] = "no resource exists at this path",
    [ERR_PRECONDITION_REQUIRED] = "send If-Match with the ETag of the version you read",
    [ERR_UNAVAILABLE] = "the database is unreachable or busy: retry after the indicated delay",
    [ERR_RETRY] = "the database is busy: retry after the indicated delay",
    [ERR_INTERNAL] = "the service failed unexpectedly; the error was logged",
};

void
api_problem(struct _u_response *resp, int err, const struct uc_status *st)
{
    char type[128], detail_text[sizeof st->detail];
    if (err <= ERR_OK || err >= ERR__COUNT)
        err = ERR_INTERNAL;
    snprintf(type, sizeof type, PROBLEM_BASE "%s", problems[err].slug);
    const char *detail = st && st->detail[0] ? st->detail : default_details[err];
    if (detail != NULL) {
        /* a detail may quote the request, cut inside a UTF-8 sequence: json_pack refuses that */
        snprintf(detail_text, sizeof detail_text, "%s", detail);
        field_utf8_repair(detail_text);
        detail = detail_text;
    }
    json_t *j = json_pack("{s:s, s:s, s:i, s:s?}", "type", type, "title", problems[err].title,
                          "status", (int)problems[err].status, "detail", detail);
    if (j == NULL) {
        ulfius_set_string_body_response(resp, 500, "internal error");
        return;
    }
    if (detail == NULL)
        json_object_del(j, "detail");
    if (st && json_array_size(st->j_errors) > 0)
        json_object_set(j, "errors", st->j_errors);
    if (st && st->j_extra)
        json_object_update_missing(j, st->j_extra);
    if (err == ERR_UNAVAILABLE || err == ERR_RETRY)
        u_map_put(resp->map_header, "Retry-After", "2");
    if (err == ERR_PRECONDITION_FAILED && st && st->current_version > 0)
        api_set_etag(resp, st->current_version);
    char *body = json_dumps(j, JSON_COMPACT);
    ulfius_set_string_body_response(resp, problems[err].status, body ? body : "");
    u_map_put(resp->map_header, "Content-Type", "application/problem+json");
    free(body);
    json_decref(j);
}

void
api_problem_detail(struct _u_response *resp, int err, const char *detail)
{
    struct uc_status st;
    uc_status_init(&st);
    snprintf(st.detail, sizeof st.detail, "%s", detail);
    api_problem(resp, err, &st);
    uc_status_cleanup(&st);
}
