/*
 * apikey.h - API keys: "capa_" + 12 lower-case hex digits (the key id, public,
 * shown in listings and logs) + "_" + 43 base64url characters (256 random
 * bits). Only the SHA-256 of the whole key is stored. Pure: no I/O.
 */
#ifndef CAPA_APIKEY_H
#define CAPA_APIKEY_H

#include <stdbool.h>

#define APIKEY_ID_LEN 12
#define APIKEY_LEN (5 + APIKEY_ID_LEN + 1 + 43)

/* Format a key from 6 random bytes (the id) and 32 random bytes (the secret). */
void apikey_format(const unsigned char id[6], const unsigned char secret[32],
                   char out[APIKEY_LEN + 1]);
/* Whether s has the exact shape of a key; copies its id (NUL-terminated). */
bool apikey_parse(const char *s, char id[APIKEY_ID_LEN + 1]);
/* Key names: 1-63 of [a-z0-9._-], starting with a letter or digit. */
bool apikey_name_valid(const char *s);

#endif
