/* harness.c - test database, server and HTTP client for integration tests (harness.h). */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "mem.h"
#include "relay.h"
#include "store.h"
#include "usecase.h"
#include "apikey.h"

static void
die(const char *what, const char *why)
{
    fprintf(stderr, "harness: %s: %s\n", what, why ? why : "");
    exit(1);
}

static void
quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Run SQL on a conninfo; returns the first value of the first row (caller frees) or "". */
static char *
run_sql(const char *conninfo, const char *sql, bool must_succeed)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK)
        die("cannot connect", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, quiet, NULL);
    PGresult *res = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(res);
    if (must_succeed && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        die(sql, PQresultErrorMessage(res));
    char *value = strdup(st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0
                             ? PQgetvalue(res, 0, 0)
                             : (st == PGRES_FATAL_ERROR ? "ERROR" : ""));
    PQclear(res);
    PQfinish(pg);
    return value;
}

char *
harness_sql(const struct harness *h, const char *sql)
{
    return run_sql(h->db_url, sql, false);
}

unsigned
harness_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("cannot find a free port", NULL);
    close(fd);
    return ntohs(a.sin_port);
}

int
harness_start(struct harness *h, const char *name)
{
    const char *url = getenv("CAPA_TEST_DATABASE_URL");
    char err[256], sql[256];

    memset(h, 0, sizeof *h);
    mem_install_jansson(); /* capad's out-of-memory policy */
    if (url == NULL || *url == '\0') {
        const char *opt_out = getenv("CAPA_TEST_OPT_OUT");
        if (opt_out && strcmp(opt_out, "1") == 0) {
            fprintf(stderr, "harness: CAPA_TEST_OPT_OUT=1: skipping %s\n", name);
            exit(77);
        }
        die("CAPA_TEST_DATABASE_URL is not set",
            "run deploy/test.sh, or set CAPA_TEST_OPT_OUT=1 to skip integration tests");
    }
    /* derive the test database's conninfo from the maintenance connection */
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK)
        die("cannot connect to CAPA_TEST_DATABASE_URL", PQerrorMessage(pg));
    snprintf(h->db_name, sizeof h->db_name, "capa_t_%s_%d", name, (int)getpid());
    snprintf(h->admin_url, sizeof h->admin_url, "host=%s port=%s user=%s dbname=%s", PQhost(pg),
             PQport(pg), PQuser(pg), PQdb(pg));
    snprintf(h->db_url, sizeof h->db_url, "host=%s port=%s user=%s dbname=%s", PQhost(pg),
             PQport(pg), PQuser(pg), h->db_name);
    PQfinish(pg);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", h->db_name);
    free(run_sql(h->admin_url, sql, true));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", h->db_name);
    free(run_sql(h->admin_url, sql, true));

    if (store_migrate(h->db_url, 5) != ERR_OK)
        die("migration failed", h->db_name);
    setenv("CAPA_DATABASE_URL", h->db_url, 1);
    setenv("CAPA_HTTP_BIND", "127.0.0.1", 0);
    if (!getenv("CAPA_LOG_LEVEL"))
        setenv("CAPA_LOG_LEVEL", "warn", 1);
    /* tests fire requests as fast as they can; the rate-limit test sets its own */
    setenv("CAPA_RATE_LIMIT_RPS", "0", 0);
    if (cfg_load(&h->app.cfg, err, sizeof err) != ERR_OK)
        die("configuration", err);
    log_set_level(h->app.cfg.log_level);
    if (uc_auth_init(&h->app) != ERR_OK)
        die("JWT configuration", "see the log");
    if (uc_pool_open(&h->app, h->app.cfg.db_pool_size, "capa-test") != ERR_OK)
        die("pool", NULL);
    if (relay_launch(&h->app) != ERR_OK)
        die("cannot start the relay", NULL);
    h->port = harness_free_port();
    if (api_server_start(&h->app, h->port, &h->srv) != ERR_OK)
        die("cannot start the server", NULL);
    if (h->app.cfg.tls_cert_file != NULL) {
        snprintf(h->scheme, sizeof h->scheme, "https");
        snprintf(h->ca_file, sizeof h->ca_file, "%s", h->app.cfg.tls_cert_file);
    }
    h->serving = true;
    /* every request carries the key of a principal with every role unless told otherwise */
    harness_apikey(h, "harness", ACCESS_ROLES_ALL, false, h->key);
    memcpy(h->bearer, h->key, sizeof h->bearer);
    curl_global_init(CURL_GLOBAL_ALL);
    return 0;
}

