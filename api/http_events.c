/* http_events.c - HTTP handlers of the event feed and /metrics. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "http_metrics.h"
#include "resources.h"

int
api_events_list(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    /* names are checked by the use case */
    if (api_call_query(&c, NULL) == ERR_OK)
        api_call_answer(&c, uc_events_list(c.app, c.j_params, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* The use cases' metrics, then the HTTP layer's own (http_metrics.h). */
int
api_metrics(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct app *a = rq->app;
    char *text = NULL, *http = NULL, *both = NULL;
    (void)req;

    text = uc_metrics_text(a);
    http = api_http_metrics_text(a->http_metrics);
    if (text == NULL || http == NULL || asprintf(&both, "%s%s", text, http) < 0) {
        both = NULL;
        api_problem(resp, ERR_INTERNAL, NULL);
        goto out;
    }
    ulfius_set_binary_body_response(resp, 200, both, strlen(both));
    u_map_put(resp->map_header, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
out:
    free(both);
    free(http);
    free(text);
    return U_CALLBACK_COMPLETE;
}
