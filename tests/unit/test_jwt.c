/*
 * test_jwt.c - unit tests of service/auth/jwt.c (JWT bearer-token verifier).
 *
 * Keys are generated here with rhonabwy (tests/common/tjwt.c), written as a
 * JWKS or PEM file to a mkstemp file (removed in teardown), and tokens are
 * signed with rhonabwy, or built by hand when an attacker would build them by
 * hand.
 * Every refusal asserts both ERR_UNAUTHORIZED and its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rhonabwy.h>

#include "err.h"
#include "jwt.h"
#include "tjwt.h"

#define NOW ((time_t)1700000000)
#define ISS "https://idp.example.org/realms/capa"
#define AUD "capa-api"
#define LEEWAY 30

struct fixture {
    jwk_t *rsa_priv, *rsa_pub;   /* kid "rsa-1" */
    jwk_t *evil_priv, *evil_pub; /* an attacker's RSA key, also kid "rsa-1" */
    jwk_t *rsa2_priv, *rsa2_pub; /* kid "rsa-2" */
    jwk_t *ec_priv, *ec_pub;     /* P-256, kid "ec-1" */
    jwk_t *ed_priv, *ed_pub;     /* Ed25519, kid "ed-1" */
    char *files[64];             /* temporary files to remove */
    size_t nfiles;
    struct jwt_verifier *v_rsa; /* JWKS {rsa-1}, RS256 + ES256, iss, aud, leeway 30 */
    struct jwt_verifier *v_ec;  /* PEM of ec-1, ES256, no iss/aud check */
    struct jwt_verifier *v_two; /* JWKS {rsa-1, rsa-2}, RS256 */
    char *rsa_pub_pem;          /* PEM text of rsa-1's public key */
};

/* --- helpers ------------------------------------------------------------------------------ */

static char *
b64url(const void *data, size_t n)
{
    char *out = tjwt_b64url(data, n);
    assert_non_null(out);
    return out;
}

static char *
b64url_str(const char *s)
{
    return b64url(s, strlen(s));
}

/* "a.b.c" from three parts; free the result. */
static char *
join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%s.%s.%s", a, b, c);
    return out;
}

static char *
temp_file(struct fixture *f, const void *data, size_t n)
{
    char *path = strdup("/tmp/capa-test-jwt-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    assert_true(f->nfiles < sizeof f->files / sizeof f->files[0]);
    f->files[f->nfiles++] = path;
    return path;
}

/* A JWKS file of the given public keys (NULL-terminated); extra members merged into each. */
static char *
jwks_file(struct fixture *f, const json_t *j_extra, ...)
{
    va_list ap;
    json_t *j_keys = json_array(), *j_set;
    jwk_t *jwk;
    assert_non_null(j_keys);
    va_start(ap, j_extra);
    while ((jwk = va_arg(ap, jwk_t *)) != NULL) {
        json_t *j_key = r_jwk_export_to_json_t(jwk);
        assert_non_null(j_key);
        if (j_extra)
            assert_int_equal(json_object_update(j_key, (json_t *)j_extra), 0);
        assert_int_equal(json_array_append_new(j_keys, j_key), 0);
    }
    va_end(ap);
    j_set = json_pack("{s:o}", "keys", j_keys);
    assert_non_null(j_set);
    char *text = json_dumps(j_set, JSON_COMPACT);
    assert_non_null(text);
    char *path = temp_file(f, text, strlen(text));
    free(text);
    json_decref(j_set);
    return path;
}

static char *
pem_of(jwk_t *jwk)
{
    char *out = tjwt_pem(jwk);
    assert_non_null(out);
    return out;
}

static void
keypair(jwk_t **priv, jwk_t **pub, int type, unsigned bits, const char *kid)
{
    assert_int_equal(tjwt_keypair(priv, pub, type, bits, kid), 0);
}

/* The usual claims at NOW, as a new object to adjust. */
static json_t *
claims_new(void)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "sub", "user-42", "iss", ISS,
                          "aud", AUD, "exp", (json_int_t)(NOW + 300), "iat", (json_int_t)(NOW - 5),
                          "nbf", (json_int_t)(NOW - 5), "scope", "cases:write");
    assert_non_null(j);
    return j;
}

/*
 * Sign claims (borrowed) with priv under alg; j_header (borrowed, may be NULL)
 * adds header members. kid: the jwk's own kid unless no_kid. Returns a
 * malloc'd token.
 */
static char *
sign_ex(jwk_t *priv, jwa_alg alg, const json_t *j_header, const json_t *j_claims, int no_kid)
{
    char *token = tjwt_sign(priv, alg, j_header, j_claims, no_kid != 0);
    assert_non_null(token);
    return token;
}

static char *
sign(jwk_t *priv, jwa_alg alg, const json_t *j_claims)
{
    return sign_ex(priv, alg, NULL, j_claims, 0);
}

/* Sign the usual claims after setting one member (stolen; NULL value deletes it). */
static char *
sign_with(jwk_t *priv, jwa_alg alg, const char *member, json_t *j_value)
{
    json_t *j = claims_new();
    if (j_value)
        assert_int_equal(json_object_set_new(j, member, j_value), 0);
    else
        assert_int_equal(json_object_del(j, member), 0);
    char *t = sign(priv, alg, j);
    json_decref(j);
    return t;
}

static void
expect_refusal_at(const struct jwt_verifier *v, const char *token, time_t now, const char *want)
{
    json_t *j_claims = (json_t *)(intptr_t)1; /* must be reset to NULL */
    const char *reason = NULL;
    int rc = jwt_verify(v, token, now, &j_claims, &reason);
    if (rc != ERR_UNAUTHORIZED || reason == NULL || strcmp(reason, want) != 0)
        fail_msg("token %.80s: want ERR_UNAUTHORIZED/%s, got %d/%s", token ? token : "(null)", want,
                 rc, reason ? reason : "(null)");
    assert_null(j_claims);
}

