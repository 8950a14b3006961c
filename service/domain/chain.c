/* chain.c - the case log's hash chain and random identifiers (chain.h). */
#include "chain.h"

#include <ctype.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "sha256.h"

const char chain_genesis[CHAIN_HEX_LEN] =
    "0000000000000000000000000000000000000000000000000000000000000000";

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
