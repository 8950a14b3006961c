/*
 * test_relay_processes.c - the relay across real capad processes: a capad
 * killed (SIGKILL) while it publishes loses nothing, and of three capad
 * instances exactly one publishes, in order, with another taking over when
 * it dies.
 *
 * The test process owns the database (harness, without a relay of its own)
 * and the librdkafka mock cluster (evt_mock_new); the capad processes
 * (CAPAD_PATH, the build's binary) reach both over loopback. Children are
 * reaped in each test's teardown even when an assertion failed, die with
 * this program (PR_SET_PDEATHSIG) when it is killed, and a watchdog aborts
 * a run that hangs. Worker threads never call cmocka assertions: they record
 * what they saw and the main thread asserts after joining them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testlib.h"
#include "kafka.h"
#include "kafka_consumer.h"

#ifndef CAPAD_PATH
#error "CAPAD_PATH (the capad binary) must be defined by the build"
#endif

extern char **environ;

#define TOPIC "capa.case-events"
#define MAX_PROCS 3
#define READY_S 30
#define WAIT_S 60
#define READ_MS 45000

static struct harness h; /* the database; its own server has no relay */
static struct evt_mock *mock;

struct proc {
    pid_t pid; /* 0: not running */
    unsigned port;
};
static struct proc procs[MAX_PROCS];

/* ---- small helpers ---- */

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