static void
expect_refusal(const struct jwt_verifier *v, const char *token, const char *want)
{
    expect_refusal_at(v, token, NOW, want);
}

/* expect_refusal for a token freed here */
static void
expect_refusal_free(const struct jwt_verifier *v, char *token, const char *want)
{
    expect_refusal(v, token, want);
    free(token);
}

/* Verifies; returns the claims (caller decrefs). */
static json_t *
expect_ok(const struct jwt_verifier *v, const char *token, time_t now)
{
    json_t *j_claims = NULL;
    const char *reason = "unset";
    int rc = jwt_verify(v, token, now, &j_claims, &reason);
    if (rc != ERR_OK)
        fail_msg("token refused: %d/%s", rc, reason ? reason : "(null)");
    assert_null(reason);
    assert_non_null(j_claims);
    return j_claims;
}

static void
expect_config_refused(const struct jwt_config *cfg, const char *want_in_why)
{
    struct jwt_verifier *v = (struct jwt_verifier *)(intptr_t)1;
    char why[256] = "";
    int rc = jwt_verifier_new(cfg, &v, why, sizeof why);
    if (rc != ERR_INVALID || strstr(why, want_in_why) == NULL)
        fail_msg("config: want ERR_INVALID with \"%s\", got %d \"%s\"", want_in_why, rc, why);
    assert_null(v);
    jwt_verifier_free(v);
}

static struct jwt_verifier *
verifier(const struct jwt_config *cfg)
{
    struct jwt_verifier *v = NULL;
    char why[256] = "";
    int rc = jwt_verifier_new(cfg, &v, why, sizeof why);
    if (rc != ERR_OK)
        fail_msg("jwt_verifier_new: %d %s", rc, why);
    assert_non_null(v);
    return v;
}

/* --- fixture ------------------------------------------------------------------------------ */

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    keypair(&f->rsa_priv, &f->rsa_pub, R_KEY_TYPE_RSA, 2048, "rsa-1");
    keypair(&f->evil_priv, &f->evil_pub, R_KEY_TYPE_RSA, 2048, "rsa-1");
    keypair(&f->rsa2_priv, &f->rsa2_pub, R_KEY_TYPE_RSA, 2048, "rsa-2");
    keypair(&f->ec_priv, &f->ec_pub, R_KEY_TYPE_EC, 256, "ec-1");
    keypair(&f->ed_priv, &f->ed_pub, R_KEY_TYPE_EDDSA, 256, "ed-1");
    f->rsa_pub_pem = pem_of(f->rsa_pub);

    struct jwt_config c = {.jwks_file = jwks_file(f, NULL, f->rsa_pub, NULL),
                           .algs = "RS256,ES256",
                           .issuer = ISS,
                           .audience = AUD,
                           .leeway_s = LEEWAY};
    f->v_rsa = verifier(&c);

    char *pem = pem_of(f->ec_pub);
    struct jwt_config ce = {.pem_file = temp_file(f, pem, strlen(pem)), .algs = "ES256"};
    free(pem);
    f->v_ec = verifier(&ce);

    struct jwt_config c2 = {.jwks_file = jwks_file(f, NULL, f->rsa_pub, f->rsa2_pub, NULL),
                            .algs = "RS256"};
    f->v_two = verifier(&c2);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    jwt_verifier_free(f->v_rsa);
    jwt_verifier_free(f->v_ec);
    jwt_verifier_free(f->v_two);
    for (size_t i = 0; i < f->nfiles; i++) {
        unlink(f->files[i]);
        free(f->files[i]);
    }
    r_jwk_free(f->rsa_priv);
    r_jwk_free(f->rsa_pub);
    r_jwk_free(f->evil_priv);
    r_jwk_free(f->evil_pub);
    r_jwk_free(f->rsa2_priv);
    r_jwk_free(f->rsa2_pub);
    r_jwk_free(f->ec_priv);
    r_jwk_free(f->ec_pub);
    r_jwk_free(f->ed_priv);
    r_jwk_free(f->ed_pub);
    free(f->rsa_pub_pem);
    free(f);
    return 0;
}

/* --- success ------------------------------------------------------------------------------ */

static void
test_jwt_verify_rs256_jwks_ok(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    json_t *j_claims = expect_ok(f->v_rsa, t, NOW);
    assert_true(json_equal(j_claims, j));
    assert_string_equal(json_string_value(json_object_get(j_claims, "sub")), "user-42");
    assert_string_equal(json_string_value(json_object_get(j_claims, "scope")), "cases:write");
    assert_int_equal(jwt_verifier_key_count(f->v_rsa), 1);
    json_decref(j_claims);
    json_decref(j);
    free(t);
}

static void
test_jwt_verify_es256_pem_ok(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *t = sign(f->ec_priv, R_JWA_ALG_ES256, j);
    json_t *j_claims = expect_ok(f->v_ec, t, NOW);
    assert_true(json_equal(j_claims, j));
    json_decref(j_claims);
    free(t);
    /* a PEM key has no kid: the token's kid is not what picks it */
    t = sign_ex(f->ec_priv, R_JWA_ALG_ES256, NULL, j, 1);
    j_claims = expect_ok(f->v_ec, t, NOW);
    assert_string_equal(json_string_value(json_object_get(j_claims, "sub")), "user-42");
    json_decref(j_claims);
    free(t);
    json_decref(j);
}

