/*
 * test_tls.c - capa serving HTTPS natively (CAPA_TLS_CERT_FILE and
 * CAPA_TLS_KEY_FILE), in both threading models: a client that trusts the
 * certificate gets /healthz, one that does not trust it and one speaking
 * plain HTTP get nothing; TLS 1.2 and 1.3 only; a missing, malformed or
 * mismatched file stops the start with a message naming it and never
 * showing the key.
 *
 * The certificates are made here with the GnuTLS API (no certtool): ECDSA
 * P-256, self-signed, for 127.0.0.1 and localhost, in a temporary directory
 * removed at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "harness.h"
#include "testlib.h"

#define POOL_THREADS "4"

static struct harness h;
static char dir[64];
static char cert_path[128], key_path[128];             /* the server's pair */
static char other_cert_path[128], other_key_path[128]; /* a second pair: another "CA" */
static char garbage_path[128];

static void
write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void
test_https_healthz_verifies_the_certificate(void **state)
{
    (void)state;
    struct http_resp r;
    assert_string_equal(h.scheme, "https");
    long status = http_do(&h, "GET", "/healthz", NULL, NULL, 0, &r);
    if (status != 200)
        fail_msg("GET https://127.0.0.1:%u/healthz answered %ld", h.port, status);
    assert_non_null(r.j);
    http_resp_cleanup(&r);
}

static void
test_https_untrusted_certificate_fails(void **state)
{
    (void)state;
    struct http_resp r;
    char saved[sizeof h.ca_file];
    memcpy(saved, h.ca_file, sizeof saved);
    snprintf(h.ca_file, sizeof h.ca_file, "%s", other_cert_path);
    long status = http_do(&h, "GET", "/healthz", NULL, NULL, 0, &r);
    memcpy(h.ca_file, saved, sizeof saved);
    http_resp_cleanup(&r);
    assert_int_equal(status, -1);
}

static void
test_plain_http_to_the_tls_port_fails(void **state)
{
    (void)state;
    struct http_resp r;
    snprintf(h.scheme, sizeof h.scheme, "http");
    long status = http_do(&h, "GET", "/healthz", NULL, NULL, 0, &r);
    snprintf(h.scheme, sizeof h.scheme, "https");
    http_resp_cleanup(&r);
    assert_int_equal(status, -1);
    /* and the server still serves HTTPS */
    assert_int_equal(http_do(&h, "GET", "/healthz", NULL, NULL, 0, &r), 200);
    http_resp_cleanup(&r);
}

/* A TLS handshake with the server offering only the versions in priorities; returns its result. */
static int
handshake(const char *priorities)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h.port)};
    gnutls_certificate_credentials_t cred;
    gnutls_session_t session;
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
    assert_int_equal(gnutls_init(&session, GNUTLS_CLIENT), 0);
    assert_int_equal(gnutls_priority_set_direct(session, priorities, NULL), 0);
    assert_int_equal(gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cred), 0);
    gnutls_transport_set_int(session, fd);
    gnutls_handshake_set_timeout(session, 10000);
    do
        rc = gnutls_handshake(session);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc == 0)
        gnutls_bye(session, GNUTLS_SHUT_RDWR);
    gnutls_deinit(session);
    gnutls_certificate_free_credentials(cred);
    close(fd);
    return rc;
}

static void
test_tls_1_0_and_1_1_are_refused(void **state)
{
    (void)state;
    /* the control: this client can shake hands at all */
    assert_int_equal(handshake("NORMAL:-VERS-ALL:+VERS-TLS1.2"), 0);
    assert_int_equal(handshake("NORMAL:-VERS-ALL:+VERS-TLS1.3"), 0);
    assert_true(handshake("NORMAL:-VERS-ALL:+VERS-TLS1.1") < 0);
    assert_true(handshake("NORMAL:-VERS-ALL:+VERS-TLS1.0") < 0);
}

/*
 * Start a second server with these TLS files (on a copy of the app, so the
 * running one keeps its metrics); return its result and, in log, what it
 * wrote to stderr.
 */
static int
start_with(const char *cert, const char *key, char *log, size_t log_size)
{
    struct app app = h.app;
    struct api_server srv;
    struct tl_capture cap;

    app.cfg.tls_cert_file = (char *)cert;
    app.cfg.tls_key_file = (char *)key;
    tl_stderr_begin(&cap);
    int rc = api_server_start(&app, harness_free_port(), &srv);
    char *text = tl_stderr_end(&cap);
    if (rc == ERR_OK)
        api_server_stop(&srv);
    snprintf(log, log_size, "%s", text);
    free(text);
    return rc;
}

