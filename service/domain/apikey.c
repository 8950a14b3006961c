/* apikey.c - the shape of API keys and their names (apikey.h). */
#include "apikey.h"

#include <string.h>

#include "hex.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
apikey_format(const unsigned char id[6], const unsigned char secret[32], char out[APIKEY_LEN + 1])
{
    char *o = out;
    memcpy(o, "capa_", 5);
    hex_encode(id, 6, o + 5);
    o += 5 + APIKEY_ID_LEN;
    *o++ = '_';
    /* 32 bytes = 256 bits: 42 full sextets and 4 bits in the 43rd */
    unsigned acc = 0;
    int bits = 0;
    for (int i = 0; i < 32; i++) {
        acc = (acc << 8) | secret[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            *o++ = b64url[(acc >> bits) & 63];
        }
    }
    *o++ = b64url[(acc << (6 - bits)) & 63];
    *o = '\0';
}

bool
apikey_parse(const char *s, char id[APIKEY_ID_LEN + 1])
{
    if (strncmp(s, "capa_", 5) != 0)
        return false;
    for (int i = 0; i < APIKEY_ID_LEN; i++)
        if (!strchr("0123456789abcdef", s[5 + i]) || s[5 + i] == '\0')
            return false;
    if (s[5 + APIKEY_ID_LEN] != '_')
        return false;
    const char *secret = s + 5 + APIKEY_ID_LEN + 1;
    size_t n = strspn(secret, b64url);
    if (n != 43 || secret[n] != '\0')
        return false;
    memcpy(id, s + 5, APIKEY_ID_LEN);
    id[APIKEY_ID_LEN] = '\0';
    return true;
}

bool
apikey_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}