static void
test_jwt_verify_aud_array_ok(void **state)
{
    struct fixture *f = *state;
    char *t = sign_with(f->rsa_priv, R_JWA_ALG_RS256, "aud", json_pack("[s,s]", "other", AUD));
    json_t *j_claims = expect_ok(f->v_rsa, t, NOW);
    assert_int_equal(json_array_size(json_object_get(j_claims, "aud")), 2);
    json_decref(j_claims);
    free(t);
}

static void
test_jwt_verify_expired_within_leeway_ok(void **state)
{
    struct fixture *f = *state;
    char *t = sign_with(f->rsa_priv, R_JWA_ALG_RS256, "exp", json_integer(NOW - LEEWAY + 1));
    json_t *j_claims = expect_ok(f->v_rsa, t, NOW);
    assert_int_equal(json_integer_value(json_object_get(j_claims, "exp")), NOW - LEEWAY + 1);
    json_decref(j_claims);
    /* the same token one second later is out of the leeway */
    expect_refusal_at(f->v_rsa, t, NOW + 1, "expired");
    free(t);
    /* nbf and iat within the leeway too; exp as a JSON real */
    json_t *j = claims_new();
    json_object_set_new(j, "nbf", json_integer(NOW + LEEWAY));
    json_object_set_new(j, "iat", json_integer(NOW + LEEWAY));
    json_object_set_new(j, "exp", json_real((double)NOW + 60.5));
    t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    j_claims = expect_ok(f->v_rsa, t, NOW);
    json_decref(j_claims);
    json_decref(j);
    free(t);
}

static void
test_jwt_verify_two_keys_by_kid_ok(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *t1 = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    char *t2 = sign(f->rsa2_priv, R_JWA_ALG_RS256, j);
    json_t *j1 = expect_ok(f->v_two, t1, NOW), *j2 = expect_ok(f->v_two, t2, NOW);
    assert_true(json_equal(j1, j2));
    assert_int_equal(jwt_verifier_key_count(f->v_two), 2);
    json_decref(j1);
    json_decref(j2);
    free(t1);
    free(t2);
    json_decref(j);
}

static void
test_jwt_verify_eddsa_jwks_ok(void **state)
{
    struct fixture *f = *state;
    struct jwt_config c = {.jwks_file = jwks_file(f, NULL, f->ed_pub, NULL), .algs = "EdDSA"};
    struct jwt_verifier *v = verifier(&c);
    json_t *j = claims_new();
    char *t = sign(f->ed_priv, R_JWA_ALG_EDDSA, j);
    json_t *j_claims = expect_ok(v, t, NOW);
    assert_true(json_equal(j_claims, j));
    json_decref(j_claims);
    free(t);
    /* the same key cannot verify an RS256 token, even a well-signed one */
    t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    expect_refusal_free(v, t, "alg_not_allowed");
    json_decref(j);
    jwt_verifier_free(v);
}

/* --- signature and algorithm -------------------------------------------------------------- */

static void
test_jwt_verify_wrong_key_same_kid_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *t = sign(f->evil_priv, R_JWA_ALG_RS256, j);
    expect_refusal_free(f->v_rsa, t, "bad_signature");
    json_decref(j);
}

static void
test_jwt_verify_tampered_payload_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    json_t *j_ok = expect_ok(f->v_rsa, t, NOW);
    json_decref(j_ok);
    /* same header and signature, payload says another subject */
    json_object_set_new(j, "sub", json_string("admin"));
    char *payload = json_dumps(j, JSON_COMPACT), *p64 = b64url_str(payload);
    char *dot1 = strchr(t, '.'), *dot2 = strrchr(t, '.');
    *dot1 = '\0';
    char *forged = join3(t, p64, dot2 + 1);
    expect_refusal_free(f->v_rsa, forged, "bad_signature");
    free(payload);
    free(p64);
    free(t);
    json_decref(j);
}

static void
test_jwt_verify_alg_none_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *payload = json_dumps(j, JSON_COMPACT), *p64 = b64url_str(payload);
    char *t = join3("eyJhbGciOiJub25lIn0", p64, "");
    expect_refusal_free(f->v_rsa, t, "alg_not_allowed");
    t = join3("eyJhbGciOiJub25lIn0", p64, "c2ln");
    expect_refusal_free(f->v_rsa, t, "alg_not_allowed");
    char *h = b64url_str("{\"alg\":\"NONE\",\"kid\":\"rsa-1\"}");
    t = join3(h, p64, "");
    expect_refusal_free(f->v_rsa, t, "alg_not_allowed");
    free(h);
    h = b64url_str("{\"kid\":\"rsa-1\"}"); /* no alg at all */
    t = join3(h, p64, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    free(h);
    free(payload);
    free(p64);
    json_decref(j);
}

/* HS256 keyed with the bytes of the public key: the classic algorithm confusion. */
static void
test_jwt_verify_hs256_with_public_key_as_secret_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *pub_json = r_jwk_export_to_json_str(f->rsa_pub, 0);
    const char *secrets[] = {f->rsa_pub_pem, pub_json};
    assert_non_null(pub_json);
    for (size_t i = 0; i < 2; i++) {
        jwk_t *hmac = NULL;
        assert_int_equal(r_jwk_init(&hmac), RHN_OK);
        assert_int_equal(r_jwk_import_from_symmetric_key(hmac, (const unsigned char *)secrets[i],
                                                         strlen(secrets[i])),
                         RHN_OK);
        r_jwk_set_property_str(hmac, "kid", "rsa-1");
        char *t = sign(hmac, R_JWA_ALG_HS256, j);
        expect_refusal_free(f->v_rsa, t, "alg_not_allowed");
        r_jwk_free(hmac);
    }
    r_free(pub_json);
    json_decref(j);
}

