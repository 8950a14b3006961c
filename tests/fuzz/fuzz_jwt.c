/*
 * fuzz_jwt.c - the JWT verifier (service/auth/jwt.h), as the auth step of
 * every request calls it.
 *
 * The first byte picks the mode:
 *   odd:  the rest is a bearer credential as sent; it cannot carry a valid
 *         signature (the key is made at start-up), so jwt_verifyn must refuse
 *         it, with a reason, and never crash or leak;
 *   even: the rest is "<header JSON>\n---\n<claims JSON>": the claims are
 *         signed with the configured key (the header's members added), so the
 *         claim checks are reached; whatever the verifier accepts must meet
 *         every rule it promises (sub, exp, nbf, iat, iss, aud).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fuzz.h"
#include "jwt.h"
#include "tjwt.h"

#define ISSUER "https://id.example.org"
#define AUDIENCE "capa"
#define LEEWAY 30
#define NOW ((time_t)1800000000)

static struct jwt_verifier *verifier;
static jwk_t *signer;

void
fuzz_init(void)
{
    jwk_t *pub = NULL;
    char path[] = "/tmp/capa-fuzz-jwt-XXXXXX", why[256];
    int fd = mkstemp(path);
    FUZZ_CHECK(fd >= 0 && tjwt_keypair(&signer, &pub, R_KEY_TYPE_EC, 256, "k1") == 0);
    char *pem = tjwt_pem(pub);
    FUZZ_CHECK(pem != NULL && write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem));
    close(fd);
    struct jwt_config cfg = {.pem_file = path,
                             .algs = "ES256",
                             .issuer = ISSUER,
                             .audience = AUDIENCE,
                             .leeway_s = LEEWAY};
    FUZZ_CHECK(jwt_verifier_new(&cfg, &verifier, why, sizeof why) == ERR_OK);
    unlink(path);
    free(pem);
    r_jwk_free(pub);
}

static bool
has_audience(const json_t *aud)
{
    size_t i;
    const json_t *v;
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), AUDIENCE) == 0;
    json_array_foreach(aud, i, v) if (json_is_string(v) &&
                                      strcmp(json_string_value(v), AUDIENCE) == 0) return true;
    return false;
}

/* What an accepted claim set must be. */
static void
check_accepted(const json_t *j)
{
    const json_t *sub = json_object_get(j, "sub"), *exp = json_object_get(j, "exp");
    const json_t *nbf = json_object_get(j, "nbf"), *iat = json_object_get(j, "iat");
    FUZZ_CHECK(json_is_string(sub) && json_string_length(sub) > 0);
    FUZZ_CHECK(json_is_number(exp) && json_number_value(exp) > (double)(NOW - LEEWAY));
    FUZZ_CHECK(nbf == NULL ||
               (json_is_number(nbf) && json_number_value(nbf) <= (double)(NOW + LEEWAY)));
    FUZZ_CHECK(iat == NULL ||
               (json_is_number(iat) && json_number_value(iat) <= (double)(NOW + LEEWAY)));
    FUZZ_CHECK(json_is_string(json_object_get(j, "iss")) &&
               strcmp(json_string_value(json_object_get(j, "iss")), ISSUER) == 0);
    FUZZ_CHECK(has_audience(json_object_get(j, "aud")));
}

static void
verify(const char *token, size_t len)
{
    json_t *j_claims = NULL;
    const char *reason = NULL;
    int rc = jwt_verifyn(verifier, token, len, NOW, &j_claims, &reason);
    FUZZ_CHECK(rc == ERR_OK || rc == ERR_UNAUTHORIZED);
    FUZZ_CHECK((rc == ERR_OK) == (j_claims != NULL));
    FUZZ_CHECK(rc == ERR_OK || (reason != NULL && reason[0] != '\0'));
    if (rc == ERR_OK)
        check_accepted(j_claims);
    json_decref(j_claims);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1) {
        /* any bytes: refused, whatever they are */
        json_t *j_claims = NULL;
        const char *reason = NULL;
        int rc = jwt_verifyn(verifier, (const char *)data + 1, size - 1, NOW, &j_claims, &reason);
        FUZZ_CHECK(rc == ERR_UNAUTHORIZED && j_claims == NULL && reason != NULL);
        return 0;
    }
    const uint8_t *a, *b;
    size_t an, bn;
    fuzz_split(data + 1, size - 1, &a, &an, &b, &bn);
    json_t *j_header = fuzz_json_body(a, an), *j_claims = fuzz_json_body(b, bn);
    if (json_is_object(j_header) && j_claims != NULL) {
        char *token = tjwt_sign(signer, R_JWA_ALG_ES256, j_header, j_claims, false);
        if (token != NULL)
            verify(token, strlen(token));
        free(token);
    }
    json_decref(j_header);
    json_decref(j_claims);
    return 0;
}
