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

static const char *const no_params[] = {NULL};

/* The kind named by the 4th path segment (/v1/cases/{id}/<segment>/...). */
static int
path_kind(const struct _u_request *req)
{
    char segment[API_ID_MAX];
    return rec_kind_from_segment(api_path_segment(req, 3, segment));
}

/* An optional If-Match: 0 when absent; 400 on a malformed one. */
static int
optional_if_match(const struct _u_request *req, struct _u_response *resp, int *version)
{
    *version = 0;
    if (api_header(req, "If-Match") == NULL)
        return ERR_OK;
    return api_if_match(req, resp, version);
}

/* 201 with Location for a created record. */
static void
send_created(const struct _u_request *req, struct _u_response *resp, const json_t *j_record)
{
    char location[256];
    const char *path = req->url_path ? req->url_path : "";
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    snprintf(location, sizeof location, "%.*s/%s", (int)n, path,
             json_string_value(json_object_get(j_record, "id")));
    api_send_json(resp, 201, j_record);
    u_map_put(resp->map_header, "Location", location);
    api_set_etag(resp, (int)json_integer_value(json_object_get(j_record, "version")));
}

int
api_record_create(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_body = NULL, *j_record = NULL;
    char id[API_ID_MAX];
    int kind = path_kind(req), if_match;

    uc_status_init(&st);
    if (kind < 0) {
        api_problem(resp, ERR_NOT_FOUND, NULL);
        goto out;
    }
    if (api_query(req, resp, no_params, &j_params) != ERR_OK ||
        optional_if_match(req, resp, &if_match) != ERR_OK ||
        api_body_json(req, resp, app, API_MEDIA_JSON, &j_body) != ERR_OK)
        goto out;
    int rc = uc_record_create(app, &api_anonymous, api_path_id(req, id), (enum rec_kind)kind,
                              j_body, if_match, &j_record, &st);
    if (rc != ERR_OK)
        api_problem(resp, rc, &st);
    else
        send_created(req, resp, j_record);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_body);
    json_decref(j_record);
    return U_CALLBACK_COMPLETE;
}

int
api_record_list(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_out = NULL;
    char id[API_ID_MAX];
    int kind = path_kind(req);

    uc_status_init(&st);
    if (kind < 0) {
        api_problem(resp, ERR_NOT_FOUND, NULL);
        goto out;
    }
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    int rc = uc_record_list(app, api_path_id(req, id), (enum rec_kind)kind, &j_out, &st);
    api_answer_json(resp, rc, j_out, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_out);
    return U_CALLBACK_COMPLETE;
}

int
api_record_get(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_record = NULL;
    char id[API_ID_MAX], rid[API_ID_MAX];
    int kind = path_kind(req);

    uc_status_init(&st);
    if (kind < 0) {
        api_problem(resp, ERR_NOT_FOUND, NULL);
        goto out;
    }
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    /* the root cause is one per case: no record id in its path */
    const char *record_id = kind == REC_ROOT_CAUSE ? NULL : api_path_segment(req, 4, rid);
    int rc =
        uc_record_get(app, api_path_id(req, id), (enum rec_kind)kind, record_id, &j_record, &st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &st);
        goto out;
    }
    api_send_json(resp, 200, j_record);
    api_set_etag(resp, (int)json_integer_value(json_object_get(j_record, "version")));
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_record);
    return U_CALLBACK_COMPLETE;
}

/* PATCH an action (merge patch, If-Match of the action required). */
int
api_record_update(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_body = NULL, *j_record = NULL;
    char id[API_ID_MAX], rid[API_ID_MAX];
    int kind = path_kind(req), version;

    uc_status_init(&st);
    if (kind != REC_ACTION) {
        api_problem(resp, ERR_NOT_FOUND, NULL);
        goto out;
    }
    if (api_query(req, resp, no_params, &j_params) != ERR_OK ||
        api_body_json(req, resp, app, API_MEDIA_MERGE_PATCH, &j_body) != ERR_OK ||
        api_if_match(req, resp, &version) != ERR_OK)
        goto out;
    int rc = uc_record_update(app, &api_anonymous, api_path_id(req, id), REC_ACTION,
                              api_path_segment(req, 4, rid), version, j_body, &j_record, &st);
    api_answer_json(resp, rc, j_record, &st);
    if (rc == ERR_OK)
        api_set_etag(resp, (int)json_integer_value(json_object_get(j_record, "version")));
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_body);
    json_decref(j_record);
    return U_CALLBACK_COMPLETE;
}

/* POST /v1/cases/{id}/reviews/{rid}/verdict (If-Match of the review optional). */
int
api_review_verdict(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_body = NULL, *j_record = NULL;
    char id[API_ID_MAX], rid[API_ID_MAX];
    int version;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK ||
        optional_if_match(req, resp, &version) != ERR_OK ||
        api_body_json(req, resp, app, API_MEDIA_JSON, &j_body) != ERR_OK)
        goto out;
    int rc = uc_record_update(app, &api_anonymous, api_path_id(req, id), REC_REVIEW,
                              api_path_segment(req, 4, rid), version, j_body, &j_record, &st);
    api_answer_json(resp, rc, j_record, &st);
    if (rc == ERR_OK)
        api_set_etag(resp, (int)json_integer_value(json_object_get(j_record, "version")));
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_body);
    json_decref(j_record);
    return U_CALLBACK_COMPLETE;
}

