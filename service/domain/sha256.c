/* sha256.c - SHA-256 in hex (sha256.h). */
#include "sha256.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "err.h"
#include "hex.h"

int
sha256_hex(const void *buf, size_t len, char out[SHA256_HEX_LEN])
{
    unsigned char digest[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, digest) != 0)
        return ERR_INTERNAL;
    hex_encode(digest, sizeof digest, out);
    return ERR_OK;
}
