/* http_health.c - /healthz, /readyz and the OpenAPI document. */
#include <string.h>

#include "embedded.h"
#include "err.h"
#include "http.h"
#include "resources.h"

int
api_healthz(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    (void)req;
    (void)rq;
    json_t *j = json_pack("{s:s}", "status", "ok");
    api_send_json(resp, 200, j);
    json_decref(j);
    return U_CALLBACK_COMPLETE;
}

int
api_readyz(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    json_t *j_checks = NULL;
    (void)req;
    bool ready = uc_ready(rq->app, &j_checks);
    json_t *j =
        json_pack("{s:s, s:o?}", "status", ready ? "ready" : "not_ready", "checks", j_checks);
    api_send_json(resp, ready ? 200 : 503, j);
    if (!ready)
        u_map_put(resp->map_header, "Retry-After", "5");
    json_decref(j);
    return U_CALLBACK_COMPLETE;
}

int
api_openapi(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    (void)req;
    (void)rq;
    ulfius_set_binary_body_response(resp, 200, capa_openapi[0].data, capa_openapi[0].size);
    u_map_put(resp->map_header, "Content-Type", "application/yaml");
    return U_CALLBACK_COMPLETE;
}
