/*
 * jwt.c - JWT bearer-token verifier on rhonabwy (interface in jwt.h).
 *
 * Division of labour. This file parses the compact token itself (strict
 * base64url, JSON objects without duplicate members), pins the algorithm to
 * the configured list and to what the selected key can serve, selects the key
 * from the configuration only, and checks every claim with jansson against the
 * caller's clock. rhonabwy is used for what it is good at: importing JWKs and
 * PEM keys, and the signature arithmetic (r_jws_verify_signature), always
 * called with our key and only after our own checks.
 *
 * rhonabwy 1.1.11 (Debian 12) behaviours relied on or avoided, each checked
 * against the installed library with a probe program (results below) and
 * against its source (src/jws.c, src/misc.c):
 *
 * - r_jws_verify_signature verifies with the alg of the token header
 *   (jws->alg); it does not pin algorithms. A PS256 token verified with the
 *   RSA key of an RS256-only configuration: RHN_OK. So the alg is checked here
 *   first, and r_jws_get_alg must equal the pinned alg before verifying.
 * - Its only key-type guard is the family bit (RSA for RS and PS, EC for ES,
 *   EDDSA for EdDSA, HMAC for HS): an HS256 token keyed with the RSA public
 *   JWK bytes is refused (RHN_ERROR_INVALID). It does not check that the EC
 *   curve matches ES256/384/512 (it accepts a 64, 96 or 132 byte signature
 *   whatever the alg); the curve is pinned here per key.
 * - With a NULL key it picks one from jws->jwks_pubkey by "kid", and
 *   r_jws_parse / r_jwt_parse (flags R_PARSE_HEADER_ALL) put the token's own
 *   "jwk" (and x5c, and fetched jku/x5u) keys there: a token signed by an
 *   attacker key carried in its "jwk" header verifies (RHN_OK). So tokens are
 *   parsed with r_jws_advanced_compact_parsen(..., R_PARSE_NONE,
 *   R_FLAG_IGNORE_REMOTE) (no header key imported, nothing fetched; checked:
 *   the set stays empty) and the key is always passed explicitly.
 * - The parser accepts payload encodings that are not canonical (unused low
 *   bits set, trailing '='): it verifies over a re-encoding of the decoded
 *   payload, so two different strings verify as the same token. Our own
 *   decoder accepts canonical unpadded base64url only, so the bytes rhonabwy
 *   verifies are the bytes of the token. Whitespace inside a token: refused
 *   by 1.1.11 (RHN_ERROR_PARAM), and by us before it gets there.
 * - "alg":"none" is refused by the parser without R_PARSE_UNSIGNED; we refuse
 *   it earlier anyway (it can never be in the allowed list).
 * - r_str_to_jwa_alg maps an unknown name to R_JWA_ALG_UNKNOWN (the header
 *   comment says R_JWA_ALG_NONE); we do not use it: our own table maps names.
 * - r_jwt_validate_claims is not used: it reads time(NULL), has no leeway,
 *   and in the probe refused "aud" given as an array containing the expected
 *   value and "exp" given as a JSON real. All claims are checked here.
 * - "zip":"DEF" makes the parser inflate the payload and the verifier
 *   re-deflate it; such tokens are refused as malformed before rhonabwy.
 * - r_jwk_import_from_pem_der sets "kid" to the key's thumbprint; a PEM key is
 *   treated as having no kid. Importing a private-key PEM as R_X509_TYPE_PUBKEY
 *   or _CERTIFICATE fails, so a private key in pem_file is refused.
 *
 * Threads. r_global_init is not called: it only sets jansson's allocation
 * functions process-wide to orcania's (overriding the application's choice)
 * and calls curl_global_init (not thread-safe, and only for jku/x5u fetches,
 * which we never do); key import, signing and verifying work without it (the
 * tests run without it). The verifier is immutable after creation; each
 * jwt_verify imports its own copy of the key from a JSON string and owns its
 * jws_t, so no rhonabwy or jansson object is shared between threads.
 *
 * Fuzzing. jwt_verifyn must be safe on any byte string: length is checked
 * first, every byte is checked against the base64url alphabet before decoding,
 * decoding writes into buffers sized from the length, and JSON is parsed with
 * explicit lengths. No input reaches an assert or an unchecked pointer.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rhonabwy.h>

#include "b64url.h"
#include "err.h"
#include "file.h"
#include "jwt.h"
#include "mem.h"

#define KEY_FILE_MAX (1024 * 1024)

enum key_family { KF_RSA, KF_EC, KF_OKP };

/* The algorithms a verifier may allow; bit i of a mask is algs[i]. */
static const struct {
    const char *name;
    jwa_alg rhn;
    enum key_family family;
    const char *crv; /* the curve the key must be on, NULL for RSA */
} algs[] = {
    {"RS256", R_JWA_ALG_RS256, KF_RSA, NULL},   {"RS384", R_JWA_ALG_RS384, KF_RSA, NULL},
    {"RS512", R_JWA_ALG_RS512, KF_RSA, NULL},   {"PS256", R_JWA_ALG_PS256, KF_RSA, NULL},
    {"PS384", R_JWA_ALG_PS384, KF_RSA, NULL},   {"PS512", R_JWA_ALG_PS512, KF_RSA, NULL},
    {"ES256", R_JWA_ALG_ES256, KF_EC, "P-256"}, {"ES384", R_JWA_ALG_ES384, KF_EC, "P-384"},
    {"ES512", R_JWA_ALG_ES512, KF_EC, "P-521"}, {"EdDSA", R_JWA_ALG_EDDSA, KF_OKP, "Ed25519"},
};
#define ALGS_COUNT (sizeof algs / sizeof algs[0])

