/* config.c - configuration from the environment (config.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
bool_var(const char *name, bool def, bool *out, char *err, size_t err_size)
{
    const char *s = getenv(name);
    if (s == NULL || *s == '\0') {
        *out = def;
        return ERR_OK;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
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

static bool
any_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool
topic_valid(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 250 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789._-") == n;
}

/* Asymmetric JWS algorithms only: no "none", no HMAC (a public key is no secret). */
static bool
algorithms_valid(const char *s)
{
    static const char *const known[] = {"RS256", "RS384", "RS512", "PS256", "PS384",
                                        "PS512", "ES256", "ES384", "ES512", "EdDSA"};
    for (const char *p = s;; p++) {
        size_t n = strcspn(p, ","), k;
        for (k = 0; k < sizeof known / sizeof known[0]; k++)
            if (strlen(known[k]) == n && strncmp(known[k], p, n) == 0)
                break;
        if (k == sizeof known / sizeof known[0])
            return false;
        p += n;
        if (*p == '\0')
            return true;
    }
}

/* name or name.name...: letters, digits, '_', '-', ':' and '/' (URI-style claim names) */
static bool
claim_valid(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && s[0] != '.' && s[n - 1] != '.' && !strstr(s, "..") &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:/.") == n;
}

/* "mock", or host:port[,host:port...] */
static bool
brokers_valid(const char *s)
{
    if (strcmp(s, "mock") == 0)
        return true;
    char *copy = strdup(s), *save = NULL;
    bool ok = copy != NULL;
    for (char *b = ok ? strtok_r(copy, ",", &save) : NULL; b && ok;
         b = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(b, ':'), *end;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        ok = colon && colon != b && *end == '\0' && port >= 1 && port <= 65535 && any_text(b);
    }
    free(copy);
    return ok;
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
        {"CAPA_EVIDENCE_MAX_BYTES", &cfg->evidence_max_bytes, 20971520, 1024, 1073741824},
        {"CAPA_KAFKA_MESSAGE_TIMEOUT_MS", &cfg->kafka_message_timeout_ms, 30000, 1000, 3600000},
        {"CAPA_RELAY_BATCH", &cfg->relay_batch, 500, 1, 10000},
        {"CAPA_RELAY_POLL_MS", &cfg->relay_poll_ms, 1000, 10, 60000},
        {"CAPA_SHUTDOWN_TIMEOUT_S", &cfg->shutdown_timeout_s, 20, 1, 300},
        {"CAPA_RATE_LIMIT_RPS", &cfg->rate_limit_rps, 50, 0, 1000000},
        {"CAPA_RATE_LIMIT_BURST", &cfg->rate_limit_burst, 100, 1, 1000000},
        {"CAPA_JWT_LEEWAY_S", &cfg->jwt_leeway_s, 30, 0, 300},
        {"CAPA_AUTH_CACHE_S", &cfg->auth_cache_s, 5, 0, 300},
        {"CAPA_HTTP_THREADS", &cfg->http_threads, 0, 0, 1024},
        {"CAPA_HTTP_CONNECTION_TIMEOUT_S", &cfg->http_connection_timeout_s, 30, 1, 3600},
        {"CAPA_HTTP_CONNECTION_LIMIT", &cfg->http_connection_limit, 500, 1, 100000},
        {"CAPA_HTTP_CONNECTION_MEMORY_BYTES", &cfg->http_connection_memory_bytes, 32768, 8192,
         1048576},
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
    if (bool_var("CAPA_MIGRATE_ON_START", false, &cfg->migrate_on_start, err, err_size) ||
        bool_var("CAPA_METRICS_PUBLIC", false, &cfg->metrics_public, err, err_size) ||
        bool_var("CAPA_DB_PREPARED_STATEMENTS", true, &cfg->db_prepared_statements, err, err_size))
        return ERR_INVALID;
    const struct {
        const char *name;
        char **field;
        const char *def; /* NULL: unset stays NULL */
        bool (*valid)(const char *);
        const char *expected;
    } texts[] = {
        {"CAPA_KAFKA_BROKERS", &cfg->kafka_brokers, NULL, brokers_valid,
         "\"mock\" or a comma-separated list of host:port"},
        {"CAPA_KAFKA_TOPIC", &cfg->kafka_topic, "capa.case-events", topic_valid,
         "a Kafka topic name: 1 to 249 of [a-zA-Z0-9._-]"},
        {"CAPA_KAFKA_PROPERTIES", &cfg->kafka_properties, NULL, any_text, ""},
        {"CAPA_EVENT_SOURCE", &cfg->event_source, "urn:capa", any_text, ""},
        {"CAPA_EVENT_TYPE_PREFIX", &cfg->event_type_prefix, "capa.", any_text, ""},
        {"CAPA_EVENT_SCHEMA_BASE", &cfg->event_schema_base,
         "https://capa.example.org/schemas/events/", any_text, ""},
        {"CAPA_JWT_JWKS_FILE", &cfg->jwt_jwks_file, NULL, any_text, ""},
        {"CAPA_JWT_PEM_FILE", &cfg->jwt_pem_file, NULL, any_text, ""},
        {"CAPA_JWT_ALGORITHMS", &cfg->jwt_algorithms, "RS256", algorithms_valid,
         "a comma-separated list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, "
         "ES512, EdDSA"},
        {"CAPA_JWT_ISSUER", &cfg->jwt_issuer, NULL, any_text, ""},
        {"CAPA_JWT_AUDIENCE", &cfg->jwt_audience, NULL, any_text, ""},
        {"CAPA_JWT_ROLES_CLAIM", &cfg->jwt_roles_claim, "roles", claim_valid,
         "a claim name or a dotted path of names (e.g. realm_access.roles)"},
        {"CAPA_JWT_NAME_CLAIM", &cfg->jwt_name_claim, "preferred_username", claim_valid,
         "a claim name"},
        {"CAPA_TLS_CERT_FILE", &cfg->tls_cert_file, NULL, any_text, ""},
        {"CAPA_TLS_KEY_FILE", &cfg->tls_key_file, NULL, any_text, ""},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        s = getenv(texts[i].name);
        if (s == NULL || *s == '\0')
            s = texts[i].def;
        if (s != NULL && (strlen(s) > 200 || !texts[i].valid(s))) {
            /* the properties may hold credentials: never echo them */
            char *shown =
                texts[i].field == &cfg->kafka_properties ? cfg_mask_kafka_properties(s) : strdup(s);
            snprintf(err, err_size, "%s must be %s, got \"%.64s\"", texts[i].name,
                     texts[i].expected[0] ? texts[i].expected : "at most 200 printable characters",
                     shown ? shown : "");
            free(shown);
            return ERR_INVALID;
        }
        if (s != NULL && (*texts[i].field = strdup(s)) == NULL)
            return ERR_INTERNAL;
    }
    /* the pool splits the connection limit between its threads */
    if (cfg->http_threads > cfg->http_connection_limit) {
        snprintf(err, err_size,
                 "CAPA_HTTP_THREADS (%d) must not exceed CAPA_HTTP_CONNECTION_LIMIT (%d)",
                 cfg->http_threads, cfg->http_connection_limit);
        return ERR_INVALID;
    }
    if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL)) {
        snprintf(err, err_size,
                 "CAPA_TLS_CERT_FILE and CAPA_TLS_KEY_FILE must be set together "
                 "(both: HTTPS; neither: plain HTTP)");
        return ERR_INVALID;
    }
    if (cfg->database_url == NULL || cfg->http_bind == NULL) {
        snprintf(err, err_size, "out of memory");
        return ERR_INTERNAL;
    }
    if (cfg->jwt_jwks_file && cfg->jwt_pem_file) {
        snprintf(err, err_size, "set CAPA_JWT_JWKS_FILE or CAPA_JWT_PEM_FILE, not both");
        return ERR_INVALID;
    }
    /* a token of any issuer or for any service would do: refuse to run so */
    if ((cfg->jwt_jwks_file || cfg->jwt_pem_file) && (!cfg->jwt_issuer || !cfg->jwt_audience)) {
        snprintf(err, err_size,
                 "JWT authentication needs CAPA_JWT_ISSUER and CAPA_JWT_AUDIENCE as well");
        return ERR_INVALID;
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
    free(cfg->kafka_brokers);
    free(cfg->kafka_topic);
    free(cfg->kafka_properties);
    free(cfg->event_source);
    free(cfg->event_type_prefix);
    free(cfg->event_schema_base);
    free(cfg->jwt_jwks_file);
    free(cfg->jwt_pem_file);
    free(cfg->jwt_algorithms);
    free(cfg->jwt_issuer);
    free(cfg->jwt_audience);
    free(cfg->jwt_roles_claim);
    free(cfg->jwt_name_claim);
    free(cfg->tls_cert_file);
    free(cfg->tls_key_file);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- masking and printing ---- */

#define MASK "****"

/* Append n bytes of s to *p (the caller sized the buffer). */
static void
put(char **p, const char *s, size_t n)
{
    memcpy(*p, s, n);
    *p += n;
}

/*
 * A buffer for a masked copy of in: each masked value may grow by at most
 * strlen(MASK), and there are fewer of them than characters.
 */
static char *
mask_buffer(const char *in)
{
    return malloc(strlen(in) * (1 + strlen(MASK)) + strlen(MASK) + 1);
}

/* postgresql://user:secret@host/db?password=secret&... */
static void
mask_uri(const char *in, char *out)
{
    const char *p = strstr(in, "://") + 3, *auth_end = p + strcspn(p, "/?"), *at = NULL;
    for (const char *c = p; c < auth_end; c++)
        if (*c == '@')
            at = c;
    put(&out, in, (size_t)(p - in));
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        put(&out, p, (size_t)((colon ? colon + 1 : at) - p));
        if (colon != NULL)
            put(&out, MASK, strlen(MASK));
        p = at;
    }
    const char *q = strchr(p, '?');
    if (q == NULL) {
        put(&out, p, strlen(p) + 1);
        return;
    }
    put(&out, p, (size_t)(q - p));
    for (p = q; *p;) {
        put(&out, p, 1); /* '?' or '&' */
        p++;
        size_t n = strcspn(p, "&");
        if (strncmp(p, "password=", 9) == 0) {
            put(&out, p, 9);
            put(&out, MASK, strlen(MASK));
        } else {
            put(&out, p, n);
        }
        p += n;
    }
    *out = '\0';
}

