/* apikey.c - the shape of API keys and their names (apikey.h). */
#include "apikey.h"

#include <string.h>

#include "b64url.h"
#include "hex.h"

void
apikey_format(const unsigned char id[6], const unsigned char secret[32], char out[APIKEY_LEN + 1])
{
    char *o = out;
    memcpy(o, "capa_", 5);
    hex_encode(id, 6, o + 5);
    o += 5 + APIKEY_ID_LEN;
    *o++ = '_';
    b64url_encode(secret, 32, o);
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
    unsigned char bytes[33];
    if (strlen(secret) != 43 || b64url_decode(secret, 43, bytes, sizeof bytes) != 32)
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
