/*
 * test_evidence_upload.c - evidence as ordinary clients send it, over HTTP
 * and over HTTPS: multipart/form-data from libcurl's MIME API and from the
 * curl command itself (curl -F file=@...), binary files larger than one read
 * buffer, a raw body named by Content-Disposition (RFC 6266), the digests of
 * RFC 9530, and what is refused (an empty file, a body whose digest differs,
 * two files, a malformed body) with nothing stored. What is stored is the
 * file's bytes: its download hashes as the file does, never as the envelope.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sha256.h"
#include "testlib.h"

#define FILE_BYTES (1536 * 1024 + 7) /* larger than any read buffer on the way */

static struct harness h;
static char dir[64], cert_path[128], key_path[128];

/* The scheme the harness speaks ("" means http). */
static const char *
scheme(void)
{
    return h.scheme[0] ? h.scheme : "http";
}
static char case_id[37];

/* ---- fixtures ------------------------------------------------------------------------- */

static uint64_t
next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Pseudo-random bytes, NUL, CR, LF and "--" among them (caller frees). */
static unsigned char *
binary_file(size_t len, uint64_t seed)
{
    unsigned char *b = malloc(len);
    assert_non_null(b);
    for (size_t i = 0; i < len; i++)
        b[i] = (unsigned char)next(&seed);
    memcpy(b + 100, "\r\n--", 4);
    memcpy(b + 200, "\r\n\r\n", 4);
    b[300] = '\0';
    return b;
}

static void
sha256_b64(const void *data, size_t len, char out[64])
{
    unsigned char d[32];
    gnutls_datum_t in = {d, 32}, b64;
    assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d), 0);
    assert_int_equal(gnutls_base64_encode2(&in, &b64), 0);
    snprintf(out, 64, "%.*s", (int)b64.size, (const char *)b64.data);
    gnutls_free(b64.data);
}

static int
evidence_count(void)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM case_records WHERE case_id = '%s' AND kind = "
             "'evidence'",
             case_id);
    return (int)harness_sql_long(&h, sql);
}

/* The download of evidence rid: its bytes equal data, and its headers name it. */
static void
assert_download(const char *rid, const void *data, size_t len, const char *media_type,
                const char *filename_star)
{
    struct http_resp r;
    char path[200], sha[65];
    snprintf(path, sizeof path, "/v1/cases/%s/evidence/%s/content", case_id, rid);
    assert_int_equal(http_do(&h, "GET", path, NULL, NULL, 0, &r), 200);
    assert_int_equal(r.body_len, len);
    assert_memory_equal(r.body, data, len);
    assert_string_equal(r.content_type, media_type);
    tl_sha256_hex(data, len, sha);
    char etag[70];
    snprintf(etag, sizeof etag, "\"%s\"", sha);
    assert_string_equal(r.etag, etag);
    if (filename_star != NULL && strstr(r.headers, filename_star) == NULL)
        fail_msg("the download does not name %s: %s", filename_star, r.headers);
    http_resp_cleanup(&r);
}

/* ---- libcurl's MIME API, as curl -F builds its bodies -------------------------------- */

struct sink {
    char *data;
    size_t len;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    char *grown = realloc(s->data, s->len + size * n + 1);
    assert_non_null(grown);
    s->data = grown;
    memcpy(s->data + s->len, p, size * n);
    s->len += size * n;
    s->data[s->len] = '\0';
    return size * n;
}

/*
 * POST parts as multipart/form-data: files (name, filename, type, bytes) and
 * text fields (filename NULL). Returns the status; *j the answer (caller decrefs).
 */
struct part {
    const char *name;
    const char *filename;
    const char *type;
    const void *data;
    size_t len;
};

static long
post_multipart(const struct part *parts, int n, const char *extra_header, json_t **j)
{
    char url[256], auth[128];
    struct sink body = {0};
    long status = -1;
    CURL *curl = curl_easy_init();
    curl_mime *mime = curl_mime_init(curl);
    struct curl_slist *headers = NULL;

    for (int i = 0; i < n; i++) {
        curl_mimepart *p = curl_mime_addpart(mime);
        curl_mime_name(p, parts[i].name);
        curl_mime_data(p, parts[i].data, parts[i].len);
        if (parts[i].filename)
            curl_mime_filename(p, parts[i].filename);
        if (parts[i].type)
            curl_mime_type(p, parts[i].type);
    }
    snprintf(url, sizeof url, "%s://127.0.0.1:%u/v1/cases/%s/evidence", scheme(), h.port, case_id);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", h.key);
    headers = curl_slist_append(headers, auth);
    if (extra_header)
        headers = curl_slist_append(headers, extra_header);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    if (h.ca_file[0])
        curl_easy_setopt(curl, CURLOPT_CAINFO, h.ca_file);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    *j = body.data ? json_loads(body.data, 0, NULL) : NULL;
    if (*j == NULL)
        print_error("answer: %s\n", body.data ? body.data : "(none)");
    free(body.data);
    curl_slist_free_all(headers);
    curl_mime_free(mime);
    curl_easy_cleanup(curl);
    return status;
}

