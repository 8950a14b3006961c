/*
 * test_lifecycle.c - the real capad binary (CAPAD_PATH) from start to exit:
 * capad config check prints every variable with secrets masked and refuses
 * bad values; SIGTERM under load drains the requests in flight, loses no
 * acknowledged write, creates no phantom, and exits 0 within the deadline,
 * with a thread per connection and with a thread pool; capad serve refuses a
 * database with unapplied migrations, and an unreadable TLS file (exit 78).
 *
 * The test process owns the database (harness); the capad children reach it
 * over the same connection string, die with this program (PR_SET_PDEATHSIG)
 * and are reaped in each test even when an assertion failed. Client threads
 * never call cmocka assertions: they record, the main thread asserts.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef CAPAD_PATH
#error "CAPAD_PATH (the capad binary) must be defined by the build"
#endif
#ifndef CAPA_README
#error "CAPA_README (README.md, whose table lists every variable) must be defined by the build"
#endif

extern char **environ;

#define SHUTDOWN_S 10
#define CLIENTS 4
#define PER_CLIENT 4000

static struct harness h; /* the database; its in-process server is not used */

struct proc {
    pid_t pid;
    char log_path[64]; /* stdout and stderr of the child */
};

static double
mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/*
 * Start capad with argv[1..] = cmd, this environment without CAPA_* plus
 * settings (NULL-terminated "NAME=value"), output to a temporary file.
 */
static void
proc_start(struct proc *p, const char *const *cmd, const char *const *settings)
{
    size_t n_env = 0, n_set = 0, k = 0;
    while (environ[n_env] != NULL)
        n_env++;
    while (settings[n_set] != NULL)
        n_set++;
    char **envp = calloc(n_env + n_set + 1, sizeof *envp);
    assert_non_null(envp);
    for (size_t i = 0; i < n_env; i++)
        if (strncmp(environ[i], "CAPA_", 5) != 0)
            envp[k++] = environ[i];
    for (size_t i = 0; i < n_set; i++)
        envp[k++] = (char *)settings[i];
    char *argv[4] = {CAPAD_PATH, (char *)cmd[0], (char *)cmd[1], NULL};
    snprintf(p->log_path, sizeof p->log_path, "/tmp/capa_lifecycle_XXXXXX");
    int fd = mkstemp(p->log_path);
    assert_true(fd >= 0);
    pid_t parent = getpid();
    p->pid = fork();
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        execve(CAPAD_PATH, argv, envp);
        _exit(127);
    }
    close(fd);
    free(envp);
    assert_true(p->pid > 0);
}