struct jwt_key {
    char *kid;     /* NULL: none (always NULL for a PEM key) */
    char *json;    /* the public JWK; each verification imports its own copy */
    unsigned mask; /* algorithms this key may verify: allowed, its type and curve, its "alg" */
};

struct jwt_verifier {
    unsigned algs; /* allowed algorithms */
    char *issuer;  /* NULL: not checked */
    char *audience;
    int leeway;
    size_t nkeys;
    struct jwt_key *keys;
};

static void say(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    if (why == NULL || why_len == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/* Index in algs of the name (n bytes), or -1. */
static int
alg_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < ALGS_COUNT; i++)
        if (strlen(algs[i].name) == n && memcmp(algs[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

/* A JSON string equal to s, length included (a string with a NUL inside is not). */
static bool
json_string_is(const json_t *j, const char *s)
{
    return json_is_string(j) && json_string_length(j) == strlen(s) &&
           memcmp(json_string_value(j), s, json_string_length(j)) == 0;
}

/* --- configuration ------------------------------------------------------------------------ */

static int
algs_parse(const char *list, unsigned *mask, char *why, size_t why_len)
{
    *mask = 0;
    if (list == NULL || *list == '\0') {
        say(why, why_len, "algs is empty: list the allowed algorithms, e.g. RS256");
        return ERR_INVALID;
    }
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        int i = n ? alg_lookup(s, n) : -1;
        if (n == 0) {
            say(why, why_len, "algs has an empty item: \"%.64s\"", list);
            return ERR_INVALID;
        } else if (n == 4 && strncasecmp(s, "none", 4) == 0) {
            say(why, why_len, "algorithm \"none\" is never allowed");
            return ERR_INVALID;
        } else if (n >= 2 && strncasecmp(s, "HS", 2) == 0) {
            say(why, why_len,
                "symmetric algorithm %.*s is not allowed: configure public keys and "
                "RS, PS, ES or EdDSA algorithms",
                (int)(n > 16 ? 16 : n), s);
            return ERR_INVALID;
        } else if (i < 0) {
            say(why, why_len, "unknown or unsupported algorithm \"%.*s\" in algs",
                (int)(n > 32 ? 32 : n), s);
            return ERR_INVALID;
        }
        *mask |= 1u << i;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return ERR_OK;
}

/* Read a whole file of at most KEY_FILE_MAX bytes; *buf is NUL-terminated, free it. */
static int
file_read(const char *what, const char *path, char **buf, size_t *len, char *why, size_t why_len)
{
    int e = file_read_all(path, KEY_FILE_MAX, buf, len);
    if (e == EFBIG)
        say(why, why_len, "%s \"%s\" is over %d bytes", what, path, KEY_FILE_MAX);
    else if (e != 0)
        say(why, why_len, "could not open %s \"%s\": %s", what, path, strerror(e));
    else if (*len == 0)
        say(why, why_len, "%s \"%s\" is empty", what, path);
    if (e == 0 && *len > 0)
        return ERR_OK;
    free(*buf);
    *buf = NULL;
    return ERR_INVALID;
}

/*
 * The public parameters of jwk and nothing else ("kty" and n, e or crv, x, y),
 * as compact JSON to free, so that what is verified at run time is exactly what
 * was checked here (no x5c, x5u or other member can stand in for the key).
 * NULL if a parameter is missing or memory ran out (*oom set).
 */
static char *
key_public_json(jwk_t *jwk, bool *oom)
{
    static const struct {
        const char *kty;
        const char *members[4];
    } shapes[] = {
        {"RSA", {"kty", "n", "e", NULL}},
        {"EC", {"kty", "crv", "x", "y"}},
        {"OKP", {"kty", "crv", "x", NULL}},
    };
    json_t *j_full = r_jwk_export_to_json_t(jwk), *j_min = json_object();
    char *json = NULL;
    size_t k;

    *oom = false;
    if (j_full == NULL || j_min == NULL) {
        *oom = true;
        goto out;
    }
    for (k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        if (json_string_is(json_object_get(j_full, "kty"), shapes[k].kty))
            break;
    if (k == sizeof shapes / sizeof shapes[0])
        goto out;
    for (size_t i = 0; i < 4 && shapes[k].members[i] != NULL; i++) {
        json_t *j_m = json_object_get(j_full, shapes[k].members[i]);
        if (!json_is_string(j_m) || json_string_length(j_m) == 0)
            goto out;
        if (json_object_set(j_min, shapes[k].members[i], j_m) != 0) {
            *oom = true;
            goto out;
        }
    }
    json = json_dumps(j_min, JSON_COMPACT | JSON_SORT_KEYS);
    if (json == NULL)
        *oom = true;
out:
    json_decref(j_min);
    json_decref(j_full);
    return json;
}

/*
 * Add one imported public key to v. label names the key in messages; kid is
 * NULL for a PEM key. Refuses key material that is not a usable public key.
 */
static int
key_add(struct jwt_verifier *v, jwk_t *jwk_in, const char *kid, const char *label, char *why,
        size_t why_len)
{
    int rc = ERR_INVALID, type;
    unsigned bits = 0, mask = 0;
    const char *kty = r_jwk_get_property_str(jwk_in, "kty");
    const char *own_alg = r_jwk_get_property_str(jwk_in, "alg");
    const char *crv;
    char *json = NULL, *kid_copy = NULL;
    jwk_t *jwk = NULL;
    bool oom = false;

    type = r_jwk_key_type(jwk_in, NULL, R_FLAG_IGNORE_REMOTE);
    if ((type & (R_KEY_TYPE_PRIVATE | R_KEY_TYPE_SYMMETRIC | R_KEY_TYPE_HMAC)) ||
        (kty && strcmp(kty, "oct") == 0) || r_jwk_get_property_str(jwk_in, "d") != NULL) {
        say(why, why_len, "key %s holds private or symmetric key material: give public keys only",
            label);
        goto out;
    }
    /* from here on, only the reduced key: the one jwt_verify will use */
    json = key_public_json(jwk_in, &oom);
    if (json == NULL && !oom) {
        say(why, why_len,
            "key %s is not a supported public key (RSA, EC or OKP with all its parameters)", label);
        goto out;
    }
    if (json == NULL || r_jwk_init(&jwk) != RHN_OK) {
        rc = ERR_INTERNAL;
        say(why, why_len, "out of memory");
        goto out;
    }
    if (r_jwk_import_from_json_str(jwk, json) != RHN_OK ||
        !((type = r_jwk_key_type(jwk, &bits, R_FLAG_IGNORE_REMOTE)) & R_KEY_TYPE_PUBLIC)) {
        say(why, why_len, "key %s is not a valid public key", label);
        goto out;
    }
    crv = r_jwk_get_property_str(jwk, "crv");
    for (size_t i = 0; i < ALGS_COUNT; i++) {
        bool fits = false;
        if (algs[i].family == KF_RSA)
            fits = (type & R_KEY_TYPE_RSA) != 0;
        else if (algs[i].family == KF_EC)
            fits = (type & R_KEY_TYPE_EC) && crv && strcmp(crv, algs[i].crv) == 0;
        else
            fits = (type & R_KEY_TYPE_EDDSA) && crv && strcmp(crv, algs[i].crv) == 0;
        if (fits)
            mask |= 1u << i;
    }
    if (mask == 0) {
        say(why, why_len, "key %s: type %.16s%s%.16s is not supported", label, kty ? kty : "?",
            crv ? " on curve " : "", crv ? crv : "");
        goto out;
    }
    if ((type & R_KEY_TYPE_RSA) && bits < 2048) {
        say(why, why_len, "key %s: RSA key of %u bits, at least 2048 needed", label, bits);
        goto out;
    }
    if (own_alg != NULL) {
        int i = alg_lookup(own_alg, strlen(own_alg));
        if (i < 0) {
            say(why, why_len, "key %s declares alg \"%.32s\", not a supported signature algorithm",
                label, own_alg);
            goto out;
        }
        mask &= 1u << i;
    }
    if ((mask & v->algs) == 0) {
        say(why, why_len, "key %s (%.16s%s%.16s%s%.16s) cannot serve any of the allowed algorithms",
            label, kty ? kty : "?", crv ? " " : "", crv ? crv : "", own_alg ? ", alg " : "",
            own_alg ? own_alg : "");
        goto out;
    }
    if (kid != NULL)
        kid_copy = mem_strdup(kid);
    v->keys[v->nkeys].kid = kid_copy;
    v->keys[v->nkeys].json = json;
    v->keys[v->nkeys].mask = mask & v->algs;
    v->nkeys++;
    kid_copy = NULL;
    json = NULL;
    rc = ERR_OK;
out:
    r_jwk_free(jwk);
    free(kid_copy);
    free(json);
    return rc;
}

/* A JWK marked for something other than verifying signatures: left out of the set. */
static bool
key_other_use(const json_t *j_key)
{
    const json_t *j_use = json_object_get(j_key, "use");
    const json_t *j_ops = json_object_get(j_key, "key_ops");
    if (j_use != NULL && !(json_is_string(j_use) && strcmp(json_string_value(j_use), "sig") == 0))
        return true;
    if (j_ops != NULL) {
        size_t i;
        const json_t *j_op;
        json_array_foreach(j_ops, i, j_op)
        {
            if (json_string_is(j_op, "verify"))
                return false;
        }
        return true;
    }
    return false;
}

static int
keys_check_kids(const struct jwt_verifier *v, char *why, size_t why_len)
{
    if (v->nkeys < 2)
        return ERR_OK;
    for (size_t i = 0; i < v->nkeys; i++) {
        if (v->keys[i].kid == NULL) {
            say(why, why_len, "jwks has %zu keys and one of them has no kid: every key needs one",
                v->nkeys);
            return ERR_INVALID;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(v->keys[k].kid, v->keys[i].kid) == 0) {
                say(why, why_len, "jwks has two keys with kid \"%.64s\"", v->keys[i].kid);
                return ERR_INVALID;
            }
    }
    return ERR_OK;
}

static int
jwks_load(struct jwt_verifier *v, const char *path, char *why, size_t why_len)
{
    int rc;
    char *text = NULL;
    size_t len = 0, i;
    json_t *j_set = NULL, *j_key;
    json_error_t jerr;
    jwk_t *jwk = NULL;
    char label[96];

    if ((rc = file_read("jwks_file", path, &text, &len, why, why_len)) != ERR_OK)
        goto out;
    rc = ERR_INVALID;
    j_set = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j_set == NULL) {
        say(why, why_len, "jwks_file \"%s\" is not JSON: %s at line %d", path, jerr.text,
            jerr.line);
        goto out;
    }
    const json_t *j_keys = json_object_get(j_set, "keys");
    if (!json_is_array(j_keys) || json_array_size(j_keys) == 0) {
        say(why, why_len, "jwks_file \"%s\" is not a key set: no non-empty \"keys\" array", path);
        goto out;
    }
    if (json_array_size(j_keys) > JWT_KEYS_MAX) {
        say(why, why_len, "jwks_file \"%s\" has %zu keys, at most %d", path,
            json_array_size(j_keys), JWT_KEYS_MAX);
        goto out;
    }
    v->keys = mem_calloc(json_array_size(j_keys), sizeof *v->keys);
    json_array_foreach(j_keys, i, j_key)
    {
        const json_t *j_kid = json_object_get(j_key, "kid");
        if (!json_is_object(j_key) ||
            (j_kid != NULL && (!json_is_string(j_kid) || json_string_length(j_kid) == 0))) {
            say(why, why_len, "key #%zu of jwks_file \"%s\" is not a JWK", i, path);
            goto out;
        }
        if (key_other_use(j_key))
            continue;
        if (j_kid != NULL)
            snprintf(label, sizeof label, "\"%.64s\"", json_string_value(j_kid));
        else
            snprintf(label, sizeof label, "#%zu", i);
        if (r_jwk_init(&jwk) != RHN_OK) {
            rc = ERR_INTERNAL;
            say(why, why_len, "out of memory");
            goto out;
        }
        if (r_jwk_import_from_json_t(jwk, j_key) != RHN_OK) {
            say(why, why_len, "key %s of jwks_file \"%s\" is not a valid JWK", label, path);
            goto out;
        }
        rc = key_add(v, jwk, json_string_value(j_kid), label, why, why_len);
        if (rc != ERR_OK)
            goto out;
        rc = ERR_INVALID;
        r_jwk_free(jwk);
        jwk = NULL;
    }
    if (v->nkeys == 0) {
        say(why, why_len, "jwks_file \"%s\" has no key for verifying signatures", path);
        goto out;
    }
    rc = keys_check_kids(v, why, why_len);
out:
    r_jwk_free(jwk);
    json_decref(j_set);
    free(text);
    return rc;
}

static int
pem_load(struct jwt_verifier *v, const char *path, char *why, size_t why_len)
{
    int rc;
    char *text = NULL;
    size_t len = 0;
    jwk_t *jwk = NULL;

    if ((rc = file_read("pem_file", path, &text, &len, why, why_len)) != ERR_OK)
        goto out;
    rc = ERR_INTERNAL;
    v->keys = mem_calloc(1, sizeof *v->keys);
    if (r_jwk_init(&jwk) != RHN_OK) {
        say(why, why_len, "out of memory");
        goto out;
    }
    rc = ERR_INVALID;
    if (r_jwk_import_from_pem_der(jwk, R_X509_TYPE_PUBKEY, R_FORMAT_PEM,
                                  (const unsigned char *)text, len) != RHN_OK) {
        /* not a public key: perhaps a certificate; a fresh jwk, the failed import may have
         * left members behind */
        r_jwk_free(jwk);
        jwk = NULL;
        if (r_jwk_init(&jwk) != RHN_OK) {
            rc = ERR_INTERNAL;
            say(why, why_len, "out of memory");
            goto out;
        }
        if (r_jwk_import_from_pem_der(jwk, R_X509_TYPE_CERTIFICATE, R_FORMAT_PEM,
                                      (const unsigned char *)text, len) != RHN_OK) {
            say(why, why_len,
                "pem_file \"%s\" holds no public key or certificate (private keys are refused)",
                path);
            goto out;
        }
    }
    rc = key_add(v, jwk, NULL, "of pem_file", why, why_len);
out:
    r_jwk_free(jwk);
    free(text);
    return rc;
}

int
jwt_verifier_new(const struct jwt_config *cfg, struct jwt_verifier **out, char *why, size_t why_len)
{
    int rc = ERR_INVALID;
    struct jwt_verifier *v = NULL;

    say(why, why_len, "%s", "");
    if (out != NULL)
        *out = NULL;
    if (cfg == NULL || out == NULL) {
        say(why, why_len, "no configuration");
        goto out;
    }
    bool has_jwks = cfg->jwks_file != NULL && cfg->jwks_file[0] != '\0';
    bool has_pem = cfg->pem_file != NULL && cfg->pem_file[0] != '\0';
    if (!has_jwks && !has_pem) {
        say(why, why_len, "no key file: set jwks_file or pem_file");
        goto out;
    }
    if (has_jwks && has_pem) {
        say(why, why_len, "both jwks_file and pem_file are set: give exactly one");
        goto out;
    }
    if (cfg->leeway_s < 0 || cfg->leeway_s > JWT_LEEWAY_MAX) {
        say(why, why_len, "leeway_s %d is outside 0..%d", cfg->leeway_s, JWT_LEEWAY_MAX);
        goto out;
    }
    v = mem_calloc(1, sizeof *v);
    v->leeway = cfg->leeway_s;
    if ((rc = algs_parse(cfg->algs, &v->algs, why, why_len)) != ERR_OK)
        goto out;
    if (cfg->issuer && cfg->issuer[0])
        v->issuer = mem_strdup(cfg->issuer);
    if (cfg->audience && cfg->audience[0])
        v->audience = mem_strdup(cfg->audience);
    rc = has_jwks ? jwks_load(v, cfg->jwks_file, why, why_len)
                  : pem_load(v, cfg->pem_file, why, why_len);
    if (rc != ERR_OK)
        goto out;
    *out = v;
    v = NULL;
out:
    jwt_verifier_free(v);
    return rc;
}

void
jwt_verifier_free(struct jwt_verifier *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->nkeys; i++) {
        free(v->keys[i].kid);
        free(v->keys[i].json);
    }
    free(v->keys);
    free(v->issuer);
    free(v->audience);
    free(v);
}

size_t
jwt_verifier_key_count(const struct jwt_verifier *v)
{
    return v ? v->nkeys : 0;
}

/* --- verification ------------------------------------------------------------------------- */

/*
 * Decode a base64url segment holding a JSON object. Returns ERR_OK and a new
 * reference in *j_out, ERR_UNAUTHORIZED if it is not one, ERR_INTERNAL when
 * out of memory. buf holds at least n * 3 / 4 bytes.
 */
static int
segment_object(const char *seg, size_t n, unsigned char *buf, json_t **j_out)
{
    json_error_t jerr;
    long len = b64url_decode(seg, n, buf, n * 3 / 4);
    *j_out = NULL;
    if (len <= 0)
        return ERR_UNAUTHORIZED;
    json_t *j = json_loadb((const char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL)
        return json_error_code(&jerr) == json_error_out_of_memory ? ERR_INTERNAL : ERR_UNAUTHORIZED;
    if (!json_is_object(j)) {
        json_decref(j);
        return ERR_UNAUTHORIZED;
    }
    *j_out = j;
    return ERR_OK;
}

/* The configured key for the token's kid (borrowed, may be NULL), or NULL. */
static const struct jwt_key *
key_select(const struct jwt_verifier *v, const json_t *j_kid)
{
    if (v->nkeys == 1) {
        const struct jwt_key *k = &v->keys[0];
        if (j_kid != NULL && k->kid != NULL && !json_string_is(j_kid, k->kid))
            return NULL;
        return k;
    }
    if (j_kid == NULL)
        return NULL;
    for (size_t i = 0; i < v->nkeys; i++)
        if (json_string_is(j_kid, v->keys[i].kid))
            return &v->keys[i];
    return NULL;
}

/*
 * Check the signature of the token with key for algorithm alg (already
 * pinned). Returns ERR_OK, ERR_UNAUTHORIZED with *reason, or ERR_INTERNAL.
 */
static int
signature_check(const struct jwt_key *key, int alg, const char *token, size_t len,
                const char **reason)
{
    int rc = ERR_INTERNAL, res;
    jwk_t *jwk = NULL;
    jws_t *jws = NULL;

    *reason = "internal";
    if (r_jwk_init(&jwk) != RHN_OK || r_jws_init(&jws) != RHN_OK)
        goto out;
    /* imported at start-up, so a failure now can only be memory */
    if (r_jwk_import_from_json_str(jwk, key->json) != RHN_OK)
        goto out;
    /* R_PARSE_NONE: no key from the token's jwk/x5c/jku/x5u headers, nothing fetched */
    res = r_jws_advanced_compact_parsen(jws, token, len, R_PARSE_NONE, R_FLAG_IGNORE_REMOTE);
    if (res == RHN_ERROR_MEMORY)
        goto out;
    rc = ERR_UNAUTHORIZED;
    *reason = "malformed";
    /* our parser and rhonabwy's must agree on the algorithm, and no key may come with the token */
    if (res != RHN_OK || r_jws_get_alg(jws) != algs[alg].rhn || r_jwks_size(jws->jwks_pubkey) != 0)
        goto out;
    res = r_jws_verify_signature(jws, jwk, R_FLAG_IGNORE_REMOTE);
    if (res == RHN_ERROR_MEMORY) {
        rc = ERR_INTERNAL;
        *reason = "internal";
        goto out;
    }
    if (res != RHN_OK) {
        *reason = "bad_signature";
        goto out;
    }
    rc = ERR_OK;
    *reason = NULL;
out:
    r_jws_free(jws);
    r_jwk_free(jwk);
    return rc;
}

/* A NumericDate: a JSON integer or finite real. */
static bool
numeric_date(const json_t *j, double *out)
{
    if (json_is_integer(j)) {
        *out = (double)json_integer_value(j);
        return true;
    }
    if (json_is_real(j) && isfinite(json_real_value(j))) {
        *out = json_real_value(j);
        return true;
    }
    return false;
}

static bool
audience_has(const json_t *j_aud, const char *want)
{
    size_t i;
    const json_t *j_one;
    if (json_is_string(j_aud))
        return json_string_is(j_aud, want);
    json_array_foreach(j_aud, i, j_one)
    {
        if (json_string_is(j_one, want))
            return true;
    }
    return false;
}

/* The claim checks, after the signature. Returns NULL or the reason. */
static const char *
claims_check(const struct jwt_verifier *v, const json_t *j_claims, time_t now)
{
    const json_t *j_exp = json_object_get(j_claims, "exp");
    const json_t *j_nbf = json_object_get(j_claims, "nbf");
    const json_t *j_iat = json_object_get(j_claims, "iat");
    const json_t *j_sub = json_object_get(j_claims, "sub");
    double t;

    if (j_exp == NULL)
        return "no_expiry";
    if (!numeric_date(j_exp, &t))
        return "malformed";
    if (t <= (double)now - v->leeway)
        return "expired";
    if (j_nbf != NULL) {
        if (!numeric_date(j_nbf, &t))
            return "malformed";
        if (t > (double)now + v->leeway)
            return "not_yet_valid";
    }
    if (j_iat != NULL) {
        if (!numeric_date(j_iat, &t))
            return "malformed";
        if (t > (double)now + v->leeway)
            return "not_yet_valid";
    }
    if (v->issuer != NULL && !json_string_is(json_object_get(j_claims, "iss"), v->issuer))
        return "issuer";
    if (v->audience != NULL && !audience_has(json_object_get(j_claims, "aud"), v->audience))
        return "audience";
    if (!json_is_string(j_sub) || json_string_length(j_sub) == 0)
        return "no_subject";
    return NULL;
}

int
jwt_verifyn(const struct jwt_verifier *v, const char *token, size_t len, time_t now,
            json_t **j_claims, const char **reason)
{
    int rc = ERR_UNAUTHORIZED;
    const char *why = "malformed", *dot[2] = {NULL, NULL};
    unsigned char *buf = NULL;
    json_t *j_header = NULL, *j_payload = NULL;
    size_t ndots = 0;

    if (j_claims != NULL)
        *j_claims = NULL;
    if (v == NULL || j_claims == NULL) {
        rc = ERR_INTERNAL;
        why = "internal";
        goto out;
    }
    if (token == NULL || len == 0)
        goto out;
    if (len > JWT_TOKEN_MAX) {
        why = "too_long";
        goto out;
    }
    /* three base64url parts, nothing else: no padding, whitespace or NUL, no JWE (five parts) */
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '.') {
            if (ndots == 2)
                goto out;
            dot[ndots++] = token + i;
        } else if (b64url_digit((unsigned char)token[i]) < 0) {
            goto out;
        }
    }
    if (ndots != 2)
        goto out;
    const char *h = token, *p = dot[0] + 1, *s = dot[1] + 1;
    size_t hlen = (size_t)(dot[0] - h), plen = (size_t)(dot[1] - p),
           slen = len - (size_t)(s - token);

    buf = mem_alloc(len);
    if ((rc = segment_object(h, hlen, buf, &j_header)) != ERR_OK)
        goto out;
    rc = ERR_UNAUTHORIZED;
    const json_t *j_alg = json_object_get(j_header, "alg");
    const json_t *j_kid = json_object_get(j_header, "kid");
    if (!json_is_string(j_alg) || (j_kid != NULL && !json_is_string(j_kid)))
        goto out;
    /* extensions we do not implement; "enc" is a JWE header */
    if (json_object_get(j_header, "crit") || json_object_get(j_header, "zip") ||
        json_object_get(j_header, "b64") || json_object_get(j_header, "enc"))
        goto out;
    int alg = alg_lookup(json_string_value(j_alg), json_string_length(j_alg));
    if (alg < 0 || !(v->algs & (1u << alg))) {
        why = "alg_not_allowed";
        goto out;
    }
    if ((rc = segment_object(p, plen, buf, &j_payload)) != ERR_OK)
        goto out;
    rc = ERR_UNAUTHORIZED;
    const struct jwt_key *key = key_select(v, j_kid);
    if (key == NULL) {
        why = "unknown_kid";
        goto out;
    }
    if (!(key->mask & (1u << alg))) {
        why = "alg_not_allowed";
        goto out;
    }
    if (slen == 0 || b64url_decode(s, slen, buf, slen * 3 / 4) <= 0) {
        why = slen == 0 ? "bad_signature" : "malformed";
        goto out;
    }
    if ((rc = signature_check(key, alg, token, len, &why)) != ERR_OK)
        goto out;
    rc = ERR_UNAUTHORIZED;
    if ((why = claims_check(v, j_payload, now)) != NULL)
        goto out;
    *j_claims = j_payload;
    j_payload = NULL;
    rc = ERR_OK;
out:
    if (rc == ERR_INTERNAL)
        why = "internal";
    else if (rc == ERR_UNAUTHORIZED && why == NULL)
        why = "malformed";
    if (reason != NULL)
        *reason = rc == ERR_OK ? NULL : why;
    json_decref(j_payload);
    json_decref(j_header);
    free(buf);
    return rc;
}

int
jwt_verify(const struct jwt_verifier *v, const char *token, time_t now, json_t **j_claims,
           const char **reason)
{
    size_t len = token ? strnlen(token, JWT_TOKEN_MAX + 1) : 0;
    return jwt_verifyn(v, token, len, now, j_claims, reason);
}