/* ---- 1. multipart, as libcurl sends it ------------------------------------------------ */

static void
test_multipart_stores_the_file_not_the_envelope(void **state)
{
    (void)state;
    unsigned char *file = binary_file(FILE_BYTES, 42);
    char sha[65];
    json_t *j = NULL;
    struct part p = {"file", "report.pdf", "application/pdf", file, FILE_BYTES};

    assert_int_equal(post_multipart(&p, 1, NULL, &j), 201);
    tl_sha256_hex(file, FILE_BYTES, sha);
    assert_string_equal(tl_str(j, "sha256"), sha);
    assert_int_equal(tl_int(j, "size"), FILE_BYTES);
    assert_string_equal(tl_str(j, "filename"), "report.pdf");
    assert_string_equal(tl_str(j, "media_type"), "application/pdf");
    char rid[37];
    snprintf(rid, sizeof rid, "%s", tl_str(j, "id"));
    json_decref(j);
    assert_download(rid, file, FILE_BYTES, "application/pdf", "filename*=UTF-8''report.pdf");

    /* a second file that supersedes it, by a form field beside the file */
    struct part two[] = {{"file", "report-v2.pdf", NULL, file, 1000},
                         {"supersedes", NULL, NULL, rid, strlen(rid)}};
    assert_int_equal(post_multipart(two, 2, NULL, &j), 201);
    assert_string_equal(tl_str(j, "supersedes"), rid);
    assert_string_equal(tl_str(j, "media_type"), "application/pdf"); /* libcurl's guess */
    assert_int_equal(tl_int(j, "size"), 1000);
    json_decref(j);
    free(file);

    /* a file part without a Content-Type is application/octet-stream (RFC 7578 4.4) */
    struct http_resp r;
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/evidence", case_id);
    const char *const ct[] = {"Content-Type: multipart/form-data; boundary=\"b 1\"", NULL};
    const char *body = "preamble\r\n--b 1\r\nContent-Disposition: form-data; name=\"file\"; "
                       "filename=\"dump.bin\"\r\n\r\n\x01\x02--b 1\r\n--b 1--\r\nepilogue";
    assert_int_equal(http_do(&h, "POST", path, ct, body, strlen(body), &r), 201);
    assert_string_equal(tl_str(r.j, "media_type"), "application/octet-stream");
    assert_int_equal(tl_int(r.j, "size"), 7); /* \x01\x02--b 1: a boundary is one after CRLF */
    assert_string_equal(tl_str(r.j, "filename"), "dump.bin");
    http_resp_cleanup(&r);
}

static void
test_multipart_refusals_store_nothing(void **state)
{
    (void)state;
    json_t *j = NULL;
    int before = evidence_count();

    /* two files; none; a field that is not part of an upload; an empty file */
    struct part two[] = {{"file", "a.txt", "text/plain", "a", 1},
                         {"other", "b.txt", "text/plain", "b", 1}};
    assert_int_equal(post_multipart(two, 2, NULL, &j), 422);
    assert_true(tl_has_field_error(j, "file", "too_many"));
    json_decref(j);
    struct part none[] = {{"note", NULL, NULL, "no file", 7}};
    assert_int_equal(post_multipart(none, 1, NULL, &j), 422);
    assert_true(tl_has_field_error(j, "file", "required"));
    assert_true(tl_has_field_error(j, "note", "unknown"));
    json_decref(j);
    struct part empty[] = {{"file", "empty.txt", "text/plain", "", 0}};
    assert_int_equal(post_multipart(empty, 1, NULL, &j), 422);
    assert_true(tl_has_field_error(j, "file", "empty"));
    json_decref(j);

    /* a body that is not what its Content-Type says */
    struct http_resp r;
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/evidence", case_id);
    const char *const ct[] = {"Content-Type: multipart/form-data; boundary=xyz", NULL};
    const char *broken = "--xyz\r\nContent-Disposition: form-data; name=\"file\"; "
                         "filename=\"a.txt\"\r\n\r\nno closing boundary";
    assert_int_equal(http_do(&h, "POST", path, ct, broken, strlen(broken), &r), 400);
    tl_assert_problem(&r, 400, "bad-request");
    assert_non_null(strstr(tl_str(r.j, "detail"), "multipart/form-data body is malformed"));
    http_resp_cleanup(&r);
    const char *const no_boundary[] = {"Content-Type: multipart/form-data", NULL};
    assert_int_equal(http_do(&h, "POST", path, no_boundary, "x", 1, &r), 400);
    http_resp_cleanup(&r);
    assert_int_equal(evidence_count(), before);
}

