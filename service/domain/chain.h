/*
 * chain.h - the case log's hash chain.
 *
 * Each case-log row carries hash = SHA-256 over the previous row's hash (of the
 * same case) and the row's own content, so that altering, removing or
 * reordering history is detectable by recomputing the chain.
 *
 *   chain_hash        hash of one row given its predecessor's hash
 */
#ifndef CAPA_CHAIN_H
#define CAPA_CHAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "sha256.h"

#define CHAIN_HEX_LEN SHA256_HEX_LEN

/* The hash that precedes the first row of every case. */
extern const char chain_genesis[CHAIN_HEX_LEN];

/* One row of the case log, as hashed. All strings borrowed, none NULL. */
struct chain_entry {
    const char *event_id;
    const char *case_id;
    int sequence;
    const char *type;
    const char *actor;       /* actor JSON text, exactly as stored */
    const char *occurred_at; /* canonical dtime text */
    const char *data;        /* data JSON text, exactly as stored */
};

/* Fill out with the row's hash. Returns 0, or ERR_INTERNAL if hashing fails. */
int chain_hash(const char *prev_hash, const struct chain_entry *e, char out[CHAIN_HEX_LEN]);

#endif
