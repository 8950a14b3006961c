/*
 * cases.c - HTTP handlers of /v1/cases and its sub-resources: parse the
 * request, call one use case, answer with the case or a problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "resources.h"

static const char *const no_params[] = {NULL};

/* Idempotency-Key: 1 to 200 visible ASCII characters. */
static bool
idempotency_key_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

int
api_case_create(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct case_record rec = {0};
    struct uc_status st;
    json_t *j_body = NULL, *j_params = NULL;
    bool replayed = false;
    char location[64];
    int rc;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    const char *key = api_header(req, "Idempotency-Key");
    if (key != NULL && !idempotency_key_valid(key)) {
        api_problem_detail(resp, ERR_BAD_REQUEST,
                           "Idempotency-Key must be 1 to 200 visible ASCII characters");
        goto out;
    }
    if (api_body_json(req, resp, app, API_MEDIA_JSON, &j_body) != ERR_OK)
        goto out;
    rc = uc_case_create(app, &api_anonymous, j_body, key, &rec, &replayed, &st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &st);
        goto out;
    }
    api_send_case(resp, 201, &rec);
    snprintf(location, sizeof location, "/v1/cases/%s", rec.id);
    u_map_put(resp->map_header, "Location", location);
    if (replayed)
        u_map_put(resp->map_header, "Idempotent-Replayed", "true");
out:
    case_record_cleanup(&rec);
    uc_status_cleanup(&st);
    json_decref(j_body);
    json_decref(j_params);
    return U_CALLBACK_COMPLETE;
}

int
api_case_list(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_page = NULL;

    uc_status_init(&st);
    /* the names are checked by the domain's query validation */
    if (api_query(req, resp, NULL, &j_params) != ERR_OK)
        goto out;
    int rc = uc_case_list(app, j_params, &j_page, &st);
    if (rc != ERR_OK) {
        if (rc == ERR_BAD_REQUEST)
            snprintf(st.detail, sizeof st.detail, "see errors for each query parameter");
        api_problem(resp, rc, &st);
        goto out;
    }
    api_send_json(resp, 200, j_page);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_page);
    return U_CALLBACK_COMPLETE;
}

int
api_case_get(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    char id[API_ID_MAX];
    struct app *app = arg;
    struct case_record rec = {0};
    struct uc_status st;
    json_t *j_params = NULL, *j_case = NULL, *j_readiness = NULL;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    int rc = uc_case_get(app, api_path_id(req, id), &rec, &st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &st);
        goto out;
    }
    if (api_etag_matches(req, rec.version)) {
        resp->status = 304;
        api_set_etag(resp, rec.version);
        goto out;
    }
    /* one case also shows what stands between it and closure */
    if ((rc = uc_case_readiness(app, rec.id, &j_readiness, &st)) != ERR_OK ||
        (j_case = case_to_json(&rec)) == NULL) {
        api_problem(resp, rc ? rc : ERR_INTERNAL, &st);
        goto out;
    }
    json_object_set(j_case, "readiness", j_readiness);
    api_send_json(resp, 200, j_case);
    api_set_etag(resp, rec.version);
out:
    case_record_cleanup(&rec);
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_case);
    json_decref(j_readiness);
    return U_CALLBACK_COMPLETE;
}

/* PATCH and the transition POST share their shape: If-Match, a JSON body, a case back. */
typedef int (*write_fn)(struct app *app, const struct principal *actor, const char *id,
                        int if_match, const json_t *j_body, struct case_record *out,
                        struct uc_status *st);

static int
conditional_write(const struct _u_request *req, struct _u_response *resp, struct app *app,
                  const char *media_type, write_fn fn)
{
    char id[API_ID_MAX];
    struct case_record rec = {0};
    struct uc_status st;
    json_t *j_body = NULL, *j_params = NULL;
    int version;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    if (api_body_json(req, resp, app, media_type, &j_body) != ERR_OK)
        goto out;
    if (api_if_match(req, resp, &version) != ERR_OK)
        goto out;
    int rc = fn(app, &api_anonymous, api_path_id(req, id), version, j_body, &rec, &st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &st);
        goto out;
    }
    api_send_case(resp, 200, &rec);
out:
    case_record_cleanup(&rec);
    uc_status_cleanup(&st);
    json_decref(j_body);
    json_decref(j_params);
    return U_CALLBACK_COMPLETE;
}

int
api_case_update(const struct _u_request *req, struct _u_response *resp, void *app)
{
    return conditional_write(req, resp, app, API_MEDIA_MERGE_PATCH, uc_case_update);
}

int
api_case_transition(const struct _u_request *req, struct _u_response *resp, void *app)
{
    return conditional_write(req, resp, app, API_MEDIA_JSON, uc_case_transition);
}

int
api_case_transitions(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    char id[API_ID_MAX];
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_out = NULL;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    int rc = uc_case_transitions(app, api_path_id(req, id), &j_out, &st);
    api_answer_json(resp, rc, j_out, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_out);
    return U_CALLBACK_COMPLETE;
}

/* An integer query parameter in [min, max], or def when absent. */
static int
int_param(const json_t *j_params, const char *name, int def, int min, int max, int *out)
{
    const char *s = json_string_value(json_object_get(j_params, name));
    char *end;
    if (s == NULL) {
        *out = def;
        return ERR_OK;
    }
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max)
        return ERR_BAD_REQUEST;
    *out = (int)v;
    return ERR_OK;
}

int
api_case_history(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    char id[API_ID_MAX];
    static const char *const params[] = {"after", "limit", NULL};
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_page = NULL;
    int after, limit;

    uc_status_init(&st);
    if (api_query(req, resp, params, &j_params) != ERR_OK)
        goto out;
    if (int_param(j_params, "after", 0, 0, 2147483647, &after) != ERR_OK ||
        int_param(j_params, "limit", 100, 1, 500, &limit) != ERR_OK) {
        api_problem_detail(resp, ERR_BAD_REQUEST,
                           "after must be a sequence (integer >= 0) and limit from 1 to 500");
        goto out;
    }
    int rc = uc_case_history(app, api_path_id(req, id), after, limit, &j_page, &st);
    api_answer_json(resp, rc, j_page, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_page);
    return U_CALLBACK_COMPLETE;
}

int
api_case_verify(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    char id[API_ID_MAX];
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_result = NULL;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    int rc = uc_case_verify(app, api_path_id(req, id), &j_result, &st);
    api_answer_json(resp, rc, j_result, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_result);
    return U_CALLBACK_COMPLETE;
}
