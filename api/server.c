/*
 * server.c - the daemon that serves the route table (routes.c): the ulfius
 * instance on libmicrohttpd, with capa's own option list rather than ulfius'
 * defaults (the threading model, idle timeout and limits of CAPA_HTTP_*, and
 * HTTPS with the checked files of CAPA_TLS_*), and its lifecycle: start, a
 * graceful shutdown that drains within a deadline, stop.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "err.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "ratelimit.h"
#include "routes.h"

/* Largest PEM file read for CAPA_TLS_*: a long chain fits, a wrong path to a big file does not. */
#define TLS_FILE_MAX (1024 * 1024)

/*
 * libmicrohttpd's messages as log lines. Most are about one client (a TLS
 * handshake that failed, a header too large, a peer gone): debug. Those
 * about the server's capacity (the connection limit reached, a thread or an
 * accept() that failed) are warnings, at most one a second (srv->mhd_warned_s)
 * so that a flood of connections does not flood the log.
 */
/* libmicrohttpd passes printf formats of its own */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    static const char *const capacity[] = {"limit", "thread", "accept"};
    struct api_server *srv = cls;
    enum log_level level = LOG_LEVEL_DEBUG;
    char line[512];

    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    for (size_t i = 0; i < sizeof capacity / sizeof capacity[0]; i++)
        if (strstr(line, capacity[i]) != NULL)
            level = LOG_LEVEL_WARN;
    if (level == LOG_LEVEL_WARN) {
        long now = clock_mono_ms() / 1000, last = atomic_load(&srv->mhd_warned_s);
        if (now == last || !atomic_compare_exchange_strong(&srv->mhd_warned_s, &last, now))
            level = LOG_LEVEL_DEBUG;
    }
    log_write(level, "libmicrohttpd: %s", line);
}

/* ulfius' own URI logger, behind the signature libmicrohttpd calls (it passes the connection). */
static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)con;
    return ulfius_uri_logger(cls, uri);
}

/* Wipe and free a buffer that held a private key; NULL is a no-op. */
static void
key_free(char *key)
{
    if (key != NULL)
        gnutls_memset(key, 0, strlen(key));
    free(key);
}

/*
 * Read a PEM file named by the variable var into a new NUL-terminated buffer
 * (caller frees). Returns 0, or ERR_INVALID after logging what failed, naming
 * the variable and the path (never the contents).
 */
static int
tls_file_read(const char *var, const char *path, char **out)
{
    size_t n;
    int e = file_read_all(path, TLS_FILE_MAX, out, &n);

    if (e != 0 && e != EFBIG) {
        log_error("cannot read %s %s: %s", var, path, strerror(e));
        return ERR_INVALID;
    }
    if (e == EFBIG || n == 0 || memchr(*out, '\0', n) != NULL) {
        log_error("%s %s is not a PEM file: %s", var, path,
                  e == EFBIG ? "it is over 1 MiB"
                  : n == 0   ? "it is empty"
                             : "it holds NUL bytes");
        if (*out != NULL)
            gnutls_memset(*out, 0, n);
        free(*out);
        *out = NULL;
        return ERR_INVALID;
    }
    return ERR_OK;
}

/*
 * Check that cert holds PEM certificates and key a PEM private key matching
 * the first, so that a bad file is named rather than failing inside
 * libmicrohttpd with no reason given. Returns 0 or ERR_INVALID (logged).
 */
