/*
 * test_http_server.c - how capa's HTTP server treats connections, in both
 * threading models (CAPA_HTTP_THREADS=0, a thread per connection, and a pool
 * of POOL_THREADS): a client that sends part of a request line, or nothing,
 * is disconnected after CAPA_HTTP_CONNECTION_TIMEOUT_S while other clients
 * are served meanwhile; an idle keep-alive connection is closed after the
 * same timeout; a header block over CAPA_HTTP_CONNECTION_MEMORY_BYTES gets
 * 431 (a request line over it 414), from libmicrohttpd, and the server goes
 * on answering.
 *
 * The slow clients are raw TCP sockets; the well-behaved ones go through the
 * harness (libcurl).
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
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define TIMEOUT_S 1
/* half libmicrohttpd's default (32 KiB), so that a test can tell the setting applies */
#define MEMORY_BYTES 16384
/* libmicrohttpd counts idle time in whole seconds: a cut comes 1 to 2 s after the last byte */
#define MARGIN_S 3.0
#define POOL_THREADS 4
/* more silent connections than the pool has threads */
#define SLOW_CLIENTS (2 * POOL_THREADS)

static struct harness h;

static double
mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A TCP connection to the server; the test fails when it cannot connect. */
static int
raw_connect(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)h.port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void
raw_send(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        data += w;
        n -= (size_t)w;
    }
}

/*
 * Read from fd until the peer closes it (EOF or reset) or seconds pass,
 * appending up to out_size - 1 bytes to out (NUL-terminated; NULL: discard).
 * Returns the time the close was seen (mono_s), or -1 when it stayed open.
 */
static double
wait_closed(int fd, double seconds, char *out, size_t out_size)
{
    double deadline = mono_s() + seconds;
    size_t len = 0;
    char buf[4096];

    if (out != NULL)
        out[0] = '\0';
    for (;;) {
        int left_ms = (int)((deadline - mono_s()) * 1000);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left_ms <= 0 || poll(&p, 1, left_ms) <= 0)
            return -1;
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return mono_s();
        if (r < 0)
            return -1;
        if (out != NULL && len + 1 < out_size) {
            size_t k = (size_t)r < out_size - 1 - len ? (size_t)r : out_size - 1 - len;
            memcpy(out + len, buf, k);
            len += k;
            out[len] = '\0';
        }
    }
}

/* Read one response with a Content-Length body from fd into out (NUL-terminated). */
static void
read_response(int fd, char *out, size_t out_size)
{
    size_t len = 0;
    double deadline = mono_s() + 10;
    for (;;) {
        char *end = strstr(out, "\r\n\r\n");
        const char *cl = strstr(out, "Content-Length: ");
        if (len > 0 && end != NULL && cl != NULL &&
            len >= (size_t)(end + 4 - out) + strtoul(cl + 16, NULL, 10))
            return;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_true(mono_s() < deadline);
        assert_int_equal(poll(&p, 1, 1000) >= 0, 1);
        if (!(p.revents & POLLIN))
            continue;
        ssize_t r = recv(fd, out + len, out_size - 1 - len, 0);
        if (r <= 0)
            fail_msg("connection closed after %zu bytes of the response: %s", len, out);
        len += (size_t)r;
        out[len] = '\0';
    }
}

static void
assert_healthz(void)
{
    struct http_resp r;
    long status = http_do(&h, "GET", "/healthz", NULL, NULL, 0, &r);
    if (status != 200)
        fail_msg("GET /healthz answered %ld: %s", status, r.body);
    http_resp_cleanup(&r);
}

static void
test_connection_partial_request_line_is_closed_after_timeout(void **state)
{
    (void)state;
    int fds[SLOW_CLIENTS];
    double t0 = mono_s();

    /* half of them send the start of a request line, the others nothing */
    for (int i = 0; i < SLOW_CLIENTS; i++) {
        fds[i] = raw_connect();
        if (i % 2 == 0)
            raw_send(fds[i], "GET /heal", 9);
    }
    /* every pool thread could hold one of them: the server answers anyway */
    for (int i = 0; i < 10; i++)
        assert_healthz();
    assert_true(mono_s() - t0 < TIMEOUT_S);
    for (int i = 0; i < SLOW_CLIENTS; i++) {
        double closed = wait_closed(fds[i], TIMEOUT_S + MARGIN_S - (mono_s() - t0), NULL, 0);
        if (closed < 0)
            fail_msg("slow client %d still connected %.1f s after it sent its last byte", i,
                     mono_s() - t0);
        /* cut by the timeout, not at once */
        assert_true(closed - t0 >= TIMEOUT_S * 0.9);
        close(fds[i]);
    }
    assert_healthz();
}

