/*
 * http.h - request parsing and responses shared by the resource files.
 *
 *   api_body_json   a JSON request body of an expected media type (400/413/415)
 *   api_query       query parameters as a JSON object of strings (400)
 *   api_if_match    the version an If-Match names (400/428)
 *   api_etag_matches  whether If-None-Match names a version
 *   api_send_json   200-style JSON response (the body is borrowed)
 *   api_send_case   a case with its ETag
 *   api_problem     an RFC 9457 problem for an error (problem.c)
 *   api_call_*      one handler's request: its parsed pieces, status and answer
 *
 * All of them leave the response complete on error: the handler then just
 * returns U_CALLBACK_COMPLETE.
 */
#ifndef CAPA_HTTP_H
#define CAPA_HTTP_H

#include <jansson.h>
#include <ulfius.h>

#include "app.h"
#include "case.h"
#include "usecase.h"

#define API_MEDIA_JSON "application/json"
#define API_MEDIA_MERGE_PATCH "application/merge-patch+json"

/*
 * Parse the body as JSON after checking its size and Content-Type (media
 * type only, parameters ignored). On error the problem is set on resp and
 * an error returned. *j_body is a new reference on success.
 */
int api_body_json(const struct _u_request *req, struct _u_response *resp, const struct app *app,
                  const char *media_type, json_t **j_body);

/*
 * Decode the query string. Names outside allowed (NULL-terminated; NULL
 * allows any), repeated names, bad percent-encoding, control characters and
 * invalid UTF-8 are 400. *j_params is a new reference on success.
 */
int api_query(const struct _u_request *req, struct _u_response *resp, const char *const *allowed,
              json_t **j_params);

/* A header value (case-insensitive name), or NULL. */
const char *api_header(const struct _u_request *req, const char *name);

/* The version named by If-Match: 428 when absent, 400 when malformed. */
int api_if_match(const struct _u_request *req, struct _u_response *resp, int *version);

/* Whether If-None-Match names the given version (or is "*"). */
bool api_etag_matches(const struct _u_request *req, int version);

void api_set_etag(struct _u_response *resp, int version);
void api_send_json(struct _u_response *resp, unsigned status, const json_t *j);
/* The case as JSON with ETag; 500 problem if it cannot be encoded. */
void api_send_case(struct _u_response *resp, unsigned status, const struct case_record *c);

/* A use case's outcome: j with status 200 when rc is 0, the problem of rc otherwise. */
void api_answer_json(struct _u_response *resp, int rc, const json_t *j, const struct uc_status *st);

/* Problem responses (problem.c). st may be NULL. */
void api_problem(struct _u_response *resp, int err, const struct uc_status *st);
void api_problem_detail(struct _u_response *resp, int err, const char *detail);

/*
 * The case id or key in /v1/cases/{id}[/...], read from the request path
 * itself (ulfius 2.7 fills no path parameters here, and would merge a query
 * parameter of the same name into one). Returns buf, "" when the segment is
 * missing or longer than API_ID_MAX - 1.
 */
#define API_ID_MAX 64
const char *api_path_id(const struct _u_request *req, char buf[API_ID_MAX]);
/* Segment n (0-based: "v1" is 0) of the request path, "" when missing or too long. */
const char *api_path_segment(const struct _u_request *req, int n, char buf[API_ID_MAX]);

/*
 * What the dispatcher hands a handler: the app, and where the request comes
 * from: who is calling (origin.who, NULL on the public routes: health,
 * readiness, public metrics) and its trace context, for the write use cases.
 */
struct api_req {
    struct app *app;
    struct uc_origin origin;
    int kind; /* the record kind of the route (enum rec_kind), -1 when it is about none */
};

/* The allowed list of an endpoint without query parameters. */
extern const char *const api_no_params[];

/*
 * One request as a handler sees it: the pieces parsed so far, the use
 * case's status and its JSON answer. The j_ members are owned by the call.
 */
struct api_call {
    const struct _u_request *req;   /* borrowed */
    struct _u_response *resp;       /* borrowed */
    struct app *app;                /* borrowed */
    const struct uc_origin *origin; /* borrowed: the caller and the trace context */
    struct uc_status st;            /* the use case's problem, if any */
    json_t *j_params;               /* the query (api_call_query) */
    json_t *j_body;                 /* the body (api_call_body) */
    json_t *j_out;                  /* the use case's answer, for the handler to fill */
    int version;                    /* If-Match (api_call_if_match*), 0 when absent */
    const char *idempotency_key;    /* Idempotency-Key (api_call_idempotency), NULL: none */
    bool replayed;                  /* the use case answered a retry of an earlier request */
    char id[API_ID_MAX];            /* path segment 2: a case id or key, a workflow kind */
    char rid[API_ID_MAX];           /* path segment 4: a record id */
};

/*
 * Start a call: borrow req, resp, the app and the caller, read the path ids, start the
 * status. Cannot fail: api_call_cleanup is safe from then on.
 */
void api_call_init(struct api_call *c, const struct _u_request *req, struct _u_response *resp,
                   const struct api_req *rq);
/* Release the status and every j_ member, however far the handler got. */
void api_call_cleanup(struct api_call *c);

/*
 * The parsing steps: api_query, api_body_json and api_if_match into c (the
 * optional one accepts an absent If-Match). On error the problem is set on
 * c->resp and the error returned.
 */
int api_call_query(struct api_call *c, const char *const *allowed);
int api_call_body(struct api_call *c, const char *media_type);
int api_call_if_match(struct api_call *c);
int api_call_if_match_optional(struct api_call *c);
/* The Idempotency-Key header: 1 to 200 visible ASCII characters (400 otherwise), or none. */
int api_call_idempotency(struct api_call *c);
/* After a successful write: Idempotent-Replayed: true when c->replayed. */
void api_call_mark_replayed(struct api_call *c);

/* api_answer_json of c->j_out; the versioned one adds its "version" as the ETag on success. */
void api_call_answer(struct api_call *c, int rc);
void api_call_answer_versioned(struct api_call *c, int rc);

/* The ETag of a JSON object's "version" member. */
void api_set_etag_of(struct _u_response *resp, const json_t *j);

#endif