static void
test_jwt_verify_alg_not_configured_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    /* PS256, correctly signed with the configured RSA key, but only RS256/ES256 allowed */
    char *t = sign(f->rsa_priv, R_JWA_ALG_PS256, j);
    expect_refusal_free(f->v_rsa, t, "alg_not_allowed");
    t = sign(f->rsa_priv, R_JWA_ALG_RS512, j);
    expect_refusal_free(f->v_rsa, t, "alg_not_allowed");
    /* ES256 is allowed, but the key with kid rsa-1 is RSA: the family must match */
    jwk_t *ec = r_jwk_copy(f->ec_priv);
    r_jwk_set_property_str(ec, "kid", "rsa-1");
    t = sign(ec, R_JWA_ALG_ES256, j);
    expect_refusal_free(f->v_rsa, t, "alg_not_allowed");
    r_jwk_free(ec);
    json_decref(j);
}

static void
test_jwt_verify_unknown_kid_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    jwk_t *k = r_jwk_copy(f->rsa_priv);
    r_jwk_set_property_str(k, "kid", "rsa-9");
    char *t = sign(k, R_JWA_ALG_RS256, j);
    expect_refusal(f->v_rsa, t, "unknown_kid");
    expect_refusal_free(f->v_two, t, "unknown_kid");
    /* kid must be a string */
    json_t *j_h = json_pack("{s:i}", "kid", 1);
    t = sign_ex(f->rsa_priv, R_JWA_ALG_RS256, j_h, j, 1);
    expect_refusal_free(f->v_rsa, t, "malformed");
    json_decref(j_h);
    r_jwk_free(k);
    json_decref(j);
}

static void
test_jwt_verify_two_keys_no_kid_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *t = sign_ex(f->rsa_priv, R_JWA_ALG_RS256, NULL, j, 1);
    expect_refusal(f->v_two, t, "unknown_kid");
    /* with a single key, no kid is fine */
    json_t *j_ok = expect_ok(f->v_rsa, t, NOW);
    json_decref(j_ok);
    free(t);
    json_decref(j);
}

/* Keys named by the token (jwk, jku, x5u, x5c) are never used. */
static void
test_jwt_verify_header_key_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    json_t *j_evil = r_jwk_export_to_json_t(f->evil_pub);
    json_t *j_headers[] = {
        json_pack("{s:O}", "jwk", j_evil),
        json_pack("{s:s}", "jku", "https://attacker.example/jwks.json"),
        json_pack("{s:s}", "x5u", "https://attacker.example/cert.pem"),
        json_pack("{s:O, s:s}", "jwk", j_evil, "jku", "https://attacker.example/jwks.json"),
    };
    for (size_t i = 0; i < sizeof j_headers / sizeof j_headers[0]; i++) {
        assert_non_null(j_headers[i]);
        char *t = sign_ex(f->evil_priv, R_JWA_ALG_RS256, j_headers[i], j, 0);
        expect_refusal_free(f->v_rsa, t, "bad_signature");
        t = sign_ex(f->evil_priv, R_JWA_ALG_RS256, j_headers[i], j, 1);
        expect_refusal_free(f->v_rsa, t, "bad_signature");
        /* with two configured keys and no kid there is no key at all */
        t = sign_ex(f->evil_priv, R_JWA_ALG_RS256, j_headers[i], j, 1);
        expect_refusal_free(f->v_two, t, "unknown_kid");
        json_decref(j_headers[i]);
    }
    /* the same headers on a token signed with the right key do not get in the way */
    json_t *j_h = json_pack("{s:O}", "jwk", j_evil);
    char *t = sign_ex(f->rsa_priv, R_JWA_ALG_RS256, j_h, j, 0);
    json_t *j_ok = expect_ok(f->v_rsa, t, NOW);
    json_decref(j_ok);
    free(t);
    json_decref(j_h);
    json_decref(j_evil);
    json_decref(j);
}

/* Every token that differs from a valid one in one byte is refused. */
static void
test_jwt_verify_every_single_byte_change_refused(void **state)
{
    struct fixture *f = *state;
    static const char subst[] = {'A', 'f', '_', '.', '=', ' ', '\0'};
    json_t *j = claims_new();
    char *t = sign(f->ec_priv, R_JWA_ALG_ES256, j);
    size_t n = strlen(t);
    char *m = malloc(n + 1);
    assert_non_null(m);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof subst; k++) {
            if (t[i] == subst[k])
                continue;
            memcpy(m, t, n + 1);
            m[i] = subst[k];
            json_t *j_claims = NULL;
            const char *reason = NULL;
            int rc = jwt_verifyn(f->v_ec, m, n, NOW, &j_claims, &reason);
            if (rc != ERR_UNAUTHORIZED || reason == NULL || j_claims != NULL)
                fail_msg("byte %zu set to 0x%02x: rc %d", i, (unsigned)subst[k], rc);
        }
    }
    free(m);
    free(t);
    json_decref(j);
}

/* --- claims ------------------------------------------------------------------------------- */

static void
test_jwt_verify_expired_refused(void **state)
{
    struct fixture *f = *state;
    expect_refusal_free(f->v_rsa,
                        sign_with(f->rsa_priv, R_JWA_ALG_RS256, "exp", json_integer(NOW - LEEWAY)),
                        "expired");
    expect_refusal_free(f->v_rsa,
                        sign_with(f->rsa_priv, R_JWA_ALG_RS256, "exp", json_integer(NOW - 86400)),
                        "expired");
    expect_refusal_free(f->v_ec, sign_with(f->ec_priv, R_JWA_ALG_ES256, "exp", json_integer(NOW)),
                        "expired");
}