/* A progress line on stderr, with the time since the program started. */
static void
note(const char *fmt, ...)
{
    static double t0;
    va_list ap;
    if (t0 == 0)
        t0 = mono_s();
    fprintf(stderr, "[%6.1f s] ", mono_s() - t0);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void
read_and_check(const struct harness_ids *want, struct kc_log *log)
{
    char why[512] = "";
    memset(log, 0, sizeof *log);
    if (kc_read(evt_mock_bootstraps(mock), TOPIC, (const char *const *)want->v, want->n, READ_MS,
                log, why, sizeof why) != 0)
        fail_msg("reading %s: %s", TOPIC, why);
    if (kc_check(log, (const char *const *)want->v, want->n, why, sizeof why) != 0)
        fail_msg("%s", why);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every case in ids (n of them) has its created event (ce_sequence 1) in log. */
static void
assert_created_arrived(const struct kc_log *log, char (*ids)[37], int n)
{
    char **sorted = calloc((size_t)n, sizeof *sorted);
    bool *seen = calloc((size_t)n, sizeof *seen);
    assert_non_null(sorted);
    assert_non_null(seen);
    for (int i = 0; i < n; i++)
        sorted[i] = ids[i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
    for (size_t k = 0; k < log->n; k++) {
        const struct kc_msg *m = &log->msgs[k];
        const char *seq = kc_header(m, "ce_sequence");
        if (m->key == NULL || seq == NULL || strcmp(seq, "1") != 0)
            continue;
        char **hit = bsearch(&m->key, sorted, (size_t)n, sizeof *sorted, cmp_str);
        if (hit != NULL)
            seen[hit - sorted] = true;
    }
    for (int i = 0; i < n; i++)
        if (!seen[i])
            fail_msg("the created event of case %s never arrived", sorted[i]);
    free(seen);
    free(sorted);
}

/* ---- HTTP to one capad ---- */

static long
call(unsigned port, const char *method, const char *path, const char *const *headers,
     const char *body, struct http_resp *r)
{
    return http_do_port(&h, port, method, path, headers, body, body ? strlen(body) : 0, r);
}

static double
metric_of(unsigned port, const char *name)
{
    struct http_resp r;
    double v = -1;
    size_t n = strlen(name);
    if (call(port, "GET", "/metrics", NULL, NULL, &r) == 200)
        for (const char *line = r.body; line && *line;
             line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            if (strncmp(line, name, n) == 0 && line[n] == ' ')
                v = strtod(line + n + 1, NULL);
    http_resp_cleanup(&r);
    return v;
}

/* ---- capad processes ---- */

/* The low end of the ports the kernel hands out for outgoing connections. */
static unsigned
ephemeral_low(void)
{
    unsigned low = 32768, high = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f != NULL) {
        if (fscanf(f, "%u %u", &low, &high) != 2)
            low = 32768;
        fclose(f);
    }
    return low;
}

static bool
port_bindable(unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0)
        return false;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/*
 * A free port below the ephemeral range: while capad restarts on it, a
 * client's connection attempt cannot take it as its own source port (a TCP
 * self-connection), which would keep capad from listening again.
 */
static unsigned
free_port(void)
{
    unsigned low = ephemeral_low();
    if (low > 20000) {
        unsigned span = low - 20000;
        unsigned seed = (unsigned)getpid() ^ (unsigned)(mono_s() * 1e6);
        for (int attempt = 0; attempt < 200; attempt++) {
            unsigned port = 20000 + (unsigned)rand_r(&seed) % span;
            if (port_bindable(port))
                return port;
        }
    }
    /* no room below: any port the kernel gives */
    return harness_free_port();
}

/*
 * Start capad serve on port (this environment without CAPA_*, plus the
 * test's settings). Returns false when it cannot be spawned. No assertion:
 * called while writer threads run.
 */
static bool
proc_start(struct proc *p, unsigned port)
{
    char settings[9][600];
    size_t n_env = 0;
    while (environ[n_env] != NULL)
        n_env++;
    char **envp = calloc(n_env + 10, sizeof *envp);
    size_t k = 0;
    if (envp == NULL)
        abort();
    for (size_t i = 0; i < n_env; i++)
        if (strncmp(environ[i], "CAPA_", 5) != 0)
            envp[k++] = environ[i];
    snprintf(settings[0], sizeof settings[0], "CAPA_DATABASE_URL=%s", h.db_url);
    snprintf(settings[1], sizeof settings[1], "CAPA_HTTP_PORT=%u", port);
    snprintf(settings[2], sizeof settings[2], "CAPA_HTTP_BIND=127.0.0.1");
    snprintf(settings[3], sizeof settings[3], "CAPA_KAFKA_BROKERS=%s", evt_mock_bootstraps(mock));
    snprintf(settings[4], sizeof settings[4], "CAPA_KAFKA_MESSAGE_TIMEOUT_MS=5000");
    snprintf(settings[5], sizeof settings[5], "CAPA_RELAY_POLL_MS=200");
    snprintf(settings[6], sizeof settings[6], "CAPA_LOG_LEVEL=warn");
    snprintf(settings[7], sizeof settings[7], "CAPA_DB_POOL_SIZE=6");
    /* the writers hammer one principal's key */
    snprintf(settings[8], sizeof settings[8], "CAPA_RATE_LIMIT_RPS=0");
    for (int i = 0; i < 9; i++)
        envp[k++] = settings[i];
    envp[k] = NULL;
    char *argv[] = {CAPAD_PATH, "serve", NULL};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* only async-signal-safe calls here: other threads may hold locks */
        /* no orphan capad, even when this program is killed */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        execve(CAPAD_PATH, argv, envp);
        _exit(127);
    }
    free(envp);
    if (pid < 0) {
        perror("fork");
        return false;
    }
    p->pid = pid;
    p->port = port;
    return true;
}

/* Whether the process ended (reaped; *status set). */
static bool
proc_ended(struct proc *p, int *status)
{
    if (p->pid == 0)
        return true;
    if (waitpid(p->pid, status, WNOHANG) == p->pid) {
        p->pid = 0;
        return true;
    }
    return false;
}

/* Wait for /readyz 200; false when the process died or the wait timed out. */
static bool
proc_wait_ready(struct proc *p)
{
    double deadline = mono_s() + READY_S;
    int status;
    while (mono_s() < deadline) {
        struct http_resp r;
        long s = call(p->port, "GET", "/readyz", NULL, NULL, &r);
        http_resp_cleanup(&r);
        if (s == 200)
            return true;
        if (proc_ended(p, &status)) {
            fprintf(stderr, "capad on port %u exited (status %d) before it was ready\n", p->port,
                    status);
            return false;
        }
        nap_ms(100);
    }
    fprintf(stderr, "capad on port %u not ready after %d s\n", p->port, READY_S);
    return false;
}

static void
proc_kill(struct proc *p)
{
    int status;
    if (p->pid == 0)
        return;
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    p->pid = 0;
}

/* SIGTERM, then SIGKILL after 20 s. Returns the exit status (-1: killed or not running). */
static int
proc_stop(struct proc *p)
{
    int status = 0;
    if (p->pid == 0)
        return -1;
    kill(p->pid, SIGTERM);
    double deadline = mono_s() + 20;
    while (!proc_ended(p, &status)) {
        if (mono_s() >= deadline) {
            fprintf(stderr, "capad on port %u ignored SIGTERM for 20 s: killing it\n", p->port);
            proc_kill(p);
            return -1;
        }
        nap_ms(50);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- writers ---- */

static atomic_bool writers_abort;

/*
 * Send a request until it gets an answer from the server (connection errors
 * and 5xx: the server is restarting) or 60 s pass. *lost tells whether an
 * earlier attempt may have reached the server without an answer.
 */
static long
call_retrying(const unsigned *port, const char *method, const char *path,
              const char *const *headers, const char *body, struct http_resp *r, bool *lost)
{
    double deadline = mono_s() + 60;
    long status;
    *lost = false;
    for (;;) {
        status = call(*port, method, path, headers, body, r);
        if ((status > 0 && status < 500) || mono_s() >= deadline || atomic_load(&writers_abort))
            return status;
        http_resp_cleanup(r);
        *lost = true;
        nap_ms(50);
    }
}

/* ---- SIGKILL while publishing ---- */

#define KILL_WRITERS 4
#define KILL_CASES 1000
#define KILL_AT 300

struct kill_writer {
    int from, to;
    const unsigned *port;
    char (*ids)[37];
    long *status;       /* of each create */
    long *patch_status; /* every 10th case is patched once */
    atomic_int *created;
};

static void *
kill_writer_main(void *arg)
{
    struct kill_writer *w = arg;
    char key[64], title[64], path[128], *body;
    struct http_resp r;
    bool lost;
    for (int i = w->from; i < w->to && !atomic_load(&writers_abort); i++) {
        snprintf(key, sizeof key, "Idempotency-Key: sigkill-%d", i);
        const char *hd[] = {"Content-Type: application/json", key, NULL};
        snprintf(title, sizeof title, "sigkill %d", i);
        body = harness_case_body(title, "minor");
        w->status[i] = call_retrying(w->port, "POST", "/v1/cases", hd, body, &r, &lost);
        if (w->status[i] == 201 && tl_str(r.j, "id") != NULL)
            snprintf(w->ids[i], 37, "%s", tl_str(r.j, "id"));
        http_resp_cleanup(&r);
        free(body);
        if (w->status[i] != 201)
            continue;
        atomic_fetch_add(w->created, 1);
        if (i % 10 != 0)
            continue;
        const char *pd[] = {"Content-Type: application/merge-patch+json", "If-Match: \"1\"", NULL};
        snprintf(path, sizeof path, "/v1/cases/%s", w->ids[i]);
        w->patch_status[i] =
            call_retrying(w->port, "PATCH", path, pd, "{\"owner\":\"after-kill\"}", &r, &lost);
        /* a retried patch whose first attempt was applied meets version 2 */
        if (w->patch_status[i] == 412 && lost)
            w->patch_status[i] = 200;
        http_resp_cleanup(&r);
    }
    return NULL;
}

static void
test_relay_sigkill_mid_publishing_loses_nothing(void **state)
{
    (void)state;
    char(*ids)[37] = calloc(KILL_CASES, sizeof *ids);
    long *status = calloc(KILL_CASES, sizeof *status);
    long *patch_status = calloc(KILL_CASES, sizeof *patch_status);
    pthread_t t[KILL_WRITERS];
    struct kill_writer w[KILL_WRITERS];
    atomic_int created = 0;
    char where[64], sql[256];
    struct harness_ids want;
    struct kc_log log;
    bool restarted = false;

    assert_non_null(ids);
    assert_non_null(status);
    assert_non_null(patch_status);
    long mark = harness_log_mark(&h);
    unsigned port = free_port();
    assert_true(proc_start(&procs[0], port));
    assert_true(proc_wait_ready(&procs[0]));
    note("capad ready on port %u", port);

    atomic_store(&writers_abort, false);
    for (int k = 0; k < KILL_WRITERS; k++) {
        w[k] = (struct kill_writer){k * KILL_CASES / KILL_WRITERS,
                                    (k + 1) * KILL_CASES / KILL_WRITERS,
                                    &procs[0].port,
                                    ids,
                                    status,
                                    patch_status,
                                    &created};
        assert_int_equal(pthread_create(&t[k], NULL, kill_writer_main, &w[k]), 0);
    }
    /* no assertion while the writers run: they must be joined first */
    double deadline = mono_s() + WAIT_S;
    while (atomic_load(&created) < KILL_AT && mono_s() < deadline)
        nap_ms(5);
    if (atomic_load(&created) >= KILL_AT) {
        proc_kill(&procs[0]);
        note("killed capad after %d creates", atomic_load(&created));
        restarted = proc_start(&procs[0], port) && proc_wait_ready(&procs[0]);
        note("capad restarted: %s", restarted ? "ready" : "FAILED");
    }
    if (!restarted)
        atomic_store(&writers_abort, true);
    for (int k = 0; k < KILL_WRITERS; k++)
        pthread_join(t[k], NULL);
    note("writers done: %d creates", atomic_load(&created));
    assert_true(restarted);

    for (int i = 0; i < KILL_CASES; i++) {
        if (status[i] != 201)
            fail_msg("create %d answered %ld", i, status[i]);
        if (i % 10 == 0 && patch_status[i] != 200)
            fail_msg("patch of case %d answered %ld", i, patch_status[i]);
    }
    /* every case exactly once: retries were replays */
    assert_int_equal(
        harness_sql_long(&h, "SELECT count(*) FROM cases WHERE title LIKE 'sigkill %'"),
        KILL_CASES);

    snprintf(where, sizeof where, "position > %ld", mark);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE %s AND published_at IS NULL",
             where);
    assert_true(harness_wait_sql(&h, sql, "0", WAIT_S));
    note("all published");
    harness_event_ids(&h, where, &want);
    assert_int_equal(want.n, KILL_CASES + KILL_CASES / 10);
    read_and_check(&want, &log);
    note("all read back");
    assert_created_arrived(&log, ids, KILL_CASES);
    int dups = 0;
    for (size_t i = 0; i < want.n; i++) {
        int copies = 0;
        kc_first(&log, want.v[i], &copies);
        dups += copies - 1;
    }
    note("%zu events, %d sent twice across the kill", want.n, dups);
    assert_int_equal(proc_stop(&procs[0]), 0);

    kc_log_cleanup(&log);
    harness_ids_cleanup(&want);
    free(patch_status);
    free(status);
    free(ids);
}

/* ---- three instances ---- */

#define TRIO_WRITERS 4
#define TRIO_CASES 99
#define TRIO_MORE 20

struct trio_writer {
    int from, to;
    char (*ids)[37];
    long (*status)[3]; /* create, patch, patch */
};

static void *
trio_writer_main(void *arg)
{
    struct trio_writer *w = arg;
    char title[64], path[128], *body;
    struct http_resp r;
    const char *cd[] = {"Content-Type: application/json", NULL};
    const char *pd[][3] = {{"Content-Type: application/merge-patch+json", "If-Match: \"1\"", NULL},
                           {"Content-Type: application/merge-patch+json", "If-Match: \"2\"", NULL}};
    for (int i = w->from; i < w->to; i++) {
        snprintf(title, sizeof title, "trio %d", i);
        body = harness_case_body(title, "minor");
        /* create, then each patch, on the next instance round the ring */
        w->status[i][0] = call(procs[i % 3].port, "POST", "/v1/cases", cd, body, &r);
        free(body);
        if (w->status[i][0] == 201 && tl_str(r.j, "id") != NULL)
            snprintf(w->ids[i], 37, "%s", tl_str(r.j, "id"));
        http_resp_cleanup(&r);
        if (w->status[i][0] != 201)
            continue;
        snprintf(path, sizeof path, "/v1/cases/%s", w->ids[i]);
        w->status[i][1] =
            call(procs[(i + 1) % 3].port, "PATCH", path, pd[0], "{\"owner\":\"second\"}", &r);
        http_resp_cleanup(&r);
        w->status[i][2] =
            call(procs[(i + 2) % 3].port, "PATCH", path, pd[1], "{\"owner\":\"third\"}", &r);
        http_resp_cleanup(&r);
    }
    return NULL;
}

/* The one instance (index) reporting capa_relay_leader 1 among those running, or -1. */
static int
sole_leader(void)
{
    int leader = -1, leaders = 0;
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i].pid != 0 && metric_of(procs[i].port, "capa_relay_leader") == 1) {
            leader = i;
            leaders++;
        }
    return leaders == 1 ? leader : -1;
}

static int
wait_sole_leader(int seconds)
{
    double deadline = mono_s() + seconds;
    int leader;
    while ((leader = sole_leader()) < 0 && mono_s() < deadline)
        nap_ms(100);
    return leader;
}

static void
test_relay_three_instances_one_publisher_order_kept(void **state)
{
    (void)state;
    char ids[TRIO_CASES][37], more[TRIO_MORE][37], where[64], sql[512];
    long status[TRIO_CASES][3];
    pthread_t t[TRIO_WRITERS];
    struct trio_writer w[TRIO_WRITERS];
    struct harness_ids want;
    struct kc_log log;

    memset(ids, 0, sizeof ids);
    memset(status, 0, sizeof status);
    long mark = harness_log_mark(&h);
    for (int i = 0; i < MAX_PROCS; i++)
        assert_true(proc_start(&procs[i], free_port()));
    for (int i = 0; i < MAX_PROCS; i++)
        assert_true(proc_wait_ready(&procs[i]));
    note("three instances ready");

    for (int k = 0; k < TRIO_WRITERS; k++) {
        w[k] = (struct trio_writer){k * TRIO_CASES / TRIO_WRITERS,
                                    (k + 1) * TRIO_CASES / TRIO_WRITERS, ids, status};
        assert_int_equal(pthread_create(&t[k], NULL, trio_writer_main, &w[k]), 0);
    }
    for (int k = 0; k < TRIO_WRITERS; k++)
        pthread_join(t[k], NULL);
    note("writes done");
    for (int i = 0; i < TRIO_CASES; i++)
        if (status[i][0] != 201 || status[i][1] != 200 || status[i][2] != 200)
            fail_msg("case %d: create %ld, patches %ld and %ld", i, status[i][0], status[i][1],
                     status[i][2]);

    snprintf(where, sizeof where, "position > %ld", mark);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE %s AND published_at IS NULL",
             where);
    assert_true(harness_wait_sql(&h, sql, "0", WAIT_S));
    harness_event_ids(&h, where, &want);
    assert_int_equal(want.n, TRIO_CASES * 3);
    read_and_check(&want, &log);
    assert_created_arrived(&log, ids, TRIO_CASES);
    note("all published and read back");
    kc_log_cleanup(&log);
    harness_ids_cleanup(&want);

    /* one publisher */
    int leader = wait_sole_leader(15);
    assert_true(leader >= 0);
    for (int i = 0; i < MAX_PROCS; i++) {
        assert_true(metric_of(procs[i].port, "capa_relay_enabled") == 1);
        assert_true(metric_of(procs[i].port, "capa_relay_leader") == (i == leader));
        /* the standbys never published anything */
        double published = metric_of(procs[i].port, "capa_relay_published_total");
        if (i == leader)
            assert_true(published >= TRIO_CASES * 3);
        else
            assert_true(published == 0);
    }

    /* the leader dies; another takes over and publishes what comes next */
    int survivor = (leader + 1) % MAX_PROCS;
    mark = harness_log_mark(&h);
    proc_kill(&procs[leader]);
    double killed_at = mono_s();
    for (int i = 0; i < TRIO_MORE; i++) {
        struct http_resp r;
        char *body = harness_case_body("trio after the leader", "minor");
        const char *cd[] = {"Content-Type: application/json", NULL};
        assert_int_equal(call(procs[survivor].port, "POST", "/v1/cases", cd, body, &r), 201);
        snprintf(more[i], sizeof more[i], "%s", tl_str(r.j, "id"));
        http_resp_cleanup(&r);
        free(body);
    }
    snprintf(where, sizeof where, "position > %ld", mark);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM case_events WHERE %s AND published_at IS NULL",
             where);
    int left = (int)(15 - (mono_s() - killed_at));
    assert_true(left > 0);
    assert_true(harness_wait_sql(&h, sql, "0", left));
    left = (int)(15 - (mono_s() - killed_at));
    int next = wait_sole_leader(left > 1 ? left : 1);
    assert_true(next >= 0);
    assert_true(next != leader);
    assert_true(metric_of(procs[next].port, "capa_relay_published_total") >= TRIO_MORE);
    note("instance %d took over from instance %d within %.1f s", next, leader,
         mono_s() - killed_at);
    harness_event_ids(&h, where, &want);
    assert_int_equal(want.n, TRIO_MORE);
    read_and_check(&want, &log);
    assert_created_arrived(&log, more, TRIO_MORE);

    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i].pid != 0)
            assert_int_equal(proc_stop(&procs[i]), 0);
    kc_log_cleanup(&log);
    harness_ids_cleanup(&want);
}

