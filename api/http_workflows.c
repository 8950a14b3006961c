/* http_workflows.c - HTTP handlers of /v1/workflows. */
#include "err.h"
#include "http.h"
#include "resources.h"

int
api_workflow_list(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) == ERR_OK)
        api_call_answer(&c, uc_workflow_list(c.app, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_workflow_put(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    /* the kind is the id segment of /v1/workflows/{kind} */
    if (api_call_query(&c, api_no_params) == ERR_OK && api_call_body(&c, API_MEDIA_JSON) == ERR_OK)
        api_call_answer(&c, uc_workflow_put(c.app, c.id, c.j_body, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}
