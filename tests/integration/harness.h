/*
 * harness.h - what every integration test stands on: a fresh database of its
 * own (created from CAPA_TEST_DATABASE_URL, migrated, dropped at the end), a
 * real capa HTTP server on an ephemeral loopback port, and an HTTP client.
 *
 * With CAPA_KAFKA_BROKERS set (e.g. "mock", before harness_start) the relay
 * runs too, as in capad serve; h.app.kafka_mock is then the mock cluster.
 * The server reads the other CAPA_* settings from the environment as capad
 * does (CAPA_HTTP_THREADS, CAPA_HTTP_CONNECTION_TIMEOUT_S, CAPA_TLS_*, ...),
 * so the whole suite runs under either threading model; with CAPA_TLS_* set
 * the client speaks HTTPS (struct harness, scheme and ca_file).
 *
 * Without CAPA_TEST_DATABASE_URL the tests fail, unless CAPA_TEST_OPT_OUT=1
 * says a developer chose to skip them (ctest then reports them skipped).
 */
#ifndef CAPA_HARNESS_H
#define CAPA_HARNESS_H

#include <jansson.h>
#include <stdbool.h>

#include "access.h"
#include "apikey.h"
#include "app.h"
#include "server.h"

struct harness {
    char db_name[64];
    char db_url[512];    /* conninfo of the test database */
    char admin_url[512]; /* conninfo of the maintenance database */
    struct app app;
    struct api_server srv;
    unsigned port;
    bool serving;
    char key[APIKEY_LEN + 1];    /* the harness's API key: every role, no delegate */
    char bearer[APIKEY_LEN + 1]; /* what requests send as Bearer ("": nothing); key at start */
    /*
     * How http_do reaches the server: "http" or "https" (empty: "http"), and
     * the PEM file of the CA that must have signed an HTTPS server's
     * certificate (empty: the system's). harness_start sets "https" and the
     * certificate itself when CAPA_TLS_CERT_FILE is set (a self-signed
     * certificate is its own CA); a test may change both afterwards.
     */
    char scheme[8];
    char ca_file[512];
};

/*
 * Create and migrate the test database, start the server. Extra environment
 * (CAPA_* settings) may be set by the caller before. Returns 0; on failure
 * the test program exits non-zero (or 77, skipped, when opted out).
 */
int harness_start(struct harness *h, const char *name);
void harness_stop(struct harness *h);

/* An HTTP exchange with the server. */
struct http_resp {
    long status;
    char *body; /* NUL-terminated */
    size_t body_len;
    json_t *j;     /* body parsed as JSON, or NULL */
    char etag[80]; /* a quoted SHA-256 fits */
    char location[256];
    char allow[128];
    char retry_after[16];
    char content_type[128];
    char replayed[16];    /* Idempotent-Replayed */
    char request_id[256]; /* X-Request-Id */
    char *headers;        /* every response header line as received, NUL-terminated */
    char www_authenticate[128];
};
void http_resp_cleanup(struct http_resp *r);

/*
 * Send method path with optional headers (NULL-terminated array of
 * "Name: value") and body (length body_len; NULL: none). Returns the status,
 * or -1 when the exchange failed.
 */
long http_do(const struct harness *h, const char *method, const char *path,
             const char *const *headers, const char *body, size_t body_len, struct http_resp *r);

/* A loopback TCP port nothing listens on now (the kernel's choice). */
unsigned harness_free_port(void);

/* Create an API key with roles (ACCESS_ROLE_BIT set) into key; the test fails when it cannot. */
void harness_apikey(struct harness *h, const char *name, unsigned roles, bool delegate,
                    char key[APIKEY_LEN + 1]);

/*
 * http_do sends "Authorization: Bearer <h->bearer>" unless headers hold an
 * Authorization header of their own ("Authorization:" alone sends none).
 */

/* http_do to another server (a capad process) on the same database, with h's credentials. */
long http_do_port(const struct harness *h, unsigned port, const char *method, const char *path,
                  const char *const *headers, const char *body, size_t body_len,
                  struct http_resp *r);

/* Shortcuts: JSON body with Content-Type application/json. */
long http_json(const struct harness *h, const char *method, const char *path, const char *if_match,
               const char *body, struct http_resp *r);
/* http_json with extra headers too ("Name: value", NULL-terminated, at most 8; NULL: none). */
long http_json_with(const struct harness *h, const char *method, const char *path,
                    const char *if_match, const char *body, const char *const *extra,
                    struct http_resp *r);

/* Run one SQL statement on the test database as superuser; returns the first value or "". */
char *harness_sql(const struct harness *h, const char *sql);

/* The first value of a query as an integer; the test fails when it is not one. */
long harness_sql_long(const struct harness *h, const char *sql);
/* Poll sql until it returns expected, for at most seconds. */
bool harness_wait_sql(const struct harness *h, const char *sql, const char *expected, int seconds);
/* The position of the newest case-log row: a mark to tell a test's own rows. */
long harness_log_mark(const struct harness *h);

/* A list of ids read from the database. */
struct harness_ids {
    char **v;
    size_t n;
};
void harness_ids_cleanup(struct harness_ids *x);
/* event_id of the case-log rows matching where (SQL, test-written), in position order. */
void harness_event_ids(const struct harness *h, const char *where, struct harness_ids *out);

/*
 * An md5 over the content of every table the migrations created (every
 * table outside the system schemas), row by row, in one query: equal
 * checksums mean no row was added, removed or changed. Caller frees.
 */
char *harness_db_checksum(const struct harness *h);

/*
 * A new ECDSA P-256 key and a self-signed certificate for 127.0.0.1 and
 * localhost (valid from an hour ago for a day), as PEM files; the key's mode
 * is 0600. The test fails when they cannot be made.
 */
void harness_self_signed(const char *crt_file, const char *key_file);

/* A valid create body: a nonconformity with the given title. Caller frees. */
char *harness_case_body(const char *title, const char *severity);

#endif