/* Wait at most seconds; returns the exit status, or -1 (killed, or still running: killed now). */
static int
proc_wait(struct proc *p, double seconds)
{
    double deadline = mono_s() + seconds;
    int status;
    while (p->pid != 0 && waitpid(p->pid, &status, WNOHANG) != p->pid) {
        if (mono_s() >= deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            p->pid = 0;
            return -1;
        }
        nap_ms(20);
    }
    p->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The child's output (caller frees); the file is removed. */
static char *
proc_output(struct proc *p)
{
    FILE *f = fopen(p->log_path, "r");
    char *out = calloc(1, 1 << 20);
    assert_non_null(f);
    assert_non_null(out);
    size_t n = fread(out, 1, (1 << 20) - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(p->log_path);
    return out;
}

static char *
run_capad(const char *const *cmd, const char *const *settings, int *status)
{
    struct proc p;
    proc_start(&p, cmd, settings);
    *status = proc_wait(&p, 60);
    return proc_output(&p);
}

static long
call(unsigned port, const char *method, const char *path, const char *const *headers,
     const char *body, struct http_resp *r)
{
    return http_do_port(&h, port, method, path, headers, body, body ? strlen(body) : 0, r);
}

/* ---- capad config check ---- */

static void
test_config_check_masks_secrets_and_lists_every_variable(void **state)
{
    (void)state;
    const char *cmd[] = {"config", "check"};
    const char *set[] = {"CAPA_DATABASE_URL=postgresql://u:s3cret@db/x",
                         "CAPA_KAFKA_PROPERTIES=sasl.username=a;sasl.password=p4ss", NULL};
    int status, listed = 0;
    char *out = run_capad(cmd, set, &status), line[256];

    assert_int_equal(status, 0);
    assert_null(strstr(out, "s3cret"));
    assert_null(strstr(out, "p4ss"));
    assert_non_null(strstr(out, "CAPA_DATABASE_URL=postgresql://u:****@db/x\n"));
    assert_non_null(strstr(out, "CAPA_KAFKA_PROPERTIES=sasl.username=a;sasl.password=****\n"));
    assert_non_null(strstr(out, "CAPA_SHUTDOWN_TIMEOUT_S=20\n"));
    /* every variable of the README's table, once, and nothing else */
    FILE *readme = fopen(CAPA_README, "r");
    assert_non_null(readme);
    while (fgets(line, sizeof line, readme) != NULL) {
        char name[64], want[80];
        if (sscanf(line, "| `%63[A-Z0-9_]` |", name) != 1 || strncmp(name, "CAPA_", 5) != 0)
            continue;
        snprintf(want, sizeof want, "%s=", name);
        const char *at = strstr(out, want);
        if (at == NULL || (at != out && at[-1] != '\n'))
            fail_msg("capad config check does not list %s:\n%s", name, out);
        listed++;
    }
    fclose(readme);
    int lines = 0;
    for (const char *c = out; *c; c++)
        lines += *c == '\n';
    assert_true(listed >= 20);
    assert_int_equal(lines, listed);
    free(out);
}

static void
test_config_check_tls_needs_both_files(void **state)
{
    (void)state;
    const char *cmd[] = {"config", "check"};
    const char *set[] = {"CAPA_TLS_CERT_FILE=/etc/capa/cert.pem", NULL};
    int status;
    char *out = run_capad(cmd, set, &status);
    assert_int_equal(status, 78);
    assert_non_null(strstr(out, "CAPA_TLS_KEY_FILE"));
    free(out);
}

static void
test_config_check_pool_above_connection_limit_exits_78(void **state)
{
    (void)state;
    const char *cmd[] = {"config", "check"};
    const char *set[] = {"CAPA_HTTP_THREADS=16", "CAPA_HTTP_CONNECTION_LIMIT=8", NULL};
    int status;
    char *out = run_capad(cmd, set, &status);
    assert_int_equal(status, 78);
    assert_non_null(strstr(out, "CAPA_HTTP_CONNECTION_LIMIT"));
    free(out);
}

static void
test_config_check_bad_value_exits_78(void **state)
{
    (void)state;
    const char *cmd[] = {"config", "check"};
    const char *set[] = {"CAPA_HTTP_PORT=0", NULL};
    int status;
    char *out = run_capad(cmd, set, &status);
    assert_int_equal(status, 78);
    assert_non_null(strstr(out, "CAPA_HTTP_PORT"));
    free(out);
}

/* ---- SIGTERM under load ---- */

static atomic_bool clients_stop;
static atomic_int created;
/* "life<CAPA_HTTP_THREADS>": each run's cases and keys apart from the other runs' */
static char run_tag[16];

struct client {
    int id;
    unsigned port;
    int n;                   /* requests sent */
    long status[PER_CLIENT]; /* -1: no answer (refused, or cut) */
};

static void *
client_main(void *arg)
{
    struct client *c = arg;
    char key[64], title[64];
    struct http_resp r;
    while (!atomic_load(&clients_stop) && c->n < PER_CLIENT) {
        int i = c->n;
        snprintf(key, sizeof key, "Idempotency-Key: %s-%d-%d", run_tag, c->id, i);
        snprintf(title, sizeof title, "%s %d %d", run_tag, c->id, i);
        const char *hd[] = {"Content-Type: application/json", key, NULL};
        char *body = harness_case_body(title, "minor");
        c->status[i] = call(c->port, "POST", "/v1/cases", hd, body, &r);
        c->n++;
        if (c->status[i] == 201)
            atomic_fetch_add(&created, 1);
        http_resp_cleanup(&r);
        free(body);
        if (c->status[i] < 0)
            nap_ms(5); /* refused: the server is going away */
    }
    return NULL;
}

/* SIGTERM under load with CAPA_HTTP_THREADS=threads (quiescing differs between the models). */
static void
sigterm_under_load(const char *threads)
{
    char url[600], port_s[32], shutdown_s[48], threads_s[48];
    unsigned port = harness_free_port();
    snprintf(url, sizeof url, "CAPA_DATABASE_URL=%s", h.db_url);
    snprintf(port_s, sizeof port_s, "CAPA_HTTP_PORT=%u", port);
    snprintf(shutdown_s, sizeof shutdown_s, "CAPA_SHUTDOWN_TIMEOUT_S=%d", SHUTDOWN_S);
    snprintf(threads_s, sizeof threads_s, "CAPA_HTTP_THREADS=%s", threads);
    snprintf(run_tag, sizeof run_tag, "life%s", threads);
    const char *cmd[] = {"serve", NULL};
    const char *set[] = {url,
                         port_s,
                         shutdown_s,
                         "CAPA_HTTP_BIND=127.0.0.1",
                         "CAPA_LOG_LEVEL=info",
                         "CAPA_RATE_LIMIT_RPS=0",
                         threads_s,
                         NULL};
    struct proc p;
    struct client *clients = calloc(CLIENTS, sizeof *clients);
    pthread_t t[CLIENTS];
    struct http_resp r;

    assert_non_null(clients);
    proc_start(&p, cmd, set);
    double ready_by = mono_s() + 30;
    while (call(port, "GET", "/readyz", NULL, NULL, &r) != 200 && mono_s() < ready_by) {
        http_resp_cleanup(&r);
        nap_ms(50);
    }
    http_resp_cleanup(&r);
    atomic_store(&clients_stop, false);
    atomic_store(&created, 0);
    for (int i = 0; i < CLIENTS; i++) {
        clients[i].id = i;
        clients[i].port = port;
        assert_int_equal(pthread_create(&t[i], NULL, client_main, &clients[i]), 0);
    }
    double load_by = mono_s() + 30;
    while (atomic_load(&created) < 100 && mono_s() < load_by)
        nap_ms(10);
    kill(p.pid, SIGTERM);
    double t0 = mono_s();
    int status = proc_wait(&p, SHUTDOWN_S + 5);
    double took = mono_s() - t0;
    atomic_store(&clients_stop, true);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(t[i], NULL);
    char *log = proc_output(&p);
    if (status != 0 || took > SHUTDOWN_S + 2)
        fail_msg("capad exited %d after %.1f s (deadline %d s):\n%s", status, took, SHUTDOWN_S,
                 log);
    assert_non_null(strstr(log, "requests drained"));
    /* new connections were refused at once, not cut at the deadline */
    if (strstr(log, "cannot stop accepting connections") != NULL)
        fail_msg("capad (CAPA_HTTP_THREADS=%s) could not quiesce:\n%s", threads, log);
    assert_true(atomic_load(&created) >= 100);

    /* what the clients were told against what the database holds */
    char sql[256], tag[16];
    snprintf(sql, sizeof sql,
             "SELECT coalesce(string_agg(title, ','), '') FROM cases WHERE title LIKE '%s %%'",
             run_tag);
    char *titles = harness_sql(&h, sql);
    bool(*in_db)[PER_CLIENT] = calloc(CLIENTS, sizeof *in_db);
    long acked = 0, stored = 0;
    assert_non_null(in_db);
    for (char *save = NULL, *tk = strtok_r(titles, ",", &save); tk;
         tk = strtok_r(NULL, ",", &save)) {
        int i, k;
        assert_int_equal(sscanf(tk, "%15s %d %d", tag, &i, &k), 3);
        assert_string_equal(tag, run_tag);
        assert_true(i >= 0 && i < CLIENTS && k >= 0 && k < PER_CLIENT);
        assert_false(in_db[i][k]); /* the Idempotency-Key made each request one case */
        in_db[i][k] = true;
        stored++;
    }
    for (int i = 0; i < CLIENTS; i++)
        for (int k = 0; k < clients[i].n; k++) {
            long s = clients[i].status[k];
            acked += s == 201;
            if (s == 201 && !in_db[i][k])
                fail_msg("request %s-%d-%d was acknowledged (201), its case is missing", run_tag, i,
                         k);
            if (in_db[i][k] && s != 201 && s != -1)
                fail_msg("request %s-%d-%d answered %ld, yet its case exists", run_tag, i, k, s);
        }
    fprintf(
        stderr,
        "CAPA_HTTP_THREADS=%s: %ld acknowledged, %ld in the database, capad stopped in %.2f s\n",
        threads, acked, stored, took);
    free(titles);
    free(in_db);
    free(log);
    free(clients);
}

static void
test_sigterm_under_load_drains_and_exits_0_thread_per_connection(void **state)
{
    (void)state;
    sigterm_under_load("0");
}

static void
test_sigterm_under_load_drains_and_exits_0_thread_pool(void **state)
{
    (void)state;
    sigterm_under_load("4");
}

/* ---- start-up ---- */

static void
test_serve_pending_migrations_names_capad_migrate(void **state)
{
    (void)state;
    char url[600];
    snprintf(url, sizeof url, "CAPA_DATABASE_URL=%s", h.db_url);
    const char *cmd[] = {"serve", NULL};
    const char *set[] = {url, "CAPA_HTTP_BIND=127.0.0.1", "CAPA_HTTP_PORT=1", NULL};
    int status;

    free(harness_sql(&h, "CREATE TABLE lifecycle_saved AS SELECT * FROM schema_migrations "
                         "WHERE version = (SELECT max(version) FROM schema_migrations)"));
    free(harness_sql(&h, "DELETE FROM schema_migrations WHERE version = "
                         "(SELECT version FROM lifecycle_saved)"));
    char *out = run_capad(cmd, set, &status);
    free(harness_sql(&h, "INSERT INTO schema_migrations SELECT * FROM lifecycle_saved"));
    free(harness_sql(&h, "DROP TABLE lifecycle_saved"));
    if (status == 0 || strstr(out, "capad migrate") == NULL)
        fail_msg("capad serve on a database with a pending migration exited %d:\n%s", status, out);
    free(out);
}

static void
test_serve_unreadable_tls_file_exits_78_naming_it(void **state)
{
    (void)state;
    char url[600];
    snprintf(url, sizeof url, "CAPA_DATABASE_URL=%s", h.db_url);
    const char *cmd[] = {"serve", NULL};
    const char *set[] = {url,
                         "CAPA_HTTP_BIND=127.0.0.1",
                         "CAPA_HTTP_PORT=1",
                         "CAPA_TLS_CERT_FILE=/nonexistent/capa-cert.pem",
                         "CAPA_TLS_KEY_FILE=/nonexistent/capa-key.pem",
                         NULL};
    int status;
    char *out = run_capad(cmd, set, &status);
    if (status != 78 || strstr(out, "/nonexistent/capa-cert.pem") == NULL)
        fail_msg("capad serve with a missing CAPA_TLS_CERT_FILE exited %d:\n%s", status, out);
    free(out);
}

static int
setup(void **state)
{
    (void)state;
    return harness_start(&h, "lifecycle");
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
        cmocka_unit_test(test_config_check_masks_secrets_and_lists_every_variable),
        cmocka_unit_test(test_config_check_bad_value_exits_78),
        cmocka_unit_test(test_config_check_tls_needs_both_files),
        cmocka_unit_test(test_config_check_pool_above_connection_limit_exits_78),
        cmocka_unit_test(test_sigterm_under_load_drains_and_exits_0_thread_per_connection),
        cmocka_unit_test(test_sigterm_under_load_drains_and_exits_0_thread_pool),
        cmocka_unit_test(test_serve_pending_migrations_names_capad_migrate),
        cmocka_unit_test(test_serve_unreadable_tls_file_exits_78_naming_it),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
