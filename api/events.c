/* events.c - HTTP handlers of the event feed and /metrics. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "resources.h"

int
api_events_list(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_page = NULL;

    uc_status_init(&st);
    /* names are checked by the use case */
    if (api_query(req, resp, NULL, &j_params) != ERR_OK)
        goto out;
    int rc = uc_events_list(app, j_params, &j_page, &st);
    api_answer_json(resp, rc, j_page, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_page);
    return U_CALLBACK_COMPLETE;
}

int
api_metrics(const struct _u_request *req, struct _u_response *resp, void *app)
{
    (void)req;
    char *text = uc_metrics_text(app);
    if (text == NULL) {
        api_problem(resp, ERR_INTERNAL, NULL);
        return U_CALLBACK_COMPLETE;
    }
    ulfius_set_binary_body_response(resp, 200, text, strlen(text));
    u_map_put(resp->map_header, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    free(text);
    return U_CALLBACK_COMPLETE;
}
