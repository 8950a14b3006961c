/* config.c - configuration from the environment (config.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "log.h"
#include "mem.h"

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
    char *copy = mem_strdup(s), *save = NULL;
    bool ok = true;
    for (char *b = strtok_r(copy, ",", &save); b && ok; b = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(b, ':'), *end;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        ok = colon && colon != b && *end == '\0' && port >= 1 && port <= 65535 && any_text(b);
    }
    free(copy);
    return ok;
}

static bool
ipv4_valid(const char *s)
{
    struct in_addr addr;
    return inet_pton(AF_INET, s, &addr) == 1;
}

/* ---- the table ---- */

#define AT(field) offsetof(struct cfg, field)
#define TEXT(name, field, def, valid, accepts, doc)                                                \
    {                                                                                              \
        name, CFG_TEXT, AT(field), def, 0, 200, NULL, valid, accepts, NULL, doc                    \
    }
#define INT(name, field, def, min, max, doc)                                                       \
    {                                                                                              \
        name, CFG_INT, AT(field), def, min, max, NULL, NULL, NULL, NULL, doc                       \
    }
#define BOOL(name, field, def, doc)                                                                \
    {                                                                                              \
        name, CFG_BOOL, AT(field), def, 0, 0, NULL, NULL, NULL, NULL, doc                          \
    }