static void
test_jwt_verify_missing_exp_refused(void **state)
{
    struct fixture *f = *state;
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "exp", NULL),
                        "no_expiry");
    expect_refusal_free(f->v_rsa,
                        sign_with(f->rsa_priv, R_JWA_ALG_RS256, "exp", json_string("9999999999")),
                        "malformed");
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "exp", json_null()),
                        "malformed");
}

static void
test_jwt_verify_nbf_future_refused(void **state)
{
    struct fixture *f = *state;
    expect_refusal_free(
        f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "nbf", json_integer(NOW + LEEWAY + 1)),
        "not_yet_valid");
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "nbf", json_string("0")),
                        "malformed");
}

static void
test_jwt_verify_iat_future_refused(void **state)
{
    struct fixture *f = *state;
    expect_refusal_free(f->v_rsa,
                        sign_with(f->rsa_priv, R_JWA_ALG_RS256, "iat", json_integer(NOW + 3600)),
                        "not_yet_valid");
    expect_refusal_free(
        f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "iat", json_integer(NOW + LEEWAY + 1)),
        "not_yet_valid");
}

static void
test_jwt_verify_wrong_issuer_refused(void **state)
{
    struct fixture *f = *state;
    expect_refusal_free(f->v_rsa,
                        sign_with(f->rsa_priv, R_JWA_ALG_RS256, "iss",
                                  json_string("https://idp.example.org/realms/other")),
                        "issuer");
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "iss", NULL), "issuer");
    expect_refusal_free(
        f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "iss", json_pack("[s]", ISS)), "issuer");
    /* a prefix is not a match */
    expect_refusal_free(
        f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "iss", json_string(ISS "x")), "issuer");
}

static void
test_jwt_verify_wrong_audience_refused(void **state)
{
    struct fixture *f = *state;
    expect_refusal_free(f->v_rsa,
                        sign_with(f->rsa_priv, R_JWA_ALG_RS256, "aud", json_string("other-api")),
                        "audience");
    expect_refusal_free(
        f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "aud", json_pack("[s,s]", "a", "b")),
        "audience");
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "aud", NULL), "audience");
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "aud", json_array()),
                        "audience");
}

static void
test_jwt_verify_missing_subject_refused(void **state)
{
    struct fixture *f = *state;
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "sub", NULL),
                        "no_subject");
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "sub", json_string("")),
                        "no_subject");
    expect_refusal_free(f->v_rsa, sign_with(f->rsa_priv, R_JWA_ALG_RS256, "sub", json_integer(7)),
                        "no_subject");
}

/* --- malformed ---------------------------------------------------------------------------- */