/* ---- 2. the curl command, as a person types it ----------------------------------------- */

static void
test_curl_command_line_upload(void **state)
{
    (void)state;
    char file_path[128], url[256], auth[128], out_path[128], cmd[2048];
    unsigned char *file = binary_file(300 * 1024, 7);
    snprintf(file_path, sizeof file_path, "%s/scan report.pdf", dir);
    snprintf(out_path, sizeof out_path, "%s/answer.json", dir);
    FILE *f = fopen(file_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(file, 1, 300 * 1024, f), 300 * 1024);
    fclose(f);
    snprintf(url, sizeof url, "%s://127.0.0.1:%u/v1/cases/%s/evidence", scheme(), h.port, case_id);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", h.key);
    /* curl -F file=@path;type=application/pdf, exactly as the README shows it */
    snprintf(
        cmd, sizeof cmd,
        "curl -sS -o '%s' -w '%%{http_code}' %s%s%s -H '%s' -F 'file=@\"%s\";type=application/pdf' "
        "'%s'",
        out_path, h.ca_file[0] ? "--cacert '" : "", h.ca_file, h.ca_file[0] ? "'" : "", auth,
        file_path, url);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char code[8] = "";
    assert_non_null(fgets(code, sizeof code, p));
    assert_int_equal(pclose(p), 0);
    assert_string_equal(code, "201");
    json_t *j = json_load_file(out_path, 0, NULL);
    assert_non_null(j);
    char sha[65];
    tl_sha256_hex(file, 300 * 1024, sha);
    assert_string_equal(tl_str(j, "sha256"), sha);
    assert_string_equal(tl_str(j, "filename"), "scan report.pdf");
    assert_string_equal(tl_str(j, "media_type"), "application/pdf");
    assert_download(tl_str(j, "id"), file, 300 * 1024, "application/pdf",
                    "filename*=UTF-8''scan%20report.pdf");
    json_decref(j);
    unlink(file_path);
    unlink(out_path);
    free(file);
}

/* ---- 3. a raw body named by Content-Disposition; digests -------------------------------- */

static void
test_raw_body_named_by_content_disposition(void **state)
{
    (void)state;
    struct http_resp r;
    char path[200];
    snprintf(path, sizeof path, "/v1/cases/%s/evidence", case_id);
    const char *const hd[] = {"Content-Type: text/csv",
                              "Content-Disposition: attachment; filename=\"rates.csv\"; "
                              "filename*=UTF-8''%E2%82%AC%20rates.csv",
                              NULL};
    assert_int_equal(http_do(&h, "POST", path, hd, "eur,1\n", 6, &r), 201);
    assert_string_equal(tl_str(r.j, "filename"), "\xe2\x82\xac rates.csv");
    char rid[37];
    snprintf(rid, sizeof rid, "%s", tl_str(r.j, "id"));
    http_resp_cleanup(&r);
    assert_download(rid, "eur,1\n", 6, "text/csv", "filename*=UTF-8''%E2%82%AC%20rates.csv");
    /* ?filename= names it instead */
    snprintf(path, sizeof path, "/v1/cases/%s/evidence?filename=chosen.csv", case_id);
    assert_int_equal(http_do(&h, "POST", path, hd, "eur,2\n", 6, &r), 201);
    assert_string_equal(tl_str(r.j, "filename"), "chosen.csv");
    http_resp_cleanup(&r);
    /* a malformed disposition; a raw body without a name; an empty one */
    int before = evidence_count();
    snprintf(path, sizeof path, "/v1/cases/%s/evidence", case_id);
    const char *const bad[] = {"Content-Type: text/csv",
                               "Content-Disposition: attachment; filename=\"unterminated", NULL};
    assert_int_equal(http_do(&h, "POST", path, bad, "x", 1, &r), 400);
    http_resp_cleanup(&r);
    const char *const nameless[] = {"Content-Type: text/csv", NULL};
    assert_int_equal(http_do(&h, "POST", path, nameless, "x", 1, &r), 400);
    http_resp_cleanup(&r);
    snprintf(path, sizeof path, "/v1/cases/%s/evidence?filename=empty.csv", case_id);
    assert_int_equal(http_do(&h, "POST", path, nameless, "", 0, &r), 422);
    tl_assert_field_error(&r, "file", "empty");
    http_resp_cleanup(&r);
    assert_int_equal(evidence_count(), before);
}

