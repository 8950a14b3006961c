/*
 * auth.c - who is calling (usecase.h): bearer tokens that are API keys are
 * looked up by id and hash, JWTs verified; the management of API keys for
 * `capad apikey`.
 *
 * A key found valid is remembered for CAPA_AUTH_CACHE_S seconds (by the
 * SHA-256 of the whole key, in a fixed table), so that a busy client costs
 * one lookup per interval rather than one per request. A revocation through
 * this process forgets the key at once; other processes stop accepting it
 * within the interval. Unknown keys are never remembered.
 */
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "err.h"
#include "jwt.h"
#include "log.h"
#include "mem.h"
#include "sha256.h"
#include "tx.h"
#include "usecase.h"
#include "apikey.h"

static void
identity_set(struct uc_identity *id, const char *kind, const char *subject, const char *name,
             unsigned roles, bool delegate)
{
    memset(id, 0, sizeof *id);
    snprintf(id->kind, sizeof id->kind, "%s", kind);
    snprintf(id->subject, sizeof id->subject, "%s", subject);
    snprintf(id->name, sizeof id->name, "%s", name ? name : "");
    id->p = (struct principal){.kind = id->kind,
                               .subject = id->subject,
                               .name = id->name[0] ? id->name : NULL,
                               .roles = roles,
                               .delegate = delegate};
}

#define KEY_CACHE_SLOTS 256

struct uc_key_cache {
    pthread_mutex_t lock;
    double ttl;
    struct {
        char hash[CHAIN_HEX_LEN]; /* "" : free */
        struct apikey_row row;
        double expires; /* monotonic seconds */
    } slots[KEY_CACHE_SLOTS];
};

/* The slot of a hash: its first two hex digits. */
static size_t
cache_slot(const char *hash)
{
    return (size_t)strtoul((char[]){hash[0], hash[1], '\0'}, NULL, 16) % KEY_CACHE_SLOTS;
}

static bool
cache_get(struct uc_key_cache *kc, const char *hash, struct apikey_row *out)
{
    bool hit = false;
    if (kc == NULL)
        return false;
    size_t i = cache_slot(hash);
    pthread_mutex_lock(&kc->lock);
    if (strcmp(kc->slots[i].hash, hash) == 0 && kc->slots[i].expires > clock_mono_s()) {
        *out = kc->slots[i].row;
        hit = true;
    }
    pthread_mutex_unlock(&kc->lock);
    return hit;
}

static void
cache_put(struct uc_key_cache *kc, const char *hash, const struct apikey_row *row)
{
    if (kc == NULL)
        return;
    size_t i = cache_slot(hash);
    pthread_mutex_lock(&kc->lock);
    memcpy(kc->slots[i].hash, hash, CHAIN_HEX_LEN);
    kc->slots[i].row = *row;
    kc->slots[i].expires = clock_mono_s() + kc->ttl;
    pthread_mutex_unlock(&kc->lock);
}

static void
cache_forget(struct uc_key_cache *kc, const char *key_id)
{
    if (kc == NULL)
        return;
    pthread_mutex_lock(&kc->lock);
    for (size_t i = 0; i < KEY_CACHE_SLOTS; i++)
        if (kc->slots[i].hash[0] && strcmp(kc->slots[i].row.id, key_id) == 0)
            kc->slots[i].hash[0] = '\0';
    pthread_mutex_unlock(&kc->lock);
}

struct key_ctx {
    const char *id;
    const char *hash;
    struct apikey_row row;
};

static int
key_read(struct store_conn *c, void *arg)
{
    struct key_ctx *x = arg;
    return store_apikey_authenticate(c, x->id, x->hash, &x->row);
}

static int
authenticate_key(struct app *app, const char *token, struct uc_identity *id, const char **reason)
{
    struct key_ctx x = {0};
    char key_id[APIKEY_ID_LEN + 1], hash[CHAIN_HEX_LEN];

    if (!apikey_parse(token, key_id)) {
        *reason = "malformed_key";
        return ERR_UNAUTHORIZED;
    }
    if (sha256_hex(token, strlen(token), hash) != ERR_OK)
        return ERR_INTERNAL;
    x.id = key_id;
    x.hash = hash;
    if (!cache_get(app->key_cache, hash, &x.row)) {
        int rc = tx_read(app, key_read, &x);
        if (rc == ERR_NOT_FOUND) {
            *reason = "unknown_key";
            return ERR_UNAUTHORIZED;
        }
        if (rc != ERR_OK)
            return rc;
        cache_put(app->key_cache, hash, &x.row);
    }
    identity_set(id, "api_key", x.row.id, x.row.name, x.row.roles, x.row.delegate);
    return ERR_OK;
}