/* host=db password='se cret' dbname=x */
static void
mask_keywords(const char *in, char *out)
{
    const char *p = in;
    while (*p) {
        size_t n = strspn(p, " \t\n\r");
        put(&out, p, n);
        p += n;
        const char *key = p;
        size_t key_len = strcspn(p, " \t\n\r=");
        put(&out, p, key_len);
        p += key_len;
        n = strspn(p, " \t\n\r");
        if (p[n] != '=') {
            continue; /* malformed: libpq refuses it; copy as it is */
        }
        n++;
        n += strspn(p + n, " \t\n\r");
        put(&out, p, n);
        p += n;
        const char *value = p;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1] != '\0')
                    p++;
            if (*p == '\'')
                p++;
        } else {
            for (; *p && !strchr(" \t\n\r", *p); p++)
                if (*p == '\\' && p[1] != '\0')
                    p++;
        }
        if (key_len == 8 && strncmp(key, "password", 8) == 0)
            put(&out, MASK, strlen(MASK));
        else
            put(&out, value, (size_t)(p - value));
    }
    *out = '\0';
}

char *
cfg_mask_database_url(const char *url)
{
    char *out = mask_buffer(url);
    if (out == NULL)
        return NULL;
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
        mask_uri(url, out);
    else
        mask_keywords(url, out);
    return out;
}

