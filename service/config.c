/* config.c - configuration from the environment (config.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

static int
int_var(const char *name, long def, long min, long max, long *out, char *err, size_t err_size)
{
    const char *s = getenv(name);
    char *end;
    if (s == NULL || *s == '\0') {
        *out = def;
        return ERR_OK;
    }
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
        snprintf(err, err_size, "%s must be an integer from %ld to %ld, got \"%.64s\"", name, min,
                 max, s);
        return ERR_INVALID;
    }
    *out = v;
    return ERR_OK;
}

static int
bool_var(const char *name, bool *out, char *err, size_t err_size)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0' || strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
        *out = false;
        return ERR_OK;
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        *out = true;
        return ERR_OK;
    }
    snprintf(err, err_size, "%s must be true or false, got \"%.64s\"", name, s);
    return ERR_INVALID;
}

int
cfg_load(struct cfg *cfg, char *err, size_t err_size)
{
    long v;
    const char *s;

    memset(cfg, 0, sizeof *cfg);
    s = getenv("CAPA_DATABASE_URL");
    cfg->database_url = strdup(s && *s ? s : "postgresql:///capa");

    s = getenv("CAPA_HTTP_BIND");
    s = s && *s ? s : "0.0.0.0";
    struct in_addr addr;
    if (inet_pton(AF_INET, s, &addr) != 1) {
        snprintf(err, err_size, "CAPA_HTTP_BIND must be an IPv4 address, got \"%.64s\"", s);
        return ERR_INVALID;
    }
    cfg->http_bind = strdup(s);

    const struct {
        const char *name;
        int *field;
        long def, min, max;
    } ints[] = {
        {"CAPA_HTTP_PORT", &cfg->http_port, 8080, 1, 65535},
        {"CAPA_DB_POOL_SIZE", &cfg->db_pool_size, 10, 1, 500},
        {"CAPA_DB_ACQUIRE_TIMEOUT_MS", &cfg->db_acquire_timeout_ms, 2000, 1, 60000},
        {"CAPA_DB_STATEMENT_TIMEOUT_MS", &cfg->db_statement_timeout_ms, 5000, 100, 600000},
        {"CAPA_DB_CONNECT_TIMEOUT_S", &cfg->db_connect_timeout_s, 5, 1, 300},
        {"CAPA_MAX_BODY_BYTES", &cfg->max_body_bytes, 1048576, 1024, 67108864},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (int_var(ints[i].name, ints[i].def, ints[i].min, ints[i].max, &v, err, err_size))
            return ERR_INVALID;
        *ints[i].field = (int)v;
    }

    s = getenv("CAPA_LOG_LEVEL");
    cfg->log_level = log_level_from_text(s && *s ? s : "info");
    if (cfg->log_level < 0) {
        snprintf(err, err_size, "CAPA_LOG_LEVEL must be debug, info, warn or error, got \"%.64s\"",
                 s);
        return ERR_INVALID;
    }
    if (bool_var("CAPA_MIGRATE_ON_START", &cfg->migrate_on_start, err, err_size) != ERR_OK)
        return ERR_INVALID;
    if (cfg->database_url == NULL || cfg->http_bind == NULL) {
        snprintf(err, err_size, "out of memory");
        return ERR_INTERNAL;
    }
    return ERR_OK;
}

void
cfg_cleanup(struct cfg *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->database_url);
    free(cfg->http_bind);
    memset(cfg, 0, sizeof *cfg);
}