/* PUT /v1/cases/{id}/root-cause: the analysis, created or revised (If-Match optional). */
int
api_root_cause_put(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_body = NULL, *j_record = NULL;
    char id[API_ID_MAX];
    int version;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK ||
        optional_if_match(req, resp, &version) != ERR_OK ||
        api_body_json(req, resp, app, API_MEDIA_JSON, &j_body) != ERR_OK)
        goto out;
    int rc = uc_root_cause_put(app, &api_anonymous, api_path_id(req, id), j_body, version,
                               &j_record, &st);
    api_answer_json(resp, rc, j_record, &st);
    if (rc == ERR_OK)
        api_set_etag(resp, (int)json_integer_value(json_object_get(j_record, "version")));
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_body);
    json_decref(j_record);
    return U_CALLBACK_COMPLETE;
}

int
api_link_remove(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL;
    char id[API_ID_MAX], rid[API_ID_MAX];

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    int rc = uc_link_remove(app, &api_anonymous, api_path_id(req, id),
                            api_path_segment(req, 4, rid), &st);
    if (rc != ERR_OK)
        api_problem(resp, rc, &st);
    else
        resp->status = 204;
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    return U_CALLBACK_COMPLETE;
}

/* POST /v1/cases/{id}/evidence?filename=...[&supersedes=...]: the raw file as the body. */
int
api_evidence_add(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    static const char *const params[] = {"filename", "supersedes", NULL};
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_record = NULL;
    char id[API_ID_MAX], detail[128];
    int if_match;

    uc_status_init(&st);
    if (api_query(req, resp, params, &j_params) != ERR_OK ||
        optional_if_match(req, resp, &if_match) != ERR_OK)
        goto out;
    if (req->binary_body_length > (size_t)app->cfg.evidence_max_bytes) {
        snprintf(detail, sizeof detail, "an evidence file must be at most %d bytes",
                 app->cfg.evidence_max_bytes);
        api_problem_detail(resp, ERR_TOO_LARGE, detail);
        goto out;
    }
    const char *media_type = api_header(req, "Content-Type");
    const char *filename = json_string_value(json_object_get(j_params, "filename"));
    if (media_type == NULL || filename == NULL) {
        api_problem_detail(resp, ERR_BAD_REQUEST,
                           "send the file as the body with its Content-Type, and its name as "
                           "?filename=");
        goto out;
    }
    int rc = uc_evidence_add(app, &api_anonymous, api_path_id(req, id), filename, media_type,
                             req->binary_body ? req->binary_body : "", req->binary_body_length,
                             json_string_value(json_object_get(j_params, "supersedes")), if_match,
                             &j_record, &st);
    if (rc != ERR_OK)
        api_problem(resp, rc, &st);
    else
        send_created(req, resp, j_record);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_record);
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
api_evidence_content(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_record = NULL;
    void *bytes = NULL;
    size_t len = 0;
    char id[API_ID_MAX], rid[API_ID_MAX], etag[80], disposition[1024], name[800];

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    int rc = uc_evidence_content(app, api_path_id(req, id), api_path_segment(req, 4, rid), &bytes,
                                 &len, &j_record, &st);
    if (rc != ERR_OK) {
        api_problem(resp, rc, &st);
        goto out;
    }
    /* the ETag is the content's SHA-256: it never changes */
    snprintf(etag, sizeof etag, "\"%s\"", json_string_value(json_object_get(j_record, "sha256")));
    const char *inm = api_header(req, "If-None-Match");
    if (inm != NULL && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) {
        resp->status = 304;
        u_map_put(resp->map_header, "ETag", etag);
        goto out;
    }
    encode_filename(json_string_value(json_object_get(j_record, "filename")), name, sizeof name);
    snprintf(disposition, sizeof disposition, "attachment; filename*=UTF-8''%s", name);
    ulfius_set_binary_body_response(resp, 200, bytes, len);
    u_map_put(resp->map_header, "Content-Type",
              json_string_value(json_object_get(j_record, "media_type")));
    u_map_put(resp->map_header, "ETag", etag);
    u_map_put(resp->map_header, "Content-Disposition", disposition);
    u_map_put(resp->map_header, "X-Content-Type-Options", "nosniff");
out:
    free(bytes);
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_record);
    return U_CALLBACK_COMPLETE;
}

int
api_actions_list(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_page = NULL;

    uc_status_init(&st);
    if (api_query(req, resp, NULL, &j_params) != ERR_OK)
        goto out;
    int rc = uc_actions_list(app, j_params, &j_page, &st);
    api_answer_json(resp, rc, j_page, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_page);
    return U_CALLBACK_COMPLETE;
}

int
api_controls_list(const struct _u_request *req, struct _u_response *resp, void *arg)
{
    struct app *app = arg;
    struct uc_status st;
    json_t *j_params = NULL, *j_out = NULL;

    uc_status_init(&st);
    if (api_query(req, resp, no_params, &j_params) != ERR_OK)
        goto out;
    int rc = uc_controls_list(app, &j_out, &st);
    api_answer_json(resp, rc, j_out, &st);
out:
    uc_status_cleanup(&st);
    json_decref(j_params);
    json_decref(j_out);
    return U_CALLBACK_COMPLETE;
}