int
uc_auth_init(struct app *app)
{
    const struct cfg *cfg = &app->cfg;
    char why[256] = "";
    app->jwt = NULL;
    app->key_cache = NULL;
    if (cfg->auth_cache_s > 0) {
        app->key_cache = mem_calloc(1, sizeof *app->key_cache);
        pthread_mutex_init(&app->key_cache->lock, NULL);
        app->key_cache->ttl = cfg->auth_cache_s;
    }
    if (cfg->jwt_jwks_file == NULL && cfg->jwt_pem_file == NULL)
        return ERR_OK;
    struct jwt_config jc = {.jwks_file = cfg->jwt_jwks_file,
                            .pem_file = cfg->jwt_pem_file,
                            .algs = cfg->jwt_algorithms,
                            .issuer = cfg->jwt_issuer,
                            .audience = cfg->jwt_audience,
                            .leeway_s = cfg->jwt_leeway_s};
    int rc = jwt_verifier_new(&jc, &app->jwt, why, sizeof why);
    if (rc != ERR_OK)
        log_error("JWT authentication cannot start: %s", why);
    else
        log_info("JWT authentication: %zu key(s), algorithms %s, issuer %s",
                 jwt_verifier_key_count(app->jwt), cfg->jwt_algorithms, cfg->jwt_issuer);
    return rc;
}

void
uc_auth_cleanup(struct app *app)
{
    jwt_verifier_free(app->jwt);
    app->jwt = NULL;
    if (app->key_cache != NULL)
        pthread_mutex_destroy(&app->key_cache->lock);
    free(app->key_cache);
    app->key_cache = NULL;
}

/* The member at a dotted path ("realm_access.roles") of the claims, or NULL. */
static const json_t *
claim_at(const json_t *j_claims, const char *path)
{
    char name[128];
    const json_t *j = j_claims;
    for (const char *p = path; j != NULL;) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof name)
            return NULL;
        memcpy(name, p, n);
        name[n] = '\0';
        j = json_object_get(j, name);
        if (p[n] == '\0')
            return j;
        p += n + 1;
    }
    return NULL;
}

static int
authenticate_jwt(struct app *app, const char *token, struct uc_identity *id, const char **reason)
{
    json_t *j_claims = NULL;
    bool delegate;
    int rc = jwt_verify(app->jwt, token, time(NULL), &j_claims, reason);
    if (rc != ERR_OK)
        return rc;
    const char *sub = json_string_value(json_object_get(j_claims, "sub"));
    const json_t *j_name = claim_at(j_claims, app->cfg.jwt_name_claim);
    unsigned roles =
        access_roles_from_json(claim_at(j_claims, app->cfg.jwt_roles_claim), &delegate);
    if (strlen(sub) >= sizeof id->subject) {
        *reason = "malformed";
        rc = ERR_UNAUTHORIZED;
    } else {
        identity_set(id, "user", sub, json_string_value(j_name), roles, delegate);
    }
    json_decref(j_claims);
    return rc;
}

int
uc_authenticate(struct app *app, const char *token, struct uc_identity *id, const char **reason)
{
    *reason = "";
    if (strncmp(token, "capa_", 5) == 0)
        return authenticate_key(app, token, id, reason);
    if (app->jwt != NULL)
        return authenticate_jwt(app, token, id, reason);
    *reason = "no_token_issuer";
    return ERR_UNAUTHORIZED;
}