static bool
key_is_secret(const char *key, size_t n)
{
    static const char *const words[] = {"password", "secret", "token"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        for (size_t i = 0, wn = strlen(words[w]); i + wn <= n; i++)
            if (strncasecmp(key + i, words[w], wn) == 0)
                return true;
    return false;
}

char *
cfg_mask_kafka_properties(const char *props)
{
    char *out = mask_buffer(props), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *p = props; *p;) {
        size_t n = strcspn(p, ";"), key_len = strcspn(p, "=;");
        if (key_len < n && key_is_secret(p, key_len)) {
            put(&o, p, key_len + 1);
            put(&o, MASK, strlen(MASK));
        } else {
            put(&o, p, n);
        }
        p += n;
        if (*p == ';')
            put(&o, p++, 1);
    }
    *o = '\0';
    return out;
}

int
cfg_print(const struct cfg *cfg, FILE *out)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    char *url = cfg_mask_database_url(cfg->database_url);
    char *props = cfg->kafka_properties ? cfg_mask_kafka_properties(cfg->kafka_properties) : NULL;
    int rc = ERR_INTERNAL;

    if (url == NULL || (cfg->kafka_properties != NULL && props == NULL))
        goto out;
    const struct {
        const char *name, *text; /* text NULL: the integer */
        int value;
    } vars[] = {
        {"CAPA_DATABASE_URL", url, 0},
        {"CAPA_HTTP_BIND", cfg->http_bind, 0},
        {"CAPA_HTTP_PORT", NULL, cfg->http_port},
        {"CAPA_HTTP_THREADS", NULL, cfg->http_threads},
        {"CAPA_HTTP_CONNECTION_TIMEOUT_S", NULL, cfg->http_connection_timeout_s},
        {"CAPA_HTTP_CONNECTION_LIMIT", NULL, cfg->http_connection_limit},
        {"CAPA_HTTP_CONNECTION_MEMORY_BYTES", NULL, cfg->http_connection_memory_bytes},
        {"CAPA_TLS_CERT_FILE", cfg->tls_cert_file ? cfg->tls_cert_file : "", 0},
        {"CAPA_TLS_KEY_FILE", cfg->tls_key_file ? cfg->tls_key_file : "", 0},
        {"CAPA_DB_POOL_SIZE", NULL, cfg->db_pool_size},
        {"CAPA_DB_ACQUIRE_TIMEOUT_MS", NULL, cfg->db_acquire_timeout_ms},
        {"CAPA_DB_STATEMENT_TIMEOUT_MS", NULL, cfg->db_statement_timeout_ms},
        {"CAPA_DB_CONNECT_TIMEOUT_S", NULL, cfg->db_connect_timeout_s},
        {"CAPA_DB_PREPARED_STATEMENTS", cfg->db_prepared_statements ? "true" : "false", 0},
        {"CAPA_MAX_BODY_BYTES", NULL, cfg->max_body_bytes},
        {"CAPA_EVIDENCE_MAX_BYTES", NULL, cfg->evidence_max_bytes},
        {"CAPA_LOG_LEVEL", levels[cfg->log_level], 0},
        {"CAPA_MIGRATE_ON_START", cfg->migrate_on_start ? "true" : "false", 0},
        {"CAPA_SHUTDOWN_TIMEOUT_S", NULL, cfg->shutdown_timeout_s},
        {"CAPA_KAFKA_BROKERS", cfg->kafka_brokers ? cfg->kafka_brokers : "", 0},
        {"CAPA_KAFKA_TOPIC", cfg->kafka_topic, 0},
        {"CAPA_KAFKA_PROPERTIES", props ? props : "", 0},
        {"CAPA_KAFKA_MESSAGE_TIMEOUT_MS", NULL, cfg->kafka_message_timeout_ms},
        {"CAPA_EVENT_SOURCE", cfg->event_source, 0},
        {"CAPA_EVENT_TYPE_PREFIX", cfg->event_type_prefix, 0},
        {"CAPA_EVENT_SCHEMA_BASE", cfg->event_schema_base, 0},
        {"CAPA_RELAY_BATCH", NULL, cfg->relay_batch},
        {"CAPA_RELAY_POLL_MS", NULL, cfg->relay_poll_ms},
        {"CAPA_METRICS_PUBLIC", cfg->metrics_public ? "true" : "false", 0},
        {"CAPA_RATE_LIMIT_RPS", NULL, cfg->rate_limit_rps},
        {"CAPA_RATE_LIMIT_BURST", NULL, cfg->rate_limit_burst},
        {"CAPA_JWT_JWKS_FILE", cfg->jwt_jwks_file ? cfg->jwt_jwks_file : "", 0},
        {"CAPA_JWT_PEM_FILE", cfg->jwt_pem_file ? cfg->jwt_pem_file : "", 0},
        {"CAPA_JWT_ALGORITHMS", cfg->jwt_algorithms, 0},
        {"CAPA_JWT_ISSUER", cfg->jwt_issuer ? cfg->jwt_issuer : "", 0},
        {"CAPA_JWT_AUDIENCE", cfg->jwt_audience ? cfg->jwt_audience : "", 0},
        {"CAPA_JWT_ROLES_CLAIM", cfg->jwt_roles_claim, 0},
        {"CAPA_JWT_NAME_CLAIM", cfg->jwt_name_claim, 0},
        {"CAPA_JWT_LEEWAY_S", NULL, cfg->jwt_leeway_s},
        {"CAPA_AUTH_CACHE_S", NULL, cfg->auth_cache_s},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (vars[i].text != NULL)
            fprintf(out, "%s=%s\n", vars[i].name, vars[i].text);
        else
            fprintf(out, "%s=%d\n", vars[i].name, vars[i].value);
    }
    rc = ERR_OK;
out:
    free(url);
    free(props);
    return rc;
}