/* clang-format off */
const struct cfg_var cfg_vars[] = {
    {"CAPA_DATABASE_URL", CFG_TEXT, AT(database_url), "postgresql:///capa", 0, 0, NULL, NULL,
     "a libpq URL or key=value connection string", cfg_mask_database_url,
     "the PostgreSQL database; its password is never printed"},
    {"CAPA_HTTP_BIND", CFG_TEXT, AT(http_bind), "0.0.0.0", 0, 0, NULL, ipv4_valid,
     "an IPv4 address", NULL, "address to listen on"},
    INT("CAPA_HTTP_PORT", http_port, "8080", 1, 65535, "port to listen on"),
    INT("CAPA_HTTP_THREADS", http_threads, "0", 0, 1024,
        "`0`: a thread per connection; N: a pool of N threads, each serving many connections "
        "(epoll); see Connections and TLS, and Performance"),
    INT("CAPA_HTTP_CONNECTION_TIMEOUT_S", http_connection_timeout_s, "30", 1, 3600,
        "a connection idle this long is closed: one that sends nothing, stops in the middle of "
        "its request, or waits between keep-alive requests"),
    INT("CAPA_HTTP_CONNECTION_LIMIT", http_connection_limit, "500", 1, 100000,
        "connections open at once (at least `CAPA_HTTP_THREADS`); see Connections and TLS for "
        "what happens above it"),
    INT("CAPA_HTTP_CONNECTION_MEMORY_BYTES", http_connection_memory_bytes, "32768", 8192, 1048576,
        "memory per connection for its request line and headers (and I/O buffers): a longer "
        "request line gets 414, a larger header block 431"),
    TEXT("CAPA_TLS_CERT_FILE", tls_cert_file, NULL, any_text, "a file name",
         "PEM certificate (chain) file: with `CAPA_TLS_KEY_FILE`, capad serves HTTPS instead of "
         "HTTP; see Connections and TLS"),
    TEXT("CAPA_TLS_KEY_FILE", tls_key_file, NULL, any_text, "a file name",
         "PEM private key (unencrypted) of that certificate; set both or neither"),
    INT("CAPA_DB_POOL_SIZE", db_pool_size, "10", 1, 500, "PostgreSQL connections"),
    INT("CAPA_DB_ACQUIRE_TIMEOUT_MS", db_acquire_timeout_ms, "2000", 1, 60000,
        "wait for a free connection at most this long, then answer 503 with `Retry-After`"),
    INT("CAPA_DB_STATEMENT_TIMEOUT_MS", db_statement_timeout_ms, "5000", 100, 600000,
        "per-connection `statement_timeout` and `lock_timeout`; idle-in-transaction sessions "
        "end after 4×"),
    INT("CAPA_DB_CONNECT_TIMEOUT_S", db_connect_timeout_s, "5", 1, 300,
        "libpq `connect_timeout`"),
    BOOL("CAPA_DB_PREPARED_STATEMENTS", db_prepared_statements, "true",
         "run the request path's lookups and writes as named prepared statements, prepared once "
         "per connection; set `false` behind a proxy that pools transactions (PgBouncer "
         "`pool_mode=transaction` before 1.21), where a connection's prepared statements are "
         "not its own"),
    INT("CAPA_MAX_BODY_BYTES", max_body_bytes, "1048576", 1024, 67108864,
        "largest JSON request body; larger ones get 413"),
    INT("CAPA_EVIDENCE_MAX_BYTES", evidence_max_bytes, "20971520", 1024, 1073741824,
        "largest evidence file; larger ones get 413"),
    {"CAPA_LOG_LEVEL", CFG_CHOICE, AT(log_level), "info", 0, 0, log_level_names, NULL, NULL, NULL,
     "the least severe level logged; logs are JSON lines on stderr"},
    BOOL("CAPA_MIGRATE_ON_START", migrate_on_start, "false",
         "`capad serve` applies pending migrations first"),
    INT("CAPA_SHUTDOWN_TIMEOUT_S", shutdown_timeout_s, "20", 1, 300,
        "on SIGTERM/SIGINT, requests in flight get this long to finish, the relay the rest; "
        "see below"),
    TEXT("CAPA_KAFKA_BROKERS", kafka_brokers, NULL, brokers_valid,
         "\"mock\" or a comma-separated list of host:port",
         "`host:port[,host:port…]` of the Kafka cluster, or `mock` for the in-process "
         "development cluster; unset: no relay"),
    TEXT("CAPA_KAFKA_TOPIC", kafka_topic, "capa.case-events", topic_valid,
         "a Kafka topic name: 1 to 249 of [a-zA-Z0-9._-]", "topic of the case events"),
    {"CAPA_KAFKA_PROPERTIES", CFG_TEXT, AT(kafka_properties), NULL, 0, 200, NULL, any_text,
     "printable key=value;key=value pairs", cfg_mask_kafka_properties,
     "extra librdkafka producer properties (e.g. "
     "`security.protocol=SASL_SSL;sasl.mechanisms=PLAIN;…`); values of keys naming a password, "
     "secret or token are never printed"},
    INT("CAPA_KAFKA_MESSAGE_TIMEOUT_MS", kafka_message_timeout_ms, "30000", 1000, 3600000,
        "a message not acknowledged within this is sent again later"),
    TEXT("CAPA_EVENT_SOURCE", event_source, "urn:capa", any_text, "printable text",
         "CloudEvents `source` of this deployment"),
    TEXT("CAPA_EVENT_TYPE_PREFIX", event_type_prefix, "capa.", any_text, "printable text",
         "prefix of the CloudEvents `type`"),
    TEXT("CAPA_EVENT_SCHEMA_BASE", event_schema_base, "https://capa.example.org/schemas/events/",
         any_text, "printable text", "`dataschema` = base + `case.created.json` etc."),
    INT("CAPA_RELAY_BATCH", relay_batch, "500", 1, 10000, "events per relay round"),
    INT("CAPA_RELAY_POLL_MS", relay_poll_ms, "1000", 10, 60000,
        "the relay's safety-net poll when no notification comes"),
    BOOL("CAPA_METRICS_PUBLIC", metrics_public, "false",
         "`true`: `/metrics` answers without credentials (for a scraper on a private network); "
         "otherwise it needs a key or token of any role"),
    INT("CAPA_RATE_LIMIT_RPS", rate_limit_rps, "50", 0, 1000000,
        "requests per second per principal, in each process (0 = no limit); over it: 429 with "
        "`Retry-After`"),
    INT("CAPA_RATE_LIMIT_BURST", rate_limit_burst, "100", 1, 1000000,
        "requests a principal may send at once above the rate"),
    TEXT("CAPA_JWT_JWKS_FILE", jwt_jwks_file, NULL, any_text, "a file name",
         "the identity provider's JSON Web Key Set (a file; never fetched); set this or "
         "`CAPA_JWT_PEM_FILE` to accept JWTs"),
    TEXT("CAPA_JWT_PEM_FILE", jwt_pem_file, NULL, any_text, "a file name",
         "one PEM public key (or certificate) of the identity provider, instead of a JWKS"),
    TEXT("CAPA_JWT_ALGORITHMS", jwt_algorithms, "RS256", algorithms_valid,
         "a comma-separated list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, "
         "ES512, EdDSA",
         "accepted JWS algorithms; never `none` or HMAC"),
    TEXT("CAPA_JWT_ISSUER", jwt_issuer, NULL, any_text, "printable text",
         "required `iss` (must be set with a key file)"),
    TEXT("CAPA_JWT_AUDIENCE", jwt_audience, NULL, any_text, "printable text",
         "required `aud` (must be set with a key file)"),
    TEXT("CAPA_JWT_ROLES_CLAIM", jwt_roles_claim, "roles", claim_valid,
         "a claim name or a dotted path of names (e.g. realm_access.roles)",
         "claim holding the capa roles (an array of names); `delegate` there grants "
         "`Capa-On-Behalf-Of`"),
    TEXT("CAPA_JWT_NAME_CLAIM", jwt_name_claim, "preferred_username", claim_valid,
         "a claim name", "claim shown as the principal's name"),
    INT("CAPA_JWT_LEEWAY_S", jwt_leeway_s, "30", 0, 300,
        "clock skew allowed on `exp`, `nbf` and `iat`"),
    INT("CAPA_AUTH_CACHE_S", auth_cache_s, "5", 0, 300,
        "a valid API key is trusted this long without a database lookup (0 = look up every "
        "request); a key revoked through another process stops working within it"),
};
/* clang-format on */
const size_t cfg_var_count = sizeof cfg_vars / sizeof cfg_vars[0];