void
harness_stop(struct harness *h)
{
    char sql[256];
    if (h->serving)
        api_server_stop(&h->srv);
    relay_shutdown(&h->app, 10000);
    store_pool_free(h->app.pool);
    uc_auth_cleanup(&h->app);
    cfg_cleanup(&h->app.cfg);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", h->db_name);
    free(run_sql(h->admin_url, sql, true));
    curl_global_cleanup();
    memset(h, 0, sizeof *h);
}

void
http_resp_cleanup(struct http_resp *r)
{
    free(r->body);
    free(r->headers);
    json_decref(r->j);
    memset(r, 0, sizeof *r);
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
    struct http_resp *r = arg;
    char *grown = realloc(r->body, r->body_len + size * n + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + r->body_len, data, size * n);
    r->body = grown;
    r->body_len += size * n;
    r->body[r->body_len] = '\0';
    return size * n;
}

static void
header_value(const char *line, size_t len, const char *name, char *out, size_t out_size)
{
    size_t n = strlen(name);
    if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return;
    const char *v = line + n + 1;
    while (*v == ' ')
        v++;
    size_t vlen = len - (size_t)(v - line);
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
        vlen--;
    snprintf(out, out_size, "%.*s", (int)vlen, v);
}

static size_t
on_header(char *line, size_t size, size_t n, void *arg)
{
    struct http_resp *r = arg;
    size_t len = size * n;
    size_t have = r->headers ? strlen(r->headers) : 0;
    char *grown = realloc(r->headers, have + len + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + have, line, len);
    grown[have + len] = '\0';
    r->headers = grown;
    header_value(line, len, "ETag", r->etag, sizeof r->etag);
    header_value(line, len, "Location", r->location, sizeof r->location);
    header_value(line, len, "Allow", r->allow, sizeof r->allow);
    header_value(line, len, "Retry-After", r->retry_after, sizeof r->retry_after);
    header_value(line, len, "Content-Type", r->content_type, sizeof r->content_type);
    header_value(line, len, "Idempotent-Replayed", r->replayed, sizeof r->replayed);
    header_value(line, len, "X-Request-Id", r->request_id, sizeof r->request_id);
    header_value(line, len, "WWW-Authenticate", r->www_authenticate, sizeof r->www_authenticate);
    return len;
}

/*
 * With CAPA_HTTP_SAMPLES_DIR set, every response is appended to
 * <dir>/<database name>.jsonl as {"method", "path", "status",
 * "content_type", "body"} (the body as JSON, null when it is none), for
 * tests/spec/openapi-responses.mjs to check against openapi.yaml.
 */
static void
record_sample(const struct harness *h, const char *method, const char *path,
              const struct http_resp *r)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    const char *dir = getenv("CAPA_HTTP_SAMPLES_DIR");
    char file[1024];
    if (dir == NULL || *dir == '\0')
        return;
    json_t *j =
        json_pack("{s:s, s:s%, s:i, s:s, s:O?}", "method", method, "path", path, strcspn(path, "?"),
                  "status", (int)r->status, "content_type", r->content_type, "body", r->j);
    char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
    snprintf(file, sizeof file, "%s/%s.jsonl", dir, h->db_name);
    pthread_mutex_lock(&lock);
    FILE *f = line ? fopen(file, "a") : NULL;
    if (f == NULL || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0)
        die("cannot record an HTTP sample in", file);
    pthread_mutex_unlock(&lock);
    free(line);
    json_decref(j);
}

long
http_do(const struct harness *h, const char *method, const char *path, const char *const *headers,
        const char *body, size_t body_len, struct http_resp *r)
{
    return http_do_port(h, h->port, method, path, headers, body, body_len, r);
}

