/*
 * main.c - capad: the capa corrective-action service.
 *
 *   capad serve [--migrate]  serve the HTTP API (and run the event relay)
 *   capad relay              run only the event relay
 *   capad migrate            apply pending database migrations and exit
 *   capad version            print the version
 *   capad --help
 *
 * Configuration comes from CAPA_* environment variables (README.md).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "err.h"
#include "log.h"
#include "relay.h"
#include "server.h"

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
    "  version            print the version and exit\n"
    "  --help             print this help\n"
    "\n"
    "configuration: CAPA_DATABASE_URL, CAPA_HTTP_BIND, CAPA_HTTP_PORT, CAPA_DB_POOL_SIZE,\n"
    "CAPA_DB_ACQUIRE_TIMEOUT_MS, CAPA_DB_STATEMENT_TIMEOUT_MS, CAPA_DB_CONNECT_TIMEOUT_S,\n"
    "CAPA_MAX_BODY_BYTES, CAPA_EVIDENCE_MAX_BYTES, CAPA_LOG_LEVEL, CAPA_MIGRATE_ON_START,\n"
    "CAPA_KAFKA_BROKERS, CAPA_KAFKA_TOPIC, CAPA_KAFKA_PROPERTIES, CAPA_KAFKA_MESSAGE_TIMEOUT_MS,\n"
    "CAPA_EVENT_SOURCE, CAPA_EVENT_TYPE_PREFIX, CAPA_EVENT_SCHEMA_BASE, CAPA_RELAY_BATCH,\n"
    "CAPA_RELAY_POLL_MS\n"
    "(see README.md)\n";

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
        log_error("cannot reach the database after %d attempts", STARTUP_ATTEMPTS);
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
    if (ms.pending > 0) {
        log_error("the database has %d unapplied migration(s): run \"capad migrate\" or start "
                  "with \"capad serve --migrate\"",
                  ms.pending);
        return 1;
    }
    return 0;
}

#define RELAY_STOP_DEADLINE_MS 10000

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

/* serve (http) or relay (!http) until SIGTERM or SIGINT. */
static int
serve(struct app *app, bool migrate, bool http)
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
    struct store_pool_options po = {
        .url = app->cfg.database_url,
        .size = app->cfg.db_pool_size,
        .acquire_timeout_ms = app->cfg.db_acquire_timeout_ms,
        .statement_timeout_ms = app->cfg.db_statement_timeout_ms,
        .connect_timeout_s = app->cfg.db_connect_timeout_s,
        .application_name = "capad",
    };
    if (store_pool_new(&po, &app->pool) != ERR_OK)
        return 1;
    /* the server's and the relay's threads inherit the mask */
    block_signals(&signals);
    if (relay_launch(app) != ERR_OK) {
        rc = 1;
        goto out;
    }
    if (http && api_server_start(app, (unsigned)app->cfg.http_port, &srv) != ERR_OK) {
        rc = EXIT_UNAVAILABLE;
        goto out;
    }
    if (http)
        log_info("capad %s serving on http://%s:%d", CAPA_VERSION, app->cfg.http_bind,
                 app->cfg.http_port);
    sigwait(&signals, &sig);
    log_info("received %s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (http)
        api_server_stop(&srv);
out:
    relay_shutdown(app, RELAY_STOP_DEADLINE_MS);
    return rc;
}

int
main(int argc, char **argv)
{
    struct app app = {0};
    char err[256] = "";
    int rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "version") == 0) {
        printf("capad %s\n", CAPA_VERSION);
        return 0;
    }
    bool is_serve = strcmp(argv[1], "serve") == 0, is_migrate = strcmp(argv[1], "migrate") == 0;
    bool is_relay = strcmp(argv[1], "relay") == 0;
    bool flag_migrate = is_serve && argc == 3 && strcmp(argv[2], "--migrate") == 0;
    if ((!is_serve && !is_migrate && !is_relay) || argc > (is_serve ? 3 : 2) ||
        (argc == 3 && !flag_migrate)) {
        fprintf(stderr, "capad: unknown command or argument\n\n%s", usage);
        return EXIT_USAGE;
    }
    if (cfg_load(&app.cfg, err, sizeof err) != ERR_OK) {
        fprintf(stderr, "capad: configuration: %s\n", err);
        cfg_cleanup(&app.cfg);
        return EXIT_CONFIG;
    }
    log_set_level(app.cfg.log_level);
    rc = is_migrate ? check_schema(&app.cfg, true) : serve(&app, flag_migrate, is_serve);
    store_pool_free(app.pool);
    cfg_cleanup(&app.cfg);
    return rc;
}
