/*
 * config.h - configuration from CAPA_* environment variables.
 *
 * One table, cfg_vars (config.c), holds every variable: its name, type,
 * default, range, whether it is a secret, and one line of documentation, in
 * the manner of PostgreSQL's GUC table. Loading, printing, cleanup, `capad
 * --help` and `capad config vars` (which the README's table and the deploy
 * checks are made from) all read it. cfg_load refuses a bad value with a
 * message naming the variable, what it accepts and the value given.
 *
 *   cfg_load, cfg_cleanup     read and release the configuration
 *   cfg_var_set               one variable's value, parsed and checked as cfg_load does
 *   cfg_print, cfg_var_print  every (or one) variable's effective value, secrets masked
 *   cfg_vars_text             the table as JSON
 *   cfg_mask_database_url     a connection string with its password masked
 *   cfg_mask_kafka_properties "k=v;k=v" with secret values masked
 */
#ifndef CAPA_CONFIG_H
#define CAPA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cfg {
    char *database_url;           /* CAPA_DATABASE_URL (libpq URL or key=value string) */
    char *http_bind;              /* CAPA_HTTP_BIND, IPv4 address */
    int http_port;                /* CAPA_HTTP_PORT */
    int db_pool_size;             /* CAPA_DB_POOL_SIZE */
    int db_acquire_timeout_ms;    /* CAPA_DB_ACQUIRE_TIMEOUT_MS */
    int db_statement_timeout_ms;  /* CAPA_DB_STATEMENT_TIMEOUT_MS */
    int db_connect_timeout_s;     /* CAPA_DB_CONNECT_TIMEOUT_S */
    int evidence_max_bytes;       /* CAPA_EVIDENCE_MAX_BYTES */
    int max_body_bytes;           /* CAPA_MAX_BODY_BYTES */
    int log_level;                /* CAPA_LOG_LEVEL */
    bool migrate_on_start;        /* CAPA_MIGRATE_ON_START */
    char *kafka_brokers;          /* CAPA_KAFKA_BROKERS: NULL (no relay), "mock" or a list */
    char *kafka_topic;            /* CAPA_KAFKA_TOPIC */
    char *kafka_properties;       /* CAPA_KAFKA_PROPERTIES, "k=v;k=v" or NULL */
    int kafka_message_timeout_ms; /* CAPA_KAFKA_MESSAGE_TIMEOUT_MS */
    char *event_source;           /* CAPA_EVENT_SOURCE */
    char *event_type_prefix;      /* CAPA_EVENT_TYPE_PREFIX */
    char *event_schema_base;      /* CAPA_EVENT_SCHEMA_BASE */
    int relay_batch;              /* CAPA_RELAY_BATCH */
    int relay_poll_ms;            /* CAPA_RELAY_POLL_MS */
    int shutdown_timeout_s;       /* CAPA_SHUTDOWN_TIMEOUT_S */
    bool db_prepared_statements;  /* CAPA_DB_PREPARED_STATEMENTS */
    bool metrics_public;          /* CAPA_METRICS_PUBLIC: /metrics without credentials */
    int rate_limit_rps;           /* CAPA_RATE_LIMIT_RPS: per principal, 0 = no limit */
    int rate_limit_burst;         /* CAPA_RATE_LIMIT_BURST */
    char *jwt_jwks_file;          /* CAPA_JWT_JWKS_FILE: the identity provider's keys, or NULL */
    char *jwt_pem_file;           /* CAPA_JWT_PEM_FILE: its one public key, or NULL */
    char *jwt_algorithms;         /* CAPA_JWT_ALGORITHMS: comma list */
    char *jwt_issuer;             /* CAPA_JWT_ISSUER (required with a key file) */
    char *jwt_audience;           /* CAPA_JWT_AUDIENCE (required with a key file) */
    char *jwt_roles_claim;        /* CAPA_JWT_ROLES_CLAIM: dotted path to an array of names */
    char *jwt_name_claim;         /* CAPA_JWT_NAME_CLAIM */
    int jwt_leeway_s;             /* CAPA_JWT_LEEWAY_S */
    int auth_cache_s;             /* CAPA_AUTH_CACHE_S: how long a valid API key is trusted */

    /* how the HTTP server listens (api/server.c) */
    int http_threads;                 /* CAPA_HTTP_THREADS: 0 a thread per connection, N a pool */
    int http_connection_timeout_s;    /* CAPA_HTTP_CONNECTION_TIMEOUT_S, idle connection cut-off */
    int http_connection_limit;        /* CAPA_HTTP_CONNECTION_LIMIT */
    int http_connection_memory_bytes; /* CAPA_HTTP_CONNECTION_MEMORY_BYTES, bounds the headers */
    char *tls_cert_file;              /* CAPA_TLS_CERT_FILE: PEM path, or NULL (plain HTTP) */
    char *tls_key_file;               /* CAPA_TLS_KEY_FILE: set exactly when tls_cert_file is */
};

