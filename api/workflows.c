/* workflows.c - HTTP handlers of /v1/workflows. */
#include "err.h"
#include "http.h"
#include "resources.h"

int
api_workflow_list(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    static const char *const no_params[] = {NULL};
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_out = NULL;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    int rc = uc_workflow_list(app, &j_out, &st);
    api_answer_json(resp, rc, j_out, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_out);
    return U_CALLBACK_COMPLETE;
}

int
api_workflow_put(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    static const char *const no_params[] = {NULL};
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_body = NULL, *j_out = NULL;
    char kind[API_ID_MAX];

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK ||
        api_body_json(req, resp, app, API_MEDIA_JSON, &j_body) != ERR_OK)
        goto out;
    int rc = uc_workflow_put(app, api_path_segment(req, 2, kind), j_body, &j_out, &st);
    api_answer_json(resp, rc, j_out, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_body);
    json_decref(j_out);
    return U_CALLBACK_COMPLETE;
}