static void
test_digests_refuse_a_damaged_body(void **state)
{
    (void)state;
    struct http_resp r;
    char path[200], b64[64], content[128], repr[128];
    const char *body = "user,active\nj.doe,no\n";
    sha256_b64(body, strlen(body), b64);
    snprintf(path, sizeof path, "/v1/cases/%s/evidence?filename=access.csv", case_id);
    snprintf(content, sizeof content, "Content-Digest: sha-512=:AAAA:, sha-256=:%s:", b64);
    snprintf(repr, sizeof repr, "Repr-Digest: sha-256=:%s:", b64);
    const char *const ok[] = {"Content-Type: text/csv", content, repr, NULL};
    assert_int_equal(http_do(&h, "POST", path, ok, body, strlen(body), &r), 201);
    http_resp_cleanup(&r);

    int before = evidence_count();
    const char *damaged = "user,active\nj.doe,yes\n";
    assert_int_equal(http_do(&h, "POST", path, ok, damaged, strlen(damaged), &r), 422);
    tl_assert_field_error(&r, "Content-Digest", "mismatch");
    http_resp_cleanup(&r);
    const char *const repr_only[] = {"Content-Type: text/csv", repr, NULL};
    assert_int_equal(http_do(&h, "POST", path, repr_only, damaged, strlen(damaged), &r), 422);
    tl_assert_field_error(&r, "Repr-Digest", "mismatch");
    http_resp_cleanup(&r);
    const char *const malformed[] = {"Content-Type: text/csv", "Content-Digest: sha-256=abc", NULL};
    assert_int_equal(http_do(&h, "POST", path, malformed, body, strlen(body), &r), 400);
    tl_assert_problem(&r, 400, "bad-request");
    http_resp_cleanup(&r);
    /* the digest of a multipart body is of the body as sent, envelope and all */
    json_t *j = NULL;
    struct part p = {"file", "x.txt", "text/plain", body, strlen(body)};
    assert_int_equal(post_multipart(&p, 1, content, &j), 422);
    assert_true(tl_has_field_error(j, "Content-Digest", "mismatch"));
    json_decref(j);
    assert_int_equal(evidence_count(), before);
}

/* ---- setup: plain HTTP, then HTTPS ---------------------------------------------------- */

static int
setup(bool tls, const char *name)
{
    if (tls) {
        setenv("CAPA_TLS_CERT_FILE", cert_path, 1);
        setenv("CAPA_TLS_KEY_FILE", key_path, 1);
    } else {
        unsetenv("CAPA_TLS_CERT_FILE");
        unsetenv("CAPA_TLS_KEY_FILE");
    }
    setenv("CAPA_EVIDENCE_MAX_BYTES", "4194304", 1);
    harness_start(&h, name);
    char *body = harness_case_body("Evidence uploads", "minor");
    tl_create_case(&h, body, case_id);
    free(body);
    return 0;
}

static int
setup_http(void **state)
{
    (void)state;
    return setup(false, "upload_http");
}

static int
setup_https(void **state)
{
    (void)state;
    return setup(true, "upload_https");
}

static int
teardown(void **state)
{
    (void)state;
    harness_stop(&h);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multipart_stores_the_file_not_the_envelope),
        cmocka_unit_test(test_multipart_refusals_store_nothing),
        cmocka_unit_test(test_curl_command_line_upload),
        cmocka_unit_test(test_raw_body_named_by_content_disposition),
        cmocka_unit_test(test_digests_refuse_a_damaged_body),
    };
    snprintf(dir, sizeof dir, "/tmp/capa_upload_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    harness_self_signed(cert_path, key_path);
    int failed = _cmocka_run_group_tests("http", tests, sizeof tests / sizeof tests[0], setup_http,
                                         teardown);
    failed += _cmocka_run_group_tests("https", tests, sizeof tests / sizeof tests[0], setup_https,
                                      teardown);
    unlink(cert_path);
    unlink(key_path);
    rmdir(dir);
    return failed;
}