enum cfg_type {
    CFG_TEXT,   /* char *: NULL when unset without a default */
    CFG_INT,    /* int, from min to max */
    CFG_BOOL,   /* bool: true or 1, false or 0 */
    CFG_CHOICE, /* int: the index of the value among choices */
};

struct cfg_var {
    const char *name;
    enum cfg_type type;
    size_t offset;               /* of the field in struct cfg */
    const char *def;             /* the default, as it would be set; NULL: unset */
    long min, max;               /* CFG_INT: the range; CFG_TEXT: max the length (0: any) */
    const char *const *choices;  /* CFG_CHOICE: the values, NULL after the last */
    bool (*valid)(const char *); /* CFG_TEXT: NULL accepts any text */
    const char *accepts;         /* CFG_TEXT with valid: what valid accepts, for messages */
    char *(*mask)(const char *); /* secrets: a masked copy to show (caller frees) */
    const char *doc;             /* one line: what it does (the range is the table's) */
};

/* Every variable, in the order they are printed and documented. */
extern const struct cfg_var cfg_vars[];
extern const size_t cfg_var_count;

/*
 * Fill cfg from the environment (getenv), defaults for unset or empty
 * variables, then check the rules between variables. Returns 0, or
 * ERR_INVALID with a message in err. Free with cfg_cleanup, also after a
 * failure.
 */
int cfg_load(struct cfg *cfg, char *err, size_t err_size);
void cfg_cleanup(struct cfg *cfg);

/*
 * Set var's field of cfg from value (NULL or "": the default), as cfg_load
 * does. Returns 0, or ERR_INVALID with a message in err naming the variable,
 * what it accepts and the value (masked when secret).
 */
int cfg_var_set(const struct cfg_var *var, const char *value, struct cfg *cfg, char *err,
                size_t err_size);

/* The row of name, or NULL. */
const struct cfg_var *cfg_var_find(const char *name);

/*
 * Write "NAME=value\n" for every CAPA_* variable to out, defaults included,
 * unset ones as "NAME=", secrets masked.
 */
void cfg_print(const struct cfg *cfg, FILE *out);
/* The same line for one variable. */
void cfg_var_print(const struct cfg_var *var, const struct cfg *cfg, FILE *out);

/*
 * The table as a new JSON text (caller frees):
 * [{"name", "type", "default", "minimum", "maximum", "max_length", "choices",
 * "accepts", "secret", "doc"}], members that do not apply left out.
 */
char *cfg_vars_text(void);

/*
 * A copy of a libpq connection string (URL form, with the password in the
 * user info or as a "password" query parameter, or key=value form) with the
 * password replaced by "****". Returns a new string (caller frees). Pure: no
 * I/O.
 */
char *cfg_mask_database_url(const char *url);

/*
 * A copy of "key=value;key=value" with the value of every key containing
 * "password", "secret" or "token" (case-insensitive) replaced by "****".
 * Returns a new string (caller frees). Pure.
 */
char *cfg_mask_kafka_properties(const char *props);

#endif
