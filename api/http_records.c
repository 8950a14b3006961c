/*
 * http_records.c - HTTP handlers of the records beneath a case:
 *   /v1/cases/{id}/{corrections|actions|reviews|isms-changes|links|comments|approvals}[/{rid}]
 *   /v1/cases/{id}/root-cause, /v1/cases/{id}/reviews/{rid}/verdict,
 *   /v1/cases/{id}/evidence[/{rid}[/content]], /v1/actions, /v1/controls.
 * The kind is the route's (routes.c), in rq->kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "field.h"
#include "http.h"
#include "resources.h"
#include "sha256.h"
#include "upload.h"

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

    api_call_init(&c, req, resp, rq);
    if (read_write(&c) == ERR_OK)
        answer_created(&c, uc_record_create(c.app, c.origin, c.id, (enum rec_kind)rq->kind,
                                            c.j_body, c.version, c.idempotency_key, &c.j_out,
                                            &c.replayed, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* GET a list of a case's records, of one cycle with ?cycle=. */
int
api_record_list(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    static const char *const params[] = {"cycle", NULL};
    struct api_call c;
    long cycle = 0;

    api_call_init(&c, req, resp, rq);
    if (api_call_query(&c, params) != ERR_OK)
        goto out;
    const char *text = json_string_value(json_object_get(c.j_params, "cycle"));
    if (text != NULL && !case_query_int(text, 1, 1000000, &cycle)) {
        field_error_add(c.st.j_errors, "cycle", "invalid", "must be an integer from 1 to 1000000");
        snprintf(c.st.detail, sizeof c.st.detail, "see errors for each query parameter");
        api_problem(resp, ERR_BAD_REQUEST, &c.st);
        goto out;
    }
    api_call_answer(
        &c, uc_record_list(c.app, c.id, (enum rec_kind)rq->kind, (int)cycle, &c.j_out, &c.st));
out:
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

int
api_record_get(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
    /* the root cause is one per case: no record id in its path */
    const char *record_id = rq->kind == REC_ROOT_CAUSE ? NULL : c.rid;
    if (api_call_query(&c, api_no_params) == ERR_OK)
        api_call_answer_versioned(
            &c, uc_record_get(c.app, c.id, (enum rec_kind)rq->kind, record_id, &c.j_out, &c.st));
    api_call_cleanup(&c);
    return U_CALLBACK_COMPLETE;
}

/* PATCH an action (merge patch, If-Match of the action required). */
int
api_record_update(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    struct api_call c;

    api_call_init(&c, req, resp, rq);
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

/* The file of an evidence upload, as the client sent it (points into the request). */
struct upload_file {
    const void *bytes;
    size_t len;
    const char *name; /* the filename given (the buffer, or ?filename=), NULL: none */
    char filename[UPLOAD_NAME_MAX + 1];
    char media_type[UPLOAD_MEDIA_TYPE_MAX + 1];
    char supersedes[API_ID_MAX];
};

/*
 * multipart/form-data (curl -F file=@report.pdf): exactly one part with a
 * filename is the file, its bytes, name and media type (a file part without
 * one is application/octet-stream); a "supersedes" field may come beside it.
 */
static int
multipart_file(struct api_call *c, const char *boundary, struct upload_file *f)
{
    struct upload_part parts[8];
    char detail[192];
    int n = 0, files = 0;

    if (upload_multipart_parse(c->req->binary_body, c->req->binary_body_length, boundary, parts, 8,
                               &n, detail, sizeof detail) != ERR_OK) {
        char text[256];
        snprintf(text, sizeof text, "the multipart/form-data body is malformed: %s", detail);
        api_problem_detail(c->resp, ERR_BAD_REQUEST, text);
        return ERR_BAD_REQUEST;
    }
    for (int i = 0; i < n; i++) {
        const struct upload_part *p = &parts[i];
        if (p->has_filename) {
            f->name = f->filename;
            f->bytes = p->data;
            f->len = p->len;
            snprintf(f->filename, sizeof f->filename, "%s", p->filename);
            snprintf(f->media_type, sizeof f->media_type, "%s",
                     p->media_type[0] ? p->media_type : "application/octet-stream");
            files++;
        } else if (strcmp(p->name, "supersedes") == 0 && p->len < sizeof f->supersedes) {
            snprintf(f->supersedes, sizeof f->supersedes, "%.*s", (int)p->len,
                     (const char *)p->data);
        } else {
            field_error_add(c->st.j_errors, p->name, "unknown",
                            "is not a part of an evidence upload: send one file, and "
                            "optionally supersedes");
        }
    }
    if (files != 1)
        field_error_add(c->st.j_errors, "file", files ? "too_many" : "required",
                        "an evidence upload has exactly one file part");
    if (json_array_size(c->st.j_errors) > 0) {
        api_problem(c->resp, ERR_INVALID, &c->st);
        return ERR_INVALID;
    }
    return ERR_OK;
}

/* A raw body: the file itself, its media type the Content-Type, its name Content-Disposition's. */
static int
raw_file(struct api_call *c, const char *content_type, struct upload_file *f)
{
    const char *disposition = api_header(c->req, "Content-Disposition");
    f->bytes = c->req->binary_body ? c->req->binary_body : "";
    f->len = c->req->binary_body_length;
    snprintf(f->media_type, sizeof f->media_type, "%s", content_type ? content_type : "");
    int rc = upload_disposition_filename(disposition, f->filename, sizeof f->filename);
    f->name = rc == ERR_OK ? f->filename : NULL;
    if (rc == ERR_INVALID) {
        api_problem_detail(c->resp, ERR_BAD_REQUEST,
                           "Content-Disposition is malformed (RFC 6266), or its filename is not "
                           "printable UTF-8 of at most 255 bytes");
        return ERR_BAD_REQUEST;
    }
    return ERR_OK;
}

/*
 * Content-Digest and Repr-Digest (RFC 9530) with a sha-256 member say what
 * the request body hashes to: a body that hashes otherwise was damaged on its
 * way, and is refused. Other algorithms are not checked.
 */
static int
check_digests(struct api_call *c)
{
    static const char *const fields[] = {"Content-Digest", "Repr-Digest"};
    unsigned char want[UPLOAD_SHA256_LEN];
    char got[CHAIN_HEX_LEN], want_hex[CHAIN_HEX_LEN], detail[256];

    for (size_t i = 0; i < 2; i++) {
        int rc = upload_digest_sha256(api_header(c->req, fields[i]), want);
        if (rc == ERR_NOT_FOUND)
            continue;
        if (rc != ERR_OK) {
            snprintf(detail, sizeof detail,
                     "%s is not a dictionary of digests (RFC 9530) with a sha-256 of 32 bytes",
                     fields[i]);
            api_problem_detail(c->resp, ERR_BAD_REQUEST, detail);
            return ERR_BAD_REQUEST;
        }
        for (int k = 0; k < UPLOAD_SHA256_LEN; k++)
            snprintf(want_hex + 2 * k, 3, "%02x", want[k]);
        if (sha256_hex(c->req->binary_body ? c->req->binary_body : "", c->req->binary_body_length,
                       got) != ERR_OK) {
            api_problem(c->resp, ERR_INTERNAL, NULL);
            return ERR_INTERNAL;
        }
        if (strcmp(got, want_hex) != 0) {
            snprintf(detail, sizeof detail,
                     "the body's sha-256 is %.64s, not the %.64s it says: nothing was stored", got,
                     want_hex);
            field_error_add(c->st.j_errors, fields[i], "mismatch", detail);
            api_problem(c->resp, ERR_INVALID, &c->st);
            return ERR_INVALID;
        }
    }
    return ERR_OK;
}

/*
 * POST /v1/cases/{id}/evidence: the file as multipart/form-data (one file
 * part), or as the raw body with its Content-Type; its name from the part,
 * Content-Disposition or ?filename= (which wins); ?supersedes= names the
 * evidence it replaces. An empty file, or a body whose digest differs from
 * the one sent, is refused.
 */
int
api_evidence_add(const struct _u_request *req, struct _u_response *resp, const struct api_req *rq)
{
    static const char *const params[] = {"filename", "supersedes", NULL};
    struct api_call c;
    struct upload_file f = {0};
    char detail[128], boundary[UPLOAD_BOUNDARY_MAX + 1];

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
    if (check_digests(&c) != ERR_OK)
        goto out;
    const char *content_type = api_header(req, "Content-Type");
    int rc = upload_multipart_boundary(content_type, boundary);
    if (rc == ERR_INVALID) {
        api_problem_detail(resp, ERR_BAD_REQUEST,
                           "a multipart/form-data Content-Type needs a boundary (RFC 2046)");
        goto out;
    }
    if ((rc == ERR_OK ? multipart_file(&c, boundary, &f) : raw_file(&c, content_type, &f)) !=
        ERR_OK)
        goto out;
    const char *filename = json_string_value(json_object_get(c.j_params, "filename"));
    const char *supersedes = json_string_value(json_object_get(c.j_params, "supersedes"));
    if (filename != NULL) /* as given, whatever its length: the use case judges it */
        f.name = filename;
    if (f.media_type[0] == '\0' || f.name == NULL) {
        api_problem_detail(resp, ERR_BAD_REQUEST,
                           "send the file as multipart/form-data (curl -F file=@name), or as the "
                           "body with its Content-Type and its name in Content-Disposition or "
                           "?filename=");
        goto out;
    }
    if (f.len == 0) {
        field_error_add(c.st.j_errors, "file", "empty", "an evidence file must not be empty");
        api_problem(resp, ERR_INVALID, &c.st);
        goto out;
    }
    answer_created(&c, uc_evidence_add(c.app, c.origin, c.id, f.name, f.media_type, f.bytes, f.len,
                                       supersedes        ? supersedes
                                       : f.supersedes[0] ? f.supersedes
                                                         : NULL,
                                       c.version, c.idempotency_key, &c.j_out, &c.replayed, &c.st));
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