long
http_do_port(const struct harness *h, unsigned port, const char *method, const char *path,
             const char *const *headers, const char *body, size_t body_len, struct http_resp *r)
{
    char *url = NULL;
    struct curl_slist *list = NULL;
    CURL *curl = curl_easy_init();
    long status = -1;

    memset(r, 0, sizeof *r);
    /* any length: hostile tests send paths and query strings of many KiB */
    if (curl == NULL ||
        asprintf(&url, "%s://127.0.0.1:%u%s", h->scheme[0] ? h->scheme : "http", port, path) < 0) {
        curl_easy_cleanup(curl);
        return -1;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (h->ca_file[0] != '\0')
        curl_easy_setopt(curl, CURLOPT_CAINFO, h->ca_file);
    /* the path as written: no squashing of "/../" */
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    /* no "Expect: 100-continue" round trip */
    list = curl_slist_append(list, "Expect:");
    bool authorization = false;
    for (const char *const *hd = headers; hd && *hd; hd++) {
        list = curl_slist_append(list, *hd);
        authorization = authorization || strncasecmp(*hd, "Authorization:", 14) == 0;
    }
    char bearer[sizeof h->bearer + 32];
    if (!authorization && h->bearer[0]) {
        snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", h->bearer);
        list = curl_slist_append(list, bearer);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (r->body == NULL)
        r->body = strdup("");
    if (r->body_len > 0)
        r->j = json_loadb(r->body, r->body_len, 0, NULL);
    if (r->headers == NULL)
        r->headers = strdup("");
    r->status = status;
    if (status > 0)
        record_sample(h, method, path, r);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    free(url);
    return status;
}

void
harness_apikey(struct harness *h, const char *name, unsigned roles, bool delegate,
               char key[APIKEY_LEN + 1])
{
    struct uc_status st;
    json_t *j_key = NULL;
    uc_status_init(&st);
    int rc = uc_apikey_create(&h->app, name, roles, delegate, key, &j_key, &st);
    if (rc != ERR_OK)
        die("cannot create an API key", st.detail);
    json_decref(j_key);
    uc_status_cleanup(&st);
}

long
http_json(const struct harness *h, const char *method, const char *path, const char *if_match,
          const char *body, struct http_resp *r)
{
    return http_json_with(h, method, path, if_match, body, NULL, r);
}

/* Room for http_json_with's own headers and the caller's. */
#define JSON_EXTRA_MAX 8

long
http_json_with(const struct harness *h, const char *method, const char *path, const char *if_match,
               const char *body, const char *const *extra, struct http_resp *r)
{
    char im[80];
    const char *headers[2 + JSON_EXTRA_MAX + 1] = {NULL};
    int n = 0;
    if (body != NULL)
        headers[n++] = strcmp(method, "PATCH") == 0 ? "Content-Type: application/merge-patch+json"
                                                    : "Content-Type: application/json";
    if (if_match != NULL) {
        snprintf(im, sizeof im, "If-Match: %s", if_match);
        headers[n++] = im;
    }
    for (int i = 0; extra && extra[i]; i++) {
        if (i == JSON_EXTRA_MAX)
            die("http_json_with: too many headers", path);
        headers[n++] = extra[i];
    }
    return http_do(h, method, path, headers, body, body ? strlen(body) : 0, r);
}

char *
harness_case_body(const char *title, const char *severity)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "nonconformity", "title", title,
                          "source", "internal_audit", "severity", severity, "detected_at",
                          "2026-11-20T10:00:00Z", "reported_by", "auditor@example.com");
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

long
harness_sql_long(const struct harness *h, const char *sql)
{
    char *v = harness_sql(h, sql);
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0')
        fail_msg("query did not return an integer (got \"%s\"): %s", v, sql);
    free(v);
    return n;
}

static double
mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool
harness_wait_sql(const struct harness *h, const char *sql, const char *expected, int seconds)
{
    double deadline = mono_seconds() + seconds;
    for (;;) {
        char *v = harness_sql(h, sql);
        bool ok = strcmp(v, expected) == 0;
        if (!ok && mono_seconds() >= deadline)
            fprintf(stderr, "waited %d s for \"%s\" to return \"%s\"; it returns \"%s\"\n", seconds,
                    sql, expected, v);
        free(v);
        if (ok)
            return true;
        if (mono_seconds() >= deadline)
            return false;
        nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
    }
}

long
harness_log_mark(const struct harness *h)
{
    return harness_sql_long(h, "SELECT coalesce(max(position), 0) FROM case_events");
}

void
harness_ids_cleanup(struct harness_ids *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->v[i]);
    free(x->v);
    memset(x, 0, sizeof *x);
}

