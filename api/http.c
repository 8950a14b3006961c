/* http.c - request parsing and responses shared by the resources (http.h). */
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "jsonshape.h"
#include "mem.h"
#include "query.h"

const char *const api_no_params[] = {NULL};

const char *
api_header(const struct _u_request *req, const char *name)
{
    return u_map_get_case(req->map_header, name);
}

const char *
api_path_segment(const struct _u_request *req, int n, char buf[API_ID_MAX])
{
    /* url_path is already percent-decoded by libmicrohttpd */
    const char *p = req->url_path ? req->url_path : "";
    buf[0] = '\0';
    for (int segment = 0; segment <= n; segment++) {
        if (*p != '/')
            return buf;
        p++;
        if (segment < n)
            p += strcspn(p, "/");
    }
    size_t len = strcspn(p, "/");
    if (len > 0 && len < API_ID_MAX) {
        memcpy(buf, p, len);
        buf[len] = '\0';
    }
    return buf;
}

const char *
api_path_id(const struct _u_request *req, char buf[API_ID_MAX])
{
    return api_path_segment(req, 2, buf); /* /v1/cases/<id>/... */
}

/* Whether the Content-Type's media type (before any ';') is media_type. */
static bool
media_type_is(const char *content_type, const char *media_type)
{
    size_t n = strlen(media_type);
    if (content_type == NULL || strncasecmp(content_type, media_type, n) != 0)
        return false;
    const char *rest = content_type + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

int
api_body_json(const struct _u_request *req, struct _u_response *resp, const struct app *app,
              const char *media_type, json_t **j_body)
{
    char detail[160];
    json_error_t error;

    *j_body = NULL;
    /* ulfius keeps at most max_body_bytes + 1 bytes: one more means too large */
    if (req->binary_body_length > (size_t)app->cfg.max_body_bytes) {
        snprintf(detail, sizeof detail, "the body must be at most %d bytes",
                 app->cfg.max_body_bytes);
        api_problem_detail(resp, ERR_TOO_LARGE, detail);
        return ERR_TOO_LARGE;
    }
    if (!media_type_is(api_header(req, "Content-Type"), media_type)) {
        snprintf(detail, sizeof detail, "the body must be %s", media_type);
        api_problem_detail(resp, ERR_UNSUPPORTED_MEDIA, detail);
        return ERR_UNSUPPORTED_MEDIA;
    }
    *j_body = json_loadb(req->binary_body ? req->binary_body : "", req->binary_body_length,
                         JSON_REJECT_DUPLICATES, &error);
    if (*j_body == NULL) {
        /* the position only: never echo the body back */
        snprintf(detail, sizeof detail, "the body is not valid JSON (line %d, column %d)",
                 error.line, error.column);
        api_problem_detail(resp, ERR_BAD_REQUEST, detail);
        return ERR_BAD_REQUEST;
    }
    if (jshape_check(*j_body, detail, sizeof detail) != ERR_OK) {
        json_decref(*j_body);
        *j_body = NULL;
        api_problem_detail(resp, ERR_BAD_REQUEST, detail);
        return ERR_BAD_REQUEST;
    }
    return ERR_OK;
}

int
api_query(const struct _u_request *req, struct _u_response *resp, const char *const *allowed,
          json_t **j_params)
{
    const char *q = req->http_url ? strchr(req->http_url, '?') : NULL;
    char detail[160];
    int rc = query_string_decode(q ? q + 1 : NULL, allowed, j_params, detail, sizeof detail);
    if (rc != ERR_OK)
        api_problem_detail(resp, rc, detail[0] ? detail : "cannot read the query string");
    return rc;
}

/*
 * Parse an entity tag naming a version: "N" (strong), N as the service writes
 * it. Returns -1 otherwise: tags compare character by character, so "01" is
 * not the tag of version 1.
 */
static int
etag_version(const char *s)
{
    char *end;
    while (*s == ' ')
        s++;
    if (*s != '"' || !isdigit((unsigned char)s[1]) || s[1] == '0')
        return -1;
    long v = strtol(s + 1, &end, 10);
    if (*end != '"' || v < 1 || v > 2147483647L)
        return -1;
    for (end++; *end == ' '; end++)
        ;
    return *end == '\0' ? (int)v : -1;
}

int
api_if_match(const struct _u_request *req, struct _u_response *resp, int *version)
{
    const char *h = api_header(req, "If-Match");
    if (h == NULL) {
        api_problem(resp, ERR_PRECONDITION_REQUIRED, NULL);
        return ERR_PRECONDITION_REQUIRED;
    }
    if ((*version = etag_version(h)) < 0) {
        api_problem_detail(resp, ERR_BAD_REQUEST,
                           "If-Match must be the single strong ETag of the version you read, "
                           "e.g. \"3\"");
        return ERR_BAD_REQUEST;
    }
    return ERR_OK;
}

bool
api_etag_matches(const struct _u_request *req, int version)
{
    const char *h = api_header(req, "If-None-Match");
    char *copy, *save = NULL;
    bool match = false;
    if (h == NULL)
        return false;
    if (strcmp(h, "*") == 0)
        return true;
    copy = mem_strdup(h);
    /* a list of tags; the weak comparison applies to If-None-Match */
    for (char *tag = strtok_r(copy, ",", &save); tag && !match; tag = strtok_r(NULL, ",", &save)) {
        while (*tag == ' ')
            tag++;
        if (strncmp(tag, "W/", 2) == 0)
            tag += 2;
        match = etag_version(tag) == version;
    }
    free(copy);
    return match;
}

void
api_set_etag(struct _u_response *resp, int version)
{
    char etag[24];
    snprintf(etag, sizeof etag, "\"%d\"", version);
    u_map_put(resp->map_header, "ETag", etag);
}

void
api_send_json(struct _u_response *resp, unsigned status, const json_t *j)
{
    if (j == NULL || ulfius_set_json_body_response(resp, status, j) != U_OK)
        api_problem(resp, ERR_INTERNAL, NULL);
}

void
api_answer_json(struct _u_response *resp, int rc, const json_t *j, const struct uc_status *st)
{
    if (rc != ERR_OK)
        api_problem(resp, rc, st);
    else
        api_send_json(resp, 200, j);
}

void
api_send_case(struct _u_response *resp, unsigned status, const struct case_record *c)
{
    json_t *j = case_to_json(c);
    api_send_json(resp, status, j);
    if (j != NULL)
        api_set_etag(resp, c->version);
    json_decref(j);
}

void
api_set_etag_of(struct _u_response *resp, const json_t *j)
{
    api_set_etag(resp, (int)json_integer_value(json_object_get(j, "version")));
}

void
api_call_init(struct api_call *c, const struct _u_request *req, struct _u_response *resp,
              const struct api_req *rq)
{
    *c = (struct api_call){.req = req, .resp = resp, .app = rq->app, .origin = &rq->origin};
    uc_status_init(&c->st);
    api_path_id(req, c->id);
    api_path_segment(req, 4, c->rid);
}

void
api_call_cleanup(struct api_call *c)
{
    uc_status_cleanup(&c->st);
    json_decref(c->j_params);
    json_decref(c->j_body);
    json_decref(c->j_out);
}

int
api_call_query(struct api_call *c, const char *const *allowed)
{
    return api_query(c->req, c->resp, allowed, &c->j_params);
}

int
api_call_body(struct api_call *c, const char *media_type)
{
    return api_body_json(c->req, c->resp, c->app, media_type, &c->j_body);
}

int
api_call_if_match(struct api_call *c)
{
    return api_if_match(c->req, c->resp, &c->version);
}

int
api_call_if_match_optional(struct api_call *c)
{
    if (api_header(c->req, "If-Match") == NULL)
        return ERR_OK;
    return api_if_match(c->req, c->resp, &c->version);
}

/* Idempotency-Key: 1 to 200 visible ASCII characters. */
static bool
idempotency_key_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

int
api_call_idempotency(struct api_call *c)
{
    const char *key = api_header(c->req, "Idempotency-Key");
    if (key != NULL && !idempotency_key_valid(key)) {
        api_problem_detail(c->resp, ERR_BAD_REQUEST,
                           "Idempotency-Key must be 1 to 200 visible ASCII characters");
        return ERR_BAD_REQUEST;
    }
    c->idempotency_key = key;
    return ERR_OK;
}

void
api_call_mark_replayed(struct api_call *c)
{
    if (c->replayed)
        u_map_put(c->resp->map_header, "Idempotent-Replayed", "true");
}

void
api_call_answer(struct api_call *c, int rc)
{
    api_answer_json(c->resp, rc, c->j_out, &c->st);
}

void
api_call_answer_versioned(struct api_call *c, int rc)
{
    api_answer_json(c->resp, rc, c->j_out, &c->st);
    if (rc == ERR_OK)
        api_set_etag_of(c->resp, c->j_out);
}
