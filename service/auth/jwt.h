/*
 * jwt.h - verification of JWT bearer tokens (RFC 7519, compact JWS only).
 *
 *   jwt_verifier_new    load the keys and check the configuration, once at start-up
 *   jwt_verifier_free
 *   jwt_verifier_key_count
 *   jwt_verify          check one token at a given time: signature, then claims
 *   jwt_verifyn         the same for a byte string with a length (may hold NUL)
 *
 * Keys come only from the configuration (a JWKS file or one PEM public key or
 * certificate); algorithms come only from the configured list. Nothing in a
 * token chooses a key source or an algorithm outside them: "jku", "jwk",
 * "x5u" and "x5c" headers are never read, "none" and HS* can never be allowed.
 * No HTTP and no database here: the api layer takes the token out of the
 * Authorization header and logs the reason with the request id.
 */
#ifndef CAPA_JWT_H
#define CAPA_JWT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#define JWT_TOKEN_MAX 8192  /* longest token accepted, in bytes */
#define JWT_LEEWAY_MAX 3600 /* largest leeway_s jwt_verifier_new accepts */
#define JWT_KEYS_MAX 64     /* most keys a JWKS file may hold */

struct jwt_config {
    const char *jwks_file; /* path of a JSON Web Key Set file, or NULL */
    const char *pem_file;  /* path of one PEM public key (or X.509 cert), or NULL */
    const char *algs;      /* comma-separated allowed algorithms, e.g. "RS256,ES256" */
    const char *issuer;    /* required "iss" (exact match); NULL/"" = not checked */
    const char *audience;  /* required "aud" (string or member of array); NULL/"" = not checked */
    int leeway_s;          /* clock skew allowed on exp/nbf/iat, e.g. 30; 0..JWT_LEEWAY_MAX */
};

/* Opaque; immutable after creation, usable by many threads at once. */
struct jwt_verifier;

/*
 * Load the keys and check the configuration. Exactly one of jwks_file and
 * pem_file. Algorithms: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA
 * (Ed25519), names case-sensitive as in RFC 7518.
 *
 * Refused: no key file or both; an unreadable file (or over 1 MiB); a JWKS
 * that is not {"keys": [...]} of valid public keys; a PEM that is not one
 * public key or certificate; private or symmetric key material; an empty alg
 * list, "none", any HS* (symmetric) algorithm, unknown names; a key whose type
 * (or own "alg" member) cannot serve any allowed alg; an RSA key under 2048
 * bits; in a JWKS of several keys, a key without "kid" or a duplicate "kid";
 * more than JWT_KEYS_MAX keys; leeway_s outside 0..JWT_LEEWAY_MAX.
 * Keys marked for another use ("use" other than "sig", or "key_ops" without
 * "verify") are left out, not refused; a set left with no key is refused.
 *
 * Returns ERR_OK and sets *out (free with jwt_verifier_free), or ERR_INVALID
 * with a one-line lower-case reason in why (why may be NULL), or ERR_INTERNAL
 * when out of memory. Does not log: the caller logs why.
 */
int jwt_verifier_new(const struct jwt_config *cfg, struct jwt_verifier **out, char *why,
                     size_t why_len);

/* Accepts NULL. */
void jwt_verifier_free(struct jwt_verifier *v);

/* Number of keys loaded (keys left out for another use are not counted). */
size_t jwt_verifier_key_count(const struct jwt_verifier *v);

/*
 * Verify a compact JWS (three base64url parts, no padding) at time now:
 * - header: a JSON object whose "alg" is one of the configured algorithms and
 *   one the selected key can serve (RS and PS need RSA, ES256/384/512 need EC
 *   on P-256/P-384/P-521, EdDSA needs OKP Ed25519; a key's own "alg" member
 *   must equal it). "crit", "zip", "b64" or "enc" make the token malformed.
 * - key: with one configured key, that key (a token "kid" must match the
 *   key's "kid" if the JWKS key has one; a PEM key has none). With several,
 *   the token's "kid" is required and must name one of them.
 * - claims (after the signature): "exp" required and > now - leeway; "nbf",
 *   if present, <= now + leeway; "iat", if present, <= now + leeway; "iss" and
 *   "aud" as configured; "sub" a non-empty string. Times are JSON numbers.
 * Tokens longer than JWT_TOKEN_MAX are refused before any parsing.
 *
 * Returns ERR_OK and sets *j_claims to a new reference to the verified claim
 * set (the caller decrefs). Otherwise *j_claims is NULL and the return is
 * ERR_UNAUTHORIZED for any token failure, with *reason (if reason is not
 * NULL) a static code for logs: "malformed", "too_long", "alg_not_allowed",
 * "unknown_kid", "bad_signature", "no_expiry", "expired", "not_yet_valid",
 * "issuer", "audience", "no_subject"; or ERR_INTERNAL ("internal") when out
 * of memory or called with v or j_claims NULL.
 *
 * Never crashes and never reads past the token on any input: every byte
 * string is either a token or a refusal. Thread-safe; does not log.
 */
int jwt_verify(const struct jwt_verifier *v, const char *token, time_t now, json_t **j_claims,
               const char **reason);

/* jwt_verify for token_len bytes at token (no NUL needed; a NUL is malformed). */
int jwt_verifyn(const struct jwt_verifier *v, const char *token, size_t token_len, time_t now,
                json_t **j_claims, const char **reason);

#endif
