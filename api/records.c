/*
 * records.c - HTTP handlers of the records beneath a case:
 *   /v1/cases/{id}/{corrections|actions|reviews|isms-changes|links|comments|approvals}[/{rid}]
 *   /v1/cases/{id}/root-cause, /v1/cases/{id}/reviews/{rid}/verdict,
 *   /v1/cases/{id}/evidence[/{rid}[/content]], /v1/actions, /v1/controls.
 * The kind comes from the path segment after the case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "resources.h"

/* The kind named by the 4th path segment (/v1/cases/{id}/<segment>/...). */
static int
path_kind(const struct _u_request *req)
{
    char segment[API_ID_MAX];
    return rec_kind_from_segment(api_path_segment(req, 3, segment));
}

/*
 * A write's request: no query parameters, an optional If-Match, an optional
 * Idempotency-Key (POSTs), then a JSON body.
 */
static int
read_write(struct api_call *c)
{
    int rc = api_call_query(c, api_no_params);
    if (rc == ERR_OK)
        rc = api_call_if_match_optional(c);
    if (rc == ERR_OK && strcmp(c->req->http_verb, "POST") == 0)
        rc = api_call_idempotency(c);
    if (rc == ERR_OK)
        rc = api_call_body(c, API_MEDIA_JSON);
    return rc;
}

/* A created record (c->j_out) with 201, its Location and ETag; the problem of rc otherwise. */
static void
answer_created(struct api_call *c, int rc)
{
    char location[256];
    const char *path = c->req->url_path ? c->req->url_path : "";
    size_t n = strlen(path);

    if (rc != ERR_OK) {
        api_problem(c->resp, rc, &c->st);
        return;
    }
    while (n > 0 && path[n - 1] == '/')
        n--;
    snprintf(location, sizeof location, "%.*s/%s", (int)n, path,
             json_string_value(json_object_get(c->j_out, "id")));
    api_send_json(c->resp, 201, c->j_out);
    u_map_put(c->resp->map_header, "Location", location);
    api_set_etag_of(c->resp, c->j_out);
    api_call_mark_replayed(c);
}