#undef AT
#undef TEXT
#undef INT
#undef BOOL

const struct cfg_var *
cfg_var_find(const char *name)
{
    for (size_t i = 0; i < cfg_var_count; i++)
        if (strcmp(cfg_vars[i].name, name) == 0)
            return &cfg_vars[i];
    return NULL;
}

/* "a, b or c" of choices into buf. */
static const char *
choices_text(const char *const *choices, char *buf, size_t size)
{
    size_t n = 0, off = 0;
    while (choices[n] != NULL)
        n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s",
                                i == 0      ? ""
                                : i + 1 < n ? ", "
                                            : " or ",
                                choices[i]);
    return buf;
}

/* ERR_INVALID: var must be `what`, got value (masked when secret). */
static int
refuse(const struct cfg_var *var, const char *value, const char *what, char *err, size_t err_size)
{
    char *masked = var->mask ? var->mask(value) : NULL;
    snprintf(err, err_size, "%s must be %s, got \"%.64s\"", var->name, what,
             masked ? masked : value);
    free(masked);
    return ERR_INVALID;
}

int
cfg_var_set(const struct cfg_var *var, const char *value, struct cfg *cfg, char *err,
            size_t err_size)
{
    const char *s = value != NULL && *value != '\0' ? value : var->def;
    void *field = (char *)cfg + var->offset;
    char what[256];

    if (var->type == CFG_TEXT) {
        char **text = field;
        free(*text);
        *text = NULL;
        if (s == NULL)
            return ERR_OK;
        if (var->max > 0 && strlen(s) > (size_t)var->max) {
            snprintf(what, sizeof what, "at most %ld characters", var->max);
            return refuse(var, s, what, err, err_size);
        }
        if (var->valid != NULL && !var->valid(s))
            return refuse(var, s, var->accepts, err, err_size);
        *text = mem_strdup(s);
        return ERR_OK;
    }
    if (var->type == CFG_INT) {
        char *end;
        errno = 0;
        long n = strtol(s, &end, 10);
        if (errno != 0 || *end != '\0' || end == s || n < var->min || n > var->max) {
            snprintf(what, sizeof what, "an integer from %ld to %ld", var->min, var->max);
            return refuse(var, s, what, err, err_size);
        }
        *(int *)field = (int)n;
        return ERR_OK;
    }
    if (var->type == CFG_BOOL) {
        bool t = strcmp(s, "true") == 0 || strcmp(s, "1") == 0;
        if (!t && strcmp(s, "false") != 0 && strcmp(s, "0") != 0)
            return refuse(var, s, "true or false", err, err_size);
        *(bool *)field = t;
        return ERR_OK;
    }
    for (int i = 0; var->choices[i] != NULL; i++)
        if (strcmp(var->choices[i], s) == 0) {
            *(int *)field = i;
            return ERR_OK;
        }
    return refuse(var, s, choices_text(var->choices, what, sizeof what), err, err_size);
}