/* ---- fixtures ---- */

/*
 * A hang must not outlive the program's budget silently: after WATCHDOG_S
 * the children are killed and the program aborts, naming the last step.
 */
#define WATCHDOG_S 240
static atomic_bool finished;

static void *
watchdog_main(void *arg)
{
    (void)arg;
    double deadline = mono_s() + WATCHDOG_S;
    while (!atomic_load(&finished) && mono_s() < deadline)
        nap_ms(200);
    if (atomic_load(&finished))
        return NULL;
    note("watchdog: still running after %d s: killing capad and aborting", WATCHDOG_S);
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i].pid > 0)
            kill(procs[i].pid, SIGKILL);
    abort();
}

static int
reap_children(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_PROCS; i++)
        proc_stop(&procs[i]);
    return 0;
}

static int
setup(void **state)
{
    (void)state;
    /* the capad processes run the relay; this process must not compete */
    unsetenv("CAPA_KAFKA_BROKERS");
    note("starting");
    pthread_t watchdog;
    if (pthread_create(&watchdog, NULL, watchdog_main, NULL) != 0 || pthread_detach(watchdog) != 0)
        return -1;
    harness_start(&h, "relay_proc");
    if (evt_mock_new(3, TOPIC, 6, &mock) != 0) {
        harness_stop(&h);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    reap_children(NULL);
    evt_mock_free(mock);
    mock = NULL;
    harness_stop(&h);
    return 0;
}

int
main(void)
{
    int rc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_relay_sigkill_mid_publishing_loses_nothing, reap_children),
        cmocka_unit_test_teardown(test_relay_three_instances_one_publisher_order_kept,
                                  reap_children),
    };
    rc = cmocka_run_group_tests(tests, setup, teardown);
    atomic_store(&finished, true);
    return rc;
}