int
api_record_create(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;
    int kind = path_kind(req);

    api_call_init(&c, req, resp, rq);
    if (kind < 0)
        api_problem(resp, ERR_NOT_FOUND, NULL);
    else if (read_write(&c) == ERR_OK)
        answer_created(&c, uc_record_create(c.app, c.origin, c.id, (enum rec_kind)kind, c.j_body,
                                            c.version, c.idempotency_key, &c.j_out, &c.replayed,
                                            &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* GET a list of a case's records, of one cycle with ?cycle=. */
int
api_record_list(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    static const char *const params[] = {"cycle", NULL};
    struct api_call c;
    int kind = path_kind(req);
    long cycle = 0;

    api_call_init(&c, req, resp, rq);
    if (kind < 0) {
        api_problem(resp, ERR_NOT_FOUND, NULL);
        goto out;
    }
    if (api_call_query(&c, params) != ERR_OK)
        goto out;
    const char *text = json_string_value(json_object_get(c.j_params, "cycle"));
    if (text != NULL && !case_query_int(text, 1, 1000000, &cycle)) {
        case_error_add(c.st.j_errors, "cycle", "invalid", "must be an integer from 1 to 1000000");
        snprintf(c.st.detail, sizeof c.st.detail, "see errors for each query parameter");
        api_problem(resp, ERR_BAD_REQUEST, &c.st);
        goto out;
    }
    api_call_answer(&c,
                    uc_record_list(c.app, c.id, (enum rec_kind)kind, (int)cycle, &c.j_out, &c.st));
out:
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_record_get(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;
    int kind = path_kind(req);

    api_call_init(&c, req, resp, rq);
    /* the root cause is one per case: no record id in its path */
    const char *record_id = kind == REC_ROOT_CAUSE ? NULL : c.rid;
    if (kind < 0)
        api_problem(resp, ERR_NOT_FOUND, NULL);
    else if (api_call_query(&c, api_no_params) == ERR_OK)
        api_call_answer_versioned(
            &c, uc_record_get(c.app, c.id, (enum rec_kind)kind, record_id, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* PATCH an action (merge patch, If-Match of the action required). */
int
api_record_update(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (path_kind(req) != REC_ACTION) {
        api_problem(resp, ERR_NOT_FOUND, NULL);
        goto out;
    }
    if (api_call_query(&c, api_no_params) != ERR_OK ||
        api_call_body(&c, API_MEDIA_MERGE_PATCH) != ERR_OK || api_call_if_match(&c) != ERR_OK)
        goto out;
    api_call_answer_versioned(&c,
                              uc_record_update(c.app, c.origin, c.id, REC_ACTION, c.rid, c.version,
                                               c.j_body, NULL, &c.j_out, &c.replayed, &c.st));
out:
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* POST /v1/cases/{id}/reviews/{rid}/verdict (If-Match of the review optional). */
int
api_review_verdict(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (read_write(&c) == ERR_OK) {
        api_call_answer_versioned(&c, uc_record_update(c.app, c.origin, c.id, REC_REVIEW, c.rid,
                                                       c.version, c.j_body, c.idempotency_key,
                                                       &c.j_out, &c.replayed, &c.st));
        api_call_mark_replayed(&c);
    }
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* PUT /v1/cases/{id}/root-cause: the analysis, created or revised (If-Match optional). */
int
api_root_cause_put(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (read_write(&c) == ERR_OK)
        api_call_answer_versioned(
            &c, uc_root_cause_put(c.app, c.origin, c.id, c.j_body, c.version, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_link_remove(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) != ERR_OK)
        goto out;
    int rc = uc_link_remove(c.app, c.origin, c.id, c.rid, &c.st);
    if (rc != ERR_OK)
        api_problem(resp, rc, &c.st);
    else
        resp->status = 204;
out:
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* POST /v1/cases/{id}/evidence?filename=...[&supersedes=...]: the raw file as the body. */
int
api_evidence_add(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    static const char *const params[] = {"filename", "supersedes", NULL};
    struct api_call c;
    char detail[128];

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, params) != ERR_OK || api_call_if_match_optional(&c) != ERR_OK ||
        api_call_idempotency(&c) != ERR_OK)
        goto out;
    if (req->binary_body_length > (size_t)c.app->cfg.evidence_max_bytes) {
        snprintf(detail, sizeof detail, "an evidence file must be at most %d bytes",
                 c.app->cfg.evidence_max_bytes);
        api_problem_detail(resp, ERR_TOO_LARGE, detail);
        goto out;
    }
    const char *media_type = api_header(req, "Content-Type");
    const char *filename = json_string_value(json_object_get(c.j_params, "filename"));
    const char *supersedes = json_string_value(json_object_get(c.j_params, "supersedes"));
    if (media_type == NULL || filename == NULL) {
        api_problem_detail(resp, ERR_BAD_REQUEST,
                           "send the file as the body with its Content-Type, and its name as "
                           "?filename=");
        goto out;
    }
    answer_created(&c, uc_evidence_add(c.app, c.origin, c.id, filename, media_type,
                                       req->binary_body ? req->binary_body : "",
                                       req->binary_body_length, supersedes, c.version,
                                       c.idempotency_key, &c.j_out, &c.replayed, &c.st));
out:
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* Percent-encode a filename for Content-Disposition's filename* (RFC 8187). */
static void
encode_filename(const char *s, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '_') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

int
api_evidence_content(const struct _u_request *req, struct _u_response *resp,
                     const struct api_req *rq)
{
    struct api_call c;
    void *bytes = NULL;
    size_t len = 0;
    char etag[80], disposition[1024], name[800];

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) != ERR_OK)
        goto out;
    int rc = uc_evidence_content(c.app, c.id, c.rid, &bytes, &len, &c.j_out, &c.st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &c.st);
        goto out;
    }
    /* the ETag is the content's SHA-256: it never changes */
    snprintf(etag, sizeof etag, "\"%s\"", json_string_value(json_object_get(c.j_out, "sha256")));
    const char *inm = api_header(req, "If-None-Match");
    if (inm != NULL && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) {
        resp->status = 304;
        u_map_put(resp->map_header, "ETag", etag);
        goto out;
    }
    encode_filename(json_string_value(json_object_get(c.j_out, "filename")), name, sizeof name);
    snprintf(disposition, sizeof disposition, "attachment; filename*=UTF-8''%s", name);
    ulfius_set_binary_body_response(resp, 200, bytes, len);
    u_map_put(resp->map_header, "Content-Type",
              json_string_value(json_object_get(c.j_out, "media_type")));
    u_map_put(resp->map_header, "ETag", etag);
    u_map_put(resp->map_header, "Content-Disposition", disposition);
    u_map_put(resp->map_header, "X-Content-Type-Options", "nosniff");
out:
    free(bytes);
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_actions_list(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, NULL) == ERR_OK)
        api_call_answer(&c, uc_actions_list(c.app, c.j_params, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_controls_list(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, api_no_params) == ERR_OK)
        api_call_answer(&c, uc_controls_list(c.app, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}
