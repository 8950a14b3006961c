/*
 * main.c - capad: the capa corrective-action service.
 *
 *   capad serve [--migrate]  serve the HTTP API (and run the event relay)
 *   capad relay              run only the event relay
 *   capad migrate            apply pending database migrations and exit
 *   capad config check       print the effective configuration (secrets masked)
 *   capad config vars        print the configuration table: every variable, its type and range
 *   capad config value N V   check one value of one variable as capad serve would
 *   capad apikey ...         create, list and revoke API keys (apikey_cmd.c)
 *   capad routes             print the route table with the roles of each route
 *   capad problems           print the error table: status and problem type of each error
 *   capad version            print the version
 *   capad --help
 *
 * Configuration comes from CAPA_* environment variables (README.md).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apikey_cmd.h"
#include "app.h"
#include "clock.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "relay.h"
#include "server.h"
#include "store.h"
#include "usecase.h"

#define EXIT_USAGE 64
#define EXIT_CONFIG 78
#define EXIT_UNAVAILABLE 69

static const char usage[] =
    "usage: capad <command>\n"
    "\n"
    "commands:\n"
    "  serve [--migrate]  serve the HTTP API and, with CAPA_KAFKA_BROKERS set, publish\n"
    "                     events to Kafka; --migrate first applies pending migrations\n"
    "                     (as does CAPA_MIGRATE_ON_START=true)\n"
    "  relay              only publish events to Kafka (CAPA_KAFKA_BROKERS required)\n"
    "  migrate            apply pending database migrations and exit\n"
    "  config check       print the effective value of every CAPA_* variable (secrets\n"
    "                     masked) and exit: 0 when valid, 78 otherwise; connects nowhere\n"
    "  config vars        print every CAPA_* variable: type, default, range, meaning (JSON)\n"
    "  config value NAME VALUE\n"
    "                     print how capad reads VALUE for the variable NAME: exit 0, or 78\n"
    "                     with the reason it is refused\n"
    "  apikey create --name NAME --role ROLE [--role ROLE ...] [--delegate]\n"
    "                     create an API key and print it, once\n"
    "  apikey list        list the API keys (never their secrets)\n"
    "  apikey revoke ID|NAME  revoke an API key\n"
    "  routes             print every route with the roles that may call it (JSON)\n"
    "  problems           print every error with its HTTP status and problem type (JSON)\n"
    "  version            print the version and exit\n"
    "  --help             print this help\n";

#define STARTUP_ATTEMPTS 10

/*
 * Check (and with migrate, apply) the schema, waiting a bounded time for the
 * database to come up: containers often start before their database.
 */
static int
check_schema(const struct cfg *cfg, bool migrate)
{
    struct store_migrations_status ms;
    int rc = ERR_UNAVAILABLE;

    for (int attempt = 1; attempt <= STARTUP_ATTEMPTS && rc == ERR_UNAVAILABLE; attempt++) {
        if (attempt > 1) {
            log_warn("database unreachable, attempt %d of %d in 1 s", attempt, STARTUP_ATTEMPTS);
            sleep(1);
        }
        rc = migrate
                 ? store_migrate(cfg->database_url, cfg->db_connect_timeout_s)
                 : store_migrations_status_url(cfg->database_url, cfg->db_connect_timeout_s, &ms);
    }
    if (rc == ERR_UNAVAILABLE) {
        /* name the target (host or socket directory) without its password */
        char *target = cfg_mask_database_url(cfg->database_url);
        log_error("cannot reach the database %s after %d attempts", target ? target : "",
                  STARTUP_ATTEMPTS);
        free(target);
        return EXIT_UNAVAILABLE;
    }
    if (rc != ERR_OK)
        return 1;
    if (migrate)
        return 0;
    if (ms.unknown > 0) {
        log_error("the database holds %d migration(s) this capad does not know: it was "
                  "migrated by a newer or a different build",
                  ms.unknown);
        return 1;
    }
    if (ms.newer > 0)
        log_warn("the database holds %d migration(s) of a newer build: serving, as migrations "
                 "stay compatible with the release before them (see README)",
                 ms.newer);
    if (ms.pending > 0) {
        log_error("the database has %d unapplied migration(s): run \"capad migrate\" or start "
                  "with \"capad serve --migrate\"",
                  ms.pending);
        return 1;
    }
    return 0;
}

