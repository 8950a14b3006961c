/*
 * resources.h - the handlers of each resource, registered by the route table
 * in server.c. The dispatcher calls each with the request's struct api_req
 * (the app, and the authenticated principal); a handler always completes
 * the response.
 */
#ifndef CAPA_RESOURCES_H
#define CAPA_RESOURCES_H

#include <ulfius.h>

#include "http.h"

#define API_HANDLER(name)                                                                          \
    int name(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)

/* http_cases.c */
API_HANDLER(api_case_create);
API_HANDLER(api_case_list);
API_HANDLER(api_case_get);
API_HANDLER(api_case_update);
API_HANDLER(api_case_transition);
API_HANDLER(api_case_transitions);
API_HANDLER(api_case_history);
API_HANDLER(api_case_verify);
/* http_records.c */
API_HANDLER(api_record_create);
API_HANDLER(api_record_list);
API_HANDLER(api_record_get);
API_HANDLER(api_record_update);
API_HANDLER(api_review_verdict);
API_HANDLER(api_root_cause_put);
API_HANDLER(api_link_remove);
API_HANDLER(api_evidence_add);
API_HANDLER(api_evidence_content);
API_HANDLER(api_actions_list);
API_HANDLER(api_controls_list);
/* http_events.c */
API_HANDLER(api_events_list);
API_HANDLER(api_metrics);
/* http_workflows.c */
API_HANDLER(api_workflow_list);
API_HANDLER(api_workflow_put);
/* http_health.c */
API_HANDLER(api_healthz);
API_HANDLER(api_readyz);
API_HANDLER(api_openapi);

#endif