void
harness_event_ids(const struct harness *h, const char *where, struct harness_ids *out)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(event_id::text, ',' ORDER BY position), '') "
             "FROM case_events WHERE %s",
             where);
    char *list = harness_sql(h, sql), *save = NULL;
    memset(out, 0, sizeof *out);
    out->v = calloc(strlen(list) / 36 + 1, sizeof *out->v);
    assert_non_null(out->v);
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
        out->v[out->n++] = strdup(t);
    free(list);
}

char *
harness_db_checksum(const struct harness *h)
{
    /*
     * Per table: its row count and the md5 of its rows' md5s (of each row's
     * text form), sorted so that the physical order of rows does not
     * matter; then one md5 over every table's name, count and digest in
     * name order. query_to_xml runs the per-table query that format()
     * builds, so it all stays one statement. Every table outside the system
     * schemas is in, schema_migrations included; nothing is excluded: no
     * column of these tables changes when a request only reads.
     */
    static const char sql[] =
        "SELECT md5(string_agg(t.name || '=' || t.n || ':' || t.digest, ',' ORDER BY t.name)) "
        "FROM (SELECT format('%I.%I', schemaname, tablename) AS name, "
        "  (xpath('/row/n/text()', x))[1]::text AS n, "
        "  (xpath('/row/digest/text()', x))[1]::text AS digest "
        "  FROM pg_tables, LATERAL query_to_xml(format("
        "    'SELECT count(*) AS n, md5(coalesce(string_agg(md5(t::text), '','' "
        "     ORDER BY md5(t::text)), '''')) AS digest FROM %I.%I t', schemaname, tablename), "
        "    false, true, '') AS x "
        "  WHERE schemaname NOT IN ('pg_catalog', 'information_schema')) t";
    char *sum = harness_sql(h, sql);
    if (strlen(sum) != 32)
        fail_msg("the database checksum query failed (got \"%s\")", sum);
    return sum;
}

static void
tls_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* A new ECDSA P-256 key and a self-signed certificate for 127.0.0.1 and localhost, as PEM files. */
void
harness_self_signed(const char *crt_file, const char *key_file)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_datum_t out;
    unsigned char serial[16], ip[4] = {127, 0, 0, 1};
    time_t now = time(NULL);

    assert_int_equal(gnutls_x509_privkey_init(&key), 0);
    assert_int_equal(gnutls_x509_privkey_generate(
                         key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                     0);
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
    assert_int_equal(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial), 0);
    serial[0] &= 0x7f; /* a positive serial number */
    assert_int_equal(gnutls_x509_crt_set_serial(crt, serial, sizeof serial), 0);
    assert_int_equal(gnutls_x509_crt_set_activation_time(crt, now - 3600), 0);
    assert_int_equal(gnutls_x509_crt_set_expiration_time(crt, now + 86400), 0);
    assert_int_equal(
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "localhost", 9), 0);
    assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                          GNUTLS_FSAN_SET),
                     0);
    assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, sizeof ip,
                                                          GNUTLS_FSAN_APPEND),
                     0);
    assert_int_equal(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), 0);
    assert_int_equal(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
    assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0), 0);
    assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
    assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);

    assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out), 0);
    tls_write_file(crt_file, out.data, out.size);
    gnutls_free(out.data);
    assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &out), 0);
    tls_write_file(key_file, out.data, out.size);
    gnutls_free(out.data);
    assert_int_equal(chmod(key_file, 0600), 0);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}
