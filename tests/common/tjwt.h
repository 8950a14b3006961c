/*
 * tjwt.h - JWTs made by tests: keys generated and tokens signed with rhonabwy
 * (tests/unit/test_jwt.c, tests/integration/test_security.c).
 *
 *   tjwt_keypair   a fresh key pair of a type and size, with a kid
 *   tjwt_pem       the PEM text of a key
 *   tjwt_sign      a compact JWS of a claim set, signed by a key under an alg
 *   tjwt_b64url    base64url without padding, for tokens built by hand
 *
 * Nothing here asserts: each function reports failure (non-zero, NULL) and
 * the test decides. Every returned string is the caller's to free().
 */
#ifndef CAPA_TJWT_H
#define CAPA_TJWT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <rhonabwy.h>

/*
 * Generate a key pair (type R_KEY_TYPE_RSA, _EC, _EDDSA; bits: the RSA
 * modulus or the curve size) whose keys carry kid (NULL: none). Returns 0;
 * on failure -1, with *priv and *pub NULL.
 */
int tjwt_keypair(jwk_t **priv, jwk_t **pub, int type, unsigned bits, const char *kid);

/* The PEM text of a key, or NULL. */
char *tjwt_pem(jwk_t *jwk);

/*
 * Sign j_claims (borrowed) with key under alg. j_header (borrowed, may be
 * NULL) adds header members; the header's kid is the key's own unless
 * no_kid. Returns the token, or NULL.
 */
char *tjwt_sign(jwk_t *key, jwa_alg alg, const json_t *j_header, const json_t *j_claims,
                bool no_kid);

/* n bytes of data in base64url without padding, or NULL. */
char *tjwt_b64url(const void *data, size_t n);

#endif