static void
test_bad_tls_files_stop_the_start_naming_the_file(void **state)
{
    (void)state;
    char log[4096], missing[160], key_pem[4096];
    FILE *f = fopen(key_path, "r");
    assert_non_null(f);
    size_t key_len = fread(key_pem, 1, sizeof key_pem - 1, f);
    key_pem[key_len] = '\0';
    fclose(f);
    /* a line of the key's base64, to make sure it is never logged */
    char *key_line = strchr(key_pem, '\n') + 1;
    key_line[strcspn(key_line, "\n")] = '\0';
    assert_true(strlen(key_line) > 20);

    snprintf(missing, sizeof missing, "%s/missing.pem", dir);
    assert_int_equal(start_with(missing, key_path, log, sizeof log), ERR_INVALID);
    assert_non_null(strstr(log, "CAPA_TLS_CERT_FILE"));
    assert_non_null(strstr(log, missing));

    assert_int_equal(start_with(cert_path, missing, log, sizeof log), ERR_INVALID);
    assert_non_null(strstr(log, "CAPA_TLS_KEY_FILE"));
    assert_non_null(strstr(log, missing));

    assert_int_equal(start_with(garbage_path, key_path, log, sizeof log), ERR_INVALID);
    assert_non_null(strstr(log, "CAPA_TLS_CERT_FILE"));
    assert_non_null(strstr(log, garbage_path));

    assert_int_equal(start_with(cert_path, garbage_path, log, sizeof log), ERR_INVALID);
    assert_non_null(strstr(log, "CAPA_TLS_KEY_FILE"));
    assert_non_null(strstr(log, garbage_path));

    /* the certificate in place of the key, and the key of another certificate */
    assert_int_equal(start_with(cert_path, cert_path, log, sizeof log), ERR_INVALID);
    assert_non_null(strstr(log, "CAPA_TLS_KEY_FILE"));
    assert_int_equal(start_with(cert_path, other_key_path, log, sizeof log), ERR_INVALID);
    assert_non_null(strstr(log, other_key_path));
    assert_non_null(strstr(log, cert_path));
    assert_null(strstr(log, key_line));

    /* the key in place of the certificate: named, and its contents not shown */
    assert_int_equal(start_with(key_path, key_path, log, sizeof log), ERR_INVALID);
    assert_non_null(strstr(log, "CAPA_TLS_CERT_FILE"));
    assert_null(strstr(log, key_line));
    assert_null(strstr(log, "PRIVATE KEY-----"));

    /* and the right pair starts */
    assert_int_equal(start_with(cert_path, key_path, log, sizeof log), ERR_OK);
}

static int
setup(const char *threads, const char *name)
{
    snprintf(dir, sizeof dir, "/tmp/capa_tls_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    snprintf(other_cert_path, sizeof other_cert_path, "%s/other-cert.pem", dir);
    snprintf(other_key_path, sizeof other_key_path, "%s/other-key.pem", dir);
    snprintf(garbage_path, sizeof garbage_path, "%s/garbage.pem", dir);
    harness_self_signed(cert_path, key_path);
    harness_self_signed(other_cert_path, other_key_path);
    static const char garbage[] =
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    write_file(garbage_path, garbage, sizeof garbage - 1);
    setenv("CAPA_HTTP_THREADS", threads, 1);
    setenv("CAPA_TLS_CERT_FILE", cert_path, 1);
    setenv("CAPA_TLS_KEY_FILE", key_path, 1);
    return harness_start(&h, name);
}

static int
setup_per_connection(void **state)
{
    (void)state;
    return setup("0", "tls_tpc");
}

static int
setup_pool(void **state)
{
    (void)state;
    return setup(POOL_THREADS, "tls_pool");
}

static int
teardown(void **state)
{
    (void)state;
    harness_stop(&h);
    const char *files[] = {cert_path, key_path, other_cert_path, other_key_path, garbage_path};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    rmdir(dir);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_https_healthz_verifies_the_certificate),
        cmocka_unit_test(test_https_untrusted_certificate_fails),
        cmocka_unit_test(test_plain_http_to_the_tls_port_fails),
        cmocka_unit_test(test_tls_1_0_and_1_1_are_refused),
        cmocka_unit_test(test_bad_tls_files_stop_the_start_naming_the_file),
    };
    int failed =
        _cmocka_run_group_tests("thread per connection", tests, sizeof tests / sizeof tests[0],
                                setup_per_connection, teardown);
    failed += _cmocka_run_group_tests("thread pool", tests, sizeof tests / sizeof tests[0],
                                      setup_pool, teardown);
    return failed;
}
