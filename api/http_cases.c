/*
 * http_cases.c - HTTP handlers of /v1/cases and its sub-resources: parse the
 * request, call one use case, answer with the case or a problem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "resources.h"

int
api_case_create(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;
    struct case_record rec = {0};
    char location[64];

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) != ERR_OK || api_call_idempotency(&c) != ERR_OK ||
        api_call_body(&c, API_MEDIA_JSON) != ERR_OK)
        goto out;
    int rc = uc_case_create(c.app, c.origin, c.j_body, c.idempotency_key, &rec, &c.j_out, &c.st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &c.st);
        goto out;
    }
    /* a retry gets the case as the first request's answer showed it */
    if ((c.replayed = c.j_out != NULL)) {
        api_send_json(resp, 201, c.j_out);
        api_set_etag_of(resp, c.j_out);
    } else {
        api_send_case(resp, 201, &rec);
    }
    snprintf(location, sizeof location, "/v1/cases/%s",
             c.replayed ? json_string_value(json_object_get(c.j_out, "id")) : rec.id);
    u_map_put(resp->map_header, "Location", location);
    api_call_mark_replayed(&c);
out:
    case_record_cleanup(&rec);
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_case_list(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    /* the names are checked by the domain's query validation */
    if (api_call_query(&c, NULL) == ERR_OK) {
        int rc = uc_case_list(c.app, c.j_params, &c.j_out, &c.st);
        if (rc == ERR_BAD_REQUEST)
            snprintf(c.st.detail, sizeof c.st.detail, "see errors for each query parameter");
        api_call_answer(&c, rc);
    }
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_case_get(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;
    struct case_record rec = {0};
    json_t *j_case = NULL;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) != ERR_OK)
        goto out;
    /* one case also shows what stands between it and closure: c.j_out is the readiness */
    int rc = uc_case_get(c.app, c.id, &rec, &c.j_out, &c.st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &c.st);
        goto out;
    }
    if (api_etag_matches(req, rec.version)) {
        resp->status = 304;
        api_set_etag(resp, rec.version);
        goto out;
    }
    if ((j_case = case_to_json(&rec)) == NULL) {
        api_problem(resp, ERR_INTERNAL, NULL);
        goto out;
    }
    json_object_set(j_case, "readiness", c.j_out);
    api_send_json(resp, 200, j_case);
    api_set_etag(resp, rec.version);
out:
    case_record_cleanup(&rec);
    json_decref(j_case);
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* PATCH: If-Match, a merge patch, the case back. */
int
api_case_update(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;
    struct case_record rec = {0};

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) != ERR_OK ||
        api_call_body(&c, API_MEDIA_MERGE_PATCH) != ERR_OK || api_call_if_match(&c) != ERR_OK)
        goto out;
    int rc = uc_case_update(c.app, c.origin, c.id, c.version, c.j_body, &rec, &c.st);
    if (rc != ERR_OK)
        api_problem(resp, rc, &c.st);
    else
        api_send_case(resp, 200, &rec);
out:
    case_record_cleanup(&rec);
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* A transition: If-Match, an optional Idempotency-Key, {"to", "comment"}; the case back. */
int
api_case_transition(const struct _u_request *req, struct _u_response *resp,
                    const struct api_req *rq)
{
    struct api_call c;
    struct case_record rec = {0};

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) != ERR_OK || api_call_idempotency(&c) != ERR_OK ||
        api_call_body(&c, API_MEDIA_JSON) != ERR_OK || api_call_if_match(&c) != ERR_OK)
        goto out;
    int rc = uc_case_transition(c.app, c.origin, c.id, c.version, c.j_body, c.idempotency_key, &rec,
                                &c.j_out, &c.st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &c.st);
    } else if ((c.replayed = c.j_out != NULL)) {
        api_send_json(resp, 200, c.j_out);
        api_set_etag_of(resp, c.j_out);
        api_call_mark_replayed(&c);
    } else {
        api_send_case(resp, 200, &rec);
    }
out:
    case_record_cleanup(&rec);
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_case_transitions(const struct _u_request *req, struct _u_response *resp,
                     const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) == ERR_OK)
        api_call_answer(&c, uc_case_transitions(c.app, c.id, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* An integer query parameter in [min, max], or def when absent. */
static int
int_param(const json_t *j_params, const char *name, int def, int min, int max, int *out)
{
    const char *s = json_string_value(json_object_get(j_params, name));
    long v;
    if (s == NULL) {
        *out = def;
        return ERR_OK;
    }
    if (!case_query_int(s, min, max, &v))
        return ERR_BAD_REQUEST;
    *out = (int)v;
    return ERR_OK;
}

int
api_case_history(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    static const char *const params[] = {"after", "limit", NULL};
    struct api_call c;
    int after, limit;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, params) != ERR_OK)
        goto out;
    if (int_param(c.j_params, "after", 0, 0, 2147483647, &after) != ERR_OK ||
        int_param(c.j_params, "limit", 100, 1, 500, &limit) != ERR_OK) {
        api_problem_detail(resp, ERR_BAD_REQUEST,
                           "after must be a sequence (integer >= 0) and limit from 1 to 500");
        goto out;
    }
    api_call_answer(&c, uc_case_history(c.app, c.id, after, limit, &c.j_out, &c.st));
out:
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_case_verify(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) == ERR_OK)
        api_call_answer(&c, uc_case_verify(c.app, c.id, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}
