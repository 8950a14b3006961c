/* testlib.c - assertions and requests shared by the integration tests (testlib.h). */
#include "testlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <cmocka.h>

const char *
tl_str(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

json_int_t
tl_int(const json_t *j, const char *key)
{
    return json_integer_value(json_object_get(j, key));
}

void
tl_assert_problem(const struct http_resp *r, long status, const char *slug)
{
    char type[128];
    snprintf(type, sizeof type, "https://capa.example.org/problems/%s", slug);
    if (r->status != status || r->j == NULL || tl_str(r->j, "type") == NULL ||
        strcmp(tl_str(r->j, "type"), type) != 0)
        fail_msg("expected %ld %s, got %ld %s", status, slug, r->status, r->body);
    assert_string_equal(r->content_type, "application/problem+json");
    assert_int_equal(tl_int(r->j, "status"), status);
    assert_non_null(tl_str(r->j, "detail"));
}

bool
tl_has_field_error(const json_t *j_problem, const char *field, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(j_problem, "errors"), i, e)
    {
        if (strcmp(tl_str(e, "field"), field) == 0 && strcmp(tl_str(e, "code"), code) == 0)
            return true;
    }
    return false;
}

void
tl_assert_field_error(const struct http_resp *r, const char *field, const char *code)
{
    tl_assert_problem(r, 422, "validation");
    if (!tl_has_field_error(r->j, field, code))
        fail_msg("expected error %s/%s in %s", field, code, r->body);
}

void
tl_as(struct harness *h, const char *cred)
{
    snprintf(h->bearer, sizeof h->bearer, "%s", cred ? cred : h->key);
}

void
tl_create_case(struct harness *h, const char *body, char id[37])
{
    struct http_resp r;
    if (http_json(h, "POST", "/v1/cases", NULL, body, &r) != 201)
        fail_msg("POST /v1/cases %s: %ld %s", body, r.status, r.body);
    snprintf(id, 37, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
}

json_t *
tl_case(const struct harness *h, const char *id)
{
    struct http_resp r;
    char path[128];
    snprintf(path, sizeof path, "/v1/cases/%s", id);
    if (http_json(h, "GET", path, NULL, NULL, &r) != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.j);
    http_resp_cleanup(&r);
    return j;
}

int
tl_case_version(const struct harness *h, const char *id)
{
    json_t *j = tl_case(h, id);
    int v = (int)tl_int(j, "version");
    json_decref(j);
    return v;
}

long
tl_post(const struct harness *h, const char *path, const char *body, const char *const *extra,
        struct http_resp *r)
{
    return http_json_with(h, "POST", path, NULL, body, extra, r);
}

char *
tl_post_ok(const struct harness *h, const char *case_id, const char *segment, const char *body)
{
    struct http_resp r;
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/%s", case_id, segment);
    if (tl_post(h, path, body, NULL, &r) != 201)
        fail_msg("POST %s %s: %ld %s", path, body, r.status, r.body);
    char *id = strdup(tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    return id;
}

long
tl_move(const struct harness *h, const char *case_id, const char *to, const char *comment,
        struct http_resp *r)
{
    char path[128], etag[24];
    json_t *j = json_pack("{s:s, s:s?}", "to", to, "comment", comment);
    char *body = json_dumps(j, JSON_COMPACT);
    snprintf(path, sizeof path, "/v1/cases/%s/transitions", case_id);
    snprintf(etag, sizeof etag, "\"%d\"", tl_case_version(h, case_id));
    long status = http_json(h, "POST", path, etag, body, r);
    free(body);
    json_decref(j);
    return status;
}

void
tl_move_ok(const struct harness *h, const char *case_id, const char *to)
{
    struct http_resp r;
    if (tl_move(h, case_id, to, NULL, &r) != 200)
        fail_msg("moving %s to %s: %ld %s", case_id, to, r.status, r.body);
    assert_string_equal(tl_str(r.j, "status"), to);
    http_resp_cleanup(&r);
}

void
tl_move_refused(const struct harness *h, const char *case_id, const char *to,
                const char *const *guards)
{
    struct http_resp r;
    size_t n = 0, i;
    json_t *e;
    if (tl_move(h, case_id, to, NULL, &r) != 409)
        fail_msg("moving %s to %s should be refused: %ld %s", case_id, to, r.status, r.body);
    tl_assert_problem(&r, 409, "transition-not-allowed");
    assert_string_equal(tl_str(r.j, "requested"), to);
    json_t *j_unmet = json_object_get(r.j, "unmet_guards");
    while (guards[n])
        n++;
    if (json_array_size(j_unmet) != n)
        fail_msg("moving to %s: expected %zu unmet guards, got %s", to, n, r.body);
    for (size_t g = 0; g < n; g++) {
        bool found = false;
        json_array_foreach(j_unmet, i, e) found =
            found || strcmp(tl_str(e, "guard"), guards[g]) == 0;
        if (!found)
            fail_msg("moving to %s: guard %s not named in %s", to, guards[g], r.body);
    }
    http_resp_cleanup(&r);
}

void
tl_patch_action_ok(const struct harness *h, const char *case_id, const char *action_id,
                   const char *patch)
{
    struct http_resp g, r;
    char path[200], etag[sizeof g.etag];
    snprintf(path, sizeof path, "/v1/cases/%s/actions/%s", case_id, action_id);
    assert_int_equal(http_json(h, "GET", path, NULL, NULL, &g), 200);
    snprintf(etag, sizeof etag, "%s", g.etag);
    http_resp_cleanup(&g);
    if (http_json(h, "PATCH", path, etag, patch, &r) != 200)
        fail_msg("PATCH %s %s: %ld %s", path, patch, r.status, r.body);
    http_resp_cleanup(&r);
}

void
tl_today(const struct harness *h, char out[11])
{
    char *d = harness_sql(h, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')");
    snprintf(out, 11, "%s", d);
    free(d);
}

void
tl_stderr_begin(struct tl_capture *c)
{
    char path[] = "/tmp/capa_stderr_XXXXXX";
    fflush(stderr);
    c->fd = mkstemp(path);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->fd >= 0 && c->saved >= 0);
    unlink(path);
    assert_true(dup2(c->fd, STDERR_FILENO) >= 0);
}

char *
tl_stderr_end(struct tl_capture *c)
{
    fflush(stderr);
    assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
    close(c->saved);
    off_t size = lseek(c->fd, 0, SEEK_END);
    assert_true(size >= 0);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    ssize_t n = pread(c->fd, text, (size_t)size, 0);
    text[n > 0 ? n : 0] = '\0';
    close(c->fd);
    return text;
}

json_t *
tl_log_line(const char *text, const char *request_id, const char *msg_prefix)
{
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        json_t *j = json_loadb(line, n, 0, NULL);
        const char *msg = tl_str(j, "msg"), *id = tl_str(j, "request_id");
        if (msg && id && strcmp(id, request_id) == 0 &&
            strncmp(msg, msg_prefix, strlen(msg_prefix)) == 0)
            return j;
        json_decref(j);
        line += n + (line[n] == '\n');
    }
    return NULL;
}

void
tl_sha256_hex(const void *bytes, size_t len, char out[65])
{
    unsigned char digest[32];
    assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, bytes, len, digest), 0);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}