static int
tls_check(const struct cfg *cfg, const char *cert, const char *key)
{
    gnutls_datum_t c = {(unsigned char *)cert, (unsigned)strlen(cert)};
    gnutls_datum_t k = {(unsigned char *)key, (unsigned)strlen(key)};
    gnutls_x509_crt_t *crts = NULL;
    gnutls_x509_privkey_t pk = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    unsigned n_crts = 0;
    int rc = ERR_INVALID, e;

    if ((e = gnutls_x509_crt_list_import2(&crts, &n_crts, &c, GNUTLS_X509_FMT_PEM, 0)) < 0) {
        log_error("CAPA_TLS_CERT_FILE %s holds no usable PEM certificate: %s", cfg->tls_cert_file,
                  gnutls_strerror(e));
        goto out;
    }
    if ((e = gnutls_x509_privkey_init(&pk)) < 0 ||
        (e = gnutls_x509_privkey_import2(pk, &k, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        log_error("CAPA_TLS_KEY_FILE %s holds no usable unencrypted PEM private key: %s",
                  cfg->tls_key_file, gnutls_strerror(e));
        goto out;
    }
    if ((e = gnutls_certificate_allocate_credentials(&cred)) < 0 ||
        (e = gnutls_certificate_set_x509_key_mem(cred, &c, &k, GNUTLS_X509_FMT_PEM)) < 0) {
        log_error("cannot use the key of CAPA_TLS_KEY_FILE %s with the certificate of "
                  "CAPA_TLS_CERT_FILE %s: %s",
                  cfg->tls_key_file, cfg->tls_cert_file, gnutls_strerror(e));
        goto out;
    }
    rc = ERR_OK;
out:
    for (unsigned i = 0; i < n_crts; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    if (pk != NULL)
        gnutls_x509_privkey_deinit(pk);
    if (cred != NULL)
        gnutls_certificate_free_credentials(cred);
    return rc;
}

/* Room for every option start_daemon sets, and the end. */
#define MHD_OPTIONS_MAX 13

/*
 * GnuTLS' defaults without TLS 1.0 and 1.1: GnuTLS 3.7's NORMAL still
 * negotiates both, and libmicrohttpd uses NORMAL when given nothing.
 */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/*
 * Start libmicrohttpd for srv->inst, as ulfius_start_framework would, with
 * what it leaves out: an idle-connection timeout, connection and memory
 * limits, the threading model of cfg->http_threads and, with
 * CAPA_TLS_CERT_FILE, HTTPS.
 *
 * ulfius_start_framework_with_mhd_options passes our list as it is: ulfius
 * then adds nothing, so its completion callback (mhd_request_completed,
 * which frees each request's state), its URI logger (which creates that
 * state), the bind address (ulfius' own bind_address is ignored) and the
 * timeout (u_instance->timeout is ignored) are all ours to give.
 *
 * MHD_USE_ITC: MHD_quiesce_daemon (api_server_shutdown) refuses to stop a
 * daemon with internal threads that was started without it.
 *
 * Returns 0, ERR_INVALID when a TLS file is unreadable or invalid (logged,
 * naming the file), or ERR_UNAVAILABLE when libmicrohttpd cannot start
 * (usually: the port is taken).
 */
static int
start_daemon(struct api_server *srv, const struct cfg *cfg)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem ops[MHD_OPTIONS_MAX];
    char *cert = NULL, *key = NULL;
    size_t n = 0;
    int rc = ERR_INVALID;

    if (cfg->tls_cert_file != NULL &&
        (tls_file_read("CAPA_TLS_CERT_FILE", cfg->tls_cert_file, &cert) != ERR_OK ||
         tls_file_read("CAPA_TLS_KEY_FILE", cfg->tls_key_file, &key) != ERR_OK ||
         tls_check(cfg, cert, key) != ERR_OK))
        goto out;
    /* first, so that start-up messages reach it too */
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, srv};
    ops[n++] =
        (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mhd_request_completed, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &srv->addr};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                       (intptr_t)cfg->http_connection_timeout_s, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                       (intptr_t)cfg->http_connection_limit, NULL};
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                       (intptr_t)cfg->http_connection_memory_bytes, NULL};
    if (cfg->http_threads > 0) {
        /* N threads, each serving many connections from its own epoll set */
        flags |= MHD_USE_EPOLL;
        ops[n++] =
            (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->http_threads, NULL};
    } else {
        /* ulfius' model; poll() rather than its select(), which stops at fd 1024 */
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    }
    if (cert != NULL) {
        /* libmicrohttpd copies both into its GnuTLS credentials at start */
        flags |= MHD_USE_TLS;
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, cert};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, key};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, TLS_PRIORITIES};
    }
    ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    rc = ulfius_start_framework_with_mhd_options(&srv->inst, flags, ops) == U_OK ? ERR_OK
                                                                                 : ERR_UNAVAILABLE;
out:
    free(cert);
    key_free(key);
    return rc;
}

int
api_server_start(struct app *app, unsigned port, struct api_server *srv)
{
    struct _u_instance *inst = &srv->inst;
    int rc = ERR_INTERNAL;

    memset(srv, 0, sizeof *srv);
    srv->app = app;
    srv->ctx = mem_calloc(api_routes_count() + 1, sizeof *srv->ctx);
    srv->metrics = api_http_metrics_new(api_routes_count());
    srv->limits = api_ratelimit_new(app->cfg.rate_limit_rps, app->cfg.rate_limit_burst);
    srv->addr.sin_family = AF_INET;
    srv->addr.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, app->cfg.http_bind, &srv->addr.sin_addr);
    if (ulfius_init_instance(inst, port, &srv->addr, NULL) != U_OK)
        goto fail_alloc;
    /* one byte over the limit tells a too-large body from one at the limit */
    inst->max_post_body_size =
        (size_t)(app->cfg.evidence_max_bytes > app->cfg.max_body_bytes ? app->cfg.evidence_max_bytes
                                                                       : app->cfg.max_body_bytes) +
        1;
    /* values are validated by the handlers; ulfius would silently drop non-UTF-8 ones */
    inst->check_utf8 = 0;
    inst->allowed_post_processor = U_POST_PROCESS_NONE;
    if (api_routes_register(inst, app, srv->limits, srv->ctx) != ERR_OK)
        goto fail;
    /* before the first request: handlers read it */
    app->http_metrics = srv->metrics;
    if ((rc = start_daemon(srv, &app->cfg)) != ERR_OK) {
        if (rc == ERR_UNAVAILABLE)
            log_error("cannot serve HTTP on %s:%u", app->cfg.http_bind, port);
        goto fail;
    }
    return ERR_OK;