int
uc_identity_act_for(struct uc_identity *id, const char *person, struct uc_status *st)
{
    size_t n = strlen(person);
    if (!id->p.delegate) {
        snprintf(st->detail, sizeof st->detail,
                 "Capa-On-Behalf-Of needs a key or token that grants delegate");
        return ERR_FORBIDDEN;
    }
    if (n == 0 || n >= sizeof id->on_behalf_of) {
        snprintf(st->detail, sizeof st->detail, "Capa-On-Behalf-Of must be 1 to %zu characters",
                 sizeof id->on_behalf_of - 1);
        return ERR_BAD_REQUEST;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)person[i] < 0x20 || person[i] == 0x7f) {
            snprintf(st->detail, sizeof st->detail,
                     "Capa-On-Behalf-Of must not contain control characters");
            return ERR_BAD_REQUEST;
        }
    }
    memcpy(id->on_behalf_of, person, n + 1);
    id->p.on_behalf_of = id->on_behalf_of;
    return ERR_OK;
}

/* ---- capad apikey ---- */

struct create_ctx {
    struct apikey_row row;
    const char *hash;
};

static int
create_tx(struct store_conn *c, void *arg)
{
    struct create_ctx *x = arg;
    return store_apikey_insert(c, &x->row, x->hash);
}

/* {id, name, roles: [...], delegate}, as capad apikey list shows a key. */
static json_t *
key_json(const struct apikey_row *k)
{
    return json_pack("{s:s, s:s, s:o, s:b}", "id", k->id, "name", k->name, "roles",
                     access_roles_json(k->roles), "delegate", k->delegate);
}

int
uc_apikey_create(struct app *app, const char *name, unsigned roles, bool delegate,
                 char key[APIKEY_LEN + 1], json_t **j_key, struct uc_status *st)
{
    struct create_ctx x = {.row = {.roles = roles, .delegate = delegate}};
    unsigned char id[6], secret[32];
    char hash[CHAIN_HEX_LEN];
    int rc;

    *j_key = NULL;
    key[0] = '\0';
    if (!apikey_name_valid(name)) {
        snprintf(st->detail, sizeof st->detail,
                 "a key name is 1 to 63 of a-z, 0-9, '.', '_' and '-', starting with a letter or "
                 "digit");
        return ERR_INVALID;
    }
    if ((roles & ACCESS_ROLES_ALL) == 0) {
        snprintf(st->detail, sizeof st->detail, "a key needs at least one role");
        return ERR_INVALID;
    }
    /* the secret is a key: the strongest random source gnutls has */
    if (gnutls_rnd(GNUTLS_RND_KEY, secret, sizeof secret) != 0 ||
        gnutls_rnd(GNUTLS_RND_NONCE, id, sizeof id) != 0)
        return ERR_INTERNAL;
    apikey_format(id, secret, key);
    memset(secret, 0, sizeof secret);
    if (sha256_hex(key, strlen(key), hash) != ERR_OK) {
        rc = ERR_INTERNAL;
        goto out;
    }
    memcpy(x.row.id, key + 5, APIKEY_ID_LEN);
    snprintf(x.row.name, sizeof x.row.name, "%s", name);
    x.hash = hash;
    rc = tx_run(app, create_tx, &x);
    if (rc == ERR_CONFLICT)
        snprintf(st->detail, sizeof st->detail,
                 "an active key is named %s (revoke it first, or choose another name)", name);
    if (rc == ERR_OK && (*j_key = key_json(&x.row)) == NULL)
        rc = ERR_INTERNAL;
out:
    if (rc != ERR_OK)
        memset(key, 0, APIKEY_LEN + 1);
    return rc;
}

int
uc_apikey_list(struct app *app, json_t **j_items, struct uc_status *st)
{
    (void)st;
    return tx_read_json(app, store_apikey_list, j_items);
}

struct revoke_ctx {
    const char *id_or_name;
    struct apikey_row row;
};

static int
revoke_tx(struct store_conn *c, void *arg)
{
    struct revoke_ctx *x = arg;
    return store_apikey_revoke(c, x->id_or_name, &x->row);
}

int
uc_apikey_revoke(struct app *app, const char *id_or_name, json_t **j_key, struct uc_status *st)
{
    struct revoke_ctx x = {.id_or_name = id_or_name};
    *j_key = NULL;
    int rc = tx_run(app, revoke_tx, &x);
    if (rc == ERR_OK)
        cache_forget(app->key_cache, x.row.id);
    if (rc == ERR_NOT_FOUND)
        snprintf(st->detail, sizeof st->detail, "no active key has the id or name %.64s",
                 id_or_name);
    if (rc == ERR_OK && (*j_key = key_json(&x.row)) == NULL)
        rc = ERR_INTERNAL;
    return rc;
}