/* `capad apikey ...`: a small pool on a migrated database. */
static int
apikey(struct app *app, int argc, char **argv)
{
    int rc = check_schema(&app->cfg, false);
    if (rc != 0)
        return rc;
    if (uc_pool_open(app, 1, "capad apikey") != ERR_OK)
        return 1;
    return apikey_command(app, argc, argv);
}

/*
 * The relay's stop deadline when the HTTP drain left it less: rows it cannot
 * confirm in time stay unpublished and the next leader sends them.
 */
#define RELAY_STOP_FLOOR_MS 1000

/* Block SIGINT and SIGTERM in every thread; the main thread waits for them. */
static void
block_signals(sigset_t *signals)
{
    sigemptyset(signals);
    sigaddset(signals, SIGINT);
    sigaddset(signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, signals, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/*
 * serve (http) or relay (!http) until SIGTERM or SIGINT, then stop within
 * CAPA_SHUTDOWN_TIMEOUT_S: HTTP first, then the relay with the time left.
 * *abandoned tells that request threads still run (the pool must not be
 * freed).
 */
static int
serve(struct app *app, bool migrate, bool http, bool *abandoned)
{
    struct api_server srv;
    sigset_t signals;
    int sig, rc;

    if (!http && app->cfg.kafka_brokers == NULL) {
        log_error("capad relay needs CAPA_KAFKA_BROKERS");
        return EXIT_CONFIG;
    }
    if ((rc = check_schema(&app->cfg, migrate || app->cfg.migrate_on_start)) != 0)
        return rc;
    if ((migrate || app->cfg.migrate_on_start) && (rc = check_schema(&app->cfg, false)) != 0)
        return rc;
    if (http && uc_auth_init(app) != ERR_OK)
        return EXIT_CONFIG;
    if (uc_pool_open(app, app->cfg.db_pool_size, "capad") != ERR_OK)
        return 1;
    /* the server's and the relay's threads inherit the mask */
    block_signals(&signals);
    long deadline = 0;
    if (relay_launch(app) != ERR_OK) {
        rc = 1;
        goto out;
    }
    if (http && (rc = api_server_start(app, (unsigned)app->cfg.http_port, &srv)) != ERR_OK) {
        /* an unusable CAPA_TLS_* file is a configuration error */
        rc = rc == ERR_INVALID ? EXIT_CONFIG : EXIT_UNAVAILABLE;
        goto out;
    }
    if (http && app->cfg.http_threads > 0)
        log_info("capad %s serving on %s://%s:%d (a pool of %d threads)", CAPA_VERSION,
                 app->cfg.tls_cert_file ? "https" : "http", app->cfg.http_bind, app->cfg.http_port,
                 app->cfg.http_threads);
    else if (http)
        log_info("capad %s serving on %s://%s:%d (a thread per connection)", CAPA_VERSION,
                 app->cfg.tls_cert_file ? "https" : "http", app->cfg.http_bind, app->cfg.http_port);
    sigwait(&signals, &sig);
    deadline = clock_mono_ms() + app->cfg.shutdown_timeout_s * 1000L;
    log_info("received %s: stopping within %d s", sig == SIGTERM ? "SIGTERM" : "SIGINT",
             app->cfg.shutdown_timeout_s);
    if (http && !api_server_shutdown(&srv, deadline))
        *abandoned = true;
out:;
    long t0 = clock_mono_ms(), left = deadline - t0;
    relay_shutdown(app, left > RELAY_STOP_FLOOR_MS ? (int)left : RELAY_STOP_FLOOR_MS);
    if (app->cfg.kafka_brokers != NULL)
        log_info("relay flushed in %ld ms", clock_mono_ms() - t0);
    return rc;
}

/* The usage text, then the name of every variable (config.c's table). */
static void
print_usage(FILE *out)
{
    size_t col = 0;
    fputs(usage, out);
    fputs("\nconfiguration (capad config vars describes each; README.md):\n", out);
    for (size_t i = 0; i < cfg_var_count; i++) {
        size_t n = strlen(cfg_vars[i].name);
        if (col > 0 && col + n + 2 > 88) {
            fputs(",\n", out);
            col = 0;
        } else if (col > 0) {
            col += (size_t)fprintf(out, ", ");
        }
        col += (size_t)fprintf(out, "%s", cfg_vars[i].name);
    }
    fputc('\n', out);
}

/* capad config value NAME VALUE */
static int
config_value(const char *name, const char *value)
{
    const struct cfg_var *var = cfg_var_find(name);
    struct cfg cfg = {0};
    char err[256];
    int rc;

    if (var == NULL) {
        fprintf(stderr, "capad: %s is not a variable capad reads (capad config vars)\n", name);
        return EXIT_USAGE;
    }
    if (cfg_var_set(var, value, &cfg, err, sizeof err) != ERR_OK) {
        fprintf(stderr, "capad: configuration: %s\n", err);
        rc = EXIT_CONFIG;
    } else {
        cfg_var_print(var, &cfg, stdout);
        rc = fflush(stdout) == 0 ? 0 : 1;
    }
    cfg_cleanup(&cfg);
    return rc;
}

/* Prints a text the caller no longer needs and frees it; the exit code. */
static int
print_owned(char *text)
{
    int rc = printf("%s\n", text) > 0 && fflush(stdout) == 0 ? 0 : 1;
    free(text);
    return rc;
}

int
main(int argc, char **argv)
{
    struct app app = {0};
    char err[256] = "";
    bool abandoned = false;
    int rc;

    mem_install_jansson();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "version") == 0) {
        printf("capad %s\n", CAPA_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "routes") == 0 && argc == 2)
        return print_owned(api_routes_text());
    if (strcmp(argv[1], "problems") == 0 && argc == 2)
        return print_owned(err_table_text());
    if (argc == 3 && strcmp(argv[1], "config") == 0 && strcmp(argv[2], "vars") == 0)
        return print_owned(cfg_vars_text());
    if (argc == 5 && strcmp(argv[1], "config") == 0 && strcmp(argv[2], "value") == 0)
        return config_value(argv[3], argv[4]);
    bool is_apikey = strcmp(argv[1], "apikey") == 0;
    bool is_serve = strcmp(argv[1], "serve") == 0, is_migrate = strcmp(argv[1], "migrate") == 0;
    bool is_relay = strcmp(argv[1], "relay") == 0;
    bool is_check = argc == 3 && strcmp(argv[1], "config") == 0 && strcmp(argv[2], "check") == 0;
    bool flag_migrate = is_serve && argc == 3 && strcmp(argv[2], "--migrate") == 0;
    if (!is_check && !is_apikey &&
        ((!is_serve && !is_migrate && !is_relay) || argc > (is_serve ? 3 : 2) ||
         (argc == 3 && !flag_migrate))) {
        fputs("capad: unknown command or argument\n\n", stderr);
        print_usage(stderr);
        return EXIT_USAGE;
    }
    if (cfg_load(&app.cfg, err, sizeof err) != ERR_OK) {
        fprintf(stderr, "capad: configuration: %s\n", err);
        cfg_cleanup(&app.cfg);
        return EXIT_CONFIG;
    }
    if (is_check) {
        cfg_print(&app.cfg, stdout);
        rc = fflush(stdout) == 0 ? 0 : 1;
        cfg_cleanup(&app.cfg);
        return rc;
    }
    log_set_level(app.cfg.log_level);
    if (is_apikey)
        rc = apikey(&app, argc - 2, argv + 2);
    else if (is_migrate)
        rc = check_schema(&app.cfg, true);
    else
        rc = serve(&app, flag_migrate, is_serve, &abandoned);
    if (abandoned) {
        /* request threads still use the pool: leave without freeing it */
        log_info("exit %d", rc);
        fflush(NULL);
        _exit(rc);
    }
    store_pool_free(app.pool);
    uc_auth_cleanup(&app);
    cfg_cleanup(&app.cfg);
    if (!is_migrate && !is_apikey)
        log_info("exit %d", rc);
    return rc;
}