fail:
    ulfius_clean_instance(inst);
fail_alloc:
    app->http_metrics = NULL;
    api_http_metrics_free(srv->metrics);
    api_ratelimit_free(srv->limits);
    free(srv->ctx);
    memset(srv, 0, sizeof *srv);
    return rc;
}

void
api_server_stop(struct api_server *srv)
{
    ulfius_stop_framework(&srv->inst);
    ulfius_clean_instance(&srv->inst);
    /* no request runs any more: the table and the contexts can go */
    if (srv->app != NULL)
        srv->app->http_metrics = NULL;
    api_http_metrics_free(srv->metrics);
    api_ratelimit_free(srv->limits);
    free(srv->ctx);
    srv->limits = NULL;
    srv->metrics = NULL;
    srv->ctx = NULL;
}

/* How long stopping the server may take past the drain deadline. */
#define HTTP_STOP_GRACE_MS 1000

static unsigned
http_connections(struct api_server *srv)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->inst.mhd_daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/* api_server_stop in its own thread, so that the main thread can give up on it. */
struct http_stop {
    struct api_server *srv;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;
};

static void *
http_stop_main(void *arg)
{
    struct http_stop *st = arg;
    api_server_stop(st->srv);
    pthread_mutex_lock(&st->lock);
    st->done = true;
    pthread_cond_signal(&st->done_cond);
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

/*
 * Stop accepting connections, wait until the open ones are done or
 * deadline (CLOCK_MONOTONIC ms) passes, then stop the server, which cuts
 * what is left. libmicrohttpd's stop shuts every connection down and joins
 * its thread, so a handler still running (a slow statement) keeps it
 * waiting: past the deadline and HTTP_STOP_GRACE_MS, give up on it.
 * Returns true when the server stopped, false when handlers still run (the
 * pool must then stay allocated; *st is then leaked on purpose).
 */
bool
api_server_shutdown(struct api_server *srv, long deadline)
{
    long t0 = clock_mono_ms();
    unsigned open;
    MHD_socket fd = MHD_quiesce_daemon(srv->inst.mhd_daemon);

    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    else
        log_warn("cannot stop accepting connections: they are cut at the deadline");
    log_info("stopping: no new connections, %u open, waiting at most %ld ms for them",
             http_connections(srv), deadline - t0 > 0 ? deadline - t0 : 0);
    while ((open = http_connections(srv)) > 0 && clock_mono_ms() < deadline)
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    if (open == 0)
        log_info("requests drained in %ld ms", clock_mono_ms() - t0);
    else
        log_warn("shutdown deadline passed after %ld ms: cutting %u connection(s)",
                 clock_mono_ms() - t0, open);

    struct http_stop *st = mem_calloc(1, sizeof *st);
    pthread_t thread;
    bool threaded;
    st->srv = srv;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->done_cond, NULL);
    if (!(threaded = pthread_create(&thread, NULL, http_stop_main, st) == 0)) {
        api_server_stop(srv);
        st->done = true;
    }
    long wait_ms = deadline - clock_mono_ms();
    wait_ms = (wait_ms > 0 ? wait_ms : 0) + HTTP_STOP_GRACE_MS;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000 + (until.tv_nsec + (wait_ms % 1000) * 1000000L) / 1000000000L;
    until.tv_nsec = (until.tv_nsec + (wait_ms % 1000) * 1000000L) % 1000000000L;
    pthread_mutex_lock(&st->lock);
    while (!st->done && pthread_cond_timedwait(&st->done_cond, &st->lock, &until) != ETIMEDOUT)
        ;
    bool stopped = st->done;
    pthread_mutex_unlock(&st->lock);
    if (!stopped) {
        log_error("requests still running %ld ms after the shutdown deadline: exiting without "
                  "waiting for them",
                  clock_mono_ms() - deadline);
        return false;
    }
    if (threaded)
        pthread_join(thread, NULL);
    pthread_cond_destroy(&st->done_cond);
    pthread_mutex_destroy(&st->lock);
    free(st);
    return true;
}
