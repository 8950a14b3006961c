/* tjwt.c - JWTs made by tests (tjwt.h). */
#include "tjwt.h"

#include <stdlib.h>
#include <string.h>

int
tjwt_keypair(jwk_t **priv, jwk_t **pub, int type, unsigned bits, const char *kid)
{
    *priv = *pub = NULL;
    if (r_jwk_init(priv) == RHN_OK && r_jwk_init(pub) == RHN_OK &&
        r_jwk_generate_key_pair(*priv, *pub, type, bits, kid) == RHN_OK)
        return 0;
    r_jwk_free(*priv);
    r_jwk_free(*pub);
    *priv = *pub = NULL;
    return -1;
}

char *
tjwt_pem(jwk_t *jwk)
{
    unsigned char pem[8192];
    size_t len = sizeof pem;
    if (r_jwk_export_to_pem_der(jwk, R_FORMAT_PEM, pem, &len, 0) != RHN_OK)
        return NULL;
    char *out = malloc(len + 1);
    if (out != NULL) {
        memcpy(out, pem, len);
        out[len] = '\0';
    }
    return out;
}

char *
tjwt_sign(jwk_t *key, jwa_alg alg, const json_t *j_header, const json_t *j_claims, bool no_kid)
{
    jws_t *jws = NULL;
    jwk_t *signer = r_jwk_copy(key);
    char *payload = json_dumps(j_claims, JSON_COMPACT), *t = NULL, *token = NULL;
    const char *name;
    json_t *j_value;

    if (signer == NULL || payload == NULL || r_jws_init(&jws) != RHN_OK ||
        r_jws_set_alg(jws, alg) != RHN_OK)
        goto out;
    /* without a kid on the key, rhonabwy writes none in the header */
    if (no_kid)
        r_jwk_delete_property_str(signer, "kid");
    json_object_foreach((json_t *)j_header, name, j_value)
    {
        if (r_jws_set_header_json_t_value(jws, name, j_value) != RHN_OK)
            goto out;
    }
    if (r_jws_set_payload(jws, (unsigned char *)payload, strlen(payload)) != RHN_OK)
        goto out;
    if ((t = r_jws_serialize(jws, signer, 0)) != NULL)
        token = strdup(t);
out:
    r_free(t);
    free(payload);
    r_jws_free(jws);
    r_jwk_free(signer);
    return token;
}

char *
tjwt_b64url(const void *data, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *in = data;
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    size_t o = 0, i;
    if (out == NULL)
        return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}