static void
test_keepalive_idle_connection_is_closed_after_timeout(void **state)
{
    (void)state;
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char resp[4096] = "";
    int fd = raw_connect();

    raw_send(fd, req, sizeof req - 1);
    read_response(fd, resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 200"));
    assert_null(strstr(resp, "Connection: close"));
    /* kept alive: a second request on the same connection is answered */
    resp[0] = '\0';
    raw_send(fd, req, sizeof req - 1);
    read_response(fd, resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 200"));
    double t0 = mono_s();
    double closed = wait_closed(fd, TIMEOUT_S + MARGIN_S, NULL, 0);
    if (closed < 0)
        fail_msg("an idle keep-alive connection stayed open over %.0f s", TIMEOUT_S + MARGIN_S);
    assert_true(closed - t0 >= TIMEOUT_S * 0.9);
    close(fd);
}

/* Send head (a request line or a header) padded with 'a' to n bytes, then read what comes back. */
static void
send_oversized(const char *head, const char *tail, size_t n, char *resp, size_t resp_size)
{
    size_t hl = strlen(head), tl = strlen(tail);
    char *req = malloc(n + tl);
    int fd = raw_connect();

    assert_non_null(req);
    memcpy(req, head, hl);
    memset(req + hl, 'a', n - hl);
    memcpy(req + n, tail, tl);
    /* the server may answer and close before it has read everything: ignore send errors */
    size_t off = 0;
    while (off < n + tl) {
        ssize_t w = send(fd, req + off, n + tl - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    free(req);
    if (wait_closed(fd, 10, resp, resp_size) < 0)
        fail_msg("the server neither answered nor closed an oversized request: %s", resp);
    close(fd);
}

static void
test_header_block_over_memory_limit_gets_431(void **state)
{
    (void)state;
    char resp[2048];
    size_t limit = (size_t)h.app.cfg.http_connection_memory_bytes;

    assert_int_equal(limit, MEMORY_BYTES);
    /* over the configured limit, under libmicrohttpd's default */
    send_oversized("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ", "\r\n\r\n",
                   limit * 3 / 2, resp, sizeof resp);
    if (strncmp(resp, "HTTP/1.1 431 ", 13) != 0)
        fail_msg("a %zu-byte header block was answered: %.200s", limit * 3 / 2, resp);
    assert_healthz();

    send_oversized("GET /healthz?", " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", limit * 3 / 2, resp,
                   sizeof resp);
    if (strncmp(resp, "HTTP/1.1 414 ", 13) != 0)
        fail_msg("a %zu-byte request line was answered: %.200s", limit * 3 / 2, resp);
    assert_healthz();

    /* below the limit, a large header is fine */
    char big[4096 + 16];
    snprintf(big, sizeof big, "X-Padding: %04096d", 0);
    const char *hd[] = {big, NULL};
    struct http_resp r;
    assert_int_equal(http_do(&h, "GET", "/healthz", hd, NULL, 0, &r), 200);
    http_resp_cleanup(&r);
}

static int
setup(const char *threads, const char *name)
{
    char timeout[16], memory[16];
    snprintf(timeout, sizeof timeout, "%d", TIMEOUT_S);
    snprintf(memory, sizeof memory, "%d", MEMORY_BYTES);
    setenv("CAPA_HTTP_THREADS", threads, 1);
    setenv("CAPA_HTTP_CONNECTION_TIMEOUT_S", timeout, 1);
    setenv("CAPA_HTTP_CONNECTION_MEMORY_BYTES", memory, 1);
    return harness_start(&h, name);
}

static int
setup_per_connection(void **state)
{
    (void)state;
    return setup("0", "http_tpc");
}

static int
setup_pool(void **state)
{
    char n[16];
    (void)state;
    snprintf(n, sizeof n, "%d", POOL_THREADS);
    return setup(n, "http_pool");
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
        cmocka_unit_test(test_connection_partial_request_line_is_closed_after_timeout),
        cmocka_unit_test(test_keepalive_idle_connection_is_closed_after_timeout),
        cmocka_unit_test(test_header_block_over_memory_limit_gets_431),
    };
    int failed =
        _cmocka_run_group_tests("thread per connection", tests, sizeof tests / sizeof tests[0],
                                setup_per_connection, teardown);
    failed += _cmocka_run_group_tests("thread pool", tests, sizeof tests / sizeof tests[0],
                                      setup_pool, teardown);
    return failed;
}