/* The rules between variables. */
static int
check_together(const struct cfg *cfg, char *err, size_t err_size)
{
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

int
cfg_load(struct cfg *cfg, char *err, size_t err_size)
{
    int rc = ERR_OK;

    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < cfg_var_count && rc == ERR_OK; i++)
        rc = cfg_var_set(&cfg_vars[i], getenv(cfg_vars[i].name), cfg, err, err_size);
    if (rc == ERR_OK)
        rc = check_together(cfg, err, err_size);
    return rc;
}

void
cfg_cleanup(struct cfg *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg_var_count; i++)
        if (cfg_vars[i].type == CFG_TEXT)
            free(*(char **)((char *)cfg + cfg_vars[i].offset));
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
    return mem_alloc(strlen(in) * (1 + strlen(MASK)) + strlen(MASK) + 1);
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

void
cfg_var_print(const struct cfg_var *var, const struct cfg *cfg, FILE *out)
{
    const void *field = (const char *)cfg + var->offset;
    if (var->type == CFG_INT)
        fprintf(out, "%s=%d\n", var->name, *(const int *)field);
    else if (var->type == CFG_BOOL)
        fprintf(out, "%s=%s\n", var->name, *(const bool *)field ? "true" : "false");
    else if (var->type == CFG_CHOICE)
        fprintf(out, "%s=%s\n", var->name, var->choices[*(const int *)field]);
    else {
        const char *text = *(char *const *)field;
        char *masked = text && var->mask ? var->mask(text) : NULL;
        fprintf(out, "%s=%s\n", var->name, masked ? masked : text ? text : "");
        free(masked);
    }
}

void
cfg_print(const struct cfg *cfg, FILE *out)
{
    for (size_t i = 0; i < cfg_var_count; i++)
        cfg_var_print(&cfg_vars[i], cfg, out);
}

char *
cfg_vars_text(void)
{
    static const char *const types[] = {"text", "integer", "boolean", "choice"};
    json_t *list = json_array();
    for (size_t i = 0; i < cfg_var_count; i++) {
        const struct cfg_var *var = &cfg_vars[i];
        json_t *row =
            json_pack("{s:s, s:s, s:s?, s:b, s:s}", "name", var->name, "type", types[var->type],
                      "default", var->def, "secret", var->mask != NULL, "doc", var->doc);
        if (var->type == CFG_INT) {
            json_object_set_new(row, "minimum", json_integer(var->min));
            json_object_set_new(row, "maximum", json_integer(var->max));
        }
        if (var->type == CFG_TEXT && var->max > 0)
            json_object_set_new(row, "max_length", json_integer(var->max));
        if (var->type == CFG_TEXT && var->accepts != NULL)
            json_object_set_new(row, "accepts", json_string(var->accepts));
        if (var->type == CFG_CHOICE) {
            json_t *choices = json_array();
            for (int c = 0; var->choices[c] != NULL; c++)
                json_array_append_new(choices, json_string(var->choices[c]));
            json_object_set_new(row, "choices", choices);
        }
        json_array_append_new(list, row);
    }
    char *text = json_dumps(list, JSON_INDENT(2));
    json_decref(list);
    return text;
}
