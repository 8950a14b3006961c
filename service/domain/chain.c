/* chain.c - the case log's hash chain and random identifiers (chain.h). */
#include "chain.h"

#include <ctype.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hex.h"

const char chain_genesis[CHAIN_HEX_LEN] =
    "0000000000000000000000000000000000000000000000000000000000000000";

int
chain_sha256_hex(const void *buf, size_t len, char out[CHAIN_HEX_LEN])
{
    unsigned char digest[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, digest) != 0)
        return ERR_INTERNAL;
    hex_encode(digest, sizeof digest, out);
    return ERR_OK;
}

/*
 * The fields are joined with a unit separator (0x1f), a byte that cannot occur
 * in any of them unescaped (JSON escapes control characters), so no two
 * different rows hash the same text.
 */
int
chain_hash(const char *prev_hash, const struct chain_entry *e, char out[CHAIN_HEX_LEN])
{
    gnutls_hash_hd_t h;
    unsigned char digest[32];
    char seq[16];
    const char *parts[8];

    snprintf(seq, sizeof seq, "%d", e->sequence);
    parts[0] = prev_hash;
    parts[1] = e->event_id;
    parts[2] = e->case_id;
    parts[3] = seq;
    parts[4] = e->type;
    parts[5] = e->actor;
    parts[6] = e->occurred_at;
    parts[7] = e->data;
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) != 0)
        return ERR_INTERNAL;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (i > 0)
            gnutls_hash(h, "\x1f", 1);
        gnutls_hash(h, parts[i], strlen(parts[i]));
    }
    gnutls_hash_deinit(h, digest);
    hex_encode(digest, sizeof digest, out);
    return ERR_OK;
}

int
chain_uuid_v4(char out[CHAIN_UUID_LEN])
{
    unsigned char b[16];
    if (gnutls_rnd(GNUTLS_RND_NONCE, b, sizeof b) != 0)
        return ERR_INTERNAL;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    snprintf(out, CHAIN_UUID_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return ERR_OK;
}

bool
chain_is_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}