static void
test_jwt_verify_malformed_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *good = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    char *payload = json_dumps(j, JSON_COMPACT), *p64 = b64url_str(payload);
    char *h_rs = b64url_str("{\"alg\":\"RS256\"}");
    char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
    char buf[16384];

    expect_refusal(f->v_rsa, NULL, "malformed");
    expect_refusal(f->v_rsa, "", "malformed");
    expect_refusal(f->v_rsa, ".", "malformed");
    expect_refusal(f->v_rsa, "..", "malformed");
    expect_refusal(f->v_rsa, "Bearer abc", "malformed");
    /* two parts, four parts */
    snprintf(buf, sizeof buf, "%.*s", (int)(dot2 - good), good);
    expect_refusal(f->v_rsa, buf, "malformed");
    snprintf(buf, sizeof buf, "%s.c2ln", good);
    expect_refusal(f->v_rsa, buf, "malformed");
    /* characters outside base64url, padding, whitespace */
    snprintf(buf, sizeof buf, "%s", good);
    buf[3] = '!';
    expect_refusal(f->v_rsa, buf, "malformed");
    snprintf(buf, sizeof buf, "%.*s=%s", (int)(dot2 - good), good, dot2);
    expect_refusal(f->v_rsa, buf, "malformed");
    snprintf(buf, sizeof buf, " %s", good);
    expect_refusal(f->v_rsa, buf, "malformed");
    snprintf(buf, sizeof buf, "%s\n", good);
    expect_refusal(f->v_rsa, buf, "malformed");
    snprintf(buf, sizeof buf, "%.*s+/%s", (int)(dot1 - good), good, dot1);
    expect_refusal(f->v_rsa, buf, "malformed");
    /* header not JSON, header a JSON array, header a string, empty header */
    char *h = b64url_str("not json");
    char *t = join3(h, p64, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    free(h);
    h = b64url_str("[{\"alg\":\"RS256\"}]");
    t = join3(h, p64, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    free(h);
    h = b64url_str("\"RS256\"");
    t = join3(h, p64, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    free(h);
    t = join3("", p64, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    /* duplicate member in the header */
    h = b64url_str("{\"alg\":\"RS256\",\"alg\":\"HS256\"}");
    t = join3(h, p64, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    free(h);
    /* payload not JSON, a JSON array, empty */
    char *p = b64url_str("[1,2]");
    t = join3(h_rs, p, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    free(p);
    p = b64url_str("{\"sub\":");
    t = join3(h_rs, p, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    free(p);
    t = join3(h_rs, "", "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    /* header length 1 mod 4 is no base64 */
    t = join3("eyJhbGciOiJSUzI1NiJ9x", p64, "c2ln");
    expect_refusal_free(f->v_rsa, t, "malformed");
    /* RS256 with an empty signature */
    t = join3(h_rs, p64, "");
    expect_refusal_free(f->v_rsa, t, "bad_signature");
    /* extensions: crit, zip, b64 */
    const char *ext[] = {"{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}",
                         "{\"alg\":\"RS256\",\"zip\":\"DEF\"}",
                         "{\"alg\":\"RS256\",\"b64\":false}"};
    for (size_t i = 0; i < 3; i++) {
        json_t *j_h = json_loads(ext[i], 0, NULL);
        assert_non_null(j_h);
        json_object_del(j_h, "alg");
        t = sign_ex(f->rsa_priv, R_JWA_ALG_RS256, j_h, j, 0);
        expect_refusal_free(f->v_rsa, t, "malformed");
        json_decref(j_h);
    }
    free(h_rs);
    free(payload);
    free(p64);
    free(good);
    json_decref(j);
}

static void
test_jwt_verify_too_long_refused(void **state)
{
    struct fixture *f = *state;
    char *big = malloc(9 * 1024 + 1);
    assert_non_null(big);
    memset(big, 'A', 9 * 1024);
    big[9 * 1024] = '\0';
    big[100] = '.';
    big[200] = '.';
    expect_refusal(f->v_rsa, big, "too_long");
    /* a validly signed token over the limit: refused for its length alone */
    json_t *j = claims_new();
    memset(big, 'x', 9 * 1024);
    json_object_set_new(j, "pad", json_string(big));
    char *t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    assert_true(strlen(t) > JWT_TOKEN_MAX);
    expect_refusal_free(f->v_rsa, t, "too_long");
    /* just under the limit is fine */
    json_object_set_new(j, "pad", json_string(""));
    t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    size_t base = strlen(t);
    free(t);
    big[(JWT_TOKEN_MAX - base) * 3 / 4 - 4] = '\0';
    json_object_set_new(j, "pad", json_string(big));
    t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    assert_true(strlen(t) <= JWT_TOKEN_MAX);
    json_t *j_ok = expect_ok(f->v_rsa, t, NOW);
    json_decref(j_ok);
    free(t);
    json_decref(j);
    free(big);
}

static void
test_jwt_verify_nul_inside_refused(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    char *t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    size_t n = strlen(t);
    json_t *j_claims = NULL;
    const char *reason = NULL;
    /* the token itself, then with a NUL in the middle and the full length */
    assert_int_equal(jwt_verifyn(f->v_rsa, t, n, NOW, &j_claims, &reason), ERR_OK);
    json_decref(j_claims);
    char *m = malloc(n + 1);
    assert_non_null(m);
    memcpy(m, t, n + 1);
    m[n / 2] = '\0';
    assert_int_equal(jwt_verifyn(f->v_rsa, m, n, NOW, &j_claims, &reason), ERR_UNAUTHORIZED);
    assert_string_equal(reason, "malformed");
    assert_null(j_claims);
    /* as a C string the token ends at the NUL */
    expect_refusal(f->v_rsa, m, "malformed");
    /* a NUL escaped inside a claim string: the subject is not "user-42" */
    char *p64 = b64url_str("{\"sub\":\"user-42\\u0000admin\",\"exp\":9999999999}");
    char *h = b64url_str("{\"alg\":\"RS256\"}");
    char *forged = join3(h, p64, "c2ln");
    expect_refusal_free(f->v_rsa, forged, "malformed");
    free(p64);
    free(h);
    free(m);
    free(t);
    json_decref(j);
}

static void
test_jwt_verify_jwe_refused(void **state)
{
    struct fixture *f = *state;
    /* compact JWE: five parts */
    char *h = b64url_str("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\",\"kid\":\"rsa-1\"}");
    char buf[1024];
    snprintf(buf, sizeof buf, "%s.%s.%s.%s.%s", h, "ZW5jcnlwdGVka2V5", "aXZpdml2aXZpdg",
             "Y2lwaGVydGV4dA", "dGFnVGFnVGFnVGFn");
    expect_refusal(f->v_rsa, buf, "malformed");
    free(h);
    /* a three-part token whose header says enc */
    json_t *j = claims_new();
    json_t *j_h = json_pack("{s:s}", "enc", "A256GCM");
    char *t = sign_ex(f->rsa_priv, R_JWA_ALG_RS256, j_h, j, 0);
    expect_refusal_free(f->v_rsa, t, "malformed");
    json_decref(j_h);
    json_decref(j);
}

static void
test_jwt_verify_bad_arguments(void **state)
{
    struct fixture *f = *state;
    json_t *j_claims = NULL;
    const char *reason = NULL;
    assert_int_equal(jwt_verify(NULL, "a.b.c", NOW, &j_claims, &reason), ERR_INTERNAL);
    assert_string_equal(reason, "internal");
    assert_int_equal(jwt_verify(f->v_rsa, "a.b.c", NOW, NULL, &reason), ERR_INTERNAL);
    /* reason is optional */
    assert_int_equal(jwt_verify(f->v_rsa, "a.b.c", NOW, &j_claims, NULL), ERR_UNAUTHORIZED);
    assert_null(j_claims);
}

/* --- concurrency -------------------------------------------------------------------------- */

struct worker {
    const struct jwt_verifier *v;
    const char *good, *bad;
    int failures;
};

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 50; i++) {
        json_t *j_claims = NULL;
        const char *reason = NULL;
        if (jwt_verify(w->v, w->good, NOW, &j_claims, &reason) != ERR_OK)
            w->failures++;
        json_decref(j_claims);
        if (jwt_verify(w->v, w->bad, NOW, &j_claims, &reason) != ERR_UNAUTHORIZED ||
            strcmp(reason, "bad_signature") != 0)
            w->failures++;
    }
    return NULL;
}

static void
test_jwt_verify_threads_share_verifier(void **state)
{
    struct fixture *f = *state;
    json_t *j = claims_new();
    jwk_t *p = NULL, *q = NULL;
    keypair(&p, &q, R_KEY_TYPE_EC, 256, "ec-x");
    char *good = sign(f->ec_priv, R_JWA_ALG_ES256, j);
    char *bad = sign(p, R_JWA_ALG_ES256, j); /* another P-256 key */
    struct worker w[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){.v = f->v_ec, .good = good, .bad = bad};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    r_jwk_free(p);
    r_jwk_free(q);
    free(good);
    free(bad);
    json_decref(j);
}

/* --- configuration ------------------------------------------------------------------------ */

static void
test_jwt_verifier_new_no_or_both_files_refused(void **state)
{
    struct fixture *f = *state;
    char *jwks = jwks_file(f, NULL, f->rsa_pub, NULL);
    char *pem = temp_file(f, f->rsa_pub_pem, strlen(f->rsa_pub_pem));
    expect_config_refused(&(struct jwt_config){.algs = "RS256"}, "no key file");
    expect_config_refused(&(struct jwt_config){.jwks_file = "", .pem_file = "", .algs = "RS256"},
                          "no key file");
    expect_config_refused(&(struct jwt_config){.jwks_file = jwks, .pem_file = pem, .algs = "RS256"},
                          "both");
    expect_config_refused(
        &(struct jwt_config){.jwks_file = "/nonexistent/capa/jwks.json", .algs = "RS256"},
        "could not open");
    expect_config_refused(NULL, "no configuration");
    /* the PEM alone is fine, and gives one key */
    struct jwt_verifier *v = verifier(&(struct jwt_config){.pem_file = pem, .algs = "RS256"});
    assert_int_equal(jwt_verifier_key_count(v), 1);
    json_t *j = claims_new();
    char *t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    json_t *j_ok = expect_ok(v, t, NOW);
    json_decref(j_ok);
    free(t);
    json_decref(j);
    jwt_verifier_free(v);
}

static void
test_jwt_verifier_new_bad_algs_refused(void **state)
{
    struct fixture *f = *state;
    char *jwks = jwks_file(f, NULL, f->rsa_pub, NULL);
    static const struct {
        const char *algs, *why;
    } cases[] = {
        {NULL, "algs is empty"},
        {"", "algs is empty"},
        {"none", "\"none\" is never allowed"},
        {"RS256,none", "\"none\" is never allowed"},
        {"None", "\"none\" is never allowed"},
        {"HS256", "symmetric algorithm HS256"},
        {"RS256,HS512", "symmetric algorithm HS512"},
        {"RS256,FOO", "unknown or unsupported algorithm \"FOO\""},
        {"rs256", "unknown or unsupported algorithm \"rs256\""},
        {"ES256K", "unknown or unsupported algorithm"},
        {"RSA-OAEP", "unknown or unsupported algorithm"},
        {"RS256,,ES256", "empty item"},
        {"RS256,", "empty item"},
        {"ES256", "cannot serve any of the allowed algorithms"}, /* an RSA key for ES256 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_config_refused(&(struct jwt_config){.jwks_file = jwks, .algs = cases[i].algs},
                              cases[i].why);
    /* spaces around names are fine */
    struct jwt_verifier *v =
        verifier(&(struct jwt_config){.jwks_file = jwks, .algs = " RS256 , PS256"});
    jwt_verifier_free(v);
    expect_config_refused(&(struct jwt_config){.jwks_file = jwks, .algs = "RS256", .leeway_s = -1},
                          "leeway_s");
    expect_config_refused(
        &(struct jwt_config){.jwks_file = jwks, .algs = "RS256", .leeway_s = JWT_LEEWAY_MAX + 1},
        "leeway_s");
}

static void
test_jwt_verifier_new_bad_key_files_refused(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *text, *why;
    } jwks_texts[] = {
        {"garbage, not JSON", "is not JSON"},
        {"", "is empty"},
        {"{\"keys\":[]}", "no non-empty \"keys\" array"},
        {"[]", "no non-empty \"keys\" array"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", "no non-empty \"keys\" array"},
        {"{\"keys\":[\"x\"]}", "is not a JWK"},
        {"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AAA\",\"e\":\"AQAB\"}]}", "\"a\""},
        {"{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"}]}",
         "symmetric"},
        {"{\"keys\":[{\"kty\":\"RSA\",\"kid\":1}]}", "is not a JWK"},
        {"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"\"}]}", "is not a JWK"},
        {"{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\"}]}", "no key for verifying"},
        {"{\"keys\":[1],\"keys\":[2]}", "is not JSON"},
    };
    for (size_t i = 0; i < sizeof jwks_texts / sizeof jwks_texts[0]; i++) {
        char *path = temp_file(f, jwks_texts[i].text, strlen(jwks_texts[i].text));
        expect_config_refused(&(struct jwt_config){.jwks_file = path, .algs = "RS256"},
                              jwks_texts[i].why);
    }
    /* a private key in the JWKS, or in the PEM file */
    char *path = jwks_file(f, NULL, f->rsa_priv, NULL);
    expect_config_refused(&(struct jwt_config){.jwks_file = path, .algs = "RS256"}, "private");
    char *priv_pem = pem_of(f->rsa_priv);
    path = temp_file(f, priv_pem, strlen(priv_pem));
    free(priv_pem);
    expect_config_refused(&(struct jwt_config){.pem_file = path, .algs = "RS256"},
                          "no public key or certificate");
    path = temp_file(f, "garbage", 7);
    expect_config_refused(&(struct jwt_config){.pem_file = path, .algs = "RS256"},
                          "no public key or certificate");
    /* a key of the wrong type for every allowed alg, a key's own alg not allowed */
    path = jwks_file(f, NULL, f->ec_pub, NULL);
    expect_config_refused(&(struct jwt_config){.jwks_file = path, .algs = "RS256,ES384"},
                          "cannot serve");
    json_t *j_alg = json_pack("{s:s}", "alg", "RS512");
    path = jwks_file(f, j_alg, f->rsa_pub, NULL);
    expect_config_refused(&(struct jwt_config){.jwks_file = path, .algs = "RS256"}, "cannot serve");
    json_decref(j_alg);
    /* several keys: each needs its own kid */
    path = jwks_file(f, NULL, f->rsa_pub, f->evil_pub, NULL);
    expect_config_refused(&(struct jwt_config){.jwks_file = path, .algs = "RS256"},
                          "two keys with kid \"rsa-1\"");
    jwk_t *nokid = r_jwk_copy(f->rsa2_pub);
    r_jwk_delete_property_str(nokid, "kid");
    path = jwks_file(f, NULL, f->rsa_pub, nokid, NULL);
    expect_config_refused(&(struct jwt_config){.jwks_file = path, .algs = "RS256"}, "no kid");
    r_jwk_free(nokid);
    /* RSA under 2048 bits */
    jwk_t *p = NULL, *q = NULL;
    keypair(&p, &q, R_KEY_TYPE_RSA, 1024, "small");
    path = jwks_file(f, NULL, q, NULL);
    expect_config_refused(&(struct jwt_config){.jwks_file = path, .algs = "RS256"}, "1024 bits");
    r_jwk_free(p);
    r_jwk_free(q);
}

/* Keys for encryption are left out of a set, not refused. */
static void
test_jwt_verifier_new_skips_encryption_keys(void **state)
{
    struct fixture *f = *state;
    json_t *j_keys = json_array();
    json_t *j_sig = r_jwk_export_to_json_t(f->rsa_pub);
    json_t *j_enc = r_jwk_export_to_json_t(f->rsa2_pub);
    json_object_set_new(j_sig, "use", json_string("sig"));
    json_object_set_new(j_enc, "use", json_string("enc"));
    json_object_set_new(j_enc, "alg", json_string("RSA-OAEP"));
    json_array_append_new(j_keys, j_sig);
    json_array_append_new(j_keys, j_enc);
    json_t *j_set = json_pack("{s:o}", "keys", j_keys);
    char *text = json_dumps(j_set, 0);
    char *path = temp_file(f, text, strlen(text));
    struct jwt_verifier *v = verifier(&(struct jwt_config){.jwks_file = path, .algs = "RS256"});
    assert_int_equal(jwt_verifier_key_count(v), 1);
    json_t *j = claims_new();
    char *t = sign(f->rsa2_priv, R_JWA_ALG_RS256, j);
    expect_refusal_free(v, t, "unknown_kid");
    t = sign(f->rsa_priv, R_JWA_ALG_RS256, j);
    json_t *j_ok = expect_ok(v, t, NOW);
    json_decref(j_ok);
    free(t);
    json_decref(j);
    jwt_verifier_free(v);
    free(text);
    json_decref(j_set);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_verify_rs256_jwks_ok),
        cmocka_unit_test(test_jwt_verify_es256_pem_ok),
        cmocka_unit_test(test_jwt_verify_aud_array_ok),
        cmocka_unit_test(test_jwt_verify_expired_within_leeway_ok),
        cmocka_unit_test(test_jwt_verify_two_keys_by_kid_ok),
        cmocka_unit_test(test_jwt_verify_eddsa_jwks_ok),
        cmocka_unit_test(test_jwt_verify_wrong_key_same_kid_refused),
        cmocka_unit_test(test_jwt_verify_tampered_payload_refused),
        cmocka_unit_test(test_jwt_verify_alg_none_refused),
        cmocka_unit_test(test_jwt_verify_hs256_with_public_key_as_secret_refused),
        cmocka_unit_test(test_jwt_verify_alg_not_configured_refused),
        cmocka_unit_test(test_jwt_verify_unknown_kid_refused),
        cmocka_unit_test(test_jwt_verify_two_keys_no_kid_refused),
        cmocka_unit_test(test_jwt_verify_header_key_refused),
        cmocka_unit_test(test_jwt_verify_every_single_byte_change_refused),
        cmocka_unit_test(test_jwt_verify_expired_refused),
        cmocka_unit_test(test_jwt_verify_missing_exp_refused),
        cmocka_unit_test(test_jwt_verify_nbf_future_refused),
        cmocka_unit_test(test_jwt_verify_iat_future_refused),
        cmocka_unit_test(test_jwt_verify_wrong_issuer_refused),
        cmocka_unit_test(test_jwt_verify_wrong_audience_refused),
        cmocka_unit_test(test_jwt_verify_missing_subject_refused),
        cmocka_unit_test(test_jwt_verify_malformed_refused),
        cmocka_unit_test(test_jwt_verify_too_long_refused),
        cmocka_unit_test(test_jwt_verify_nul_inside_refused),
        cmocka_unit_test(test_jwt_verify_jwe_refused),
        cmocka_unit_test(test_jwt_verify_bad_arguments),
        cmocka_unit_test(test_jwt_verify_threads_share_verifier),
        cmocka_unit_test(test_jwt_verifier_new_no_or_both_files_refused),
        cmocka_unit_test(test_jwt_verifier_new_bad_algs_refused),
        cmocka_unit_test(test_jwt_verifier_new_bad_key_files_refused),
        cmocka_unit_test(test_jwt_verifier_new_skips_encryption_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
